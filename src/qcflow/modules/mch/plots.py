"""Building blocks of MCH's post-processing: per-DE histograms, reference ratios and "last cycle"
differences (QC's ``HistoOnCycle``).

Per-DE plots are TH1F with 156 bins over [0, 156), bin = DE index + 1, error 0.1 per bin, as
QC sets them; no bin labels, as in QC 2024 (writing 156 labels makes each histogram about five
times slower to store; :meth:`~qcflow.modules.mch.mapping.ElecMapping.labels` gives them).

Reference ratio (v2024 QC): ``value / reference`` bin by bin, and 1 (error 0) wherever the
reference is 0; without a reference the ratio plot stays empty (0 entries), which the checks
read as "no reference".

Last cycle: the difference between the cumulative input and the previous one (numerators and
denominators separately for ratio maps, then the ratio again); the first input of a run is
taken whole.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from qcflow.modules._histograms import th1, uniform_axis
from qcflow.modules.mch.mapping import NUM_DE
from qcflow.objects.ratio import HistogramRatio
from qcflow.objects.root import Histogram

__all__ = [
    "UNREAD",
    "OnCycle",
    "de_histogram",
    "empty_de_histogram",
    "reference_ratio",
    "unread_histogram",
    "unread_reason",
]

FloatArray = npt.NDArray[np.float64]
DE_ERROR = 0.1
#: Marks the title of a per-DE plot whose input could not be read.
UNREAD = "-- input not read: "


def de_histogram(name: str, title: str, values: FloatArray, error: float = DE_ERROR) -> Histogram:
    """A per-DE TH1F (``values`` indexed by DE index)."""
    axis = uniform_axis(NUM_DE, 0, NUM_DE, "DE index")
    return th1(name, title, axis, values, np.full(NUM_DE, error))


def empty_de_histogram(name: str, title: str) -> Histogram:
    """A per-DE TH1F nobody filled (0 entries)."""
    axis = uniform_axis(NUM_DE, 0, NUM_DE, "DE index")
    return th1(name, title, axis, np.zeros(NUM_DE), entries=0)


def unread_histogram(name: str, title: str, reason: str) -> Histogram:
    """A per-DE TH1F left empty because its input could not be read; the reason is in the
    title (after :data:`UNREAD`), where the plot's viewer and the checks find it."""
    return empty_de_histogram(name, f"{title} {UNREAD}{reason}")


def unread_reason(obj: object) -> str | None:
    """The reason an :func:`unread_histogram` gives, None for any other object."""
    if isinstance(obj, Histogram) and not obj.entries and UNREAD in obj.title:
        return obj.title.split(UNREAD, 1)[1]
    return None


def reference_ratio(values: FloatArray, reference: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``(ratio, errors)``: values / reference, 1 with error 0 where the reference is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(reference != 0, values / np.where(reference != 0, reference, 1), 1.0)
        errors = np.where(reference != 0, DE_ERROR / np.where(reference != 0, reference, 1), 0.0)
    return ratio, errors


def _subtract(current: Histogram, previous: Histogram | None) -> Histogram:
    if previous is None or previous.values.shape != current.values.shape:
        return current
    return replace(current, values=current.values - previous.values, variances=None)


@dataclass
class OnCycle:
    """The last-cycle part of a cumulative histogram or ratio map."""

    previous: Histogram | HistogramRatio | None = None

    def reset(self) -> None:
        self.previous = None

    def update(self, current: Histogram | HistogramRatio) -> Histogram | HistogramRatio:
        previous, self.previous = self.previous, current
        if isinstance(current, Histogram):
            return _subtract(current, previous if isinstance(previous, Histogram) else None)
        if not isinstance(previous, HistogramRatio):
            return current
        num = _subtract(current.num, previous.num)
        den = _subtract(current.den, previous.den)
        den_inner = den.inner() if not current.uniform else float(den.inner().ravel()[0])
        return HistogramRatio.from_counts(
            current.ratio.name,
            current.ratio.title,
            current.ratio.axes,
            num.inner(),
            den_inner,
            current.ratio.class_name,
        )
