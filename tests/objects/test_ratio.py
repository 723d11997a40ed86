"""QC's ratio histograms: uniform and per-cell denominators, round trips through bytes."""

from __future__ import annotations

import numpy as np
import pytest

from qcflow.errors import InvalidInput
from qcflow.objects.ratio import (
    HistogramRatio,
    decode_ratio,
    encode_ratio,
    is_ratio_class,
)
from qcflow.objects.root import Axis, Histogram, decode_histogram, encode_histogram

AXES = (Axis(np.arange(4.0)), Axis(np.arange(3.0)))


def test_uniform_scaling_divides_every_cell_by_one_number() -> None:
    counts = np.array([[0.0, 2.0], [4.0, 8.0], [1.0, 0.0]])
    r = HistogramRatio.from_counts("Occupancy_Elec", "rate", AXES, counts, 2.0)
    assert r.uniform
    assert np.array_equal(r.ratio.inner(), counts / 2.0)
    assert np.array_equal(r.denominators(), np.full((3, 2), 2.0))
    back = decode_ratio(encode_ratio(r))
    assert back.uniform
    assert np.allclose(back.ratio.inner(), counts / 2.0)
    assert np.allclose(back.num.inner(), counts)
    assert back.den.inner().shape == (1, 1)
    assert back.object_type == "o2::quality_control_modules::common::TH2FRatio"


def test_per_cell_denominators_give_zero_where_there_is_no_statistics() -> None:
    num = np.array([[1.0, 2.0], [0.0, 3.0], [5.0, 0.0]])
    den = np.array([[2.0, 4.0], [0.0, 3.0], [10.0, 0.0]])
    r = decode_ratio(encode_ratio(HistogramRatio.from_counts("eff", "", AXES, num, den)))
    assert not r.uniform
    assert np.allclose(r.ratio.inner(), [[0.5, 0.5], [0.0, 1.0], [0.5, 0.0]])
    assert np.allclose(r.denominators(), den)


def test_the_ratio_is_a_plain_histogram_for_other_readers() -> None:
    r = HistogramRatio.from_counts("h", "", AXES, np.ones((3, 2)), 4.0)
    assert np.allclose(decode_histogram(encode_ratio(r)).inner(), 0.25)


def test_class_names() -> None:
    assert is_ratio_class("o2::quality_control_modules::common::TH2FRatio")
    assert is_ratio_class("TH1DRatio")
    assert not is_ratio_class("TH2F")


def test_a_plain_histogram_is_not_a_ratio_payload() -> None:
    h = Histogram("TH1F", "h", "", (Axis(np.arange(3.0)),), np.zeros(4))
    with pytest.raises(InvalidInput, match="not a qcflow ratio"):
        decode_ratio(encode_histogram(h))
