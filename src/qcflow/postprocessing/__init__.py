"""The ``o2-qc`` compatible post-processing engine: configs, triggers, tasks, trends and plots.

One folder per concept; a config flows top to bottom::

    config/     reading a config: json:// URIs, --override-values, O2's values, the typed
                QcConfig/TaskConfig, parameters, the class registry
    triggers/   trigger strings, what each trigger does when polled, the clock, validity
    reduction/  QCDB objects -> a few numbers: reductors, batch fetch/decode/reduce in workers
    engine/     api.load/run -> Engine -> one task runner per task -> Task.update(trigger,
                services) -> ObjectManager.publish -> QCDB and listeners (checks)
    plotting/   plot specs, drawing with matplotlib, PlotImage, overlays, ROOT style
    trending/   TrendingTask, its config, the trend table
    slices/     SliceTrendingTask and everything about histogram slices
    tasks/      QC's other task classes (QualityTask, ReferenceComparatorTask, BigScreen, ...)

Each folder's ``__init__`` draws its own map. Layering (guarded by ``tests/test_architecture.py``):
``triggers <- config <- reduction <- engine <- trending <- slices <- tasks``, a lower folder
never imports a higher one; ``plotting`` imports none of them (it depends on
:mod:`qcflow.objects` only, the home of every payload codec); nothing here imports
:mod:`qcflow.checks` (checks hook in as publication listeners). ``_``-prefixed modules are
private to their folder.

The public names below are what plugins need: subclass :class:`Task` or :class:`Reductor`,
decorate with :func:`register`.
"""

from __future__ import annotations

from qcflow.objects.codec import Payload
from qcflow.postprocessing.config.classes import REGISTRY, register
from qcflow.postprocessing.config.parameters import CustomParameters
from qcflow.postprocessing.config.schema import QcConfig, TaskConfig
from qcflow.postprocessing.config.values import Diagnostics, Node
from qcflow.postprocessing.engine.object_manager import Publication, PublicationPolicy
from qcflow.postprocessing.engine.task import Task
from qcflow.postprocessing.reduction.reductors import Reductor
from qcflow.postprocessing.triggers.trigger import Trigger, TriggerType

__all__ = [
    "REGISTRY",
    "CustomParameters",
    "Diagnostics",
    "Node",
    "Payload",
    "Publication",
    "PublicationPolicy",
    "QcConfig",
    "Reductor",
    "Task",
    "TaskConfig",
    "Trigger",
    "TriggerType",
    "register",
]
