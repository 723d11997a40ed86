"""``qcflow qc``: run an ``o2-qc`` post-processing config, or check it (``qcflow qc validate``)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any

from qcflow.cli._common import add_command, warn

#: The runner gives each task a file to write one-line notes to, shown in its end-of-run table.
TASK_NOTES_VARIABLE = "QCFLOW_TASK_NOTES"

_HELP = """\
Run the post-processing tasks of an o2-qc configuration to completion, as o2-qc does for
O2DPG's asynchronous QC workflows: read objects from the QCDB, trend them, publish trend
trees and plots. The command line of O2DPG's workflows works unchanged (-b, --run,
--driver-client-backend are accepted and ignored).

'qcflow qc validate' checks a config without running it: JSON, keys and values (every
problem at once, with its JSON path), triggers, class names, expressions, and the
cross-references between tasks, checks and aggregators.

examples:
  qcflow qc --config json://$PWD/example.json \\
      --override-values "qc.config.database.host=qcdb;qc.config.Activity.passName=apass1"
  qcflow qc validate --config zdc.json
"""


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers, "qc", help="run or validate an o2-qc post-processing config", description=_HELP
    )
    parser.add_argument(
        "action",
        nargs="?",
        choices=("run", "validate"),
        default="run",
        help="run (default) or validate the config",
    )
    parser.add_argument(
        "--config",
        required=True,
        metavar="URI",
        help="the config: json://PATH or PATH (${VAR} is expanded)",
    )
    parser.add_argument(
        "--override-values",
        default="",
        metavar="K=V;...",
        help="set config keys, as o2-qc: 'qc.config.Activity.number=0;...'",
    )
    parser.add_argument(
        "--max-duration",
        type=float,
        metavar="S",
        help="stop after S seconds (tasks driven by periodic or newobject "
        "triggers run until interrupted otherwise)",
    )
    parser.add_argument(
        "--no-IPC",
        dest="no_ipc",
        action="store_true",
        help="no worker processes: fetch, decode and reduce in this process",
    )
    parser.add_argument(
        "--timestamp",
        type=int,
        metavar="MS",
        help="the run's 'now' in ms (once/userorcontrol triggers); default now",
    )
    parser.add_argument(
        "--task",
        action="append",
        metavar="ID",
        help="run only this post-processing task (repeatable)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="validate: warnings make the command fail (exit 1)"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    dpl = parser.add_argument_group("o2-qc/DPL options accepted for compatibility (no effect)")
    dpl.add_argument("-b", dest="batch", action="store_true", help="batch mode (always)")
    dpl.add_argument("--run", dest="dpl_run", action="store_true", help="run (always)")
    dpl.add_argument("--driver-client-backend", metavar="URL", help="DPL driver GUI backend")
    parser.set_defaults(handler=_qc)


def _qc(args: argparse.Namespace) -> int:
    from qcflow.postprocessing.config.values import ConfigInvalid
    from qcflow.postprocessing.engine.api import load

    try:
        config = load(args.config, args.override_values)
    except ConfigInvalid as err:
        for diagnostic in err.warnings:  # before the errors, as for a valid config
            warn(str(diagnostic))
        raise
    for diagnostic in config.diagnostics.warnings:
        warn(str(diagnostic))
    if args.action == "validate":
        return _validated(config, strict=args.strict)
    return _run(config, args)


def _validated(config: Any, *, strict: bool) -> int:
    tasks = ", ".join(t.id for t in config.active_tasks) or "none"
    print(
        f"{config.source}: valid -- tasks: {tasks}; {len(config.checks)} checks, "
        f"{len(config.aggregators)} aggregators; {len(config.diagnostics.warnings)} warnings"
    )
    return 1 if strict and config.diagnostics.warnings else 0


def _run(config: Any, args: argparse.Namespace) -> int:
    from qcflow.cli._qc_progress import progress_handler
    from qcflow.postprocessing.engine.engine import Engine, EngineOptions

    _logging(quiet=args.quiet)
    if not config.active_tasks:
        warn(f"{config.source}: no active post-processing task; nothing to run")
    options = EngineOptions(
        max_duration=args.max_duration,
        parallel=not args.no_ipc,
        now_ms=args.timestamp,
        tasks=args.task,
    )
    engine = Engine(config, options)
    with progress_handler(quiet=args.quiet) as handler:
        engine.event_handlers.append(handler)
        summary = engine.run()
    for task in summary.tasks:
        print(
            f"{task.task_name}: {task.state} after {task.updates} updates; "
            f"{len(task.published)} objects published"
        )
        for path in task.published:
            print(f"  {path}")
    if summary.quality_objects:
        print(f"checks and aggregators: {len(summary.quality_objects)} quality objects")
        for path, quality in sorted(summary.quality_objects.items()):
            print(f"  {path}: {quality}")
    note = _nothing_published(summary)
    if note:
        warn(note)
        _task_note(note)
    return 0


def _nothing_published(summary: Any) -> str:
    """``published nothing: <why>`` when no task published an object, else ""."""
    if any(task.published for task in summary.tasks) or summary.quality_objects:
        return ""
    if not summary.tasks:
        return "published nothing: no post-processing task ran"
    reasons = {task.note for task in summary.tasks}
    if len(reasons) == 1:
        return f"published nothing: {reasons.pop()}"
    return "published nothing: " + "; ".join(f"{t.task_name}: {t.note}" for t in summary.tasks)


def _task_note(line: str) -> None:
    """Append ``line`` to the runner's notes file ($QCFLOW_TASK_NOTES), when it gives one."""
    path = os.environ.get(TASK_NOTES_VARIABLE)
    if not path:
        return
    try:
        with Path(path).open("a", encoding="utf-8") as notes:
            notes.write(line + "\n")
    except OSError as err:  # the note is a courtesy: the run itself succeeded
        warn(f"cannot write the task note to ${TASK_NOTES_VARIABLE}={path}: {err.strerror or err}")


def _logging(*, quiet: bool) -> None:
    logger = logging.getLogger("qcflow.qc")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("qcflow qc: %(levelname)s: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.WARNING if quiet else logging.INFO)
    logger.propagate = False
