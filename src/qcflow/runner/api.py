"""The runner as a library: :func:`run_workflow` (what ``qcflow run`` and ``qcflow demo`` call).

::

    from qcflow.runner import RunOptions, run_workflow
    result = run_workflow("workflow.json", RunOptions(cpu_limit=4, progress="auto"))
    result.exit_code, result.summary["counts"]

Steps, each usable alone: :func:`prepare` (read, validate, plan: raises ``InvalidInput`` before
anything runs), :func:`completed` (which tasks already have a valid marker), :func:`run_plan`
(lock the working directory, end what a killed earlier run left behind, run, write the logs and
the summary). With ``options.executor`` ``"dask"`` or ``"dask-local"``, :func:`run_on_cluster`
reaches or starts the cluster first and plans against its workers
(:mod:`~qcflow.runner.dask.cluster`).
"""

from __future__ import annotations

import dataclasses
import errno
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from qcflow._types import JSONObject
from qcflow.errors import InvalidInput
from qcflow.runner.engine import RunEngine, RunServices
from qcflow.runner.executor import DryExecutor, Executor
from qcflow.runner.local import LocalExecutor
from qcflow.runner.lock import RunLock
from qcflow.runner.logs import JsonLinesLog
from qcflow.runner.markers import read_marker, remove_marker, valid_stamps
from qcflow.runner.monitor import Monitor
from qcflow.runner.options import RunOptions, planning_options
from qcflow.runner.plan import Plan, build_plan
from qcflow.runner.progress import Progress, make_progress
from qcflow.runner.summary import TaskRecord, build_summary, write_summary
from qcflow.workflow import Workflow

__all__ = [
    "RunResult",
    "completed",
    "forget",
    "prepare",
    "run_on_cluster",
    "run_plan",
    "run_workflow",
]


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
    #: Why the executor was lost (a Dask scheduler went away) when it was: the run stopped
    #: there, and running it again resumes from the completion markers.
    lost: str = ""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def status(self, name: str) -> str:
        return next(r.status for r in self.records if r.name == name)


def prepare(
    workflow: Workflow | str | os.PathLike[str],
    options: RunOptions,
    hosts: Sequence[tuple[float, float]] = (),
) -> Plan:
    """Read (if a path), validate and plan; every input problem raises before anything runs.

    ``hosts``: ``(cpu, mem)`` of each worker when the tasks run on a cluster.
    """
    if not isinstance(workflow, Workflow):
        workflow = Workflow.read(workflow)
    return build_plan(workflow, options, hosts=hosts)


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
        return _real_run(plan, options, executor, progress)
    finally:
        progress.close()


def run_workflow(
    workflow: Workflow | str | os.PathLike[str],
    options: RunOptions | None = None,
    on_plan: Callable[[Plan], None] | None = None,
) -> RunResult:
    """:func:`prepare` then :func:`run_plan`, or :func:`run_on_cluster` for a Dask executor.

    ``on_plan`` sees the plan before anything runs (to show its warnings).
    """
    options = options or RunOptions()
    if options.executor != "local" and not options.dry_run:
        return run_on_cluster(workflow, options, on_plan)
    plan = prepare(workflow, planning_options(options))
    if on_plan is not None:
        on_plan(plan)
    return run_plan(plan, options)


def run_on_cluster(
    workflow: Workflow | str | os.PathLike[str],
    options: RunOptions,
    on_plan: Callable[[Plan], None] | None = None,
) -> RunResult:
    """Check the workflow, reach or start the Dask cluster, plan against its workers, run.

    The workflow is checked before any cluster is contacted, with the limits given (``dask``)
    or the machine's (``dask-local``); then against the cluster: the limits default to the
    workers' total and every task must fit one worker.
    """
    from qcflow.runner.dask import open_cluster

    if not isinstance(workflow, Workflow):
        workflow = Workflow.read(workflow)
    draft = prepare(workflow, planning_options(options))
    smallest = min((t.demand.cpu for t in draft.tasks), default=1.0)
    with open_cluster(options, smallest) as cluster:
        options = cluster.run_options(options)
        plan = prepare(workflow, options, cluster.hosts)
        plan.warnings[:0] = cluster.warnings
        if on_plan is not None:
            on_plan(plan)
        return run_plan(plan, options, cluster.executor(options))


def _dry_run(plan: Plan, options: RunOptions) -> RunResult:
    """The real scheduler with an executor that runs nothing: the order a run would take."""
    # The rerun set is closed under descendants, so dropping it invalidates all that follows.
    stamps = {i: s for i, s in completed(plan).items() if i not in plan.rerun}
    engine = RunEngine(plan, options, RunServices(DryExecutor(), real=False))
    started = time.time()
    code = engine.run(stamps)
    summary = build_summary(plan.source, engine.records, plan.limits, started, time.time(), code)
    return RunResult(code, engine.records, summary, engine.order, warnings=plan.warnings)


def _real_run(
    plan: Plan, options: RunOptions, executor: Executor | None, progress: Progress
) -> RunResult:
    summary = options.summary_file or plan.base / "summary.json"
    with _writing("the summary", summary):
        _check_writable(summary)
    lock = RunLock(plan.base)
    with _writing("the run's state in", lock.dir):
        lock.acquire()
    try:
        actions, metrics = _open_logs(options)
        left = lock.end_leftovers(options.kill_grace)
        if left:
            progress.line(f"ended processes left running by an earlier run: {', '.join(left)}")
        lock.open_journal()
        for name in forget(plan):
            progress.line(f"Marking task {name} as to be done again")
        # Made only now: a local executor makes this process a subreaper until it is closed,
        # which the engine does; an input error above must not leave it so.
        executor = executor or LocalExecutor(options.kill_grace, not options.always_bash)
        services = RunServices(executor, progress, actions, None, lock)
        return _execute(plan, options, services, metrics, summary)
    finally:
        lock.release()


@contextmanager
def _writing(what: str, path: Path) -> Iterator[None]:
    """The run's own files go where the user said: failing to write there is their input."""
    try:
        yield
    except OSError as err:
        msg = f"cannot write {what} {path}: {err.strerror or err}"
        raise InvalidInput(msg) from None


def _check_writable(path: Path) -> None:
    """Raise ``OSError`` unless a file can be written at ``path`` (its directory is created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    with tempfile.TemporaryFile(dir=path.parent):  # the real test (permissions lie to root)
        pass


def _open_logs(options: RunOptions) -> tuple[JsonLinesLog, JsonLinesLog]:
    """The action and metric logs, both open, or ``InvalidInput`` (before any task runs)."""
    opened: list[JsonLinesLog] = []
    try:
        for kind, given in (("action", options.action_logfile), ("metric", options.metric_logfile)):
            path = options.log_path(given, kind)
            with _writing(f"the {kind} log", path):
                # The engine flushes the action log before it waits; the monitor's thread
                # writes the metric log, line by line.
                opened.append(JsonLinesLog(path, line_buffered=kind == "metric"))
    except InvalidInput:
        for log in opened:
            log.close()
            if log.path is not None:
                log.path.unlink(missing_ok=True)
        raise
    return opened[0], opened[1]


def _execute(
    plan: Plan,
    options: RunOptions,
    services: RunServices,
    metrics: JsonLinesLog,
    summary_path: Path,
) -> RunResult:
    actions, progress = services.actions, services.progress
    limits = plan.limits
    metrics.write("limits", cpu_limit=limits.cpu, mem_limit=limits.mem, workflow=plan.source)
    monitor = Monitor(metrics, options.monitor_interval)
    services = dataclasses.replace(services, monitor=monitor)
    engine = RunEngine(plan, options, services)
    monitor.on_over = engine.on_over_memory
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
    write_summary(summary_path, summary)
    return RunResult(
        code, engine.records, summary, engine.order, summary_path, plan.warnings, engine.lost
    )
