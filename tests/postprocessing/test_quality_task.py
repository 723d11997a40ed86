"""QualityTask: lookups, age cut, summary text and JSON, distributions, trends, replays."""

from __future__ import annotations

import io
import json
import time
from typing import Any

import numpy as np
import pytest
import uproot

from qcflow.objects.activity import Activity
from qcflow.objects.codec import decode
from qcflow.objects.quality import Quality, QualityObject
from qcflow.postprocessing.engine.engine import Engine, EngineOptions
from qcflow.postprocessing.tasks._quality_summary import Finding, summary_lines
from qcflow.qcdb.local import LocalRepository

from ._configs import messages, parsed, with_tasks

HOUR = 3_600_000
T0 = 1_714_521_600_000
FUTURE = 4_102_444_800_000  # 2100: a trigger far after the quality objects were created
QUALITY_TASK = "o2::quality_control_modules::common::QualityTask"
QUALITIES = {
    1: Quality.GOOD,
    2: Quality.BAD.with_flag("BadPID", "pions").with_flag("Unknown"),
    3: Quality.MEDIUM.with_flag("NoDetectorData", "sector 3"),
}
JSON = "qc_async/TST/MO/Quality/QualitySummaryJSON"


def store_qo(
    repo: LocalRepository, name: str, run: int, quality: Quality, payload: str = "root"
) -> None:
    """A QO in QC's ROOT payload, or (``payload="json"``) in qcflow's earlier JSON one."""
    activity = Activity(
        run,
        "PHYSICS",
        "LHC24ab",
        "apass1",
        "qc_async",
        T0 + run * HOUR,
        T0 + run * HOUR + HOUR // 2,
    )
    qo = QualityObject(quality, name, "TST", "OnAny", activity=activity)
    data = qo.encode() if payload == "root" else qo.to_json_bytes()
    repo.store(
        qo.path,
        data,
        valid_from=activity.valid_from,
        valid_until=activity.valid_until,
        metadata=qo.metadata(),
        content_type=f"application/{payload}",
    )


def store_seed(repo: LocalRepository, run: int, start: int) -> None:
    activity = Activity(run, "PHYSICS", "LHC24ab", "apass1", "qc_async")
    repo.store(
        "qc_async/TST/MO/Seed/seed",
        b"x",
        valid_from=start,
        valid_until=start + HOUR,
        metadata={**activity.metadata(), "ObjectType": "TH1F"},
    )


@pytest.fixture
def filled(repo: LocalRepository) -> LocalRepository:
    for run, quality in QUALITIES.items():
        store_qo(repo, "Check", run, quality)
        store_seed(repo, run, T0 + run * HOUR)
    store_qo(repo, "Agg/Agg", 1, Quality.GOOD)
    return repo


def task(max_age: str = "0", **extra: Any) -> dict[str, Any]:
    config = {
        "className": QUALITY_TASK,
        "moduleName": "QualityControl",
        "detectorName": "TST",
        "taskParameters": {"maxObjectAgeSeconds": max_age},
        "qualityGroups": [
            {
                "name": "global",
                "title": "GLOBAL",
                "path": "TST/QO",
                "ignoreQualitiesDetails": ["Null", "Good", "Medium", "Bad"],
                "inputObjects": [
                    {
                        "name": "Check",
                        "title": "The check",
                        "messageBad": "Call expert",
                        "messageMedium": "Add a bookkeeping entry",
                    }
                ],
            },
            {
                "name": "details",
                "title": "DETAILS",
                "path": "TST/QO",
                "inputObjects": [
                    {"name": "Check"},
                    {"name": "Agg/Agg", "title": "Aggregated"},
                    {"name": "Missing"},
                ],
            },
        ],
        "initTrigger": ["userorcontrol"],
        "updateTrigger": ["foreachlatest:qcdb:TST/MO/Seed/seed"],
        "stopTrigger": ["userorcontrol"],
    }
    config.update(extra)
    return config


def run(repo: LocalRepository, config: dict[str, Any]) -> None:
    parsed_config = parsed(with_tasks({"Quality": config}, host=str(repo.root)))
    assert messages(parsed_config) == []
    Engine(parsed_config, EngineOptions(parallel=False, now_ms=T0)).run()


def latest(repo: LocalRepository, path: str) -> Any:
    info = repo.latest(path)[0]
    return repo.download(info.id)


def summary(repo: LocalRepository) -> dict[str, Any]:
    return json.loads(latest(repo, JSON).data)  # type: ignore[no-any-return]


def test_the_summary_json(filled: LocalRepository) -> None:
    run(filled, task())
    document = summary(filled)
    assert document["_typename"] == "qcflow::QualitySummary" and document["task"] == "Quality"
    assert document["trigger"]["runNumber"] == 3
    glob, details = document["groups"]
    [check] = glob["objects"]
    assert (check["quality"], check["level"], check["message"]) == (
        "Medium",
        2,
        "Add a bookkeeping entry",
    )
    assert check["flagsShown"] is False and check["flags"][0]["comment"] == "sector 3"
    assert check["path"] == "qc_async/TST/QO/Check" and check["activity"]["runNumber"] == 3
    check2, agg, missing = details["objects"]
    assert check2["flagsShown"] is True
    assert agg["found"] is False and agg["reason"] == "missing"  # only run 1 has one
    assert missing["found"] is False
    assert [h["qualities"]["global/Check"] for h in document["history"]] == [
        "Good",
        "Bad",
        "Medium",
    ]
    assert [h["qualities"]["details/Agg/Agg"] for h in document["history"]] == ["Good", None, None]
    texts = [line["text"] for line in document["lines"]]
    assert texts == [
        "GLOBAL",
        "The check : Medium",
        "Add a bookkeeping entry",
        "",
        "DETAILS",
        "Check : Medium",
        "#rightarrow Flag: No Detector Data: sector 3",
        "Aggregated : quality missing!",
        "Missing : quality missing!",
    ]


def test_json_quality_objects_of_earlier_stores_are_read(repo: LocalRepository) -> None:
    for run_number, quality in QUALITIES.items():
        store_qo(repo, "Check", run_number, quality, payload="json")
        store_seed(repo, run_number, T0 + run_number * HOUR)
    store_qo(repo, "Agg/Agg", 1, Quality.GOOD, payload="json")
    run(repo, task())
    texts = [line["text"] for line in summary(repo)["lines"]]
    assert texts[:2] == ["GLOBAL", "The check : Medium"]
    assert "#rightarrow Flag: No Detector Data: sector 3" in texts


def test_distributions_and_trends(filled: LocalRepository) -> None:
    run(filled, task())
    fetched = latest(filled, "qc_async/TST/MO/Quality/Distributions/global/Check")
    histogram = decode(fetched.data, fetched.info)
    np.testing.assert_array_equal(histogram.values[1:-1], [0, 1, 1, 1])  # Null Bad Medium Good
    assert histogram.title == "The check"
    trend = latest(filled, "qc_async/TST/MO/Quality/Trends/global/Check")
    assert trend.info.metadata["ObjectType"] == "TGraph"  # a ROOT graph, its PNG next to it
    # QC's QualityTrendGraph: y = 0.5 Null ... 3.5 Good, drawn APL, display hint gridy
    assert trend.info.metadata["displayHints"] == "gridy"
    assert trend.info.metadata["drawOptions"] == "APL"
    graph = uproot.open(io.BytesIO(trend.data))["ccdb_object"]
    assert sorted(graph.member("fY")) == [1.5, 2.5, 3.5]  # Bad, Medium, Good
    png = latest(filled, "qc_async/TST/MO/Quality/Trends/global/Check.png")
    assert png.info.content_type == "image/png" and png.data.startswith(b"\x89PNG")
    png = latest(filled, "qc_async/TST/MO/Quality/QualitySummary")
    assert png.data.startswith(b"\x89PNG")


def test_qualities_created_within_one_millisecond_each_count(
    repo: LocalRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The clock stands still while the checks store: one creation ms, three updates."""
    # At the start of the next millisecond: UUID v1s made within one clock reading still step
    # by 100 ns each (and start after the last one made), which from a reading near the end of
    # a millisecond crossed into the next one.
    frozen = (time.time_ns() // 1_000_000 + 1) * 1_000_000
    with monkeypatch.context() as patch:
        patch.setattr(time, "time_ns", lambda: frozen)
        for run_number, quality in QUALITIES.items():
            store_qo(repo, "Check", run_number, quality)
            store_seed(repo, run_number, T0 + run_number * HOUR)
    created = {info.created for info in repo.browse("qc_async/TST/QO/Check")}
    assert len(created) == 1
    run(repo, task())
    fetched = latest(repo, "qc_async/TST/MO/Quality/Distributions/global/Check")
    histogram = decode(fetched.data, fetched.info)
    np.testing.assert_array_equal(histogram.values[1:-1], [0, 1, 1, 1])


def test_a_replay_gives_identical_output(filled: LocalRepository) -> None:
    run(filled, task())
    first = {p: latest(filled, p).data for p in (JSON, "qc_async/TST/MO/Quality/QualitySummary")}
    run(filled, task())
    second = {p: latest(filled, p).data for p in first}
    assert len(filled.browse(JSON)) == 2 * 4  # both runs stored their versions
    assert first == second


def test_age_is_measured_against_the_trigger(repo: LocalRepository) -> None:
    for run_number, quality in QUALITIES.items():
        store_qo(repo, "Check", run_number, quality)
        store_seed(repo, run_number, FUTURE + run_number * HOUR)
    run(repo, task(max_age="600"))
    check = summary(repo)["groups"][0]["objects"][0]
    assert (check["found"], check["reason"]) == (False, "too old")
    run(repo, task(max_age="0"))  # no age cut
    assert summary(repo)["groups"][0]["objects"][0]["quality"] == "Medium"


@pytest.mark.parametrize(("after_s", "found"), [(500, True), (700, False)])
def test_the_age_cut_is_relative_to_the_trigger_time(
    repo: LocalRepository, after_s: int, found: bool
) -> None:
    store_qo(repo, "Check", 1, Quality.GOOD)
    created = repo.latest("qc_async/TST/QO/Check")[0].created
    store_seed(repo, 1, created + after_s * 1000)  # the trigger fires at the seed's validFrom
    run(repo, task(max_age="600"))
    check = summary(repo)["groups"][0]["objects"][0]
    assert check["found"] is found


def test_unknown_quality_names_are_null_with_a_warning() -> None:
    config = task()
    config["qualityGroups"][0]["ignoreQualitiesDetails"] = ["Bda"]
    warnings = messages(parsed(with_tasks({"Quality": config})), "warning")
    assert warnings[0] == (
        "qc.postprocessing.Quality.qualityGroups[0].ignoreQualitiesDetails[0]: "
        "'Bda' is not a quality name; read as Null, as QC does"
    )


def test_reads_lists_the_quality_objects() -> None:
    config = parsed(with_tasks({"Quality": task()})).tasks["Quality"]
    assert [p for _, p in config.task_class.reads(config)] == [
        "TST/MO/Seed/seed",
        "TST/QO/Check",
        "TST/QO/Check",
        "TST/QO/Agg/Agg",
        "TST/QO/Missing",
    ]


def test_summary_lines_without_title_or_objects() -> None:
    assert summary_lines([]) == []
    from qcflow.postprocessing.tasks._quality_config import QualityGroup, QualityInput

    group = QualityGroup("g", "TST/QO", inputs=(QualityInput("x"),))
    finding = Finding(group, group.inputs[0], "qc/TST/QO/x", Quality.NULL.with_flag("Unknown"))
    assert [line.text for line in summary_lines([finding])] == [
        "x : Null",
        "#rightarrow Flag: Unknown",
    ]
