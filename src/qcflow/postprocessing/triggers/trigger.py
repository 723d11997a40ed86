"""Trigger strings (``"once"``, ``"foreachlatest:qcdb:GLO/MO/Vertexing/beamSpot"``, ``"10 sec"``)
and the :class:`Trigger` a firing trigger hands to a task.

:func:`parse_trigger` reads a string as ``o2-qc`` does, in the same order: lower-cased, then

=========================================== ==============================================
``once``, ``always``                        exact names
``sor``/``startofrun``, ``eor``/``endofrun`` run events (Kafka); never fire offline
``sof``/``startoffill``, ``eof``/``endoffill`` not implemented in QC either; never fire
contains ``newobject``/``foreachobject``/    ``<kind>:<qcdb|ccdb>:<path>``, exactly three
``foreachlatest``                           ``:``-separated tokens, db token any case
contains ``sec``/``min``/``hour``           periodic: the number before the unit
contains ``user`` or ``control``            driven by the start and stop of the run
=========================================== ==============================================

Anything else is an error that lists the accepted forms. Differences from ``o2-qc``, on purpose:
``"60s"`` (shown in QC's documentation, rejected by QC's code) is read as 60 seconds, with a
note; a periodic string whose text before the unit is not just a number (``"1 hour 30 sec"``,
which QC reads as 1 second) is an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from qcflow._types import TimestampMs
from qcflow.errors import InvalidInput
from qcflow.objects.activity import Activity

__all__ = ["Trigger", "TriggerSpec", "TriggerType", "parse_trigger"]


class TriggerType(Enum):
    """Why a task is called (QC's ``TriggerType``); ``NO`` means "did not fire"."""

    NO = "No"
    ONCE = "Once"
    ALWAYS = "Always"
    START_OF_RUN = "StartOfRun"
    END_OF_RUN = "EndOfRun"
    START_OF_FILL = "StartOfFill"
    END_OF_FILL = "EndOfFill"
    PERIODIC = "Periodic"
    NEW_OBJECT = "NewObject"
    FOR_EACH_OBJECT = "ForEachObject"
    FOR_EACH_LATEST = "ForEachLatest"
    USER_OR_CONTROL = "UserOrControl"


@dataclass(frozen=True)
class Trigger:
    """A trigger's answer to a poll.

    ``activity`` is what the trigger is about (for object triggers: the object's run, period,
    pass and validity); ``timestamp`` (ms) is when to look objects up; ``last`` tells that the
    trigger will not fire again; ``metadata`` holds extra retrieval filters (``CycleNumber``).
    """

    type: TriggerType
    last: bool = False
    activity: Activity = field(default_factory=Activity)
    timestamp: TimestampMs = 0
    config: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.type is not TriggerType.NO

    def __str__(self) -> str:
        what = self.config or self.type.value
        return f"{what} (timestamp {self.timestamp}, {self.activity})"


@dataclass(frozen=True)
class TriggerSpec:
    """A parsed trigger string: its kind and, depending on it, period or database and path."""

    text: str
    type: TriggerType
    seconds: float = 0.0
    database: str = ""
    path: str = ""
    note: str = ""

    @property
    def is_user_or_control(self) -> bool:
        return self.type is TriggerType.USER_OR_CONTROL

    @property
    def is_time_driven(self) -> bool:
        """Fires as time passes (periodic, always) or the database changes (newobject)."""
        return self.type in (TriggerType.PERIODIC, TriggerType.ALWAYS, TriggerType.NEW_OBJECT)

    @property
    def never_fires_offline(self) -> bool:
        return self.type in (
            TriggerType.START_OF_RUN,
            TriggerType.END_OF_RUN,
            TriggerType.START_OF_FILL,
            TriggerType.END_OF_FILL,
        )


_NAMES = {
    "once": TriggerType.ONCE,
    "always": TriggerType.ALWAYS,
    "sor": TriggerType.START_OF_RUN,
    "startofrun": TriggerType.START_OF_RUN,
    "eor": TriggerType.END_OF_RUN,
    "endofrun": TriggerType.END_OF_RUN,
    "sof": TriggerType.START_OF_FILL,
    "startoffill": TriggerType.START_OF_FILL,
    "eof": TriggerType.END_OF_FILL,
    "endoffill": TriggerType.END_OF_FILL,
}
_DATABASE_KINDS = (
    ("newobject", TriggerType.NEW_OBJECT),
    ("foreachobject", TriggerType.FOR_EACH_OBJECT),
    ("foreachlatest", TriggerType.FOR_EACH_LATEST),
)
_UNITS = (("sec", 1.0), ("min", 60.0), ("hour", 3600.0))
_NUMBER = re.compile(r"\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*")
_SHORT_SECONDS = re.compile(r"\s*([+-]?(?:\d+\.?\d*|\.\d+))\s*s\s*")
KNOWN_FORMS = (
    "once, always, sor, eor, sof, eof, userorcontrol, '<x> sec|min|hour', "
    "'newobject|foreachobject|foreachlatest:qcdb|ccdb:<path>'"
)


def parse_trigger(text: str) -> TriggerSpec:
    """Read a trigger string; :class:`InvalidInput` names it if it is not one."""
    lower = text.lower()
    if lower in _NAMES:
        return TriggerSpec(text, _NAMES[lower])
    for word, kind in _DATABASE_KINDS:
        if word in lower:
            return _database_trigger(text, word, kind)
    periodic = _periodic(text, lower)
    if periodic is not None:
        return periodic
    if "user" in lower or "control" in lower:
        return TriggerSpec(text, TriggerType.USER_OR_CONTROL)
    msg = f"unknown trigger {text!r}; use one of {KNOWN_FORMS}"
    raise InvalidInput(msg)


def _database_trigger(text: str, word: str, kind: TriggerType) -> TriggerSpec:
    tokens = text.split(":")
    if len(tokens) != 3:
        msg = (
            f"trigger {text!r}: the {word} trigger is written "
            f"'{word}:[qcdb/ccdb]:path/to/object' (three ':'-separated parts)"
        )
        raise InvalidInput(msg)
    database = tokens[1].lower()
    if database not in ("qcdb", "ccdb"):
        msg = f"trigger {text!r}: the second part should be qcdb or ccdb, not {tokens[1]!r}"
        raise InvalidInput(msg)
    if not tokens[2]:
        msg = f"trigger {text!r}: the third part, the object path, is empty"
        raise InvalidInput(msg)
    return TriggerSpec(text, kind, database=database, path=tokens[2])


def _periodic(text: str, lower: str) -> TriggerSpec | None:
    for unit, factor in _UNITS:
        position = lower.find(unit)
        if position < 0:
            continue
        match = _NUMBER.fullmatch(lower[:position])
        if match is None:
            msg = f"trigger {text!r}: expected a number before {unit!r} (e.g. '10 {unit}')"
            raise InvalidInput(msg)
        return _period(text, float(match.group(1)) * factor)
    short = _SHORT_SECONDS.fullmatch(lower)
    if short is not None:
        note = f"{text!r} is rejected by o2-qc; qcflow reads it as {short.group(1)} seconds"
        return _period(text, float(short.group(1)), note)
    return None


def _period(text: str, seconds: float, note: str = "") -> TriggerSpec:
    if seconds < 0:
        msg = f"trigger {text!r}: negative period"
        raise InvalidInput(msg)
    return TriggerSpec(text, TriggerType.PERIODIC, seconds=seconds, note=note)
