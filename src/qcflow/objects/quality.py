"""Qualities, flags and quality objects, with the payloads qcflow stores and reads for them.

Levels as QC defines them: Good = 1, Medium = 2, Bad = 3, Null = 10; a higher level is worse,
so Null is the worst. Two qualities are equal when level and name are (flags and metadata do
not count), as in QC. A :class:`Quality` is immutable: ``with_flag`` and ``with_metadata``
return new ones.

A :class:`QualityObject` is a check's or aggregator's verdict with what it was about. Its QCDB
payload is QC's own: a ROOT file whose ``ccdb_object`` is an
``o2::quality_control::core::QualityObject`` (v7) with the streamer infos ROOT needs to read it
without QC's classes (:mod:`qcflow.objects.root_quality`), so C++ QC, QCG and ROOT read qcflow's
verdicts and qcflow reads theirs. :meth:`QualityObject.decode` tells the payload by its content:
a ROOT file (``root`` magic) or the JSON document qcflow stored before (and still writes next to
a report, :meth:`QualityObject.to_json_bytes`)::

    {"_typename": "o2::quality_control::core::QualityObject", "version": 1,
     "quality": {"level": 3, "name": "Bad",
                 "flags": [{"id": 6, "name": "Bad PID", "bad": true, "comment": "…"}],
                 "metadata": {"k": "v"}},
     "checkName": "RecCheck", "detectorName": "ZDC", "policyName": "OnAny",
     "inputs": ["RecPP"], "monitorObjectsNames": ["h_summary_ADC"],
     "activity": {"number": 550123, "type": "PHYSICS", "periodName": "LHC24ab",
                  "passName": "apass1", "provenance": "qc_async",
                  "validFrom": 1700000000000, "validUntil": 1700003600000, "beamType": ""}}

Either is stored with ``ObjectType=o2::quality_control::core::QualityObject`` and ``qc_quality``
metadata like QC's own, so listings and filters work the same, and a listing alone gives the
verdict (:func:`listed_quality`, the level without flags). QC's ``Activity`` has a partition
name, fill number and original run number qcflow does not model: they are read and ignored,
written empty/0; QC's open validity end (uint64 max) is qcflow's ``VALIDITY_MAX``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, ClassVar, NamedTuple

from qcflow._hints import did_you_mean
from qcflow.errors import InvalidInput
from qcflow.objects.activity import Activity
from qcflow.objects.metadata import QC_QUALITY, QUALITY_OBJECT_CLASS, qo_metadata
from qcflow.objects.paths import qo_path

__all__ = [
    "FLAG_TYPES",
    "NULL_LEVEL",
    "QUALITY_OBJECT_CLASS",
    "Flag",
    "FlagType",
    "Quality",
    "QualityObject",
    "flag_type",
    "listed_quality",
]

NULL_LEVEL = 10
_LEVELS = {"Good": 1, "Medium": 2, "Bad": 3, "Null": NULL_LEVEL}


class FlagType(NamedTuple):
    """A reason attached to a quality (O2's ``flagTypes.csv``)."""

    id: int
    name: str
    bad: bool


#: O2's flag types by their factory name.
FLAG_TYPES: Mapping[str, FlagType] = MappingProxyType(
    {
        "UnknownQuality": FlagType(1, "Unknown Quality", True),
        "NoDetectorData": FlagType(3, "No Detector Data", True),
        "LimitedAcceptanceMCNotReproducible": FlagType(
            4, "Limited Acceptance MC Not Reproducible", True
        ),
        "LimitedAcceptanceMCReproducible": FlagType(5, "Limited Acceptance MC Reproducible", True),
        "BadPID": FlagType(6, "Bad PID", True),
        "BadTracking": FlagType(7, "Bad Tracking", True),
        "BadHadronPID": FlagType(8, "Bad Hadron PID", True),
        "Good": FlagType(9, "Good", False),
        "Invalid": FlagType(10, "Invalid", True),
        "BadElectronPID": FlagType(11, "Bad Electron PID", True),
        "BadEMCalorimetry": FlagType(12, "Bad EM Calorimetry", True),
        "BadPhotonCalorimetry": FlagType(13, "Bad Photon Calorimetry", True),
        "Unknown": FlagType(14, "Unknown", True),
    }
)


def flag_type(name: str) -> FlagType:
    """A flag type by factory name (``BadPID``) or display name (``Bad PID``)."""
    if name in FLAG_TYPES:
        return FLAG_TYPES[name]
    for flag in FLAG_TYPES.values():
        if flag.name == name:
            return flag
    msg = f"unknown quality flag {name!r}{did_you_mean(name, FLAG_TYPES)}"
    raise InvalidInput(msg)


def listed_quality(metadata: Mapping[str, str]) -> Quality | None:
    """The verdict a quality object's QCDB metadata names (``qc_quality``: the level, as QC and
    qcflow write it), without flags; None when it names none QC knows (stores of other writers
    or older versions may lack it): then only the payload tells.
    """
    text = metadata.get(QC_QUALITY, "").strip()
    for name, level in _LEVELS.items():
        if text in (str(level), name):
            return Quality(level, name)
    return None


class Flag(NamedTuple):
    type: FlagType
    comment: str = ""


@dataclass(frozen=True, eq=False)
class Quality:
    """A quality level with its name, flags and string metadata."""

    level: int
    name: str
    flags: tuple[Flag, ...] = ()
    metadata: Mapping[str, str] = field(default_factory=dict)

    # The four plain qualities, shared (safe: immutable); assigned below the class.
    GOOD: ClassVar[Quality]
    MEDIUM: ClassVar[Quality]
    BAD: ClassVar[Quality]
    NULL: ClassVar[Quality]

    @classmethod
    def from_name(cls, name: str) -> Quality:
        """``Good``, ``Medium``, ``Bad``; anything else is ``Null`` (as QC's ``fromString``)."""
        return cls(_LEVELS.get(name, NULL_LEVEL), name if name in _LEVELS else "Null")

    @classmethod
    def from_level(cls, level: int) -> Quality:
        for name, value in _LEVELS.items():
            if value == level:
                return cls(value, name)
        return cls(NULL_LEVEL, "Null")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Quality):
            return NotImplemented
        return (self.level, self.name) == (other.level, other.name)

    def __hash__(self) -> int:
        return hash((self.level, self.name))

    def is_worse_than(self, other: Quality) -> bool:
        return self.level > other.level

    def is_better_than(self, other: Quality) -> bool:
        return self.level < other.level

    def with_flag(self, flag: FlagType | str, comment: str = "") -> Quality:
        kind = flag_type(flag) if isinstance(flag, str) else flag
        return replace(self, flags=(*self.flags, Flag(kind, comment)))

    def with_flags(self, flags: Iterable[Flag]) -> Quality:
        return replace(self, flags=(*self.flags, *flags))

    def with_metadata(self, key: str, value: str) -> Quality:
        return replace(self, metadata={**self.metadata, key: value})

    def as_level(self, other: Quality) -> Quality:
        """``other``'s level and name with this quality's flags and metadata (QC's ``set``)."""
        return replace(self, level=other.level, name=other.name)

    def __str__(self) -> str:
        return self.name

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "name": self.name,
            "flags": [
                {"id": f.type.id, "name": f.type.name, "bad": f.type.bad, "comment": f.comment}
                for f in self.flags
            ],
            "metadata": dict(self.metadata),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Quality:
        flags = tuple(
            Flag(FlagType(int(f["id"]), str(f["name"]), bool(f["bad"])), str(f.get("comment", "")))
            for f in data.get("flags", [])
        )
        metadata = {str(k): str(v) for k, v in dict(data.get("metadata", {})).items()}
        return cls(int(data["level"]), str(data["name"]), flags, metadata)


Quality.GOOD = Quality(1, "Good")
Quality.MEDIUM = Quality(2, "Medium")
Quality.BAD = Quality(3, "Bad")
Quality.NULL = Quality(NULL_LEVEL, "Null")


@dataclass(frozen=True)
class QualityObject:
    """A verdict about monitor objects, as checks and aggregators produce it."""

    quality: Quality
    check_name: str
    detector: str = "DET"
    policy: str = ""
    inputs: tuple[str, ...] = ()
    mo_names: tuple[str, ...] = ()
    activity: Activity = field(default_factory=Activity)

    @property
    def name(self) -> str:
        """The check name, plus ``/<mo>`` for ``OnEachSeparately`` (one QO per MO)."""
        if self.policy == "OnEachSeparately" and len(self.mo_names) == 1:
            return f"{self.check_name}/{self.mo_names[0]}"
        return self.check_name

    @property
    def path(self) -> str:
        """``<provenance>/<detector>/QO/<name>``, where QC stores it."""
        return qo_path(self.activity.provenance, self.detector, self.name)

    def metadata(self) -> dict[str, str]:
        """QCDB metadata: the activity keys, class, quality level, check and detector names."""
        return qo_metadata(
            self.activity,
            detector=self.detector,
            check_name=self.check_name,
            quality=self.quality.level,
        )

    def encode(self) -> bytes:
        """QC's payload: a ROOT file with this as ``o2::quality_control::core::QualityObject``."""
        from qcflow.objects import root_quality

        return root_quality.encode(self)

    def to_json_bytes(self) -> bytes:
        """The JSON document (qcflow's payload before it wrote QC's; reports keep it)."""
        a = self.activity
        document = {
            "_typename": QUALITY_OBJECT_CLASS,
            "version": 1,
            "quality": self.quality.to_json(),
            "checkName": self.check_name,
            "detectorName": self.detector,
            "policyName": self.policy,
            "inputs": list(self.inputs),
            "monitorObjectsNames": list(self.mo_names),
            "activity": {
                "number": a.number,
                "type": a.type,
                "periodName": a.period_name,
                "passName": a.pass_name,
                "provenance": a.provenance,
                "validFrom": a.valid_from,
                "validUntil": a.valid_until,
                "beamType": a.beam_type,
            },
        }
        return json.dumps(document, indent=1).encode()

    @classmethod
    def decode(cls, data: bytes, source: str = "quality object") -> QualityObject:
        """Read a ROOT (QC's) or JSON (qcflow's earlier) payload, told apart by content.

        A malformed one is :class:`InvalidInput` naming ``source``.
        """
        from qcflow.objects import root_quality

        if data.startswith(root_quality.ROOT_MAGIC):
            return root_quality.decode(data, source)
        try:
            doc = json.loads(data)
            act = doc.get("activity", {})
            activity = Activity(
                number=int(act.get("number", 0)),
                type=str(act.get("type", "NONE")),
                period_name=str(act.get("periodName", "")),
                pass_name=str(act.get("passName", "")),
                provenance=str(act.get("provenance", "qc")),
                valid_from=int(act.get("validFrom", 1)),
                valid_until=int(act.get("validUntil", 2**63 - 1)),
                beam_type=str(act.get("beamType", "")),
            )
            return cls(
                quality=Quality.from_json(doc["quality"]),
                check_name=str(doc["checkName"]),
                detector=str(doc.get("detectorName", "DET")),
                policy=str(doc.get("policyName", "")),
                inputs=tuple(str(x) for x in doc.get("inputs", [])),
                mo_names=tuple(str(x) for x in doc.get("monitorObjectsNames", [])),
                activity=activity,
            )
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            msg = f"{source}: not a qcflow quality object payload ({err})"
            raise InvalidInput(msg) from err
