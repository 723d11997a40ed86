"""Reductors: one object in, a few named numbers out -- one trend-table row per data source.

A reductor is a small class (see :class:`Reductor`): ``fields`` names its leaves and their types,
``reduce(obj)`` returns their values for one object (``None`` when it cannot reduce it). The
engine may run ``reduce`` in worker processes, so a reductor keeps no state between calls.

QC's reductors, with ROOT's statistics:

- :class:`TH1Reductor` -- ``mean``, ``stddev``, ``entries`` as ``TH1::GetMean()``,
  ``GetStdDev()`` (population, never negative), ``GetEntries()``, from the sums the histogram
  stores (filled with the true x values, under/overflow excluded); recomputed from bin centres
  and contents when the histogram has none (``Σw = 0`` with entries, e.g. built with
  ``SetBinContent``) or an axis range is set. A TH2 gives its X-axis values, as in ROOT.
- :class:`TH2Reductor` -- ``sumw, sumw2, sumwx, sumwx2, sumwy, sumwy2, sumwxy`` (``TH2::GetStats``)
  and ``entries``.
- :class:`QualityReductor` -- ``level`` (Good 1, Medium 2, Bad 3, Null 10) and ``name`` (at most
  7 characters): QC's branch ``level/i:name/C``. For trends of earlier qcflow versions, which
  stored ``level`` only, ``name`` is derived from it (:meth:`Reductor.restore`).

Histograms are accepted as qcflow's :class:`~qcflow.objects.root.Histogram` (what the QCDB codec
returns, with ROOT's stored sums), as uproot models (stored sums; an axis range set with
``SetRange`` is honoured), or as ``hist``/``boost_histogram`` objects (no stored sums: from bins).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from qcflow.objects.quality import Quality, QualityObject
from qcflow.postprocessing.config.parameters import CustomParameters

__all__ = [
    "QualityReductor",
    "Reductor",
    "TH1Reductor",
    "TH2Reductor",
    "histogram_stats",
]

Values = Mapping[str, float | int | str]
FloatArray = npt.NDArray[np.float64]

#: ROOT's ``TAxis::kAxisRange`` bit: a user range restricts the statistics.
_AXIS_RANGE_BIT = 1 << 11


class Reductor:
    """Base class of reductors.

    ``fields`` maps leaf names to numpy type codes: ``"f8"`` (float64, the default for numbers),
    ``"i8"``, ``"u4"`` (integer leaves, as in QC), or ``"str"`` (a ``/C`` leaf; a reductor
    whose text fields can be derived from its numbers may override :meth:`restore`, for trees
    that lack them). ``source`` says what it reduces: QCDB monitor
    objects (``"object"``), quality objects (``"quality"``) or raw condition objects
    (``"condition"``, given the ``Fetched`` record: bytes and metadata).
    """

    kind: ClassVar[str] = "reductor"
    fields: ClassVar[Mapping[str, str]] = {}
    source: ClassVar[str] = "object"
    #: a missing input repeats the previous entry's values (QC's behaviour) instead of NaN
    repeats_when_missing: ClassVar[bool] = False

    def __init__(self) -> None:
        self.parameters = CustomParameters()

    def configure(self, parameters: CustomParameters) -> None:
        """Receive ``reductorParameters`` (called once, before any ``reduce``)."""
        self.parameters = parameters

    def reduce(self, obj: Any) -> Values | None:
        raise NotImplementedError

    @classmethod
    def restore(cls, columns: Mapping[str, npt.NDArray[Any]]) -> dict[str, npt.NDArray[Any]]:
        """Text columns recomputed from the stored ones, for a stored trend without them."""
        return {}


def _member(obj: Any, name: str, default: Any = None) -> Any:
    member = getattr(obj, "member", None)
    if member is None:
        return default
    try:
        return member(name)
    except Exception:
        return default


def _axis_ranges(obj: Any, axes: int) -> list[tuple[int, int] | None]:
    """Per axis the user's bin range ``(first, last)`` (uproot models only), else None."""
    names = ("fXaxis", "fYaxis")[:axes]
    out: list[tuple[int, int] | None] = []
    for name in names:
        axis = _member(obj, name)
        if axis is None:
            out.append(None)
            continue
        ranged = int(_member(axis, "@fBits", 0)) & _AXIS_RANGE_BIT
        first, last = int(_member(axis, "fFirst", 0)), int(_member(axis, "fLast", 0))
        out.append((first, last) if ranged and last >= first > 0 else None)
    return out


def _edges(axis: Any) -> FloatArray:
    edges = axis.edges  # a method on uproot axes, an array elsewhere
    return np.asarray(edges() if callable(edges) else edges, dtype=np.float64)


def _bins(obj: Any, axes: int) -> tuple[FloatArray, FloatArray, list[FloatArray]]:
    """Contents, variances and per-axis bin centres, flow bins excluded."""
    if callable(getattr(obj, "inner", None)):  # qcflow's Histogram: arrays hold the flow bins
        values = np.asarray(obj.inner(), dtype=np.float64)
        raw = obj.variances
        variances = values if raw is None else np.asarray(obj.inner(raw), dtype=np.float64)
    else:
        values = np.asarray(obj.values(), dtype=np.float64)
        raw = obj.variances() if callable(getattr(obj, "variances", None)) else None
        variances = values if raw is None else np.asarray(raw, dtype=np.float64)
    centres = []
    for axis in list(obj.axes)[:axes]:
        edges = _edges(axis)
        centres.append((edges[:-1] + edges[1:]) / 2)
    return values, variances, centres


_STORED = {
    "sumw": "fTsumw",
    "sumw2": "fTsumw2",
    "sumwx": "fTsumwx",
    "sumwx2": "fTsumwx2",
    "sumwy": "fTsumwy",
    "sumwy2": "fTsumwy2",
    "sumwxy": "fTsumwxy",
}


def _stored(obj: Any, axes: int) -> tuple[dict[str, float] | None, float | None]:
    """ROOT's stored sums and entries: from qcflow's ``Histogram`` (``stats``/``entries``) or
    an uproot model (``member``); ``(None, None)`` for histograms without them."""
    names = list(_STORED.items())[: 4 if axes == 1 else 7]
    stats = getattr(obj, "stats", None)
    if isinstance(stats, Mapping):
        found: dict[str, Any] = {key: stats.get(member) for key, member in names}
        entries = getattr(obj, "entries", None)
    else:
        found = {key: _member(obj, member) for key, member in names}
        entries = _member(obj, "fEntries")
    total = None if entries is None else float(entries)
    if any(v is None for v in found.values()):
        return None, total
    return {k: float(v) for k, v in found.items()}, total


def histogram_stats(obj: Any, axes: int = 1) -> dict[str, float]:
    """ROOT's ``GetStats`` of a 1-D or 2-D histogram (``sumw``, ``sumw2``, ``sumwx``, ``sumwx2``
    and for 2-D ``sumwy``, ``sumwy2``, ``sumwxy``) plus ``entries``."""
    ranges = _axis_ranges(obj, axes)
    stored, entries = _stored(obj, axes)
    empty_sums = stored is not None and stored["sumw"] == 0 and (entries or 0) > 0
    if stored is not None and entries is not None and not any(ranges) and not empty_sums:
        return {**stored, "entries": entries}
    values, variances, centres = _bins(obj, axes)
    total = float(values.sum()) if entries is None else entries
    return {**_from_bins(values, variances, centres, ranges), "entries": total}


def _from_bins(
    values: FloatArray,
    variances: FloatArray,
    centres: list[FloatArray],
    ranges: list[tuple[int, int] | None],
) -> dict[str, float]:
    for axis, limits in enumerate(ranges):
        if limits is not None:
            keep = slice(limits[0] - 1, limits[1])
            values = values[keep] if axis == 0 else values[:, keep]
            variances = variances[keep] if axis == 0 else variances[:, keep]
            centres[axis] = centres[axis][keep]
    if len(centres) == 1:
        x = centres[0]
        return {
            "sumw": float(values.sum()),
            "sumw2": float(variances.sum()),
            "sumwx": float((values * x).sum()),
            "sumwx2": float((values * x * x).sum()),
        }
    x, y = np.meshgrid(centres[0], centres[1], indexing="ij")
    return {
        "sumw": float(values.sum()),
        "sumw2": float(variances.sum()),
        "sumwx": float((values * x).sum()),
        "sumwx2": float((values * x * x).sum()),
        "sumwy": float((values * y).sum()),
        "sumwy2": float((values * y * y).sum()),
        "sumwxy": float((values * x * y).sum()),
    }


def _is_histogram(obj: Any) -> bool:
    return hasattr(obj, "values") and hasattr(obj, "axes")


class TH1Reductor(Reductor):
    """Mean, standard deviation and entries of a histogram (QC's ``TH1Reductor``)."""

    fields: ClassVar[Mapping[str, str]] = {"mean": "f8", "stddev": "f8", "entries": "f8"}

    def reduce(self, obj: Any) -> Values | None:
        if not _is_histogram(obj):
            return None
        stats = histogram_stats(obj, min(len(obj.axes), 2))
        sumw = stats["sumw"]
        if sumw == 0:
            return {"mean": 0.0, "stddev": 0.0, "entries": stats["entries"]}
        mean = stats["sumwx"] / sumw
        variance = max(stats["sumwx2"] / sumw - mean * mean, 0.0)
        return {"mean": mean, "stddev": float(np.sqrt(variance)), "entries": stats["entries"]}


class TH2Reductor(Reductor):
    """The stored sums of a 2-D histogram and its entries (QC's ``TH2Reductor``)."""

    fields: ClassVar[Mapping[str, str]] = dict.fromkeys(
        ("sumw", "sumw2", "sumwx", "sumwx2", "sumwy", "sumwy2", "sumwxy", "entries"), "f8"
    )

    def reduce(self, obj: Any) -> Values | None:
        if not _is_histogram(obj) or len(obj.axes) != 2:
            return None
        return histogram_stats(obj, 2)


NAME_SIZE = 7


class QualityReductor(Reductor):
    """A quality object's level and name (QC's ``QualityReductor``)."""

    fields: ClassVar[Mapping[str, str]] = {"level": "u4", "name": "str"}
    source: ClassVar[str] = "quality"
    #: a missing quality repeats the previous entry's, as QC's reductor keeps its last values
    #: (a level has no NaN; 0 with an empty name is no quality QC ever writes)
    repeats_when_missing: ClassVar[bool] = True

    def reduce(self, obj: Any) -> Values | None:
        if not isinstance(obj, QualityObject):
            return None
        return {"level": obj.quality.level, "name": obj.quality.name[:NAME_SIZE]}

    @classmethod
    def restore(cls, columns: Mapping[str, npt.NDArray[Any]]) -> dict[str, npt.NDArray[Any]]:
        levels = columns.get("level")
        if levels is None:
            return {}
        names = [Quality.from_level(int(level)).name[:NAME_SIZE] for level in levels]
        return {"name": np.asarray(names, dtype=object)}
