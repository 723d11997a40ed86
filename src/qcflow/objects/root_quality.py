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
from typing import TYPE_CHECKING, Any

from qcflow.errors import InvalidInput, first_line
from qcflow.objects.activity import VALIDITY_MAX, VALIDITY_MIN, Activity, run_type_name
from qcflow.objects.metadata import QUALITY_OBJECT_CLASS
from qcflow.objects.root import CCDB_KEY, ROOT_MAGIC, _MemorySink
from qcflow.objects.rootwrite.stream import string, tobject, versioned
from qcflow.objects.rootwrite.streamerinfo import (
    Catalog,
    StreamedClass,
    any_member,
    base,
    basic,
    std_string,
    stl,
)
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
_STL_VECTOR, _STL_MAP = 1, 4


def _tstring(text: str) -> bytes:
    return string(text, errors="replace")  # a lone surrogate (JSON allows them) becomes "?"


def _string_member(text: str) -> bytes:
    return versioned(_STRING_VERSION, _tstring(text))


# -- streamer infos ----------------------------------------------------------------------------

# Sizes are those of x86-64 with libstdc++ (what ROOT records; it lays out emulated classes
# with them when it has no dictionary).
_CLASSES = (
    StreamedClass(
        QUALITY_OBJECT_CLASS,
        7,
        (
            base("TObject", "Basic ROOT object", 1),
            any_member("mQuality", 120, _QUALITY),
            std_string("mCheckName"),
            std_string("mDetectorName"),
            std_string("mPolicyName"),
            stl("mInputs", 24, _STRINGS, _STL_VECTOR),
            stl("mMonitorObjectsNames", 24, _STRINGS, _STL_VECTOR),
            any_member("mActivity", 232, _ACTIVITY),
        ),
    ),
    StreamedClass(
        _QUALITY,
        3,
        (
            basic("mLevel", 13, 4, "unsigned int"),
            std_string("mName"),
            stl("mUserMetadata", 48, _METADATA, _STL_MAP),
            stl("mFlags", 24, _FLAGS, _STL_VECTOR),
        ),
    ),
    StreamedClass(_STRING_PAIR, 1, (std_string("first"), std_string("second"))),
    StreamedClass(
        _FLAG_PAIR,
        1,
        (
            any_member("first", 48, _FLAG_TYPE, "The first member"),
            std_string("second", "The second member"),
        ),
    ),
    StreamedClass(
        _FLAG_TYPE,
        1,
        (basic("mId", 12, 2, "unsigned short"), std_string("mName"), basic("mBad", 18, 1, "bool")),
    ),
    StreamedClass(
        _ACTIVITY,
        6,
        (
            basic("mId", 3, 4, "int"),
            std_string("mType"),
            std_string("mPeriodName"),
            std_string("mPassName"),
            std_string("mProvenance"),
            any_member("mValidity", 16, _VALIDITY),
            std_string("mBeamType"),
            std_string("mPartitionName"),
            basic("mFillNumber", 3, 4, "int"),
            basic("mOriginalId", 3, 4, "int"),
        ),
    ),
    StreamedClass(
        _VALIDITY,
        2,
        (basic("mMin", 14, 8, "unsigned long"), basic("mMax", 14, 8, "unsigned long")),
    ),
)
#: TObject's persistent members, for its checksum (the base's checksum enters the derived's).
_TOBJECT = StreamedClass(
    "TObject",
    1,
    (basic("fUniqueID", 13, 4, "unsigned int"), basic("fBits", 13, 4, "unsigned int")),
)
_CATALOG = Catalog((*_CLASSES, _TOBJECT), {})


def class_checksum(name: str) -> int:
    """ROOT's checksum of one of these classes (``TClass::GetCheckSum``, current rule)."""
    return _CATALOG.checksum(name)


@functools.cache
def streamer_infos() -> tuple[tuple[None, bytes, str, int], ...]:
    """The streamer records a QualityObject file needs, as uproot's raw streamer tuples."""
    return _CATALOG.raw_streamers(c.name for c in _CLASSES)


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
