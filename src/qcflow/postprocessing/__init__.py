"""The ``o2-qc`` compatible post-processing engine: configs, triggers, tasks, trends and plots.

Map (a config flows top to bottom)::

    config -> overrides -> schema (+ values, parameters, classes) -> crossref
                                  |
    api.load / api.run ------> engine -> task_runner -> task (TrendingTask, plugins)
                                  |          |   \\-> object_manager -> QCDB, listeners
                                  |          \\-> trigger_sources (triggers, clock, validity)
                                  \\-> services -> reduction (reductors, decoding)

Reading a config
- :mod:`.config` -- ``json://`` URIs and paths, ``${VAR}``, comment keys, line:column errors.
- :mod:`.overrides` -- ``--override-values`` exactly as o2-qc parses and applies it.
- :mod:`.values` -- O2's string conversions; :class:`Node` reads JSON and remembers which keys
  were read; :class:`Diagnostics` collects every error and warning with its JSON path.
- :mod:`.schema` -- typed config (:class:`QcConfig`, :class:`TaskConfig`); each task class
  reads its own keys (``parse_options``); :mod:`.check_config` -- the common keys of checks and
  aggregators.
- :mod:`.parameters` -- ``taskParameters``/``extended…Parameters`` with run/beam type fallbacks.
- :mod:`.crossref` -- cross-references (checks -> tasks, aggregators -> checks, QO inputs) and
  the order tasks of one config run in.
- :mod:`.classes` -- the class registry: O2 class names -> Python classes, entry points
  (group ``qcflow.classes``), ``python:pkg.mod:Class``.

Running
- :mod:`.api` -- :func:`load` and :func:`run`, the library entry points.
- :mod:`.engine` -- batch semantics, stages, ticks, ``--max-duration``, extensions
  (entry point group ``qcflow.engine``) and publication listeners.
- :mod:`.task_runner` -- one task's state machine (QC's PostProcessingRunner), validity.
- :mod:`.task` -- the task interface (:class:`Task`).
- :mod:`.triggers` -- trigger strings and :class:`Trigger`; :mod:`.trigger_sources` -- what
  each trigger does when polled; :mod:`.clock`; :mod:`.validity`.
- :mod:`.object_manager` -- publishing: paths, metadata, policies, listeners.
- :mod:`.services` -- what a task uses to read the QCDB; :mod:`.reduction` -- batch fetch,
  decode and reduce in worker processes; :mod:`.decoding` -- bytes -> objects.

Trending
- :mod:`.reductors` -- the Reductor interface and TH1/TH2/Quality reductors (ROOT statistics).
- :mod:`.slicing` -- histogram slices (QC's SliceInfo); :mod:`.slice_reductors` -- TH1/TH2
  slice reductors.
- :mod:`.prefetch` -- the inputs of upcoming updates reduced in one batch.
- :mod:`.trend_table` -- the trend table and its TTree form.
- :mod:`.expressions` -- safe ``varexp``/``selection`` evaluation over numpy columns.
- :mod:`.plot_spec` -- what a plot is made of; :mod:`.plotting` -- drawing it with matplotlib;
  :mod:`.images` -- plots as publishable images (PNG, graphs, redraw); :mod:`.overlays` -- what
  checks draw on them; :mod:`.root_style` -- ROOT colours, markers, TLatex.
- :mod:`.tasks` -- QC's task classes (TrendingTask, SliceTrendingTask, QualityTask, the common
  module's tasks).

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
