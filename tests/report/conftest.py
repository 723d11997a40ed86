"""A QCDB with what the four workflows leave: ZDC and MCH objects processed by their tasks and
judged by their checks (applied directly, stored as QC's check runner stores them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qcflow.demo.mch import fill_mch
from qcflow.demo.vertexing import DemoRun
from qcflow.demo.zdc import fill_zdc
from qcflow.objects.activity import Activity
from qcflow.objects.quality import QualityObject
from qcflow.postprocessing.api import load
from qcflow.postprocessing.decoding import decode
from qcflow.postprocessing.engine import Engine, EngineOptions
from qcflow.qcdb.local import LocalRepository
from qcflow.qcdb.repository import Repository

CONFIGS = Path(__file__).resolve().parents[2] / "src" / "qcflow" / "data" / "qc-postproc-async"
PERIOD, PASS = "LHC24ab", "apass1"


def judge(repo: Repository, name: str, runs: list[DemoRun], extra: str = "") -> None:
    """Run config ``name`` on ``repo``, then each of its checks on each run's objects."""
    overrides = f"qc.config.database.host={repo.url};qc.config.Activity.periodName={PERIOD};"
    config = load(str(CONFIGS / f"{name}.json"), overrides + extra)
    Engine(config, EngineOptions(parallel=False, extensions=False)).run()
    for check_config in config.checks.values():
        check = check_config_class(check_config.class_name)()
        check.configure(check_config)
        task = check_config.data_sources[0].name
        det = check_config.detector_name
        for run in runs:
            activity = Activity(run.number, "PHYSICS", PERIOD, PASS, "qc_async", run.sor, run.eor)
            filters = {"RunNumber": str(run.number)}
            objects = {}
            for info in repo.latest(f"qc_async/{det}/MO/{task}/.*", filters):
                fetched = repo.get(info.path, run.sor, filters)
                objects[info.path.split("/MO/", 1)[1]] = decode(fetched.data, fetched.info)
            quality = check.check(objects, activity)
            qo = QualityObject(
                quality,
                check_config.name,
                det,
                check_config.policy,
                (task,),
                tuple(objects),
                activity,
            )
            repo.store(
                qo.path,
                qo.encode(),
                valid_from=run.sor,
                valid_until=run.eor,
                metadata=qo.metadata(),
                content_type="application/json",
            )


def check_config_class(name: str) -> type:
    from qcflow.postprocessing.classes import REGISTRY

    return REGISTRY.resolve("check", name)


@pytest.fixture(scope="session")
def judged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[DemoRun]]:
    """An embedded QCDB with 12 runs of ZDC and MCH, processed and judged."""
    root = tmp_path_factory.mktemp("judged") / "qcdb"
    repo = LocalRepository(root, fsync=False)
    runs = fill_zdc(repo, runs=12, passes=(PASS,))
    fill_mch(repo, runs=12, passes=(PASS,))
    judge(repo, "zdc", runs, "qc.postprocessing.ZDCQuality.active=false;")
    judge(repo, "mch", runs)
    repo.close()
    return root, runs
