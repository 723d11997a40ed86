"""The O2DPG workflow model: tasks, files, validation and graph queries.

- :mod:`~qcflow.workflow.task` -- :class:`WorkflowTask` and :class:`Resources`, parsed leniently
  from O2DPG JSON and written back without loss (string numbers, key order, unknown keys kept).
- :mod:`~qcflow.workflow.model` -- :class:`Workflow` (stages + meta), atomic read/write.
- :mod:`~qcflow.workflow.validate` -- :func:`validate` reports every problem at once.
- :mod:`~qcflow.workflow.graph` -- :class:`Graph`: topological order, ancestors, descendants,
  cycles, critical path; linear time, iterative.
- :mod:`~qcflow.workflow.shell` -- taskwrapper wrapping, quoting, whitespace collapsing.
- :mod:`~qcflow.workflow.o2dpg` -- a drop-in for O2DPG's ``o2dpg_workflow_utils`` functions.
"""

from __future__ import annotations

from qcflow.workflow.graph import Graph
from qcflow.workflow.model import Workflow, json_filename
from qcflow.workflow.problems import Problem
from qcflow.workflow.task import GLOBAL_INIT_NAME, Resources, WorkflowTask
from qcflow.workflow.validate import Report, load, validate

__all__ = [
    "GLOBAL_INIT_NAME",
    "Graph",
    "Problem",
    "Report",
    "Resources",
    "Workflow",
    "WorkflowTask",
    "json_filename",
    "load",
    "validate",
]
