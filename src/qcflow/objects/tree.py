"""Trend tables as ROOT TTrees, in the layout QC's trending tasks write.

:func:`write_tree` writes columns grouped by branch -- ``{"meta": {"runNumber": ...,
"runNumberStr": ...}, "time": ..., "vertex_X": {"mean": ..., "stddev": ...}}`` -- as a TTree
with one *leaf-list* branch per group (``meta`` with leaves ``runNumber/L:runNumberStr/C``,
``vertex_X`` with ``mean/D:stddev``) and a one-leaf branch per plain column (``time/i``):
exactly what ``TTree::Branch(name, &struct, leaflist)`` gives in QC, so ``TTree::Draw``
names the leaves ``meta.runNumber`` and ``vertex_X.mean``. Leaf types follow the arrays'
dtypes (float64 ``D``, uint32 ``i``, int64 ``L``, text ``C``...); a 2-D column is a fixed-size
array per entry (leaf ``meanX[20]/D``). The serialisation is :mod:`qcflow.objects.rootwrite`
(uproot writes no leaf lists). The tree is stored under the key ``ccdb_object`` (QC's
``CcdbApi`` key) and may carry another name (QC names it after the task).

:func:`read_tree` reads any tree back into flat ``{"vertex_X.mean": array}`` columns: a
leaf-list branch gives ``<branch>.<leaf>``, a branch whose one leaf bears its name gives
``<branch>`` -- so trees written by C++ QC, by this module, and by earlier qcflow versions
(one branch per leaf, named ``vertex_X.mean``) all read the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from qcflow.errors import InvalidInput, first_line
from qcflow.objects.root import CCDB_KEY, _MemorySink, read_root
from qcflow.objects.rootwrite import Branch, Leaf, read_leaflist_branch, write_leaflist_tree

__all__ = ["leaf_type", "read_tree", "tree_branches", "write_tree"]

Columns = Mapping[str, "npt.ArrayLike | Mapping[str, npt.ArrayLike]"]

_LETTERS = {
    "f8": "D",
    "f4": "F",
    "i8": "L",
    "u8": "l",
    "i4": "I",
    "u4": "i",
    "i2": "S",
    "u2": "s",
    "i1": "B",
    "u1": "b",
    "b1": "O",
}


def leaf_type(array: npt.NDArray[Any]) -> Leaf:
    """The leaf for a column: ROOT's type letter from the dtype (text: ``C``), and the row
    length of a 2-D column."""
    kind = array.dtype
    if kind.kind in "OUS":
        return Leaf("", "C")
    letter = _LETTERS.get(f"{kind.kind}{kind.itemsize}")
    if letter is None:
        msg = f"tree column of type {kind} has no ROOT leaf type"
        raise InvalidInput(msg)
    return Leaf("", letter, int(np.prod(array.shape[1:])) if array.ndim > 1 else 1)


def _branch(name: str, leaves: Mapping[str, npt.NDArray[Any]]) -> Branch:
    out = []
    for leaf_name, array in leaves.items():
        kind = leaf_type(array)
        out.append(Leaf(leaf_name, kind.type, kind.length))
    return Branch(name, tuple(out))


def write_tree(
    columns: Columns, *, key: str = CCDB_KEY, name: str | None = None, title: str = ""
) -> bytes:
    """A ROOT file (bytes) with one TTree under ``key`` (named ``name``, default ``key``)."""
    import uproot

    branches, data, lengths = [], {}, set()
    for branch, value in columns.items():
        if isinstance(value, Mapping):
            leaves = {k: np.asarray(v) for k, v in value.items()}
        else:
            leaves = {branch: np.asarray(value)}
        lengths |= {len(v) for v in leaves.values()}
        branches.append(_branch(branch, leaves))
        data[branch] = leaves
    if len(lengths) > 1:
        msg = f"tree columns have different lengths: {sorted(lengths)}"
        raise InvalidInput(msg)
    sink = _MemorySink()
    with uproot.recreate(sink) as file:
        write_leaflist_tree(file, key, branches, data, name=name, title=title)
    return sink.getvalue()


def _tree(data: bytes, key: str) -> Any:
    file = read_root(data)
    try:
        tree = file[key]
    except Exception as err:
        msg = f"ROOT file has no readable TTree {key!r}: {first_line(err)}"
        raise InvalidInput(msg) from err
    if getattr(tree, "classname", "") != "TTree":
        msg = f"ROOT file has no readable TTree {key!r}: it holds a {tree.classname}"
        raise InvalidInput(msg)
    return tree


def tree_branches(data: bytes, *, name: str = CCDB_KEY) -> dict[str, list[str]]:
    """The TTree's top-level branches and their leaves' names (what ``canContinueTrend``
    compares)."""
    tree = _tree(data, name)
    return {b.name: [leaf.member("fName") for leaf in b.member("fLeaves")] for b in tree.branches}


def read_tree(data: bytes, *, name: str = CCDB_KEY) -> dict[str, npt.NDArray[Any]]:
    """Every leaf of the TTree under key ``name`` as a flat column (``branch.leaf`` names)."""
    tree = _tree(data, name)
    out: dict[str, npt.NDArray[Any]] = {}
    try:
        for branch in tree.branches:
            leaves = read_leaflist_branch(branch)
            if len(leaves) == 1 and branch.name in leaves:
                out[branch.name] = leaves[branch.name]
            else:
                out.update({f"{branch.name}.{leaf}": v for leaf, v in leaves.items()})
    except Exception as err:
        msg = f"ROOT file has no readable TTree {name!r}: {first_line(err)}"
        raise InvalidInput(msg) from err
    return out
