"""Graph queries over a workflow's ``needs`` edges, linear in the number of tasks and edges.

Nodes are task indices (``0..n-1`` in file order, global-init task excluded); edges point from a
task to the tasks it needs. Everything here is iterative (no recursion limit at 50,000 tasks) and
tolerant: duplicate names keep the first task, dangling needs are recorded in :attr:`Graph.dangling`
and otherwise ignored, cycles are found by :meth:`Graph.cycles` rather than looping forever.

Example (``c`` needs ``a`` and ``b``, ``d`` needs ``c``)::

    a   b
     \\ /
      c
      |
      d

``topological_order()`` gives ``[a, b, c, d]``; ``descendants({a})`` is ``{c, d}``;
``ancestors({d})`` is ``{a, b, c}``; with unit weights the critical path is ``[a, c, d]``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence

from qcflow.workflow.task import WorkflowTask

__all__ = ["Graph"]


class Graph:
    """Adjacency lists of a task list; built once, queried many times."""

    def __init__(self, tasks: Sequence[WorkflowTask]) -> None:
        self.tasks = [t for t in tasks if not t.is_global_init]
        self.names = [t.name for t in self.tasks]
        self.index: dict[str, int] = {}
        for i, name in enumerate(self.names):
            self.index.setdefault(name, i)
        #: ``needs[i]``: the nodes task ``i`` needs (its parents).
        self.needs: list[list[int]] = []
        #: ``children[i]``: the nodes that need task ``i``.
        self.children: list[list[int]] = [[] for _ in self.tasks]
        #: ``(node, missing name)`` for every need that names no task.
        self.dangling: list[tuple[int, str]] = []
        index = self.index
        for i, task in enumerate(self.tasks):
            parents: list[int] = []
            seen: set[int] = set()
            for need in task.needs:
                j = index.get(need)
                if j is None:
                    self.dangling.append((i, need))
                elif j not in seen:
                    seen.add(j)
                    parents.append(j)
                    self.children[j].append(i)
            self.needs.append(parents)

    def __len__(self) -> int:
        return len(self.tasks)

    def nodes(self, names: Iterable[str]) -> set[int]:
        return {self.index[n] for n in names}

    def named(self, nodes: Iterable[int]) -> list[str]:
        return [self.names[i] for i in sorted(nodes)]

    # -- orders -------------------------------------------------------------------------------

    def topological_order(self) -> list[int]:
        """Parents before children, ties in file order (Kahn). Nodes on a cycle are left out."""
        indegree = [len(p) for p in self.needs]
        ready = deque(i for i, d in enumerate(indegree) if d == 0)
        order: list[int] = []
        children = self.children
        while ready:
            i = ready.popleft()
            order.append(i)
            for c in children[i]:
                indegree[c] -= 1
                if indegree[c] == 0:
                    ready.append(c)
        return order

    def cycles(self) -> list[list[int]]:
        """One cycle per strongly connected component that has one, as ``[a, b, …, a]``.

        Each node in a cycle needs the next one. Tarjan's algorithm, iteratively.
        """
        components = [c for c in self._strong_components() if self._is_cyclic(c)]
        return [self._cycle_in(c) for c in components]

    def _is_cyclic(self, component: list[int]) -> bool:
        return len(component) > 1 or component[0] in self.needs[component[0]]

    def _strong_components(self) -> list[list[int]]:
        n = len(self.tasks)
        index_of = [-1] * n
        low = [0] * n
        on_stack = [False] * n
        stack: list[int] = []
        components: list[list[int]] = []
        counter = 0
        for root in range(n):
            if index_of[root] != -1:
                continue
            work: list[tuple[int, int]] = [(root, 0)]
            while work:
                node, edge = work[-1]
                if edge == 0:
                    index_of[node] = low[node] = counter
                    counter += 1
                    stack.append(node)
                    on_stack[node] = True
                parents = self.needs[node]
                if edge < len(parents):
                    work[-1] = (node, edge + 1)
                    nxt = parents[edge]
                    if index_of[nxt] == -1:
                        work.append((nxt, 0))
                    elif on_stack[nxt]:
                        low[node] = min(low[node], index_of[nxt])
                    continue
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index_of[node]:
                    component: list[int] = []
                    while True:
                        member = stack.pop()
                        on_stack[member] = False
                        component.append(member)
                        if member == node:
                            break
                    components.append(component)
        return components

    def _cycle_in(self, component: list[int]) -> list[int]:
        """A shortest cycle through the component's first node (breadth-first inside it)."""
        members = set(component)
        start = min(component)
        came_from: dict[int, int] = {}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for nxt in self.needs[node]:
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [*reversed(path), start]
                if nxt in members and nxt not in came_from:
                    came_from[nxt] = node
                    queue.append(nxt)
        return [start, start]  # unreachable for a cyclic component; keeps the type total

    # -- reachability -------------------------------------------------------------------------

    def ancestors(self, nodes: Iterable[int]) -> set[int]:
        """Every node the given ones need, transitively (the nodes themselves excluded)."""
        return self._reach(nodes, self.needs)

    def descendants(self, nodes: Iterable[int]) -> set[int]:
        """Every node that needs one of the given ones, transitively (themselves excluded)."""
        return self._reach(nodes, self.children)

    @staticmethod
    def _reach(nodes: Iterable[int], edges: list[list[int]]) -> set[int]:
        start = set(nodes)
        seen: set[int] = set()
        queue = deque(start)
        while queue:
            for nxt in edges[queue.popleft()]:
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        return seen - start

    def descendant_counts(self) -> list[int]:
        """For each node, how many nodes need it transitively (O2DPG's ordering key).

        Bit sets as Python integers, one pass in reverse topological order: exact, and about
        0.1 s at 10,000 tasks. Nodes on cycles count 0.
        """
        bits = [0] * len(self.tasks)
        for node in reversed(self.topological_order()):
            acc = 0
            for c in self.children[node]:
                acc |= bits[c] | (1 << c)
            bits[node] = acc
        return [b.bit_count() for b in bits]

    # -- critical path ------------------------------------------------------------------------

    def bottom_levels(self, weights: Sequence[float] | None = None) -> list[float]:
        """Longest weighted path from each node to the end of the graph, the node included.

        ``weights`` default to each task's ``resources.walltime``, or 1 when it has none.
        """
        w = self._weights(weights)
        level = list(w)
        for node in reversed(self.topological_order()):
            below = max((level[c] for c in self.children[node]), default=0.0)
            level[node] = w[node] + below
        return level

    def critical_path(self, weights: Sequence[float] | None = None) -> list[int]:
        """The heaviest chain of needs from a first task to a last one."""
        if not self.tasks:
            return []
        level = self.bottom_levels(weights)
        order = self.topological_order()
        if not order:
            return []
        roots = [i for i in order if not self.needs[i]] or order
        node = max(roots, key=lambda i: (level[i], -i))
        path = [node]
        while self.children[node]:
            node = max(self.children[node], key=lambda c: (level[c], -c))
            path.append(node)
        return path

    def _weights(self, weights: Sequence[float] | None) -> list[float]:
        if weights is not None:
            return [float(x) for x in weights]
        return [t.resources.walltime or 1.0 for t in self.tasks]
