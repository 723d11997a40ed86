"""QC's ``QualityObject`` as a ROOT file: written with its streamer infos, read through them.

QC stores a quality object as a ROOT file whose ``ccdb_object`` key holds an
``o2::quality_control::core::QualityObject`` (class version 7). Its persistent layout, as
ROOT streams it member-wise (facts in ``shared/spec/ccdb-api.md``)::

    QualityObject v7 : TObject
        Quality mQuality              v3: unsigned mLevel, string mName,
                                          map<string,string> mUserMetadata,
                                          vector<pair<o2::quality_control::FlagType,string>> mFlags
        string mCheckName, mDetectorName, mPolicyName
        vector<string> mInputs, mMonitorObjectsNames
        Activity mActivity            v6: int mId, string mType, mPeriodName, mPassName,
                                          mProvenance, Bracket<unsigned long> mValidity
                                          (v2: mMin, mMax), string mBeamType, mPartitionName,
                                          int mFillNumber, mOriginalId
    o2::quality_control::FlagType v1: unsigned short mId, string mName, bool mBad

:func:`encode` writes that file with the TStreamerInfo records of every class involved
(including ``pair<…>``), so ROOT reads it without QC's dictionary (JSROOT reads the same
records); the checksums are ROOT's (:func:`class_checksum`), so ROOT *with* QC's classes loaded
reads it silently too. :func:`decode` follows the file's own streamer infos (parsed by uproot,
interpreted here: uproot cannot read a member-wise ``vector<pair<object,string>>`` of more than
one element), so other QC versions read as long as their members are named as above; absent
members take QC's defaults. uproot writes the file around the object (keys, directory,
streamer list); the streamer records and the object's bytes are serialised here, by ROOT's
rules:

- every object and member starts with ``bytecount | 0x40000000`` (uint32) and its class
  version (uint16), except TObject (version only) and basic types;
- a ``std::string`` member has that header, then ROOT's length-prefixed string;
- a collection member ``vector``/``map`` of objects is streamed *member-wise*: version
  ``0x4000 | 10``, the value class's version (0: use its checksum) and checksum, the count,
  then each member of the value class for all elements in turn (``first`` of every pair,
  then ``second``); an object member of such a pair is written whole, one after the other.

qcflow never imports ROOT: the tests compare these bytes and values with ROOT's own.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qcflow.errors import InvalidInput, first_line
from qcflow.objects.activity import VALIDITY_MAX, VALIDITY_MIN, Activity, run_type_name
from qcflow.objects.metadata import QUALITY_OBJECT_CLASS
from qcflow.objects.root import CCDB_KEY, ROOT_MAGIC, _MemorySink
from qcflow.objects.rootwrite.stream import object_any, string, tobject, versioned
from qcflow.objects.streamed import MEMBERWISE, Reader, read_key

if TYPE_CHECKING:
    from qcflow.objects.quality import QualityObject

__all__ = ["ROOT_MAGIC", "class_checksum", "decode", "encode", "streamer_infos"]


_QUALITY = "o2::quality_control::core::Quality"
_ACTIVITY = "o2::quality_control::core::Activity"
_FLAG_TYPE = "o2::quality_control::FlagType"
_VALIDITY = "o2::math_utils::detail::Bracket<unsigned long>"
_FLAG_PAIR = f"pair<{_FLAG_TYPE},string>"
_STRING_PAIR = "pair<string,string>"
_FLAGS = f"vector<{_FLAG_PAIR} >"
_METADATA = "map<string,string>"
_STRINGS = "vector<string>"
#: QC's full validity (``gFullValidityInterval``): [1, uint64 max].
_UINT64_MAX = 2**64 - 1

# -- ROOT's wire format ------------------------------------------------------------------------

_STRING_VERSION = 10  # what ROOT writes as the "version" of a std::string / STL member
_STL_VECTOR, _STL_MAP, _STL_STRING = 1, 4, 365
_OBJECT = 61  # TStreamerSTL's fCtype for collections of objects (and of strings)


def _tstring(text: str) -> bytes:
    return string(text, errors="replace")  # a lone surrogate (JSON allows them) becomes "?"


def _string_member(text: str) -> bytes:
    return versioned(_STRING_VERSION, _tstring(text))


# -- streamer infos ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Element:
    """One TStreamerElement: its kind (ROOT's class), name, ROOT type code, size and type."""

    kind: str
    name: str
    type_code: int
    size: int
    type_name: str
    title: str = ""
    stl: tuple[int, int] | None = None  # (fSTLtype, fCtype) of TStreamerSTL*
    base_version: int = 0

    def _base_checksum(self) -> int:
        return class_checksum(self.name) if self.kind == "TStreamerBase" else 0

    def serialise(self) -> bytes:
        element = versioned(
            4,
            versioned(1, tobject() + _tstring(self.name) + _tstring(self.title))
            + struct.pack(">iiii", self.type_code, self.size, 0, 0)
            # fMaxIndex[5]; a base keeps its class's checksum in the second
            + struct.pack(">iIiii", 0, self._base_checksum(), 0, 0, 0)
            + _tstring(self.type_name),
        )
        if self.kind == "TStreamerBase":
            return versioned(3, element + struct.pack(">i", self.base_version))
        if self.stl is not None:
            stl = versioned(3, element + struct.pack(">ii", *self.stl))
            return versioned(2, stl) if self.kind == "TStreamerSTLstring" else stl
        return versioned(2, element)


def _base(name: str, title: str, version: int) -> _Element:
    return _Element("TStreamerBase", name, 66, 0, "BASE", title, base_version=version)


def _basic(name: str, code: int, size: int, type_name: str) -> _Element:
    return _Element("TStreamerBasicType", name, code, size, type_name)


def _string(name: str, title: str = "") -> _Element:
    return _Element("TStreamerSTLstring", name, 500, 32, "string", title, (_STL_STRING,) * 2)


def _stl(name: str, size: int, type_name: str, stl_type: int) -> _Element:
    return _Element("TStreamerSTL", name, 500, size, type_name, stl=(stl_type, _OBJECT))


def _any(name: str, size: int, type_name: str, title: str = "") -> _Element:
    return _Element("TStreamerObjectAny", name, 62, size, type_name, title)


@dataclass(frozen=True)
class _Class:
    name: str
    version: int
    elements: tuple[_Element, ...]


# Sizes are those of x86-64 with libstdc++ (what ROOT records; it lays out emulated classes
# with them when it has no dictionary).
_CLASSES = (
    _Class(
        QUALITY_OBJECT_CLASS,
        7,
        (
            _base("TObject", "Basic ROOT object", 1),
            _any("mQuality", 120, _QUALITY),
            _string("mCheckName"),
            _string("mDetectorName"),
            _string("mPolicyName"),
            _stl("mInputs", 24, _STRINGS, _STL_VECTOR),
            _stl("mMonitorObjectsNames", 24, _STRINGS, _STL_VECTOR),
            _any("mActivity", 232, _ACTIVITY),
        ),
    ),
    _Class(
        _QUALITY,
        3,
        (
            _basic("mLevel", 13, 4, "unsigned int"),
            _string("mName"),
            _stl("mUserMetadata", 48, _METADATA, _STL_MAP),
            _stl("mFlags", 24, _FLAGS, _STL_VECTOR),
        ),
    ),
    _Class(_STRING_PAIR, 1, (_string("first"), _string("second"))),
    _Class(
        _FLAG_PAIR,
        1,
        (_any("first", 48, _FLAG_TYPE, "The first member"), _string("second", "The second member")),
    ),
    _Class(
        _FLAG_TYPE,
        1,
        (_basic("mId", 12, 2, "unsigned short"), _string("mName"), _basic("mBad", 18, 1, "bool")),
    ),
    _Class(
        _ACTIVITY,
        6,
        (
            _basic("mId", 3, 4, "int"),
            _string("mType"),
            _string("mPeriodName"),
            _string("mPassName"),
            _string("mProvenance"),
            _any("mValidity", 16, _VALIDITY),
            _string("mBeamType"),
            _string("mPartitionName"),
            _basic("mFillNumber", 3, 4, "int"),
            _basic("mOriginalId", 3, 4, "int"),
        ),
    ),
    _Class(
        _VALIDITY,
        2,
        (_basic("mMin", 14, 8, "unsigned long"), _basic("mMax", 14, 8, "unsigned long")),
    ),
)
_BY_NAME = {c.name: c for c in _CLASSES}
#: TObject's persistent members, for its checksum (the base's checksum enters the derived's).
_TOBJECT = _Class(
    "TObject",
    1,
    (_basic("fUniqueID", 13, 4, "unsigned int"), _basic("fBits", 13, 4, "unsigned int")),
)


def _hash(value: int, text: str) -> int:
    for char in text.encode():
        value = (value * 3 + char) & 0xFFFFFFFF
    return value


@functools.cache
def class_checksum(name: str) -> int:
    """ROOT's checksum of one of these classes (``TClass::GetCheckSum``, current rule).

    The class name, then each base's name and checksum (not for ``pair``), then each member's
    name and type name, folded as ``id = id * 3 + byte`` in 32 bits.
    """
    cls = _TOBJECT if name == "TObject" else _BY_NAME[name]
    value = _hash(0, cls.name)
    for element in cls.elements:
        if element.kind == "TStreamerBase" and not cls.name.startswith("pair<"):
            value = _hash(value, element.name)
            value = (value * 3 + class_checksum(element.name)) & 0xFFFFFFFF
    for element in cls.elements:
        if element.kind != "TStreamerBase":
            value = _hash(_hash(value, element.name), element.type_name)
    return value


def _streamer_info(cls: _Class) -> bytes:
    """One record of the file's streamer list: the TStreamerInfo (v9), then the TList option."""
    elements = b"".join(object_any(e.kind, e.serialise()) for e in cls.elements)
    array = versioned(
        3, tobject() + _tstring("") + struct.pack(">ii", len(cls.elements), 0) + elements
    )
    info = versioned(
        9,
        versioned(1, tobject(0x00010000) + _tstring(cls.name) + _tstring(""))
        + struct.pack(">Ii", class_checksum(cls.name), cls.version)
        + object_any("TObjArray", array),
    )
    return object_any("TStreamerInfo", info) + b"\0"


@functools.cache
def streamer_infos() -> tuple[tuple[None, bytes, str, int], ...]:
    """The streamer records a QualityObject file needs, as uproot's raw streamer tuples."""
    return tuple((None, _streamer_info(c), c.name, c.version) for c in _CLASSES)


# -- the object --------------------------------------------------------------------------------


def _strings(values: Sequence[str]) -> bytes:
    return versioned(
        _STRING_VERSION, struct.pack(">i", len(values)) + b"".join(_tstring(v) for v in values)
    )


def _memberwise(pair: str, count: int, columns: Iterable[bytes]) -> bytes:
    """A collection of ``pair`` streamed member-wise: header, value class, count, columns."""
    head = struct.pack(">HIi", 0, class_checksum(pair), count)
    body = b"".join(columns) if count else b""  # an empty one has no columns, not empty ones
    return versioned(MEMBERWISE | _STRING_VERSION, head + body)


def _quality_bytes(qo: QualityObject) -> bytes:
    quality = qo.quality
    metadata = sorted(quality.metadata.items())  # std::map iterates in key order
    flags = quality.flags
    flag_objects = b"".join(
        versioned(
            1,
            struct.pack(">H", f.type.id)
            + _string_member(f.type.name)
            + struct.pack(">?", f.type.bad),
        )
        for f in flags
    )
    comments = versioned(_STRING_VERSION, b"".join(_tstring(f.comment) for f in flags))
    return versioned(
        3,
        struct.pack(">I", quality.level)
        + _string_member(quality.name)
        + _memberwise(
            _STRING_PAIR,
            len(metadata),
            (
                versioned(_STRING_VERSION, b"".join(_tstring(k) for k, _ in metadata)),
                versioned(_STRING_VERSION, b"".join(_tstring(v) for _, v in metadata)),
            ),
        )
        + _memberwise(_FLAG_PAIR, len(flags), (flag_objects, comments)),
    )


def _activity_bytes(activity: Activity) -> bytes:
    until = _UINT64_MAX if activity.valid_until >= VALIDITY_MAX else activity.valid_until
    return versioned(
        6,
        struct.pack(">i", activity.number)
        + b"".join(
            _string_member(s)
            for s in (activity.type, activity.period_name, activity.pass_name, activity.provenance)
        )
        + versioned(2, struct.pack(">QQ", max(activity.valid_from, 0), until))
        + _string_member(activity.beam_type)
        + _string_member("")  # mPartitionName: qcflow has no partitions
        + struct.pack(">ii", 0, 0),  # mFillNumber, mOriginalId
    )


def _object_bytes(qo: QualityObject) -> bytes:
    return versioned(
        7,
        tobject()
        + _quality_bytes(qo)
        + b"".join(_string_member(s) for s in (qo.check_name, qo.detector, qo.policy))
        + _strings(qo.inputs)
        + _strings(qo.mo_names)
        + _activity_bytes(qo.activity),
    )


def encode(qo: QualityObject) -> bytes:
    """The ROOT file QC would store for ``qo`` (zlib-compressed as uproot's default)."""
    import uproot
    import uproot.compression
    from uproot.writing._cascade import RawStreamerInfo

    try:
        data = _object_bytes(qo)
    except struct.error as err:  # a run number beyond int32, a level beyond uint32...
        msg = f"quality object {qo.path}: a value does not fit QC's QualityObject ({err})"
        raise InvalidInput(msg) from err
    sink = _MemorySink()
    with uproot.recreate(sink) as file:
        # uproot writes the key, directory and streamer list; the object is ours.
        file.file._cascading.streamers.update_streamers(
            file.file.sink, [RawStreamerInfo(*record) for record in streamer_infos()]
        )
        compressed = uproot.compression.compress(data, file.file.compression)
        file._cascading.add_object(
            file.file.sink, QUALITY_OBJECT_CLASS, CCDB_KEY, "", compressed, len(data)
        )
    return sink.getvalue()


# -- reading -----------------------------------------------------------------------------------


def _activity(members: Mapping[str, Any] | None) -> Activity:
    if not members:
        return Activity()
    validity = members.get("mValidity") or {}
    kind = members.get("mType", "NONE")  # older Activity versions: an int code
    low, high = int(validity.get("mMin", VALIDITY_MIN)), int(validity.get("mMax", VALIDITY_MAX))
    return Activity(
        number=int(members.get("mId", 0)),
        type=run_type_name(kind) if isinstance(kind, int) else str(kind),
        period_name=str(members.get("mPeriodName", "")),
        pass_name=str(members.get("mPassName", "")),
        provenance=str(members.get("mProvenance", "qc")),
        valid_from=min(low, VALIDITY_MAX),
        valid_until=min(high, VALIDITY_MAX),
        beam_type=str(members.get("mBeamType", "")),
    )


def decode(data: bytes, source: str = "quality object") -> QualityObject:
    """The QualityObject under ``ccdb_object`` of a ROOT file; InvalidInput naming ``source``."""
    from qcflow.objects.quality import Flag, FlagType, Quality, QualityObject

    try:
        class_name, raw, infos = read_key(data, CCDB_KEY)
        if class_name != QUALITY_OBJECT_CLASS:
            msg = f"holds a {class_name}, not a {QUALITY_OBJECT_CLASS}"
            raise InvalidInput(msg)
        obj = Reader(raw, infos).object(class_name)
        quality = obj["mQuality"]
        flags = tuple(
            Flag(
                FlagType(
                    int(p["first"]["mId"]), str(p["first"]["mName"]), bool(p["first"]["mBad"])
                ),
                str(p["second"]),
            )
            for p in quality.get("mFlags", ())
        )
        metadata = {str(p["first"]): str(p["second"]) for p in quality.get("mUserMetadata", ())}
        return QualityObject(
            quality=Quality(int(quality["mLevel"]), str(quality["mName"]), flags, metadata),
            check_name=str(obj["mCheckName"]),
            detector=str(obj.get("mDetectorName", "DET")),
            policy=str(obj.get("mPolicyName", obj.get("mPolicy", ""))),
            inputs=tuple(str(x) for x in obj.get("mInputs", ())),
            mo_names=tuple(
                str(x) for x in obj.get("mMonitorObjectsNames", obj.get("mMonitorObjects", ()))
            ),
            activity=_activity(obj.get("mActivity")),
        )
    except InvalidInput as err:
        msg = f"{source}: {err}"
        raise InvalidInput(msg) from err
    except Exception as err:  # uproot and struct raise many types for unexpected layouts
        msg = f"{source}: not a readable QC quality object ({first_line(err)})"
        raise InvalidInput(msg) from err
