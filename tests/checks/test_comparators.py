"""Object comparators against computations written out independently (math only)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcflow.checks.common.comparators import (
    ObjectComparatorBinByBinDeviation,
    ObjectComparatorChi2,
    ObjectComparatorDeviation,
    ObjectComparatorKolmogorov,
    chi2_test,
    comparator_class,
    kolmogorov_test,
)
from qcflow.checks.common.statistics import chi2_probability, kolmogorov_probability
from qcflow.checks.common.thresholds import Thresholds
from qcflow.errors import InvalidInput
from qcflow.objects.activity import Activity
from qcflow.objects.quality import Quality
from qcflow.objects.root import Axis, Histogram
from qcflow.postprocessing.config.parameters import CustomParameters


def h1(counts: list[float], scale: float = 1.0, cls: str = "TH1F") -> Histogram:
    values = np.asarray([0.0, *counts, 0.0]) * scale
    variances = np.asarray([0.0, *counts, 0.0]) * scale * scale
    edges = np.arange(len(counts) + 1.0)
    return Histogram(cls, "h", "h", (Axis(edges),), values, variances, float(sum(counts)))


def configured(cls: type, **parameters: str) -> object:
    comparator = cls()
    comparator.configure(CustomParameters.flat(parameters), "plot", Activity())
    return comparator


# -- probability functions -------------------------------------------------------------------------


def upper_tail_even(chi2: float, ndf: int) -> float:
    """P(X >= chi2) for even ndf: exp(-x) * sum_{i < ndf/2} x^i / i!, x = chi2 / 2."""
    x = chi2 / 2
    return math.exp(-x) * sum(x**i / math.factorial(i) for i in range(ndf // 2))


@given(st.floats(0.01, 80.0), st.sampled_from([2, 4, 6, 10, 30]))
def test_chi2_probability_even_ndf(chi2: float, ndf: int) -> None:
    assert chi2_probability(chi2, ndf) == pytest.approx(
        upper_tail_even(chi2, ndf), rel=1e-9, abs=1e-300
    )


@given(st.floats(0.01, 50.0))
def test_chi2_probability_one_ndf_is_erfc(chi2: float) -> None:
    assert chi2_probability(chi2, 1) == pytest.approx(
        math.erfc(math.sqrt(chi2 / 2)), rel=1e-9, abs=1e-300
    )


def test_kolmogorov_probability_known_values() -> None:
    # tabulated values of the Kolmogorov distribution's tail
    assert kolmogorov_probability(1.0) == pytest.approx(0.26999967, abs=1e-6)
    assert kolmogorov_probability(1.36) == pytest.approx(0.04939, abs=1e-4)
    assert kolmogorov_probability(0.5) == pytest.approx(0.96394, abs=1e-4)
    assert kolmogorov_probability(0.1) == 1.0 and kolmogorov_probability(7.0) == 0.0


# -- Chi2 ----------------------------------------------------------------------------------------------


def test_chi2_against_the_formula() -> None:
    current, reference = [10, 20, 30, 0, 40], [12, 18, 35, 0, 30]
    s1, s2 = sum(current), sum(reference)
    chi2 = sum((s2 * a - s1 * b) ** 2 / (a + b) for a, b in zip(current, reference) if a + b) / (
        s1 * s2
    )
    ndf = 5 - 1 - 1  # one bin empty in both
    c = np.asarray(current, float)
    r = np.asarray(reference, float)
    assert chi2_test(c, c, r, r) == pytest.approx(chi2_probability(chi2, ndf))
    comparator = configured(ObjectComparatorChi2, threshold="0.5")
    quality, message = comparator.compare(h1(current), h1(reference))
    p = chi2_probability(chi2, ndf)
    assert (quality, message) == (
        (Quality.BAD, f"chi2 test failed: {p:.2f} < 0.50") if p < 0.5 else (Quality.GOOD, "")
    )


def test_chi2_undoes_a_scaled_reference_and_honours_ranges() -> None:
    current, reference = [10, 20, 30, 5, 40], [12, 18, 35, 9, 30]
    c = configured(ObjectComparatorChi2, threshold="0.01")
    scaled = c.compare(h1(current), h1(reference, scale=2.5))
    assert scaled == c.compare(h1(current), h1(reference))
    ranged = configured(ObjectComparatorChi2, threshold="0.99", rangeX="0,2")  # bins 1-2
    c2 = np.asarray(current[:2], float)
    r2 = np.asarray(reference[:2], float)
    p = chi2_test(c2, c2, r2, r2)
    assert ranged.compare(h1(current), h1(reference))[1] == f"chi2 test failed: {p:.2f} < 0.99"


@pytest.mark.parametrize(
    ("current", "reference", "message"),
    [
        (None, h1([1, 2, 3]), "missing objects"),
        (b"png", h1([1, 2, 3]), "objects are not TH1"),
        (h1([1, 2, 3], cls="TH1D"), h1([1, 2, 3]), "incompatible objects"),
        (h1([1, 2, 3]), h1([0, 0, 0]), "empty reference plot"),
        (h1([1, 2, 3]), h1([1, 2, 3, 4]), "incompatible number of bins"),
    ],
)
def test_refusals_are_null_with_a_message(current: object, reference: object, message: str) -> None:
    comparator = configured(ObjectComparatorDeviation, threshold="1")
    assert comparator.compare(current, reference) == (Quality.NULL, message)


def test_threshold_is_required_and_plot_specific_first() -> None:
    with pytest.raises(InvalidInput, match='threshold not found for plot "plot"'):
        configured(ObjectComparatorChi2)
    comparator = configured(ObjectComparatorChi2, **{"threshold": "0.1", "threshold:plot": "0.7"})
    assert comparator.threshold == 0.7
    assert comparator_class("ObjectComparatorChi2") is ObjectComparatorChi2


# -- Kolmogorov, deviations --------------------------------------------------------------------------


def test_kolmogorov_distance_and_probability() -> None:
    current, reference = [10, 20, 30, 40], [40, 30, 20, 10]
    # cumulative fractions: .1 .3 .6 1.0 vs .4 .7 .9 1.0 -> max distance 0.4
    c = np.asarray([0, *current, 0], float)
    r = np.asarray([0, *reference, 0], float)
    distance, p = kolmogorov_test(c, c, r, r)
    assert distance == pytest.approx(0.4)
    n = 100.0  # effective entries of each: sum^2 / sum of errors^2 = 100
    shape = kolmogorov_probability(0.4 * math.sqrt(n * n / (n + n)))
    norm = chi2_probability(0.0, 1)
    assert p == pytest.approx(shape * norm * (1 - math.log(shape * norm)))
    comparator = configured(ObjectComparatorKolmogorov, threshold="0.05")
    assert comparator.compare(h1(current), h1(current)) == (
        Quality.GOOD,
        "",
    )  # QC: Bad (distance 0)
    assert comparator.compare(h1(current), h1(reference))[0] == Quality.BAD
    by_distance = configured(ObjectComparatorKolmogorov, threshold="0.3", kolmogorovMode="distance")
    assert by_distance.compare(h1(current), h1(reference)) == (
        Quality.BAD,
        "Kolmogorov distance too large: 0.40 > 0.30",
    )


def test_deviation_and_bin_by_bin() -> None:
    current, reference = [11, 20, 15, 5], [10, 20, 10, 0]
    # |c - r| / r: 0.1, 0, 0.5, (r = 0) 0 -> mean 0.15; above 0.2: one bin
    deviation = configured(ObjectComparatorDeviation, threshold="0.1")
    assert deviation.compare(h1(current), h1(reference)) == (
        Quality.BAD,
        "large deviation: 0.15 > 0.10",
    )
    bins = configured(ObjectComparatorBinByBinDeviation, threshold="0.05")
    assert bins.compare(h1(current), h1(reference)) == (Quality.BAD, "bins above 0.05: 2 > 0")
    allowed = configured(ObjectComparatorBinByBinDeviation, threshold="0.05", maxAllowedBadBins="2")
    assert allowed.compare(h1(current), h1(reference)) == (Quality.GOOD, "")


def test_thresholds_by_interaction_rate() -> None:
    rated = Thresholds.parse("500:0.9,1.1;1000:0.8,1.2")
    assert rated.at_rate(750_000) == pytest.approx((0.85, 1.15))  # half-way, interpolated
    assert rated.at_rate(200_000) == (0.9, 1.1)  # only one above
    assert Thresholds.parse("0.5,2;100:1,3").at_rate(750_000) == (1, 3)
    assert Thresholds.parse("0.5,2").at_rate(750_000) == (0.5, 2)
    assert Thresholds.parse("").at_rate(1.0) is None
