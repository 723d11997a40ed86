"""The post-processing task interface: what a class named by ``className`` implements.

A task is a subclass of :class:`Task`, generic over its options: a ``Task[X]`` reads its own
config keys into an ``X`` (``parse_options``) and finds them, typed, as ``self.options`` (and
``self.config.options``, ``self.config`` being a ``TaskConfig[X]``). A task without keys of its
own subclasses ``Task`` (its options are None). The task runner (:mod:`._task_runner`) calls
four methods as its triggers fire::

    configure(config)                   once, after construction; sets config and options
    initialize(trigger, services)       when an init trigger fires (or at start: userorcontrol)
    update(trigger, services)           each time an update trigger fires
    finalize(trigger, services)         when the updates are exhausted or a stop trigger fires

Objects are published through ``self.objects`` (an :class:`~.object_manager.ObjectManager`),
never written to a repository directly: ``self.objects.start_publishing(obj, name)``. After every
``update`` and at ``finalize`` the runner publishes what is registered, if the task's validity
is valid. ``services`` (:class:`~.services.Services`) reads the QCDB.

Class-level hooks let a task take part in validation without being instantiated:

- ``parse_options(node, config)`` reads the class's own config keys from ``node`` (a
  :class:`~..config.values.Node`; keys it reads count as known, others are warned about) and
  returns the task's options (an ``X``; the ``config`` it gets has none yet); report problems
  with ``node.error``/``node.warn``.
- ``reads(config)`` lists the QCDB paths (without provenance) the task reads, as
  ``(json_path, object_path)`` pairs, for cross-reference checks and ordering the tasks of one
  config; the default lists the paths of its ``qcdb`` triggers.

A class attribute ``run_scoped = True`` says the task's objects describe one run at a time
(QC's run-specific tasks: MCH, ZDC). O2DPG runs such a task once per run; when qcflow runs it
with run 0 (any run) over a period, each update is published under the activity and validity of
the trigger that fired it (its run), and the final publication under those of the last update,
so one run over a period stores what one run-specific run per run would.

A minimal task::

    @register("task", "mylab::RunCounter")
    class RunCounter(Task):
        def initialize(self, trigger, services):
            self.runs = []
        def update(self, trigger, services):
            self.runs.append(trigger.activity.number)

and one with options of its own (``self.options.threshold`` is a ``float`` to mypy)::

    @dataclass(frozen=True)
    class Thresholds:
        threshold: float

    class Thresholded(Task[Thresholds]):
        @classmethod
        def parse_options(cls, node: Node, config: TaskConfig[None]) -> Thresholds:
            return Thresholds(node.number("threshold", 0.5))
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar, Generic, cast

from qcflow.errors import InvalidInput
from qcflow.postprocessing.config.schema import OptionsT, TaskConfig
from qcflow.postprocessing.triggers.trigger import Trigger

if TYPE_CHECKING:
    from qcflow.postprocessing.config.values import Node
    from qcflow.postprocessing.engine.object_manager import ObjectManager
    from qcflow.postprocessing.engine.services import Services

__all__ = ["Task", "new_task", "task_reads"]


class Task(Generic[OptionsT]):
    """Base class of post-processing tasks, generic over their options; override what you need."""

    kind: ClassVar[str] = "task"
    #: Objects describe one run: with a run-0 config, publish each update under its run.
    run_scoped: ClassVar[bool] = False

    config: TaskConfig[OptionsT]
    options: OptionsT
    objects: ObjectManager
    log: logging.Logger

    @classmethod
    def parse_options(cls, node: Node, config: TaskConfig[None]) -> OptionsT:
        """Read the class's own keys: none by default, and the options are None."""
        return cast("OptionsT", None)

    @classmethod
    def reads(cls, config: TaskConfig[OptionsT]) -> list[tuple[str, str]]:
        """``(json_path, object_path)`` of what the task reads: its ``qcdb`` trigger paths."""
        return task_reads(config)

    def configure(self, config: TaskConfig[OptionsT]) -> None:
        self.config = config
        self.options = config.options

    def initialize(self, trigger: Trigger, services: Services) -> None:
        """Prepare for updates (called once)."""

    def update(self, trigger: Trigger, services: Services) -> None:
        """Do the work for one firing of an update trigger."""

    def finalize(self, trigger: Trigger, services: Services) -> None:
        """Last call: produce the final objects."""


def new_task(config: TaskConfig[OptionsT]) -> Task[OptionsT]:
    """A new instance of the task's class; a class of kind ``task`` that is no :class:`Task` is
    bad input (its methods would be missing halfway through a run)."""
    cls: object = config.task_class
    if not (isinstance(cls, type) and issubclass(cls, Task)):
        msg = f"{config.path}.className: {config.class_name!r} is not a qcflow.postprocessing.Task"
        raise InvalidInput(msg)
    return cls()


def task_reads(config: TaskConfig[Any]) -> list[tuple[str, str]]:
    """The ``qcdb`` trigger paths of a task, with the JSON path of each trigger."""
    out = []
    for key, specs in (
        ("initTrigger", config.init_triggers),
        ("updateTrigger", config.update_triggers),
        ("stopTrigger", config.stop_triggers),
    ):
        for index, spec in enumerate(specs):
            if spec.database == "qcdb":
                out.append((f"{config.path}.{key}[{index}]", spec.path))
    return out
