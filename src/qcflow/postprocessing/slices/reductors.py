"""Slice reductors: one histogram in, one :class:`~.slicing.SliceInfo` per slice out.

QC's ``TH1SliceReductor`` and ``TH2SliceReductor`` (module Common), used by SliceTrendingTask.
A slice reductor is a :class:`~.reductors.Reductor` with ``source = "slices"`` (so a
TrendingTask refuses it) configured with the data source's ``axisDivision``; ``reduce`` returns
one array per field (``{"meanX": array of n slices, …}``) plus the slice titles, so that it can
run in the engine's worker processes like any reductor (:mod:`..reduction.batch`).

A histogram of the wrong dimension cannot be reduced (the source counts as missing, with the
reason). QC also accepts a canvas whose pads hold histograms (one slice per pad); qcflow's
plots are images, so it does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from qcflow.objects.root import Histogram
from qcflow.postprocessing.reduction.reductors import Reductor, Values
from qcflow.postprocessing.slices.slicing import FIELDS, SliceInfo, slice_th1, slice_th2

__all__ = ["TITLES", "SliceReductor", "TH1SliceReductor", "TH2SliceReductor", "split_titles"]

#: The key of the slice titles in ``reduce``'s result (one string, titles joined by ``SEP``).
TITLES = "title"
SEP = "\x1f"


class SliceReductor(Reductor):
    """Base of slice reductors: ``axes`` is the histogram dimension it slices."""

    source: ClassVar[str] = "slices"
    axes: ClassVar[int] = 1

    def __init__(self) -> None:
        super().__init__()
        self.division: tuple[tuple[float, ...], ...] = ()

    def configure_slices(self, division: Sequence[Sequence[float]]) -> None:
        """The ``axisDivision`` edges per axis (an axis with fewer than two: not sliced)."""
        self.division = tuple(tuple(axis) for axis in division)

    def edges(self, axis: int) -> tuple[float, ...]:
        """The slice edges of ``axis`` (empty: not sliced)."""
        return self.division[axis] if axis < len(self.division) else ()

    @property
    def count(self) -> int:
        """How many slices each histogram gives."""
        sizes = [max(len(self.edges(a)) - 1, 1) for a in range(self.axes)]
        return int(np.prod(sizes))

    def slices(self, obj: Any) -> list[SliceInfo] | None:
        raise NotImplementedError

    def reduce(self, obj: Any) -> Values | None:
        if not isinstance(obj, Histogram) or obj.ndim != self.axes:
            return None
        slices = self.slices(obj)
        if slices is None:
            return None
        out: dict[str, Any] = {
            field: np.asarray([s.value(field) for s in slices], dtype=np.float64)
            for field in FIELDS
        }
        out[TITLES] = SEP.join(s.title for s in slices)
        return out


class TH1SliceReductor(SliceReductor):
    """Slices of a 1-D histogram along X (QC's ``TH1SliceReductor``)."""

    axes: ClassVar[int] = 1

    def slices(self, obj: Any) -> list[SliceInfo] | None:
        return slice_th1(obj, self.edges(0))


class TH2SliceReductor(SliceReductor):
    """Slices of a 2-D histogram, X outer, Y inner (QC's ``TH2SliceReductor``)."""

    axes: ClassVar[int] = 2

    def slices(self, obj: Any) -> list[SliceInfo] | None:
        return slice_th2(obj, self.edges(0), self.edges(1))


def split_titles(text: str) -> list[str]:
    """The slice titles ``reduce`` joined into one string."""
    return text.split(SEP) if text else []
