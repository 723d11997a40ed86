"""Test helper: ROOT histograms filled the way ROOT fills them, written with uproot.

The stored sums follow ``TH1::Fill``: computed from the true x values of fills landing inside
the axis (under/overflow excluded), while ``fEntries`` counts every fill.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import uproot
from uproot.writing import identify


class _Sink(io.BytesIO):
    def close(self) -> None:
        pass


def _root_file(obj: Any) -> bytes:
    sink = _Sink()
    with uproot.recreate(sink) as file:
        file["ccdb_object"] = obj
    return sink.getvalue()


def th1(
    fills: np.ndarray,
    *,
    bins: int = 10,
    lo: float = 0.0,
    hi: float = 10.0,
    set_bin_content: bool = False,
) -> bytes:
    """A TH1D of ``fills`` (weight 1); ``set_bin_content`` leaves the sums at zero, as a
    histogram built with ``SetBinContent`` has them."""
    inside = fills[(fills >= lo) & (fills < hi)]
    counts, _ = np.histogram(inside, bins=bins, range=(lo, hi))  # ROOT: x == hi is overflow
    under = float(np.sum(fills < lo))
    over = float(np.sum(fills >= hi))
    data = np.concatenate([[under], counts.astype(np.float64), [over]])
    sums = (
        (0.0, 0.0, 0.0, 0.0)
        if set_bin_content
        else (float(len(inside)), float(len(inside)), float(inside.sum()), float((inside**2).sum()))
    )
    axis = identify.to_TAxis("xaxis", "", bins, lo, hi)
    hist = identify.to_TH1x("h", "h", data, float(len(fills)), *sums, data.copy(), axis)
    return _root_file(hist)


def th2(
    xs: np.ndarray, ys: np.ndarray, *, bins: int = 4, lo: float = 0.0, hi: float = 10.0
) -> bytes:
    """A TH2D of the points ``(xs, ys)``; sums from fills inside both axes."""
    inside = (xs >= lo) & (xs < hi) & (ys >= lo) & (ys < hi)
    x, y = xs[inside], ys[inside]
    counts, _, _ = np.histogram2d(x, y, bins=bins, range=((lo, hi), (lo, hi)))
    data = np.zeros((bins + 2, bins + 2))
    data[1:-1, 1:-1] = counts
    sums = [
        float(len(x)),
        float(len(x)),
        float(x.sum()),
        float((x * x).sum()),
        float(y.sum()),
        float((y * y).sum()),
        float((x * y).sum()),
    ]
    flat = data.ravel(order="F")
    xaxis = identify.to_TAxis("xaxis", "", bins, lo, hi)
    yaxis = identify.to_TAxis("yaxis", "", bins, lo, hi)
    zaxis = identify.to_TAxis("zaxis", "", 1, 0.0, 1.0)
    hist = identify.to_TH2x(
        "h2", "h2", flat, float(len(xs)), *sums, flat.copy(), xaxis, yaxis, zaxis
    )
    return _root_file(hist)


def read(data: bytes) -> Any:
    """The uproot model stored under ``ccdb_object``."""
    return uproot.open(io.BytesIO(data))["ccdb_object"]
