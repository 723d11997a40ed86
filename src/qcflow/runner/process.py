"""One task's process group, from spawn to reap: the lifecycle every executor shares.

The local executor (:mod:`~qcflow.runner.local`, on this machine) and a Dask worker
(:mod:`~qcflow.runner.dask._task`) run a job the same way; only how they learn that a process
ended (a ``pidfd`` in the runner's selector, a worker thread blocked in ``waitid``) and who
asks for a kill (the engine, a Dask future) differ.

- **Spawn** (:func:`spawn`): ``/bin/bash -c <text>`` (:func:`~qcflow.runner.executor.shell_text`)
  by ``posix_spawn(..., setsid=True)``: the leader of a new session and process group, so one
  ``killpg`` reaches everything the task starts. ``nice -n N`` in front when asked, so the
  priority holds from the first instruction and every child inherits it. Standard input and
  output are ``/dev/null`` (the shell sends its output to the log itself); standard error is the
  executor's, where bash says why a ``cd`` or the log failed. The environment carries
  ``QCFLOW_TASK_ID`` (:mod:`~qcflow.runner.contain`), inherited by everything the task starts.
  :func:`spawn_plain` starts a plain command (:mod:`~qcflow.runner.direct`) the same way
  without the shell, its log opened by the new process.
- **A failed start** (a directory that cannot be made, a NUL byte in the command or the
  environment, no ``/bin/bash``) raises one of :data:`SPAWN_ERRORS`; :func:`start_failure` says
  why in the ``cannot start: ...`` reason of the job's outcome: it is an outcome, never raised.
- **Ending** (:meth:`ProcessGroup.end`): SIGTERM to the group and to the task's processes found
  outside it, then SIGKILL after the grace period, or at once when asked again (or ``hard``).
  The first reason given stays the outcome's reason. A timeout (:meth:`ProcessGroup.time_out`)
  is an end with the reason ``timeout after N s``.
- **Reaping** (:meth:`ProcessGroup.reap`): once the leader has ended, whatever it left in its
  group and outside it gets SIGTERM, then SIGKILL after the grace period, so no task leaves
  processes behind, failed or not; the leader is reaped with ``wait4`` (its CPU time comes
  with it) and :class:`Ended` says ``(rc, reason)``.
- **Processes outside the group** (``setsid``, a double-forked daemon): the executor says how
  to find them, ``escaped``: the local executor's subreaper adoptions and psutil descendants,
  or a ``/proc`` scan for the task's ``QCFLOW_TASK_ID`` on a Dask worker
  (:mod:`~qcflow.runner.contain` explains both).
- **Timers**: SIGKILLs and timeouts run through the executor's ``later``: the local executor's
  own event loop (one thread), or :func:`thread_later` on a Dask worker. A group is safe to end
  from any thread.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from qcflow.runner.contain import TASK_ID_ENV

if TYPE_CHECKING:  # imported where used: ~25 ms of every start-up, and most runs never need it
    import psutil

__all__ = [
    "SPAWN_ERRORS",
    "Ended",
    "Later",
    "ProcessGroup",
    "devnull",
    "exit_reason",
    "send_all",
    "signal_group",
    "spawn",
    "spawn_plain",
    "start_failure",
    "thread_later",
]

_BASH = "/bin/bash"
#: Signals Python ignores for itself (a write to a closed pipe raises instead of killing it)
#: and a task must not inherit ignored: with SIGPIPE ignored, ``yes | head -1`` makes ``yes``
#: fail on a broken pipe instead of ending quietly. ``subprocess`` restores the same ones.
_RESTORED = tuple(getattr(signal, name) for name in ("SIGPIPE", "SIGXFSZ") if hasattr(signal, name))
_NICE = shutil.which("nice")
#: What :func:`spawn` raises when a job cannot start (ValueError: a NUL byte).
SPAWN_ERRORS = (OSError, ValueError)

#: ``later(delay, action)`` runs ``action`` after ``delay`` seconds; it returns what cancels it.
Later = Callable[[float, Callable[[], object]], Callable[[], object]]


def spawn(
    text: str,
    cwd: Path,
    env: Mapping[str, str],
    tag: str,
    *,
    nice: int = 0,
    fds: Sequence[int] = (),
    made: set[Path] | None = None,
) -> int:
    """Start ``/bin/bash -c text`` in ``cwd`` (created) as a session leader; return its pid.

    ``tag``: the ``QCFLOW_TASK_ID`` its processes inherit. ``fds`` become the shell's fds 3, 4,
    ...; ``made``: directories known to exist, updated (most tasks share a few).
    """
    if made is None or cwd not in made:
        cwd.mkdir(parents=True, exist_ok=True)
        if made is not None:
            made.add(cwd)
    devnull_w = devnull()[1]
    actions = [(os.POSIX_SPAWN_DUP2, devnull_w, 1)]
    actions += [(os.POSIX_SPAWN_DUP2, fd, 3 + i) for i, fd in enumerate(fds)]
    return _spawn(_BASH, [_BASH, "-c", text], {**env, TASK_ID_ENV: tag}, actions, nice)


def spawn_plain(
    argv: Sequence[str], cwd: Path, log: Path, env: Mapping[str, str], tag: str, *, nice: int = 0
) -> int:
    """Start ``argv[1:]`` (the program ``argv[0]``) as a session leader, its output to ``log``.

    What :func:`spawn` does for a command :mod:`~qcflow.runner.direct` accepted, without the
    shell: ``cwd`` must be this process's directory (it becomes ``PWD``), and the new process
    opens the log, truncated, as the shell's redirection would (creating a file cost 30 to 400
    µs of kernel time on an ext4 disk in issue 17's measurements: the task's, not the
    runner's). ``log`` must be a regular file or not exist yet (see
    :func:`~qcflow.runner.direct.plain_log`): ``posix_spawn`` suspends the runner until the new
    program runs, and opening a FIFO nobody reads would hold it. With ``nice``, see
    :func:`_spawn`: the program's ``argv[0]`` is then its path.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    actions = [(os.POSIX_SPAWN_OPEN, 1, str(log), flags, 0o666), (os.POSIX_SPAWN_DUP2, 1, 2)]
    full_env = {**env, TASK_ID_ENV: tag, "PWD": str(cwd)}
    return _spawn(argv[0], list(argv[1:]), full_env, actions, nice)


def _spawn(
    program: str,
    argv: list[str],
    env: dict[str, str],
    actions: Sequence[tuple[int | str, ...]],
    nice: int,
) -> int:
    """``posix_spawn`` a session leader, ``nice -n N`` in front when asked, input /dev/null.

    ``nice`` is given ``program``, the path, in place of ``argv[0]``: it runs the same program,
    whatever it would find on ``PATH``, and its priority holds from its first instruction.
    """
    if nice and _NICE:
        program, argv = _NICE, [_NICE, "-n", str(nice), "--", program, *argv[1:]]
    return os.posix_spawn(
        program,
        argv,
        env,
        file_actions=[(os.POSIX_SPAWN_DUP2, devnull()[0], 0), *actions],
        setsid=True,
        setsigdef=_RESTORED,
        setsigmask=(),  # nothing blocked, whatever the spawning thread blocks
    )


def start_failure(err: OSError | ValueError) -> str:
    """The reason of a job that could not start."""
    if isinstance(err, OSError) and err.strerror:
        why = f"{err.strerror}: {err.filename}" if err.filename else err.strerror
    else:
        why = str(err)
    return f"cannot start: {why}"


@dataclass(frozen=True, slots=True)
class Ended:
    """How a leader ended: ``rc`` is ``None`` when a signal ended it or its status was lost."""

    rc: int | None
    reason: str
    #: User plus system CPU time of the leader and the children it waited for.
    cpu_seconds: float | None = None


class ProcessGroup:
    """A task's process group while it runs; see the module docstring.

    ``escaped(running)`` lists the task's processes that left the group; ``running`` says
    whether the leader may still have children (``False`` once it ended: they went to a
    subreaper or init). It is called while the leader runs or is a zombie, never after it is
    reaped (until then its pid cannot name another process).
    """

    def __init__(
        self,
        pid: int,
        grace: float,
        later: Later,
        escaped: Callable[[bool], list[psutil.Process]] = lambda running: [],
    ) -> None:
        self.pid = pid
        self.grace = grace
        #: Why it was ended (the first reason given), "" while nobody asked.
        self.reason = ""
        self._later = later
        self._escaped = escaped
        #: Processes outside the group being ended with it.
        self._outside: list[psutil.Process] = []
        self._terminating = False
        self._reaped = False
        self._cancel_timeout: Callable[[], object] | None = None
        self._lock = threading.Lock()

    def end(self, reason: str = "killed", hard: bool = False) -> None:
        """SIGTERM, and SIGKILL after the grace period; SIGKILL at once when ``hard`` or again."""
        with self._lock:
            if self._reaped:
                return
            self.reason = self.reason or reason
            if hard or self._terminating:
                self._signal(signal.SIGKILL)
                return
            self._terminating = True
            self._outside += self._escaped(True)
            self._signal(signal.SIGTERM)
        self._later(self.grace, self._kill)

    def time_out(self, seconds: float) -> None:
        """End the group, with a timeout as its reason, ``seconds`` from now."""
        self._cancel_timeout = self._later(
            seconds, lambda: self.end(f"timeout after {seconds:g} s")
        )

    def wait_exit(self) -> None:
        """Block until the leader has ended, leaving it a zombie (its group id stays ours)."""
        with contextlib.suppress(ChildProcessError):  # reaped elsewhere: reap() says so
            os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOWAIT)

    def reap(self) -> Ended:
        """The leader has ended: end what it left behind, reap it, say how it ended."""
        with self._lock:
            if self._cancel_timeout is not None:
                self._cancel_timeout()
            # The leader is a zombie until reaped, so its group id cannot be reused yet.
            signal_group(self.pid, signal.SIGTERM)
            outside = self._escaped(False)
            send_all(outside, signal.SIGTERM)
            self._outside += outside
        try:
            _, status, usage = os.wait4(self.pid, 0)
        except ChildProcessError:
            status, usage = None, None
        with self._lock:
            self._reaped = True
        if outside or _group_alive(self.pid):  # (a kill's SIGKILL may have fired already)
            self._later(self.grace, self._kill)
        if status is None or usage is None:
            return Ended(None, self.reason or "exit status lost (reaped by someone else)")
        rc = os.waitstatus_to_exitcode(status)
        cpu = usage.ru_utime + usage.ru_stime
        return Ended(rc if rc >= 0 else None, self.reason or exit_reason(rc), cpu)

    def _kill(self) -> None:
        with self._lock:
            self._signal(signal.SIGKILL)

    def _signal(self, sig: signal.Signals) -> None:
        signal_group(self.pid, sig)
        send_all(self._outside, sig)


def signal_group(pgid: int, sig: signal.Signals) -> bool:
    """Send ``sig`` to process group ``pgid``; ``False`` when the group is empty."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's group now: leave it alone, but it is not empty
    return True


def send_all(procs: list[psutil.Process], sig: signal.Signals) -> None:
    """Send ``sig`` to each process still running (psutil checks the pid is still that process)."""
    if not procs:
        return
    import psutil

    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.send_signal(sig)


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


def thread_later(delay: float, action: Callable[[], object]) -> Callable[[], object]:
    """:data:`Later` on a timer thread, for executors without an event loop of their own."""
    timer = threading.Timer(delay, action)
    timer.daemon = True
    timer.start()
    return timer.cancel


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):  # empty, or someone else's group now
        return False
    return True


@cache
def devnull() -> tuple[int, int]:
    """``/dev/null`` for reading and for writing, opened once per process."""
    return os.open(os.devnull, os.O_RDONLY), os.open(os.devnull, os.O_WRONLY)
