"""ReferenceComparatorTask and ReferenceComparatorCheck, together and apart."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qcflow.checks.check import MonitorObject
from qcflow.checks.common.reference_check import ReferenceComparatorCheck
from qcflow.demo.store import store_histograms
from qcflow.errors import InvalidInput
from qcflow.objects.activity import Activity
from qcflow.objects.quality import Quality, QualityObject
from qcflow.objects.root import Axis, Histogram, stats_from_bins
from qcflow.postprocessing.config.check_config import CheckConfig
from qcflow.postprocessing.config.parameters import CustomParameters
from qcflow.postprocessing.engine.engine import Engine, EngineOptions
from qcflow.postprocessing.engine.services import Services
from qcflow.postprocessing.plotting.comparison import ComparisonPlot
from qcflow.qcdb.local import LocalRepository
from qcflow.qcdb.model import order_key
from tests.postprocessing._configs import messages, parsed, with_tasks

COMMON = "o2::quality_control_modules::common::"
HOUR = 3_600_000
T0 = 1_714_521_600_000
SHAPES = {1: [100, 200, 300, 200, 100], 2: [98, 205, 296, 204, 97], 3: [300, 200, 100, 50, 20]}


def hist(counts: list[float]) -> Histogram:
    values = np.asarray([0.0, *counts, 0.0])
    h = Histogram(
        "TH1F",
        "h",
        "hits",
        (Axis(np.arange(6.0), "channel"),),
        values,
        values.copy(),
        float(sum(counts)),
    )
    h.stats = stats_from_bins(h)
    return h


@pytest.fixture
def repo(tmp_path: Path) -> LocalRepository:
    store = LocalRepository(tmp_path / "qcdb", fsync=False)
    for run, counts in SHAPES.items():
        activity = Activity(run, "PHYSICS", "LHC24ab", "apass1", "qc_async")
        store_histograms(
            store,
            activity,
            (T0 + run * HOUR, T0 + run * HOUR + HOUR // 2),
            detector="TST",
            task="Hits",
            task_class="t",
            objects={"h": hist(counts)},
        )
    return store


def test_task_and_check_in_one_run(repo: LocalRepository) -> None:
    task = {
        "className": f"{COMMON}ReferenceComparatorTask",
        "moduleName": "QcCommon",
        "detectorName": "TST",
        "taskParameters": {"referenceRun": "1", "notOlderThan": "-1"},
        "dataGroups": [
            {
                "name": "hits",
                "inputPath": "TST/MO/Hits",
                "outputPath": "Compare",
                "inputObjects": ["h"],
                "normalizeReference": "true",
            }
        ],
        "initTrigger": ["userorcontrol"],
        "updateTrigger": ["foreachlatest:qcdb:TST/MO/Hits/h"],
        "stopTrigger": ["userorcontrol"],
    }
    checks = {
        "RefCheck": {
            "className": f"{COMMON}ReferenceComparatorCheck",
            "moduleName": "QcCommon",
            "detectorName": "TST",
            "policy": "OnAny",
            "checkParameters": {
                "comparatorName": f"{COMMON}ObjectComparatorChi2",
                "threshold": "0.05",
            },
            "dataSource": [{"type": "PostProcessing", "name": "RefComp", "MOs": ["Compare/h"]}],
        }
    }
    config = parsed(with_tasks({"RefComp": task}, host=str(repo.root), checks=checks))
    assert messages(config) == []
    published: list[object] = []
    engine = Engine(config, EngineOptions(parallel=False))
    engine.add_listener(lambda p: published.extend(o.obj for o in p.objects))
    engine.run()
    plots = [p for p in published if isinstance(p, ComparisonPlot)]
    assert len(plots) == 3 and plots[0].reference_run == 1
    np.testing.assert_allclose(plots[0].ratio.inner(), np.ones(5))  # the reference run itself
    versions = sorted(repo.browse("qc_async/TST/QO/RefCheck"), key=order_key)
    qualities = [QualityObject.decode(repo.download(v.id).data).quality for v in versions]
    assert [q.name for q in qualities] == ["Good", "Good", "Bad"]
    assert qualities[-1].flags[0].comment.startswith("h chi2 test failed: 0.00 < 0.05")
    stored = repo.latest("qc_async/TST/MO/RefComp/Compare/h")[0]
    assert stored.content_type == "image/png"


def check_with(repo: LocalRepository, **parameters: str) -> ReferenceComparatorCheck:
    check = ReferenceComparatorCheck()
    check.configure(
        CheckConfig("Ref", "Ref", "x", "m", parameters=CustomParameters.flat(parameters))
    )
    check.services = Services(
        source=lambda: repo, destination=lambda: repo, conditions=lambda: repo
    )
    check.lookup = lambda name: MonitorObject(
        name, f"qc_async/TST/MO/Hits/{name.rsplit('/', 1)[-1]}", None, Activity()
    )
    return check


ACTIVITY = Activity(0, "PHYSICS", "LHC24ab", "apass1", "qc_async")


def test_histograms_are_compared_with_the_reference_run(repo: LocalRepository) -> None:
    check = check_with(
        repo, comparatorName="ObjectComparatorDeviation", threshold="0.1", referenceRun="1"
    )
    check.start_of_activity(ACTIVITY)
    assert check.check({"Hits/h": hist(SHAPES[2])}, ACTIVITY) == Quality.GOOD
    bad = check.check({"Hits/h": hist(SHAPES[3])}, ACTIVITY)
    assert bad == Quality.BAD and "large deviation" in bad.flags[0].comment
    labels = check.beautify("Hits/h", hist(SHAPES[3]), bad)
    assert labels[0].text == "Bad"


def test_null_cases_and_worst_of(repo: LocalRepository) -> None:
    no_run = check_with(repo, comparatorName="ObjectComparatorDeviation", threshold="0.1")
    no_run.start_of_activity(ACTIVITY)
    result = no_run.check({"Hits/h": hist(SHAPES[2])}, ACTIVITY)
    assert result == Quality.NULL and result.flags[0].comment == "h No reference run provided"
    missing = check_with(
        repo, comparatorName="ObjectComparatorDeviation", threshold="0.1", referenceRun="7"
    )
    missing.start_of_activity(ACTIVITY)
    assert missing.check({"Hits/h": hist(SHAPES[2])}, ACTIVITY).flags[0].comment == (
        "h Reference plot not found"
    )
    both = check_with(
        repo, comparatorName="ObjectComparatorDeviation", threshold="0.1", referenceRun="1"
    )
    both.start_of_activity(ACTIVITY)
    # a Null (no reference for A/x) and a Good: Null is the worst (QC's result would be Good)
    result = both.check({"A/x": hist(SHAPES[2]), "B/h": hist(SHAPES[2])}, ACTIVITY)
    assert result == Quality.NULL
    assert [f.comment for f in result.flags] == ["x Reference plot not found"]


def test_unknown_comparator_is_a_config_error(repo: LocalRepository) -> None:
    check = check_with(repo, comparatorName="ObjectComparatorChi3", threshold="1")
    with pytest.raises(InvalidInput, match=r"qc\.checks\.Ref\.checkParameters\.comparatorName"):
        check.start_of_activity(ACTIVITY)
