"""The executor seam: how the engine runs a task without knowing where it runs.

An executor takes :class:`Job` s (a bash command, its directory, environment, log file and the
completion marker to write on success) and reports :class:`Outcome` s. The engine calls, from
one thread:

- ``start(job)``: begin running it (a failure to start is reported as an outcome, not raised);
- ``kill(key, reason)``: end the job's whole process tree; its outcome follows, with ``reason``;
  a second ``kill`` of the same job ends it without grace;
- ``wait(timeout)``: block until at least one job ended or ``timeout`` seconds passed (``None``:
  no limit) and return what ended; executors run their own timers (task timeouts, kill grace)
  inside it;
- ``wake()``: make a blocked ``wait`` return early; safe from a signal handler or another thread;
- ``pids()``: key -> process id of running jobs, for the resource monitor (empty when remote);
- ``close()``: kill whatever still runs and free resources.

``wait`` raises :class:`ExecutorLost` when the executor can no longer run or report anything (a
cluster's scheduler went away): the engine then stops the run and counts every running task as
killed with that reason. An :class:`Outcome` may carry measurements in ``extra``
(``peak_pss_mb``, ``peak_uss_mb``, ``cpu_mean_percent``) when the resource monitor cannot see
the executor's processes.

:class:`~qcflow.runner.local.LocalExecutor` runs processes on this machine. :class:`DryExecutor`
runs nothing and reports success at once (``--dry-run``).
:class:`~qcflow.runner.dask.executor.DaskExecutor` submits one future per job to a Dask cluster
(logs and markers on a shared file system, a lost worker reported as a failed outcome so the
scheduler retries). Every executor runs :func:`shell_text` of each job with ``/bin/bash -c``
(the local executor starts a plain command without it, :mod:`~qcflow.runner.direct`, and writes
the same log and marker), so logs and markers come out the same everywhere, in a process group
whose life (spawn, TERM, grace, KILL, reap) is :mod:`~qcflow.runner.process`'s on both;
tests/runner/test_executor_contract.py checks this contract on each executor.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from qcflow.errors import QcflowError

__all__ = ["DryExecutor", "Executor", "ExecutorLost", "Job", "Outcome", "shell_text"]


class ExecutorLost(QcflowError):
    """The executor cannot run or report anything any more; the message says why."""


@dataclass(frozen=True, slots=True)
class Job:
    """One attempt at running a task."""

    key: int
    name: str
    command: str
    cwd: Path
    env: Mapping[str, str]
    log: Path
    #: Scheduling priority (``19`` in the backfill lane).
    nice: int = 0
    timeout: float | None = None
    attempt: int = 1
    #: Booked resources, for executors that book them remotely.
    cpu: float = 1.0
    mem: float = 500.0
    #: Completion marker to write, with this text, when the command exits 0 (optional).
    marker: Path | None = None
    marker_text: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a job ended: ``rc`` is ``None`` when it never started or died by a signal."""

    key: int
    rc: int | None
    start: float
    end: float
    reason: str = ""
    pid: int | None = None
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.rc == 0


class Executor(Protocol):
    def start(self, job: Job) -> None: ...

    def kill(self, key: int, reason: str = "killed") -> None: ...

    def wait(self, timeout: float | None) -> list[Outcome]: ...

    def wake(self) -> None: ...

    def pids(self) -> dict[int, int]: ...

    def close(self) -> None: ...


class DryExecutor:
    """Runs nothing; every job succeeds at once. Shows the order a real run would take."""

    def __init__(self) -> None:
        self.started: list[Job] = []
        self._done: list[Outcome] = []

    def start(self, job: Job) -> None:
        self.started.append(job)
        now = time.time()
        self._done.append(Outcome(job.key, 0, now, now))

    def kill(self, key: int, reason: str = "killed") -> None:
        return None

    def wait(self, timeout: float | None) -> list[Outcome]:
        done, self._done = self._done, []
        return done

    def wake(self) -> None:
        return None

    def pids(self) -> dict[int, int]:
        return {}

    def close(self) -> None:
        return None


def shell_text(job: Job) -> str:
    """What ``/bin/bash -c`` runs for a job, on any executor: the command in the job's directory,
    its output sent to its log, its completion marker written on success.

    The task's shell changes directory, opens (creates) the log and, when the command ended
    with status 0, writes the completion marker: file creation is slow on many file systems, and
    done by the task it costs the runner nothing. The marker line runs only if the shell reaches
    it: a shell killed by a signal never does, and a command that ends the shell itself (``exit``,
    ``exec``) leaves the marker to the engine (it checks after an exit code 0). The blank line
    keeps a trailing backslash in the command from joining the marker line. ``cd`` sets ``PWD``
    as a shell started there would have it. If the ``cd`` or the log fails, bash says so on the
    runner's stderr and the task fails (``|| exit 1``: bash goes on after an ``exec`` whose
    redirection failed, and the command would run with its output lost).
    """
    cwd, log = shlex.quote(str(job.cwd)), shlex.quote(str(job.log))
    lines = [f"cd {cwd} || exit 1"]
    if job.attempt <= 1:
        lines.append(f"exec >{log} 2>&1 || exit 1")
    else:
        header = shlex.quote(f"--- qcflow: attempt {job.attempt} ---")
        lines.append(f"exec >>{log} 2>&1 || exit 1; echo; echo {header}")
    lines.append(job.command)
    if job.marker is not None:
        text, marker = shlex.quote(job.marker_text), shlex.quote(str(job.marker))
        write = f"printf '%s\\n' {text} > {marker}"
        lines += ["", f"qcflow_rc=$?; [ $qcflow_rc = 0 ] && {write}; exit $qcflow_rc"]
    return "\n".join(lines)
