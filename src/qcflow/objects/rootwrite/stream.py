"""ROOT's streaming primitives: byte-count headers, strings, objects written with their class.

A record is ``[byte count | 0x40000000][version]`` then its members; an object held by pointer
is ``[byte count][0xFFFFFFFF][class name\\0]`` then the record (ROOT's ``WriteObjectAny`` for a
class not yet seen in the buffer), or ``[byte count][0x80000000 | reference]`` then the record
for a class already seen (the reference is the position of its class tag); a null pointer is
four zero bytes. References count from the start of the key (``origin``) plus 2
(``kMapOffset``).

The one home of these primitives in qcflow: the writers here (leaf-list trees, graphs) build
records in a :class:`Buffer`; :mod:`qcflow.objects.root_quality` (QC's QualityObject), QC's
ratio histograms (:mod:`.ratio`) and the streamer records (:mod:`.streamerinfo`) compose
them as bytes with :func:`versioned`, :func:`object_any`, :func:`tobject` and :func:`string`;
:mod:`qcflow.objects.streamed` reads with the same :data:`BYTECOUNT`.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

__all__ = [
    "BYTECOUNT",
    "CLASS_REFERENCE",
    "MAP_OFFSET",
    "NEW_CLASS",
    "Buffer",
    "object_any",
    "put_object",
    "string",
    "tobject",
    "versioned",
]

#: The flag marking a byte count (``kByteCountMask``).
BYTECOUNT = 0x40000000
#: The tag announcing a class name not yet seen in the buffer (``kNewClassTag``).
NEW_CLASS = 0xFFFFFFFF
#: The flag marking a reference to a class tag written earlier in the buffer (``kClassMask``).
CLASS_REFERENCE = 0x80000000
#: What ROOT adds to a position in the key's buffer to make a reference (``kMapOffset``).
MAP_OFFSET = 2


def string(text: str, errors: str = "surrogateescape") -> bytes:
    """A ``/C`` value, a TString or a ``std::string`` as ROOT streams it: length byte(s), then
    the UTF-8 bytes (``errors``: how a lone surrogate is encoded; the default gives back the
    bytes a ``/C`` leaf held)."""
    raw = text.encode("utf-8", errors=errors)
    head = struct.pack(">B", len(raw)) if len(raw) < 255 else struct.pack(">BI", 255, len(raw))
    return head + raw


def versioned(version: int, payload: bytes) -> bytes:
    """``payload`` behind ROOT's byte count and class version (a whole record, as bytes)."""
    return struct.pack(">IH", (len(payload) + 2) | BYTECOUNT, version) + payload


def object_any(class_name: str, payload: bytes) -> bytes:
    """A pointer member as ``TBuffer::WriteObjectAny`` writes it, with a new class tag."""
    tag = class_name.encode() + b"\0"
    return struct.pack(">II", (len(payload) + len(tag) + 4) | BYTECOUNT, NEW_CLASS) + tag + payload


def tobject(bits: int = 0) -> bytes:
    """TObject's members (version 1, fUniqueID 0, fBits)."""
    return struct.pack(">hII", 1, 0, bits)


class Buffer:
    """A growing byte buffer with ROOT's byte-count headers patched in when a record closes."""

    def __init__(self, origin: int) -> None:
        self.data = bytearray()
        self.origin = origin  # the key's length: object references count from the key's start

    def begin(self, version: int) -> int:
        start = len(self.data)
        self.data += struct.pack(">Ih", 0, version)
        return start

    def end(self, start: int) -> None:
        count = len(self.data) - start - 4
        self.data[start : start + 4] = struct.pack(">I", count | BYTECOUNT)

    def begin_object(self, classname: str) -> tuple[int, int]:
        """Start an object written with its class name (``TObjArray`` elements); returns its
        byte-count position and its reference number."""
        start = len(self.data)
        self.data += struct.pack(">II", 0, NEW_CLASS) + classname.encode() + b"\x00"
        return start, self.origin + start + MAP_OFFSET

    def named(self, name: str, title: str, bits: int) -> None:
        """TNamed v1 holding TObject v1."""
        start = self.begin(1)
        self.data += tobject(bits) + string(name) + string(title)
        self.end(start)

    def objarray_header(self, size: int) -> int:
        start = self.begin(3)
        self.data += tobject(0x03000000) + b"\x00" + struct.pack(">ii", size, 0)
        return start


def put_object(
    directory: Any,
    classname: str,
    key: str,
    title: str,
    raw: bytes,
    models: Sequence[Any],
    extra: Sequence[tuple[Any, ...]] = (),
    *,
    compress: bool = False,
) -> None:
    """Store a streamed object under ``key`` in an ``uproot.recreate`` file (or directory), and
    the streamer infos of ``models`` (uproot model classes) and ``extra`` (raw streamer infos
    as uproot's models carry them: ``(None, bytes, class name, version)``) in the file;
    ``compress``: with the file's compression (a big TKey either way)."""
    import uproot
    import uproot.compression

    data = uproot.compression.compress(raw, directory._file.compression) if compress else raw
    directory._cascading.add_object(
        directory._file.sink, classname, key, title, data, len(raw), big=True
    )
    streamers, seen = [], set()
    for rawstreamers in [*(m.class_rawstreamers for m in models), extra]:
        for rawstreamer in rawstreamers:
            if (rawstreamer[-2], rawstreamer[-1]) not in seen:
                seen.add((rawstreamer[-2], rawstreamer[-1]))
                streamers.append(uproot.writing._cascade.RawStreamerInfo(*rawstreamer))
    directory._file._cascading.streamers.update_streamers(directory._file.sink, streamers)
