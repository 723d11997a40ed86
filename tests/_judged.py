"""A QCDB with what the ZDC and MCH workflows leave: their synthetic inputs, processed by their
tasks and judged by their checks (the engine's check runner), for the report's tests."""

from __future__ import annotations

from pathlib import Path

from qcflow.demo.mch import fill_mch
from qcflow.demo.vertexing import DemoRun
from qcflow.demo.zdc import fill_zdc
from qcflow.postprocessing.engine.api import load
from qcflow.postprocessing.engine.engine import Engine, EngineOptions
from qcflow.qcdb.local import LocalRepository

CONFIGS = Path(__file__).resolve().parents[1] / "src" / "qcflow" / "data" / "qc-postproc-async"
PERIOD, PASS = "LHC24ab", "apass1"


def judged_store(root: Path, runs: int = 12) -> tuple[Path, list[DemoRun]]:
    """Fill ``root`` with ``runs`` runs of ZDC and MCH and run qcflow's two configs on it."""
    repo = LocalRepository(root, fsync=False)
    schedule = fill_zdc(repo, runs=runs, passes=(PASS,))
    fill_mch(repo, runs=runs, passes=(PASS,))
    repo.close()
    for name in ("zdc", "mch"):
        overrides = f"qc.config.database.host={root};qc.config.Activity.periodName={PERIOD};"
        config = load(str(CONFIGS / f"{name}.json"), overrides)
        Engine(config, EngineOptions(parallel=False)).run()
    return root, schedule
