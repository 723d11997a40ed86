"""Resource estimates learned from earlier runs (``--update-resources``) or from siblings
finished in this run (``--dynamic-resources``).

``--update-resources FILE`` reads either

- O2DPG's format, ``{"<name>": {"cpu": cores, "mem": MB, "walltime": s}, ...}``, where a task of
  timeframe >= 1 is looked up without its ``_<tf>`` suffix (``tpcdigi_3`` -> ``tpcdigi``) and a
  task with ``relative_cpu`` gets ``cpu * relative_cpu`` (O2DPG's rules); an exact name wins; or
- a qcflow ``summary.json`` of an earlier run, whose measured peak PSS, mean CPU and duration are
  used (``mem <- pss max``, ``cpu <- cpu mean``, ``walltime <- duration``, O2DPG's choice).

``--dynamic-resources``: tasks named ``<group>_<int>`` are siblings; when one finishes, the
largest peak PSS and mean CPU measured so far in its group become the booking of the siblings
that have not started yet.
"""

from __future__ import annotations

import json
import math
import re
import reprlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qcflow.errors import InvalidInput
from qcflow.workflow import WorkflowTask

__all__ = ["Estimate", "SiblingLearner", "group_of", "lookup", "read_estimates"]

_SUFFIX = re.compile(r"^(?P<group>.+)_(?P<n>\d+)$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Estimate:
    cpu: float | None = None
    mem: float | None = None
    walltime: float | None = None


def group_of(name: str) -> str | None:
    """``tpcdigi`` for ``tpcdigi_3``; ``None`` when the name has no ``_<int>`` suffix."""
    match = _SUFFIX.match(name)
    return match.group("group") if match else None


def read_estimates(path: Path) -> dict[str, Estimate]:
    """Name -> estimate from an O2DPG resource file or a qcflow summary."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        msg = f"--update-resources: cannot read {path}: {err.strerror or err}"
        raise InvalidInput(msg) from err
    except ValueError as err:
        msg = f"--update-resources: {path} is not valid JSON: {err}"
        raise InvalidInput(msg) from err
    if isinstance(data, dict) and isinstance(data.get("tasks"), list):
        return _from_summary(data["tasks"], path)
    if not isinstance(data, dict):
        msg = f"--update-resources: {path} must hold an object of task name -> resources"
        raise InvalidInput(msg)
    # A task name with a line break or another control character is shown quoted: one line.
    return {
        str(name): _estimate(value, f"{path}: {name if name.isprintable() else repr(name)}")
        for name, value in data.items()
    }


def _number(value: Any, where: str) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError) as err:
        msg = f"--update-resources: {where}: expected a number, got {reprlib.repr(value)}"
        raise InvalidInput(msg) from err
    if not math.isfinite(number) or number < 0:
        shown = reprlib.repr(value)
        msg = f"--update-resources: {where}: expected a non-negative number, got {shown}"
        raise InvalidInput(msg)
    return number


def _estimate(value: Any, where: str) -> Estimate:
    if not isinstance(value, dict):
        shown = reprlib.repr(value)
        msg = f"--update-resources: {where}: expected an object with cpu/mem, got {shown}"
        raise InvalidInput(msg)
    return Estimate(
        cpu=_number(value.get("cpu"), f"{where}.cpu"),
        mem=_number(value.get("mem"), f"{where}.mem"),
        walltime=_number(value.get("walltime"), f"{where}.walltime"),
    )


def _from_summary(rows: list[Any], path: Path) -> dict[str, Estimate]:
    out = {}
    for n, row in enumerate(rows):
        if not isinstance(row, dict) or row.get("status") != "done":
            continue
        where = f"{path}: tasks[{n}]"
        if not isinstance(row.get("name"), str):
            msg = f"--update-resources: {where}: a task without a name"
            raise InvalidInput(msg)
        cpu = _number(row.get("cpu_mean_percent"), f"{where}.cpu_mean_percent")
        out[row["name"]] = Estimate(
            cpu=None if cpu is None else round(cpu / 100, 3),
            mem=_number(row.get("peak_pss_mb"), f"{where}.peak_pss_mb"),
            walltime=_number(row.get("duration"), f"{where}.duration"),
        )
    return out


def lookup(estimates: Mapping[str, Estimate], task: WorkflowTask) -> Estimate | None:
    """The estimate for ``task`` under O2DPG's naming rules, with relative CPU applied."""
    found = estimates.get(task.name)
    if found is None and task.timeframe >= 1:
        group = group_of(task.name)
        found = estimates.get(group) if group else None
    if found is None:
        return None
    rel = task.resources.relative_cpu
    if found.cpu is not None and rel is not None:
        return Estimate(found.cpu * rel, found.mem, found.walltime)
    return found


class SiblingLearner:
    """Largest measured cpu and memory per ``_<int>`` group (``--dynamic-resources``)."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = {}
        self.mem: dict[str, float] = {}

    def learn(self, name: str, cpu_cores: float | None, pss_mb: float | None) -> str | None:
        """Record a finished task's measurements; return its group if something was learned."""
        group = group_of(name)
        if group is None or (cpu_cores is None and pss_mb is None):
            return None
        if cpu_cores is not None:
            self.cpu[group] = max(self.cpu.get(group, 0.0), cpu_cores)
        if pss_mb is not None:
            self.mem[group] = max(self.mem.get(group, 0.0), pss_mb)
        return group
