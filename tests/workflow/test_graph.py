"""Graph queries (qcflow.workflow.graph)."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from qcflow.workflow import Graph, Resources, WorkflowTask


def diamond() -> Graph:
    r"""
    a   b
     \ /
      c
      |
      d
    """
    return Graph(
        [
            WorkflowTask("a"),
            WorkflowTask("b"),
            WorkflowTask("c", needs=["a", "b"]),
            WorkflowTask("d", needs=["c"]),
        ]
    )


def test_docstring_example() -> None:
    g = diamond()
    assert g.named(g.topological_order()) == ["a", "b", "c", "d"]
    assert g.topological_order() == [0, 1, 2, 3]
    assert g.named(g.descendants({0})) == ["c", "d"]
    assert g.named(g.ancestors({3})) == ["a", "b", "c"]
    assert [g.names[i] for i in g.critical_path()] == ["a", "c", "d"]
    assert g.descendant_counts() == [2, 2, 1, 0]


def test_critical_path_uses_walltime() -> None:
    slow = WorkflowTask("b", resources=Resources(walltime=100.0))
    g = Graph(
        [
            WorkflowTask("a"),
            slow,
            WorkflowTask("c", needs=["a", "b"]),
            WorkflowTask("d", needs=["c"]),
        ]
    )
    assert [g.names[i] for i in g.critical_path()] == ["b", "c", "d"]
    assert g.bottom_levels() == [3.0, 102.0, 2.0, 1.0]


def test_duplicates_and_dangling_are_tolerated() -> None:
    g = Graph(
        [
            WorkflowTask("a"),
            WorkflowTask("a", needs=["zz"]),
            WorkflowTask("b", needs=["a", "a", "ghost"]),
        ]
    )
    assert g.index["a"] == 0
    assert g.dangling == [(1, "zz"), (2, "ghost")]
    assert g.needs[2] == [0]


def test_cycle_nodes_are_left_out_of_the_order() -> None:
    g = Graph([WorkflowTask("a", needs=["b"]), WorkflowTask("b", needs=["a"]), WorkflowTask("c")])
    assert g.named(g.topological_order()) == ["c"]
    assert [[g.names[i] for i in c] for c in g.cycles()] == [["a", "b", "a"]]


@st.composite
def dags(draw: st.DrawFn) -> list[WorkflowTask]:
    n = draw(st.integers(1, 25))
    return [
        WorkflowTask(
            f"t{i}",
            needs=[f"t{j}" for j in draw(st.sets(st.integers(0, i - 1), max_size=3))] if i else [],
        )
        for i in range(n)
    ]


def brute_descendants(tasks: list[WorkflowTask], name: str) -> set[str]:
    found: set[str] = set()
    frontier = {name}
    while frontier:
        frontier = {t.name for t in tasks if set(t.needs) & frontier} - found
        found |= frontier
    return found


@given(dags(), st.randoms())
def test_queries_agree_with_brute_force(tasks: list[WorkflowTask], rnd: object) -> None:
    shuffled = list(tasks)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    g = Graph(shuffled)
    order = g.topological_order()
    assert sorted(order) == list(range(len(g)))
    position = {node: i for i, node in enumerate(order)}
    for node in range(len(g)):
        assert all(position[p] < position[node] for p in g.needs[node])
        expected = brute_descendants(shuffled, g.names[node])
        assert set(g.named(g.descendants({node}))) == expected
        assert g.descendant_counts()[node] == len(expected)
    # the critical path is a chain of needs and no chain is longer
    path = g.critical_path()
    assert all(a in g.needs[b] for a, b in itertools.pairwise(path))
    assert len(path) == max(g.bottom_levels())


def test_fifty_thousand_tasks_layered() -> None:
    """Linear-time queries: this completes quickly (timing is checked by bench/workflow.py)."""
    width, layers = 100, 500
    tasks = []
    for layer in range(layers):
        for k in range(width):
            needs = [f"{layer - 1}_{(k + d) % width}" for d in (0, 1)] if layer else []
            tasks.append(WorkflowTask(f"{layer}_{k}", needs=needs))
    g = Graph(tasks)
    assert len(g.topological_order()) == 50_000
    assert g.cycles() == []
    assert len(g.critical_path()) == layers
    assert len(g.ancestors({len(g) - 1})) == sum(min(width, 1 + i) for i in range(1, layers))
