"""``--visualize-workflow``: the task graph as Graphviz DOT and as Mermaid text.

Both are plain text (no Graphviz needed to write them): render DOT with ``dot -Tsvg workflow.gv``,
paste Mermaid into any Markdown viewer that supports it. Nodes are labelled with the task name;
tasks already done are drawn filled, so a resumed run shows what is left.
"""

from __future__ import annotations

import json

from qcflow.workflow import Graph

__all__ = ["to_dot", "to_mermaid"]


def _quote(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid DOT quoted string


def to_dot(graph: Graph, done: set[int] | None = None) -> str:
    done = done or set()
    lines = ["digraph workflow {", "  rankdir=LR;", "  node [shape=box, style=rounded];"]
    for i, name in enumerate(graph.names):
        fill = ', style="rounded,filled", fillcolor="#c8e6c9"' if i in done else ""
        lines.append(f"  n{i} [label={_quote(name)}{fill}];")
    lines += [f"  n{p} -> n{i};" for i in range(len(graph)) for p in graph.needs[i]]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_label(text: str) -> str:
    return '"' + text.replace('"', "#quot;") + '"'


def to_mermaid(graph: Graph, done: set[int] | None = None) -> str:
    done = done or set()
    lines = ["flowchart LR"]
    lines += [f"  n{i}[{_mermaid_label(name)}]" for i, name in enumerate(graph.names)]
    lines += [f"  n{p} --> n{i}" for i in range(len(graph)) for p in graph.needs[i]]
    if done:
        lines.append("  classDef done fill:#c8e6c9")
        lines.append("  class " + ",".join(f"n{i}" for i in sorted(done)) + " done")
    return "\n".join(lines) + "\n"
