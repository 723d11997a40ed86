"""Objects of a ROOT file read member by member as the file's own streamer infos say.

uproot parses the streamer infos and reads most classes, but not a member-wise
``vector<pair<object,string>>`` of more than one element (QC's quality flags): :class:`Reader`
interprets the layouts QC's classes use -- basic members, ``std::string``, objects, and
``vector``/``map`` of strings or objects, member-wise (``0x4000`` in the version: the value
class's version or checksum, the count, then each member of all elements in turn) or not.
:func:`read_key` gives a key's class, uncompressed bytes and the file's streamer infos; the
parsed infos are kept per distinct streamer list (parsing is most of a small file's cost), and
a file whose list is known is read without uproot.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Any

from qcflow.objects.root import read_root
from qcflow.objects.rootread import RootFile, Unsupported, streamer_record
from qcflow.objects.rootwrite.stream import BYTECOUNT

__all__ = ["BYTECOUNT", "MEMBERWISE", "Reader", "read_key"]

#: The flag in a collection's version marking member-wise streaming.
MEMBERWISE = 0x4000

# ROOT's basic type codes -> struct formats (long is 8 bytes on disk).
_BASIC = {
    1: "b",
    2: "h",
    3: "i",
    4: "q",
    5: "f",
    6: "i",
    8: "d",
    11: "B",
    12: "H",
    13: "I",
    14: "Q",
    16: "q",
    17: "Q",
    18: "?",
}
_IS_REFERENCED = 0x10


class Reader:
    """Reads an object's bytes member by member as the file's own streamer infos say.

    uproot reads these files too, but not a member-wise ``vector<pair<object,string>>`` of more
    than one element (QC's flags), hence this small interpreter of the layouts QC uses: basic
    members, strings, objects, and vectors/maps of strings or of objects.
    """

    def __init__(self, data: bytes, infos: Mapping[str, Mapping[int, Any]]) -> None:
        self.data = data
        self.pos = 0
        self.infos = infos
        self.by_checksum = {
            int(info.member("fCheckSum")): info
            for by_version in infos.values()
            for info in by_version.values()
        }

    def unpack(self, fmt: str) -> Any:
        values = struct.unpack_from(">" + fmt, self.data, self.pos)
        self.pos += struct.calcsize(">" + fmt)
        return values[0]

    def header(self) -> tuple[int | None, int]:
        """The end of the object that starts here (None without byte count) and its version."""
        count = self.unpack("I")
        if count & BYTECOUNT:
            end = self.pos + (count & ~BYTECOUNT)
            return end, self.unpack("H")
        self.pos -= 4
        return None, self.unpack("H")

    def seek(self, end: int | None) -> None:
        if end is not None:
            if end > len(self.data):
                msg = "an object's byte count runs past the end of its key"
                raise ValueError(msg)
            self.pos = end

    def tstring(self) -> str:
        size = self.unpack("B")
        if size == 255:
            size = self.unpack("I")
        text = self.data[self.pos : self.pos + size].decode(errors="replace")
        self.pos += size
        return text

    def info(self, class_name: str, version: int) -> Any:
        by_version = self.infos.get(class_name, {})
        if version in by_version:
            return by_version[version]
        if len(by_version) == 1:  # ROOT too reads a lone streamer info whatever the version
            return next(iter(by_version.values()))
        msg = f"no streamer info for {class_name} version {version}"
        raise ValueError(msg)

    def value_info(self, class_name: str, version: int, checksum: int) -> Any:
        """A member-wise collection's value class: by version, else by checksum, else name."""
        if version:
            return self.info(class_name, version)
        if checksum in self.by_checksum:
            return self.by_checksum[checksum]
        return self.info(class_name, -1)

    def object(self, class_name: str) -> dict[str, Any]:
        end, version = self.header()
        members = self.members(self.info(class_name, version))
        self.seek(end)
        return members

    def members(self, info: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for element in info.member("fElements"):
            kind = type(element).__name__.removeprefix("Model_")
            name = str(element.member("fName"))
            if kind == "TStreamerBase":
                if name == "TObject":
                    self.unpack("H")
                    self.unpack("I")
                    if self.unpack("I") & _IS_REFERENCED:
                        self.unpack("H")
                else:
                    out.update(self.object(name))
                continue
            out[name] = self.value(kind, element)
        return out

    def value(self, kind: str, element: Any) -> Any:
        code = int(element.member("fType"))
        type_name = str(element.member("fTypeName"))
        if kind == "TStreamerBasicType" and code in _BASIC:
            return self.unpack(_BASIC[code])
        if kind == "TStreamerSTLstring":
            end, _ = self.header()
            text = self.tstring()
            self.seek(end)
            return text
        if kind in ("TStreamerObjectAny", "TStreamerObject"):
            return self.object(type_name)
        if kind == "TStreamerSTL":
            return self.collection(type_name)
        msg = f"member {element.member('fName')} of type {type_name} is not supported"
        raise ValueError(msg)

    def collection(self, type_name: str) -> list[Any]:
        outer, _, inner = type_name.partition("<")
        value = inner.rstrip(" >")
        if outer == "map":
            value = f"pair<{value}>"
        end, version = self.header()
        if version & MEMBERWISE:
            class_version = self.unpack("H")
            checksum = 0 if class_version else self.unpack("I")
            count = self.unpack("i")
            # ROOT leaves out the value class's streamer info when no file object uses it.
            info = None if not count else self.value_info(value, class_version, checksum)
            columns = {
                str(e.member("fName")): self.column(e, count)
                for e in (info.member("fElements") if info is not None else ())
            }
            items: list[Any] = [
                {name: column[i] for name, column in columns.items()} for i in range(count)
            ]
        else:
            count = self.unpack("i")
            if value == "string":
                items = [self.tstring() for _ in range(count)]
            else:
                items = [self.object(value) for _ in range(count)]
        self.seek(end)
        return items

    def column(self, element: Any, count: int) -> list[Any]:
        """One member of every element of a member-wise collection."""
        kind = type(element).__name__.removeprefix("Model_")
        if kind == "TStreamerSTLstring":
            end, _ = self.header()
            texts = [self.tstring() for _ in range(count)]
            self.seek(end)
            return texts
        return [self.value(kind, element) for _ in range(count)]


_STREAMERS: dict[bytes, Any] = {}
_STREAMERS_KEPT = 16


def read_key(data: bytes, key_name: str) -> tuple[str, bytes, Any]:
    """The class name, uncompressed bytes and the file's streamer infos of a key.

    A file whose streamer list was parsed before is read without uproot (:mod:`.rootread`).
    """
    try:
        direct = RootFile(data)
        key_found = direct.keys.get(key_name)
        known = _STREAMERS.get(direct.streamer_record())
        if key_found is not None and known is not None:
            return key_found.class_name, direct.object_bytes(key_found), known
    except Unsupported:
        pass
    file = read_root(data)
    key = file.key(key_name)
    chunk, cursor = key.get_uncompressed_chunk_cursor()
    raw = chunk.get(cursor.index, cursor.index + key.data_uncompressed_bytes, cursor, {})
    # Parsing the streamer list is most of the cost (~6 of ~7 ms); QOs written by one program
    # share it byte for byte, so the parsed infos are kept per distinct list.
    # The key's header is skipped: it holds the time of writing.
    record = streamer_record(data, int(file.file.fSeekInfo), int(file.file.fNbytesInfo))
    infos = _STREAMERS.get(record)
    if infos is None:
        infos = file.file.streamers
        if len(_STREAMERS) >= _STREAMERS_KEPT:
            _STREAMERS.pop(next(iter(_STREAMERS)))
        _STREAMERS[record] = infos
    return str(key.fClassName), bytes(raw), infos
