"""The check runner through the engine: policies, quality objects, aggregators, ordering."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qcflow.objects.quality import QualityObject
from qcflow.objects.root import object_class
from qcflow.postprocessing.config.schema import QcConfig
from qcflow.postprocessing.engine.engine import Engine, EngineOptions, RunSummary
from qcflow.qcdb.local import LocalRepository
from qcflow.qcdb.model import order_key
from tests.postprocessing._configs import messages, parsed, with_tasks

from ._publisher import HOUR, T0, Recorder, check, fill_runs, publisher

WORST = "o2::quality_control_modules::common::WorstOfAllAggregator"
PLAN = "a;b;a,b;;a"  # five updates: a, then b, then both, then nothing, then a


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[LocalRepository]:
    store = LocalRepository(tmp_path / "qcdb", fsync=False)
    fill_runs(store, range(1, 6))
    Recorder.calls.clear()
    yield store
    store.close()


def config_of(repo: LocalRepository, tasks: dict[str, Any], **sections: Any) -> QcConfig:
    config = parsed(with_tasks(tasks, host=str(repo.root), **sections))
    assert messages(config) == []
    return config


def run(
    repo: LocalRepository, checks: dict[str, Any], plan: str = PLAN, **sections: Any
) -> RunSummary:
    config = config_of(repo, {"Pub": publisher(plan)}, checks=checks, **sections)
    return Engine(config, EngineOptions(parallel=False)).run()


def versions(repo: LocalRepository, path: str) -> list[QualityObject]:
    return [
        QualityObject.decode(repo.download(i.id).data)
        for i in sorted(repo.browse(path), key=order_key)
    ]


@pytest.mark.parametrize(
    ("policy", "mos", "calls"),
    [
        # OnAny: every update publishing a or b; the map holds what was published so far
        (
            "OnAny",
            ["a", "b"],
            [("Pub/a",), ("Pub/a", "Pub/b"), ("Pub/a", "Pub/b"), ("Pub/a", "Pub/b")],
        ),
        # OnAnyNonZero: only once both were seen
        ("OnAnyNonZero", ["a", "b"], [("Pub/a", "Pub/b")] * 3),
        # OnAll: both updated since the last run: after update 2 (a in 1, b in 2) and update 3
        ("OnAll", ["a", "b"], [("Pub/a", "Pub/b")] * 2),
        # OnEachSeparately: as OnAny, one call per object
        (
            "OnEachSeparately",
            ["a", "b"],
            [("Pub/a",), ("Pub/a",), ("Pub/b",), ("Pub/a",), ("Pub/b",), ("Pub/a",), ("Pub/b",)],
        ),
        # no MOs listed (QC's OnGlobalAny): any object of the task
        ("OnAny", None, [("Pub/a",), ("Pub/a", "Pub/b"), ("Pub/a", "Pub/b"), ("Pub/a", "Pub/b")]),
        ("OnAll", ["a"], [("Pub/a",)] * 3),
    ],
)
def test_update_policies(
    repo: LocalRepository, policy: str, mos: list[str] | None, calls: list[tuple[str, ...]]
) -> None:
    run(repo, {"C": check(policy, mos)})
    assert [c[1] for c in Recorder.calls] == calls


def test_quality_objects_are_stored_where_qc_stores_them(repo: LocalRepository) -> None:
    summary = run(repo, {"Check": check("OnAny", ["a", "b"], checkParameters={"minEntries": "3"})})
    stored = versions(repo, "qc_async/TST/QO/Check")
    # a and b hold the number of the update that last published them: 1, (1, 2), (3, 3), (5, 3)
    assert [qo.quality.name for qo in stored] == ["Bad", "Bad", "Good", "Good"]
    last = stored[-1]
    assert last.check_name == "Check" and last.policy == "OnAny" and last.inputs == ("Pub",)
    assert last.mo_names == ("Pub/a", "Pub/b")
    # activity: the task's (run 0 = any), validity spanning the inputs: a (runs 1-5), b (runs 1-3)
    assert last.activity.number == 0 and last.activity.pass_name == "apass1"
    assert (last.activity.valid_from, last.activity.valid_until) == (
        T0 + HOUR,
        T0 + 5 * HOUR + HOUR // 2,
    )
    assert stored[0].quality.flags[0].comment == "Pub/a below 3"
    info = repo.latest("qc_async/TST/QO/Check")[0]
    assert {
        k: info.metadata[k]
        for k in (
            "qc_quality",
            "qc_check_name",
            "qc_detector_name",
            "ObjectType",
            "PassName",
            "RunNumber",
        )
    } == {
        "qc_quality": "1",
        "qc_check_name": "Check",
        "qc_detector_name": "TST",
        "ObjectType": "o2::quality_control::core::QualityObject",
        "PassName": "apass1",
        "RunNumber": "0",
    }
    # QC's payload: a ROOT file holding its QualityObject class, named as the CCDB client names it
    assert info.content_type == "application/root"
    assert info.file_name == f"o2-quality_control-core-QualityObject_{info.valid_from}.root"
    assert object_class(repo.download(info.id).data) == "o2::quality_control::core::QualityObject"
    assert summary.quality_objects == {"qc_async/TST/QO/Check": "Good"}


@pytest.mark.parametrize(
    ("extended", "qualities"),
    [
        # the config's run type (PHYSICS) picks its own threshold over the default one
        (
            {
                "PHYSICS": {"default": {"minEntries": "3"}},
                "default": {"default": {"minEntries": "9"}},
            },
            ["Bad", "Bad", "Good", "Good"],
        ),
        # another run type is not looked at: default/default applies
        (
            {
                "COSMICS": {"default": {"minEntries": "3"}},
                "default": {"default": {"minEntries": "9"}},
            },
            ["Bad"] * 4,
        ),
    ],
)
def test_extended_check_parameters_follow_the_run_type(
    repo: LocalRepository, extended: dict[str, Any], qualities: list[str]
) -> None:
    run(repo, {"Check": check("OnAny", ["a", "b"], extendedCheckParameters=extended)})
    assert [qo.quality.name for qo in versions(repo, "qc_async/TST/QO/Check")] == qualities


def test_on_each_separately_paths(repo: LocalRepository) -> None:
    run(repo, {"Each": check("OnEachSeparately", ["a", "b"])})
    paths = sorted({i.path for i in repo.latest("qc_async/TST/QO/Each/.*")})
    assert paths == ["qc_async/TST/QO/Each/Pub/a", "qc_async/TST/QO/Each/Pub/b"]


def test_aggregators_after_their_checks_and_of_each_other(repo: LocalRepository) -> None:
    checks = {
        "Low": check("OnAny", ["a"], checkParameters={"minEntries": "2"}),
        "High": check("OnAny", ["b"], checkParameters={"minEntries": "100"}),
    }
    aggregators = {
        # declared first, reads the other aggregator: must still run after it
        "All": {
            "className": WORST,
            "moduleName": "QcCommon",
            "detectorName": "TST",
            "policy": "OnAny",
            "dataSource": [{"type": "Aggregator", "name": "Worst"}],
        },
        "Worst": {
            "className": WORST,
            "moduleName": "QcCommon",
            "detectorName": "TST",
            "policy": "OnAll",
            "dataSource": [{"type": "Check", "name": "Low"}, {"type": "Check", "name": "High"}],
        },
        "Best": {
            "className": "qcflow::BestOfAllAggregator",
            "moduleName": "QcCommon",
            "detectorName": "TST",
            "dataSource": [{"type": "Check", "name": "Low"}, {"type": "Check", "name": "High"}],
        },
    }
    summary = run(repo, checks, aggregators=aggregators)
    worst = versions(repo, "qc_async/TST/QO/Worst/Worst")
    # no QOs listed: QC's OnGlobalAny whatever the policy -- after every check result
    assert [q.quality.name for q in worst] == ["Bad"] * 4
    assert [f.comment for f in worst[0].quality.flags] == ["Pub/a below 2"]
    assert [f.comment for f in worst[-1].quality.flags] == ["Pub/b below 100"]
    low = versions(repo, "qc_async/TST/QO/Low")[0]  # update 1: run 1
    high = versions(repo, "qc_async/TST/QO/High")[0]  # update 2: runs 1-2
    assert (
        (worst[1].activity.valid_from, worst[1].activity.valid_until)
        == (
            max(low.activity.valid_from, high.activity.valid_from),
            min(low.activity.valid_until, high.activity.valid_until),
        )
        == (T0 + HOUR, T0 + HOUR + HOUR // 2)
    )  # the intersection
    assert [q.quality.name for q in versions(repo, "qc_async/TST/QO/All/All")] == ["Bad"] * 4
    best = versions(repo, "qc_async/TST/QO/Best/Best")
    assert best[-1].quality.name == "Good"
    assert summary.quality_objects["qc_async/TST/QO/All/All"] == "Bad"


def test_a_quality_task_of_the_same_config_sees_the_quality_objects(repo: LocalRepository) -> None:
    quality_task = {
        "className": "o2::quality_control_modules::common::QualityTask",
        "moduleName": "QC",
        "detectorName": "TST",
        "taskParameters": {"maxObjectAgeSeconds": "0"},
        "qualityGroups": [
            {
                "name": "g",
                "title": "G",
                "path": "TST/QO",
                "inputObjects": [{"name": "Worst/Worst", "messageBad": "oops"}],
            }
        ],
        "initTrigger": ["userorcontrol"],
        "stopTrigger": ["userorcontrol"],
        "updateTrigger": ["foreachlatest:qcdb:TST/QO/Worst/Worst"],
    }
    aggregators = {
        "Worst": {
            "className": WORST,
            "moduleName": "QcCommon",
            "detectorName": "TST",
            "dataSource": [{"type": "Check", "name": "C"}],
        }
    }
    # the QualityTask is declared first: the engine still runs it after Pub and its checks
    tasks = {"Summary": quality_task, "Pub": publisher(PLAN)}
    config = config_of(
        repo,
        tasks,
        checks={"C": check("OnAny", ["a", "b"], checkParameters={"minEntries": "100"})},
        aggregators=aggregators,
    )
    Engine(config, EngineOptions(parallel=False, now_ms=T0 + 10 * HOUR)).run()
    info = repo.latest("qc_async/TST/MO/Summary/QualitySummaryJSON")[0]
    summary = json.loads(repo.download(info.id).data)
    [group] = summary["groups"]
    assert group["objects"][0]["quality"] == "Bad" and group["objects"][0]["message"] == "oops"


@pytest.mark.parametrize(
    ("section", "change", "error"),
    [
        (
            "checks",
            {"dataSource": [{"type": "PostProcessing", "name": "Pb"}]},
            "qc.checks.C.dataSource[0].name: no post-processing task 'Pb' in this config",
        ),
        ("checks", {"policy": "OnEvery"}, "qc.checks.C.policy: 'OnEvery' is not one of"),
        ("checks", {"className": "o2::nope::Check"}, "qc.checks.C.className: unknown check class"),
        (
            "aggregators",
            {"dataSource": [{"type": "Check", "name": "D"}]},
            "qc.aggregators.A.dataSource[0].name: no check 'D' in this config",
        ),
    ],
)
def test_bad_references_name_the_json_path(
    repo: LocalRepository, section: str, change: dict[str, Any], error: str
) -> None:
    sections: dict[str, Any] = {
        "checks": {"C": check()},
        "aggregators": {
            "A": {
                "className": WORST,
                "moduleName": "m",
                "dataSource": [{"type": "Check", "name": "C"}],
            }
        },
    }
    sections[section][next(iter(sections[section]))].update(change)
    config = parsed(with_tasks({"Pub": publisher(PLAN)}, host=str(repo.root), **sections))
    problems = messages(config)
    assert len(problems) == 1 and problems[0].startswith(error), problems


def test_cli_exit_code_for_a_bad_reference(tmp_path: Path, repo: LocalRepository) -> None:
    import subprocess
    import sys

    tree = with_tasks(
        {"Pub": publisher(PLAN)},
        host=str(repo.root),
        aggregators={
            "A": {
                "className": WORST,
                "moduleName": "m",
                "dataSource": [{"type": "Check", "name": "Nope"}],
            }
        },
    )
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(tree))
    done = subprocess.run(
        [sys.executable, "-m", "qcflow", "qc", "--config", str(path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "qc.aggregators.A.dataSource[0].name: no check 'Nope' in this config" in done.stderr
    assert "Traceback" not in done.stderr
