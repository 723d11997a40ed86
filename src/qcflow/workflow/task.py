"""The task of an O2DPG workflow: typed fields, lenient parsing, lossless JSON.

A task read from a file keeps the exact JSON it came from (``source``), so writing it back keeps
string-typed numbers (``"mem": "2000"``), key order and unknown keys; only values changed in
Python are written anew. Parsing never stops at the first bad value: each one becomes a
:class:`~qcflow.workflow.problems.Problem` and the field takes its default, so validation can
report every problem at once.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from qcflow._types import JSONObject
from qcflow.workflow.problems import Problem

__all__ = ["GLOBAL_INIT_NAME", "KNOWN_TASK_KEYS", "Resources", "WorkflowTask"]

GLOBAL_INIT_NAME = "__global_init_task__"

#: Task keys O2DPG's tools read or write, in the order ``createTask`` emits them.
KNOWN_TASK_KEYS: tuple[str, ...] = (
    "name",
    "cmd",
    "needs",
    "resources",
    "timeframe",
    "labels",
    "cwd",
    "env",
    "semaphore",
    "retry_count",
    "alternative_alienv_package",
)
_KNOWN_RESOURCE_KEYS = ("cpu", "relative_cpu", "mem", "walltime")


@dataclass(slots=True)
class Resources:
    """What a task books: ``cpu`` in cores, ``mem`` in MB, ``walltime`` in seconds (optional)."""

    cpu: float = 1.0
    relative_cpu: float | None = None
    mem: float = 500.0
    walltime: float | None = None
    extra: JSONObject = field(default_factory=dict)


@dataclass(slots=True)
class WorkflowTask:
    """One stage of a workflow. Field names follow O2DPG's JSON keys."""

    name: str
    cmd: str = ""
    needs: list[str] = field(default_factory=list)
    resources: Resources = field(default_factory=Resources)
    timeframe: int = -1
    labels: list[str] = field(default_factory=list)
    cwd: str = "./"
    env: dict[str, str] | None = None
    semaphore: str | None = None
    retry_count: int | None = None
    alternative_alienv_package: str | None = None
    #: Keys qcflow does not know, kept as they were.
    extra: JSONObject = field(default_factory=dict)
    #: The JSON object this task was read from, if any (used to write it back losslessly).
    source: JSONObject | None = field(default=None, repr=False, compare=False)

    @property
    def is_global_init(self) -> bool:
        return self.name == GLOBAL_INIT_NAME

    @property
    def log_name(self) -> str:
        """File name of the task's log inside its ``cwd``, as O2DPG names it."""
        return f"{self.name}.log"

    # -- JSON ---------------------------------------------------------------------------------

    @classmethod
    def from_dict(
        cls, data: JSONObject, where: str = "task", *, owned: bool = False
    ) -> tuple[WorkflowTask, list[Problem]]:
        """Parse one task; every bad value is a problem and falls back to its default.

        The task keeps ``data`` as its ``source``: a deep copy, unless ``owned`` says nobody
        else holds it (a freshly parsed file), which saves most of the parsing time.
        """
        parser = _TaskParser(data if owned else copy.deepcopy(data), where)
        return parser.parse(), parser.problems

    def to_dict(self) -> JSONObject:
        """The task as O2DPG JSON, reusing the source's spelling where the value is unchanged."""
        current: JSONObject = {
            "name": self.name,
            "cmd": self.cmd,
            "needs": list(self.needs),
            "resources": self._resources_dict(),
            "timeframe": self.timeframe,
            "labels": list(self.labels),
            "cwd": self.cwd,
        }
        for key in KNOWN_TASK_KEYS[7:]:
            value = getattr(self, key)
            if value is not None:
                current[key] = dict(value) if isinstance(value, dict) else value
        current.update(copy.deepcopy(self.extra))
        return _merge_with_source(current, self.source)

    def _resources_dict(self) -> JSONObject:
        res = self.resources
        out: JSONObject = {"cpu": _plain_number(res.cpu), "relative_cpu": res.relative_cpu}
        out["mem"] = _plain_number(res.mem)
        if res.walltime is not None:
            out["walltime"] = res.walltime
        out.update(copy.deepcopy(res.extra))
        source = self.source.get("resources") if self.source else None
        return _merge_with_source(out, source if isinstance(source, dict) else None)


def _plain_number(value: float) -> float | int:
    """``2000.0`` is written ``2000``, as O2DPG's generators write it."""
    return int(value) if value.is_integer() else value


def _same_value(raw: Any, value: Any) -> bool:
    if raw == value and type(raw) is type(value):
        return True
    if isinstance(value, int | float) and not isinstance(value, bool):
        parsed = _to_float(raw)
        return parsed is not None and parsed == value
    if isinstance(value, dict) and isinstance(raw, dict):
        return raw.keys() == value.keys() and all(_same_value(raw[k], value[k]) for k in raw)
    return False


def _merge_with_source(current: JSONObject, source: JSONObject | None) -> JSONObject:
    """Keep the source's key order and spelling of unchanged values; add the rest after."""
    if source is None:
        return current
    out: JSONObject = {}
    for key, raw in source.items():
        if key not in current:
            continue  # dropped in Python (e.g. a None optional): drop it in the file too
        value = current[key]
        out[key] = copy.deepcopy(raw) if _same_value(raw, value) else value
    for key, value in current.items():
        out.setdefault(key, value)
    return out


def _to_float(raw: Any) -> float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            return None
    else:
        return None
    return value if math.isfinite(value) else None


def _to_int(raw: Any) -> int | None:
    value = _to_float(raw)
    if value is None or not value.is_integer():
        return None
    return int(value)


class _TaskParser:
    """Reads one task dict, collecting a problem for every bad value."""

    def __init__(self, data: JSONObject, where: str) -> None:
        self.data = data
        self.where = where
        self.problems: list[Problem] = []
        name = data.get("name")
        self.name = name if isinstance(name, str) else None

    def error(self, key: str, message: str) -> None:
        self.problems.append(Problem("error", message, self.name, f"{self.where}.{key}"))

    def warning(self, key: str, message: str) -> None:
        self.problems.append(Problem("warning", message, self.name, f"{self.where}.{key}"))

    def parse(self) -> WorkflowTask:
        data = self.data
        if self.name is None or not self.name:
            self.error("name", f"a task needs a non-empty string 'name', got {data.get('name')!r}")
        task = WorkflowTask(name=self.name or f"<unnamed {self.where}>", source=data)
        task.cmd = self._string("cmd", "", required=True)
        task.needs = self._string_list("needs")
        task.labels = self._string_list("labels")
        task.resources = self._resources()
        task.timeframe = self._number("timeframe", -1, _to_int, "an integer")
        task.cwd = self._string("cwd", "./")
        task.env = self._env()
        task.semaphore = self._optional_string("semaphore")
        task.alternative_alienv_package = self._optional_string("alternative_alienv_package")
        if "retry_count" in data and data["retry_count"] is not None:
            count = self._number("retry_count", 0, _to_int, "a non-negative integer")
            task.retry_count = max(count, 0)
            if count < 0:
                self.error("retry_count", f"must be a non-negative integer, got {count}")
        task.extra = {k: copy.deepcopy(v) for k, v in data.items() if k not in KNOWN_TASK_KEYS}
        for key in task.extra:
            self.warning(key, f"unknown task key {key!r} (kept as it is)")
        return task

    def _string(self, key: str, default: str, *, required: bool = False) -> str:
        if key not in self.data:
            if required:
                self.error(key, f"missing key {key!r}")
            return default
        value = self.data[key]
        if isinstance(value, str):
            return value
        self.error(key, f"must be a string, got {value!r}")
        return default

    def _optional_string(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None or isinstance(value, str):
            return value
        self.error(key, f"must be a string, got {value!r}")
        return None

    def _string_list(self, key: str) -> list[str]:
        value = self.data.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(key, f"must be a list of strings, got {value!r}")
            return []
        out: list[str] = []
        for i, item in enumerate(value):
            if isinstance(item, str):
                out.append(item)
            elif item is None and key == "needs":
                continue  # O2DPG drops None needs when dumping; accept files written otherwise
            else:
                self.error(f"{key}[{i}]", f"must be a string, got {item!r}")
        return out

    def _number(
        self,
        key: str,
        default: Any,
        convert: Callable[[Any], Any],
        kind: str,
        source: JSONObject | None = None,
        location: str | None = None,
    ) -> Any:
        container = self.data if source is None else source
        if key not in container:
            return default
        value = convert(container[key])
        if value is None:
            self.error(location or key, f"must be {kind}, got {container[key]!r}")
            return default
        return value

    def _resources(self) -> Resources:
        raw = self.data.get("resources", {})
        if not isinstance(raw, dict):
            self.error("resources", f"must be an object with cpu and mem, got {raw!r}")
            return Resources()
        res = Resources()
        for key, default, label in (("cpu", 1.0, "cores"), ("mem", 500.0, "MB")):
            value = self._resource_number(raw, key, default, f"a non-negative number of {label}")
            setattr(res, key, value)
        if raw.get("relative_cpu") is not None:
            res.relative_cpu = self._resource_number(raw, "relative_cpu", None, "a positive number")
        if raw.get("walltime") is not None:
            res.walltime = self._resource_number(raw, "walltime", None, "a number of seconds")
        res.extra = {k: copy.deepcopy(v) for k, v in raw.items() if k not in _KNOWN_RESOURCE_KEYS}
        return res

    def _resource_number(self, raw: JSONObject, key: str, default: Any, kind: str) -> Any:
        location = f"resources.{key}"
        value = self._number(key, default, _to_float, kind, source=raw, location=location)
        if value is not None and value < 0:
            self.error(location, f"must be {kind}, got {raw[key]!r}")
            return default
        return value

    def _env(self) -> dict[str, str] | None:
        value = self.data.get("env")
        if value is None:
            return None
        if not isinstance(value, dict):
            self.error("env", f"must be an object of variable: value, got {value!r}")
            return None
        env: dict[str, str] = {}
        for var, val in value.items():
            if isinstance(val, str):
                env[var] = val
            elif isinstance(val, int | float) and not isinstance(val, bool):
                env[var] = str(val)
            else:
                self.error(f"env.{var}", f"must be a string, got {val!r}")
        return env
