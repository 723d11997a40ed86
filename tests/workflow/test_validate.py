"""Validation reports every problem at once (qcflow.workflow.validate)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qcflow.errors import WorkflowInvalid
from qcflow.workflow import Workflow, WorkflowTask, validate


def wf(*tasks: WorkflowTask) -> Workflow:
    return Workflow(list(tasks))


def test_valid_workflow_has_no_problem() -> None:
    report = validate(wf(WorkflowTask("a", "true"), WorkflowTask("b", "true", needs=["a"])))
    assert report.ok
    assert report.problems == []


def test_all_problems_at_once() -> None:
    r"""
    a <- b <- c <- a   (cycle)      d needs ghost (dangling)      e twice (duplicate)
    """
    workflow = Workflow.from_json(
        {
            "stages": [
                {"name": "a", "cmd": "x", "needs": ["c"]},
                {"name": "b", "cmd": "x", "needs": ["a"]},
                {"name": "c", "cmd": "x", "needs": ["b"]},
                {"name": "d", "cmd": "x", "needs": ["ghost"]},
                {"name": "e", "cmd": "x"},
                {"name": "e", "cmd": "x", "resources": {"mem": "lots"}},
                {"name": "f", "cmd": "x", "color": "red"},
            ]
        }
    )
    report = validate(workflow)
    errors = [str(p) for p in report.errors]
    assert any("dependency cycle: a -> c -> b -> a" in e for e in errors), errors
    assert any("task 'd'" in e and "'ghost'" in e for e in errors)
    assert any(
        "task 'e'" in e and "duplicate task name (first defined at stages[4])" in e for e in errors
    )
    assert any("resources.mem" in e and "'lots'" in e for e in errors)
    assert [str(p) for p in report.warnings] == [
        "warning: task 'f' (stages[6].color): unknown task key 'color' (kept as it is)"
    ]
    assert [p.detail for p in report.warnings] == [
        "task 'f' (stages[6].color): unknown task key 'color' (kept as it is)"
    ]
    with pytest.raises(WorkflowInvalid) as info:
        report.raise_for_errors("wf.json")
    assert "wf.json: 5 problems found" in str(info.value)


def test_dangling_needs_can_be_tolerated() -> None:
    report = validate(wf(WorkflowTask("a", "x", needs=["later"])), allow_dangling=True)
    assert report.ok
    assert "might be added later" in str(report.warnings[0])


def test_self_need_and_two_node_cycle() -> None:
    report = validate(
        wf(
            WorkflowTask("a", "x", needs=["a"]),
            WorkflowTask("b", "x", needs=["c"]),
            WorkflowTask("c", "x", needs=["b"]),
        )
    )
    messages = sorted(str(p) for p in report.errors)
    assert messages == [
        "error: task 'a': needs itself",
        "error: task 'b': dependency cycle: b -> c -> b (each task needs the next)",
    ]


def test_global_init_rules() -> None:
    init = {"name": "__global_init_task__", "cmd": "NO-COMMAND", "env": {"A": "1"}}
    late = Workflow.from_json({"stages": [{"name": "a", "cmd": "x"}, init]})
    assert late.global_env() == {"A": "1"}
    report = validate(late)
    assert report.ok
    assert "not at index 0" in str(report.warnings[0])
    twice = Workflow.from_json({"stages": [init, init]})
    assert "a second global-init task" in str(validate(twice).errors[0])


def test_slash_in_name_is_an_error() -> None:
    assert "cannot contain '/'" in str(validate(wf(WorkflowTask("a/b", "x"))).errors[0])


@st.composite
def dags(draw: st.DrawFn) -> list[WorkflowTask]:
    n = draw(st.integers(1, 30))
    tasks = []
    for i in range(n):
        needs = draw(st.sets(st.integers(0, i - 1), max_size=3)) if i else set()
        tasks.append(WorkflowTask(f"t{i}", "true", needs=[f"t{j}" for j in sorted(needs)]))
    return draw(st.permutations(tasks))


@given(dags())
def test_random_dags_are_valid(tasks: list[WorkflowTask]) -> None:
    assert validate(Workflow(list(tasks))).ok


@settings(max_examples=50)
@given(dags(), st.data())
def test_an_added_back_edge_is_always_reported_as_a_cycle(
    tasks: list[WorkflowTask], data: st.DataObject
) -> None:
    order = sorted(tasks, key=lambda t: int(t.name[1:]))
    late = data.draw(st.integers(0, len(order) - 1))
    early = data.draw(st.integers(0, late))
    # make `early` need `late`: with a chain from late back to early that closes a cycle
    chain_tasks = [WorkflowTask(t.name, t.cmd, list(t.needs)) for t in order]
    for i in range(early + 1, late + 1):
        chain_tasks[i].needs.append(chain_tasks[i - 1].name)
    chain_tasks[early].needs.append(chain_tasks[late].name)
    report = validate(Workflow(chain_tasks))
    cycles = [p for p in report.errors if "cycle" in p.message or "needs itself" in p.message]
    assert cycles
