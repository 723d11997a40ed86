"""Building the histograms the modules publish, as ROOT's ``SetBinContent`` would leave them.

Summary plots in QC are filled bin by bin with ``SetBinContent``/``SetBinError``: every call
counts one entry, and ROOT's statistics are recomputed from the bin centres. :func:`th1` and
:func:`th2` build such histograms from arrays of in-range contents.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from qcflow.objects.root import Axis, Histogram

__all__ = ["bin_center", "bin_range", "restat_1d", "th1", "th2", "uniform_axis"]

FloatArray = npt.NDArray[np.float64]


def uniform_axis(
    bins: int, low: float, high: float, title: str = "", labels: Sequence[str] | None = None
) -> Axis:
    return Axis(np.linspace(low, high, bins + 1), title, list(labels) if labels else None)


def th1(
    name: str,
    title: str,
    axis: Axis,
    values: FloatArray,
    errors: FloatArray | None = None,
    *,
    entries: float | None = None,
) -> Histogram:
    """A TH1F with these in-range contents (and errors; default: none stored)."""
    contents = np.pad(np.asarray(values, dtype=np.float64), 1)
    variances = None if errors is None else np.pad(np.asarray(errors, dtype=np.float64) ** 2, 1)
    h = Histogram("TH1F", name, title, (axis,), contents, variances)
    h.entries = float(values.size if entries is None else entries)
    restat_1d(h)
    return h


def restat_1d(h: Histogram) -> None:
    """Recompute a TH1's statistics from its bin centres (ROOT does after SetBinContent)."""
    w = h.inner()
    x = h.axes[0].centers
    h.stats = {
        "fTsumw": float(w.sum()),
        "fTsumw2": float((w * w).sum()),
        "fTsumwx": float((w * x).sum()),
        "fTsumwx2": float((w * x * x).sum()),
    }


def th2(name: str, title: str, x: Axis, y: Axis, values: FloatArray) -> Histogram:
    """A TH2F with these in-range contents (shape: x bins, y bins)."""
    return Histogram.from_counts("TH2F", name, title, (x, y), values)


def bin_range(edges: FloatArray, low: float, high: float) -> tuple[int, int]:
    """ROOT's ``TAxis::SetRangeUser(low, high)``: the first and last bin it selects, flow bins
    included (0 and n + 1) when ``low`` / ``high`` lie outside the axis, as ROOT's ``SetRange``
    keeps them (``GetMaximumBin`` then looks at them too).

    The bins containing ``low`` and ``high`` (``FindFixBin``); a ``high`` on a bin's lower edge
    excludes that bin, a ``low`` on a bin's upper edge moves to the next one.
    """
    n = len(edges) - 1
    first = int(np.searchsorted(edges, low, side="right"))  # 0: underflow, n + 1: overflow
    last = int(np.searchsorted(edges, high, side="right"))
    if first <= n and edges[first] <= low:  # the bin's upper edge
        first += 1
    if last >= 1 and edges[last - 1] >= high:  # the bin's lower edge
        last -= 1
    if last < first or (first == 0 and last == 0) or (first > n + 1 and last > n + 1):
        return 1, n  # ROOT resets the range
    return max(first, 0), min(last, n + 1)


def bin_center(edges: FloatArray, bin_number: int) -> float:
    """ROOT's ``TAxis::GetBinCenter`` for bins 0..n+1 (flow bins: the mean width beyond the
    axis ends)."""
    n = len(edges) - 1
    if 1 <= bin_number <= n:
        return float((edges[bin_number - 1] + edges[bin_number]) / 2)
    width = (edges[-1] - edges[0]) / n
    return float(edges[0] + (bin_number - 0.5) * width)
