"""The trend table: one row per trending update, stored as a ROOT TTree.

Columns (QC's trend tree, flattened the way ``TTree::Draw`` names leaves):

==================== ======= ====================================================================
``meta.runNumber``   int64   the run of the trigger's activity
``meta.runNumberStr`` text   its decimal text, for evenly spaced run axes; *derived*: not stored
``time``             uint32  seconds since the epoch (``trendingTimestamp``)
``<source>.<leaf>``  float64 one per reductor field; NaN when the source's object was missing
==================== ======= ====================================================================

A column may hold a fixed-size array per row (type ``"(20,)f8"``): SliceTrendingTask stores one
value per slice that way, written as a TTree leaf ``meanX[20]/D``.

The tree is written by :func:`qcflow.objects.tree.write_tree` under the key ``ccdb_object`` (as
QC stores every object), with the task name as the tree's title; each column is a branch named
``<branch>.<leaf>``; :func:`qcflow.objects.tree.read_tree` reads it back.
uproot cannot write C-string leaves, so text columns (``meta.runNumberStr``, a quality's name)
live in memory only and are recomputed when a tree is read back: ``meta.runNumberStr`` here,
reductor text fields by :meth:`~.reductors.Reductor.restore`. Quality levels are stored as
float64 (QC: uint32) so that a missing quality can be NaN.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from qcflow.objects.tree import write_tree
from qcflow.postprocessing.object_manager import Payload

__all__ = ["META_RUN", "META_RUN_TEXT", "TIME", "TrendTable"]

META_RUN = "meta.runNumber"
META_RUN_TEXT = "meta.runNumberStr"
TIME = "time"
TEXT = "str"

Array = npt.NDArray[Any]


class TrendTable:
    """Columns of a trend, appended row by row, written as a TTree."""

    def __init__(self, name: str, types: Mapping[str, str]) -> None:
        self.name = name
        self.types = {META_RUN: "i8", TIME: "u4", **types}
        self._rows: dict[str, list[Any]] = {column: [] for column in self.types}

    @classmethod
    def for_sources(cls, name: str, sources: Iterable[tuple[str, Mapping[str, str]]]) -> TrendTable:
        """A table with one ``<source>.<leaf>`` column per field of each source's reductor."""
        types = {
            f"{source}.{leaf}": kind if kind == TEXT else "f8"
            for source, fields in sources
            for leaf, kind in fields.items()
        }
        return cls(name, types)

    def __len__(self) -> int:
        return len(self._rows[TIME])

    @property
    def stored(self) -> dict[str, str]:
        """The columns written to the tree and their types."""
        return {n: t for n, t in self.types.items() if t != TEXT}

    def append(self, run: int, time: int, values: Mapping[str, Any]) -> None:
        """Add a row; columns missing from ``values`` are NaN (text: empty)."""
        self._rows[META_RUN].append(run)
        self._rows[TIME].append(time)
        for column, kind in self.types.items():
            if column not in (META_RUN, TIME):
                self._rows[column].append(values.get(column, _missing(kind)))

    def clear(self) -> None:
        for values in self._rows.values():
            values.clear()

    def columns(self) -> dict[str, Array]:
        """Every column as an array, plus the derived ``meta.runNumberStr``."""
        out = {n: _array(self._rows[n], t) for n, t in self.types.items()}
        out[META_RUN_TEXT] = np.asarray([str(r) for r in self._rows[META_RUN]], dtype=object)
        return out

    def to_root(self) -> bytes:
        """A ROOT file with the table as a TTree (:func:`qcflow.objects.tree.write_tree`)."""
        columns = self.columns()
        stored = {n: columns[n] for n in self.stored}
        return write_tree(stored, title=self.name)

    def encode(self) -> Payload:
        """The table as a QCDB payload: a ROOT file with the TTree."""
        return Payload(self.to_root(), "TTree", "application/root")

    def load(self, columns: Mapping[str, Array]) -> None:
        """Replace the rows by ``columns`` (a tree read back; missing text columns empty)."""
        size = len(columns[TIME]) if TIME in columns else 0
        for name, kind in self.types.items():
            values = columns.get(name)
            if values is None:
                self._rows[name] = [_missing(kind)] * size
            else:
                self._rows[name] = list(values)

    def same_layout(self, stored: Sequence[str]) -> bool:
        """True when a tree with these stored branches can be continued by this table."""
        return set(stored) == set(self.stored)


def _array(values: list[Any], kind: str) -> Array:
    """A column's rows as one array (``(rows, n)`` for a fixed-size array type)."""
    if kind == TEXT:
        return np.asarray(values, dtype=object)
    dtype = np.dtype(kind)
    array = np.asarray(values, dtype=dtype.base)
    return array.reshape((len(values), *dtype.shape)) if dtype.shape else array


def _missing(kind: str) -> Any:
    """The value of a column for a missing input: empty text, NaN, or an array of NaN."""
    if kind == TEXT:
        return ""
    shape = np.dtype(kind).shape
    return np.full(shape, np.nan) if shape else np.nan
