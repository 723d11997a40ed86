"""Containment on Linux: the runner as a child subreaper, so no task's process escapes it.

A task runs in its own session and process group, and ``killpg`` ends that group; but a task
can leave it (``setsid sleep 100 &``, a daemon that double-forks) and, once its parent is gone,
such a process used to be adopted by init and outlive the task, a failure and the runner itself.
With ``prctl(PR_SET_CHILD_SUBREAPER)`` the kernel gives every orphan among the runner's
descendants to the runner instead, whatever session it made. :class:`Adoptions` then:

- **attributes** each adopted process to the task it came from by an environment marker,
  ``QCFLOW_TASK_ID=<runner pid>:<task key>``, that the task's shell and everything it starts
  inherit (read from ``/proc/<pid>/environ``);
- **ends** it (SIGTERM, then SIGKILL after the grace period, with everything below it) once its
  task is no longer running: when the task's main process has ended and when the task is
  killed (:meth:`Adoptions.claim` hands it to the task's
  :class:`~qcflow.runner.process.ProcessGroup`, which ends it with the group), when found after
  its task ended, and, for everything adopted whatever its marker, when the executor closes
  (end of the run, failure, SIGINT/SIGTERM/SIGHUP);
- **reaps** every adopted process that has ended (on ``SIGCHLD`` when the runner runs in the main
  thread, else at the next task end and at close), so no zombie accumulates.

What counts as adopted: a child of this process's main thread (the kernel gives orphans to a
subreaper's first living thread) that is not a task's main process, did not exist
when the executor started, and is not in this process's own session (a task's descendants never
are: each task starts a new session, and no process can join another session; a ``subprocess``
child of the program embedding the runner normally is). Only those are ever signalled or reaped.

Limits (documented in ``docs/runner.md``): Linux only (elsewhere, or when ``prctl`` fails, the
process-group behaviour stays); a program that ends its initial thread while the runner runs
(possible only when embedding Python in C) has its orphans adopted by a thread not scanned;
a process that empties its environment (``env -i``) is ended at
close, not when its task ends; a runner killed with SIGKILL cannot end anything (the next
runner ends the process groups it journaled, not processes that left them); the resource monitor
measures the task's main process and its descendants, not processes already adopted.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: ~25 ms of every start-up, and most runs never need it
    import psutil

__all__ = ["TASK_ID_ENV", "Adoptions", "tagged"]

TASK_ID_ENV = "QCFLOW_TASK_ID"
_PR_SET_CHILD_SUBREAPER = 36
_PR_GET_CHILD_SUBREAPER = 37


class _Subreaper:
    """This process's subreaper flag, shared by every executor in it (counted)."""

    lock = threading.Lock()
    users = 0
    #: The flag as it was before the first user (restored after the last).
    previous = 0


def _prctl(option: int, arg: int | ctypes.c_int | ctypes._Pointer[ctypes.c_int]) -> bool:
    libc = ctypes.CDLL(None, use_errno=True)
    return int(libc.prctl(option, arg, 0, 0, 0)) == 0


def _acquire() -> bool:
    """Make this process a child subreaper (counted: several executors may share it)."""
    if not sys.platform.startswith("linux"):
        return False
    with _Subreaper.lock:
        if _Subreaper.users == 0:
            flag = ctypes.c_int(0)
            try:
                if not _prctl(_PR_GET_CHILD_SUBREAPER, ctypes.pointer(flag)):
                    return False
                if not _prctl(_PR_SET_CHILD_SUBREAPER, 1):
                    return False
            except (OSError, AttributeError):  # no libc prctl
                return False
            _Subreaper.previous = flag.value
        _Subreaper.users += 1
        return True


def _release() -> None:
    with _Subreaper.lock:
        _Subreaper.users -= 1
        if _Subreaper.users == 0 and not _Subreaper.previous:
            with contextlib.suppress(OSError, AttributeError):
                _prctl(_PR_SET_CHILD_SUBREAPER, 0)


def _children(me: int) -> list[int]:
    """Pids of the processes this process (``me``, its pid) adopted, and of its main thread's
    own children.

    The kernel gives an orphan to the subreaper's first living thread: its main (initial)
    thread, whose children are ``/proc/self/task/<me>/children``. One file, read with plain
    ``os`` calls: this runs at every task end, and listing every thread's file (or pathlib)
    cost several times as much. Without that file (an old kernel): psutil, every thread's.
    """
    try:
        fd = os.open(f"/proc/self/task/{me}/children", os.O_RDONLY)
    except OSError:
        import psutil

        return [p.pid for p in psutil.Process().children()]
    try:
        return [int(p) for p in os.read(fd, 1 << 16).split()]
    finally:
        os.close(fd)


def _all_children(me: int) -> list[int]:
    """Pids of the children of every thread of this process (``me``): read once, at the start."""
    try:
        threads = list(Path("/proc/self/task").iterdir())
    except OSError:
        return _children(me)
    pids: list[int] = []
    for thread in threads:
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            pids += (int(p) for p in (thread / "children").read_bytes().split())
    return pids


def _stat(pid: int) -> tuple[str, int, int] | None:
    """State letter, session id and start time (clock ticks) of a process, or ``None``."""
    try:
        fd = os.open(f"/proc/{pid}/stat", os.O_RDONLY)
    except OSError:
        return None
    try:
        text = os.read(fd, 4096)
    except OSError:
        return None
    finally:
        os.close(fd)
    fields = text[text.rindex(b")") + 2 :].split()
    return fields[0].decode(), int(fields[3]), int(fields[19])


def _owner_tag(pid: int) -> str | None:
    """The process's ``QCFLOW_TASK_ID``, or ``None`` (none, or unreadable)."""
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return None
    prefix = f"{TASK_ID_ENV}=".encode()
    for entry in environ.split(b"\0"):
        if entry.startswith(prefix):
            return entry[len(prefix) :].decode(errors="replace")
    return None


def tagged(tag: str) -> list[psutil.Process]:
    """Every process this user may read whose environment holds ``QCFLOW_TASK_ID=<tag>``.

    A scan of ``/proc`` (a few ms for a few hundred processes): for executors that cannot be a
    subreaper (a Dask worker), it finds what a task left anywhere, init's adoptees included.
    """
    import psutil

    want = f"{TASK_ID_ENV}={tag}".encode()
    found: list[psutil.Process] = []
    try:
        entries = [e.name for e in os.scandir("/proc") if e.name.isdigit()]
    except OSError:
        return found
    for name in entries:
        try:
            environ = Path(f"/proc/{name}/environ").read_bytes()
        except OSError:
            continue  # gone, or another user's
        if want in environ.split(b"\0"):
            with contextlib.suppress(psutil.Error):
                found.append(psutil.Process(int(name)))
    return found


class Adoptions:
    """The orphans this process adopts as a subreaper; see the module docstring."""

    def __init__(self) -> None:
        self.enabled = _acquire()
        self._me = os.getpid()
        self._session = os.getsid(0)
        self._foreign: set[tuple[int, int]] = set()
        #: Processes already sent SIGTERM: pid -> process (SIGKILL follows from a timer).
        self.ending: dict[int, psutil.Process] = {}
        if self.enabled:
            # Every thread's children, once: a child another thread of an embedding program
            # started moves to the main thread's file when that thread ends, and must still
            # be told from a task's orphan then.
            for pid in _all_children(self._me):
                stat = _stat(pid)
                if stat is not None:
                    self._foreign.add((pid, stat[2]))

    def tag(self, key: int) -> str:
        """The marker value for task ``key`` of this runner."""
        return f"{self._me}:{key}"

    def owner(self, tag: str | None) -> int | None:
        """The task key a marker names, if this runner set it."""
        if tag is None:
            return None
        runner, _, key = tag.partition(":")
        if runner != str(self._me) or not key.isdigit():
            return None
        return int(key)

    def scan(self, leaders: set[int]) -> dict[int | None, list[psutil.Process]]:
        """Reap the adopted processes that ended; return the living ones by owner task.

        ``leaders``: the pids of the tasks' main processes (reaped by the executor itself).
        ``None`` collects the adopted processes without a marker of this runner.
        """
        found: dict[int | None, list[psutil.Process]] = {}
        if not self.enabled:
            return found
        for pid in _children(self._me):
            if pid in leaders:
                continue
            stat = _stat(pid)
            if stat is None:
                continue
            state, session, start = stat
            if session == self._session or (pid, start) in self._foreign:
                continue  # not from a task: the embedding program's own child
            if state in {"Z", "X"}:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, os.WNOHANG)
                self.ending.pop(pid, None)
                continue
            import psutil  # (once something was adopted: rare)

            with contextlib.suppress(psutil.Error):
                found.setdefault(self.owner(_owner_tag(pid)), []).append(psutil.Process(pid))
        return found

    def claim(self, procs: list[psutil.Process]) -> list[psutil.Process]:
        """Each process and everything below it not being ended yet, remembered as being ended
        (its task's :class:`~qcflow.runner.process.ProcessGroup` signals it)."""
        self.ending = {pid: p for pid, p in self.ending.items() if p.is_running()}
        fresh = {pid: p for pid, p in _tree(procs).items() if pid not in self.ending}
        self.ending.update(fresh)
        return list(fresh.values())

    def end(self, procs: list[psutil.Process], sig: signal.Signals) -> list[psutil.Process]:
        """Send ``sig`` to each process and everything below it; return what was signalled.

        SIGTERM goes once per process (:attr:`ending` remembers); SIGKILL always.
        """
        import psutil

        targets = self.claim(procs) if sig == signal.SIGTERM else list(_tree(procs).values())
        signalled = []
        for proc in targets:
            with contextlib.suppress(psutil.Error):
                proc.send_signal(sig)  # psutil checks the pid still names this process
                signalled.append(proc)
        return signalled

    def close(self) -> None:
        if self.enabled:
            self.enabled = False
            _release()


def _tree(procs: list[psutil.Process]) -> dict[int, psutil.Process]:
    """Each process and its descendants, by pid."""
    import psutil

    tree: dict[int, psutil.Process] = {}
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            tree[proc.pid] = proc
            tree.update((c.pid, c) for c in proc.children(recursive=True))
    return tree
