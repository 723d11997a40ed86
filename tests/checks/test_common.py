"""QC's common checks, one by one, and their beautify through the runner."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qcflow.checks.common.basic import (
    CcdbInspectorCheck,
    EverIncreasingGraph,
    IncreasingEntries,
    MeanIsAbove,
    NonEmpty,
)
from qcflow.checks.common.trend_check import TrendCheck
from qcflow.errors import InvalidInput
from qcflow.objects.activity import Activity
from qcflow.objects.quality import Quality
from qcflow.objects.root import Axis, Histogram
from qcflow.postprocessing.config.check_config import CheckConfig
from qcflow.postprocessing.config.parameters import CustomParameters
from qcflow.postprocessing.engine.engine import Engine, EngineOptions
from qcflow.postprocessing.plotting.images import GraphData, PlotImage
from qcflow.postprocessing.plotting.overlays import HLine, Label, Polyline
from qcflow.qcdb.local import LocalRepository
from qcflow.qcdb.model import order_key
from tests.postprocessing._configs import messages, parsed, with_tasks

from ._publisher import fill_runs, histogram, publisher

COMMON = "o2::quality_control_modules::common::"
ACTIVITY = Activity()


def make(cls: type, **parameters: str) -> Any:
    check = cls()
    check.configure(CheckConfig("C", "C", "x", "m", parameters=CustomParameters.flat(parameters)))
    check.start_of_activity(ACTIVITY)
    return check


def hist_with_mean(mean: float, entries: float = 10) -> Histogram:
    h = histogram("h", entries)
    h.stats = {"fTsumw": entries, "fTsumw2": entries, "fTsumwx": mean * entries, "fTsumwx2": 0.0}
    return h


def plot(*ys: list[float], pads: bool = False) -> PlotImage:
    graphs = tuple(
        GraphData(
            f"g{i}", np.arange(len(y), dtype=float), np.asarray(y, float), None, i if pads else 0
        )
        for i, y in enumerate(ys)
    )
    return PlotImage("p", b"\x89PNG", graphs)


def test_mean_is_above() -> None:
    check = make(MeanIsAbove, meanThreshold="2.5")
    assert check.check({"T/h": hist_with_mean(3.0)}, ACTIVITY) == Quality.GOOD
    assert check.check({"T/h": hist_with_mean(2.5)}, ACTIVITY) == Quality.BAD  # strictly above
    assert check.check({"T/p": plot([1.0])}, ACTIVITY) == Quality.NULL
    assert check.beautify("T/h", hist_with_mean(3.0), Quality.GOOD) == [HLine(2.5, 416)]
    with pytest.raises(InvalidInput, match=r"qc.checks.C.checkParameters.meanThreshold: required"):
        make(MeanIsAbove)


def test_non_empty() -> None:
    check = make(NonEmpty)
    assert [
        check.check({"a": x}, ACTIVITY) for x in (histogram("h", 3), histogram("h", 0), b"")
    ] == [Quality.GOOD, Quality.BAD, Quality.NULL]


def test_increasing_entries() -> None:
    check = make(IncreasingEntries, nBadCyclesLimit="2")
    results = [
        check.check({"T/a": histogram("a", n), "T/b": histogram("b", 5)}, ACTIVITY)
        for n in (1, 2, 3)
    ]
    # b stays at 5: faults in the second and third checks -> Bad at the second fault in a row
    assert [q.name for q in results] == ["Good", "Good", "Bad"]
    assert [(f.type.name, f.comment) for f in results[-1].flags] == [
        ("No Detector Data", "Number of entries stopped increasing.")
    ]
    assert check.beautify("T/b", histogram("b", 5), results[-1])[0].fill == 632
    assert check.beautify("T/a", histogram("a", 3), results[-1]) is None
    changing = make(IncreasingEntries, mustIncrease="false")
    assert changing.check({"T/a": histogram("a", 1)}, ACTIVITY).flags[0].comment == (
        "Number of entries has increased."
    )


def test_ever_increasing_graph() -> None:
    check = make(EverIncreasingGraph)
    assert check.check({"T/p": plot([1, 2, 2, 5])}, ACTIVITY) == Quality.GOOD
    assert check.check({"T/p": plot([3, 2, 4, 5])}, ACTIVITY) == Quality.BAD  # QC misses this one
    assert check.check({"T/h": histogram("h", 1)}, ACTIVITY) == Quality.NULL
    [label] = check.beautify("T/p", plot([1]), Quality.BAD)
    assert label.text == "Values are not always increasing"


def test_trend_check_expected_range_and_history() -> None:
    check = make(TrendCheck, thresholdsBad="0,10", **{"thresholdsMedium:p": "2,8"})
    assert check.check({"T/p": plot([5, 5, 9])}, ACTIVITY) == Quality.MEDIUM
    assert check.check({"T/p": plot([5, 5, 11])}, ACTIVITY) == Quality.BAD
    overlays = check.beautify("T/p", plot([5, 5, 11]), Quality.BAD)
    lines = [o for o in overlays if isinstance(o, Polyline)]
    assert len(lines) == 4 and lines[-1].y == (10.0, 10.0)  # two points judged so far
    assert [o.text for o in overlays if isinstance(o, Label)] == ["Bad"]
    assert check.check({"T/p": plot([5])}, ACTIVITY) == Quality.GOOD  # the latest per graph
    check.check({"T/p": plot([11])}, ACTIVITY)
    assert check.check({"T/q": plot([5])}, ACTIVITY) == Quality.BAD  # the worst of every graph
    check.end_of_activity(ACTIVITY)
    assert check.check({"T/q": plot([5])}, ACTIVITY) == Quality.GOOD
    no_thresholds = make(TrendCheck)
    assert no_thresholds.check({"T/p": plot([1])}, ACTIVITY) == Quality.NULL


def test_trend_check_relative_modes() -> None:
    # earlier points 9, 10, 11: mean 10, error of the mean sqrt(2 / (2 * 3)) = 0.577
    deviation = make(TrendCheck, trendCheckMode="DeviationFromMean", thresholdsBad="-0.1,0.1")
    assert deviation.check({"T/p": plot([9, 10, 11, 10.9])}, ACTIVITY) == Quality.GOOD
    assert (
        make(TrendCheck, trendCheckMode="DeviationFromMean", thresholdsBad="-0.1,0.1").check(
            {"T/p": plot([9, 10, 11, 11.1])}, ACTIVITY
        )
        == Quality.BAD
    )
    sigma = make(TrendCheck, trendCheckMode="StdDeviation", thresholdsBad="-3,3")
    assert sigma.check({"T/p": plot([9, 10, 11, 11.7])}, ACTIVITY) == Quality.GOOD  # 10 + 3 * 0.577
    sigma = make(TrendCheck, trendCheckMode="StdDeviation", thresholdsBad="-3,3")
    assert sigma.check({"T/p": plot([9, 10, 11, 11.8])}, ACTIVITY) == Quality.BAD
    last_two = make(
        TrendCheck,
        trendCheckMode="DeviationFromMean",
        thresholdsBad="-0.01,0.01",
        nPointsForAverage="2",
    )
    assert last_two.check({"T/p": plot([0, 10, 10, 10])}, ACTIVITY) == Quality.GOOD


def test_trend_check_judges_every_pad() -> None:
    check = make(TrendCheck, thresholdsBad="0,10")
    assert check.check({"T/p": plot([1, 2], [5, 20], pads=True)}, ACTIVITY) == Quality.BAD
    assert set(check.history) == {"p_0", "p_1"}


def test_ccdb_inspector_check() -> None:
    axes = (
        Axis(np.arange(3.0), "", ["CTP Config", "GRP"]),
        Axis(np.arange(-4.0, 1.0), "", ["ok", "invalid", "too old", "not found"]),
    )
    values = np.zeros((4, 6))
    values[1, 1] = 1  # CTP Config ok
    values[2, 4] = 1  # GRP not found
    status = Histogram("TH2F", "ObjectsStatus", "", axes, values)
    result = make(CcdbInspectorCheck).check({"Inspector/ObjectsStatus": status}, ACTIVITY)
    assert result == Quality.BAD and result.flags[0].comment == "GRP is not found"


# -- through the runner --------------------------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[LocalRepository]:
    store = LocalRepository(tmp_path / "qcdb", fsync=False)
    fill_runs(store, range(1, 4))
    yield store
    store.close()


def test_beautify_annotates_histograms_in_metadata(repo: LocalRepository) -> None:
    checks = {
        "Mean": {
            "className": f"{COMMON}MeanIsAbove",
            "moduleName": "QcCommon",
            "detectorName": "TST",
            "checkParameters": {"meanThreshold": "0.2"},
            "dataSource": [{"type": "PostProcessing", "name": "Pub", "MOs": ["a"]}],
        }
    }
    config = parsed(
        with_tasks({"Pub": publisher("a;a;a", entries="run")}, host=str(repo.root), checks=checks)
    )
    assert messages(config) == []
    Engine(config, EngineOptions(parallel=False)).run()
    info = repo.latest("qc_async/TST/MO/Pub/a")[0]
    annotations = json.loads(info.metadata["qc_annotations"])
    assert annotations == [
        {"kind": "HLine", "y": 0.2, "color": 416, "style": 1, "width": 2.0, "pad": 0}
    ]


def test_beautify_redraws_plots(repo: LocalRepository) -> None:
    trend = {
        "className": "o2::quality_control::postprocessing::TrendingTask",
        "moduleName": "QC",
        "detectorName": "TST",
        "producePlotsOnUpdate": "true",
        "dataSources": [
            {
                "type": "repository",
                "path": "TST/MO/Pub",
                "names": ["a"],
                "reductorName": f"{COMMON}TH1Reductor",
                "moduleName": "QcCommon",
            }
        ],
        "plots": [{"name": "entries", "varexp": "a.entries:meta.runNumber", "option": "*L"}],
        "initTrigger": ["userorcontrol"],
        "updateTrigger": ["foreachlatest:qcdb:TST/MO/Pub/a"],
        "stopTrigger": ["userorcontrol"],
    }
    checks = {
        "Grows": {
            "className": f"{COMMON}EverIncreasingGraph",
            "moduleName": "QcCommon",
            "detectorName": "TST",
            "policy": "OnAny",
            "dataSource": [{"type": "PostProcessing", "name": "Trend", "MOs": ["entries"]}],
        }
    }
    tasks = {"Pub": publisher("a;a;a", entries="run"), "Trend": trend}
    config = parsed(with_tasks(tasks, host=str(repo.root), checks=checks))
    assert messages(config) == []
    summary = Engine(config, EngineOptions(parallel=False)).run()
    assert summary.quality_objects == {"qc_async/TST/QO/Grows": "Good"}
    # the plot is a ROOT graph; the overlays are drawn into its PNG companion (<path>.png)
    assert {i.content_type for i in repo.browse("qc_async/TST/MO/Trend/entries")} == {
        "application/root"
    }
    versions = sorted(repo.browse("qc_async/TST/MO/Trend/entries.png"), key=order_key)
    # Pub's objects all carry run 0 (the task's activity): the trend updates once, then
    # finalizes; each publication of the plot is followed by its beautified copy
    assert len(versions) == 2 * 2
    plain, annotated = (repo.download(v.id).data for v in versions[-2:])
    assert plain != annotated and annotated.startswith(b"\x89PNG")
