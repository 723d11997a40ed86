"""Task notes: a few lines a task leaves for the end-of-run table and ``summary.json``.

The contract (any task may use it, not only ``qcflow qc``): before each attempt the runner
removes ``<cwd>/<name>.notes`` and sets ``QCFLOW_TASK_NOTES`` to its absolute path in the task's
environment; the task may write UTF-8 lines there (say, why it succeeded without doing
anything). When the attempt ended, the runner reads at most :data:`MAX_LINES` non-empty lines
from the first :data:`MAX_BYTES` bytes, each cut to :data:`MAX_CHARS` characters, invalid UTF-8
replaced; they go into the summary (``"notes": [...]``) and the table. A missing or unreadable
file means no notes.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

__all__ = ["MAX_BYTES", "MAX_CHARS", "MAX_LINES", "NOTES_ENV", "NOTES_SUFFIX", "clear", "read"]

NOTES_ENV = "QCFLOW_TASK_NOTES"
NOTES_SUFFIX = ".notes"
MAX_LINES = 5
MAX_BYTES = 4096
MAX_CHARS = 200


def clear(path: str | Path) -> None:
    """Remove a previous attempt's notes (so stale ones are never shown)."""
    with contextlib.suppress(FileNotFoundError, NotADirectoryError, IsADirectoryError):
        os.unlink(path)  # noqa: PTH108 (a string or a path)


def read(path: str | Path) -> list[str]:
    """The notes a task wrote, bounded (see the module docstring); ``[]`` when none."""
    try:  # plain os calls: read at every task's end, mostly to learn there are none
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return []
    data = b""
    try:
        while len(data) < MAX_BYTES:
            chunk = os.read(fd, MAX_BYTES - len(data))
            if not chunk:
                break
            data += chunk
    except OSError:  # a directory, say
        return []
    finally:
        os.close(fd)
    text = data.decode("utf-8", errors="replace")
    lines = [line.strip() for line in text.splitlines()]
    notes = [line for line in lines if line][:MAX_LINES]
    return [n if len(n) <= MAX_CHARS else n[: MAX_CHARS - 1] + "…" for n in notes]
