"""Fixtures: the shipped configs of the modules, run on an embedded QCDB in a temporary directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from qcflow.postprocessing.config.schema import QcConfig
from qcflow.postprocessing.engine.api import load
from qcflow.postprocessing.engine.engine import Engine, EngineOptions, RunSummary
from qcflow.qcdb.local import LocalRepository

CONFIGS = Path(__file__).resolve().parents[2] / "src" / "qcflow" / "data" / "qc-postproc-async"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LocalRepository]:
    repo = LocalRepository(tmp_path / "qcdb", fsync=False)
    yield repo
    repo.close()


def shipped(name: str, store: LocalRepository, extra: str = "") -> QcConfig:
    """qcflow's own ``<name>.json`` pointed at ``store`` (and ``extra`` overrides)."""
    overrides = f"qc.config.database.host={store.root};qc.config.Activity.periodName=LHC24ab;"
    return load(str(CONFIGS / f"{name}.json"), overrides + extra)


def run_engine(config: QcConfig) -> RunSummary:
    return Engine(config, EngineOptions(parallel=False, extensions=False)).run()
