"""Running one config to completion: build the tasks, order them, drive their state machines.

Batch semantics (``qcflow qc``): the run "starts" when :meth:`Engine.run` is called -- tasks
whose init triggers contain ``userorcontrol`` initialize then -- and "stops" when nothing more
can happen, which finalizes tasks whose stop triggers contain ``userorcontrol``. A task ends by
itself when its update triggers are exhausted (``foreach*``, ``once``) or a stop trigger fires.

Ticks: every task gets one :meth:`~._task_runner.TaskRunner.step` per tick. Ticks follow each
other at once while data-driven triggers (``foreach*``, ``once``) fire; when only clock- or
database-driven triggers are left (periodic, ``always``, ``newobject``) the engine waits
``qc.config.postprocessing.periodSeconds`` between ticks, and stops at ``max_duration`` (without
it, such tasks run until interrupted; an interrupt stops the run properly: finalize, publish).
When no trigger of any task can fire any more, the run stops.

Order: tasks run in stages (:func:`~.crossref.task_stages`): a task reading what another task of
the config produces -- directly or through checks and aggregators -- starts after that task has
finished. A ``newobject`` consumer stays in its producer's stage: it must be polling while the
objects appear.

The run's "now" (``once``/``userorcontrol`` timestamps) is taken once, or given
(``EngineOptions.now_ms``), so that a replay of the same QCDB gives the same objects.

Extensions: every entry point of group ``qcflow.engine`` is called with the engine before the
run (``attach(engine)``) and may add publication listeners (:meth:`Engine.add_listener`) and
end-of-run hooks (``engine.finish_hooks``): this is how checks and aggregators run after each
publication of a task.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from qcflow._types import TimestampMs
from qcflow.errors import InvalidInput
from qcflow.objects.activity import Activity
from qcflow.postprocessing.config.schema import QcConfig, TaskConfig
from qcflow.postprocessing.engine._inputs import nothing_published
from qcflow.postprocessing.engine._task_runner import TaskRunner, TaskState
from qcflow.postprocessing.engine.crossref import task_stages
from qcflow.postprocessing.engine.object_manager import Listener, ObjectManager, Publication
from qcflow.postprocessing.engine.services import Services
from qcflow.postprocessing.engine.task import new_task
from qcflow.postprocessing.reduction.batch import Reducer
from qcflow.postprocessing.triggers.clock import Clock, SystemClock
from qcflow.postprocessing.triggers.sources import TriggerContext, task_activity
from qcflow.postprocessing.triggers.trigger import Trigger, TriggerType

if TYPE_CHECKING:
    from qcflow.qcdb.repository import Repository

__all__ = ["EXTENSION_GROUP", "Engine", "EngineOptions", "RunSummary", "TaskSummary"]

EXTENSION_GROUP = "qcflow.engine"
log = logging.getLogger("qcflow.qc")
_PACED = (TriggerType.ALWAYS, TriggerType.PERIODIC, TriggerType.NEW_OBJECT)

EventHandler = Callable[[str, TaskRunner, Trigger], None]


@dataclass
class EngineOptions:
    """How to run: duration limit, parallelism (``--no-IPC`` = False), the run's "now"."""

    max_duration: float | None = None
    parallel: bool = True
    now_ms: TimestampMs | None = None
    tasks: Sequence[str] | None = None
    clock: Clock = field(default_factory=SystemClock)
    extensions: bool = True


@dataclass
class TaskSummary:
    id: str
    task_name: str
    state: str
    updates: int
    published: list[str] = field(default_factory=list)
    #: Why the task published nothing (empty when it published): see :mod:`._inputs`.
    note: str = ""


@dataclass
class RunSummary:
    tasks: list[TaskSummary] = field(default_factory=list)
    publications: list[Publication] = field(default_factory=list)
    #: Quality objects stored by checks and aggregators: path -> latest quality name.
    quality_objects: dict[str, str] = field(default_factory=dict)
    interrupted: bool = False
    timed_out: bool = False


class Engine:
    """Runs the active post-processing tasks of a config (see the module docstring)."""

    def __init__(
        self,
        config: QcConfig,
        options: EngineOptions | None = None,
        *,
        open_repository: Callable[[str | None], Repository] | None = None,
    ) -> None:
        self.config = config
        self.options = options or EngineOptions()
        self.clock = self.options.clock
        self.listeners: list[Listener] = []
        self.finish_hooks: list[Callable[[Engine], None]] = []
        self.event_handlers: list[EventHandler] = []
        self._open = open_repository or _open_repository
        self._repositories: dict[str, Repository] = {}
        self.reducer = Reducer(parallel=self.options.parallel)
        self.summary = RunSummary()
        self.add_listener(self.summary.publications.append)
        if self.options.extensions:
            self._load_extensions()

    # -- wiring --------------------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener`` after every publication of every task."""
        self.listeners.append(listener)

    def repository(self, url: str) -> Repository:
        """The repository at ``url`` (empty: the default store), opened once per run."""
        if url not in self._repositories:
            self._repositories[url] = self._open(url or None)
        return self._repositories[url]

    def _load_extensions(self) -> None:
        for entry in entry_points(group=EXTENSION_GROUP):
            try:
                attach = entry.load()
            except Exception as err:
                msg = f"engine extension {entry.name!r} ({entry.value}) failed to load: {err}"
                raise InvalidInput(msg) from err
            attach(self)

    def _tasks(self) -> list[TaskConfig]:
        active = self.config.active_tasks
        if self.options.tasks is None:
            return active
        known = {t.id for t in active}
        unknown = sorted(set(self.options.tasks) - known)
        if unknown:
            msg = f"{self.config.source}: no active task {unknown}; it has {sorted(known)}"
            raise InvalidInput(msg)
        return [t for t in active if t.id in self.options.tasks]

    def _runner(self, task: TaskConfig, now: TimestampMs) -> TaskRunner:
        common = task.common
        source_url = _source_url(task)
        services = Services(
            source=lambda: self.repository(source_url),
            destination=lambda: self.repository(common.database.host),
            conditions=lambda: self.repository(common.condition_db_url),
            reducer=self.reducer,
        )
        objects = ObjectManager(task, lambda: self.repository(common.database.host), self.listeners)

        def context(activity: Activity) -> TriggerContext:
            return TriggerContext(
                task_activity(activity, common.match_any_run_number),
                qcdb=lambda: self.repository(source_url),
                ccdb=lambda: self.repository(common.condition_db_url),
                clock=self.clock,
                now_ms=now,
            )

        return TaskRunner(task, new_task(task), services, objects, context, self._event)

    def _event(self, kind: str, runner: TaskRunner, trigger: Trigger) -> None:
        for handler in self.event_handlers:
            handler(kind, runner, trigger)

    # -- running -------------------------------------------------------------------------------

    def run(self) -> RunSummary:
        """Run every active task (or ``options.tasks``) to completion."""
        self._warn_unhandled_sections()
        now = self.options.now_ms if self.options.now_ms is not None else self.clock.now_ms()
        limit = self.options.max_duration
        deadline = None if limit is None else self.clock.monotonic() + limit
        try:
            for stage in task_stages(self.config, self._tasks()):
                self._run_stage([self._runner(t, now) for t in stage], now, deadline)
                if self.summary.interrupted:
                    raise KeyboardInterrupt
            for hook in self.finish_hooks:
                hook(self)
        finally:
            self.close()
        return self.summary

    def _run_stage(
        self, runners: list[TaskRunner], now: TimestampMs, deadline: float | None
    ) -> None:
        for runner in runners:
            runner.start(now)
        try:
            self._loop(runners, deadline)
        except KeyboardInterrupt:
            self.summary.interrupted = True
        for runner in runners:
            runner.stop(now)
            if runner.state is TaskState.CREATED:
                log.warning(
                    "%s: never initialized (no init trigger fired)", runner.config.task_name
                )
            summary = _summarize(runner, self.summary.publications)
            if not summary.published:
                summary.note = self._why_nothing(runner)
            self.summary.tasks.append(summary)

    def _loop(self, runners: list[TaskRunner], deadline: float | None) -> None:
        period = self.config.common.period_seconds
        while True:
            live = [r for r in runners if r.state is not TaskState.FINISHED]
            fired = [t for t in (r.step() for r in live) if t is not None]
            live = [r for r in live if r.state is not TaskState.FINISHED]
            if not live:
                return
            if any(t.type not in _PACED for t in fired):
                continue  # data-driven progress: next tick at once
            if not fired and not any(r.can_act and r.time_driven for r in live):
                return  # nothing can fire any more
            if deadline is not None and self.clock.monotonic() >= deadline:
                self.summary.timed_out = True
                log.info("maximum duration reached: stopping the run")
                return
            self.clock.sleep(period)

    def _why_nothing(self, runner: TaskRunner) -> str:
        task = runner.config
        return nothing_published(task, lambda: self.repository(_source_url(task)), runner.updates)

    def _warn_unhandled_sections(self) -> None:
        if self.options.extensions and any(True for _ in entry_points(group=EXTENSION_GROUP)):
            return
        checks = [c for c in self.config.checks.values() if c.active]
        aggregators = [a for a in self.config.aggregators.values() if a.active]
        if checks or aggregators:
            log.warning(
                "%d checks and %d aggregators are not run: no check runner is installed",
                len(checks),
                len(aggregators),
            )

    def close(self) -> None:
        self.reducer.close()
        for repository in self._repositories.values():
            repository.close()
        self._repositories.clear()


def _source_url(task: TaskConfig) -> str:
    """Where the task reads from: its ``sourceRepo``, else the config's database."""
    return task.source_repo.host if task.source_repo else task.common.database.host


def _summarize(runner: TaskRunner, publications: list[Publication]) -> TaskSummary:
    paths = sorted(
        {p.path for pub in publications if pub.task.id == runner.config.id for p in pub.objects}
    )
    return TaskSummary(
        runner.config.id, runner.config.task_name, runner.state.value, runner.updates, paths
    )


def _open_repository(url: str | None) -> Repository:
    from qcflow.qcdb.open import open_repository

    return open_repository(url)
