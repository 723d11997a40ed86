"""``--produce-script``: a bash script that runs the workflow's tasks one after the other.

The script does what the runner does for each task, serially, in an order the runner could take
(topological, the policy breaking ties): it creates the task's ``cwd``, exports the global-init and
task environment (values using the shell are expanded by bash there, as in the runner), runs the
command with ``/bin/bash -c`` and sends its output to ``<cwd>/<name>.log``. It stops at the first
task that fails, naming it. A taskwrapper'd command is decided when the script runs: as is when
``O2_ROOT`` is set, its inner command otherwise. The script reads and writes no completion
markers: it always runs every task it contains. Each task gets ``QCFLOW_TASK_NOTES`` as from the
runner (``<cwd>/<name>.notes``, removed first); nobody reads the notes back.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path

from qcflow._io import atomic_write_text
from qcflow.runner.notes import NOTES_ENV, NOTES_SUFFIX
from qcflow.runner.plan import Plan, PlannedTask
from qcflow.runner.policy import SortKey
from qcflow.workflow.shell import is_wrapped, unwrap_taskwrapper

__all__ = ["render_script", "write_script"]

_HEADER = """\
#!/usr/bin/env bash
# Runs the tasks of {source} one after the other (written by qcflow run --produce-script).
# Task directories are relative to QCFLOW_BASE (default: the directory the script is run from).
set -u
QCFLOW_BASE="${{QCFLOW_BASE:-$PWD}}"
qcflow_failed() {{ echo "task $1 failed (exit code $2): see its log in $3" >&2; exit 1; }}
"""


def render_script(plan: Plan) -> str:
    """The script's text."""
    order = sorted(plan.graph.topological_order(), key=_depth_then_key(plan))
    parts = [_HEADER.format(source=plan.source)]
    parts += [_task_block(plan.tasks[i]) for i in order]
    parts.append(f'echo "all {len(order)} tasks done"\n')
    return "".join(parts)


def write_script(plan: Plan, path: Path) -> None:
    """Write the script atomically and make it executable."""
    atomic_write_text(path, render_script(plan), fsync=False)
    path.chmod(0o755)


def _depth_then_key(plan: Plan) -> Callable[[int], tuple[int, SortKey]]:
    depth = [0] * len(plan.tasks)
    for i in plan.graph.topological_order():
        depth[i] = max((depth[p] + 1 for p in plan.graph.needs[i]), default=0)
    return lambda i: (depth[i], plan.keys[i])


def _task_block(planned: PlannedTask) -> str:
    task = planned.task
    cwd = f'"$QCFLOW_BASE"/{shlex.quote(task.cwd)}'
    lines = [f"# --- {task.name}", "(", f"  mkdir -p {cwd} && cd {cwd} || exit 1"]
    lines += [f"  export {k}={shlex.quote(v)}" for k, v in planned.env.items()]
    lines += [f"  {line}" for line in planned.exports.splitlines()]
    notes = shlex.quote(f"{task.name}{NOTES_SUFFIX}")
    lines.append(f'  export {NOTES_ENV}="$PWD"/{notes}; rm -f "${NOTES_ENV}"')
    lines.append(f"  {_run_line(task.name, task.cmd)}")
    lines.append(f") || qcflow_failed {shlex.quote(task.name)} $? {cwd}")
    return "\n".join(lines) + "\n"


def _run_line(name: str, raw: str) -> str:
    """Run the command with output to its log; a taskwrapper'd one is decided at run time."""
    log = shlex.quote(f"{name}.log")
    inner = unwrap_taskwrapper(raw) if is_wrapped(raw) else None
    if inner is None:
        return f"exec /bin/bash -c {shlex.quote(raw)} > {log} 2>&1"
    # The taskwrapper writes <name>.log itself: the shell's own output goes next to it.
    as_is = f"exec /bin/bash -c {shlex.quote(raw)} > {shlex.quote(f'{name}.wrapper.log')} 2>&1"
    unwrapped = f"exec /bin/bash -c {shlex.quote(inner)} > {log} 2>&1"
    return f'if [ -n "${{O2_ROOT:-}}" ]; then {as_is}; else {unwrapped}; fi'
