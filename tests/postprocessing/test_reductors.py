"""Reductors against values computed independently with numpy, and QC's own test expectations."""

from __future__ import annotations

import hist
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qcflow.objects.activity import Activity
from qcflow.objects.quality import Quality, QualityObject
from qcflow.postprocessing.reduction.reductors import QualityReductor, TH1Reductor, TH2Reductor

from ._histograms import read, th1, th2


def reduce(fills: list[float] | np.ndarray, **kwargs: object) -> dict[str, float]:
    values = TH1Reductor().reduce(read(th1(np.asarray(fills, dtype=float), **kwargs)))
    assert values is not None
    return dict(values)  # type: ignore[arg-type]


def test_qc_test_expectations() -> None:
    """Modules/Common/test/testCommonReductors.cxx: TH1I(10, 0, 10) filled step by step."""
    assert reduce([5]) == {"mean": 5.0, "stddev": 0.0, "entries": 1.0}
    assert reduce([5, 1]) == {"mean": 3.0, "stddev": 2.0, "entries": 2.0}
    four = reduce([5, 1, 6, 8])
    assert four["mean"] == 5.0
    assert four["stddev"] == pytest.approx(2.5495, abs=1e-4)
    assert four["entries"] == 4.0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-3, 13, allow_nan=False), min_size=1, max_size=60))
def test_mean_stddev_entries_match_numpy(fills: list[float]) -> None:
    array = np.asarray(fills)
    inside = array[(array >= 0) & (array < 10)]
    values = reduce(array)
    assert values["entries"] == len(array)  # every fill counts, overflow included
    if len(inside) == 0:
        assert values["mean"] == values["stddev"] == 0.0
    else:
        assert values["mean"] == pytest.approx(inside.mean(), abs=1e-9)
        assert values["stddev"] == pytest.approx(inside.std(ddof=0), abs=1e-6)


def test_sums_recomputed_from_bin_centres_when_not_stored() -> None:
    fills = np.array([0.2, 0.7, 3.1, 3.9, 3.5, 9.9])
    values = reduce(fills, set_bin_content=True)
    centres = np.floor(fills) + 0.5
    assert values["mean"] == pytest.approx(centres.mean())
    assert values["stddev"] == pytest.approx(centres.std())
    assert values["entries"] == 6.0


def test_hist_objects_have_no_stored_sums() -> None:
    h = hist.Hist.new.Reg(10, 0, 10).Double()
    h.fill([1.2, 1.4, 7.7])
    values = TH1Reductor().reduce(h)
    centres = np.array([1.5, 1.5, 7.5])
    assert values == {
        "mean": pytest.approx(centres.mean()),
        "stddev": pytest.approx(centres.std()),
        "entries": 3.0,
    }


def test_th2_sums_match_numpy() -> None:
    rng = np.random.default_rng(7)
    xs, ys = rng.uniform(-1, 11, 200), rng.uniform(-1, 11, 200)
    values = TH2Reductor().reduce(read(th2(xs, ys)))
    inside = (xs >= 0) & (xs < 10) & (ys >= 0) & (ys < 10)
    x, y = xs[inside], ys[inside]
    expected = {
        "sumw": len(x),
        "sumw2": len(x),
        "sumwx": x.sum(),
        "sumwx2": (x * x).sum(),
        "sumwy": y.sum(),
        "sumwy2": (y * y).sum(),
        "sumwxy": (x * y).sum(),
        "entries": 200,
    }
    assert values == pytest.approx(expected)


def test_qc_th2_expectations() -> None:
    points = [(5, 5), (1, 1), (6, 6), (8, 8)]
    xs = np.array([p[0] for p in points], dtype=float)
    values = TH2Reductor().reduce(read(th2(xs, xs.copy(), bins=10)))
    assert values is not None
    assert (values["sumw"], values["sumwxy"]) == (4.0, 126.0)


def test_th1_reductor_reads_the_x_axis_of_a_th2_and_refuses_other_objects() -> None:
    xs = np.array([1.0, 2.0, 4.0])
    values = TH1Reductor().reduce(read(th2(xs, xs)))
    assert values is not None
    assert values["mean"] == pytest.approx(xs.mean())
    assert TH1Reductor().reduce(b"not a histogram") is None
    assert TH2Reductor().reduce(read(th1(xs))) is None


def test_quality_reductor() -> None:
    qo = QualityObject(Quality.MEDIUM, "RecCheck", activity=Activity())
    assert QualityReductor().reduce(qo) == {"level": 2, "name": "Medium"}
    assert QualityReductor().reduce("Medium") is None
    restored = QualityReductor.restore({"level": np.array([1.0, 3.0, 10.0])})
    assert list(restored["name"]) == ["Good", "Bad", "Null"]
