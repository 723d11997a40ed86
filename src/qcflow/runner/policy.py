"""Scheduling policies: the order in which ready tasks are offered the free resources.

A policy turns a graph into one sort key per task; the scheduler starts the ready task with the
smallest key that fits (and then the next, so a large task never blocks smaller ones behind it).

- ``timeframe`` (O2DPG's): ``(timeframe, -descendants, index)``: finish early timeframes first,
  and within one prefer tasks many others wait on.
- ``critical-path``: ``(-bottom_level, timeframe, index)``: prefer the task with the longest chain
  of work below it (weighted by ``resources.walltime``, 1 s when unknown), which shortens the
  makespan when a few long chains dominate.

The file index ends every key, so equal keys keep file order and runs are reproducible.
"""

from __future__ import annotations

from typing import Literal, TypeAlias

from qcflow.workflow import Graph

__all__ = ["POLICIES", "Policy", "SortKey", "priority_keys"]

Policy = Literal["timeframe", "critical-path"]
POLICIES: tuple[Policy, ...] = ("timeframe", "critical-path")
SortKey: TypeAlias = tuple[float, float, int]


def priority_keys(graph: Graph, policy: Policy = "timeframe") -> list[SortKey]:
    """One sort key per node of ``graph``; smaller runs first."""
    frames = [t.timeframe for t in graph.tasks]
    if policy == "timeframe":
        counts = graph.descendant_counts()
        return [(frames[i], -counts[i], i) for i in range(len(graph))]
    levels = graph.bottom_levels()
    return [(-levels[i], frames[i], i) for i in range(len(graph))]
