"""The post-processing task interface: what a class named by ``className`` implements.

A task is a class with ``kind = "task"`` and four methods, called by the task runner
(:mod:`._task_runner`) as its triggers fire::

    configure(config)                   once, after construction; config is a TaskConfig
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
  returns a value the task finds as ``config.options``; report problems with
  ``node.error``/``node.warn``.
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
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

from qcflow.postprocessing.triggers.trigger import Trigger

if TYPE_CHECKING:
    from qcflow.postprocessing.config.schema import TaskConfig
    from qcflow.postprocessing.config.values import Node
    from qcflow.postprocessing.engine.object_manager import ObjectManager
    from qcflow.postprocessing.engine.services import Services

__all__ = ["Task", "task_reads"]


class Task:
    """Base class of post-processing tasks; override what you need."""

    kind: ClassVar[str] = "task"
    #: Objects describe one run: with a run-0 config, publish each update under its run.
    run_scoped: ClassVar[bool] = False

    config: TaskConfig
    objects: ObjectManager
    log: logging.Logger

    @classmethod
    def parse_options(cls, node: Node, config: TaskConfig) -> Any:
        """Read the class's own keys (none by default)."""
        return None

    @classmethod
    def reads(cls, config: TaskConfig) -> list[tuple[str, str]]:
        """``(json_path, object_path)`` of what the task reads: its ``qcdb`` trigger paths."""
        return task_reads(config)

    def configure(self, config: TaskConfig) -> None:
        self.config = config

    def initialize(self, trigger: Trigger, services: Services) -> None:
        """Prepare for updates (called once)."""

    def update(self, trigger: Trigger, services: Services) -> None:
        """Do the work for one firing of an update trigger."""

    def finalize(self, trigger: Trigger, services: Services) -> None:
        """Last call: produce the final objects."""


def task_reads(config: TaskConfig) -> list[tuple[str, str]]:
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
