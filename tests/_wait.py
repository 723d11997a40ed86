"""Waiting in tests: for an event (a file, a line in it, a process's end, a condition), never
for a length of time.

The suite must pass on a loaded machine: two busy loops beside it on two cores, other test
processes, a neighbour's build (docs/testing.md). So a test never sleeps for "long enough"
and never asserts that something happened "within N seconds": it polls for the state it needs.
The only clock is the deadline, which turns a hang into a failure instead of a stuck suite; it
is sized for a machine many times slower than a quiet one, so reaching it means a bug, never
load. ``QCFLOW_TEST_DEADLINE`` (seconds) overrides it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import psutil

__all__ = ["DEADLINE", "alive", "wait_for_file", "wait_for_text", "wait_until", "wait_until_dead"]

#: Seconds before a wait gives up (a failure, never a normal outcome).
DEADLINE = float(os.environ.get("QCFLOW_TEST_DEADLINE", "120"))
#: Seconds between two looks: short, since the waits are for events, not for time.
POLL = 0.02


def wait_until(condition: Callable[[], object], what: str, limit: float = DEADLINE) -> None:
    """Return as soon as ``condition()`` is true; fail saying ``what`` never came true."""
    end = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < end, f"{what}: not so after {limit:g} s"
        time.sleep(POLL)


def _whole(path: Path) -> bool:
    try:
        return path.read_text().endswith("\n")
    except FileNotFoundError:
        return False


def wait_for_file(path: Path, limit: float = DEADLINE) -> None:
    """Wait until ``path`` exists and ends with a newline (its writer finished the line)."""
    wait_until(lambda: _whole(path), f"{path.name} written", limit)


def wait_for_text(path: Path, text: str, limit: float = DEADLINE) -> None:
    """Wait until ``path`` exists and contains ``text``."""

    def found() -> bool:
        try:
            return text in path.read_text()
        except FileNotFoundError:
            return False

    wait_until(found, f"{text!r} in {path}", limit)


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, ended but not yet reaped, does not)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def wait_until_dead(pids: Iterable[int], limit: float = DEADLINE) -> None:
    """Signalled processes take a moment to end: wait until none of ``pids`` runs."""
    pids = list(pids)
    wait_until(lambda: not any(alive(p) for p in pids), f"processes {pids} ended", limit)
