"""Slicing maths (qcflow.postprocessing.slices.slicing) against values computed by hand.

The histograms are small and regular so that every expected number below can be checked with
pencil and paper: a TH1 of 10 unit bins on [0, 10) with contents 1..10 (and sumw2 = contents),
a TH2 of 4 x 3 unit bins with contents 10 * (x bin) + (y bin).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcflow.objects.root import Axis, Histogram
from qcflow.postprocessing.config.values import parse_leading_float
from qcflow.postprocessing.slices.reductors import TH1SliceReductor, TH2SliceReductor
from qcflow.postprocessing.slices.slicing import find_bin, slice_bins, slice_th1, slice_th2


def th1(stats: dict[str, float] | None = None) -> Histogram:
    values = np.concatenate([[100.0], np.arange(1.0, 11.0), [200.0]])  # flow bins: never sliced
    h = Histogram("TH1D", "h", "h", (Axis(np.arange(0.0, 11.0)),), values, values.copy(), 99.0)
    h.stats = stats or {"fTsumw": 55.0, "fTsumw2": 55.0, "fTsumwx": 300.0, "fTsumwx2": 2000.0}
    return h


def th2() -> Histogram:
    values = np.zeros((6, 5))
    for i in range(1, 5):
        for j in range(1, 4):
            values[i, j] = 10 * i + j
    axes = (Axis(np.arange(0.0, 5.0)), Axis(np.arange(0.0, 4.0)))
    h = Histogram("TH2D", "h2", "h2", axes, values, values.copy(), float(values.sum()))
    h.stats = {
        "fTsumw": 1.0,
        "fTsumw2": 1.0,
        "fTsumwx": 2.0,
        "fTsumwx2": 5.0,
        "fTsumwy": 3.0,
        "fTsumwy2": 10.0,
        "fTsumwxy": 0.0,
    }
    return h


EDGES = np.arange(0.0, 11.0)


def test_find_bin_is_roots() -> None:
    assert [find_bin(EDGES, x) for x in (-0.1, 0.0, 0.99, 1.0, 9.99, 10.0, 50.0)] == [
        0,
        1,
        1,
        2,
        10,
        11,
        11,
    ]


@pytest.mark.parametrize(
    ("lo", "hi", "bins"),
    [
        (2.3, 5.7, (3, 6)),  # edges inside bins: the bins whose centres are in the slice
        (2.5, 5.5, (3, 5)),  # an edge on a centre: [lo, hi) -- the low one in, the high one out
        (2.0, 5.0, (3, 5)),  # edges on bin edges
        (3.2, 3.8, (4, 4)),  # one bin
        (3.6, 3.9, (5, 4)),  # no bin centre at all: empty
        (-5.0, 1.2, (1, 1)),  # below the axis: clipped to the first bin
        (8.7, 400.0, (10, 10)),  # above the axis: clipped to the last bin
    ],
)
def test_slice_bins(lo: float, hi: float, bins: tuple[int, int]) -> None:
    assert slice_bins(EDGES, lo, hi) == bins


def test_th1_slice_cut_by_edges() -> None:
    [s] = slice_th1(th1(), [2.3, 5.7])
    # bins 3..6: centres 2.5, 3.5, 4.5, 5.5 with contents 3, 4, 5, 6
    assert s.entries == 18
    mean = (3 * 2.5 + 4 * 3.5 + 5 * 4.5 + 6 * 5.5) / 18
    var = (3 * 2.5**2 + 4 * 3.5**2 + 5 * 4.5**2 + 6 * 5.5**2) / 18 - mean**2
    assert s.meanX == pytest.approx(77 / 18)
    assert s.meanX == pytest.approx(mean)
    assert s.stddevX == pytest.approx(math.sqrt(var))
    assert s.errMeanX == pytest.approx(math.sqrt(var) / math.sqrt(18))
    assert s.meanY == pytest.approx(4.5)
    assert s.stddevY == pytest.approx(math.sqrt(5 / 3))  # (2.25 + 0.25 + 0.25 + 2.25) / 3
    assert s.errMeanY == pytest.approx(math.sqrt(5 / 3 / 4))
    assert (s.sliceLabelX, s.sliceLabelY) == (4.0, 0.0)
    assert s.title == "h - RangeX: [2.3, 5.7]"


def test_th1_one_bin_slice() -> None:
    [s] = slice_th1(th1(), [3.2, 3.8])
    # bin 4 alone: content 4, error sqrt(4) = 2
    assert (s.entries, s.meanX, s.stddevX, s.errMeanX) == (4, 3.5, 0, 0)
    assert (s.meanY, s.stddevY, s.errMeanY) == (4, 2 * 2, 2)


def test_th1_empty_slice() -> None:
    [s] = slice_th1(th1(), [3.6, 3.9])
    assert (s.entries, s.meanX, s.stddevX, s.errMeanX) == (0, 0, 0, 0)
    assert math.isnan(s.meanY) and math.isnan(s.stddevY) and math.isnan(s.errMeanY)


def test_th1_several_slices_cover_each_bin_once() -> None:
    slices = slice_th1(th1(), [0.0, 2.7, 3.1, 10.0])
    assert [s.entries for s in slices] == [1 + 2 + 3, 0, 4 + 5 + 6 + 7 + 8 + 9 + 10]
    assert [s.sliceLabelX for s in slices] == pytest.approx([1.35, 2.9, 6.55])


def test_th1_without_slicing_uses_stored_sums_and_integral() -> None:
    [s] = slice_th1(th1(), [])
    assert s.entries == 55  # the integral of bins 1..10, not fEntries (99)
    assert s.meanX == pytest.approx(300 / 55)  # stored sums, not bin centres
    assert s.stddevX == pytest.approx(math.sqrt(2000 / 55 - (300 / 55) ** 2))
    assert s.meanY == pytest.approx(5.5)
    assert s.stddevY == pytest.approx(np.std(np.arange(1, 11), ddof=1))
    assert (s.sliceLabelX, s.title) == (5.0, "h - RangeX (default): [0.0, 10.0]")
    assert slice_th1(th1(), [4.0]) == [s]  # one edge: no slicing either


def test_th2_slices_x_outer_y_inner() -> None:
    slices = slice_th2(th2(), [0.0, 2.0, 4.0], [0.5, 2.5])
    assert len(slices) == 2
    first = slices[0]
    # x bins 1-2, y bins 1-2: contents 11 12 / 21 22
    assert first.entries == 66
    assert first.meanX == pytest.approx((23 * 0.5 + 43 * 1.5) / 66)
    assert first.meanY == pytest.approx((32 * 0.5 + 34 * 1.5) / 66)
    var_y = (32 * 0.25 + 34 * 2.25) / 66 - (67 / 66) ** 2
    assert first.stddevY == pytest.approx(math.sqrt(var_y))
    assert first.errMeanY == pytest.approx(math.sqrt(var_y) / math.sqrt(66))
    assert (first.sliceLabelX, first.sliceLabelY) == (1.0, 1.5)
    assert first.title == "h2 - RangeX: [0.0, 2.0] and RangeY: [0.5, 2.5]"
    assert slices[1].entries == 31 + 32 + 41 + 42


def test_th2_order_and_default_ranges() -> None:
    slices = slice_th2(th2(), [0.0, 1.0, 2.0], [0.0, 1.0, 3.0])
    assert [(s.sliceLabelX, s.sliceLabelY) for s in slices] == [
        (0.5, 0.5),
        (0.5, 2.0),
        (1.5, 0.5),
        (1.5, 2.0),
    ]
    assert [s.entries for s in slices] == [11, 12 + 13, 21, 22 + 23]
    [whole] = slice_th2(th2(), [], [])
    assert whole.title == "h2 - RangeX (default): [0.0, 4.0] and RangeY (default): [0.0, 3.0]"
    assert (whole.meanX, whole.meanY) == (2.0, 3.0)  # stored sums


def test_reductors_check_the_dimension_and_return_arrays() -> None:
    reductor = TH2SliceReductor()
    reductor.configure_slices([[0.0, 2.0, 4.0], [0.0, 1.0, 2.0, 3.0]])
    assert reductor.count == 6
    values = reductor.reduce(th2())
    assert values is not None
    np.testing.assert_array_equal(values["sliceLabelY"], [0.5, 1.5, 2.5] * 2)
    assert reductor.reduce(th1()) is None
    assert TH1SliceReductor().reduce(th2()) is None


@given(st.floats(allow_nan=False, allow_infinity=False, width=32))
def test_edges_read_like_stof(value: float) -> None:
    text = repr(value)
    assert parse_leading_float(text) == (value, True)
    assert parse_leading_float(text + ".") == (value, False)
    assert parse_leading_float(text + "abc")[0] == value
    assert parse_leading_float("x" + text) == (None, False)
