"""``qcflow workflow``: check and inspect O2DPG workflow files without running them."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from qcflow.cli._common import add_command

_VALIDATE_HELP = """\
Read an O2DPG workflow file and report every problem at once: duplicate task names,
needs that name no task, dependency cycles (printed), bad resource values, malformed or
unknown keys. Exit 0 when there is no error (warnings are printed), 2 otherwise.

example:
  qcflow workflow validate workflow.json
"""

_INFO_HELP = """\
Summarise a workflow: number of tasks, labels, first and last tasks, and the critical path
(the longest chain of needs, weighted by resources.walltime when tasks have it).

example:
  qcflow workflow info workflow.json
"""


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "workflow",
        help="validate or summarise a workflow file",
        description="Check and inspect O2DPG workflow files without running them.",
    )
    sub = parser.add_subparsers(title="actions", metavar="ACTION", required=True)

    validate = add_command(sub, "validate", help="report every problem", description=_VALIDATE_HELP)
    validate.add_argument("file", help="workflow JSON file")
    validate.add_argument(
        "--allow-dangling",
        action="store_true",
        help="treat needs naming no task as warnings (O2DPG's 'might be added later')",
    )
    validate.add_argument("--json", action="store_true", help="print problems as JSON")
    validate.set_defaults(handler=_validate)

    info = add_command(
        sub, "info", help="summarise tasks and critical path", description=_INFO_HELP
    )
    info.add_argument("file", help="workflow JSON file")
    info.add_argument("--json", action="store_true", help="print the summary as JSON")
    info.set_defaults(handler=_info)


def _validate(args: argparse.Namespace) -> int:
    from qcflow.workflow import Workflow, validate

    workflow = Workflow.read(args.file)
    report = validate(workflow, allow_dangling=args.allow_dangling)
    if args.json:
        rows = [
            {"severity": p.severity, "task": p.task, "where": p.where, "message": p.message}
            for p in report.problems
        ]
        print(json.dumps({"file": args.file, "ok": report.ok, "problems": rows}, indent=2))
    else:
        for problem in report.errors + report.warnings:
            print(f"{args.file}: {problem}", file=sys.stderr)
        n_err, n_warn = len(report.errors), len(report.warnings)
        verdict = "valid" if report.ok else "INVALID"
        tasks = len(workflow.stages)
        print(f"{args.file}: {verdict}: {tasks} tasks, {n_err} errors, {n_warn} warnings")
    return 0 if report.ok else 2


def _info(args: argparse.Namespace) -> int:
    from qcflow.workflow import load

    workflow, report = load(args.file, allow_dangling=True)
    graph = report.graph
    labels = sorted({label for t in graph.tasks for label in t.labels})
    summary = {
        "file": args.file,
        "tasks": len(graph),
        "labels": labels,
        "first": graph.named(i for i in range(len(graph)) if not graph.needs[i]),
        "last": graph.named(i for i in range(len(graph)) if not graph.children[i]),
        "critical_path": [graph.names[i] for i in graph.critical_path()],
        "global_env": workflow.global_env(),
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    for key, value in summary.items():
        separator = " -> " if key == "critical_path" else ", "
        text = separator.join(value) if isinstance(value, list) else value
        print(f"{key:>14}: {text}")
    return 0
