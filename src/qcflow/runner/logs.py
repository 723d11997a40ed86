"""The run's JSON-lines logs (actions and metrics) and production-mode log archiving.

Each line is one JSON object with ``time`` (ISO 8601, UTC, milliseconds) and ``event``; the
action log records what the runner did (``run``, ``start``, ``done``, ``failed``, ``retry``,
``kill``, ``cached``, ``end``…), the metric log one line per task per monitor sample (and the
limits first, as O2DPG does). The metric log is flushed at each line; the action log (written
only by the engine's loop, two lines per task) is flushed by the engine each time it is about to
wait (:meth:`JsonLinesLog.flush`), so a killed runner leaves a readable log up to its last wait
and a task's lines cost no ``write`` each. Nothing ever logs the whole waiting list.
"""

from __future__ import annotations

import contextlib
import json
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


#: One encoder for every line (``json.dumps`` with ``default`` builds a new one per call).
_ENCODER = json.JSONEncoder(default=str)


class JsonLinesLog:
    """An append-only JSON-lines file; ``None`` as path makes a log that drops everything.

    ``line_buffered``: each line reaches the file at once; otherwise only at :meth:`flush`
    (or when the buffer is full), which its writer calls before it waits.
    """

    def __init__(self, path: Path | None, *, line_buffered: bool = True) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._file: IO[str] | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("w", encoding="utf-8", buffering=1 if line_buffered else -1)

    def write(self, event: str, **fields: Any) -> None:
        if self._file is None:
            return
        line = _ENCODER.encode({"time": iso_time(), "event": event, **fields})
        with self._lock:
            self._file.write(line + "\n")

    def flush(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.flush()

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def archive_log(archive: Path, log: Path, name: str) -> None:
    """Append ``log`` to the tar ``archive`` as ``name`` and remove it (``--production-mode``)."""
    if not log.is_file():
        return
    import tarfile  # (only with --production-mode: not on every start-up)

    with tarfile.open(archive, "a") as tar:
        tar.add(log, arcname=name)
    with contextlib.suppress(OSError):
        log.unlink()
