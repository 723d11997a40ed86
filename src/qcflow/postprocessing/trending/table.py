"""The trend table: one row per trending update, stored as a ROOT TTree in QC's layout.

Columns, named the way ``TTree::Draw`` names QC's leaves:

===================== ======= ===================================================================
``meta.runNumber``    int64   the run of the trigger's activity
``meta.runNumberStr`` text    its decimal text, for evenly spaced run axes
``time``              uint32  seconds since the epoch (``trendingTimestamp``)
``<source>.<leaf>``   float64 one per reductor field; NaN when the source's object was missing
===================== ======= ===================================================================

A column may hold a fixed-size array per row (type ``"(20,)f8"``): SliceTrendingTask stores one
value per slice that way (leaf ``meanX[20]/D``).

The tree (:func:`qcflow.objects.tree.write_tree`) is QC's: named after the task, stored under
the key ``ccdb_object``, with exactly the branches ``meta`` (leaf list
``runNumber/L:runNumberStr/C``), ``time`` (``time/i``) and one leaf-list branch per data
source holding the reductor's leaves (TH1Reductor ``mean/D:stddev:entries``,
QualityReductor ``level/i:name/C``). A reductor field declared as an integer (``"u4"``,
``"i8"``) is an integer leaf, as in QC; its missing values (NaN in memory) are stored as 0.
:meth:`TrendTable.same_layout` is QC's ``canContinueTrend``: a stored tree is continued only
when its branches are exactly these. Trees written by earlier qcflow versions (one branch per leaf,
no text leaves) still read and continue: their text columns are recomputed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from qcflow.objects.codec import Payload
from qcflow.objects.tree import write_tree

__all__ = ["META_RUN", "META_RUN_TEXT", "TIME", "TrendTable"]

META_RUN = "meta.runNumber"
META_RUN_TEXT = "meta.runNumberStr"
TIME = "time"
TEXT = "str"
META = "meta"

Array = npt.NDArray[Any]


class TrendTable:
    """Columns of a trend, appended row by row, written as a TTree."""

    def __init__(self, name: str, types: Mapping[str, str]) -> None:
        self.name = name
        self.types = {META_RUN: "i8", META_RUN_TEXT: TEXT, TIME: "u4", **types}
        #: the stored type of each column when it is not its in-memory one (integer leaves)
        self.leaf_types: dict[str, str] = {}
        self._rows: dict[str, list[Any]] = {column: [] for column in self.types}

    @classmethod
    def for_sources(cls, name: str, sources: Iterable[tuple[str, Mapping[str, str]]]) -> TrendTable:
        """A table with one ``<source>.<leaf>`` column per field of each source's reductor."""
        types, leaf_types = {}, {}
        for source, fields in sources:
            for leaf, kind in fields.items():
                types[f"{source}.{leaf}"] = kind if kind == TEXT else "f8"
                if kind not in (TEXT, "f8"):
                    leaf_types[f"{source}.{leaf}"] = kind
        table = cls(name, types)
        table.leaf_types = leaf_types
        return table

    def __len__(self) -> int:
        return len(self._rows[TIME])

    @property
    def branches(self) -> dict[str, list[str]]:
        """The tree's branches and their leaves (``time`` is a branch of one leaf ``time``)."""
        out: dict[str, list[str]] = {}
        for column in self.types:
            branch, _, leaf = column.rpartition(".")
            out.setdefault(branch or leaf, []).append(leaf)
        return out

    def append(self, run: int, time: int, values: Mapping[str, Any]) -> None:
        """Add a row; columns missing from ``values`` are NaN (text: empty)."""
        self._rows[META_RUN].append(run)
        self._rows[META_RUN_TEXT].append(str(run))
        self._rows[TIME].append(time)
        for column, kind in self.types.items():
            if column not in (META_RUN, META_RUN_TEXT, TIME):
                self._rows[column].append(values.get(column, _missing(kind)))

    def last(self, prefix: str) -> dict[str, Any]:
        """The last row's values of the columns ``<prefix>.<leaf>`` (empty without rows)."""
        if not len(self):
            return {}
        return {c: self._rows[c][-1] for c in self.types if c.startswith(f"{prefix}.")}

    def clear(self) -> None:
        for values in self._rows.values():
            values.clear()

    def columns(self) -> dict[str, Array]:
        """Every column as an array."""
        return {n: _array(self._rows[n], t) for n, t in self.types.items()}

    def to_root(self) -> bytes:
        """A ROOT file with the table as a TTree in QC's layout (see the module's docstring)."""
        columns = self.columns()
        grouped: dict[str, Any] = {}
        for branch, leaves in self.branches.items():
            if branch == TIME:
                grouped[TIME] = columns[TIME]
                continue
            grouped[branch] = {
                leaf: _stored(columns[f"{branch}.{leaf}"], self.leaf_types.get(f"{branch}.{leaf}"))
                for leaf in leaves
            }
        return write_tree(grouped, name=self.name, title=self.name)

    def encode(self) -> Payload:
        """The table as a QCDB payload: a ROOT file with the TTree."""
        return Payload(self.to_root(), "TTree", "application/root")

    def load(self, columns: Mapping[str, Array]) -> None:
        """Replace the rows by ``columns`` (a tree read back; missing text columns empty,
        ``meta.runNumberStr`` recomputed when absent)."""
        size = len(columns[TIME]) if TIME in columns else 0
        for name, kind in self.types.items():
            values = columns.get(name)
            if values is None and name == META_RUN_TEXT and META_RUN in columns:
                self._rows[name] = [str(int(r)) for r in columns[META_RUN]]
            elif values is None:
                self._rows[name] = [_missing(kind)] * size
            else:
                self._rows[name] = list(values)

    def same_layout(self, stored: Sequence[str]) -> bool:
        """QC's ``canContinueTrend``: True when a tree whose columns are ``stored``
        (``branch.leaf`` names) has exactly this table's branches and every number column.
        Text columns may be missing (qcflow's trees before leaf lists): they are recomputed."""
        names = set(stored)
        branches = {n.rpartition(".")[0] or n for n in names}
        numbers = {n for n, t in self.types.items() if t != TEXT}
        return branches == set(self.branches) and numbers <= names


def _array(values: list[Any], kind: str) -> Array:
    """A column's rows as one array (``(rows, n)`` for a fixed-size array type)."""
    if kind == TEXT:
        return np.asarray(values, dtype=object)
    dtype = np.dtype(kind)
    array = np.asarray(values, dtype=dtype.base)
    return array.reshape((len(values), *dtype.shape)) if dtype.shape else array


def _stored(values: Array, leaf_kind: str | None) -> Array:
    """A column as its leaf stores it: integers (NaN -> 0) for an integer leaf."""
    if leaf_kind is None:
        return values
    return np.nan_to_num(values.astype(np.float64), nan=0.0).astype(leaf_kind)


def _missing(kind: str) -> Any:
    """The value of a column for a missing input: empty text, NaN, or an array of NaN."""
    if kind == TEXT:
        return ""
    shape = np.dtype(kind).shape
    return np.full(shape, np.nan) if shape else np.nan
