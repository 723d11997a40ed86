"""Synthetic MCH data: real-shaped maps of QC's classes on O2's mapping, the runs MCH has, and
the issues of the bad runs."""

from __future__ import annotations

from functools import cache

import numpy as np

from qcflow.demo.datasets import Recording
from qcflow.demo.mch import MCH_ISSUES, MCH_STRIDE, MchIssue, fill_mch, mch_objects, mch_run_indices
from qcflow.demo.vertexing import vertexing_runs
from qcflow.modules.mch.elecmap import ElecMapSummary, reduce_elec_map
from qcflow.modules.mch.mapping import CHANNELS, O2_BOARDS, de_index, load_o2_mapping
from qcflow.objects.ratio import HistogramRatio, decode_ratio
from qcflow.objects.root import decode_histogram, object_class

RUN = vertexing_runs(1)[0]
RATIO = "o2::quality_control_modules::common::TH2Ratio<TH2F>"


@cache
def objects(index: int | None) -> dict[str, dict[str, object]]:
    issue = MCH_ISSUES.get(index) if index is not None else None
    return mch_objects(np.random.default_rng(3), RUN, issue)  # type: ignore[return-value]


def summary(issue: MchIssue | None, key: str, source: str) -> ElecMapSummary:
    index = next((i for i, v in MCH_ISSUES.items() if v is issue), None)
    ratio = objects(index)[key][source]
    assert isinstance(ratio, HistogramRatio)
    low, high = (1e-6, 10.0) if key == "Digits" else (-np.inf, np.inf)
    return reduce_elec_map(ratio, load_o2_mapping(), low, high)


def test_the_stored_maps_are_qcs_classes_with_o2s_layout() -> None:
    recording = Recording()
    fill_mch(recording, runs=1, passes=("apass1",))  # type: ignore[arg-type]
    stored = {path.rsplit("/", 1)[1]: (data, options) for path, data, options in recording.calls}
    for name in ("Occupancy_Elec", "OccupancySignal_Elec", "Pseudoeff_Elec"):
        data, options = stored[name]
        assert object_class(data) == RATIO == options["metadata"]["ObjectType"]
        ratio = decode_ratio(data)
        assert ratio.ratio.inner().shape == ratio.num.inner().shape == (O2_BOARDS, CHANNELS)
        x, y = ratio.ratio.axes
        assert (x.edges[0], x.edges[-1], len(x.edges)) == (0, O2_BOARDS, O2_BOARDS + 1)
        assert (y.edges[0], y.edges[-1], len(y.edges)) == (0, CHANNELS, CHANNELS + 1)
        assert ratio.uniform is (name != "Pseudoeff_Elec")
        assert ratio.den.inner().shape == ((1, 1) if ratio.uniform else (O2_BOARDS, CHANNELS))
    for name in ("DigitOrbit_Elec", "DigitSignalOrbit_Elec"):
        data, options = stored[name]
        orbits = decode_histogram(data)
        assert orbits.class_name == "TH2F" == options["metadata"]["ObjectType"]
        assert orbits.inner().shape == (O2_BOARDS, 130)
        assert (orbits.axes[1].edges[0], orbits.axes[1].edges[-1]) == (-1, 129)


def test_mch_has_every_sixth_run_and_its_bad_runs_span_the_period() -> None:
    assert mch_run_indices(50) == list(range(0, 50, MCH_STRIDE))
    assert mch_run_indices(1) == [0]
    assert set(MCH_ISSUES) <= set(mch_run_indices(50))
    assert min(MCH_ISSUES) <= 10 and max(MCH_ISSUES) >= 45  # early and late in the period
    assert 6 in mch_run_indices(7)  # run 550008, the README's example, has MCH
    verdicts = {(i.digits, i.preclusters) for i in MCH_ISSUES.values()}
    assert {"Medium", "Bad"} <= {v for pair in verdicts for v in pair}
    # the demo's tests run 18 runs: a Medium and a Bad MCH run among them
    assert {MCH_ISSUES[i].digits for i in mch_run_indices(18) if i in MCH_ISSUES} == {
        "Medium",
        "Bad",
    }
    recording = Recording()
    fill_mch(recording, runs=12, passes=("apass1",))  # type: ignore[arg-type]
    runs = {o["metadata"]["RunNumber"] for _, _, o in recording.calls}
    assert runs == {str(vertexing_runs(12)[i].number) for i in (0, 6)}


def test_rates_are_in_khz_and_fall_with_the_station() -> None:
    rates = summary(None, "Digits", "OccupancySignal_Elec")
    station = load_o2_mapping().station_of_index()
    assert 0.2 < rates.mean[station == 1].mean() < 0.4
    assert 0.02 < rates.mean[station == 5].mean() < 0.04
    assert rates.good_fraction().min() > 0.99


def test_a_hv_trip_kills_two_facing_slats() -> None:
    issue = MCH_ISSUES[6]
    rates = summary(issue, "Digits", "OccupancySignal_Elec")
    efficiency = summary(issue, "Preclusters", "Pseudoeff_Elec")
    for de in issue.dead:
        assert rates.mean[de_index(de)] == 0
        assert efficiency.mean[de_index(de)] == 0
    assert efficiency.mean[de_index(100)] > 0.9


def test_noisy_and_inefficient_des() -> None:
    noisy = summary(MCH_ISSUES[12], "Digits", "OccupancySignal_Elec")
    assert all(noisy.mean[de_index(de)] > 1.0 for de in MCH_ISSUES[12].noisy)
    low = summary(MCH_ISSUES[30], "Preclusters", "Pseudoeff_Elec")
    assert all(0.5 < low.mean_bending[de_index(de)] < 0.6 for de in MCH_ISSUES[30].inefficient)
