"""Slicing histograms into ranges and describing each slice, as QC's slice reductors do.

A slice is a range ``[lo, hi)`` of an axis, given by the ``axisDivision`` edges of a
SliceTrendingTask data source; each slice is described by a :class:`SliceInfo`:

============== =====================================================================
``entries``    sum of the bin contents in the slice (``Integral``, not ``GetEntries``)
``meanX``      mean of x over the slice (``GetMean(1)``)
``stddevX``    standard deviation of x (``GetStdDev(1)``, population)
``errMeanX``   ``stddevX / sqrt(entries)`` (0 when ``entries`` is 0)
``meanY``      TH1: mean of the bin *contents*; TH2: mean of y (``GetMean(2)``)
``stddevY``    TH1: sample standard deviation (n-1) of the contents; TH2: ``GetStdDev(2)``
``errMeanY``   TH1: ``sqrt(var / n)``; TH2: ``stddevY / sqrt(entries)``
``sliceLabelX`` the centre of the slice, ``(lo + hi) / 2`` (no slicing: of the whole axis)
``sliceLabelY`` TH1: 0; TH2: the centre of the Y slice
``title``      ``"<histogram title> - RangeX: [lo, hi]"`` (``.1f``), ``… and RangeY: [c, d]``
============== =====================================================================

Which bins a slice holds (QC's ``getBinSlices``, ROOT's ``FindBin``): the first bin is the one
holding ``lo``, plus one if ``lo`` lies above its centre; the last is the one holding ``hi``,
minus one if ``hi`` lies at or below its centre. So a bin belongs to the slice whose range holds
its centre, whatever the edges cut. A TH1 slice of one bin has ``stddevY = error * sqrt(content)``
and ``errMeanY = error`` (QC's rule).

With slicing, x and y statistics are computed from bin centres over the slice's bins (ROOT
recomputes them when an axis range is set); without, from the sums the histogram stores.

qcflow's choices where QC crashes or reads out of range: a slice reaching below the first or
above the last bin is clipped to the axis (QC's TH1 reductor terminates the process, its TH2
reductor lets ROOT count flow bins in some cases); a slice holding no bin centre has
``entries`` 0 and, for a TH1, ``meanY``/``stddevY``/``errMeanY`` NaN (QC terminates). Values are
computed in double precision (QC's TH1 Y statistics use single precision). An unsliced TH2 Y
axis gives ``"… and RangeY (default): [ymin, ymax]"`` (QC repeats the X part of the title).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from qcflow.objects.root import Histogram
from qcflow.postprocessing.reduction.reductors import histogram_stats

__all__ = [
    "FIELDS",
    "SliceInfo",
    "find_bin",
    "slice_bins",
    "slice_th1",
    "slice_th2",
]

FloatArray = npt.NDArray[np.float64]
#: The numeric fields of a slice record, in QC's order.
FIELDS = (
    "entries",
    "meanX",
    "stddevX",
    "errMeanX",
    "meanY",
    "stddevY",
    "errMeanY",
    "sliceLabelX",
    "sliceLabelY",
)


@dataclass(frozen=True)
class SliceInfo:
    """One slice of one histogram (QC's ``SliceInfo``)."""

    # QC's field names, since configs name them (``"ClustE_All.meanX:run"``).
    entries: float = 0.0
    meanX: float = 0.0
    stddevX: float = 0.0
    errMeanX: float = 0.0
    meanY: float = 0.0
    stddevY: float = 0.0
    errMeanY: float = 0.0
    sliceLabelX: float = 0.0
    sliceLabelY: float = 0.0
    title: str = ""

    def value(self, field: str) -> float:
        """A numeric field by name."""
        return float(getattr(self, field))


def find_bin(edges: FloatArray, x: float) -> int:
    """ROOT's ``FindBin``: 1..n inside, 0 below the axis, n+1 at or above its end."""
    return int(np.searchsorted(edges, x, side="right"))


def _centre(edges: FloatArray, index: int) -> float:
    """Bin centre; flow bins are extrapolated with the average bin width, as ROOT does."""
    n = len(edges) - 1
    if 1 <= index <= n:
        return float(edges[index - 1] + edges[index]) / 2
    width = float(edges[-1] - edges[0]) / n
    return float(edges[0]) + (index - 0.5) * width


def slice_bins(edges: FloatArray, lo: float, hi: float) -> tuple[int, int]:
    """First and last bin (1-based, inclusive) of the slice ``[lo, hi)``, clipped to the axis;
    ``last < first`` when no bin centre lies in the slice."""
    first = find_bin(edges, lo)
    if lo > _centre(edges, first):
        first += 1
    last = find_bin(edges, hi)
    if hi <= _centre(edges, last):
        last -= 1
    n = len(edges) - 1
    return max(first, 1), min(last, n)


@dataclass(frozen=True)
class _Range:
    """The bins of one slice of one axis, its label and its title part."""

    first: int
    last: int
    label: float
    text: str
    sliced: bool


def _ranges(edges: FloatArray, division: Sequence[float], axis: str) -> list[_Range]:
    if len(division) < 2:
        lo, hi = float(edges[0]), float(edges[-1])
        text = f"Range{axis} (default): [{lo:.1f}, {hi:.1f}]"
        return [_Range(1, len(edges) - 1, (lo + hi) / 2, text, sliced=False)]
    out = []
    for lo, hi in itertools.pairwise(division):
        first, last = slice_bins(edges, lo, hi)
        out.append(_Range(first, last, (lo + hi) / 2, f"Range{axis}: [{lo:.1f}, {hi:.1f}]", True))
    return out


def _moments(weights: FloatArray, centres: FloatArray) -> tuple[float, float]:
    """Weighted mean and population standard deviation; (0, 0) without weight (ROOT)."""
    total = float(weights.sum())
    if total == 0:
        return 0.0, 0.0
    mean = float((weights * centres).sum()) / total
    variance = float((weights * centres * centres).sum()) / total - mean * mean
    return mean, math.sqrt(max(variance, 0.0))


def _err_mean(stddev: float, entries: float) -> float:
    return stddev / math.sqrt(entries) if entries > 0 else 0.0


def _stored_moments(h: Histogram, axis: int) -> tuple[float, float]:
    """Mean and standard deviation from the histogram's stored sums (no range set)."""
    stats = histogram_stats(h, h.ndim)
    letter = "xy"[axis]
    return _moments_from_sums(stats["sumw"], stats[f"sumw{letter}"], stats[f"sumw{letter}2"])


def _moments_from_sums(sumw: float, sumwx: float, sumwx2: float) -> tuple[float, float]:
    if sumw == 0:
        return 0.0, 0.0
    mean = sumwx / sumw
    return mean, math.sqrt(max(sumwx2 / sumw - mean * mean, 0.0))


def _contents_stats(contents: FloatArray, errors2: FloatArray) -> tuple[float, float, float]:
    """TH1 Y statistics of the bin contents: mean, standard deviation, error of the mean."""
    n = contents.size
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(contents.mean())
    if n == 1:
        error = math.sqrt(max(float(errors2[0]), 0.0))
        return mean, error * math.sqrt(max(float(contents[0]), 0.0)), error
    variance = float(((contents - mean) ** 2).sum()) / (n - 1)
    return mean, math.sqrt(variance), math.sqrt(variance / n)


def _variances(h: Histogram) -> FloatArray:
    """sumw2 per bin, flow bins included; ROOT's default error² = |content| without sumw2."""
    return np.abs(h.values) if h.variances is None else h.variances


def slice_th1(h: Histogram, division: Sequence[float]) -> list[SliceInfo]:
    """The slices of a 1-D histogram along ``division`` (fewer than two edges: one slice)."""
    edges = h.axes[0].edges
    centres = h.axes[0].centers
    errors2 = _variances(h)
    out = []
    for r in _ranges(edges, division, "X"):
        contents = h.values[r.first : r.last + 1]
        entries = float(contents.sum())
        if r.sliced:
            mean_x, std_x = _moments(contents, centres[r.first - 1 : r.last])
        else:
            mean_x, std_x = _stored_moments(h, 0)
        mean_y, std_y, err_y = _contents_stats(contents, errors2[r.first : r.last + 1])
        out.append(
            SliceInfo(
                entries=entries,
                meanX=mean_x,
                stddevX=std_x,
                errMeanX=_err_mean(std_x, entries),
                meanY=mean_y,
                stddevY=std_y,
                errMeanY=err_y,
                sliceLabelX=r.label,
                sliceLabelY=0.0,
                title=f"{h.title} - {r.text}",
            )
        )
    return out


def slice_th2(
    h: Histogram, x_division: Sequence[float], y_division: Sequence[float]
) -> list[SliceInfo]:
    """The slices of a 2-D histogram: for each X slice, every Y slice (QC's order)."""
    x_edges, y_edges = h.axes[0].edges, h.axes[1].edges
    x_centres, y_centres = h.axes[0].centers, h.axes[1].centers
    out = []
    for rx in _ranges(x_edges, x_division, "X"):
        for ry in _ranges(y_edges, y_division, "Y"):
            block = h.values[rx.first : rx.last + 1, ry.first : ry.last + 1]
            entries = float(block.sum())
            if rx.sliced or ry.sliced:
                mean_x, std_x = _moments(block.sum(axis=1), x_centres[rx.first - 1 : rx.last])
                mean_y, std_y = _moments(block.sum(axis=0), y_centres[ry.first - 1 : ry.last])
            else:
                (mean_x, std_x), (mean_y, std_y) = _stored_moments(h, 0), _stored_moments(h, 1)
            title = f"{h.title} - {rx.text} and {ry.text}"
            out.append(
                SliceInfo(
                    entries=entries,
                    meanX=mean_x,
                    stddevX=std_x,
                    errMeanX=_err_mean(std_x, entries),
                    meanY=mean_y,
                    stddevY=std_y,
                    errMeanY=_err_mean(std_y, entries),
                    sliceLabelX=rx.label,
                    sliceLabelY=ry.label,
                    title=title,
                )
            )
    return out
