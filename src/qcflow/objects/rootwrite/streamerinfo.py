"""TStreamerInfo records, with ROOT's checksums, for classes qcflow writes without a dictionary.

A ROOT file describes every class it holds with a TStreamerInfo (v9): the class's name,
checksum and version, then one TStreamerElement per base and persistent member. ROOT (and
JSROOT, uproot) read an object through these records; ROOT *with* the class's dictionary
compares the checksum with its own and complains when they differ. :class:`Catalog` builds
the records of a set of :class:`StreamedClass` descriptions:

- an element is a ``TStreamerBase`` (ROOT keeps the base's checksum in ``fMaxIndex[1]``),
  ``TStreamerBasicType``, ``TStreamerSTLstring``, ``TStreamerSTL``, ``TStreamerObjectAny`` or
  ``TStreamerObjectPointer`` (one TStreamerElement v4 inside each);
- the checksum is ``TClass::GetCheckSum``'s current rule: the class name, then each base's
  name and checksum (not for ``pair``), then each member's name and type name, folded as
  ``id = id * 3 + byte`` in 32 bits. Bases the catalog does not describe (``TObject``, ``TH2F``)
  take the checksum that ROOT's own record of them states (:func:`recorded_checksum`).

Users: :mod:`qcflow.objects.root_quality` (QC's QualityObject) and :mod:`.ratio` (QC's ratio
histograms). Sizes are those of x86-64 with libstdc++, what ROOT records.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache

from qcflow.objects.rootwrite.stream import object_any, string, tobject, versioned

__all__ = [
    "Catalog",
    "Element",
    "StreamedClass",
    "any_member",
    "base",
    "basic",
    "object_pointer",
    "recorded_checksum",
    "std_string",
    "stl",
]

#: ROOT's streamer element type codes used here (``TVirtualStreamerInfo::EReadWrite``).
BASE, TOBJECT_BASE, OBJECT_POINTER, OBJECT_ANY, STL = 0, 66, 64, 62, 500


def _tstring(text: str) -> bytes:
    return string(text, errors="replace")  # a lone surrogate becomes "?" (ROOT wants UTF-8)


@dataclass(frozen=True)
class Element:
    """One TStreamerElement: its kind (ROOT's class), name, ROOT type code, size and type."""

    kind: str
    name: str
    type_code: int
    size: int
    type_name: str
    title: str = ""
    stl: tuple[int, int] | None = None  # (fSTLtype, fCtype) of TStreamerSTL*
    base_version: int = 0

    def serialise(self, base_checksum: int = 0) -> bytes:
        element = versioned(
            4,
            versioned(1, tobject() + _tstring(self.name) + _tstring(self.title))
            + struct.pack(">iiii", self.type_code, self.size, 0, 0)
            # fMaxIndex[5]; a base keeps its class's checksum in the second
            + struct.pack(">iIiii", 0, base_checksum, 0, 0, 0)
            + _tstring(self.type_name),
        )
        if self.kind == "TStreamerBase":
            return versioned(3, element + struct.pack(">i", self.base_version))
        if self.stl is not None:
            stl = versioned(3, element + struct.pack(">ii", *self.stl))
            return versioned(2, stl) if self.kind == "TStreamerSTLstring" else stl
        return versioned(2, element)


def base(name: str, title: str, version: int, type_code: int = TOBJECT_BASE) -> Element:
    """A base class (``type_code`` 66 for TObject, 0 for any other)."""
    return Element("TStreamerBase", name, type_code, 0, "BASE", title, base_version=version)


def basic(name: str, code: int, size: int, type_name: str) -> Element:
    return Element("TStreamerBasicType", name, code, size, type_name)


def std_string(name: str, title: str = "") -> Element:
    return Element("TStreamerSTLstring", name, STL, 32, "string", title, (365, 365))


def stl(name: str, size: int, type_name: str, stl_type: int) -> Element:
    """A ``vector``/``map`` (``stl_type`` 1/4) of objects or strings (fCtype 61)."""
    return Element("TStreamerSTL", name, STL, size, type_name, stl=(stl_type, 61))


def any_member(name: str, size: int, type_name: str, title: str = "") -> Element:
    """An object member held by value (not a TObject)."""
    return Element("TStreamerObjectAny", name, OBJECT_ANY, size, type_name, title)


def object_pointer(name: str, type_name: str, title: str = "") -> Element:
    """A pointer to a TObject (``TH2F*``), streamed with its class (``WriteObjectAny``)."""
    return Element("TStreamerObjectPointer", name, OBJECT_POINTER, 8, type_name, title)


@dataclass(frozen=True)
class StreamedClass:
    name: str
    version: int
    elements: tuple[Element, ...]


def _hash(value: int, text: str) -> int:
    for char in text.encode():
        value = (value * 3 + char) & 0xFFFFFFFF
    return value


def recorded_checksum(raw: bytes) -> tuple[str, int]:
    """The class name and checksum a raw streamer record (uproot's ``class_rawstreamers``
    entries, :meth:`Catalog.record`) states."""
    # [byte count][new class tag]"TStreamerInfo\0", TStreamerInfo v9 header, TNamed v1 header,
    # TObject (version, fUniqueID, fBits), fName, fTitle, then fCheckSum
    at = 8 + len(b"TStreamerInfo\0") + 6 + 6 + 10
    size = raw[at]
    name = raw[at + 1 : at + 1 + size].decode()
    at += 1 + size
    at += 1 + raw[at]
    return name, struct.unpack_from(">I", raw, at)[0]


class Catalog:
    """The streamer records of ``classes``; ``known`` gives the checksums of the bases it does
    not describe (class name -> checksum)."""

    def __init__(self, classes: Iterable[StreamedClass], known: Mapping[str, int]) -> None:
        self.classes = {c.name: c for c in classes}
        self.known = dict(known)
        self.checksum = cache(self._checksum)

    def _checksum(self, name: str) -> int:
        if name in self.known:
            return self.known[name]
        cls = self.classes[name]
        value = _hash(0, cls.name)
        for element in cls.elements:
            if element.kind == "TStreamerBase" and not cls.name.startswith("pair<"):
                value = _hash(value, element.name)
                value = (value * 3 + self.checksum(element.name)) & 0xFFFFFFFF
        for element in cls.elements:
            if element.kind != "TStreamerBase":
                value = _hash(_hash(value, element.name), element.type_name)
        return value

    def record(self, name: str) -> bytes:
        """One record of the file's streamer list: the TStreamerInfo (v9), then the TList
        option (empty), as uproot's raw streamers are."""
        cls = self.classes[name]
        elements = b"".join(
            object_any(e.kind, e.serialise(self._base_checksum(e))) for e in cls.elements
        )
        array = versioned(
            3, tobject() + _tstring("") + struct.pack(">ii", len(cls.elements), 0) + elements
        )
        info = versioned(
            9,
            versioned(1, tobject(0x00010000) + _tstring(cls.name) + _tstring(""))
            + struct.pack(">Ii", self.checksum(cls.name), cls.version)
            + object_any("TObjArray", array),
        )
        return object_any("TStreamerInfo", info) + b"\0"

    def _base_checksum(self, element: Element) -> int:
        return self.checksum(element.name) if element.kind == "TStreamerBase" else 0

    def raw_streamers(
        self, names: Iterable[str] | None = None
    ) -> tuple[tuple[None, bytes, str, int], ...]:
        """The records of ``names`` (default: every class) as uproot's raw streamer tuples."""
        chosen = self.classes if names is None else names
        return tuple((None, self.record(n), n, self.classes[n].version) for n in chosen)
