"""Completion markers and fingerprints: what lets a rerun skip finished work, and only that.

A task is *done* when ``<cwd>/<name>.log_done`` exists: O2DPG's marker, so O2DPG tools and
``taskwrapper`` agree with qcflow on what finished. qcflow writes it itself, atomically, only after
the task exited with code 0, and puts a JSON record in it::

    {"qcflow": "marker/1", "task": "b", "fingerprint": "<sha256>", "stamp": "<uuid>",
     "needs": {"a": "<stamp of a's marker>"}, "rc": 0, "attempt": 1, "start": ..., "end": ...}

- ``fingerprint`` hashes what defines the task: its command, its declared environment (global-init
  env and task env; not the caller's whole ``os.environ``) and its ``cwd``.
- ``stamp`` is new at every completion; ``needs`` records the stamps of the upstream markers the
  task consumed.

A marker is *valid* when its fingerprint equals the task's current one, every need is valid, and
the recorded stamps equal the needs' current stamps. So a changed command invalidates the task and,
because its rerun gives a new stamp, everything downstream; ``--rerun-from`` removes markers.
A marker that is not qcflow's (written by O2's ``taskwrapper`` or an O2DPG run) is accepted as
done, as O2DPG would, when all its needs are valid; its stamp is its modification time. An empty
marker, or one starting with ``{`` that is not a complete qcflow record, is never trusted.

The engine removes a task's marker before running it, so a marker never outlives a rerun that
did not finish. The marker's text (stamp included) is fixed when the task starts; the task's own
shell writes it after the command ended with status 0 (see :mod:`~qcflow.runner.local`), and the
engine writes it itself after an exit code 0 if the command ended the shell first (``exit``,
``exec``). Either way it exists only after success,
is written with one ``write`` and without ``fsync``: it survives a killed runner (the kernel keeps
the data), not a power cut, and a write cut short is never trusted.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qcflow.errors import QcflowError

__all__ = [
    "MARKER_SUFFIX",
    "Marker",
    "fingerprint",
    "marker_text",
    "put_marker",
    "read_marker",
    "remove_marker",
    "valid_stamps",
    "write_marker",
]

MARKER_SUFFIX = ".log_done"
_FORMAT = "marker/1"


@dataclass(frozen=True, slots=True)
class Marker:
    """A completion marker as read; ``fingerprint`` is ``None`` for a foreign (O2DPG) marker."""

    stamp: str
    fingerprint: str | None = None
    needs: dict[str, str] = field(default_factory=dict)

    @property
    def foreign(self) -> bool:
        return self.fingerprint is None


def fingerprint(cmd: str, env: Mapping[str, str], cwd: str) -> str:
    """A digest of what defines a task's result (upstream results are tracked by stamps)."""
    digest = hashlib.sha256()
    # NUL cannot occur in a command, a variable or a path, so the fields cannot run together.
    for part in (cmd, cwd, *(f"{k}={v}" for k, v in sorted(env.items()))):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()


def read_marker(path: Path) -> Marker | None:
    """The marker at ``path``, or ``None`` when there is none."""
    try:
        raw = path.read_bytes()
        mtime = path.stat().st_mtime_ns
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError:
        return None  # unreadable: not trusted as done
    if not raw.strip():
        return None  # created but never written: a runner died in between
    record = _parse(raw)
    if record is None:
        if raw.lstrip().startswith(b"{"):
            return None  # a qcflow marker cut short: never trusted
        return Marker(stamp=f"foreign:{mtime}")
    needs = record.get("needs")
    return Marker(
        stamp=str(record.get("stamp", "")),
        fingerprint=str(record.get("fingerprint", "")),
        needs={str(k): str(v) for k, v in needs.items()} if isinstance(needs, dict) else {},
    )


def _parse(raw: bytes) -> dict[str, Any] | None:
    try:
        record = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(record, dict) and record.get("qcflow") == _FORMAT:
        return record
    return None


def marker_text(
    task: str, fp: str, needs: Mapping[str, str], info: Mapping[str, Any]
) -> tuple[str, str]:
    """A fresh stamp and the marker record holding it, as one line of JSON."""
    stamp = _uuid4_hex()
    record: dict[str, Any] = {"qcflow": _FORMAT, "task": task, "fingerprint": fp}
    record["stamp"] = stamp
    record["needs"] = dict(needs)
    record.update(info)
    return stamp, json.dumps(record)


def _uuid4_hex() -> str:
    """``uuid.uuid4().hex`` without building a UUID object (a fifth of the cost per task)."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    return raw.hex()


def put_marker(path: Path, text: str) -> None:
    """Write a marker's text in one ``write``.

    No temporary file and rename (that doubles the cost of finishing a task on slow file
    systems): a reader trusts only a complete qcflow record, and the engine removed any older
    marker before the task ran, so a write cut short leaves a marker nobody trusts.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        try:
            os.write(fd, (text + "\n").encode())
        finally:
            os.close(fd)
    except OSError as err:
        msg = f"cannot write completion marker {path}: {err.strerror or err}"
        raise QcflowError(msg) from err


def write_marker(
    path: Path, task: str, fp: str, needs: Mapping[str, str], info: Mapping[str, Any]
) -> str:
    """Write a fresh marker; return its new stamp."""
    stamp, text = marker_text(task, fp, needs, info)
    put_marker(path, text)
    return stamp


def remove_marker(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        path.unlink()


def valid_stamps(
    order: Sequence[int],
    needs: Sequence[Sequence[int]],
    names: Sequence[str],
    fingerprints: Sequence[str],
    markers: Sequence[Marker | None],
) -> dict[int, str]:
    """Node -> stamp for every task whose marker is valid; ``order`` is a topological order."""
    valid: dict[int, str] = {}
    for i in order:
        marker = markers[i]
        if marker is None or any(p not in valid for p in needs[i]):
            continue
        if marker.foreign:
            valid[i] = marker.stamp
            continue
        consumed = {names[p]: valid[p] for p in needs[i]}
        if marker.fingerprint == fingerprints[i] and marker.needs == consumed:
            valid[i] = marker.stamp
    return valid
