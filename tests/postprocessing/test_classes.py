"""The class registry: O2 names, plugins, python: names, clear errors."""

from __future__ import annotations

import pytest

from qcflow.errors import InvalidInput
from qcflow.postprocessing.config import classes
from qcflow.postprocessing.config.classes import ClassRegistry
from qcflow.postprocessing.engine.task import Task
from qcflow.postprocessing.reduction.reductors import Reductor, TH1Reductor


class Custom(Task):
    pass


class Counter(Reductor):
    fields = {"n": "f8"}  # noqa: RUF012 -- a class-level declaration, as reductors do


def test_builtins_resolve_lazily() -> None:
    registry = ClassRegistry()
    cls = registry.resolve("reductor", "o2::quality_control_modules::common::TH1Reductor")
    assert cls is TH1Reductor
    task = registry.resolve("task", "o2::quality_control::postprocessing::TrendingTask")
    assert task.__name__ == "TrendingTask"


def test_unknown_names_list_the_known_ones_of_that_kind() -> None:
    registry = ClassRegistry()
    with pytest.raises(InvalidInput) as caught:
        registry.resolve("reductor", "o2::quality_control_modules::common::TH1Reductr", "here")
    message = str(caught.value)
    assert message.startswith("here: unknown reductor class")
    assert "(did you mean 'o2::quality_control_modules::common::TH1Reductor'?)" in message
    assert "QualityReductor" in message
    assert "TrendingTask" not in message


def test_a_name_of_another_kind_is_refused() -> None:
    with pytest.raises(InvalidInput, match="is a task, not a reductor"):
        ClassRegistry().resolve("reductor", "o2::quality_control::postprocessing::TrendingTask")


def test_register_and_python_names() -> None:
    registry = ClassRegistry()
    registry.decorator("task", "mylab::Custom")(Custom)
    registry.add("reductor", "mylab::Counter", Counter)
    assert registry.resolve("task", "mylab::Custom") is Custom
    assert "mylab::Counter" in registry.known("reductor")
    assert registry.resolve("reductor", f"python:{__name__}:Counter") is Counter
    with pytest.raises(InvalidInput, match="has no 'Nope'"):
        registry.resolve("task", f"python:{__name__}:Nope")
    with pytest.raises(InvalidInput, match="cannot import 'no_such_module'"):
        registry.resolve("task", "python:no_such_module:X")
    with pytest.raises(InvalidInput, match="its 'kind' attribute is not 'task'"):
        registry.add("task", "bad", Counter)


def test_entry_points_are_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib.metadata import EntryPoint

    points = [
        EntryPoint("mylab::Plugin", f"{__name__}:Custom", classes.ENTRY_POINT_GROUP),
        EntryPoint("mylab::Broken", "no_such_module:X", classes.ENTRY_POINT_GROUP),
    ]
    monkeypatch.setattr(classes, "_entry_points", lambda: points)
    registry = ClassRegistry()
    assert registry.resolve("task", "mylab::Plugin") is Custom
    assert "mylab::Plugin" in registry.known("task")
    with pytest.raises(InvalidInput, match=r"plugin 'mylab::Broken'.*failed to load"):
        registry.resolve("task", "mylab::Broken")
