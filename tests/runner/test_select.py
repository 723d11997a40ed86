"""Target selection and --rerun-from, on example graphs and on random ones."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qcflow.errors import InvalidInput
from qcflow.runner.select import rerun_from, select_targets
from qcflow.workflow import Graph, WorkflowTask


def graph_of(spec):
    return Graph(
        [WorkflowTask(name=n, needs=list(needs), labels=list(labels)) for n, needs, labels in spec]
    )


#   sim ─> digi_1 ─> reco_1 ─> qc_1
#      └─> digi_2 ─> reco_2
EXAMPLE = graph_of(
    [
        ("sim", [], ["SIM"]),
        ("digi_1", ["sim"], ["DIGI"]),
        ("digi_2", ["sim"], ["DIGI"]),
        ("reco_1", ["digi_1"], ["RECO"]),
        ("reco_2", ["digi_2"], ["RECO"]),
        ("qc_1", ["reco_1"], ["QC", "RECO"]),
    ]
)


def names(nodes):
    return sorted(EXAMPLE.names[i] for i in nodes)


def test_star_selects_everything():
    assert len(select_targets(EXAMPLE)) == 6


def test_regex_matches_name_starts_and_pulls_needs():
    assert names(select_targets(EXAMPLE, patterns=["reco_2"])) == ["digi_2", "reco_2", "sim"]
    assert names(select_targets(EXAMPLE, patterns=["1"])) == []  # re.match anchors at the start


def test_labels_and_patterns_combine_with_and():
    chosen = select_targets(EXAMPLE, labels=["RECO"], patterns=["qc"])
    assert names(chosen) == ["digi_1", "qc_1", "reco_1", "sim"]


def test_bad_regex_names_flag_and_pattern():
    with pytest.raises(InvalidInput, match=r"--target-tasks: '\(' is not a valid"):
        select_targets(EXAMPLE, patterns=["("])


def test_rerun_from_takes_descendants():
    assert names(rerun_from(EXAMPLE, "digi_1")) == ["digi_1", "qc_1", "reco_1"]
    with pytest.raises(InvalidInput, match="matches no task"):
        rerun_from(EXAMPLE, "nothing")


@st.composite
def graphs(draw):
    n = draw(st.integers(1, 15))
    alphabet = st.sampled_from(["A", "B", "C"])
    spec = []
    for i in range(n):
        needs = sorted(draw(st.sets(st.integers(0, i - 1), max_size=3))) if i else []
        labels = sorted(draw(st.sets(alphabet, max_size=2)))
        spec.append((f"t{i}_{''.join(labels)}", [f"t{j}_" for j in needs], labels))
    # needs must name real tasks: rebuild with the final names
    final = [name for name, _, _ in spec]
    fixed = []
    for name, needs, labels in spec:
        fixed.append((name, [next(f for f in final if f.startswith(nd)) for nd in needs], labels))
    return graph_of(fixed)


@settings(max_examples=100, deadline=None)
@given(
    graphs(),
    st.lists(st.sampled_from(["A", "B", "C", "Z"]), max_size=2),
    st.lists(st.sampled_from(["t1", "t.*_A", ".*B", "t[0-3]_", "*", "nomatch"]), max_size=2),
)
def test_selection_is_closed_under_needs_and_only_adds_needs(graph, labels, patterns):
    chosen = select_targets(graph, labels, patterns or ["*"])
    for i in chosen:
        assert set(graph.needs[i]) <= chosen
    everything = not patterns or "*" in patterns
    regexes = [re.compile(p) for p in patterns if p != "*"]
    targets = {
        i
        for i, t in enumerate(graph.tasks)
        if (everything or any(r.match(t.name) for r in regexes))
        and (not labels or set(labels) & set(t.labels))
    }
    assert chosen == targets | graph.ancestors(targets)


@settings(max_examples=100, deadline=None)
@given(graphs(), st.text(alphabet="t0123_.*AB[]()", max_size=6))
def test_rerun_from_never_crashes_on_user_patterns(graph, pattern):
    try:
        found = rerun_from(graph, pattern)
    except InvalidInput as err:
        message = str(err)
    else:
        assert graph.descendants(found) <= found
        return
    assert message.startswith("--rerun-from: ")
