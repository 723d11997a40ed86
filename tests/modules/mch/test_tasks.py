"""DigitsPostProcessing and PreclustersPostProcessing through the engine, on the demo's data."""

from __future__ import annotations

import numpy as np
import pytest

from qcflow.demo.mch import MCH_ISSUES, fill_mch, mch_run_indices
from qcflow.demo.vertexing import DemoRun
from qcflow.modules.mch.checks import DigitsCheck, PreclustersCheck
from qcflow.modules.mch.mapping import de_index, load_o2_mapping
from qcflow.objects.activity import Activity
from qcflow.objects.codec import decode
from qcflow.objects.ratio import decode_ratio
from qcflow.objects.root import Histogram
from qcflow.qcdb.local import LocalRepository
from tests.modules.conftest import run_engine, shipped

ACTIVITY = Activity(0, "PHYSICS", "LHC24ab", "apass1", "qc_async")


@pytest.fixture(scope="module")
def processed(tmp_path_factory: pytest.TempPathFactory) -> tuple[LocalRepository, list[DemoRun]]:
    store = LocalRepository(tmp_path_factory.mktemp("mch") / "qcdb", fsync=False)
    runs = fill_mch(store, runs=13, passes=("apass1",))  # MCH runs 0, 6 (Bad), 12 (Medium)
    run_engine(shipped("mch", store))
    return store, runs


def outputs(store: LocalRepository, task: str, run: DemoRun) -> dict[str, object]:
    filters = {"RunNumber": str(run.number)}
    out = {}
    for info in store.latest(f"qc_async/MCH/MO/{task}/.*", filters):
        fetched = store.get(info.path, run.sor, filters)
        out[info.path.split(f"/MO/{task}/", 1)[1]] = decode(fetched.data, fetched.info)
    return out


def test_mean_rates_per_de_from_the_source_map(processed: tuple) -> None:
    store, runs = processed
    run = runs[0]
    source = decode_ratio(store.get("qc_async/MCH/MO/Digits/OccupancySignal_Elec", run.sor).data)
    published = outputs(store, "Digits", run)
    mean_rate = published["RatesSignal/MeanRate"]
    assert isinstance(mean_rate, Histogram)
    mapping = load_o2_mapping()
    rates = source.ratio.inner()
    for de in (mapping.des[0], mapping.des[77], mapping.des[-1]):
        pads = mapping.connected & (mapping.ds_de_index == de.index)[:, None]
        assert mean_rate.inner()[de.index] == pytest.approx(rates[pads].mean(), rel=1e-5)
    # One input per run: the last cycle is the whole run.
    assert np.allclose(published["RatesSignal/LastCycle/MeanRate"].inner(), mean_rate.inner())
    assert published["RatesSignal/MeanRateRefRatio"].entries == 0  # no reference configured
    assert published["Orbits/DigitOrbitInTFDE"].inner().sum() > 0


def test_trend_plots_are_drawn_once_at_the_last_run(processed: tuple) -> None:
    store, runs = processed
    versions = store.browse("qc_async/MCH/MO/Digits/Trends/RatesSignal/ChamberRates")
    assert [v.metadata["RunNumber"] for v in versions] == [str(runs[-1].number)]
    # a ROOT graph at QC's path (drawn by QCG with its axes); no PNG next to it: the report
    # draws one from the graph (tests/report)
    assert versions[0].content_type == "application/root"
    assert versions[0].metadata["ObjectType"] == "TMultiGraph"
    assert versions[0].metadata["drawOptions"] == "A"
    assert not store.browse("qc_async/MCH/MO/Digits/Trends/RatesSignal/ChamberRates.png")
    assert not store.browse("qc_async/MCH/MO/.*[.]png")
    assert store.browse("qc_async/MCH/MO/Preclusters/Trends/Efficiency/ChamberEfficiency")


def test_the_checks_flag_the_bad_runs(processed: tuple) -> None:
    store, runs = processed
    config = shipped("mch", store)
    digits, preclusters = DigitsCheck(), PreclustersCheck()
    digits.configure(config.checks["DigitsCheck"])
    preclusters.configure(config.checks["PreclustersCheck"])
    assert {MCH_ISSUES[i].digits for i in mch_run_indices(len(runs)) if i in MCH_ISSUES} == {
        "Medium",
        "Bad",
    }
    for index in mch_run_indices(len(runs)):
        run, issue = runs[index], MCH_ISSUES.get(index)
        for check, task, expected in (
            (digits, "Digits", issue.digits if issue else "Good"),
            (preclusters, "Preclusters", issue.preclusters if issue else "Good"),
        ):
            objects = {f"{task}/{k}": v for k, v in outputs(store, task, run).items()}
            assert check.check(objects, ACTIVITY).name == expected, (index, task)


def test_a_reference_run_gives_ratios(tmp_path) -> None:
    store = LocalRepository(tmp_path / "qcdb", fsync=False)
    runs = fill_mch(store, runs=7, passes=("apass1",))  # MCH runs 0 and 6 (an HV trip)
    extra = (
        f"qc.postprocessing.Preclusters.taskParameters.ReferenceTimeStamp={runs[0].sor};"
        "qc.postprocessing.Digits.active=false;"
    )
    run_engine(shipped("mch", store, extra))
    first = outputs(store, "Preclusters", runs[0])
    ratio = first["Efficiency/MeanEfficiencyRefRatioB"]
    assert ratio.entries > 0 and np.allclose(ratio.inner(), 1.0)
    # The HV trip of run 6: no efficiency on its two slats, the others as in the reference.
    second = outputs(store, "Preclusters", runs[6])["Efficiency/MeanEfficiencyRefRatioB"]
    dead = [de_index(de) for de in MCH_ISSUES[6].dead]
    assert np.all(second.inner()[dead] == 0)
    others = np.delete(second.inner(), dead)
    assert not np.allclose(others, 1.0)
    assert np.allclose(others, 1.0, atol=0.1)
    store.close()
