"""``qcflow run``: run an O2DPG workflow, with every flag of O2DPG's runner."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qcflow.cli._common import add_command, warn

_DESCRIPTION = """\
Run an O2DPG workflow file: every task in its own process group, in its cwd (created), with
the global-init and task environment, output to <cwd>/<name>.log, as soon as its needs are done
and its cpu/memory booking fits the limits. A task that exits 0 gets the O2DPG completion marker
<cwd>/<name>.log_done (with a fingerprint), so running again skips it; a changed command or a
rerun upstream task runs again, with everything below it. Problems in the workflow (missing or
circular needs, a task larger than the limits) are reported before anything starts.

With --executor dask the tasks run on a Dask cluster instead (the same scheduling, logs and
markers; the task directories must be on a file system the workers share), and with
--executor dask-local on a Dask cluster of --workers processes started here.

Exit codes: 0 all tasks done (also --list-tasks, --produce-script, --dry-run), 1 a task failed
or the run was interrupted (or the Dask scheduler went away: run again to resume), 2 invalid
input (bad file or flag, --rerun-from matching nothing, a task no worker can hold, a summary
or log file that cannot be written).
"""

_EPILOG = """\
examples:
  qcflow run -f workflow.json --cpu-limit 4            run everything, 4 cores
  qcflow run -f workflow.json -k --retry-on-failure 2  keep going, retry failing tasks twice
  qcflow run -f workflow.json -tt 'EMC.*' --dry-run    what would run for the EMC tasks
  qcflow run -f workflow.json --rerun-from MCH         redo MCH and everything after it
  qcflow run -f workflow.json --produce-script run.sh  a serial bash script instead
  qcflow run -f workflow.json --executor dask --scheduler-address tcp://sched:8786
                                                       on a Dask cluster (workers declare
                                                       --resources "CPU=4,MEM=16000")
  qcflow run -f workflow.json --executor dask-local --workers 2
                                                       on a local Dask cluster of 2 workers

Files: pipeline_action_<pid>.log and pipeline_metric_<pid>.log (JSON lines), summary.json.
Details and the differences from O2DPG's runner: docs/runner.md; Dask: docs/dask.md.
"""

#: O2DPG flags with no meaning here: accepted, and a warning says they do nothing.
_IGNORED_VALUE_FLAGS = ("--cgroup", "--webhook", "--checkpoint-on-failure", "--cache-policy")
_IGNORED_SWITCHES = ("--systemd-run", "--no-rootinit-speedup")


def _number(kind: str, *, integer: bool = False, minimum: float = 0.0) -> Callable[[str], Any]:
    """An argparse type: a finite number >= ``minimum`` (an int when ``integer``)."""

    def parse(text: str) -> float | int:
        try:
            value = float(text.strip())
        except ValueError:
            msg = f"expected {kind}, got {text!r}"
            raise argparse.ArgumentTypeError(msg) from None
        if not math.isfinite(value) or value < minimum or (integer and not value.is_integer()):
            msg = f"expected {kind}, got {text!r}"
            raise argparse.ArgumentTypeError(msg)
        return int(value) if integer else value

    parse.__name__ = kind
    return parse


POSITIVE = _number("a positive number", minimum=1e-12)
SECONDS = _number("a number of seconds >= 0")
COUNT = _number("an integer >= 0", integer=True)
JOBS = _number("an integer >= 1", integer=True, minimum=1)
FACTOR = _number("a factor >= 1", minimum=1)


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "run",
        help="run a workflow under cpu and memory limits",
        description=_DESCRIPTION,
        epilog=_EPILOG,
    )
    _o2dpg_flags(parser)
    _qcflow_flags(parser)
    _dask_flags(parser)
    _ignored_flags(parser)
    parser.set_defaults(handler=_run)


def _o2dpg_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("-f", "--workflowfile", required=True, help="the workflow JSON file")
    p.add_argument("-jmax", "--maxjobs", type=JOBS, default=100, help="most tasks at once (100)")
    p.add_argument("-k", "--keep-going", action="store_true", help="go on after a failure")
    p.add_argument("--dry-run", action="store_true", help="show what would run, in order")
    p.add_argument(
        "--visualize-workflow", action="store_true", help="write workflow.gv and workflow.mmd"
    )
    p.add_argument(
        "--target-labels", nargs="+", default=[], metavar="LABEL", help="tasks with a label"
    )
    p.add_argument(
        "-tt",
        "--target-tasks",
        nargs="+",
        default=["*"],
        metavar="REGEX",
        help="tasks whose name matches (and what they need)",
    )
    p.add_argument("--produce-script", metavar="FILE", help="write a serial bash script, exit")
    p.add_argument("--rerun-from", metavar="REGEX", help="redo matching tasks and descendants")
    p.add_argument("--list-tasks", action="store_true", help="list tasks and whether to do")
    p.add_argument("--update-resources", metavar="JSON", help="resource estimates to apply")
    p.add_argument("--dynamic-resources", action="store_true", help="learn from siblings")
    p.add_argument("--optimistic-resources", action="store_true", help="clamp oversized tasks")
    p.add_argument("--n-backfill", type=COUNT, default=1, metavar="N", help="backfill tasks (1)")
    p.add_argument("--mem-limit", type=POSITIVE, metavar="MB", help="default: 0.9 x RAM")
    p.add_argument("--cpu-limit", type=POSITIVE, metavar="CORES", help="default: usable cores")
    p.add_argument("--stdout-on-failure", action="store_true", help="print failing logs")
    p.add_argument(
        "--retry-on-failure", type=COUNT, default=0, metavar="N", help="retries per task (0)"
    )
    p.add_argument("--action-logfile", metavar="FILE", help="default: pipeline_action_<pid>.log")
    p.add_argument("--metric-logfile", metavar="FILE", help="default: pipeline_metric_<pid>.log")
    p.add_argument("--production-mode", action="store_true", help="archive logs in a tar")


def _qcflow_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--scheduler-policy",
        choices=("timeframe", "critical-path", "best-fit"),
        default="timeframe",
        help="order of ready tasks (best-fit: accepted, runs as timeframe)",
    )
    p.add_argument(
        "--retry-backoff", type=SECONDS, default=1.0, metavar="S", help="first retry delay (1)"
    )
    p.add_argument("--task-timeout", type=POSITIVE, metavar="S", help="kill tasks running longer")
    p.add_argument(
        "--kill-grace", type=SECONDS, default=3.0, metavar="S", help="SIGTERM->SIGKILL delay (3)"
    )
    p.add_argument(
        "--always-bash",
        action="store_true",
        help="run plain commands (`true`, `o2-qc --config x.json`) with /bin/bash -c too; "
        "by default they are started without a shell, as GNU make does (docs/runner.md)",
    )
    p.add_argument("--summary-file", metavar="FILE", help="default: summary.json")
    p.add_argument(
        "--allow-dangling",
        action="store_true",
        help="needs naming no task: skip the tasks concerned instead of refusing to start",
    )
    p.add_argument(
        "--monitor-interval", type=SECONDS, default=1.0, metavar="S", help="sampling (1; 0: off)"
    )
    p.add_argument(
        "--progress",
        choices=("auto", "rich", "plain", "none"),
        default="auto",
        help="auto: a live panel on a terminal, plain lines otherwise",
    )
    p.add_argument("--workdir", metavar="DIR", help="task cwds are relative to it (default .)")
    p.add_argument(
        "--enforce-memory",
        type=FACTOR,
        metavar="FACTOR",
        help="end a task whose process tree's PSS passes FACTOR x its memory booking "
        "(status out-of-memory); default: only a warning when a task's peak passes its booking",
    )
    p.add_argument(
        "--stimulus-log",
        metavar="FILE",
        help="debugging: record what the scheduler is fed and decides, as JSON lines, for "
        "'python -m qcflow.runner.replay FILE' to replay (default: $QCFLOW_STIMULUS_LOG; off)",
    )


def _dask_flags(p: argparse.ArgumentParser) -> None:
    group = p.add_argument_group("running on a Dask cluster (pip install 'qcflow[dask]')")
    group.add_argument(
        "--executor",
        choices=("local", "dask", "dask-local"),
        default="local",
        help="local processes (default), a Dask cluster, or a Dask cluster started here",
    )
    group.add_argument(
        "--scheduler-address", metavar="ADDR", help="the Dask scheduler, e.g. tcp://host:8786"
    )
    group.add_argument(
        "--workers",
        type=JOBS,
        metavar="N",
        help="dask-local: workers to start (default: Dask's split of the cores); "
        "dask: workers to wait for (1)",
    )
    group.add_argument(
        "--dask-timeout",
        type=POSITIVE,
        default=60.0,
        metavar="S",
        help="wait for the scheduler and workers, and for a task no worker can hold (60)",
    )


def _ignored_flags(p: argparse.ArgumentParser) -> None:
    group = p.add_argument_group("accepted for O2DPG compatibility, no effect")
    for flag in _IGNORED_VALUE_FLAGS:
        group.add_argument(flag, metavar="VALUE", help=argparse.SUPPRESS)
    for flag in _IGNORED_SWITCHES:
        group.add_argument(flag, action="store_true", help=argparse.SUPPRESS)


def _options(args: argparse.Namespace) -> Any:
    from qcflow.runner import RunOptions

    def path(value: str | None) -> Path | None:
        return None if value is None else Path(value)

    return RunOptions(
        workdir=path(args.workdir),
        max_jobs=args.maxjobs,
        keep_going=args.keep_going,
        dry_run=args.dry_run,
        target_labels=tuple(args.target_labels),
        target_tasks=tuple(args.target_tasks),
        rerun_from=args.rerun_from,
        update_resources=path(args.update_resources),
        dynamic_resources=args.dynamic_resources,
        optimistic_resources=args.optimistic_resources,
        n_backfill=args.n_backfill,
        cpu_limit=args.cpu_limit,
        mem_limit=args.mem_limit,
        stdout_on_failure=args.stdout_on_failure,
        retry_on_failure=args.retry_on_failure,
        retry_backoff=args.retry_backoff,
        task_timeout=args.task_timeout,
        kill_grace=args.kill_grace,
        always_bash=args.always_bash,
        action_logfile=path(args.action_logfile),
        metric_logfile=path(args.metric_logfile),
        summary_file=path(args.summary_file),
        production_mode=args.production_mode,
        policy="critical-path" if args.scheduler_policy == "critical-path" else "timeframe",
        allow_dangling=args.allow_dangling,
        monitor_interval=args.monitor_interval,
        progress=args.progress,
        visualize=args.visualize_workflow,
        executor=args.executor,
        scheduler_address=args.scheduler_address,
        workers=args.workers,
        dask_timeout=args.dask_timeout,
        enforce_memory=args.enforce_memory,
        stimulus_log=path(args.stimulus_log),
    )


def _warn_ignored(args: argparse.Namespace) -> None:
    for flag in (*_IGNORED_VALUE_FLAGS, *_IGNORED_SWITCHES):
        if getattr(args, flag.lstrip("-").replace("-", "_")):
            warn(f"{flag} has no effect in qcflow (accepted for O2DPG compatibility)")
    if args.scheduler_policy == "best-fit":
        warn("--scheduler-policy best-fit is not implemented: using 'timeframe'")


def _run(args: argparse.Namespace) -> int:
    from qcflow.runner import completed, prepare, run_on_cluster, run_plan
    from qcflow.runner.options import planning_options
    from qcflow.runner.script import write_script
    from qcflow.runner.summary import print_table
    from qcflow.workflow import Workflow

    _warn_ignored(args)
    options = _options(args)
    workflow = Workflow.read(args.workflowfile)
    plan = prepare(workflow, planning_options(options))
    shown = set(plan.warnings)
    for message in plan.warnings:
        warn(message)
    if args.visualize_workflow:
        _visualize(plan, completed(plan))
    if args.list_tasks:
        return _list_tasks(plan, completed(plan))
    if args.produce_script:
        write_script(plan, Path(args.produce_script))
        print(f"Script written to {args.produce_script}")
        return 0
    if not plan.tasks:
        print("Workflow is empty (or no task matches the targets): nothing to do")
        return 0
    if options.executor != "local" and not args.dry_run:

        def show_new_warnings(cluster_plan: Any) -> None:
            for message in cluster_plan.warnings:
                if message not in shown:
                    warn(message)

        result = run_on_cluster(workflow, options, show_new_warnings)
    else:
        result = run_plan(plan, options)
    if args.dry_run:
        _print_dry_run(plan, result.order)
        return 0
    print_table(result.summary)
    _name_failed_logs(result.summary)
    if result.lost:
        print(f"qcflow: error: {result.lost}; run again to resume", file=sys.stderr)
    return result.exit_code


#: Statuses of a task that ran and did not succeed: its log says why.
_FAILED = frozenset({"failed", "killed", "out-of-memory"})


def _name_failed_logs(summary: Any) -> None:
    """One line per failed task with its log, last thing printed: where to look next."""
    for row in summary["tasks"]:
        if row["status"] in _FAILED and row.get("log"):
            print(f"qcflow: task {row['name']} {row['status']}: see {row['log']}", file=sys.stderr)


def _visualize(plan: Any, done: dict[int, str]) -> None:
    from qcflow._io import atomic_write_text
    from qcflow.runner.visualize import to_dot, to_mermaid

    for name, render in (("workflow.gv", to_dot), ("workflow.mmd", to_mermaid)):
        atomic_write_text(plan.base / name, render(plan.graph, set(done)), fsync=False)
    print(f"Workflow graph written to {plan.base / 'workflow.gv'} and workflow.mmd")


def _list_tasks(plan: Any, done: dict[int, str]) -> int:
    for i, planned in enumerate(plan.tasks):
        print(f"{planned.name}  ({planned.task.labels}) ToDo: {i not in done or i in plan.rerun}")
    return 0


def _print_dry_run(plan: Any, order: list[str]) -> None:
    by_name = {t.name: t for t in plan.tasks}
    for step, name in enumerate(order, 1):
        planned = by_name[name]
        print(f"{step:>4} would run {name} in {planned.cwd}: {planned.command}")
    skipped = len(plan.tasks) - len(order)
    if skipped:
        print(f"{skipped} tasks already done (valid completion marker)", file=sys.stdout)
