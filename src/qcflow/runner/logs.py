"""The run's JSON-lines logs (actions and metrics) and production-mode log archiving.

Each line is one JSON object with ``time`` (ISO 8601, UTC, milliseconds) and ``event``; the
action log records what the runner did (``run``, ``start``, ``done``, ``failed``, ``retry``,
``kill``, ``cached``, ``end``…), the metric log one line per task per monitor sample (and the
limits first, as O2DPG does). Lines are written as they happen and flushed, so a killed runner
leaves a readable log; nothing ever logs the whole waiting list.
"""

from __future__ import annotations

import contextlib
import json
import tarfile
import threading
import time
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

__all__ = ["JsonLinesLog", "archive_log", "iso_time"]


def iso_time(timestamp: float | None = None) -> str:
    """``2026-12-06T09:00:00.123Z``: UTC, milliseconds (rounded down)."""
    ms = int((time.time() if timestamp is None else timestamp) * 1000)
    seconds, millis = divmod(ms, 1000)
    return f"{_second(seconds)}.{millis:03d}Z"


@lru_cache(maxsize=4)
def _second(seconds: int) -> str:
    """The date and time of a whole second: the same for every line in it (a log writes a few
    lines per task, thousands a second at most: formatting a datetime each time was most of
    the cost of a line)."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")


class JsonLinesLog:
    """An append-only JSON-lines file; ``None`` as path makes a log that drops everything."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._file: IO[str] | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("w", encoding="utf-8", buffering=1)

    def write(self, event: str, **fields: Any) -> None:
        if self._file is None:
            return
        line = json.dumps({"time": iso_time(), "event": event, **fields}, default=str)
        with self._lock:
            self._file.write(line + "\n")

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def archive_log(archive: Path, log: Path, name: str) -> None:
    """Append ``log`` to the tar ``archive`` as ``name`` and remove it (``--production-mode``)."""
    if not log.is_file():
        return
    with tarfile.open(archive, "a") as tar:
        tar.add(log, arcname=name)
    with contextlib.suppress(OSError):
        log.unlink()
