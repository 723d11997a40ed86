"""The engine: the loop that ties the scheduler to an executor, event by event.

::

    actions = handle(state, [])                 # what can start now
    while True:
        perform(actions)                        # start / kill / arm a retry timer
        if is_finished(state): break
        outcomes = executor.wait(next_timer)    # blocks in select() until a task ends, a timer
                                                # is due or a signal arrives: no polling sleep
        events = [Finished(...) for each outcome] + due retries + Stop on SIGINT/SIGTERM
        actions = handle(state, events)         # ExecutorLost from wait: Stop, running -> killed

Around that core the engine does the I/O the scheduler must not: removes a task's marker before
it runs, hands the task the marker to write when it succeeds and writes it itself when the task
could not (:mod:`~qcflow.runner.markers`), journals process groups
(:mod:`~qcflow.runner.lock`), feeds the monitor, the action log and the progress display, learns
sibling resources (``--dynamic-resources``), archives logs (``--production-mode``) and keeps a
:class:`~qcflow.runner.summary.TaskRecord` per task for the summary. With ``--stimulus-log``
(``options.stimulus_log`` or ``QCFLOW_STIMULUS_LOG``) it talks to the scheduler through a
:class:`~qcflow.runner.stimuli.StimulusLog`, which records what goes in and out for a replay;
without, it calls the scheduler's functions directly.
"""

from __future__ import annotations

import heapq
import os
import signal
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from qcflow.errors import QcflowError
from qcflow.runner import notes
from qcflow.runner import scheduler as sch
from qcflow.runner.estimates import SiblingLearner, group_of
from qcflow.runner.executor import Executor, ExecutorLost, Job, Outcome
from qcflow.runner.lock import RunLock
from qcflow.runner.logs import JsonLinesLog, archive_log, iso_time
from qcflow.runner.markers import marker_text, put_marker, remove_marker
from qcflow.runner.monitor import Monitor, Usage
from qcflow.runner.options import RunOptions
from qcflow.runner.plan import Plan, PlannedTask
from qcflow.runner.progress import NullProgress, Progress, Snapshot
from qcflow.runner.resources import Demand
from qcflow.runner.stimuli import StimulusLog, log_path
from qcflow.runner.summary import TaskRecord

__all__ = ["RunEngine", "RunServices"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_REFRESH = 0.25


@dataclass
class RunServices:
    """The engine's collaborators; the defaults do nothing (a dry run, a test)."""

    executor: Executor
    progress: Progress = field(default_factory=NullProgress)
    actions: JsonLinesLog = field(default_factory=lambda: JsonLinesLog(None))
    monitor: Monitor | None = None
    lock: RunLock | None = None
    #: ``False`` for a dry run: no marker is touched, no log archived.
    real: bool = True


class RunEngine:
    """Runs a :class:`Plan` to the end; :meth:`run` returns the exit code."""

    def __init__(self, plan: Plan, options: RunOptions, services: RunServices) -> None:
        self.plan = plan
        self.options = options
        self.s = services
        self.records = [TaskRecord(t.name, log=str(t.log)) for t in plan.tasks]
        self.order: list[str] = []
        self.stamps: dict[int, str] = {}
        self._retries: list[tuple[float, int]] = []
        #: Signals received and not yet handled, in order (a list: two quick ones are two).
        self._signals_in: list[int] = []
        self._last_refresh = 0.0
        self._n_ended = 0
        #: Why the executor was lost, when it was (the run then stopped).
        self.lost = ""
        self._learner = SiblingLearner()
        self._pending: dict[int, tuple[str, str]] = {}
        #: Tasks whose tree passed --enforce-memory: (key, pid, PSS MB), from the monitor.
        self._over: list[tuple[int, int, float]] = []
        self._over_lock = threading.Lock()
        #: Running tasks being ended for memory: key -> the reason.
        self._out_of_memory: dict[int, str] = {}
        self._groups: dict[str, list[int]] = defaultdict(list)
        #: Names in each task directory when its first task started (see _may_exist).
        self._listed: dict[Path, set[str]] = {}
        #: The stimulus log when one is kept (opened by :meth:`run`); None: no hook at all.
        self._stimuli: StimulusLog | None = None
        self._handle = sch.handle
        if options.dynamic_resources:
            for i, t in enumerate(plan.tasks):
                group = group_of(t.name)
                if group:
                    self._groups[group].append(i)

    # -- the loop ----------------------------------------------------------------------------

    def run(self, stamps: dict[int, str]) -> int:
        with self._signals():
            try:
                state = self._start_state(stamps)
                self._loop(state)
            finally:  # the executor exists already: closed also when the start fails
                self.s.executor.close()
                self._flush()
                if self._stimuli is not None:
                    self._stimuli.close()
        return self._conclude(state)

    def _start_state(self, stamps: dict[int, str]) -> sch.State:
        """The scheduler's start (through the stimulus log when one is kept)."""
        plan = self.plan
        settings = sch.Settings(
            plan.limits, self.options.keep_going, self.options.retry_backoff, max_backoff=60.0
        )
        start_state = sch.start_state
        path = log_path(self.options.stimulus_log)
        if path is not None:
            self._stimuli = StimulusLog(path)
            start_state, self._handle = self._stimuli.start_state, self._stimuli.handle
        state = start_state(
            plan.graph.needs,
            [t.demand for t in plan.tasks],
            plan.keys,
            [t.max_attempts for t in plan.tasks],
            settings,
            cached=stamps,
            names=plan.graph.names,
        )
        self.stamps = {i: s for i, s in stamps.items() if state.status[i] == "cached"}
        self._n_ended = len(self.stamps)  # the progress counter counts cached tasks as finished
        for i in sorted(self.stamps):
            self.s.actions.write("cached", task=plan.tasks[i].name)
        return state

    def _loop(self, state: sch.State) -> None:
        actions = self._handle(state, [])
        while True:
            self._perform(state, actions)
            self._refresh(state)
            if sch.is_finished(state):
                return
            events: list[sch.Event] = []
            self._flush()
            try:
                outcomes = self.s.executor.wait(self._next_timer())
            except ExecutorLost as err:
                outcomes, events = self._executor_lost(state, str(err))
            if not outcomes and self._stimuli is not None:
                self._stimuli.note("wake")
            self._enforce_memory(state)
            for outcome in outcomes:
                events += self._ended(state, outcome)
            events += self._due_retries()
            if self._signals_in:
                events += self._interrupted(state)
            actions = self._handle(state, events)

    def _flush(self) -> None:
        """Put the action log's and the journal's lines in their files: before each wait, not
        at each line (a task's four lines cost one ``write`` per batch of tasks)."""
        self.s.actions.flush()
        if self.s.lock is not None:
            self.s.lock.flush()

    def _executor_lost(
        self, state: sch.State, reason: str
    ) -> tuple[list[Outcome], list[sch.Event]]:
        """Stop the run; what was running ends as killed (it may still finish out there)."""
        self.lost = reason
        self.s.progress.line(reason, "bold red")
        self.s.actions.write("lost", reason=reason)
        if self._stimuli is not None:
            self._stimuli.note("lost", reason=reason)
        now = time.time()
        ended = [Outcome(i, None, now, now, f"interrupted: {reason}") for i in sorted(state.lanes)]
        return ended, [sch.Stop(reason)]

    def _perform(self, state: sch.State, actions: list[sch.Action]) -> None:
        for action in actions:
            if isinstance(action, sch.Start):
                self._start(action, state.demands[action.task].mem)
            elif isinstance(action, sch.Kill):
                self.s.actions.write("kill", task=self.plan.tasks[action.task].name)
                self.s.executor.kill(action.task, f"killed: {state.stop_reason}")
            else:
                heapq.heappush(self._retries, (time.monotonic() + action.delay, action.task))
                name = self.plan.tasks[action.task].name
                self.s.actions.write("retry", task=name, delay=action.delay, attempt=action.attempt)
                self.s.progress.line(f"retry {name} in {action.delay:g} s", "yellow")

    def _start(self, action: sch.Start, booked_mb: float) -> None:
        planned = self.plan.tasks[action.task]
        record = self.records[action.task]
        now = time.time()
        if self.s.real:
            if action.attempt > 1 or self._may_exist(planned):
                remove_marker(planned.marker)
                notes.clear(planned.notes)
            job = self._job(planned, action, planned.marker, self._marker(action, now))
        else:
            job = self._job(planned, action)
        record.start = record.start or now
        record.lane = action.lane
        record.booked_mem_mb = booked_mb
        record.out_of_memory = False
        self.order.append(planned.name)
        self.s.executor.start(job)
        pid = self.s.executor.pids().get(action.task)
        if pid is not None and self.s.lock is not None:
            # First: until this line is in the journal, a runner killed with SIGKILL leaves
            # a group the next runner does not know of.
            self.s.lock.started(pid, planned.name, now)
        self.s.actions.write(
            "start", task=planned.name, attempt=action.attempt, lane=action.lane, pid=pid
        )
        if pid is not None and self.s.monitor is not None:
            factor = self.options.enforce_memory
            limit = None if factor is None else factor * booked_mb
            self.s.monitor.add(action.task, planned.name, pid, limit)

    def _marker(self, action: sch.Start, start: float) -> str:
        """The marker the task writes if it succeeds; its stamp is kept until then."""
        i = action.task
        planned = self.plan.tasks[i]
        consumed = {self.plan.graph.names[p]: self.stamps[p] for p in self.plan.graph.needs[i]}
        info = {"rc": 0, "attempt": action.attempt, "start": iso_time(start)}
        stamp, text = marker_text(planned.name, planned.fingerprint, consumed, info)
        self._pending[i] = (stamp, text)
        return text

    def _job(
        self, planned: PlannedTask, action: sch.Start, marker: Path | None = None, text: str = ""
    ) -> Job:
        return Job(
            key=action.task,
            name=planned.name,
            command=planned.shell_text,
            cwd=planned.cwd,
            env=self.plan.process_env(planned, **{notes.NOTES_ENV: planned.notes}),
            log=planned.log,
            nice=19 if action.lane == "backfill" else 0,
            timeout=self.options.task_timeout,
            attempt=action.attempt,
            cpu=planned.demand.cpu,
            mem=planned.demand.mem,
            marker=marker,
            marker_text=text,
        )

    def _may_exist(self, planned: PlannedTask) -> bool:
        """Whether the task's marker or notes may be there from before this run.

        Each directory is listed once, when its first task starts: a task's own files appear
        only when it runs, so a name missing then needs no ``unlink`` at its first attempt
        (two failing system calls per task saved; retries always remove).
        """
        names = self._listed.get(planned.cwd)
        if names is None:
            try:
                names = set(os.listdir(planned.cwd))  # noqa: PTH208 (names only, one call)
            except OSError:  # not created yet (the executor makes it), or unreadable: check
                names = set() if not planned.cwd.exists() else None
            if names is None:
                return True
            self._listed[planned.cwd] = names
        notes_name = os.path.basename(planned.notes)  # noqa: PTH119 (a string)
        return planned.marker.name in names or notes_name in names

    # -- a task ended ------------------------------------------------------------------------

    def _ended(self, state: sch.State, outcome: Outcome) -> list[sch.Event]:
        i = outcome.key
        planned, record = self.plan.tasks[i], self.records[i]
        usage = self.s.monitor.remove(i) if self.s.monitor else Usage()
        if not usage.samples and outcome.extra:
            usage = _measured(outcome.extra)
        if outcome.pid is not None and self.s.lock is not None:
            self.s.lock.ended(outcome.pid)
        self._record(record, state.attempts[i], outcome, usage)
        if self.s.real:
            record.notes = notes.read(planned.notes)
        self._check_booking(record, usage)
        ok, reason = outcome.ok, outcome.reason
        ended_for_memory = self._out_of_memory.pop(i, None)
        if ended_for_memory is not None and not ok:  # it may have finished before the kill
            reason = record.reason = ended_for_memory
            record.out_of_memory = True
        if ok and self.s.real:
            ok, reason = self._mark_done(i)
        else:
            self._pending.pop(i, None)
        self.s.actions.write(
            "done" if ok else "failed", task=planned.name, rc=outcome.rc, reason=reason
        )
        # A lost executor stops the run (its Stop is handled with these outcomes): no retry.
        self._tell(ok, reason, record, ok or bool(self.lost) or not sch.retries_left(state, i))
        if not ok and self.options.stdout_on_failure:
            self._print_log(planned)
        events: list[sch.Event] = [sch.Finished(i, ok, reason, outcome.rc)]
        if ok and self.options.dynamic_resources:
            events += self._learn(state, planned, usage)
        return events

    @staticmethod
    def _record(record: TaskRecord, attempts: int, outcome: Outcome, usage: Usage) -> None:
        record.attempts = attempts
        record.rc = outcome.rc
        record.end = outcome.end
        record.reason = outcome.reason
        for attr, value in (("peak_pss_mb", usage.pss_max), ("peak_uss_mb", usage.uss_max)):
            if value is not None:
                setattr(record, attr, max(getattr(record, attr) or 0.0, value))
        if usage.cpu_mean is not None:
            record.cpu_mean_percent = usage.cpu_mean

    def _check_booking(self, record: TaskRecord, usage: Usage) -> None:
        """Warn (progress, action log, summary) when an attempt's peak PSS passed its booking."""
        peak, booked = usage.pss_max, record.booked_mem_mb
        if peak is None or booked is None or peak <= booked:
            return
        text = f"peak PSS {peak:.0f} MB over its memory booking of {booked:g} MB"
        self.s.progress.line(f"warning: {record.name}: {text}", "yellow")
        self.s.actions.write("memory", task=record.name, peak_pss_mb=round(peak, 2), mem=booked)
        if text not in record.warnings:
            record.warnings.append(text)

    def on_over_memory(self, key: int, pid: int, pss_mb: float) -> None:
        """From the monitor's thread: a task passed --enforce-memory; the loop ends it."""
        with self._over_lock:
            self._over.append((key, pid, pss_mb))
        self.s.executor.wake()

    def _enforce_memory(self, state: sch.State) -> None:
        with self._over_lock:
            over, self._over = self._over, []
        if not over:
            return
        factor = self.options.enforce_memory or 0.0
        pids = self.s.executor.pids()
        for key, pid, pss in over:
            if pids.get(key) != pid or key in self._out_of_memory:
                continue  # that attempt ended meanwhile, or is already being ended
            booked = state.demands[key].mem
            reason = (
                f"out of memory: PSS {pss:.0f} MB passed {factor:g} x its booking of "
                f"{booked:g} MB (--enforce-memory)"
            )
            self._out_of_memory[key] = reason
            self.s.actions.write("kill", task=self.plan.tasks[key].name, reason=reason)
            if self._stimuli is not None:
                self._stimuli.note("kill-task", task=key, reason=reason)
            self.s.executor.kill(key, reason)

    def _mark_done(self, i: int) -> tuple[bool, str]:
        """Adopt the stamp of the marker the task wrote, or write it if the task could not."""
        planned = self.plan.tasks[i]
        stamp, text = self._pending.pop(i)
        if not planned.marker.exists():  # the command ended the shell itself (exit, exec)
            try:
                put_marker(planned.marker, text)
            except QcflowError as err:
                return False, str(err)
        self.stamps[i] = stamp
        if self.options.production_mode:
            archive = self.plan.base / "pipeline_log_archive.log.tar"
            member = os.path.normpath(Path(planned.task.cwd) / planned.log.name)
            archive_log(archive, planned.log, member)
        return True, ""

    def _tell(self, ok: bool, reason: str, record: TaskRecord, final: bool) -> None:
        """One progress line per ended attempt; only a task's last one moves the counter."""
        if not final:
            line = f"FAILED {record.name} (attempt {record.attempts}, to be retried): {reason}"
            self.s.progress.line(line, "yellow")
            return
        self._n_ended += 1
        total = len(self.records)
        duration = f"{record.duration:.2f} s" if record.duration is not None else ""
        if ok:
            self.s.progress.line(f"[{self._n_ended}/{total}] done {record.name} ({duration})")
        else:
            line = f"[{self._n_ended}/{total}] FAILED {record.name}: {reason}"
            self.s.progress.line(line, "bold red")

    def _print_log(self, planned: PlannedTask) -> None:
        try:
            text = planned.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return
        self.s.progress.line(f"---- log of failed task {planned.name} ({planned.log}) ----")
        self.s.progress.line(text.rstrip("\n"))
        self.s.progress.line(f"---- end of log of {planned.name} ----")

    def _learn(self, state: sch.State, planned: PlannedTask, usage: Usage) -> list[sch.Event]:
        cores = None if usage.cpu_mean is None else usage.cpu_mean / 100
        group = self._learner.learn(planned.name, cores, usage.pss_max)
        if group is None:
            return []
        cpu = max(self._learner.cpu.get(group, planned.demand.cpu), 0.01)
        mem = max(self._learner.mem.get(group, planned.demand.mem), 1.0)
        events: list[sch.Event] = []
        for j in self._groups.get(group, []):
            if state.status[j] in {"pending", "ready", "retry-wait"}:
                demand = Demand(cpu, mem, self.plan.tasks[j].demand.semaphore)
                events.append(sch.Reestimated(j, self.plan.limits.clamp(demand)))
        return events

    # -- timers, signals, progress -----------------------------------------------------------

    def _next_timer(self) -> float | None:
        if not self._retries:
            return None
        return max(0.0, self._retries[0][0] - time.monotonic())

    def _due_retries(self) -> list[sch.Event]:
        now = time.monotonic()
        due: list[sch.Event] = []
        while self._retries and self._retries[0][0] <= now:
            due.append(sch.RetryDue(heapq.heappop(self._retries)[1]))
        return due

    @contextmanager
    def _signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self._on_signal) for sig in _SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _interrupted(self, state: sch.State) -> list[sch.Event]:
        """The first signal stops the run gracefully; another one kills at once, also when
        both arrived before the first was handled."""
        events: list[sch.Event] = []
        reason = state.stop_reason
        while self._signals_in:  # pop one by one: the handler may append meanwhile
            sig = signal.Signals(self._signals_in.pop(0))
            if self._stimuli is not None:
                self._stimuli.note("signal", signal=sig.name)
            if not state.stopping and not events:
                reason = f"interrupted by {sig.name}"
                events.append(sch.Stop(reason))
                continue
            self.s.progress.line(f"{sig.name} again: killing every task now", "red")
            for i in sorted(state.lanes):
                if self._stimuli is not None:
                    self._stimuli.note("kill-task", task=i, reason=f"{sig.name} again")
                self.s.executor.kill(i, f"killed: {reason}")
        return events

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._signals_in.append(signum)
        self.s.executor.wake()

    def _refresh(self, state: sch.State, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_refresh < _REFRESH:
            return
        self._last_refresh = now
        b, lim = state.booking, state.settings.limits
        self.s.progress.update(
            Snapshot(
                counts={str(k): n for k, n in sch.counts(state).items()},
                total=len(state.status),
                cpu=round(b.cpu + b.backfill_cpu, 2),
                cpu_limit=lim.cpu,
                mem=b.mem + b.backfill_mem,
                mem_limit=lim.mem,
            )
        )

    def _conclude(self, state: sch.State) -> int:
        self._refresh(state, force=True)
        for i, record in enumerate(self.records):
            record.status = state.status[i]
            if record.status == "cached":
                record.reason = "already done"
            elif record.status == "failed" and record.out_of_memory:
                record.status = "out-of-memory"
            elif i in state.why:
                record.reason = state.why[i]
        ok = all(r.status in {"done", "cached"} for r in self.records) and not state.stopping
        # Tasks left out for a missing need were accepted up front (--allow-dangling).
        for name, why in self.plan.excluded.items():
            self.records.append(TaskRecord(name, status="excluded", reason=why))
        return 0 if ok else 1


def _measured(extra: dict[str, float]) -> Usage:
    """The usage an executor measured itself (its tasks are out of the monitor's sight)."""
    cpu = extra.get("cpu_mean_percent")
    return Usage(
        samples=0 if cpu is None else 1,
        cpu_sum=cpu or 0.0,
        pss_max=extra.get("peak_pss_mb"),
        uss_max=extra.get("peak_uss_mb"),
    )
