"""One runner per working directory, and no task of a dead runner left running.

``<base>/.qcflow-run/lock`` is held with ``flock`` while a runner runs: a second runner on the
same directory stops with a clear error instead of racing the first on the same files. The kernel
drops the lock when its holder dies, even by SIGKILL, so a stale lock never blocks a restart.

A runner killed with SIGKILL cannot end its tasks: they run on in their own process groups. So
every task start and end is appended to ``<base>/.qcflow-run/pgroups.jsonl`` (process group id,
task, start time of its leader). A start line is flushed at once (it is what finds the group if
the runner is killed); end lines are flushed with the next start or by the engine before it
waits (:meth:`RunLock.flush`, within the same turn of its loop): one ``write`` per task, not two.
A new runner that takes the lock first ends the groups the journal shows as still running
(SIGTERM, then SIGKILL after the grace period), checking that each process still belongs to the
group and is not younger than the recorded start, so a reused id is never hit. Their tasks have
no valid marker (the dead runner never wrote it) and simply run again.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: ~25 ms of every start-up, and most runs never need it
    import psutil

from qcflow.errors import QcflowError

__all__ = ["RunLock"]

STATE_DIR = ".qcflow-run"


class RunLock:
    """The working-directory lock and process-group journal of one run."""

    def __init__(self, base: Path) -> None:
        self.dir = base / STATE_DIR
        self._lock: IO[str] | None = None
        self._journal: IO[str] | None = None

    def acquire(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        handle = (self.dir / "lock").open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            handle.close()
            msg = f"another qcflow run (pid {holder}) is running in {self.dir.parent}"
            raise QcflowError(msg) from err
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._lock = handle

    def leftovers(self) -> dict[int, tuple[str, float]]:
        """Process groups the journal shows as started and never ended: pgid -> (task, start)."""
        open_groups: dict[int, tuple[str, float]] = {}
        with contextlib.suppress(FileNotFoundError):
            for line in (self.dir / "pgroups.jsonl").read_text(encoding="utf-8").splitlines():
                try:
                    record = json.loads(line)
                except ValueError:
                    continue  # a line cut short by the kill
                if "end" in record:
                    open_groups.pop(int(record["end"]), None)
                elif "pgid" in record:
                    open_groups[int(record["pgid"])] = (str(record["task"]), float(record["t"]))
        return open_groups

    def end_leftovers(self, grace: float) -> list[str]:
        """End what a dead runner left running; return the names of the tasks concerned."""
        groups = self.leftovers()
        found = _members(groups)
        if not found:
            return []
        import psutil

        victims = [proc for proc, _ in found]
        for proc in victims:
            with contextlib.suppress(psutil.Error):
                proc.send_signal(signal.SIGTERM)
        _, alive = psutil.wait_procs(victims, timeout=grace)
        for proc in alive:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        psutil.wait_procs(alive, timeout=grace)
        return sorted({groups[pgid][0] for _, pgid in found})

    def open_journal(self) -> None:
        self._journal = (self.dir / "pgroups.jsonl").open("w", encoding="utf-8")

    def started(self, pgid: int, task: str, start: float) -> None:
        # Formatted by hand (only the name needs JSON's quoting): two lines per task.
        if self._journal is not None:
            self._journal.write(f'{{"pgid": {pgid}, "task": {json.dumps(task)}, "t": {start!r}}}\n')
            self._journal.flush()

    def ended(self, pgid: int) -> None:
        # Flushed with the next start line or before the engine waits (see the docstring).
        if self._journal is not None:
            self._journal.write(f'{{"end": {pgid}}}\n')

    def flush(self) -> None:
        """Put the journal's lines in the file (the engine calls it before it waits)."""
        if self._journal is not None:
            self._journal.flush()

    def release(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None
            with contextlib.suppress(OSError):
                (self.dir / "pgroups.jsonl").unlink()
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None


def _pgid(proc: psutil.Process) -> int | None:
    try:
        return os.getpgid(proc.pid)
    except ProcessLookupError:
        return None


def _members(groups: dict[int, tuple[str, float]]) -> list[tuple[psutil.Process, int]]:
    """Live processes in the recorded groups, started no earlier than the group's leader."""
    if not groups:
        return []
    import psutil

    found = []
    me = os.getpid()
    for proc in psutil.process_iter(["create_time"]):
        pgid = _pgid(proc)
        if pgid is None or pgid not in groups or proc.pid == me:
            continue
        created = proc.info.get("create_time") or 0.0
        if created + 1.0 >= groups[pgid][1]:
            found.append((proc, pgid))
    return found
