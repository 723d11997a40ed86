"""The local executor: each task a ``/bin/bash -c`` process in its own process group.

- **Isolation**: ``posix_spawn(..., setsid=True)`` makes every task the leader of a new session
  and process group, so one ``killpg`` reaches everything the task started (unless a child
  deliberately leaves the group with ``setsid``; those still parented to the task are found with
  psutil).
- **Logs**: stdout and stderr go to the job's log file (``<cwd>/<name>.log``), truncated on the
  first attempt, appended to on retries after a ``--- qcflow: attempt N ---`` line. The task's
  shell opens the log and writes the marker (:func:`~qcflow.runner.executor.shell_text`), so
  creating those files costs the runner nothing.
- **Backfill**: ``nice -n 19`` in front of the command, so the priority holds from the first
  instruction and is inherited by every child.
- **Event-driven waiting**: a ``pidfd`` per process (Linux >= 5.3) and a wake-up pipe in one
  selector; where ``pidfd_open`` is missing a thread per process waits and writes to the pipe.
  Nothing polls: ``wait`` sleeps in ``select`` until a process ends, a timer is due or ``wake``.
- **Ending a tree**: ``kill`` sends SIGTERM to the group (and the psutil descendants), then SIGKILL
  after ``grace`` seconds, or at once when ``kill`` is called again. When a task's main process
  ends on its own, whatever it left running in its group gets the same treatment, so no task
  leaves processes behind, failed or not.
- **Escaped processes** (Linux): the executor makes this process a child subreaper
  (:mod:`~qcflow.runner.contain`), so what a task started in a session of its own is adopted
  here when its parent ends; each job's environment carries ``QCFLOW_TASK_ID``, by which an
  adopted process is traced to its task and ended with it (at the latest when the executor
  closes), and reaped (on ``SIGCHLD``).
- **Timeouts**: a job with ``timeout`` is killed that many seconds after it started.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import selectors
import shutil
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import psutil

from qcflow.runner.contain import TASK_ID_ENV, Adoptions
from qcflow.runner.executor import Job, Outcome, shell_text

__all__ = ["LocalExecutor", "exit_reason", "signal_group"]

_NICE = shutil.which("nice")
TimerKind = Literal["timeout", "sigkill"]


@dataclass
class _Proc:
    job: Job
    pid: int
    start: float
    #: Exit code as ``os.waitstatus_to_exitcode`` gives it, once reaped.
    rc: int | None = None
    pidfd: int | None = None
    kill_reason: str = ""
    escaped: list[psutil.Process] = field(default_factory=list)


def signal_group(pgid: int, sig: signal.Signals) -> bool:
    """Send ``sig`` to process group ``pgid``; ``False`` when the group is empty."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's group now: leave it alone, but it is not empty
    return True


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return []


def _signal_all(procs: list[psutil.Process], sig: signal.Signals) -> None:
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            proc.send_signal(sig)


class LocalExecutor:
    """Runs jobs as local process groups; see the module docstring."""

    def __init__(self, grace: float = 3.0) -> None:
        self.grace = grace
        self._procs: dict[int, _Proc] = {}
        self._ended: list[Outcome] = []
        self._timers: list[tuple[float, int, TimerKind, int, list[psutil.Process]]] = []
        self._seq = itertools.count()
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._use_pidfd = hasattr(os, "pidfd_open")
        self._made: set[Path] = set()
        self._devnull = os.open(os.devnull, os.O_RDONLY)
        self._devnull_w = os.open(os.devnull, os.O_WRONLY)
        self._adopt = Adoptions()
        self._chld_r, self._chld_w = os.pipe()
        os.set_blocking(self._chld_r, False)
        os.set_blocking(self._chld_w, False)
        self._selector.register(self._chld_r, selectors.EVENT_READ, -1)
        self._old_chld: object = None
        #: SIGCHLDs received, and how many had been when the last scan started: a SIGCHLD
        #: that a scan (at a task's end) already followed needs no scan of its own.
        self._chld_seen = 0
        self._chld_scanned = 0
        if self._adopt.enabled and threading.current_thread() is threading.main_thread():
            # An adopted process that ends must be reaped: SIGCHLD wakes the loop to do it.
            self._old_chld = signal.signal(signal.SIGCHLD, self._on_sigchld)

    # -- the Executor protocol ---------------------------------------------------------------

    def start(self, job: Job) -> None:
        now = time.time()
        try:
            pid = self._spawn(job)
        except (OSError, ValueError) as err:  # ValueError: a NUL byte in the command or env
            reason = f"cannot start: {getattr(err, 'strerror', None) or err}"
            self._ended.append(Outcome(job.key, None, now, time.time(), reason))
            return
        proc = _Proc(job, pid, now)
        self._procs[job.key] = proc
        self._watch(proc)
        if job.timeout is not None:
            self._add_timer(job.timeout, "timeout", job.key)

    def kill(self, key: int, reason: str = "killed") -> None:
        proc = self._procs.get(key)
        if proc is None:
            return
        if proc.kill_reason:  # asked again: no more grace
            signal_group(proc.pid, signal.SIGKILL)
            _signal_all(proc.escaped, signal.SIGKILL)
            return
        proc.kill_reason = reason
        proc.escaped = _descendants(proc.pid)
        signal_group(proc.pid, signal.SIGTERM)
        _signal_all(proc.escaped, signal.SIGTERM)
        adopted = self._adopt.scan(self._leaders()).get(key, [])
        proc.escaped += self._adopt.end(adopted, signal.SIGTERM)
        self._add_timer(self.grace, "sigkill", proc.pid, proc.escaped)

    def wait(self, timeout: float | None) -> list[Outcome]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            self._fire_timers()
            if self._ended:
                ended, self._ended = self._ended, []
                return ended
            woke = False
            for key, _ in self._selector.select(self._pause(deadline)):
                if key.data is None:
                    woke = self._drain_wake()
                elif key.data == -1:
                    _drain(self._chld_r)
                    if self._chld_scanned != self._chld_seen:
                        self._end_orphans()
                else:
                    self._reap(key.data)
            if not self._use_pidfd:
                self._reap_exited()
            if self._ended:
                continue
            if woke or (deadline is not None and time.monotonic() >= deadline):
                return []

    def wake(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self._wake_w, b"!")

    def pids(self) -> dict[int, int]:
        return {key: proc.pid for key, proc in self._procs.items()}

    def close(self) -> None:
        """Terminate every running job, SIGKILL it after the grace period, reap it."""
        for key in list(self._procs):
            self.kill(key, "runner stopped")
        end = time.monotonic() + self.grace + 1.0
        while self._procs and time.monotonic() < end:
            self.wait(max(0.0, end - time.monotonic()))
        for proc in list(self._procs.values()):
            signal_group(proc.pid, signal.SIGKILL)
            _reap_pid(proc)
            self._forget(proc)
        for _, _, kind, pgid, escaped in self._timers:
            if kind == "sigkill":
                if pgid > 0:
                    signal_group(pgid, signal.SIGKILL)
                _signal_all(escaped, signal.SIGKILL)
        self._timers.clear()
        self._end_adopted()
        if self._old_chld is not None:
            signal.signal(signal.SIGCHLD, self._old_chld)  # type: ignore[arg-type]
        self._adopt.close()
        self._selector.close()
        for fd in (self._devnull, self._devnull_w, self._wake_r, self._wake_w):
            os.close(fd)
        os.close(self._chld_r)
        os.close(self._chld_w)

    # -- adopted processes (see qcflow.runner.contain) ---------------------------------------

    def _leaders(self) -> set[int]:
        return {proc.pid for proc in self._procs.values()}

    def _on_sigchld(self, signum: int, frame: object) -> None:
        self._chld_seen += 1
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self._chld_w, b"!")

    def _end_orphans(self) -> None:
        """Reap adopted processes that ended; end those whose task no longer runs."""
        self._chld_scanned = self._chld_seen
        found = self._adopt.scan(self._leaders())
        running = set(self._procs)
        # Unmarked ones (env -i) cannot be traced to a task: they are ended at close.
        stray = [
            p for owner, procs in found.items() if owner not in running | {None} for p in procs
        ]
        if stray:
            signalled = self._adopt.end(stray, signal.SIGTERM)
            if signalled:
                self._add_timer(self.grace, "sigkill", -1, signalled)

    def _end_adopted(self) -> None:
        """At close: end every adopted process, whatever its marker, and reap it."""
        deadline = time.monotonic() + self.grace
        for _ in range(100):  # each round ends a generation; a fork bomb is not waited out
            alive = [p for procs in self._adopt.scan(set()).values() for p in procs]
            if not alive:
                return
            now = time.monotonic()
            hard = now >= deadline
            signalled = self._adopt.end(alive, signal.SIGKILL if hard else signal.SIGTERM)
            wait = 1.0 if hard else min(max(deadline - now, 0.05), 1.0)
            psutil.wait_procs(signalled or alive, timeout=wait)

    # -- processes ---------------------------------------------------------------------------

    def _spawn(self, job: Job) -> int:
        """``posix_spawn`` a session leader running the job's shell; return its pid."""
        if job.cwd not in self._made:  # once per directory: most tasks share a few
            job.cwd.mkdir(parents=True, exist_ok=True)
            self._made.add(job.cwd)
        argv = ["/bin/bash", "-c", shell_text(job)]
        if job.nice and _NICE:
            argv = [_NICE, "-n", str(job.nice), *argv]
        env = dict(job.env)
        env[TASK_ID_ENV] = self._adopt.tag(job.key)
        return os.posix_spawn(
            argv[0],
            argv,
            env,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, self._devnull, 0),
                (os.POSIX_SPAWN_DUP2, self._devnull_w, 1),
            ],
            setsid=True,
        )

    def _watch(self, proc: _Proc) -> None:
        key = proc.job.key
        if self._use_pidfd:
            try:
                proc.pidfd = os.pidfd_open(proc.pid)
            except OSError:
                self._use_pidfd = False
            else:
                self._selector.register(proc.pidfd, selectors.EVENT_READ, key)
                return
        waiter = threading.Thread(target=self._wait_thread, args=(proc,), daemon=True)
        waiter.start()

    def _wait_thread(self, proc: _Proc) -> None:
        _reap_pid(proc)
        self.wake()

    def _reap_exited(self) -> None:
        for key, proc in list(self._procs.items()):
            if proc.rc is not None:
                self._reap(key)

    def _reap(self, key: int) -> None:
        proc = self._procs.get(key)
        if proc is None:
            return
        pgid = proc.pid
        # The leader is a zombie until reaped, so its group id cannot be reused yet.
        if signal_group(pgid, signal.SIGTERM) and not proc.kill_reason:
            self._add_timer(self.grace, "sigkill", pgid)
        rc = _reap_pid(proc)
        self._forget(proc)
        self._end_orphans()
        end = time.time()
        reason = proc.kill_reason or exit_reason(rc)
        self._ended.append(Outcome(key, rc if rc >= 0 else None, proc.start, end, reason, pgid))

    def _forget(self, proc: _Proc) -> None:
        self._procs.pop(proc.job.key, None)
        if proc.pidfd is not None:
            self._selector.unregister(proc.pidfd)
            os.close(proc.pidfd)
            proc.pidfd = None

    def _drain_wake(self) -> bool:
        _drain(self._wake_r)
        return True

    # -- timers ------------------------------------------------------------------------------

    def _add_timer(
        self,
        delay: float,
        kind: TimerKind,
        target: int,
        escaped: list[psutil.Process] | None = None,
    ) -> None:
        entry = (time.monotonic() + delay, next(self._seq), kind, target, escaped or [])
        heapq.heappush(self._timers, entry)

    def _fire_timers(self) -> None:
        now = time.monotonic()
        while self._timers and self._timers[0][0] <= now:
            _, _, kind, target, escaped = heapq.heappop(self._timers)
            if kind == "timeout":
                proc = self._procs.get(target)
                if proc is not None and proc.job.timeout is not None:
                    self.kill(target, f"timeout after {proc.job.timeout:g} s")
            else:
                if target > 0:  # -1: no group, only the processes listed
                    signal_group(target, signal.SIGKILL)
                _signal_all(escaped, signal.SIGKILL)

    def _pause(self, deadline: float | None) -> float | None:
        next_timer = self._timers[0][0] if self._timers else None
        candidates = [t for t in (deadline, next_timer) if t is not None]
        return max(0.0, min(candidates) - time.monotonic()) if candidates else None


def _drain(fd: int) -> None:
    with contextlib.suppress(BlockingIOError):
        while os.read(fd, 4096):
            pass


def _reap_pid(proc: _Proc) -> int:
    """Wait for the leader (it has ended or been killed) and return its exit code."""
    if proc.rc is None:
        try:
            _, status = os.waitpid(proc.pid, 0)
        except ChildProcessError:
            status = 0  # reaped elsewhere; nothing better to report
        proc.rc = os.waitstatus_to_exitcode(status)
    return proc.rc


def exit_reason(rc: int) -> str:
    """Why a process with this exit code (as ``os.waitstatus_to_exitcode`` gives it) failed."""
    if rc == 0:
        return ""
    if rc < 0:
        try:
            return f"killed by signal {signal.Signals(-rc).name}"
        except ValueError:
            return f"killed by signal {-rc}"
    return f"exit code {rc}"
