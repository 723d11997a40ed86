"""Workflow validation: every problem at once, each naming its task.

Errors: duplicate names, dangling needs (unless ``allow_dangling``, O2DPG's "might be added
later" leniency, which makes them warnings), cycles (printed), bad resource values and malformed
keys (found while reading), a second global-init task, a name with ``/``, and strings that
cannot reach the operating system (:func:`_os_string_problem`: a NUL byte, a lone surrogate, an
environment variable name that is empty or holds ``=``) in a task's name, ``cmd``, ``cwd`` or
``env``. Warnings: unknown
keys, a global-init task not at index 0 (O2DPG would ignore it; qcflow honours it).

O2DPG only prints its checks and skips the name check when the dependency check fails; qcflow
runs all of them and lets the caller refuse to run an invalid workflow.
"""

from __future__ import annotations

from dataclasses import dataclass

from qcflow.errors import WorkflowInvalid
from qcflow.workflow.graph import Graph
from qcflow.workflow.model import Workflow
from qcflow.workflow.problems import Problem, Severity

__all__ = ["Report", "load", "validate"]


@dataclass(frozen=True)
class Report:
    """The outcome of :func:`validate`, with the graph it built (reused by the runner)."""

    problems: list[Problem]
    graph: Graph

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_for_errors(self, source: str) -> None:
        """Raise :class:`WorkflowInvalid` listing every problem, errors first."""
        if self.errors:
            raise WorkflowInvalid(source, [str(p) for p in self.errors + self.warnings])


def validate(workflow: Workflow, *, allow_dangling: bool = False) -> Report:
    """Check a workflow; never raises for a problem, returns them all."""
    problems = list(workflow.parse_problems)
    problems += _check_names(workflow)
    problems += _check_os_strings(workflow)
    graph = Graph(workflow.tasks)
    problems += _check_needs(graph, allow_dangling=allow_dangling)
    problems += _check_cycles(graph)
    return Report(problems, graph)


def _check_names(workflow: Workflow) -> list[Problem]:
    problems: list[Problem] = []
    first_seen: dict[str, int] = {}
    init_positions: list[int] = []
    for i, task in enumerate(workflow.tasks):
        if task.is_global_init:
            init_positions.append(i)
            continue
        if "/" in task.name:
            msg = "a task name cannot contain '/': it names the log file <cwd>/<name>.log"
            problems.append(Problem("error", msg, task.name, f"stages[{i}].name"))
        if task.name in first_seen:
            msg = f"duplicate task name (first defined at stages[{first_seen[task.name]}])"
            problems.append(Problem("error", msg, task.name, f"stages[{i}].name"))
        else:
            first_seen[task.name] = i
    for extra in init_positions[1:]:
        msg = f"a second global-init task (the first is at stages[{init_positions[0]}])"
        problems.append(Problem("error", msg, "__global_init_task__", f"stages[{extra}]"))
    if init_positions and init_positions[0] != 0:
        msg = "global-init task not at index 0: O2DPG's runner ignores it there (qcflow does not)"
        problems.append(
            Problem("warning", msg, "__global_init_task__", f"stages[{init_positions[0]}]")
        )
    return problems


def _os_string_problem(text: str) -> str:
    """Why ``text`` cannot become an argument, an environment entry or a path ("" if it can).

    The kernel takes NUL-terminated bytes, and a lone surrogate has no UTF-8 encoding: either
    would make the run fail when it starts the task, after ``validate`` said the file was fine.
    """
    if "\0" in text:
        return "contains a NUL byte"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        return f"contains {text[err.start]!r}, which has no UTF-8 encoding"
    return ""


def _check_os_strings(workflow: Workflow) -> list[Problem]:
    """Name, cmd, cwd and env go to the OS as paths, argv and environment: they must fit."""
    problems: list[Problem] = []
    for i, task in enumerate(workflow.tasks):
        label = task.name  # shown with repr(): a NUL or a surrogate in it comes out escaped
        fields = [("name", task.name), ("cmd", task.cmd), ("cwd", task.cwd)]
        for key, value in (task.env or {}).items():
            if not key or "=" in key:
                msg = f"environment variable name {key!r} is empty or contains '='"
                problems.append(Problem("error", msg, label, f"stages[{i}].env"))
            fields += [("env", key), (f"env.{ascii(key)[1:-1]}", value)]
        for where, value in fields:
            why = _os_string_problem(value)
            if why:
                problems.append(Problem("error", why, label, f"stages[{i}].{where}"))
    return problems


def _check_needs(graph: Graph, *, allow_dangling: bool) -> list[Problem]:
    severity: Severity = "warning" if allow_dangling else "error"
    problems = []
    for node, missing in graph.dangling:
        suffix = " (might be added later)" if allow_dangling else ""
        msg = f"needs {missing!r}, which is not a task of this workflow{suffix}"
        problems.append(Problem(severity, msg, graph.names[node]))
    return problems


def _check_cycles(graph: Graph) -> list[Problem]:
    problems = []
    for cycle in graph.cycles():
        names = [graph.names[i] for i in cycle]
        if len(cycle) == 2:
            problems.append(Problem("error", "needs itself", names[0]))
            continue
        chain = " -> ".join(names)
        msg = f"dependency cycle: {chain} (each task needs the next)"
        problems.append(Problem("error", msg, names[0]))
    return problems


def load(path: str, *, allow_dangling: bool = False) -> tuple[Workflow, Report]:
    """Read and validate a workflow file; raise :class:`WorkflowInvalid` on any error."""
    workflow = Workflow.read(path)
    report = validate(workflow, allow_dangling=allow_dangling)
    report.raise_for_errors(workflow.source)
    return workflow, report
