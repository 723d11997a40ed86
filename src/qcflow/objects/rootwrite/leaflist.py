"""Write a TTree whose branches are leaf lists, into a file opened with ``uproot.recreate``.

uproot 5.7 writes one leaf per branch. ROOT's ``TTree::Branch("meta", &meta,
"runNumber/L:runNumberStr/C")`` makes *one* branch with several leaves, each entry being the
leaves' values one after the other (big-endian; a ``/C`` leaf as a length byte -- or 255 and a
4-byte length -- followed by the characters). ``TTree::Draw`` and uproot name such leaves
``meta.runNumber``. This module writes that layout:

- each branch's entries go into one TBasket (a trend has thousands of rows at most); a branch
  with a ``/C`` leaf has variable-size entries, so its basket carries the entry-offset table
  and the branch a non-zero ``fEntryOffsetLen``, as ROOT does;
- the TTree, TBranch and TLeaf* records are streamed by hand (TTree v20, TBranch v13, TLeaf v2,
  TLeaf<T> v1: the versions uproot's own tree writer uses, whose streamer infos it adds to the
  file), with the TTree's name independent of its key (QC stores a tree named after the task
  under the key ``ccdb_object``).

Only uproot's file-level machinery is used (free-segment allocation, keys, compression,
streamer infos), through the same internal calls as ``WritableDirectory.mktree``.
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from qcflow.objects.rootwrite.stream import Buffer as _Buffer
from qcflow.objects.rootwrite.stream import put_object
from qcflow.objects.rootwrite.stream import string as _string

__all__ = [
    "Branch",
    "Leaf",
    "branch_leaves",
    "leaf_list",
    "read_leaflist_branch",
    "write_leaflist_tree",
]

#: ROOT's leaf type letters: numpy type, TLeaf class suffix, (fMinimum, fMaximum) format.
_TYPES: dict[str, tuple[str, str, str]] = {
    "D": (">f8", "D", ">dd"),
    "F": (">f4", "F", ">ff"),
    "L": (">i8", "L", ">qq"),
    "l": (">u8", "L", ">qq"),
    "I": (">i4", "I", ">ii"),
    "i": (">u4", "I", ">ii"),
    "S": (">i2", "S", ">hh"),
    "s": (">u2", "S", ">hh"),
    "B": ("i1", "B", ">bb"),
    "b": ("u1", "B", ">bb"),
    "O": ("?", "O", ">??"),
    "C": ("", "C", ">ii"),
}

_BIG_KEY = struct.Struct(">ihiIhhqq")  # TKey header with 64-bit seeks
_BASKET = struct.Struct(">Hiiii")  # TBasket: fVersion, fBufferSize, fNevBufSize, fNevBuf, fLast
_MAX_BASKETS = 10
#: an empty TObjArray v3 (TObject v1, fBits 0x03000000, fName "", fSize 0, fLowerBound 0)
_EMPTY_OBJARRAY = b"@\x00\x00\x15\x00\x03\x00\x01" + bytes(4) + b"\x03" + bytes(12)
_IO_FEATURES = b"@\x00\x00\x07\x00\x00\x1a\xa1/\x10\x00"
_ATT_FILL = b"@\x00\x00\x06\x00\x02\x00\x00\x03\xe9"  # TAttFill v2: color 0, style 1001
#: TAttLine v2 (602, 1, 1), TAttFill v2 (0, 1001), TAttMarker v2 (1, 1, 1.0): ROOT's defaults.
_TREE_ATTS = (
    b"@\x00\x00\x08\x00\x02\x02Z\x00\x01\x00\x01"
    b"@\x00\x00\x06\x00\x02\x00\x00\x03\xe9"
    b"@\x00\x00\n\x00\x02\x00\x01\x00\x01?\x80\x00\x00"
)
_TTREE_FIELDS = struct.Struct(">qqqqqdiiiiIqqqqqq")
_TBRANCH_FIELDS1 = struct.Struct(">iiiiq")
_TBRANCH_FIELDS2 = struct.Struct(">iIiqqqq")
_TLEAF_FIELDS = struct.Struct(">iii??")


@dataclass(frozen=True)
class Leaf:
    """One leaf: a name, ROOT's type letter (``D``, ``i``, ``L``, ``C``...) and, for a
    fixed-size array per entry, its length."""

    name: str
    type: str
    length: int = 1

    def __post_init__(self) -> None:
        if self.type not in _TYPES:
            msg = f"leaf {self.name!r}: unknown ROOT leaf type {self.type!r}"
            raise ValueError(msg)
        if self.length < 1 or (self.type == "C" and self.length != 1):
            msg = f"leaf {self.name!r}: bad length {self.length}"
            raise ValueError(msg)

    @property
    def title(self) -> str:
        return self.name if self.length == 1 else f"{self.name}[{self.length}]"

    @property
    def dtype(self) -> np.dtype[Any]:
        base = np.dtype(_TYPES[self.type][0])
        return base if self.length == 1 else np.dtype((base, (self.length,)))


@dataclass(frozen=True)
class Branch:
    """A branch holding ``leaves`` (one entry = every leaf's value, in order)."""

    name: str
    leaves: tuple[Leaf, ...]

    @property
    def title(self) -> str:
        return leaf_list(self.leaves)

    @property
    def variable(self) -> bool:
        return any(leaf.type == "C" for leaf in self.leaves)


def leaf_list(leaves: Sequence[Leaf]) -> str:
    """ROOT's leaf-list string, a type given only where it changes: ``mean/D:stddev:entries``."""
    parts, previous = [], ""
    for leaf in leaves:
        parts.append(leaf.title if leaf.type == previous else f"{leaf.title}/{leaf.type}")
        previous = leaf.type
    return ":".join(parts)


# -- entries -------------------------------------------------------------------------------------


def _entries(
    branch: Branch, data: Mapping[str, npt.ArrayLike], size: int
) -> tuple[bytes, list[int] | None]:
    """The branch's entries back to back, and each entry's start (None when of fixed size)."""
    columns: dict[str, Any] = {}
    for leaf in branch.leaves:
        if leaf.name not in data:
            msg = f"branch {branch.name!r}: no values for leaf {leaf.name!r}"
            raise ValueError(msg)
        values = data[leaf.name]
        if leaf.type == "C":
            column: Any = [str(v) for v in np.asarray(values, dtype=object).reshape(-1)]
        else:
            column = np.asarray(values).astype(leaf.dtype.base)
            column = column.reshape((len(column), *leaf.dtype.shape))
        if len(column) != size:
            msg = f"branch {branch.name!r}: leaf {leaf.name!r} has {len(column)} values, not {size}"
            raise ValueError(msg)
        columns[leaf.name] = column
    if not branch.variable:
        record = np.empty(size, dtype=[(leaf.name, leaf.dtype) for leaf in branch.leaves])
        for leaf in branch.leaves:
            record[leaf.name] = columns[leaf.name]
        return record.tobytes(), None
    parts, starts, position = [], [], 0
    for row in range(size):
        starts.append(position)
        for leaf in branch.leaves:
            column = columns[leaf.name]
            # a slice, not an item: an item is a native-order scalar, the leaf big-endian
            chunk = _string(column[row]) if leaf.type == "C" else column[row : row + 1].tobytes()
            parts.append(chunk)
            position += len(chunk)
    return b"".join(parts), starts


def _c_length(branch: Branch, data: Mapping[str, npt.ArrayLike], leaf: Leaf) -> int:
    """A ``/C`` leaf's fLen and fMaximum: the longest value plus its terminating zero."""
    if leaf.type != "C":
        return leaf.length
    values = np.asarray(data[leaf.name], dtype=object).reshape(-1)
    return 1 + max(
        (len(str(v).encode("utf-8", errors="surrogateescape")) for v in values), default=0
    )


# -- streaming -----------------------------------------------------------------------------------


@dataclass
class _Written:
    """A branch's baskets as written: what its TBranch record points to."""

    seeks: list[int]
    nbytes: list[int]
    tot_bytes: int
    zip_bytes: int
    c_lengths: dict[str, int]


def _write_basket(
    directory: Any,
    tree_name: str,
    branch: Branch,
    payload: tuple[bytes, list[int] | None],
    size: int,
) -> tuple[int, int, int]:
    """Write one TBasket record; returns (location, fNbytes, fKeylen + fObjlen)."""
    import uproot

    cascading = directory._cascading
    file = directory._file
    data, starts = payload
    head = _string("TBasket") + _string(branch.name) + _string(tree_name)
    keylen = _BIG_KEY.size + len(head) + _BASKET.size + 1
    last = keylen + len(data)
    if starts is None:
        raw = data
        nev_buf_size = len(data) // size if size else 0
    else:
        offsets = np.asarray([keylen + s for s in starts], dtype=">i4")
        raw = data + struct.pack(">I", size + 1) + offsets.tobytes() + b"\x00\x00\x00\x00"
        nev_buf_size = 1000
    compressed = uproot.compression.compress(raw, file.compression)
    nbytes = keylen + len(compressed)
    location = cascading._freesegments.allocate(nbytes, dry_run=False)
    now = dt.datetime.now()  # noqa: DTZ005 -- ROOT's TDatime is local time, as uproot writes it
    date = uproot._util.datetime_to_code(now)
    record = _BIG_KEY.pack(
        nbytes, 1004, len(raw), date, keylen, 0, location, cascading.key.location
    )
    record += head + _BASKET.pack(3, 32000, nev_buf_size, size, last) + b"\x00" + compressed
    sink = file.sink
    sink.write(location, record)
    cascading._freesegments.write(sink)
    sink.set_file_length(cascading._freesegments.fileheader.end)
    return location, nbytes, keylen + len(raw)


def _stream_branch(
    out: _Buffer, branch: Branch, written: _Written, size: int, leaf_refs: list[int]
) -> None:
    start, _ = out.begin_object("TBranch")
    record = out.begin(13)
    out.named(branch.name, branch.title, 0x00400000)
    out.data += _ATT_FILL
    baskets = len(written.seeks)
    entry_offset_len = 1000 if branch.variable else 0
    out.data += _TBRANCH_FIELDS1.pack(0, 32000, entry_offset_len, baskets, size)
    out.data += _IO_FEATURES
    out.data += _TBRANCH_FIELDS2.pack(
        0, _MAX_BASKETS, 0, size, 0, written.tot_bytes, written.zip_bytes
    )
    out.data += _EMPTY_OBJARRAY  # sub-branches
    leaves = out.objarray_header(len(branch.leaves))
    offset = 0
    for leaf in branch.leaves:
        numpy_type, suffix, limits = _TYPES[leaf.type]
        length = written.c_lengths.get(leaf.name, leaf.length)
        leaf_start, reference = out.begin_object(f"TLeaf{suffix}")
        leaf_refs.append(reference)
        typed = out.begin(1)
        generic = out.begin(2)
        out.named(leaf.name, leaf.title, 0x03000000)
        item = 1 if leaf.type == "C" else np.dtype(numpy_type).itemsize
        unsigned = leaf.type.islower()
        out.data += _TLEAF_FIELDS.pack(length, item, offset, False, unsigned)
        out.data += b"\x00\x00\x00\x00"  # no fLeafCount
        out.end(generic)
        out.data += struct.pack(limits, *((0, length) if leaf.type == "C" else (0, 0)))
        out.end(typed)
        out.end(leaf_start)
        offset += item * (1 if leaf.type == "C" else leaf.length)
    out.end(leaves)
    out.data += _EMPTY_OBJARRAY  # fBaskets: the baskets live in their own keys
    basket_bytes = np.zeros(_MAX_BASKETS, ">i4")
    basket_entry = np.zeros(_MAX_BASKETS, ">i8")
    basket_seek = np.zeros(_MAX_BASKETS, ">i8")
    basket_bytes[:baskets] = written.nbytes
    basket_seek[:baskets] = written.seeks
    basket_entry[baskets] = size
    out.data += b"\x01" + basket_bytes.tobytes() + b"\x01" + basket_entry.tobytes()
    out.data += b"\x01" + basket_seek.tobytes() + b"\x00"  # empty fFileName
    out.end(record)
    out.end(start)


def _count(values: Mapping[str, npt.ArrayLike], leaf: Leaf) -> int:
    column = values.get(leaf.name, ())
    return len(np.asarray(column, dtype=object if leaf.type == "C" else None))


def write_leaflist_tree(
    directory: Any,
    key: str,
    branches: Sequence[Branch],
    data: Mapping[str, Mapping[str, npt.ArrayLike]],
    *,
    name: str | None = None,
    title: str = "",
) -> None:
    """Write a TTree named ``name`` (default: ``key``) under ``key`` in ``directory`` (an
    ``uproot.recreate`` file or one of its directories). ``data[branch][leaf]`` holds each
    leaf's values, one per entry (an array per entry for array leaves, text for ``/C``)."""
    import uproot

    tree_name = key if name is None else name
    sizes = {_count(data.get(b.name, {}), leaf) for b in branches for leaf in b.leaves}
    if len(sizes) > 1:
        msg = f"tree {tree_name!r}: leaves have different numbers of entries: {sorted(sizes)}"
        raise ValueError(msg)
    size = sizes.pop() if sizes else 0
    written: list[_Written] = []
    for branch in branches:
        values = data.get(branch.name, {})
        payload = _entries(branch, values, size)
        lengths = {
            leaf.name: _c_length(branch, values, leaf) for leaf in branch.leaves if leaf.type == "C"
        }
        if size:
            location, nbytes, tot = _write_basket(directory, tree_name, branch, payload, size)
            written.append(_Written([location], [nbytes], tot, nbytes, lengths))
        else:
            written.append(_Written([], [], 0, 0, lengths))

    name_bytes, title_bytes = _string(key), _string(title)
    keylen = _BIG_KEY.size + len(_string("TTree")) + len(name_bytes) + len(title_bytes)
    out = _Buffer(keylen)
    tree = out.begin(20)
    out.named(tree_name, title, 0x03000008)  # kMustCleanup, as uproot and ROOT write trees
    out.data += _TREE_ATTS
    tot = sum(w.tot_bytes for w in written)
    zipped = sum(w.zip_bytes for w in written)
    out.data += _TTREE_FIELDS.pack(
        size,
        tot,
        zipped,
        zipped,
        zipped,
        1.0,
        0,
        25,
        0,
        1000,
        0,
        1000000000000,
        1000000000000,
        0,
        -300000000,
        -30000000,
        1000000,
    )
    out.data += b"\x00\x00@\x00\x00\x07\x00\x00\x1a\xa1/\x10\x00"  # no cluster ranges; fIOFeatures
    leaf_refs: list[int] = []
    array = out.objarray_header(len(branches))
    for branch, info in zip(branches, written, strict=True):
        _stream_branch(out, branch, info, size, leaf_refs)
    out.end(array)
    refs = out.objarray_header(len(leaf_refs))
    out.data += np.asarray(leaf_refs, ">u4").tobytes()
    out.end(refs)
    out.data += b"\x00" * 28  # no fAliases, fIndexValues, fIndex, fTreeIndex, fFriends, ...
    out.end(tree)
    raw = bytes(out.data)
    models = uproot.models
    put_object(
        directory,
        "TTree",
        key,
        title,
        raw,
        (
            models.TLeaf.Model_TLeafB_v1,
            models.TLeaf.Model_TLeafS_v1,
            models.TLeaf.Model_TLeafI_v1,
            models.TLeaf.Model_TLeafL_v1,
            models.TLeaf.Model_TLeafF_v1,
            models.TLeaf.Model_TLeafD_v1,
            models.TLeaf.Model_TLeafC_v1,
            models.TLeaf.Model_TLeafO_v1,
            models.TBranch.Model_TBranch_v13,
            models.TTree.Model_TTree_v20,
        ),
    )


# -- reading -------------------------------------------------------------------------------------

_LEAF_CLASSES = {
    "TLeafD": "D",
    "TLeafF": "F",
    "TLeafL": "L",
    "TLeafI": "I",
    "TLeafS": "S",
    "TLeafB": "B",
    "TLeafO": "O",
    "TLeafC": "C",
}


def branch_leaves(branch: Any) -> tuple[Leaf, ...]:
    """The leaves of an uproot TBranch as :class:`Leaf` records (type letter, array length)."""
    out = []
    for leaf in branch.member("fLeaves"):
        classname = type(leaf).__name__.removeprefix("Model_").split("_v")[0]
        letter = _LEAF_CLASSES.get(classname)
        if letter is None:
            msg = f"branch {branch.name!r}: leaf {leaf.member('fName')!r} is a {classname}"
            raise ValueError(msg)
        if leaf.member("fIsUnsigned") and letter not in "DFOC":
            letter = letter.lower()
        length = 1 if letter == "C" else max(int(leaf.member("fLen")), 1)
        out.append(Leaf(leaf.member("fName"), letter, length))
    return tuple(out)


def read_leaflist_branch(branch: Any) -> dict[str, npt.NDArray[Any]]:
    """Every leaf of an uproot TBranch as an array (``/C`` leaves as object arrays of str).

    uproot reads leaf lists of numbers itself (as records); a leaf list with a ``/C`` leaf
    (QC's ``meta``: ``runNumber/L:runNumberStr/C``) it cannot, so its entries are decoded here
    from the baskets' bytes and entry offsets."""
    leaves = branch_leaves(branch)
    if not any(leaf.type == "C" for leaf in leaves):
        # fixed-size entries: the baskets' bytes are records (uproot's own interpretation
        # mis-shapes leaf lists holding arrays)
        record = np.dtype([(leaf.name, leaf.dtype) for leaf in leaves])
        chunks = [
            np.frombuffer(_basket_bytes(branch, i), record) for i in range(branch.num_baskets)
        ]
        rows = np.concatenate(chunks) if chunks else np.empty(0, record)
        return {
            leaf.name: rows[leaf.name].astype(leaf.dtype.base.newbyteorder("=")) for leaf in leaves
        }
    texts: dict[str, list[Any]] = {leaf.name: [] for leaf in leaves}
    for index in range(branch.num_baskets):
        basket = branch.basket(index)
        data = _basket_bytes(branch, index)
        offsets = basket.byte_offsets
        for entry in range(basket.num_entries):
            position = int(offsets[entry])
            for leaf in leaves:
                if leaf.type == "C":
                    size = data[position]
                    position += 1
                    if size == 255:
                        (size,) = struct.unpack_from(">I", data, position)
                        position += 4
                    text = data[position : position + size].decode("utf-8", "surrogateescape")
                    texts[leaf.name].append(text)
                    position += size
                else:
                    value = np.frombuffer(data, leaf.dtype.base, leaf.length, position)
                    texts[leaf.name].append(value if leaf.length > 1 else value[0])
                    position += value.nbytes
    return {
        leaf.name: np.asarray(
            texts[leaf.name],
            dtype=object if leaf.type == "C" else leaf.dtype.base.newbyteorder("="),
        )
        for leaf in leaves
    }


def _basket_bytes(branch: Any, index: int) -> bytes:
    """The entries' bytes of one basket (without its entry-offset table)."""
    basket = branch.basket(index)
    return bytes(np.asarray(basket.data, dtype=np.uint8)[: basket.border])
