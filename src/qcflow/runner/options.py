"""Everything a run can be told, as one plain dataclass (the CLI flags map onto it 1:1).

Defaults follow O2DPG's runner except where its default ignores the machine: ``cpu_limit``
defaults to the cores this process may use (not 8) and ``mem_limit`` to 0.9 x RAM in MB. On a
Dask cluster (``executor="dask"``) they default to the total the workers declare, which is only
known once connected: :func:`planning_options` gives the options to check a workflow with before.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from qcflow.errors import InvalidInput
from qcflow.runner.policy import Policy

__all__ = [
    "EXECUTORS",
    "ExecutorName",
    "ProgressMode",
    "RunOptions",
    "default_cpu_limit",
    "default_mem_limit",
    "planning_options",
]

ProgressMode = Literal["auto", "rich", "plain", "none"]
ExecutorName = Literal["local", "dask", "dask-local"]
EXECUTORS: tuple[ExecutorName, ...] = ("local", "dask", "dask-local")


def default_cpu_limit() -> float:
    """Cores this process may run on (its CPU affinity), else the machine's count."""
    try:
        return float(len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return float(os.cpu_count() or 1)


def default_mem_limit() -> float:
    """0.9 x the machine's memory, in MB (O2DPG's default)."""
    # What psutil.virtual_memory().total reads (MemTotal), without importing psutil (~25 ms).
    return 0.9 * os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024 / 1024


@dataclass
class RunOptions:
    """Options of :func:`qcflow.runner.run_workflow`; see ``docs/runner.md`` for each one."""

    workdir: Path | None = None
    max_jobs: int = 100
    keep_going: bool = False
    dry_run: bool = False
    target_labels: tuple[str, ...] = ()
    target_tasks: tuple[str, ...] = ("*",)
    rerun_from: str | None = None
    update_resources: Path | None = None
    dynamic_resources: bool = False
    optimistic_resources: bool = False
    n_backfill: int = 1
    cpu_limit: float | None = None
    mem_limit: float | None = None
    stdout_on_failure: bool = False
    retry_on_failure: int = 0
    retry_backoff: float = 1.0
    task_timeout: float | None = None
    kill_grace: float = 3.0
    #: Run every command with ``/bin/bash -c``, also the plain ones the local executor runs
    #: directly (:mod:`~qcflow.runner.direct`).
    always_bash: bool = False
    action_logfile: Path | None = None
    metric_logfile: Path | None = None
    summary_file: Path | None = None
    production_mode: bool = False
    policy: Policy = "timeframe"
    allow_dangling: bool = False
    monitor_interval: float = 1.0
    progress: ProgressMode = "none"
    visualize: bool = False
    #: ``local`` processes, ``dask`` (the cluster at ``scheduler_address``) or ``dask-local``.
    executor: ExecutorName = "local"
    scheduler_address: str | None = None
    #: ``dask-local``: workers to start; ``dask``: workers to wait for (default 1).
    workers: int | None = None
    #: Seconds to wait for the Dask scheduler and the workers (and for a task no worker can hold).
    dask_timeout: float = 60.0
    #: End a task whose tree's PSS passes this factor x its memory booking (None: never).
    enforce_memory: float | None = None
    #: Record what the engine feeds the scheduler here, for a replay (None: the file
    #: ``$QCFLOW_STIMULUS_LOG`` names, if set); see :mod:`~qcflow.runner.stimuli`.
    stimulus_log: Path | None = None

    @property
    def base(self) -> Path:
        """The directory task ``cwd`` s are relative to (the caller's cwd by default)."""
        return (self.workdir or Path.cwd()).resolve()

    def log_path(self, given: Path | None, kind: str) -> Path:
        """An action/metric log path: as given, else ``pipeline_<kind>_<pid>.log`` (O2DPG's)."""
        return given if given is not None else self.base / f"pipeline_{kind}_{os.getpid()}.log"


def planning_options(options: RunOptions) -> RunOptions:
    """The options to check a workflow with before the executor's resources are known.

    With ``executor="dask"`` the limits are the cluster's total, unknown until connected: only
    the limits given bound the tasks then (each must still fit one worker, checked later).
    Executor flags that do not go together raise ``InvalidInput``.
    """
    _check_executor(options)
    if options.executor != "dask":
        return options
    cpu = math.inf if options.cpu_limit is None else options.cpu_limit
    mem = math.inf if options.mem_limit is None else options.mem_limit
    return dataclasses.replace(options, cpu_limit=cpu, mem_limit=mem)


def _check_executor(options: RunOptions) -> None:
    problem = ""
    if options.executor not in EXECUTORS:
        problem = f"--executor must be one of {', '.join(EXECUTORS)}, got {options.executor!r}"
    elif options.executor == "dask" and not options.scheduler_address:
        problem = "--executor dask needs --scheduler-address tcp://HOST:PORT"
    elif options.scheduler_address and options.executor != "dask":
        problem = f"--scheduler-address goes with --executor dask, not {options.executor!r}"
    elif options.workers is not None and options.executor == "local":
        problem = "--workers goes with --executor dask or dask-local"
    elif options.workers is not None and options.workers < 1:
        problem = f"--workers must be at least 1, got {options.workers}"
    elif options.enforce_memory is not None:
        problem = _enforce_memory_problem(options)
    if problem:
        raise InvalidInput(problem)


def _enforce_memory_problem(options: RunOptions) -> str:
    """Why ``--enforce-memory`` cannot apply ("" when it can)."""
    factor = options.enforce_memory
    if factor is None:
        return ""
    if not (math.isfinite(factor) and factor >= 1):
        return f"--enforce-memory must be a factor >= 1, got {factor}"
    if options.monitor_interval <= 0:
        return "--enforce-memory needs the resource monitor (--monitor-interval > 0)"
    if options.executor != "local":
        return "--enforce-memory works with --executor local only (Dask workers measure remotely)"
    return ""
