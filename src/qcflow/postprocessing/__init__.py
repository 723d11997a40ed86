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

The public names below are the plugin API: what a task, a reductor, a check, a detector module
or an engine extension may use. ``qcflow.modules`` and ``qcflow.checks`` import nothing else of
the post-processing (``tests/test_architecture.py``); docs/plugins.md lists them.

- writing a task: :class:`Task` (generic over its options: ``Task[X]``), :class:`TaskConfig`,
  :func:`task_reads`, :class:`Trigger`, :class:`Services` and the :class:`Retrieved` objects it
  returns, :class:`PublicationPolicy`, :class:`Payload`;
- reading config keys: :class:`Node` (``parse_options``), :func:`parse_float`,
  :func:`parse_int` (O2's conversions), :class:`CustomParameters` (``taskParameters``,
  ``checkParameters``), :func:`reference_activity` (QC's reference run);
- reductors: :class:`Reductor`, :class:`TH1Reductor`; :func:`find_bin` (ROOT's ``FindBin``);
- plots: :class:`PlotSpec`, :class:`GraphSpec`, :class:`GraphStyle`, :class:`LegendSpec`,
  :func:`plot_image` -> :class:`PlotImage` (its points: :class:`GraphData`),
  :func:`graphs_image` (graphs published as a ROOT object without a PNG companion),
  :class:`ComparisonPlot`, :class:`TrendTable`; overlays a check draws: :class:`HLine`,
  :class:`Polyline`, :class:`Label` (an :data:`Overlay`), :data:`QUALITY_COLORS`,
  :func:`overlays_json`;
- checks and extensions: :class:`CheckConfig`, :class:`AggregatorConfig`, :class:`QcConfig`,
  :class:`Engine` (what an extension gets; :class:`EngineOptions` to run one in a test),
  :class:`Publication`, :class:`Published`;
- registering: :func:`register`, :data:`REGISTRY`; :class:`Diagnostics`, :class:`TriggerType`.
"""

from __future__ import annotations

from qcflow.objects.codec import Payload
from qcflow.postprocessing.config.check_config import AggregatorConfig, CheckConfig
from qcflow.postprocessing.config.classes import REGISTRY, register
from qcflow.postprocessing.config.parameters import CustomParameters
from qcflow.postprocessing.config.reference import reference_activity
from qcflow.postprocessing.config.schema import QcConfig, TaskConfig
from qcflow.postprocessing.config.values import Diagnostics, Node, parse_float, parse_int
from qcflow.postprocessing.engine.engine import Engine, EngineOptions
from qcflow.postprocessing.engine.object_manager import (
    Publication,
    PublicationPolicy,
    Published,
)
from qcflow.postprocessing.engine.services import Retrieved, Services
from qcflow.postprocessing.engine.task import Task, task_reads
from qcflow.postprocessing.plotting.comparison import ComparisonPlot
from qcflow.postprocessing.plotting.draw import plot_image
from qcflow.postprocessing.plotting.graphs import graphs_image
from qcflow.postprocessing.plotting.images import GraphData, PlotImage
from qcflow.postprocessing.plotting.overlays import (
    QUALITY_COLORS,
    HLine,
    Label,
    Overlay,
    Polyline,
    overlays_json,
)
from qcflow.postprocessing.plotting.spec import GraphSpec, GraphStyle, LegendSpec, PlotSpec
from qcflow.postprocessing.reduction.reductors import Reductor, TH1Reductor
from qcflow.postprocessing.slices.slicing import find_bin
from qcflow.postprocessing.trending.table import TrendTable
from qcflow.postprocessing.triggers.trigger import Trigger, TriggerType

__all__ = [
    "QUALITY_COLORS",
    "REGISTRY",
    "AggregatorConfig",
    "CheckConfig",
    "ComparisonPlot",
    "CustomParameters",
    "Diagnostics",
    "Engine",
    "EngineOptions",
    "GraphData",
    "GraphSpec",
    "GraphStyle",
    "HLine",
    "Label",
    "LegendSpec",
    "Node",
    "Overlay",
    "Payload",
    "PlotImage",
    "PlotSpec",
    "Polyline",
    "Publication",
    "PublicationPolicy",
    "Published",
    "QcConfig",
    "Reductor",
    "Retrieved",
    "Services",
    "TH1Reductor",
    "Task",
    "TaskConfig",
    "TrendTable",
    "Trigger",
    "TriggerType",
    "find_bin",
    "graphs_image",
    "overlays_json",
    "parse_float",
    "parse_int",
    "plot_image",
    "reference_activity",
    "register",
    "task_reads",
]
