"""The runner as a library: :func:`run_workflow` (what ``qcflow run`` and ``qcflow demo`` call).

::

    from qcflow.runner import RunOptions, run_workflow
    result = run_workflow("workflow.json", RunOptions(cpu_limit=4, progress="auto"))
    result.exit_code, result.summary["counts"]

Steps, each usable alone: :func:`prepare` (read, validate, plan: raises ``InvalidInput`` before
anything runs), :func:`completed` (which tasks already have a valid marker), :func:`run_plan`
(lock the working directory, end what a killed earlier run left behind, run, write the logs and
the summary).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from qcflow._types import JSONObject
from qcflow.runner.engine import Engine, Services
from qcflow.runner.executor import DryExecutor, Executor
from qcflow.runner.local import LocalExecutor
from qcflow.runner.lock import RunLock
from qcflow.runner.logs import JsonLinesLog
from qcflow.runner.markers import read_marker, remove_marker, valid_stamps
from qcflow.runner.monitor import Monitor
from qcflow.runner.options import RunOptions
from qcflow.runner.plan import Plan, build_plan
from qcflow.runner.progress import Progress, make_progress
from qcflow.runner.summary import TaskRecord, build_summary, write_summary
from qcflow.workflow import Workflow

__all__ = ["RunResult", "completed", "forget", "prepare", "run_plan", "run_workflow"]


@dataclass
class RunResult:
    """How a run ended: exit code (0 / 1), a record per task, the summary, the start order."""

    exit_code: int
    records: list[TaskRecord]
    summary: JSONObject
    order: list[str] = field(default_factory=list)
    summary_file: Path | None = None
    #: What planning warned about (taskwrapper left out, clamped resources, …).
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def status(self, name: str) -> str:
        return next(r.status for r in self.records if r.name == name)


def prepare(workflow: Workflow | str | os.PathLike[str], options: RunOptions) -> Plan:
    """Read (if a path), validate and plan; every input problem raises before anything runs."""
    if not isinstance(workflow, Workflow):
        workflow = Workflow.read(workflow)
    return build_plan(workflow, options)


def completed(plan: Plan) -> dict[int, str]:
    """Node -> marker stamp of every task whose completion marker is valid."""
    graph = plan.graph
    markers = [read_marker(t.marker) for t in plan.tasks]
    fingerprints = [t.fingerprint for t in plan.tasks]
    return valid_stamps(graph.topological_order(), graph.needs, graph.names, fingerprints, markers)


def forget(plan: Plan) -> list[str]:
    """Remove the markers of the ``--rerun-from`` tasks; return their names."""
    for i in sorted(plan.rerun):
        remove_marker(plan.tasks[i].marker)
    return [plan.tasks[i].name for i in sorted(plan.rerun)]


def run_plan(
    plan: Plan,
    options: RunOptions,
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Run a prepared plan to the end (or only simulate it with ``options.dry_run``)."""
    progress = progress or make_progress(options.progress)
    try:
        if options.dry_run:
            return _dry_run(plan, options)
        return _real_run(plan, options, executor or LocalExecutor(options.kill_grace), progress)
    finally:
        progress.close()


def run_workflow(
    workflow: Workflow | str | os.PathLike[str], options: RunOptions | None = None
) -> RunResult:
    """:func:`prepare` then :func:`run_plan`."""
    options = options or RunOptions()
    return run_plan(prepare(workflow, options), options)


def _dry_run(plan: Plan, options: RunOptions) -> RunResult:
    """The real scheduler with an executor that runs nothing: the order a run would take."""
    # The rerun set is closed under descendants, so dropping it invalidates all that follows.
    stamps = {i: s for i, s in completed(plan).items() if i not in plan.rerun}
    engine = Engine(plan, options, Services(DryExecutor(), real=False))
    started = time.time()
    code = engine.run(stamps)
    summary = build_summary(plan.source, engine.records, plan.limits, started, time.time(), code)
    return RunResult(code, engine.records, summary, engine.order, warnings=plan.warnings)


def _real_run(plan: Plan, options: RunOptions, executor: Executor, progress: Progress) -> RunResult:
    lock = RunLock(plan.base)
    lock.acquire()
    try:
        left = lock.end_leftovers(options.kill_grace)
        if left:
            progress.line(f"ended processes left running by an earlier run: {', '.join(left)}")
        lock.open_journal()
        for name in forget(plan):
            progress.line(f"Marking task {name} as to be done again")
        return _execute(plan, options, executor, progress, lock)
    finally:
        lock.release()


def _execute(
    plan: Plan, options: RunOptions, executor: Executor, progress: Progress, lock: RunLock
) -> RunResult:
    actions = JsonLinesLog(options.log_path(options.action_logfile, "action"))
    metrics = JsonLinesLog(options.log_path(options.metric_logfile, "metric"))
    limits = plan.limits
    metrics.write("limits", cpu_limit=limits.cpu, mem_limit=limits.mem, workflow=plan.source)
    monitor = Monitor(metrics, options.monitor_interval)
    services = Services(executor, progress, actions, monitor, lock)
    engine = Engine(plan, options, services)
    started = time.time()
    actions.write("run", workflow=plan.source, tasks=len(plan.tasks), pid=os.getpid())
    try:
        code = engine.run(completed(plan))
    finally:
        monitor.close()
    ended = time.time()
    verdict = "success" if code == 0 else "with failures"
    progress.line(f"Pipeline done {verdict} (global_runtime : {ended - started:.3f} s)")
    actions.write("end", exit_code=code, duration=round(ended - started, 3))
    actions.close()
    metrics.close()
    summary = build_summary(plan.source, engine.records, plan.limits, started, ended, code)
    path = options.summary_file or plan.base / "summary.json"
    write_summary(path, summary)
    return RunResult(code, engine.records, summary, engine.order, path, plan.warnings)
