"""Trend tables as ROOT TTrees, the way QC's trending tasks store them.

:func:`write_tree` writes columns grouped by branch -- ``{"meta": {"runNumber": ...},
"time": ..., "vertex_X": {"mean": ..., "stddev": ...}}`` -- as a TTree whose leaves are named
``meta.runNumber``, ``time``, ``vertex_X.mean`` (uproot ``mktree`` with a ``field_name`` that
joins with a dot; ``f[name] = dict`` would write an RNTuple since uproot 5.7). A 2-D column is
a fixed-size array per entry (``meanX[20]/D``) and reads back as a 2-D array.
:func:`read_tree` reads any such tree back into flat ``{"vertex_X.mean": array}`` columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from qcflow.errors import InvalidInput, first_line
from qcflow.objects.root import CCDB_KEY, _MemorySink, read_root

__all__ = ["read_tree", "write_tree"]

Columns = Mapping[str, "npt.ArrayLike | Mapping[str, npt.ArrayLike]"]


def _as_arrays(columns: Columns) -> dict[str, Any]:
    out: dict[str, Any] = {}
    lengths = set()
    for branch, value in columns.items():
        if isinstance(value, Mapping):
            import awkward as ak

            leaves = {k: np.asarray(v) for k, v in value.items()}
            lengths |= {len(v) for v in leaves.values()}
            out[branch] = ak.zip(leaves, depth_limit=1)
        else:
            array = np.asarray(value)
            lengths.add(len(array))
            out[branch] = array
    if len(lengths) > 1:
        msg = f"tree columns have different lengths: {sorted(lengths)}"
        raise InvalidInput(msg)
    return out


def _branch_type(array: Any) -> Any:
    """The type ``mktree`` wants: awkward records' content, a numpy dtype -- with the row shape
    for a 2-D array (a fixed-size array per entry, leaf ``x[n]/D``)."""
    if hasattr(array, "layout"):
        return array.type.content
    return np.dtype((array.dtype, array.shape[1:])) if array.ndim > 1 else array.dtype


def write_tree(columns: Columns, *, name: str = CCDB_KEY, title: str = "") -> bytes:
    """A ROOT file (bytes) with one TTree ``name`` holding ``columns``."""
    import uproot

    arrays = _as_arrays(columns)
    sink = _MemorySink()
    with uproot.recreate(sink) as file:
        types = {k: _branch_type(v) for k, v in arrays.items()}
        tree = file.mktree(name, types, title=title,
                           field_name=lambda outer, inner: f"{outer}.{inner}")  # fmt: skip
        if any(len(v) for v in arrays.values()):
            tree.extend(arrays)
    return sink.getvalue()


def read_tree(data: bytes, *, name: str = CCDB_KEY) -> dict[str, npt.NDArray[Any]]:
    """Every leaf of the TTree ``name`` as a flat column (``branch.leaf`` names)."""
    file = read_root(data)
    try:
        tree = file[name]
        return {key: np.asarray(tree[key].array(library="np")) for key in tree.keys()  # noqa: SIM118 -- an uproot TTree, not a dict
                if not tree[key].branches}  # fmt: skip
    except InvalidInput:
        raise
    except Exception as err:
        msg = f"ROOT file has no readable TTree {name!r}: {first_line(err)}"
        raise InvalidInput(msg) from err
