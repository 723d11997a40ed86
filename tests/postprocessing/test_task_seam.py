"""The typed task seam: a ``Task[X]`` gets the options its ``parse_options`` read, typed, from
the base class; a class of kind ``task`` that is no Task is one line of bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from qcflow.errors import InvalidInput
from qcflow.postprocessing import REGISTRY, Services, Task, TaskConfig, Trigger
from qcflow.postprocessing.config.values import Node
from qcflow.postprocessing.engine.engine import Engine, EngineOptions

from ._configs import parsed, with_tasks

SEEN: dict[str, object] = {}


@dataclass(frozen=True)
class Limits:
    limit: int
    names: tuple[str, ...]


class Limited(Task[Limits]):
    """Reads ``limit`` and ``names``; records the options it finds when it runs."""

    @classmethod
    def parse_options(cls, node: Node, config: TaskConfig[None]) -> Limits:
        assert config.options is None  # not read yet
        return Limits(node.integer("limit", 10), tuple(node.strings("names")))

    @classmethod
    def reads(cls, config: TaskConfig[Limits]) -> list[tuple[str, str]]:
        return [(f"{config.path}.names[{i}]", n) for i, n in enumerate(config.options.names)]

    def initialize(self, trigger: Trigger, services: Services) -> None:
        SEEN["options"] = self.options
        SEEN["config.options"] = self.config.options


class NotATask:
    """Declares the kind but implements nothing of a task."""

    kind = "task"

    @classmethod
    def parse_options(cls, node: Node, config: TaskConfig[None]) -> None:
        return None

    @classmethod
    def reads(cls, config: TaskConfig[None]) -> list[tuple[str, str]]:
        return []


REGISTRY.add("task", "test::Limited", Limited)
REGISTRY.add("task", "test::NotATask", NotATask)


def task(class_name: str, **extra: object) -> dict[str, object]:
    return {
        "className": class_name,
        "moduleName": "m",
        "detectorName": "TST",
        "initTrigger": ["userorcontrol"],
        "updateTrigger": ["once"],
        "stopTrigger": ["userorcontrol"],
        **extra,
    }


def test_the_base_class_hands_a_typed_task_its_options(tmp_path: Path) -> None:
    config = parsed(
        with_tasks(
            {"L": task("test::Limited", limit="3", names=["GLO/MO/a"])}, host=str(tmp_path / "qcdb")
        )
    )
    assert config.diagnostics.errors == []
    assert config.tasks["L"].options == Limits(3, ("GLO/MO/a",))
    assert config.tasks["L"].task_class is Limited
    SEEN.clear()
    Engine(config, EngineOptions(parallel=False, extensions=False)).run()
    assert SEEN == {"options": Limits(3, ("GLO/MO/a",)), "config.options": Limits(3, ("GLO/MO/a",))}


def test_a_task_without_keys_of_its_own_has_none() -> None:
    config = parsed(with_tasks({"T": task("python:qcflow.postprocessing:Task")}))
    assert config.diagnostics.errors == []
    assert config.tasks["T"].options is None


def test_a_class_of_kind_task_that_is_no_task_is_bad_input(tmp_path: Path) -> None:
    config = parsed(with_tasks({"N": task("test::NotATask")}, host=str(tmp_path / "qcdb")))
    with pytest.raises(InvalidInput) as caught:
        Engine(config, EngineOptions(parallel=False, extensions=False)).run()
    assert str(caught.value) == (
        "qc.postprocessing.N.className: 'test::NotATask' is not a qcflow.postprocessing.Task"
    )


def test_a_cli_run_of_such_a_class_says_so_in_one_line(tmp_path: Path) -> None:
    tree = with_tasks(
        {"N": task("python:tests.postprocessing.test_task_seam:NotATask")},
        host=str(tmp_path / "qcdb"),
    )
    path = tmp_path / "qc.json"
    path.write_text(json.dumps(tree))
    done = subprocess.run(
        [sys.executable, "-m", "qcflow", "qc", "--config", f"json://{path}", "--no-IPC"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "is not a qcflow.postprocessing.Task" in done.stderr
    assert "Traceback" not in done.stderr
