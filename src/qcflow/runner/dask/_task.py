"""What a Dask worker runs for one task: the task's shell in its own process group, ended with it.

The runner submits :func:`run_task` with a :class:`TaskSpec`, one future per attempt
(:mod:`~qcflow.runner.dask.executor`); a worker thread runs it:

- **The task** is ``/bin/bash -c shell_text(job)``, the text every executor runs (it changes to
  the task's ``cwd``, writes ``<name>.log`` and, on success, the completion marker), in a
  process group of its own with the lifecycle the local executor has too
  (:mod:`~qcflow.runner.process`: spawned as a session leader, SIGTERM, grace, SIGKILL, reaped
  to an exit code and a reason). Its environment is the worker's, without the thread limits
  Dask's nanny sets for the worker's own Python (``OMP_NUM_THREADS=1``, ...), updated with what
  the runner sends (:func:`~qcflow.runner.dask._workers.shipped_env`).
- **Ending it**: :func:`signal_task` ends the group (the runner sends its kills in batches to
  every worker: :func:`signal_tasks` through ``client.run``); a task timeout does the same from a
  timer thread here. The future then completes with the exit status, as a local process would.
- **What left the group** (``setsid``, a double-forked daemon): the task's environment carries
  ``QCFLOW_TASK_ID=dask:<token>``; when the task is ended and when its shell has ended, every
  process of this user still carrying it (:func:`~qcflow.runner.contain.tagged`, a ``/proc``
  scan) is ended with the group. The worker is not made a subreaper as the local runner is
  (:mod:`~qcflow.runner.contain`): it is Dask's long-lived process, running other clients'
  tasks and Dask's own children, whose orphans it could neither attribute nor reap safely; init
  adopts and reaps them instead. A process that empties its environment (``env -i``) and left
  the group is therefore not found here.
- **Nobody waits for it any more**: :class:`EndOrphans`, a worker plugin, ends the group of a task
  whose future is released while it runs (the runner exited, was killed or lost the scheduler),
  and of every task when the worker closes.
- **The worker dies** (killed, out of memory): no Python is left to end anything, so each task
  has a watcher, a ``/bin/sh`` started just before it and blocked reading a pipe whose other end
  only the worker holds; the worker writes the task's group id into it as soon as the task is
  spawned. At end of file (the worker is gone) the watcher kills that group; when the task ends
  normally the worker writes a line and the watcher leaves quietly.
- **The result** (:class:`TaskResult`): the exit code, times, the reason when it was ended, the
  CPU time (from ``wait4``) and the peak PSS and USS of the task's tree, sampled every
  ``monitor_interval`` seconds by the runner's own :class:`~qcflow.runner.monitor.Monitor`, one
  per worker process (``wait4``'s peak RSS would be free but is useless: it starts from the
  worker's own RSS, inherited through ``exec``). It is returned, and also published at once as
  an event on the runner's topic (``log_event``), which reaches the runner together with the
  news that the task ended, saving the round trip of fetching the result.

Logs and markers land in the task's ``cwd``, which must be on a file system the runner sees
too. This module runs on the workers (it needs ``distributed``, which they have); the runner
imports it only when a Dask executor is chosen.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import os
import threading
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import dask.config
from distributed import WorkerPlugin, get_worker

from qcflow.runner.contain import tagged
from qcflow.runner.logs import JsonLinesLog
from qcflow.runner.monitor import Monitor, Usage
from qcflow.runner.process import (
    SPAWN_ERRORS,
    Ended,
    ProcessGroup,
    devnull,
    spawn,
    start_failure,
    thread_later,
)

__all__ = ["EndOrphans", "TaskResult", "TaskSpec", "run_task", "signal_task", "signal_tasks"]

_SH = "/bin/sh"
#: The watcher: reads the task's group id (the task's shell writes it first thing), then a line
#: from the worker means the task ended (leave) and end of file that the worker died (kill the
#: group).
_WATCH = 'read -r g && [ -n "$g" ] && { read -r _ || kill -KILL -"$g"; }'
#: Worker task states after ``executing`` that mean the future was let go while it ran.
_RELEASED = frozenset({"released", "cancelled", "forgotten"})


@dataclass(frozen=True, slots=True)
class TaskSpec:
    """One attempt of a task, as the runner sends it."""

    #: The attempt's Dask key, unique per attempt: how :func:`signal_task` finds it.
    token: str
    #: What ``/bin/bash -c`` runs (:func:`~qcflow.runner.executor.shell_text`).
    text: str
    cwd: str
    #: Set on top of the worker's environment.
    env: dict[str, str]
    nice: int = 0
    timeout: float | None = None
    grace: float = 3.0
    #: Seconds between resource samples of the task's tree; 0: none.
    monitor_interval: float = 1.0
    #: The event topic the result is published on ("": none).
    topic: str = ""


@dataclass(frozen=True, slots=True)
class TaskResult:
    """How the attempt ended: ``rc`` is ``None`` when it never started or died by a signal."""

    rc: int | None
    start: float
    end: float
    reason: str = ""
    cpu_seconds: float | None = None
    peak_pss_mb: float | None = None
    peak_uss_mb: float | None = None


_LOCK = threading.Lock()
#: Token -> running task's group, in this worker process.
_RUNNING: dict[str, ProcessGroup] = {}
_KEYS = itertools.count()


def run_task(spec: TaskSpec) -> TaskResult:
    """Run one attempt to its end on this worker, publish its result, return it."""
    result = _run(spec)
    if spec.topic:
        _publish(spec.topic, spec.token, result)
    return result


def _run(spec: TaskSpec) -> TaskResult:
    start = time.time()
    watcher = _watch()  # first: the task is never without one
    # Spawn and register under the lock: a signal sent as soon as the task's shell shows signs
    # of life must find it, not race its registration.
    with _LOCK:
        try:
            pid = _spawn(spec, watcher[1] if watcher is not None else None)
        except SPAWN_ERRORS as err:
            _dismiss(watcher)
            return TaskResult(None, start, time.time(), start_failure(err))
        group = _register(spec, pid)
    monitor, watch_key = _monitor(spec.monitor_interval), next(_KEYS)
    if monitor is not None:
        monitor.add(watch_key, spec.token, pid)
    try:
        group.wait_exit()
        with _LOCK:
            del _RUNNING[spec.token]
        ended = group.reap()
    finally:
        _dismiss(watcher)
    usage = monitor.remove(watch_key) if monitor is not None else Usage()
    return _result(start, ended, usage)


def _register(spec: TaskSpec, pid: int) -> ProcessGroup:
    """Make the task findable by :func:`signal_task`; arm its timeout. Called holding _LOCK."""
    tag = _tag(spec.token)
    group = ProcessGroup(pid, spec.grace, thread_later, lambda running: tagged(tag))
    _RUNNING[spec.token] = group
    if spec.timeout is not None:
        group.time_out(spec.timeout)
    return group


def _result(start: float, ended: Ended, usage: Usage) -> TaskResult:
    return TaskResult(
        ended.rc,
        start,
        time.time(),
        ended.reason,
        cpu_seconds=ended.cpu_seconds,
        peak_pss_mb=usage.pss_max,
        peak_uss_mb=usage.uss_max,
    )


def signal_task(token: str, hard: bool = False, reason: str = "") -> bool:
    """End the task ``token`` if it runs in this worker process; ``False`` when it does not."""
    with _LOCK:
        group = _RUNNING.get(token)
    if group is None:
        return False
    group.end(reason, hard=hard)
    return True


def signal_tasks(requests: list[tuple[str, bool, str]]) -> list[str]:
    """:func:`signal_task` for each ``(token, hard, reason)``; the tokens running here."""
    return [token for token, hard, reason in requests if signal_task(token, hard, reason)]


class EndOrphans(WorkerPlugin):
    """Ends a task whose future is released while it runs, and every task when the worker closes.

    Registered once per cluster under :attr:`name` (``idempotent``: a second runner on the same
    cluster keeps the first one's plugin instead of tearing it down).
    """

    name = "qcflow-end-orphans"
    idempotent = True

    def transition(self, key: Any, start: str, finish: str, **kwargs: Any) -> None:
        if start == "executing" and finish in _RELEASED and isinstance(key, str):
            signal_task(key, reason="released by the Dask scheduler (the runner is gone)")

    def teardown(self, worker: Any) -> None:
        with _LOCK:
            tokens = list(_RUNNING)
        for token in tokens:
            signal_task(token, reason="the Dask worker closed")


# -- processes ------------------------------------------------------------------------------------


def _spawn(spec: TaskSpec, watcher_pipe: int | None) -> int:
    """Spawn the task's shell as a session leader (:func:`~qcflow.runner.process.spawn`).

    With a watcher, the shell's first act is to write its own pid (its group) to the watcher on
    fd 3 and close it: the watcher knows what to kill before the task does anything, whenever
    the worker dies.
    """
    text = spec.text if watcher_pipe is None else f"echo $$ >&3; exec 3>&-; {spec.text}"
    env = {**_worker_environ(), **spec.env}
    fds = () if watcher_pipe is None else (watcher_pipe,)
    return spawn(text, Path(spec.cwd), env, _tag(spec.token), nice=spec.nice, fds=fds)


def _watch() -> tuple[int, int] | None:
    """Start a watcher; return its pid and the pipe end only we hold."""
    read, write = os.pipe()  # both close-on-exec: no other child of the worker inherits them
    _, devnull_w = devnull()
    actions = [
        (os.POSIX_SPAWN_DUP2, read, 0),
        (os.POSIX_SPAWN_DUP2, devnull_w, 1),
        (os.POSIX_SPAWN_DUP2, devnull_w, 2),
    ]
    try:
        argv = [_SH, "-c", _WATCH, "qcflow-watch"]
        pid = os.posix_spawn(_SH, argv, {}, file_actions=actions, setsid=True)
    except OSError:
        os.close(write)
        return None  # the task runs without: only the worker's death would leave it behind
    finally:
        os.close(read)
    return pid, write


def _tell(watcher: tuple[int, int] | None, line: str) -> None:
    if watcher is not None:
        with contextlib.suppress(OSError):
            os.write(watcher[1], line.encode())


def _dismiss(watcher: tuple[int, int] | None) -> None:
    """Tell the watcher the task ended (or never started), and reap it."""
    if watcher is None:
        return
    _tell(watcher, "\n")
    pid, write = watcher
    os.close(write)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _tag(token: str) -> str:
    """The ``QCFLOW_TASK_ID`` of an attempt, which its processes inherit."""
    return f"dask:{token}"


def _publish(topic: str, token: str, result: TaskResult) -> None:
    """Send the result to the runner as an event (through the scheduler, in order with the
    task's own end)."""
    try:
        worker = get_worker()
    except ValueError:
        return  # not on a worker (a test): the returned result is all there is
    worker.log_event(topic, {"token": token, "result": dataclasses.asdict(result)})


@cache
def _monitor(interval: float) -> Monitor | None:
    """This worker process's sampler for that interval (its samples are not logged here)."""
    return Monitor(JsonLinesLog(None), interval) if interval > 0 else None


@cache
def _worker_environ() -> dict[str, str]:
    """The worker's environment without the variables its nanny set for the worker's Python."""
    preset = dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {}
    return {k: v for k, v in os.environ.items() if not (k in preset and str(preset[k]) == v)}
