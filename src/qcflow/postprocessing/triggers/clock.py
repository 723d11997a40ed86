"""Time for the engine: a clock object, so that tests (and replays) control it.

The engine asks the clock only where QC semantics need the present: periodic triggers, the
``always`` trigger, and the "now" of a run (``once`` and ``userorcontrol`` timestamps, which
:class:`~..engine.engine.Engine` takes once per run, or from ``--timestamp``). Everything else
uses the timestamps of triggers and objects, so the same QCDB content gives the same outputs.
"""

from __future__ import annotations

import time
from typing import Protocol

from qcflow._types import TimestampMs

__all__ = ["Clock", "ManualClock", "SystemClock"]


class Clock(Protocol):
    def now_ms(self) -> TimestampMs:
        """Wall-clock time, ms since the epoch."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back."""
        ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real time."""

    def now_ms(self) -> TimestampMs:
        return time.time_ns() // 1_000_000

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class ManualClock:
    """A clock that moves only when slept on: deterministic tests of periodic behaviour."""

    def __init__(self, start_ms: TimestampMs = 1_700_000_000_000) -> None:
        self.start_ms = start_ms
        self.elapsed = 0.0

    def now_ms(self) -> TimestampMs:
        return self.start_ms + int(self.elapsed * 1000)

    def monotonic(self) -> float:
        return self.elapsed

    def sleep(self, seconds: float) -> None:
        self.elapsed += max(seconds, 0.0)
