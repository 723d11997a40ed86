"""ZDCRecDataPostProcessing: summaries of means and peaks, per run, through the engine."""

from __future__ import annotations

import numpy as np
import pytest

from qcflow.demo.zdc import fill_zdc
from qcflow.modules._histograms import bin_range
from qcflow.modules.zdc.postprocessing import mean_and_error, peak_position
from qcflow.objects.root import Axis, Histogram, decode_histogram
from qcflow.qcdb.local import LocalRepository
from tests.modules.conftest import run_engine, shipped


def filled(values: np.ndarray, edges: np.ndarray) -> Histogram:
    counts, _ = np.histogram(values, edges)
    inside = values[(values >= edges[0]) & (values < edges[-1])]
    h = Histogram("TH1F", "h", "", (Axis(edges),), np.pad(counts.astype(float), 1))
    h.stats = {
        "fTsumw": float(inside.size),
        "fTsumw2": float(inside.size),
        "fTsumwx": float(inside.sum()),
        "fTsumwx2": float((inside**2).sum()),
    }
    return h


def test_mean_and_error_are_roots_from_the_fill_sums() -> None:
    values = np.random.default_rng(1).normal(40.0, 8.0, 2500)
    mean, error = mean_and_error(filled(values, np.linspace(-202.5, 4002.5, 1052)))
    assert mean == pytest.approx(values.mean())
    assert error == pytest.approx(values.std() / np.sqrt(values.size))


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (1.0, 200.0, (2, 200)),
        (0.5, 3.0, (1, 3)),
        (2.0, 2.5, (3, 3)),
        (-5.0, 1e9, (0, 401)),
        (0.0, 400.0, (1, 400)),
        (-5.0, 3.0, (0, 3)),
    ],
)
def test_set_range_user_bins(low: float, high: float, expected: tuple[int, int]) -> None:
    edges = np.arange(0.0, 401.0)  # bin k (1-based) = [k - 1, k)
    assert bin_range(edges, low, high) == expected


def test_the_peak_is_the_first_highest_bin_inside_the_range() -> None:
    edges = np.arange(-0.5, 400.0, 1.0)
    h = Histogram("TH1F", "h", "", (Axis(edges),), np.zeros(edges.size + 1))
    h.values[1 + 300] = 50  # outside [1, 200]
    h.values[1 + 40] = h.values[1 + 60] = 10
    assert peak_position(h, 1.0, 200.0) == 40.0


def test_summaries_per_run(store: LocalRepository) -> None:
    runs = fill_zdc(store, runs=3, passes=("apass1",))
    config = shipped("zdc", store, "qc.postprocessing.ZDCQuality.active=false;")
    summary = run_engine(config)
    assert [t.updates for t in summary.tasks] == [3]
    versions = store.browse("qc_async/ZDC/MO/RecPP/h_summary_ADC")
    # One version per run, with the run's number and validity (plus the final publication).
    by_run = {v.metadata["RunNumber"]: v for v in versions}
    assert sorted(by_run) == sorted(str(r.number) for r in runs)
    for run in runs:
        info = by_run[str(run.number)]
        assert (info.valid_from, info.valid_until) == (run.sor, run.eor)
        h = decode_histogram(store.get(info.path, run.sor, {"RunNumber": str(run.number)}).data)
        assert h.axes[0].labels[:3] == ["ZNAC", "ZNA1", "ZNA2"]
        source = decode_histogram(store.get("qc_async/ZDC/MO/Rec/h_ADC_ZNA_TC", run.sor).data)
        centres = source.axes[0].centers
        weights = source.inner()
        # Independent of ROOT's sums: the mean of the bin centres is within a bin width.
        assert h.inner()[0] == pytest.approx(np.average(centres, weights=weights), abs=4.0)
