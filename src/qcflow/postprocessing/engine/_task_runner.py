"""The state machine of one post-processing task (QC's ``PostProcessingRunner``).

States: ``CREATED`` -> ``RUNNING`` -> ``FINISHED``. :meth:`TaskRunner.step` is one polling tick
and does at most one action:

1. ``CREATED``: the first init trigger that fires runs ``initialize``; then the update and stop
   triggers are created (periodic clocks start now; ``foreach*`` list the QCDB now).
2. ``RUNNING``: the first update trigger that fires runs ``update``; a trigger that says ``last``
   is removed; an empty update list finalizes (how ``foreach*``, ``once`` and "no update
   trigger" end); otherwise the stop triggers are polled (only when no update fired) and the
   first that fires finalizes.

:meth:`start` runs ``initialize`` at once when the init triggers contain ``userorcontrol``;
:meth:`stop` finalizes a running task when its stop triggers contain ``userorcontrol``. An empty
init list without ``userorcontrol`` never initializes.

Validity: starts invalid; each trigger's validity widens it unless the trigger is ``userorcontrol``
or its validity is invalid or full (``validityFromLastTriggerOnly`` resets it first). After each
``update`` and at ``finalize`` the registered objects are published if the validity is valid;
then ``ONCE`` objects are dropped (and ``THROUGH_STOP`` ones at finalize).

Run-scoped tasks (``task.run_scoped``, *qcflow*) in a config whose run is 0: an update whose
trigger names a run is published with the trigger's activity and validity, and the finalize
publication with those of the last such update (see :mod:`.task`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any

from qcflow._types import TimestampMs
from qcflow.objects.activity import Activity
from qcflow.postprocessing.config.schema import TaskConfig
from qcflow.postprocessing.engine.object_manager import ObjectManager, PublicationPolicy
from qcflow.postprocessing.engine.services import Services
from qcflow.postprocessing.engine.task import Task
from qcflow.postprocessing.triggers.sources import TriggerContext, TriggerSource, create_trigger
from qcflow.postprocessing.triggers.trigger import Trigger, TriggerSpec, TriggerType
from qcflow.postprocessing.triggers.validity import FULL, INVALID, Validity, on_numeric_limit

__all__ = ["TaskRunner", "TaskState"]

log = logging.getLogger("qcflow.qc")


class TaskState(Enum):
    CREATED = "created"
    RUNNING = "running"
    FINISHED = "finished"


def _poll(sources: list[TriggerSource]) -> Trigger | None:
    """QC's ``tryTrigger``: the first source that fires; sources that say ``last`` are dropped."""
    for source in list(sources):
        trigger = source.poll()
        if trigger.last:
            sources.remove(source)
        if trigger:
            return trigger
    return None


class TaskRunner:
    """Drives one task; see the module docstring."""

    def __init__(
        self,
        config: TaskConfig,
        task: Task[Any],
        services: Services,
        objects: ObjectManager,
        context: Callable[[Activity], TriggerContext],
        on_event: Callable[[str, TaskRunner, Trigger], None] | None = None,
    ) -> None:
        self.config = config
        self.task = task
        self.services = services
        self.objects = objects
        self._context = context
        self._on_event = on_event or (lambda *_: None)
        self.state = TaskState.CREATED
        self.activity = config.common.activity
        self.validity = INVALID
        #: The activity and validity of the last run-scoped update (see the module docstring).
        self._run_scope: tuple[Activity, Validity] | None = None
        self.updates = 0
        self.now: TimestampMs = 0
        self.init: list[TriggerSource] = []
        self.update_sources: list[TriggerSource] = []
        self.stop_sources: list[TriggerSource] = []
        self._last_fired: TriggerSource | None = None
        services.lookahead = self.lookahead
        task.objects = objects
        task.log = logging.getLogger(f"qcflow.qc.{config.task_name}")
        task.configure(config)

    # -- triggers --------------------------------------------------------------------------------

    def _create(self, specs: Sequence[TriggerSpec]) -> list[TriggerSource]:
        context = self._context(self.activity)
        return [create_trigger(spec, context) for spec in specs]

    def lookahead(self, limit: int) -> list[Trigger]:
        """The next firings of the update trigger that fired last, when known."""
        return self._last_fired.lookahead(limit) if self._last_fired else []

    @property
    def pending(self) -> list[TriggerSource]:
        """The triggers that could still move this task on."""
        if self.state is TaskState.CREATED:
            return self.init
        if self.state is TaskState.RUNNING:
            return self.update_sources + self.stop_sources
        return []

    @property
    def can_act(self) -> bool:
        """False when no trigger can ever fire again (the task waits for the run to stop)."""
        if self.state is TaskState.RUNNING and not self.update_sources:
            return True
        return any(not s.spec.never_fires_offline for s in self.pending)

    @property
    def time_driven(self) -> bool:
        """True when a pending trigger fires as time passes (periodic, always, newobject)."""
        return any(s.spec.is_time_driven for s in self.pending)

    # -- the run ---------------------------------------------------------------------------------

    def start(self, now: TimestampMs) -> None:
        """Start of the run: create init triggers; ``userorcontrol`` initializes at once."""
        self.now = now
        self.init = self._create(self.config.init_triggers)
        if any(s.is_user_or_control for s in self.config.init_triggers):
            self._initialize(Trigger(TriggerType.USER_OR_CONTROL, False, self.activity, now))

    def step(self) -> Trigger | None:
        """One polling tick; the trigger the task acted on, or None."""
        if self.state is TaskState.CREATED:
            trigger = _poll(self.init)
            if trigger:
                self._initialize(trigger)
                return trigger
        if self.state is not TaskState.RUNNING:
            return None
        sources = list(self.update_sources)
        trigger = _poll(self.update_sources)
        if trigger:
            self._last_fired = next((s for s in sources if s.spec.text == trigger.config), None)
            self._update(trigger)
            return trigger
        if not self.update_sources:
            trigger = Trigger(TriggerType.USER_OR_CONTROL, True, self.activity, self.now)
            self._finalize(trigger)
            return trigger
        trigger = _poll(self.stop_sources)
        if trigger:
            self._finalize(trigger)
            return trigger
        return None

    def stop(self, now: TimestampMs) -> None:
        """End of the run: finalize if a stop trigger is ``userorcontrol``."""
        if self.state is TaskState.RUNNING and any(
            s.is_user_or_control for s in self.config.stop_triggers
        ):
            self._finalize(Trigger(TriggerType.USER_OR_CONTROL, False, self.activity, now))

    # -- actions ---------------------------------------------------------------------------------

    def _initialize(self, trigger: Trigger) -> None:
        log.info("%s: initialize (%s)", self.config.task_name, trigger.config or trigger.type.value)
        self.task.initialize(trigger, self.services)
        self._widen(trigger)
        self.state = TaskState.RUNNING
        self.update_sources = self._create(self.config.update_triggers)
        self.stop_sources = self._create(self.config.stop_triggers)
        self._on_event("initialize", self, trigger)

    def _update(self, trigger: Trigger) -> None:
        self.task.update(trigger, self.services)
        self.updates += 1
        self._widen(trigger)
        self._publish(trigger)
        self.objects.stop_publishing(PublicationPolicy.ONCE)
        self._on_event("update", self, trigger)

    def _finalize(self, trigger: Trigger) -> None:
        log.info("%s: finalize after %d updates", self.config.task_name, self.updates)
        self.task.finalize(trigger, self.services)
        self._widen(trigger)
        self._publish(trigger)
        self.state = TaskState.FINISHED
        self.objects.stop_publishing(PublicationPolicy.ONCE)
        self.objects.stop_publishing(PublicationPolicy.THROUGH_STOP)
        self._on_event("finalize", self, trigger)

    def _widen(self, trigger: Trigger) -> None:
        if trigger.type is TriggerType.USER_OR_CONTROL:
            # qcflow: QC resets the validity first (validityFromLastTriggerOnly), so a task
            # finalized by userorcontrol would publish nothing; the last validity is kept.
            return
        if self.config.validity_from_last_trigger_only:
            self.validity = INVALID
        given = Validity(trigger.activity.valid_from, trigger.activity.valid_until)
        if not given.is_valid or given == FULL:
            return
        for bound in (given.start, given.end):
            if not on_numeric_limit(bound):
                self.validity = self.validity.widen(bound)

    def _scope(self, trigger: Trigger) -> tuple[Activity, Validity]:
        """The activity and validity to publish under after ``trigger``."""
        if not getattr(self.task, "run_scoped", False) or self.activity.number != 0:
            return self.activity, self.validity
        given = trigger.activity
        if trigger.type is not TriggerType.USER_OR_CONTROL and given.number != 0:
            valid = Validity(given.valid_from, given.valid_until)
            if valid.is_valid and valid != FULL:
                self._run_scope = (given, valid)
        return self._run_scope or (self.activity, self.validity)

    def _publish(self, trigger: Trigger) -> None:
        activity, validity = self._scope(trigger)
        if not validity.is_valid:
            if self.objects.names:
                reason = "no trigger with a validity fired"
                log.warning("%s: objects not published: %s", self.config.task_name, reason)
            return
        self.objects.publish(trigger, activity, validity)
