"""Fixtures shared by every test package."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# No time limit per example: machines are noisy and speed is measured by bench/, not tests.
settings.register_profile("qcflow", deadline=None)
settings.load_profile("qcflow")

REPO = Path(__file__).resolve().parents[1]
#: O2DPG reference material lives next to the repository in CI; a user's clone has none.
SHARED = Path(os.environ.get("QCFLOW_SHARED", REPO.parent / "shared"))
REFERENCE_CONFIGS = SHARED / "reference" / "o2dpg-qc-postproc-async"


@pytest.fixture
def reference_configs() -> Path:
    """The O2DPG QC post-processing configs; the test is skipped when they are absent."""
    if not REFERENCE_CONFIGS.is_dir():
        pytest.skip(f"O2DPG reference configs not found at {REFERENCE_CONFIGS} (set QCFLOW_SHARED)")
    return REFERENCE_CONFIGS


@pytest.fixture
def qcflow_cmd() -> list[str]:
    """The command prefix that runs this checkout's ``qcflow`` CLI in a subprocess."""
    return [sys.executable, "-m", "qcflow"]


@pytest.fixture
def subprocess_env() -> dict[str, str]:
    """The environment for child processes: this checkout's ``src`` first on PYTHONPATH."""
    env = dict(os.environ)
    paths = [str(REPO / "src"), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


@pytest.fixture(scope="session")
def judged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Any]]:
    """An embedded QCDB with 12 runs of ZDC and MCH, processed and judged (tests/_judged.py)."""
    from tests._judged import judged_store

    return judged_store(tmp_path_factory.mktemp("judged") / "qcdb")
