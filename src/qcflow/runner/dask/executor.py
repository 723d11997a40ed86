"""The Dask executor: every job one future on a Dask cluster; a thin adapter to the engine.

The runner's scheduler (:mod:`~qcflow.runner.scheduler`) still decides *what* starts and *when*:
needs, policy order, semaphores, retries, ``-jmax``, and cpu/mem booked against the limits,
which default to the total the workers declare. Dask decides *where*: each job is submitted with
``resources={"CPU": cpu, "MEM": mem}`` and runs on a worker with that much room; a job that fits
the total but no worker's free share at that moment waits in Dask until one has room. So Dask
never holds more than the cluster could run, and qcflow's order and semaphores hold.

- ``start``: ``client.submit(run_task, spec, key=<unique per attempt>, pure=False, retries=0,
  resources=...)`` (:mod:`~qcflow.runner.dask._task` runs on the worker); a done-callback, in
  Dask's callback thread, queues the key and wakes ``wait``.
- Results come as events: the worker publishes each result on this executor's topic as the
  task ends; the handler, in the client's event loop, queues it and wakes ``wait``. (A finished
  future whose event did not come is fetched with ``gather``.)
- ``wait``: sleeps in ``select`` on a wake-up pipe, then turns results into outcomes; a worker
  that died while running a job (``KilledWorker``) or any other error of a future is a failed
  outcome with the reason, which the scheduler retries like any failure (a job counts as ended
  once, by whichever of its result and its future came first). Futures cancelled because the
  client lost the scheduler raise :class:`~qcflow.runner.executor.ExecutorLost`.
  Every ``check_every`` seconds it also checks
  that some worker can still hold each job, and fails the jobs none could for
  ``no_worker_timeout`` seconds (their workers left and did not come back).
- ``kill``: queued, and sent with the next ``wait`` in one ``client.run`` of
  :func:`~qcflow.runner.dask._task.signal_tasks` on every worker: SIGTERM, SIGKILL after the grace
  period, SIGKILL at once the second time; the outcome follows when the task ended. A job that
  no worker runs yet is cancelled and reported at once.
- ``pids`` is empty (the processes are remote): the worker measures CPU time and peak PSS/USS
  itself and they come back in :attr:`Outcome.extra <qcflow.runner.executor.Outcome.extra>`.

What a job's environment sends to the worker: :func:`~qcflow.runner.dask._workers.shipped_env`.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import time
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from distributed import Client, Future, KilledWorker
from distributed.client import FutureCancelledError

from qcflow.runner.dask._task import TaskResult, TaskSpec, run_task, signal_tasks
from qcflow.runner.dask._workers import shipped_env, worker_shares
from qcflow.runner.executor import ExecutorLost, Job, Outcome, shell_text
from qcflow.runner.wakeup import WakePipe

__all__ = ["DaskExecutor"]

_LOST_REASON = "scheduler-connection-lost"


@dataclass
class _Submitted:
    job: Job
    token: str
    future: Future[TaskResult]
    submitted: float
    #: Since when (monotonic) no worker could hold it.
    homeless_since: float | None = None


class DaskExecutor:
    """Runs jobs as futures on the cluster of ``client``; see the module docstring."""

    def __init__(
        self,
        client: Client,
        *,
        address: str = "",
        grace: float = 3.0,
        monitor_interval: float = 1.0,
        no_worker_timeout: float = 60.0,
        check_every: float = 5.0,
        environ: Mapping[str, str] | None = None,
        events: bool = True,
    ) -> None:
        """``events=False`` fetches every result with ``gather`` instead (one more round trip)."""
        self.client = client
        self.grace = grace
        self.monitor_interval = monitor_interval
        self.no_worker_timeout = no_worker_timeout
        self.check_every = check_every
        #: The scheduler's address, for messages.
        self.address = address
        self._environ = dict(os.environ if environ is None else environ)
        self._jobs: dict[int, _Submitted] = {}
        self._keys: dict[str, int] = {}
        self._done: deque[str] = deque()
        self._results: deque[dict[str, Any]] = deque()
        self._topic = f"qcflow-results-{uuid.uuid4().hex}" if events else ""
        self._ended: list[Outcome] = []
        self._kill_reasons: dict[int, str] = {}
        #: Kills not sent yet: job key -> without grace.
        self._kills: dict[int, bool] = {}
        self._lost = ""
        self._next_check = 0.0
        # Dask's threads may call wake() after close(): the pipe then writes nothing.
        self._wake = WakePipe()
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._wake.fd, selectors.EVENT_READ)
        if self._topic:
            client.subscribe_topic(self._topic, self._on_result)

    # -- the Executor protocol ---------------------------------------------------------------

    def start(self, job: Job) -> None:
        if self._lost:
            return  # wait() raises; the engine counts the job as killed
        now = time.time()
        token = f"qcflow-{job.name}-{job.attempt}-{uuid.uuid4().hex[:12]}"
        spec = TaskSpec(
            token,
            shell_text(job),
            str(job.cwd),
            shipped_env(job.env, self._environ),
            job.nice,
            job.timeout,
            self.grace,
            self.monitor_interval,
            self._topic,
        )
        try:
            future = self.client.submit(
                run_task, spec, key=token, pure=False, retries=0, resources=_resources(job)
            )
        except Exception as err:  # whatever Dask raises, the job failed to start
            self._ended.append(Outcome(job.key, None, now, time.time(), f"cannot submit: {err}"))
            return
        self._jobs[job.key] = _Submitted(job, token, future, now)
        self._keys[token] = job.key
        future.add_done_callback(self._on_done)

    def kill(self, key: int, reason: str = "killed") -> None:
        if key not in self._jobs or self._lost:
            return
        self._kills[key] = key in self._kill_reasons or self._kills.get(key, False)
        self._kill_reasons.setdefault(key, reason)

    def _send_kills(self) -> None:
        """Signal the queued kills on every worker; cancel the jobs no worker runs."""
        kills, self._kills = self._kills, {}
        queued = [(self._jobs[k], hard) for k, hard in kills.items() if k in self._jobs]
        if not queued:
            return
        requests = [(s.token, hard, self._kill_reasons[s.job.key]) for s, hard in queued]
        try:
            answers = self.client.run(signal_tasks, requests, on_error="return")
        except Exception:  # no worker answered: no job runs anywhere
            answers = {}
        running = {t for found in answers.values() if isinstance(found, list) for t in found}
        for submitted, _ in queued:
            if submitted.token not in running and not submitted.future.done():
                # Still waiting for room: it never starts.
                self._drop(submitted, self._kill_reasons.pop(submitted.job.key))

    def _drop(self, submitted: _Submitted, reason: str) -> None:
        """Cancel a job no worker runs, so it never starts, and report it failed now."""
        submitted.future.cancel()
        self._forget(submitted)
        now = time.time()
        self._ended.append(Outcome(submitted.job.key, None, submitted.submitted, now, reason))

    def wait(self, timeout: float | None) -> list[Outcome]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            self._send_kills()
            self._collect()
            self._check_homeless()
            if self._ended:
                ended, self._ended = self._ended, []
                return ended
            if self._lost:
                raise ExecutorLost(self._lost)
            woke = self._sleep(self._pause(deadline))
            if self._done or self._results:
                continue
            if woke or (deadline is not None and time.monotonic() >= deadline):
                return []

    def wake(self) -> None:
        self._wake.wake()

    def pids(self) -> dict[int, int]:
        return {}

    def close(self) -> None:
        """End every job still running (grace, then no grace), forget the rest."""
        if not self._lost:
            for key in list(self._jobs):
                self.kill(key, "runner stopped")
            end = time.monotonic() + self.grace + 1.0
            with contextlib.suppress(ExecutorLost):
                while self._jobs and time.monotonic() < end:
                    self.wait(max(0.0, end - time.monotonic()))
            for key in list(self._jobs):
                self.kill(key, "runner stopped")
            self._send_kills()
        for submitted in list(self._jobs.values()):
            submitted.future.cancel()
            self._forget(submitted)
        if self._topic:
            with contextlib.suppress(Exception):  # a lost scheduler: nothing to unsubscribe
                self.client.unsubscribe_topic(self._topic)
        self._wake.close()
        self._selector.close()

    # -- ended futures -----------------------------------------------------------------------

    def _on_done(self, future: Future[TaskResult]) -> None:
        """Dask's callback thread: queue the key, wake ``wait``."""
        self._done.append(str(future.key))
        self.wake()

    def _on_result(self, event: tuple[float, dict[str, Any]]) -> None:
        """The client's event loop: queue a published result, wake ``wait``."""
        self._results.append(event[1])
        self.wake()

    def _collect(self) -> None:
        """Turn results and ended futures into outcomes (or note that the scheduler is gone)."""
        now = time.time()
        while self._results:
            event = self._results.popleft()
            key = self._keys.get(str(event.get("token")))
            if key is not None:
                submitted = self._jobs[key]
                result = TaskResult(**event["result"])
                self._ended.append(self._outcome(submitted, result, now))
                self._forget(submitted)
        ended: list[_Submitted] = []
        while self._done:
            key = self._keys.get(self._done.popleft())
            if key is not None:
                ended.append(self._jobs[key])
        finished = [s for s in ended if s.future.status == "finished"]
        if finished:
            self._gather(finished)
        for submitted in ended:
            if submitted.future.status != "finished":
                self._failed(submitted)
            self._forget(submitted)

    def _gather(self, finished: list[_Submitted]) -> None:
        try:
            results = self.client.gather([s.future for s in finished])
        except Exception as err:  # the futures finished: only the connection can fail here
            self._lose(f"cannot fetch results from the Dask scheduler: {err}")
            return
        now = time.time()
        for submitted, result in zip(finished, results, strict=True):
            self._ended.append(self._outcome(submitted, result, now))

    def _outcome(self, submitted: _Submitted, result: TaskResult, now: float) -> Outcome:
        key = submitted.job.key
        measured = {"peak_pss_mb": result.peak_pss_mb, "peak_uss_mb": result.peak_uss_mb}
        extra = {name: value for name, value in measured.items() if value is not None}
        extra["cpu_mean_percent"] = _cpu_percent(result)
        reason = self._kill_reasons.pop(key, "") or result.reason
        return Outcome(key, result.rc, submitted.submitted, now, reason, extra=extra)

    def _failed(self, submitted: _Submitted) -> None:
        """A future that erred or was cancelled: a failed outcome, or the scheduler is gone."""
        key = submitted.job.key
        try:
            submitted.future.result()
        except FutureCancelledError as err:
            if err.reason == _LOST_REASON:
                where = f" at {self.address}" if self.address else ""
                self._lose(f"lost the Dask scheduler{where}")
                return
            reason = f"cancelled by Dask ({err.reason})"
        except KilledWorker as err:
            reason = f"its Dask worker died ({_last_worker(err)})"
        except Exception as err:  # raised on the worker: it says what went wrong
            reason = f"{type(err).__name__} on the Dask worker: {err}"
        else:
            reason = "ended without a result"
        reason = self._kill_reasons.pop(key, "") or reason
        self._ended.append(Outcome(key, None, submitted.submitted, time.time(), reason))

    def _lose(self, reason: str) -> None:
        self._lost = self._lost or reason

    def _forget(self, submitted: _Submitted) -> None:
        self._jobs.pop(submitted.job.key, None)
        self._keys.pop(submitted.token, None)

    # -- jobs no worker can hold -------------------------------------------------------------

    def _check_homeless(self) -> None:
        now = time.monotonic()
        if not self._jobs or now < self._next_check or self._lost:
            return
        self._next_check = now + self.check_every
        try:
            shares = worker_shares(self.client.scheduler_info(n_workers=-1))
        except Exception:  # the connection: the futures will say so
            return
        for submitted in list(self._jobs.values()):
            job = submitted.job
            if any(share.holds(job.cpu, job.mem) for share in shares):
                submitted.homeless_since = None
                continue
            submitted.homeless_since = submitted.homeless_since or now
            waited = now - submitted.homeless_since
            if waited >= self.no_worker_timeout:
                what = f"{job.cpu:g} cores and {job.mem:g} MB"
                self._drop(submitted, f"no Dask worker could hold {what} for {waited:.0f} s")

    # -- waiting -----------------------------------------------------------------------------

    def _pause(self, deadline: float | None) -> float | None:
        times = [t for t in (deadline, self._next_check if self._jobs else None) if t is not None]
        return max(0.0, min(times) - time.monotonic()) if times else None

    def _sleep(self, pause: float | None) -> bool:
        """Sleep until woken or ``pause`` seconds passed; ``True`` when woken."""
        if not self._selector.select(pause):
            return False
        self._wake.drain()
        return True


def _resources(job: Job) -> dict[str, float] | None:
    """Dask resource restrictions; a zero booking restricts nothing."""
    wanted = {name: value for name, value in (("CPU", job.cpu), ("MEM", job.mem)) if value > 0}
    return wanted or None


def _cpu_percent(result: TaskResult) -> float:
    wall = max(result.end - result.start, 1e-6)
    return 100.0 * (result.cpu_seconds or 0.0) / wall


def _last_worker(err: KilledWorker) -> str:
    worker = getattr(err, "last_worker", None)
    return str(getattr(worker, "address", worker) or "address unknown")
