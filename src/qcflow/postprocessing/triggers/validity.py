"""Validity intervals of published objects, with QC's "invalid" and "full" intervals.

An interval is ``[start, end]`` in ms. The invalid interval has ``start > end`` and becomes
valid the first time :meth:`Validity.widen` is called; the full interval ``[1, max]`` means "no
information" and is never used to widen (QC warns and ignores it).
"""

from __future__ import annotations

from dataclasses import dataclass

from qcflow._types import TimestampMs
from qcflow.objects.activity import VALIDITY_MAX, VALIDITY_MIN

__all__ = ["FULL", "INVALID", "Validity", "on_numeric_limit"]


@dataclass(frozen=True)
class Validity:
    """``[start, end]`` in ms; invalid when ``start > end``."""

    start: TimestampMs
    end: TimestampMs

    @property
    def is_valid(self) -> bool:
        return self.start <= self.end

    def widen(self, timestamp: TimestampMs) -> Validity:
        """The smallest interval holding this one and ``timestamp``."""
        if not self.is_valid:
            return Validity(timestamp, timestamp)
        return Validity(min(self.start, timestamp), max(self.end, timestamp))

    def __str__(self) -> str:
        return f"[{self.start}, {self.end}]" if self.is_valid else "[invalid]"


INVALID = Validity(VALIDITY_MAX, 0)
FULL = Validity(VALIDITY_MIN, VALIDITY_MAX)


def on_numeric_limit(value: TimestampMs) -> bool:
    """True for the sentinel bounds (0 and the maximum), which never widen a validity."""
    return value <= 0 or value >= VALIDITY_MAX
