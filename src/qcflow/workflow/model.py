"""A whole O2DPG workflow: its tasks, its ``meta`` and the global-init environment; file I/O.

The file format is O2DPG's: ``{"stages": [task, ...], "meta": {...}}`` (no version field).
Reading collects every problem it meets (see :mod:`qcflow.workflow.validate` for the graph checks)
and raises only when the file is not a workflow at all. Writing is atomic.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from qcflow._io import atomic_write_text
from qcflow._types import JSONObject
from qcflow.errors import InvalidInput
from qcflow.workflow.problems import Problem
from qcflow.workflow.task import WorkflowTask

__all__ = ["Workflow", "json_filename"]


def json_filename(path: str | os.PathLike[str]) -> Path:
    """``path`` with ``.json`` appended when it does not end with it (O2DPG's rule)."""
    text = os.fspath(path)
    return Path(text if text.endswith(".json") else f"{text}.json")


@dataclass
class Workflow:
    """Tasks in file order plus ``meta``; ``parse_problems`` holds what reading found."""

    tasks: list[WorkflowTask] = field(default_factory=list)
    meta: JSONObject = field(default_factory=dict)
    parse_problems: list[Problem] = field(default_factory=list)
    source: str = "<workflow>"

    def __iter__(self) -> Iterator[WorkflowTask]:
        return iter(self.tasks)

    def __len__(self) -> int:
        return len(self.tasks)

    @property
    def global_init(self) -> WorkflowTask | None:
        """The ``__global_init_task__`` (qcflow honours it at any position; O2DPG at index 0)."""
        return next((t for t in self.tasks if t.is_global_init), None)

    @property
    def stages(self) -> list[WorkflowTask]:
        """The tasks to run: every task but the global-init one."""
        return [t for t in self.tasks if not t.is_global_init]

    def global_env(self) -> dict[str, str]:
        init = self.global_init
        return dict(init.env or {}) if init is not None else {}

    def task(self, name: str) -> WorkflowTask:
        for t in self.tasks:
            if t.name == name:
                return t
        msg = f"no task named {name!r} in {self.source}"
        raise KeyError(msg)

    # -- JSON ---------------------------------------------------------------------------------

    @classmethod
    def from_json(
        cls, data: object, source: str = "<workflow>", *, owned: bool = False
    ) -> Workflow:
        """Build a workflow from parsed JSON; raise :class:`InvalidInput` if it is not one.

        ``owned``: the caller gives ``data`` away (it is not copied; see
        :meth:`WorkflowTask.from_dict`).
        """
        stages: object
        meta: object
        if isinstance(data, list):
            stages, meta = data, {}  # a bare list of stages, as some old scripts wrote
        elif isinstance(data, dict) and "stages" in data:
            stages, meta = data["stages"], data.get("meta", {})
            meta = {} if meta is None else meta
        else:
            msg = f"{source}: not an O2DPG workflow (expected an object with a 'stages' list)"
            raise InvalidInput(msg)
        if not isinstance(stages, list):
            msg = f"{source}: 'stages' must be a list, got {type(stages).__name__}"
            raise InvalidInput(msg)
        if not isinstance(meta, dict):
            msg = f"{source}: 'meta' must be an object, got {type(meta).__name__}"
            raise InvalidInput(msg)
        wf = cls(meta=dict(meta), source=source)
        for i, raw in enumerate(stages):
            where = f"stages[{i}]"
            if not isinstance(raw, dict):
                wf.parse_problems.append(
                    Problem("error", f"a task must be an object, got {raw!r}", where=where)
                )
                continue
            task, problems = WorkflowTask.from_dict(raw, where, owned=owned)
            wf.tasks.append(task)
            wf.parse_problems.extend(problems)
        return wf

    def to_json(self) -> JSONObject:
        return {"stages": [t.to_dict() for t in self.tasks], "meta": self.meta}

    def dumps(self) -> str:
        """The file's text: O2DPG's layout (``indent=2``) and a final newline."""
        return json.dumps(self.to_json(), indent=2) + "\n"

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> Workflow:
        """Read a workflow file; a missing, unreadable or non-JSON file is :class:`InvalidInput`."""
        file = Path(path)
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as err:
            msg = f"cannot read workflow file {file}: {err.strerror or err}"
            raise InvalidInput(msg) from err
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            msg = f"{file}: not valid JSON: {err.msg} at line {err.lineno} column {err.colno}"
            raise InvalidInput(msg) from err
        return cls.from_json(data, source=str(file), owned=True)

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write atomically to ``path`` (``.json`` appended if missing); return the file written."""
        target = json_filename(path)
        return atomic_write_text(target, self.dumps())

    def names(self) -> list[str]:
        return [t.name for t in self.tasks]
