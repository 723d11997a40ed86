"""From a workflow and options to a checked plan: what runs, where, with what, booking what.

Everything that can be wrong with the input is found here, before anything starts, and reported
at once as :class:`~qcflow.errors.InvalidInput` (exit 2): validation problems (duplicate names,
cycles, dangling needs unless ``allow_dangling``), bad regexes, a task booking more than the
limits or than any one host can hold (unless ``optimistic_resources``, which clamps it with a
warning), bad limits.

Per task the plan fixes:

- **command**: the ``cmd`` as written; a taskwrapper'd command
  (``. ${O2_ROOT}/share/scripts/jobutils2.sh; taskwrapper X.log '<cmd>'``) runs as is when
  ``O2_ROOT`` is set, else its inner command runs (one warning says so). Environment values that
  use the shell (``$PWD/ccdb``, ``${X:+"ON"}``) are exported by bash in front of the command, so
  they expand as in O2DPG's scripts; plain values go into the process environment directly.
- **environment**: ``os.environ`` < global-init ``env`` < task ``env``; the directory of the
  ``qcflow`` script running this is put first on ``PATH`` when missing, so tasks calling
  ``qcflow …`` find the same installation.
- **files**: ``<base>/<cwd>/<name>.log`` (``<name>.wrapper.log`` for a taskwrapper'd command run as
  is, because the taskwrapper writes ``<name>.log`` itself) and the marker ``<name>.log_done``.
- **booking, attempts, fingerprint**, and the policy's sort key.

With ``allow_dangling`` a task needing a missing task (and everything below it) is left out and
listed in :attr:`Plan.excluded` with the reason, instead of running too early as O2DPG's new
runner does.
"""

from __future__ import annotations

import os
import sysconfig
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qcflow.errors import InvalidInput
from qcflow.runner.estimates import Estimate, lookup, read_estimates
from qcflow.runner.markers import MARKER_SUFFIX, fingerprint
from qcflow.runner.notes import NOTES_SUFFIX
from qcflow.runner.options import RunOptions, default_cpu_limit, default_mem_limit
from qcflow.runner.policy import SortKey, priority_keys
from qcflow.runner.resources import Demand, ResourceLimits
from qcflow.runner.select import rerun_from, select_targets
from qcflow.workflow import Graph, Workflow, WorkflowTask, validate
from qcflow.workflow.shell import is_wrapped, unwrap_taskwrapper

__all__ = ["Plan", "PlannedTask", "build_plan"]


@dataclass
class PlannedTask:
    task: WorkflowTask
    #: The command bash runs (the taskwrapper's inner command when it is left out).
    command: str
    #: ``export K=V`` lines for environment values bash must expand, run before the command.
    exports: str
    cwd: Path
    log: Path
    marker: Path
    #: Declared variables with plain values (global-init env < task env).
    env: dict[str, str]
    demand: Demand
    max_attempts: int
    fingerprint: str
    #: Where the task may leave notes (:mod:`~qcflow.runner.notes`), next to its log; a string
    #: (it goes into the task's environment as such; a path object per task cost more).
    notes: str

    @property
    def name(self) -> str:
        return self.task.name

    @property
    def shell_text(self) -> str:
        """The text given to ``/bin/bash -c``."""
        return self.exports + self.command


@dataclass
class Plan:
    source: str
    graph: Graph
    tasks: list[PlannedTask]
    keys: list[SortKey]
    limits: ResourceLimits
    base: Path
    #: Base environment of every task: ``os.environ`` with the qcflow scripts dir on ``PATH``.
    environ: dict[str, str]
    excluded: dict[str, str] = field(default_factory=dict)
    rerun: set[int] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)

    def process_env(self, planned: PlannedTask, **extra: str) -> dict[str, str]:
        """The task's environment: the base, its declared plain values, then ``extra``."""
        return {**self.environ, **planned.env, **extra}


def build_plan(
    workflow: Workflow,
    options: RunOptions,
    environ: Mapping[str, str] | None = None,
    hosts: Sequence[tuple[float, float]] = (),
) -> Plan:
    """Check ``workflow`` against ``options`` and fix every task's command, files and booking.

    ``hosts``: ``(cpu, mem)`` of each host when tasks run on several (a cluster's workers);
    every task must fit one of them.
    """
    report = validate(workflow, allow_dangling=options.allow_dangling)
    report.raise_for_errors(workflow.source)
    full = report.graph
    excluded = _unrunnable(full)
    selected = select_targets(full, options.target_labels, options.target_tasks, set(excluded))
    graph = full if len(selected) == len(full) else Graph([full.tasks[i] for i in sorted(selected)])
    limits = _limits(options, hosts)
    warnings = [p.detail for p in report.warnings]  # shown as "qcflow: warning: <detail>"
    base_env = _base_environ(os.environ if environ is None else environ)
    estimates = read_estimates(options.update_resources) if options.update_resources else {}
    builder = _TaskBuilder(options, limits, base_env, workflow.global_env(), warnings)
    tasks = [builder.build(t, lookup(estimates, t) if estimates else None) for t in graph.tasks]
    if builder.too_large:
        raise InvalidInput("\n  ".join(["tasks that can never start:", *builder.too_large]))
    rerun = rerun_from(graph, options.rerun_from) if options.rerun_from else set()
    return Plan(
        source=workflow.source,
        graph=graph,
        tasks=tasks,
        keys=priority_keys(graph, options.policy),
        limits=limits,
        base=options.base,
        environ=base_env,
        excluded={full.names[i]: why for i, why in excluded.items()},
        rerun=rerun,
        warnings=warnings,
    )


def _unrunnable(graph: Graph) -> dict[int, str]:
    """Tasks needing a missing task, and their descendants, with the reason."""
    why: dict[int, str] = {}
    for node, missing in graph.dangling:
        why.setdefault(node, f"needs {missing!r}, which is not in the workflow")
    roots = set(why)
    for node in graph.descendants(roots) - roots:
        why[node] = "a task it needs cannot run (missing need upstream)"
    return why


def _limits(options: RunOptions, hosts: Sequence[tuple[float, float]] = ()) -> ResourceLimits:
    cpu = default_cpu_limit() if options.cpu_limit is None else options.cpu_limit
    mem = default_mem_limit() if options.mem_limit is None else options.mem_limit
    for flag, value, low in (
        ("--cpu-limit", cpu, 0.0),
        ("--mem-limit", mem, 0.0),
        ("-jmax", options.max_jobs, 0),
        ("--n-backfill", options.n_backfill, -1),
    ):
        if not value > low:
            msg = f"{flag} must be {'positive' if low >= 0 else 'zero or more'}, got {value}"
            raise InvalidInput(msg)
    return ResourceLimits(
        cpu=cpu,
        mem=mem,
        max_jobs=options.max_jobs,
        n_backfill=options.n_backfill,
        hosts=tuple(hosts),
    )


def _base_environ(environ: Mapping[str, str]) -> dict[str, str]:
    env = dict(environ)
    env["PATH"] = _with_scripts_dir(env.get("PATH", os.defpath))
    return env


def _with_scripts_dir(path: str) -> str:
    scripts = sysconfig.get_path("scripts")
    if not scripts or scripts in path.split(os.pathsep):
        return path
    return os.pathsep.join([scripts, path]) if path else scripts


def _uses_shell(value: str) -> bool:
    return "$" in value or "`" in value


class _TaskBuilder:
    """Builds :class:`PlannedTask` s, collecting warnings and oversize errors as it goes."""

    def __init__(
        self,
        options: RunOptions,
        limits: ResourceLimits,
        environ: Mapping[str, str],
        global_env: Mapping[str, str],
        warnings: list[str],
    ) -> None:
        self.options = options
        self.base = options.base  # resolved once: it is a file-system call
        self.limits = limits
        self.environ = environ
        self.global_env = dict(global_env)
        self.warnings = warnings
        self.too_large: list[str] = []
        self._cwds: dict[str, Path] = {}
        self._warned: set[str] = set()

    def warn_once(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            self.warnings.append(message)

    def build(self, task: WorkflowTask, estimate: Estimate | None) -> PlannedTask:
        declared = {**self.global_env, **(task.env or {})}
        plain = {k: v for k, v in declared.items() if not _uses_shell(v)}
        exports = "".join(f"export {k}={v}\n" for k, v in declared.items() if _uses_shell(v))
        command, wrapped_as_is = self._command(task, plain)
        cwd = self._cwds.get(task.cwd) or self._cwds.setdefault(task.cwd, self.base / task.cwd)
        log_name = f"{task.name}.wrapper.log" if wrapped_as_is else task.log_name
        if task.alternative_alienv_package:
            self.warn_once(
                "alienv",
                "tasks with 'alternative_alienv_package' run in the current environment "
                "(there is no alienv here)",
            )
        return PlannedTask(
            task=task,
            command=command,
            exports=exports,
            cwd=cwd,
            log=cwd / log_name,
            marker=cwd / f"{task.name}{MARKER_SUFFIX}",
            env=plain,
            demand=self._demand(task, estimate),
            max_attempts=1 + max(self.options.retry_on_failure, task.retry_count or 0),
            fingerprint=fingerprint(task.cmd, declared, task.cwd),
            notes=os.path.join(cwd, f"{task.name}{NOTES_SUFFIX}"),  # noqa: PTH118 (a string)
        )

    def _command(self, task: WorkflowTask, plain: Mapping[str, str]) -> tuple[str, bool]:
        """The command to run and whether it is the taskwrapper's as is; ``plain``: the task's
        declared plain values, over the base environment (merged only when it matters)."""
        if not is_wrapped(task.cmd):
            return task.cmd, False
        if (plain if "O2_ROOT" in plain else self.environ).get("O2_ROOT"):
            return task.cmd, True
        inner = unwrap_taskwrapper(task.cmd)
        if inner is None:
            return task.cmd, True
        self.warn_once(
            "taskwrapper",
            "O2_ROOT is not set: taskwrapper'd commands run without the taskwrapper "
            "(their inner command, logging to <cwd>/<name>.log)",
        )
        return inner, False

    def _demand(self, task: WorkflowTask, estimate: Estimate | None) -> Demand:
        cpu, mem = task.resources.cpu, task.resources.mem
        if estimate is not None:
            cpu = cpu if estimate.cpu is None else estimate.cpu
            mem = mem if estimate.mem is None else estimate.mem
        demand = Demand(cpu=cpu, mem=mem, semaphore=task.semaphore)
        if self.limits.fits_alone(demand):
            return demand
        text = f"task {task.name!r} books {cpu:g} cores and {mem:g} MB but {self._room(demand)}"
        if not self.options.optimistic_resources:
            self.too_large.append(f"{text} (--optimistic-resources clamps it)")
            return demand
        clamped = self.limits.clamp(demand)
        self.warnings.append(
            f"{text}: clamped to {clamped.cpu:g} cores and {clamped.mem:g} MB "
            "(--optimistic-resources)"
        )
        return clamped

    def _room(self, demand: Demand) -> str:
        """What the task does not fit: the limits, or else every host."""
        limits = self.limits
        if ResourceLimits(limits.cpu, limits.mem).fits_alone(demand):
            shapes = sorted(set(limits.hosts), reverse=True)
            shown = ", ".join(f"{c:g} cores + {m:g} MB" for c, m in shapes[:3])
            more = f" and {len(shapes) - 3} other sizes" if len(shapes) > 3 else ""
            return f"no worker can hold that much (workers: {shown}{more})"
        return (
            f"the limits are {limits.cpu:g} cores (--cpu-limit) and {limits.mem:g} MB (--mem-limit)"
        )
