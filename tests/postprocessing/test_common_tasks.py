"""QC's common tasks besides QualityTask: BigScreen and CcdbInspectorTask."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from qcflow.objects.activity import Activity
from qcflow.objects.quality import Quality, QualityObject
from qcflow.postprocessing.engine.engine import Engine, EngineOptions
from qcflow.postprocessing.engine.object_manager import ObjectManager
from qcflow.postprocessing.engine.services import Services
from qcflow.postprocessing.triggers.trigger import Trigger, TriggerType
from qcflow.qcdb.local import LocalRepository

from ._configs import messages, parsed, with_tasks

COMMON = "o2::quality_control_modules::common::"
HOUR = 3_600_000
T0 = 1_714_521_600_000
ACTIVITY = Activity(1, "PHYSICS", "LHC24ab", "apass1", "qc_async", T0, T0 + HOUR)


def store_qo(repo: LocalRepository, name: str, quality: Quality, end: int = T0 + HOUR) -> None:
    qo = QualityObject(quality, name, "TST", activity=ACTIVITY.with_validity(T0, end))
    repo.store(
        qo.path,
        qo.encode(),
        valid_from=T0,
        valid_until=end,
        metadata=qo.metadata(),
        content_type="application/json",
    )


def instance(repo: LocalRepository, config: dict[str, Any]) -> tuple[Any, Services]:
    """The task of ``config`` ready to be driven by hand."""
    task_config = parsed(with_tasks({"T": config}, host=str(repo.root))).tasks["T"]
    task = task_config.task_class()
    task.objects = ObjectManager(task_config, lambda: repo)
    task.log = logging.getLogger("test")
    task.configure(task_config)
    return task, Services(source=lambda: repo, destination=lambda: repo, conditions=lambda: repo)


def trigger(timestamp: int) -> Trigger:
    return Trigger(TriggerType.FOR_EACH_LATEST, False, ACTIVITY, timestamp)


def big_screen(**parameters: str) -> dict[str, Any]:
    return {
        "className": f"{COMMON}BigScreen",
        "moduleName": "QcCommon",
        "detectorName": "TST",
        "taskParameters": {
            "nRows": "2",
            "nCols": "2",
            "labels": "A,B,,C",
            "maxObjectTimeShift": "600",
            **parameters,
        },
        "dataSources": [{"names": ["A:TST/QO/A", "B:TST/QO/B", "C:TST/QO/C", "nolabel"]}],
        "initTrigger": ["userorcontrol"],
        "updateTrigger": ["foreachlatest:qcdb:TST/QO/A"],
        "stopTrigger": ["userorcontrol"],
    }


def test_big_screen_boxes(repo: LocalRepository) -> None:
    store_qo(repo, "A", Quality.GOOD)
    store_qo(repo, "B", Quality.BAD, end=T0 + 10)
    warnings = messages(parsed(with_tasks({"T": big_screen()})), "warning")
    assert (
        "qc.postprocessing.T.dataSources[0].names[3]: 'nolabel' is not 'LABEL:QO_PATH'"
        in (warnings[0])
    )
    task, services = instance(repo, big_screen())
    task.initialize(trigger(T0), services)
    task.update(trigger(T0 + 20 * 60_000), services)  # 20 min after: B ended 20 min ago
    assert task.boxes == [
        ("A", 418, " Good "),
        ("B", 400, " Old "),
        ("", 0, ""),
        ("C", 920, " NF "),
    ]
    unlimited, services = instance(repo, big_screen(maxObjectTimeShift="-1"))
    unlimited.initialize(trigger(T0), services)
    unlimited.update(trigger(T0 + 20 * 60_000), services)
    assert unlimited.boxes[1] == ("B", 632, " Bad ")


def test_big_screen_runs(repo: LocalRepository) -> None:
    store_qo(repo, "A", Quality.MEDIUM)
    config = parsed(with_tasks({"Screen": big_screen()}, host=str(repo.root)))
    Engine(config, EngineOptions(parallel=False)).run()
    info = repo.latest("qc_async/TST/MO/Screen/BigScreen")[0]
    assert info.content_type == "image/png"


def inspector(**parameters: str) -> dict[str, Any]:
    return {
        "className": f"{COMMON}CcdbInspectorTask",
        "moduleName": "QcCommon",
        "detectorName": "TST",
        "taskParameters": {"databaseType": "ccdb", **parameters},
        "dataSources": [
            {"name": "GRP", "path": "GLO/Config/GRPECS", "updatePolicy": "atSOR"},
            {"name": "CTP", "path": "CTP/Config/Config", "updatePolicy": "atSOR"},
            {
                "name": "Calib",
                "path": "TPC/Calib/Gain",
                "updatePolicy": "periodic",
                "cycleDuration": "60",
            },
            {"name": "End", "path": "GLO/Config/End", "updatePolicy": "atEOR"},
        ],
        "initTrigger": ["userorcontrol"],
        "updateTrigger": ["once"],
        "stopTrigger": ["userorcontrol"],
    }


def status(task: Any) -> list[str]:
    values = task.status.values[1:-1, 1:-1]
    rows = ["ok", "invalid", "too old", "not found"]
    return [rows[int(np.argmax(column))] if column.any() else "-" for column in values]


def test_ccdb_inspector(repo: LocalRepository) -> None:
    for path in ("GLO/Config/GRPECS", "TPC/Calib/Gain", "GLO/Config/End"):
        repo.store(path, b"x", valid_from=T0, valid_until=T0 + HOUR, metadata={"runNumber": "1"})
    task, services = instance(repo, inspector(timeStampTolerance="0"))
    task.initialize(trigger(0), services)
    task.update(trigger(0 + 60_000), services)
    # atSOR and periodic sources found with a version newer than the last seen; atEOR: at the end
    assert status(task) == ["ok", "not found", "ok", "-"]
    task.finalize(trigger(0 + 120_000), services)
    assert status(task)[-1] == "ok"
    assert task.status.axes[0].labels == ["GRP", "CTP", "Calib", "End"]
