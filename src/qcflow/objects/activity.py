"""The Activity: which run, run type, period, pass and provenance a QC object belongs to.

An activity is read from and written to QCDB metadata (``RunNumber``, ``RunType``,
``PeriodName``, ``PassName``) and the first element of QCDB paths (the provenance). Empty or
zero fields are wildcards when an activity is used as a filter: run 0 = any run, run type
``NONE`` = any, period/pass/beam type ``""`` = any; provenance must always be equal.

Run types are names (``PHYSICS``); a string of digits is a legacy integer run type and is
translated with O2's table (``"1"`` -> ``PHYSICS``, ``"2"`` -> ``TECHNICAL``), an integer out
of the table -> ``NONE``, as QC does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from qcflow._types import TimestampMs
from qcflow.objects.metadata import PASS_NAME, PERIOD_NAME, RUN_NUMBER, RUN_TYPE

__all__ = [
    "ANY_RUN_TYPE",
    "RUN_TYPES",
    "Activity",
    "run_type_name",
]

#: O2's run types by their legacy integer code (``ECSDataAdapters.h``).
RUN_TYPES: tuple[str, ...] = (
    "NONE",
    "PHYSICS",
    "TECHNICAL",
    "PEDESTAL",
    "PULSER",
    "LASER",
    "CALIBRATION_ITHR_TUNING",
    "CALIBRATION_VCASN_TUNING",
    "CALIBRATION_THR_SCAN",
    "CALIBRATION_DIGITAL_SCAN",
    "CALIBRATION_ANALOG_SCAN",
    "CALIBRATION_FHR",
    "CALIBRATION_ALPIDE_SCAN",
    "CALIBRATION",
    "COSMICS",
    "SYNTHETIC",
    "NOISE",
    "CALIBRATION_PULSE_LENGTH",
    "CALIBRATION_VRESETD",
)
ANY_RUN_TYPE = "NONE"

#: Validity bounds of an activity, ms; ``VALIDITY_MAX`` means "open ended".
VALIDITY_MIN: TimestampMs = 1
VALIDITY_MAX: TimestampMs = 2**63 - 1


def run_type_name(value: str | int | None) -> str:
    """The run type name for a name, a legacy integer code, or nothing (``NONE``)."""
    if value is None:
        return ANY_RUN_TYPE
    text = str(value).strip()
    if not text:
        return ANY_RUN_TYPE
    if text.isascii() and text.isdigit():  # isdigit() alone takes '²', which int() refuses
        code = int(text)
        return RUN_TYPES[code] if code < len(RUN_TYPES) else ANY_RUN_TYPE
    return text


@dataclass(frozen=True)
class Activity:
    """A QC activity; every field has the wildcard as default except the provenance."""

    number: int = 0
    type: str = ANY_RUN_TYPE
    period_name: str = ""
    pass_name: str = ""
    provenance: str = "qc"
    valid_from: TimestampMs = VALIDITY_MIN
    valid_until: TimestampMs = VALIDITY_MAX
    beam_type: str = ""

    def matches(self, other: Activity) -> bool:
        """True if ``other`` is covered by this activity used as a filter (QC's ``matches``).

        Wildcards are taken from ``self``; ``other``'s start of validity must lie inside
        ``self``'s validity.
        """
        return (
            (self.number in (0, other.number))
            and (self.type in (ANY_RUN_TYPE, other.type))
            and (not self.period_name or self.period_name == other.period_name)
            and (not self.pass_name or self.pass_name == other.pass_name)
            and self.provenance == other.provenance
            and (not self.beam_type or self.beam_type == other.beam_type)
            and self.valid_from <= other.valid_from <= self.valid_until
        )

    def same(self, other: Activity) -> bool:
        """Same run, type, period, pass, provenance and beam (validity ignored)."""
        return self.key == other.key

    @property
    def key(self) -> tuple[int, str, str, str, str, str]:
        """What distinguishes activities regardless of validity (foreachlatest groups by it)."""
        return (
            self.number,
            self.type,
            self.period_name,
            self.pass_name,
            self.provenance,
            self.beam_type,
        )

    def with_validity(self, valid_from: TimestampMs, valid_until: TimestampMs) -> Activity:
        return replace(self, valid_from=valid_from, valid_until=valid_until)

    # -- QCDB metadata ------------------------------------------------------------------------

    def metadata(self) -> dict[str, str]:
        """The activity keys QC stores with every object (always all four, even when empty)."""
        return {
            RUN_TYPE: self.type,
            RUN_NUMBER: str(self.number),
            PASS_NAME: self.pass_name,
            PERIOD_NAME: self.period_name,
        }

    def filters(self) -> dict[str, str]:
        """Metadata filters selecting objects of this activity: non-wildcard fields only."""
        wildcard = Activity(provenance=self.provenance).metadata()
        return {k: v for k, v in self.metadata().items() if v != wildcard[k]}

    @classmethod
    def from_metadata(
        cls,
        metadata: Mapping[str, str],
        provenance: str,
        valid_from: TimestampMs = VALIDITY_MIN,
        valid_until: TimestampMs = VALIDITY_MAX,
    ) -> Activity:
        """The activity of a stored object, from its metadata (missing keys are wildcards)."""
        run = str(metadata.get(RUN_NUMBER, "0")).strip()
        return cls(
            number=int(run) if run.isascii() and run.isdigit() else 0,
            type=run_type_name(metadata.get(RUN_TYPE)),
            period_name=str(metadata.get(PERIOD_NAME, "")),
            pass_name=str(metadata.get(PASS_NAME, "")),
            provenance=provenance,
            valid_from=valid_from,
            valid_until=valid_until,
            beam_type=str(metadata.get("BeamType", "")),
        )

    def __str__(self) -> str:
        parts = [f"run {self.number or 'any'}", f"type {self.type}"]
        parts.append(f"period {self.period_name or 'any'}")
        parts.append(f"pass {self.pass_name or 'any'}")
        parts.append(f"provenance {self.provenance}")
        return ", ".join(parts)
