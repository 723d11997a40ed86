"""A drop-in for O2DPG's ``o2dpg_workflow_utils``: same functions, same signatures, same JSON.

An existing generator script switches to qcflow by changing one import::

    from qcflow.workflow.o2dpg import createTask, createGlobalInitTask, dump_workflow

Tasks are plain dicts, as in O2DPG, so scripts that do ``task['cmd'] = ...`` keep working.
Differences, all on the side of a careful user:

- no shared mutable defaults: every call gets its own ``needs`` and ``labels`` lists;
- a ``'`` in a command is escaped when the taskwrapper quotes it, and whitespace inside quotes is
  kept (O2DPG breaks the first and collapses the second);
- the file is written atomically;
- ``dump_workflow(..., taskwrapper=False)`` writes plain commands, for machines without O2.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from qcflow._io import atomic_write_text
from qcflow._types import JSONObject
from qcflow.workflow.model import Workflow, json_filename
from qcflow.workflow.shell import collapse_whitespace, is_wrapped, wrap_taskwrapper
from qcflow.workflow.task import GLOBAL_INIT_NAME
from qcflow.workflow.validate import validate

__all__ = [
    "createGlobalInitTask",
    "createTask",
    "dump_workflow",
    "read_workflow",
    "relativeCPU",
]


def relativeCPU(n_rel: float, n_workers: int = 8) -> float:
    """Cores for a task asking for a fraction ``n_rel`` of ``n_workers``, as O2DPG rounds it."""
    return round(min(n_workers, n_workers * n_rel), 2)


def createTask(
    name: str = "",
    needs: Sequence[str] | None = None,
    tf: int = -1,
    cwd: str = "./",
    lab: Sequence[str] | None = None,
    cpu: float | str = 1,
    relative_cpu: float | None = None,
    mem: float | str = 500,
    n_workers: int = 8,
) -> JSONObject:
    """A task dict with O2DPG's keys in O2DPG's order; ``cmd`` is left empty for the caller."""
    if relative_cpu is not None:
        cpu = relativeCPU(relative_cpu, n_workers)
    return {
        "name": name,
        "cmd": "",
        "needs": list(needs) if needs is not None else [],
        "resources": {"cpu": cpu, "relative_cpu": relative_cpu, "mem": mem},
        "timeframe": tf,
        "labels": list(lab) if lab is not None else [],
        "cwd": cwd,
    }


def createGlobalInitTask(
    keys_values: Mapping[str, str] | None = None, set_defaults: bool = True
) -> JSONObject:
    """The ``__global_init_task__`` whose ``env`` applies to every task of the workflow."""
    task = createTask(name=GLOBAL_INIT_NAME)
    task["cmd"] = "NO-COMMAND"
    env: dict[str, str] = {}
    if set_defaults:
        env["ALICEO2_CCDB_LOCALCACHE"] = os.environ.get("ALICEO2_CCDB_LOCALCACHE", "$PWD/ccdb")
        env["IGNORE_VALIDITYCHECK_OF_CCDB_LOCALCACHE"] = '${ALICEO2_CCDB_LOCALCACHE:+"ON"}'
    if keys_values:
        env.update(keys_values)
    task["env"] = env
    return task


def prepare_stages(workflow: Sequence[Mapping[str, Any]], *, taskwrapper: bool) -> list[JSONObject]:
    """What ``dump_workflow`` writes for each task: wrapped, whitespace collapsed, no None needs."""
    stages: list[JSONObject] = []
    for original in workflow:
        task = copy.deepcopy(dict(original))
        cmd = task.get("cmd", "")
        if isinstance(cmd, str):
            wrap = taskwrapper and cmd and task.get("name") != GLOBAL_INIT_NAME
            if wrap and not is_wrapped(cmd):
                inner = collapse_whitespace(cmd, trim=False)
                task["cmd"] = wrap_taskwrapper(str(task.get("name", "")), inner)
            else:
                task["cmd"] = collapse_whitespace(cmd)
        if isinstance(task.get("needs"), list):
            task["needs"] = [n for n in task["needs"] if n is not None]
        stages.append(task)
    return stages


def dump_workflow(
    workflow: Sequence[Mapping[str, Any]],
    filename: str | os.PathLike[str],
    meta: Mapping[str, Any] | None = None,
    *,
    taskwrapper: bool = True,
) -> None:
    """Check, prepare and write ``{"stages": [...], "meta": {...}}`` to ``filename`` (+``.json``).

    Like O2DPG, problems found by the checks are printed and the file is written anyway; use
    :func:`qcflow.workflow.validate` when a problem must stop you.
    """
    stages = prepare_stages(workflow, taskwrapper=taskwrapper)
    target = json_filename(filename)
    parsed = Workflow.from_json({"stages": stages}, source=str(target))
    for problem in validate(parsed, allow_dangling=True).problems:
        print(problem)
    text = json.dumps({"stages": stages, "meta": dict(meta or {})}, indent=2) + "\n"
    atomic_write_text(target, text)
    print(f"Workflow saved at {target}")


def read_workflow(workflow_file: str | os.PathLike[str]) -> tuple[list[JSONObject], JSONObject]:
    """``(stages, meta)`` of a workflow file, as plain dicts."""
    workflow = Workflow.read(workflow_file)
    return [t.to_dict() for t in workflow.tasks], workflow.meta
