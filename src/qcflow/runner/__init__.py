"""The runner: resource-aware, resumable, event-driven execution of O2DPG workflows.

It only runs commands; it never imports the QC packages. Map (core first, I/O outwards)::

    policy, resources ──> scheduler          pure: events in, actions out
    select, estimates, markers ──> plan      what runs, where, booking what, already done?
    executor (seam) <── local                processes in their own groups ──> process
                    <── dask/                futures on a Dask cluster; dask/_task ──> process
    engine = scheduler + executor + markers + lock + monitor + logs + progress
    api: prepare / completed / run_plan / run_workflow         (cli/run.py is a thin face)
         run_on_cluster = dask.cluster (connect or start) + plan against its workers + run_plan

- :mod:`~qcflow.runner.scheduler` -- the state machine (policy and example in its docstring).
- :mod:`~qcflow.runner.resources` -- cpu/mem booking, the backfill lane, semaphores.
- :mod:`~qcflow.runner.policy` -- ordering keys: ``timeframe`` (O2DPG's) and ``critical-path``.
- :mod:`~qcflow.runner.select` -- ``--target-labels``, ``-tt`` (+ needs), ``--rerun-from``.
- :mod:`~qcflow.runner.estimates` -- ``--update-resources`` files, ``--dynamic-resources``.
- :mod:`~qcflow.runner.markers` -- ``<name>.log_done`` markers with fingerprints and stamps.
- :mod:`~qcflow.runner.plan` -- checks everything up front, fixes commands, env, files, bookings.
- :mod:`~qcflow.runner.options` -- :class:`RunOptions`, one field per flag.
- :mod:`~qcflow.runner.executor` -- the executor protocol, :class:`Job`, :class:`Outcome`, dry run.
- :mod:`~qcflow.runner.local` -- the local process-group executor.
- :mod:`~qcflow.runner.process` -- a task's process group from spawn to reap, for both executors.
- :mod:`~qcflow.runner.contain` -- the task's processes that left its group (subreaper, tag).
- :mod:`~qcflow.runner.wakeup` -- the self-pipe that wakes an executor's ``wait``.
- :mod:`~qcflow.runner.dask` -- the Dask executor, its cluster, what its workers run (map in
  its docstring; ``distributed`` is imported only when a Dask executor is chosen).
- :mod:`~qcflow.runner.engine` -- the event loop tying all of it together.
- :mod:`~qcflow.runner.lock` -- one runner per directory; ends what a killed runner left.
- :mod:`~qcflow.runner.monitor` -- psutil sampling of each task's process tree (PSS/USS/CPU).
- :mod:`~qcflow.runner.logs` -- JSON-lines action and metric logs; production-mode archive.
- :mod:`~qcflow.runner.stimuli` -- ``--stimulus-log``: what the scheduler is fed and decides,
  replayed on a fresh scheduler (:mod:`~qcflow.runner.replay`: ``python -m`` face).
- :mod:`~qcflow.runner.progress` -- rich live display or plain lines.
- :mod:`~qcflow.runner.summary` -- ``summary.json`` and the end-of-run table.
- :mod:`~qcflow.runner.script` -- ``--produce-script``, a serial bash script.
- :mod:`~qcflow.runner.visualize` -- ``--visualize-workflow``: Graphviz DOT and Mermaid.
- :mod:`~qcflow.runner.api` -- :func:`run_workflow` and its steps, for library use.
"""

from __future__ import annotations

from qcflow.runner.api import (
    RunResult,
    completed,
    prepare,
    run_on_cluster,
    run_plan,
    run_workflow,
)
from qcflow.runner.executor import DryExecutor, Executor, ExecutorLost, Job, Outcome, shell_text
from qcflow.runner.local import LocalExecutor
from qcflow.runner.options import RunOptions
from qcflow.runner.plan import Plan, PlannedTask

__all__ = [
    "DryExecutor",
    "Executor",
    "ExecutorLost",
    "Job",
    "LocalExecutor",
    "Outcome",
    "Plan",
    "PlannedTask",
    "RunOptions",
    "RunResult",
    "completed",
    "prepare",
    "run_on_cluster",
    "run_plan",
    "run_workflow",
    "shell_text",
]


def __dir__() -> list[str]:
    return __all__
