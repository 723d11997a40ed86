"""DigitsCheck and PreclustersCheck: per-DE rules, QC's verdict over DEs, QualityFlagPerDE."""

from __future__ import annotations

import numpy as np
import pytest

from qcflow.modules.mch.checks import DigitsCheck, PreclustersCheck, QualityChecker
from qcflow.modules.mch.mapping import NUM_DE, de_index, load_mapping
from qcflow.modules.mch.plots import de_histogram, empty_de_histogram
from qcflow.modules.mch.task import quality_flag_holder
from qcflow.objects.activity import Activity
from qcflow.objects.quality import Quality
from qcflow.postprocessing.config.check_config import CheckConfig
from qcflow.postprocessing.config.parameters import CustomParameters

ACTIVITY = Activity(1, "PHYSICS", "P", "apass1", "qc_async")


def verdict(bad: list[int], st12: int = 2, st345: int = 3) -> Quality:
    checker = QualityChecker(st12, st345)
    results = [Quality.GOOD] * NUM_DE
    for de in bad:
        results[de_index(de)] = Quality.BAD
    checker.add(results)
    return checker.verdict().quality


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        ([], "Good"),
        ([505, 605], "Bad"),  # same station, same side and position: a hole
        ([505, 606], "Bad"),  # slats: neighbours count too
        ([505, 607], "Good"),
        ([505, 504], "Good"),  # same chamber
        ([505, 705], "Good"),  # different stations of ST3-5
        ([101, 401], "Bad"),  # quadrants: any two chambers of ST1-2
        ([101, 402], "Good"),
        ([101, 201, 300], "Bad"),
        ([100, 202, 303], "Medium"),  # three bad quadrants > 2, none facing
        ([502, 615, 706, 820, 911, 1003], "Medium"),  # six slats > 3
    ],
)
def test_the_verdict_over_des(bad: list[int], expected: str) -> None:
    assert verdict(bad).name == expected


def test_nothing_checked_is_null_and_bad_sticks() -> None:
    checker = QualityChecker(2, 3)
    assert checker.verdict().quality == Quality.NULL
    bad = [Quality.BAD] * NUM_DE
    checker.add(bad)
    checker.add([Quality.GOOD] * NUM_DE)
    assert checker.qualities == bad


def make(cls: type, **parameters: str) -> DigitsCheck | PreclustersCheck:
    check = cls()
    check.configure(
        CheckConfig("C", "C", "mch", "QcMuonChambers", parameters=CustomParameters.flat(parameters))
    )
    return check


def test_digits_check_reads_the_named_plots_and_skips_empty_ratios() -> None:
    rates = np.full(NUM_DE, 0.1)
    rates[de_index(505)] = rates[de_index(605)] = 0.0
    objects = {
        "Digits/RatesSignal/MeanRate": de_histogram("RatesSignal/MeanRate", "", rates),
        "Digits/RatesSignal/MeanRateRefRatio": empty_de_histogram("x", ""),
        "Digits/Rates/MeanRate": de_histogram("Rates/MeanRate", "", np.zeros(NUM_DE)),
        "Digits/QualityFlagPerDE": quality_flag_holder(load_mapping()),
    }
    check = make(DigitsCheck, MeanRateHistName="RatesSignal/MeanRate", MinRate="0.01")
    quality = check.check(objects, ACTIVITY)
    assert quality == Quality.BAD
    assert [f.comment for f in quality.flags] == [
        "Bad DEs: 505 605",
        "DE505 and DE605 face each other",
    ]
    flags = check.beautify("Digits/QualityFlagPerDE", objects["Digits/QualityFlagPerDE"], quality)
    rows = flags.inner().argmax(axis=1)
    assert rows[de_index(505)] == 0 and rows[de_index(100)] == 2  # Bad row, Good row
    lines = check.beautify("Digits/RatesSignal/MeanRate", objects["Digits/Rates/MeanRate"], quality)
    assert [line.y for line in lines] == [0.01, 10.0]  # MinRate, MaxRate
    assert (
        check.beautify("Digits/Rates/MeanRate", objects["Digits/Rates/MeanRate"], quality) is None
    )


def test_a_filled_ratio_plot_is_checked_both_ways() -> None:
    ratio = np.ones(NUM_DE)
    ratio[de_index(100)] = 1.3
    objects = {"Digits/RatesSignal/LastCycle/MeanRateRefRatio": de_histogram("r", "", ratio)}
    assert make(DigitsCheck, MaxRateDelta="0.2").check(objects, ACTIVITY) == Quality.GOOD
    assert (
        "Bad DEs: 100"
        in make(DigitsCheck, MaxRateDelta="0.2").check(objects, ACTIVITY).flags[0].comment
    )


def test_preclusters_check_judges_each_cathode() -> None:
    bending = np.full(NUM_DE, 0.95)
    non_bending = np.full(NUM_DE, 0.95)
    non_bending[de_index(100)] = non_bending[de_index(200)] = 0.5
    objects = {
        "Preclusters/Efficiency/LastCycle/MeanEfficiencyB": de_histogram("b", "", bending),
        "Preclusters/Efficiency/LastCycle/MeanEfficiencyNB": de_histogram("nb", "", non_bending),
    }
    assert make(PreclustersCheck).check(objects, ACTIVITY) == Quality.BAD
