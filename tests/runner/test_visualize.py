"""Graph pictures as text: Graphviz DOT and Mermaid."""

from __future__ import annotations

from qcflow.runner.visualize import to_dot, to_mermaid
from qcflow.workflow import Graph, WorkflowTask

#   a ─> "b c"
GRAPH = Graph([WorkflowTask(name="a"), WorkflowTask(name='b "c"', needs=["a"])])


def test_dot_has_nodes_edges_and_done_fill():
    dot = to_dot(GRAPH, done={0})
    assert dot.startswith("digraph workflow {")
    assert 'n1 [label="b \\"c\\""];' in dot
    assert "n0 -> n1;" in dot
    assert "fillcolor" in dot.splitlines()[3]


def test_mermaid_has_nodes_edges_and_done_class():
    text = to_mermaid(GRAPH, done={0})
    assert text.splitlines()[0] == "flowchart LR"
    assert 'n1["b #quot;c#quot;"]' in text
    assert "n0 --> n1" in text
    assert "class n0 done" in text
