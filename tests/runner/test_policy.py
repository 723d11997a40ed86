"""Ordering keys of the two policies."""

from __future__ import annotations

from qcflow.runner.policy import priority_keys
from qcflow.workflow import Graph, Resources, WorkflowTask


def test_timeframe_policy_orders_by_timeframe_then_descendants():
    """
    a(tf 1) ─> b(tf 1) ─> c(tf 1)        d(tf -1)     e(tf 1)
    """
    graph = Graph(
        [
            WorkflowTask("a", timeframe=1),
            WorkflowTask("b", needs=["a"], timeframe=1),
            WorkflowTask("c", needs=["b"], timeframe=1),
            WorkflowTask("d", timeframe=-1),
            WorkflowTask("e", timeframe=1),
        ]
    )
    keys = priority_keys(graph, "timeframe")
    order = sorted(range(5), key=keys.__getitem__)
    assert [graph.names[i] for i in order] == ["d", "a", "b", "c", "e"]


def test_critical_path_prefers_the_longest_remaining_chain():
    """
    short(10 s)      long1(1 s) ─> long2(1 s) ─> long3(20 s)
    """
    graph = Graph(
        [
            WorkflowTask("short", resources=Resources(walltime=10)),
            WorkflowTask("long1", resources=Resources(walltime=1)),
            WorkflowTask("long2", needs=["long1"], resources=Resources(walltime=1)),
            WorkflowTask("long3", needs=["long2"], resources=Resources(walltime=20)),
        ]
    )
    keys = priority_keys(graph, "critical-path")
    assert keys[1] < keys[0]  # long1 heads 22 s of work, short only 10 s
    assert keys[1][0] == -22
