"""MCH post-processing against QC's C++ (issue 18's numbered differences): each test crafts an
input and expects the value C++ QC computes from it, with the source line it follows.

Sources (AliceO2Group/QualityControl, ``Modules/MUON/MCH/src/``): ClusterChargeReductor.cxx,
OrbitsPlotter.cxx, RatesTrendsPlotter.cxx, TH2ElecMapReductor.cxx, ClusterChargePlotter.cxx,
DigitsCheck.cxx, DigitsPostProcessing.cxx.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import numpy as np
import pytest

from qcflow.demo.mch import fill_mch
from qcflow.demo.store import store_object
from qcflow.modules.mch.checks import DigitsCheck
from qcflow.modules.mch.digits import DigitsPostProcessing, orbit_map
from qcflow.modules.mch.elecmap import O2_BOARDS, elec_mapping, reduce_elec_map
from qcflow.modules.mch.mapping import CHANNELS, NUM_DE, load_mapping, load_o2_mapping
from qcflow.modules.mch.plots import de_histogram
from qcflow.modules.mch.preclusters import charge_mpv
from qcflow.objects.activity import Activity
from qcflow.objects.ratio import HistogramRatio, decode_ratio, encode_ratio
from qcflow.objects.root import Axis, Histogram, decode_histogram, encode_histogram
from qcflow.qcdb.local import LocalRepository
from tests.modules.conftest import run_engine, shipped
from tests.modules.mch.test_checks import make
from tests.modules.mch.test_tasks import outputs

ACTIVITY = Activity(0, "PHYSICS", "LHC24ab", "apass1", "qc_async")
HERE = "tests.modules.mch.test_cpp_fidelity"
FIT = (
    "a 100 x 64 map fits neither MCH mapping (O2's 16820 boards, qcflow's reduced 572; x 64 "
    "channels, a denominator of one cell or of the map's shape)"
)


class RecordingDigits(DigitsPostProcessing):
    """The task as the engine runs it, kept for the test to read its trends and limits."""

    made: ClassVar[list[DigitsPostProcessing]] = []

    def configure(self, config: Any) -> None:
        super().configure(config)
        RecordingDigits.made.append(self)


def digits_only(store: LocalRepository, extra: str = "") -> str:
    return (
        f"qc.postprocessing.Digits.className=python:{HERE}:RecordingDigits;"
        f"qc.postprocessing.Preclusters.active=false;{extra}"
    )


def test_1_the_mpv_of_an_empty_de_is_the_centre_of_bin_1() -> None:
    # ClusterChargeReductor.cxx:60-63: ProjectionY, GetMaximumBin (bin 1 when all bins are 0,
    # the first of equal maxima), GetBinCenter -- no special case for an empty DE.
    counts = np.zeros((NUM_DE, 256))
    counts[3, 10] = counts[3, 20] = 7.0
    h = Histogram.from_counts(
        "TH2F", "c", "", (Axis(np.arange(NUM_DE + 1.0)), Axis(np.linspace(0, 12800, 257))), counts
    )
    mpv = charge_mpv(h)
    assert mpv[0] == 25.0  # empty: centre of [0, 50)
    assert mpv[3] == 525.0  # first of the two highest bins: [500, 550)


def test_2_orbits_are_truncated_toward_zero() -> None:
    # OrbitsPlotter.cxx:76-77: `int orbit = GetYaxis()->GetBinCenter(j)` (truncation), then
    # FindBin(orbit) on 768 bins over [-384, 384): centre -0.5 -> 0 -> bin [0, 1).
    mapping = load_mapping()
    values = np.zeros((mapping.num_ds, 4))
    values[0] = (1.0, 2.0, 4.0, 8.0)  # orbit bins centred at -1.5, -0.5, 0.5, 1.5
    source = Histogram.from_counts(
        "TH2F",
        "o",
        "",
        (Axis(np.arange(mapping.num_ds + 1.0)), Axis(np.linspace(-2, 2, 5))),
        values,
    )
    out = orbit_map("DigitOrbitInTFDE", source, mapping).inner()[mapping.ds_de_index[0]]
    assert out[383] == 1.0  # int(-1.5) = -1 -> [-1, 0)
    assert out[384] == 6.0  # int(-0.5) = 0 and int(0.5) = 0 -> [0, 1)
    assert out[385] == 8.0  # int(1.5) = 1


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[LocalRepository, Any, Any]:
    store = LocalRepository(tmp_path_factory.mktemp("mch") / "qcdb", fsync=False)
    runs = fill_mch(store, runs=1, passes=("apass1",))
    RecordingDigits.made.clear()
    run_engine(shipped("mch", store, digits_only(store)))
    return store, runs[0], RecordingDigits.made[-1]


def test_3_orbit_trends_plot_the_mean_denominator_and_chamber_graphs_are_published(
    digits_run: tuple[LocalRepository, Any, Any],
) -> None:
    # RatesTrendsPlotter.cxx:93 (`mOrbits->update(time, mReductor->getOrbits())`) with
    # TH2ElecMapReductor's getOrbits() = the mean denominator of the pads with statistics:
    # for a uniform rate map, orbits x 0.0891 -- not divided by 0.0891.
    store, run, task = digits_run
    for key, name in (("rate", "Occupancy_Elec"), ("rate_signal", "OccupancySignal_Elec")):
        source = decode_ratio(store.get(f"qc_async/MCH/MO/Digits/{name}", run.sor).data)
        den = float(np.float32(source.den.inner()[0, 0]))
        assert task.orbit_trends[key].values["orbits"] == [pytest.approx(den, rel=1e-6)]
    # RatesTrendsPlotter's constructor: `{path}Orbits` and `{path}ST{st}/Rates_CH{ch}` for both
    # Rates/ and RatesSignal/.
    names = {i.path.split("/MO/Digits/", 1)[1] for i in store.latest("qc_async/MCH/MO/Digits/.*")}
    for prefix in ("Trends/Rates/", "Trends/RatesSignal/"):
        assert f"{prefix}Orbits" in names
        for chamber in range(1, 11):
            assert f"{prefix}ST{(chamber + 1) // 2}/Rates_CH{chamber}" in names


def test_7_channel_rate_limits_are_read_from_task_parameters_only(
    digits_run: tuple[LocalRepository, Any, Any],
) -> None:
    # DigitsPostProcessing.cxx reads ChannelRateMin/Max with getConfigurationParameter from
    # taskParameters (defaults 0 and 100); mch.json's `customization` values are never read.
    _, _, task = digits_run
    assert (task.low, task.high) == (0.0, 100.0)


def test_7_task_parameters_still_set_the_limits(tmp_path: Any, caplog: Any) -> None:
    store = LocalRepository(tmp_path / "qcdb", fsync=False)
    fill_mch(store, runs=1, passes=("apass1",))
    extra = digits_only(store, "qc.postprocessing.Digits.taskParameters.ChannelRateMax=10;")
    RecordingDigits.made.clear()
    with caplog.at_level(logging.WARNING):
        run_engine(shipped("mch", store, extra))
    assert (RecordingDigits.made[-1].low, RecordingDigits.made[-1].high) == (0.0, 10.0)
    assert "customization ChannelRateMax=10 is not read" in caplog.text
    store.close()


def test_4_charge_and_size_ratios_are_1_without_a_reference(tmp_path: Any) -> None:
    # ClusterChargePlotter.cxx: mHistogramChargePerDERef always exists (all 0 without a
    # reference); update() divides by it and sets 1 (error 0) where it is 0. Same for sizes.
    store = LocalRepository(tmp_path / "qcdb", fsync=False)
    runs = fill_mch(store, runs=1, passes=("apass1",))
    run_engine(shipped("mch", store, "qc.postprocessing.Digits.active=false;"))
    published = outputs(store, "Preclusters", runs[0])
    for name in (
        "ClusterCharge/ClusterChargeMPVRefRatio",
        "ClusterSize/MeanClusterSizeRefRatioB",
        "ClusterSize/MeanClusterSizeRefRatioNB",
        "ClusterSize/MeanClusterSizeRefRatio",
        "ClusterCharge/LastCycle/ClusterChargeMPVRefRatio",
    ):
        ratio = published[name]
        assert isinstance(ratio, Histogram) and ratio.entries > 0, name
        assert np.array_equal(ratio.inner(), np.ones(NUM_DE)), name
    # The efficiency ratios stay empty without a reference (the checks skip them).
    assert published["Efficiency/MeanEfficiencyRefRatioB"].entries == 0
    store.close()


def test_5_the_good_fraction_is_judged_as_the_stored_float32() -> None:
    # DigitsCheck.cxx compares h->GetBinContent(i) of the TH1F (float32 storage) with
    # MinGoodFraction: 4095/4550 is 0.9 in double but 0.89999998 as a float -> Bad.
    values = np.ones(NUM_DE)
    values[5] = 4095 / 4550
    assert values[5] >= 0.9  # the in-memory double passes
    plot = de_histogram("GoodChannelsFraction", "", values)
    check = make(DigitsCheck, MinGoodFraction="0.9")
    engine = check.check({"RatesSignal/LastCycle/GoodChannelsFraction": plot}, ACTIVITY)
    stored = decode_histogram(encode_histogram(plot))
    recheck = check.check({"RatesSignal/LastCycle/GoodChannelsFraction": stored}, ACTIVITY)
    mapping = load_mapping()
    bad_de = mapping.de_by_index()[5].id
    for quality in (engine, recheck):
        assert quality.name == "Good"  # one bad DE: below MaxBadDE
        assert any(f.comment == f"Bad DEs: {bad_de}" for f in quality.flags)


def test_a_map_of_another_layout_is_an_error_in_the_log_and_the_flag(
    tmp_path: Any, caplog: Any
) -> None:
    store = LocalRepository(tmp_path / "qcdb", fsync=False)
    runs = fill_mch(store, runs=1, passes=("apass1",))
    run = runs[0]
    axes = (Axis(np.arange(101.0)), Axis(np.arange(CHANNELS + 1.0)))
    wrong = HistogramRatio.from_counts(
        "OccupancySignal_Elec", "", axes, np.ones((100, CHANNELS)), 8.9
    )
    activity = Activity(run.number, "PHYSICS", "LHC24ab", "apass1", "qc_async")
    store_object(
        store,
        activity,
        (run.sor, run.eor),
        detector="MCH",
        task="Digits",
        task_class="DigitsTask",
        name="OccupancySignal_Elec",
        data=encode_ratio(wrong),
        object_type=wrong.object_type,
    )
    with caplog.at_level(logging.ERROR):
        run_engine(shipped("mch", store, "qc.postprocessing.Preclusters.active=false;"))
    assert FIT in caplog.text
    published = {f"Digits/{k}": v for k, v in outputs(store, "Digits", run).items()}
    quality = make(DigitsCheck).check(published, ACTIVITY)
    assert quality.name == "Null"
    assert [f.comment for f in quality.flags] == [
        f"Digits/RatesSignal/LastCycle/{name}: MCH/MO/Digits/OccupancySignal_Elec: {FIT}"
        for name in ("GoodChannelsFraction", "MeanRate")
    ]
    store.close()


def test_a_map_of_o2s_layout_is_read_with_o2s_mapping(tmp_path: Any) -> None:
    # QC's maps: x = O2's DsIndex (16,820 boards), y = channel; a pad counts only where O2's
    # mapping connects a channel (TH2ElecMapReductor: findPadByFEE < 0 -> skipped).
    mapping = load_o2_mapping()
    counts = np.where(mapping.connected, 3.0, 7.0)  # unconnected channels: noise to ignore
    de505 = next(d for d in mapping.des if d.id == 505)
    counts[mapping.ds_de_index == de505.index] *= 2
    axes = (Axis(np.arange(O2_BOARDS + 1.0)), Axis(np.arange(CHANNELS + 1.0)))
    ratio = HistogramRatio.from_counts("Occupancy_Elec", "", axes, counts, 3.0)
    assert elec_mapping(ratio) is mapping
    summary = reduce_elec_map(ratio, mapping, 0.0, 100.0)
    assert summary.mean[de505.index] == 2.0
    assert np.count_nonzero(summary.mean == 1.0) == NUM_DE - 1
    assert int(summary.pads.sum()) == 1063528


def test_an_object_that_is_no_ratio_map_is_an_error_in_the_log_and_the_flag(
    tmp_path: Any, caplog: Any
) -> None:
    store = LocalRepository(tmp_path / "qcdb", fsync=False)
    run = fill_mch(store, runs=1, passes=("apass1",))[0]
    older = "o2::quality_control_modules::common::MergeableTH2Ratio"  # QC's class before 2022
    plain = Histogram.from_counts(
        "TH2F",
        "OccupancySignal_Elec",
        "",
        (Axis(np.arange(3.0)), Axis(np.arange(3.0))),
        np.ones((2, 2)),
    )
    activity = Activity(run.number, "PHYSICS", "LHC24ab", "apass1", "qc_async")
    store_object(
        store,
        activity,
        (run.sor, run.eor),
        detector="MCH",
        task="Digits",
        task_class="DigitsTask",
        name="OccupancySignal_Elec",
        data=encode_histogram(plain),
        object_type=older,
    )
    with caplog.at_level(logging.ERROR):
        run_engine(shipped("mch", store, "qc.postprocessing.Preclusters.active=false;"))
    why = f"MCH/MO/Digits/OccupancySignal_Elec: a {older}, not one of QC's ratio maps"
    assert why in caplog.text
    published = {f"Digits/{k}": v for k, v in outputs(store, "Digits", run).items()}
    quality = make(DigitsCheck).check(published, ACTIVITY)
    assert quality.name == "Null"
    assert all(why in f.comment for f in quality.flags) and len(quality.flags) == 2
    store.close()
