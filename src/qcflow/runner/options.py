"""Everything a run can be told, as one plain dataclass (the CLI flags map onto it 1:1).

Defaults follow O2DPG's runner except where its default ignores the machine: ``cpu_limit``
defaults to the cores this process may use (not 8) and ``mem_limit`` to 0.9 x RAM in MB.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import psutil

from qcflow.runner.policy import Policy

__all__ = ["ProgressMode", "RunOptions", "default_cpu_limit", "default_mem_limit"]

ProgressMode = Literal["auto", "rich", "plain", "none"]


def default_cpu_limit() -> float:
    """Cores this process may run on (its CPU affinity), else the machine's count."""
    try:
        return float(len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return float(os.cpu_count() or 1)


def default_mem_limit() -> float:
    """0.9 x the machine's memory, in MB (O2DPG's default)."""
    return 0.9 * psutil.virtual_memory().total / 1024 / 1024


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
    action_logfile: Path | None = None
    metric_logfile: Path | None = None
    summary_file: Path | None = None
    production_mode: bool = False
    policy: Policy = "timeframe"
    allow_dangling: bool = False
    monitor_interval: float = 1.0
    progress: ProgressMode = "none"
    visualize: bool = False

    @property
    def base(self) -> Path:
        """The directory task ``cwd`` s are relative to (the caller's cwd by default)."""
        return (self.workdir or Path.cwd()).resolve()

    def log_path(self, given: Path | None, kind: str) -> Path:
        """An action/metric log path: as given, else ``pipeline_<kind>_<pid>.log`` (O2DPG's)."""
        return given if given is not None else self.base / f"pipeline_{kind}_{os.getpid()}.log"
