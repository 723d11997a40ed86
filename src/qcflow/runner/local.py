"""The local executor: each task a process group on this machine, ``/bin/bash -c`` or its program.

The life of each task's group (spawn a session leader, TERM, grace, KILL, reap, the reason) is
:mod:`~qcflow.runner.process`'s, shared with the Dask workers; this module adds what only a
local executor does:

- **Logs**: stdout and stderr go to the job's log file (``<cwd>/<name>.log``), truncated on the
  first attempt, appended to on retries after a ``--- qcflow: attempt N ---`` line. The task's
  shell opens the log and writes the marker (:func:`~qcflow.runner.executor.shell_text`), so
  creating those files costs the runner nothing.
- **Plain commands** (``true``, ``o2-qc --config x.json``: :mod:`~qcflow.runner.direct`) run
  without bash, which would cost each task more CPU than the runner's own work for it: the
  new process opens the log, and the executor writes the marker after exit code 0. What cannot
  start that way runs through bash, which then says what is wrong.
- **Event-driven waiting**: a ``pidfd`` per process (Linux >= 5.3) and a wake-up pipe in one
  epoll (a selector where there is none); where ``pidfd_open`` is missing a thread per process
  waits (leaving the process a zombie) and writes to the pipe. Nothing polls: ``wait`` sleeps
  until a process ends, a timer (a timeout, a SIGKILL after the grace period) is due or
  ``wake``. A task's end also brings a SIGCHLD: its scan for adopted processes is the one made
  when the task is reaped in the same wake-up, not a second one.
- **Ending a tree**: a task's processes outside its group are its psutil descendants (a child
  that called ``setsid``) and, on Linux, the processes this executor adopted as a child
  subreaper (:mod:`~qcflow.runner.contain`): what a task started in a session of its own is
  adopted here when its parent ends; each job's environment carries ``QCFLOW_TASK_ID``, by which
  an adopted process is traced to its task and ended with it (at the latest when the executor
  closes), and reaped (on ``SIGCHLD``).
- **Timeouts**: a job with ``timeout`` is ended that many seconds after it started.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import math
import os
import select
import selectors
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from qcflow.errors import QcflowError
from qcflow.runner.contain import Adoptions
from qcflow.runner.direct import PlainCommands, plain_log
from qcflow.runner.executor import Job, Outcome, shell_text
from qcflow.runner.markers import put_marker
from qcflow.runner.process import (
    SPAWN_ERRORS,
    Ended,
    ProcessGroup,
    send_all,
    spawn,
    spawn_plain,
    start_failure,
)
from qcflow.runner.wakeup import WakePipe, sigchld_blocked

if TYPE_CHECKING:  # imported where used: ~25 ms of every start-up, and most runs never need it
    import psutil

__all__ = ["LocalExecutor"]

#: Seconds before an adopted process that named no task is looked at again.
_LOOK_AGAIN = 0.05


@dataclass
class _Proc:
    job: Job
    group: ProcessGroup
    start: float
    #: Run without bash (:mod:`~qcflow.runner.direct`): the executor writes the marker.
    direct: bool = False
    pidfd: int | None = None
    #: Set by a waiter thread (no pidfd) once the leader has ended, unreaped.
    exited: bool = False


@dataclass(order=True)
class _Timer:
    when: float
    seq: int
    action: Callable[[], object] | None = field(compare=False)

    def cancel(self) -> None:
        self.action = None


class _Readable:
    """The descriptors ``wait`` sleeps on, each with its data (a task key, or a pipe's mark).

    ``select.epoll`` itself where there is one: the ``selectors`` module's bookkeeping (a key
    object per registration, lookups per event) cost more per task than the system calls.
    """

    def __init__(self) -> None:
        self._data: dict[int, int | None] = {}
        self._epoll = select.epoll() if hasattr(select, "epoll") else None
        self._selector = selectors.DefaultSelector() if self._epoll is None else None

    def add(self, fd: int, data: int | None) -> None:
        if self._epoll is not None:
            self._epoll.register(fd, select.EPOLLIN)
        elif self._selector is not None:
            self._selector.register(fd, selectors.EVENT_READ)
        self._data[fd] = data

    def remove(self, fd: int) -> None:
        del self._data[fd]
        if self._epoll is not None:
            self._epoll.unregister(fd)
        elif self._selector is not None:
            self._selector.unregister(fd)

    def ready(self, timeout: float | None) -> list[int | None]:
        """The data of the descriptors readable within ``timeout`` seconds (``None``: no limit)."""
        if self._epoll is None:
            assert self._selector is not None
            return [self._data[key.fd] for key, _ in self._selector.select(timeout)]
        # epoll counts milliseconds: rounded up, or a wait shorter than one would not sleep.
        wait = -1.0 if timeout is None else math.ceil(timeout * 1e3) * 1e-3
        return [self._data[fd] for fd, _ in self._epoll.poll(wait) if fd in self._data]

    def close(self) -> None:
        if self._epoll is not None:
            self._epoll.close()
        elif self._selector is not None:
            self._selector.close()


class LocalExecutor:
    """Runs jobs as local process groups; see the module docstring."""

    def __init__(self, grace: float = 3.0, direct: bool = True) -> None:
        self.grace = grace
        #: Whether plain commands run without bash (:mod:`~qcflow.runner.direct`).
        self.direct = direct
        self._plain = PlainCommands()
        self._procs: dict[int, _Proc] = {}
        #: The pids of the running tasks' main processes (kept as tasks start and end).
        self._leaders: set[int] = set()
        self._ended: list[Outcome] = []
        self._timers: list[_Timer] = []
        self._seq = itertools.count()
        self._readable = _Readable()
        self._wake = WakePipe()
        self._readable.add(self._wake.fd, None)
        self._use_pidfd = hasattr(os, "pidfd_open")
        self._made: set[Path] = set()
        self._adopt = Adoptions()
        self._chld = WakePipe()
        self._readable.add(self._chld.fd, -1)
        self._old_chld: object = None
        #: SIGCHLDs received, and how many had been when the last scan started: a SIGCHLD
        #: that a scan (at a task's end) already followed needs no scan of its own.
        self._chld_seen = 0
        self._chld_scanned = 0
        #: Adopted processes that named no task when a scan found them (see _escaped).
        self._unnamed: set[int] = set()
        if self._adopt.enabled and threading.current_thread() is threading.main_thread():
            # An adopted process that ends must be reaped: SIGCHLD wakes the loop to do it.
            self._old_chld = signal.signal(signal.SIGCHLD, self._on_sigchld)

    # -- the Executor protocol ---------------------------------------------------------------

    def start(self, job: Job) -> None:
        now = time.time()
        tag = self._adopt.tag(job.key)
        pid = self._start_plain(job, tag)
        direct = pid is not None
        if pid is None:
            try:
                text = shell_text(job)
                pid = spawn(text, job.cwd, job.env, tag, nice=job.nice, made=self._made)
            except SPAWN_ERRORS as err:
                self._ended.append(Outcome(job.key, None, now, time.time(), start_failure(err)))
                return
        group = ProcessGroup(pid, self.grace, self._later, partial(self._escaped, job.key, pid))
        proc = _Proc(job, group, now, direct)
        self._procs[job.key] = proc
        self._leaders.add(pid)
        self._watch(proc)
        if job.timeout is not None:
            group.time_out(job.timeout)

    def _start_plain(self, job: Job, tag: str) -> int | None:
        """Run a plain command without bash (:mod:`~qcflow.runner.direct`); ``None``: use bash.

        Any failure to start it directly leaves it to bash, which then says what is wrong.
        """
        if job.attempt > 1 or not self.direct:
            return None
        argv = self._plain.argv(job.command, job.env, job.cwd, job.nice)
        if argv is None or not plain_log(job.log):
            return None
        try:
            return spawn_plain(argv, job.cwd, job.log, job.env, tag, nice=job.nice)
        except SPAWN_ERRORS:
            return None

    def kill(self, key: int, reason: str = "killed") -> None:
        proc = self._procs.get(key)
        if proc is not None:
            proc.group.end(reason)

    def wait(self, timeout: float | None) -> list[Outcome]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            self._fire_timers()
            if self._ended:
                ended, self._ended = self._ended, []
                return ended
            woke = chld = False
            for data in self._readable.ready(self._pause(deadline)):
                if data is None:
                    self._wake.drain()
                    woke = True
                elif data == -1:
                    self._chld.drain()
                    chld = True
                else:
                    self._reap(data)
            # After the reaps: a task's end is a SIGCHLD too, and its reap's scan follows it.
            if chld and self._chld_scanned != self._chld_seen:
                self._escaped(None, None, False)
            if not self._use_pidfd:
                self._reap_exited()
            if self._ended:
                continue
            if woke or (deadline is not None and time.monotonic() >= deadline):
                return []

    def wake(self) -> None:
        self._wake.wake()

    def pids(self) -> dict[int, int]:
        return {key: proc.group.pid for key, proc in self._procs.items()}

    def close(self) -> None:
        """Terminate every running job, SIGKILL it after the grace period, reap it."""
        for key in list(self._procs):
            self.kill(key, "runner stopped")
        end = time.monotonic() + self.grace + 1.0
        while self._procs and time.monotonic() < end:
            self.wait(max(0.0, end - time.monotonic()))
        for proc in list(self._procs.values()):
            proc.group.end("runner stopped", hard=True)
            proc.group.wait_exit()
            proc.group.reap()
            self._forget(proc)
        timers, self._timers = self._timers, []
        for timer in timers:  # the SIGKILLs still due (timeouts were cancelled by the reaps)
            if timer.action is not None:
                timer.action()
        self._end_adopted()
        if self._old_chld is not None:
            signal.signal(signal.SIGCHLD, self._old_chld)  # type: ignore[arg-type]
        self._adopt.close()
        self._readable.close()
        self._wake.close()
        self._chld.close()

    # -- processes outside the groups (see qcflow.runner.contain) ----------------------------

    def _on_sigchld(self, signum: int, frame: object) -> None:
        self._chld_seen += 1
        self._chld.wake()

    def _escaped(self, key: int | None, pid: int | None, running: bool) -> list[psutil.Process]:
        """Task ``key``'s processes outside its group: the descendants of its leader ``pid``
        while it ``running``, and the processes adopted from it.

        The scan of the adopted processes also reaps those that ended and ends those whose task
        no longer runs; unmarked ones (``env -i``) cannot be traced to a task: they are ended
        at close.
        """
        self._chld_scanned = self._chld_seen
        found = self._adopt.scan(self._leaders)
        if found:  # (mostly nothing is adopted: no set of the running tasks to build)
            live = {*self._procs, None}  # None: unmarked, ended at close
            stray = [p for who, procs in found.items() if who not in live for p in procs]
            if stray:
                signalled = self._adopt.end(stray, signal.SIGTERM)
                if signalled:
                    self._later(self.grace, lambda: send_all(signalled, signal.SIGKILL))
        # A process caught in the middle of an exec shows an empty environment for a moment,
        # so no task's mark: look again shortly, once while it stays so (one that emptied its
        # environment is ended at close). Only the current ones are kept: pids are reused.
        unnamed = {p.pid for p in found.get(None, ())}
        if unnamed - self._unnamed:
            self._later(_LOOK_AGAIN, lambda: self._escaped(None, None, False))
        self._unnamed = unnamed
        if key is None or pid is None:
            return []
        below = _descendants(pid) if running else []
        adopted = found.get(key)
        return below + self._adopt.claim(adopted) if adopted else below

    def _end_adopted(self) -> None:
        """At close: end every adopted process, whatever its marker, and reap it."""
        deadline = time.monotonic() + self.grace
        for _ in range(100):  # each round ends a generation; a fork bomb is not waited out
            alive = [p for procs in self._adopt.scan(set()).values() for p in procs]
            if not alive:
                return
            import psutil

            now = time.monotonic()
            hard = now >= deadline
            signalled = self._adopt.end(alive, signal.SIGKILL if hard else signal.SIGTERM)
            wait = 1.0 if hard else min(max(deadline - now, 0.05), 1.0)
            psutil.wait_procs(signalled or alive, timeout=wait)

    # -- processes ---------------------------------------------------------------------------

    def _watch(self, proc: _Proc) -> None:
        key = proc.job.key
        if self._use_pidfd:
            try:
                proc.pidfd = os.pidfd_open(proc.group.pid)
            except OSError:
                self._use_pidfd = False
            else:
                self._readable.add(proc.pidfd, key)
                return
        waiter = threading.Thread(target=self._wait_thread, args=(proc,), daemon=True)
        with sigchld_blocked():  # see qcflow.runner.wakeup
            waiter.start()

    def _wait_thread(self, proc: _Proc) -> None:
        proc.group.wait_exit()
        proc.exited = True
        self.wake()

    def _reap_exited(self) -> None:
        for key, proc in list(self._procs.items()):
            if proc.exited:
                self._reap(key)

    def _reap(self, key: int) -> None:
        proc = self._procs.get(key)
        if proc is None:
            return
        ended: Ended = proc.group.reap()
        self._forget(proc)
        job = proc.job
        if proc.direct and proc.group.reason and ended.rc is not None:
            # Ended by the runner: bash, the leader otherwise, dies of the signal (no exit code,
            # no marker) even when the program exits 0 on SIGTERM.
            ended = Ended(None, ended.reason, ended.cpu_seconds)
        if proc.direct and ended.rc == 0 and job.marker is not None:
            # As the shell's marker line: a write that fails is left to the engine, which
            # writes the marker itself when it finds none, and says so if it cannot.
            with contextlib.suppress(QcflowError):
                put_marker(job.marker, job.marker_text)
        pid = proc.group.pid
        outcome = Outcome(key, ended.rc, proc.start, time.time(), ended.reason, pid)
        self._ended.append(outcome)

    def _forget(self, proc: _Proc) -> None:
        self._procs.pop(proc.job.key, None)
        self._leaders.discard(proc.group.pid)
        if proc.pidfd is not None:
            self._readable.remove(proc.pidfd)
            os.close(proc.pidfd)
            proc.pidfd = None

    # -- timers ------------------------------------------------------------------------------

    def _later(self, delay: float, action: Callable[[], object]) -> Callable[[], None]:
        timer = _Timer(time.monotonic() + delay, next(self._seq), action)
        heapq.heappush(self._timers, timer)
        return timer.cancel

    def _fire_timers(self) -> None:
        now = time.monotonic()
        while self._timers and self._timers[0].when <= now:
            action = heapq.heappop(self._timers).action
            if action is not None:
                action()

    def _pause(self, deadline: float | None) -> float | None:
        next_timer = self._timers[0].when if self._timers else None
        candidates = [t for t in (deadline, next_timer) if t is not None]
        return max(0.0, min(candidates) - time.monotonic()) if candidates else None


def _descendants(pid: int) -> list[psutil.Process]:
    import psutil

    try:
        return psutil.Process(pid).children(recursive=True)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return []
