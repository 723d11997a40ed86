"""Small ROOT files read without uproot: the header, the top directory's keys, a key's bytes.

A QCDB object is a small ROOT file holding one object under ``ccdb_object``. uproot reads any
ROOT file, but opening one and building its generic object models costs about a millisecond
per object: most of the time of a trend over a thousand runs. :class:`RootFile` parses the
file header and the top directory's key list; :meth:`RootFile.object_bytes` gives one key's
uncompressed object; :class:`Cursor` reads ROOT's streaming primitives from them (versions and
byte counts, ``TObject``, ``TString``, object pointers with their class tags), so a codec that
knows a class's fixed member layout (:func:`qcflow.objects.root.decode_histogram`) reads it in
a few microseconds.

Anything this module does not know -- a compression algorithm other than zlib (ROOT's
default) or none, a byte count that does not add up, a pointer to an already-read object --
raises :class:`Unsupported`, as does malformed input; callers then read the file with uproot,
which also gives the error message for a broken file. It imports nothing from qcflow.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Cursor", "Key", "RootFile", "Unsupported", "streamer_record"]

_BYTECOUNT = 0x40000000
_NEW_CLASS = 0xFFFFFFFF
_CLASS_REF = 0x80000000
#: ROOT's ``kMapOffset``: class tags count positions from 2.
_MAP_OFFSET = 2
#: ``TObject::kIsReferenced``: a process id follows the bits.
_IS_REFERENCED = 0x10
_BLOCK_HEADER = 9
_LARGE_FILE = 1_000_000
_LARGE_KEY = 1000


class Unsupported(Exception):
    """The bytes are not in a layout this reader knows (or are not ROOT): use uproot."""


@dataclass(frozen=True)
class Key:
    """A key of the top directory: what it holds and where its record is."""

    class_name: str
    name: str
    cycle: int
    seek: int
    nbytes: int
    key_length: int
    object_length: int


class RootFile:
    """The header and top-directory keys of ROOT file bytes (the highest cycle per name)."""

    def __init__(self, data: bytes) -> None:
        try:
            self._parse(data)
        except (struct.error, IndexError, ValueError) as err:
            raise Unsupported(str(err)) from err

    def _parse(self, data: bytes) -> None:
        if not data.startswith(b"root"):
            msg = "not a ROOT file"
            raise Unsupported(msg)
        self.data = data
        version, begin = struct.unpack_from(">ii", data, 4)
        fmt = ">qqiiiBiqi" if version >= _LARGE_FILE else ">iiiiiBiii"
        fields = struct.unpack_from(fmt, data, 12)
        name_length = fields[4]
        self.seek_info: int = fields[7]
        self.nbytes_info: int = fields[8]
        pos = begin + name_length
        (dir_version,) = struct.unpack_from(">h", data, pos)
        seeks = ">qqq" if dir_version > _LARGE_KEY else ">iii"
        seek_keys = struct.unpack_from(seeks, data, pos + 2 + 16)[2]
        header, pos = _key(data, seek_keys)
        pos = seek_keys + header.key_length
        (count,) = struct.unpack_from(">i", data, pos)
        pos += 4
        self.keys: dict[str, Key] = {}
        for _ in range(count):
            key, pos = _key(data, pos)
            known = self.keys.get(key.name)
            if known is None or key.cycle > known.cycle:
                self.keys[key.name] = key

    def object_bytes(self, key: Key) -> bytes:
        """The key's object, uncompressed."""
        start = key.seek + key.key_length
        stored = key.nbytes - key.key_length
        if key.object_length <= stored:
            return self.data[start : start + key.object_length]
        parts = []
        size = 0
        pos, end = start, start + stored
        try:
            while size < key.object_length and pos < end:
                algorithm = self.data[pos : pos + 2]
                packed = int.from_bytes(self.data[pos + 3 : pos + 6], "little")
                unpacked = int.from_bytes(self.data[pos + 6 : pos + 9], "little")
                pos += _BLOCK_HEADER
                if algorithm != b"ZL":
                    msg = f"compression {algorithm!r}"
                    raise Unsupported(msg)
                block = zlib.decompress(self.data[pos : pos + packed], bufsize=unpacked)
                if len(block) != unpacked:
                    msg = "a compressed block's size does not match its header"
                    raise Unsupported(msg)
                parts.append(block)
                size += unpacked
                pos += packed
        except zlib.error as err:
            raise Unsupported(str(err)) from err
        if size != key.object_length:
            msg = "the compressed blocks do not add up to the object"
            raise Unsupported(msg)
        return b"".join(parts)

    def streamer_record(self) -> bytes:
        """The file's streamer-info record (:func:`streamer_record`)."""
        try:
            return streamer_record(self.data, self.seek_info, self.nbytes_info)
        except struct.error as err:
            raise Unsupported(str(err)) from err


def streamer_record(data: bytes, seek: int, nbytes: int) -> bytes:
    """The streamer-info record at ``seek`` without its key header, which holds the time of
    writing: files written alike share it byte for byte."""
    (key_length,) = struct.unpack_from(">h", data, seek + 14)
    return data[seek + key_length : seek + nbytes]


def _key(data: bytes, pos: int) -> tuple[Key, int]:
    """The key header at ``pos`` and the position after it."""
    nbytes, version, objlen, _datime, keylen, cycle = struct.unpack_from(">ihiIhh", data, pos)
    pos += 18
    seek_fmt = ">qq" if version > _LARGE_KEY else ">ii"
    seek, _parent = struct.unpack_from(seek_fmt, data, pos)
    pos += struct.calcsize(seek_fmt)
    class_name, pos = _tstring(data, pos)
    name, pos = _tstring(data, pos)
    _title, pos = _tstring(data, pos)
    return Key(class_name, name, cycle, seek, nbytes, keylen, objlen), pos


def _tstring(data: bytes, pos: int) -> tuple[str, int]:
    if pos >= len(data):
        msg = "a string runs past the end of the data"
        raise Unsupported(msg)
    size = data[pos]
    pos += 1
    if size == 255:
        (size,) = struct.unpack_from(">i", data, pos)
        pos += 4
    if pos + size > len(data):
        msg = "a string runs past the end of the data"
        raise Unsupported(msg)
    # uproot's decoding, so that both readers give the same text
    return data[pos : pos + size].decode(errors="surrogateescape"), pos + size


_STRUCTS: dict[str, struct.Struct] = {}


class Cursor:
    """A cursor over one key's object bytes, reading ROOT's streaming primitives.

    ``origin`` is the key's header length: class tags count positions from the start of the
    key's record, header included.
    """

    def __init__(self, data: bytes, origin: int) -> None:
        self.data = data
        self.pos = 0
        self.origin = origin
        self._classes: dict[int, str] = {}

    def read(self, fmt: str) -> tuple[Any, ...]:
        """Big-endian ``struct`` fields."""
        packing = _STRUCTS.get(fmt)
        if packing is None:
            packing = _STRUCTS[fmt] = struct.Struct(">" + fmt)
        try:
            values = packing.unpack_from(self.data, self.pos)
        except struct.error as err:
            raise Unsupported(str(err)) from err
        self.pos += packing.size
        return values

    def skip(self, size: int) -> None:
        self.pos += size
        if size < 0 or self.pos > len(self.data):
            msg = "the object runs past the end of its key"
            raise Unsupported(msg)

    def version(self) -> tuple[int, int | None]:
        """A class's version, and the end of its data when a byte count precedes it."""
        (count,) = self.read("I")
        if count & _BYTECOUNT:
            end = self.pos + (count & ~_BYTECOUNT)
            (version,) = self.read("H")
            return version, end
        self.pos -= 4
        (version,) = self.read("H")
        return version, None

    def expect(self, versions: tuple[int, ...]) -> int | None:
        """A version header that must be one of ``versions``; the end of the data."""
        version, end = self.version()
        if version not in versions:
            msg = f"class version {version}, expected {versions}"
            raise Unsupported(msg)
        return end

    def skip_versioned(self) -> None:
        """Skip an object whose byte count says how long it is."""
        _, end = self.version()
        if end is None:
            msg = "an object without byte count cannot be skipped"
            raise Unsupported(msg)
        self.skip(end - self.pos)

    def ends_at(self, end: int | None) -> None:
        """Check that the data read ends exactly where its byte count said (None: no count)."""
        if end is not None and self.pos != end:
            msg = f"read {self.pos}, the byte count says {end}"
            raise Unsupported(msg)

    def tobject(self) -> int:
        """A ``TObject`` (version, unique id, bits): its unique id."""
        _version, unique_id, bits = self.read("HII")
        if bits & _IS_REFERENCED:
            self.read("H")
        return int(unique_id)

    def tstring(self) -> str:
        text, self.pos = _tstring(self.data, self.pos)
        return text

    def array(self, dtype: str, count: int, native: str = "") -> npt.NDArray[Any]:
        """``count`` big-endian numbers of ``dtype`` (``f4``, ``f8``, ``i4``...), converted to
        ``native`` (default: ``dtype``) in machine order."""
        size = np.dtype(dtype).itemsize * count
        if count < 0 or self.pos + size > len(self.data):
            msg = "an array runs past the end of its key"
            raise Unsupported(msg)
        out = np.frombuffer(self.data, dtype=">" + dtype, count=count, offset=self.pos)
        self.pos += size
        return out.astype(native or dtype)

    def pointer(self) -> tuple[str | None, int | None]:
        """An object pointer: the class of the object that follows (None: a null pointer) and
        the end of its data. A reference to an object read before is :class:`Unsupported`."""
        (first,) = self.read("I")
        end = None
        tag_at = self.pos - 4
        tag = first
        if first & _BYTECOUNT and first != _NEW_CLASS:
            end = self.pos + (first & ~_BYTECOUNT)
            tag_at = self.pos
            (tag,) = self.read("I")
        if tag == 0:
            return None, end
        if tag == _NEW_CLASS:
            stop = self.data.find(b"\0", self.pos)
            if stop < 0:
                msg = "a class name runs past the end of its key"
                raise Unsupported(msg)
            name = self.data[self.pos : stop].decode(errors="surrogateescape")
            self.pos = stop + 1
            self._classes[tag_at + self.origin + _MAP_OFFSET] = name
            return name, end
        if tag & _CLASS_REF:
            known = self._classes.get(tag & ~_CLASS_REF)
            if known is None:
                msg = "a class tag names no class read before"
                raise Unsupported(msg)
            return known, end
        msg = "a reference to an object read before"
        raise Unsupported(msg)

    def skip_pointer(self) -> None:
        """Skip an object pointer and the object it holds (null, or one with a byte count)."""
        name, end = self.pointer()
        if name is None:
            return
        if end is None:
            msg = "an object without byte count cannot be skipped"
            raise Unsupported(msg)
        self.skip(end - self.pos)
