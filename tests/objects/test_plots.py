"""Plots as ROOT objects (qcflow.objects.plots, rootwrite.graphs), read back with uproot."""

from __future__ import annotations

import io

import numpy as np
import pytest
import uproot

from qcflow.objects.plots import Frame, Series, Style, encode_graphs


def _read(data: bytes) -> object:
    return uproot.open(io.BytesIO(data))["ccdb_object"]


def test_one_graph_with_errors_and_a_time_axis() -> None:
    x, y = np.array([1.7e9, 1.7e9 + 3600]), np.array([0.5, 0.7])
    data, kind = encode_graphs(
        "p",
        [Series("g", x, y, ey=[0.1, 0.2], title="vertex")],
        Frame("Beam spot", "time", "x (cm)", time_axis=True),
    )
    assert kind == "TGraphErrors"
    graph = _read(data)
    assert graph.classname == "TGraphErrors"  # type: ignore[attr-defined]
    np.testing.assert_array_equal(graph.member("fX"), x)  # type: ignore[attr-defined]
    np.testing.assert_array_equal(graph.member("fEY"), [0.1, 0.2])  # type: ignore[attr-defined]
    np.testing.assert_array_equal(graph.member("fEX"), [0.0, 0.0])  # type: ignore[attr-defined]
    frame = graph.member("fHistogram")  # type: ignore[attr-defined]
    axis = frame.member("fXaxis")
    assert (axis.member("fTitle"), axis.member("fTimeDisplay")) == ("time", True)
    assert frame.member("fYaxis").member("fTitle") == "x (cm)"
    assert frame.member("fTitle") == "Beam spot"


def test_missing_points_are_left_out() -> None:
    data, kind = encode_graphs("p", [Series("g", [1, 2, 3], [1.0, np.nan, 3.0])], Frame())
    assert kind == "TGraph"
    np.testing.assert_array_equal(_read(data).member("fX"), [1, 3])  # type: ignore[attr-defined]


def test_several_graphs_make_a_multigraph() -> None:
    graphs = [
        Series("a", [1, 2], [3, 4], title="A", style=Style(line_color=2), option="PL"),
        Series("b", [1, 2], [5, 6], ex=[0.5, 0.5], title="B"),
    ]
    data, kind = encode_graphs("both", graphs, Frame("t", "run", "y", x_labels=("5", "6")))
    assert kind == "TMultiGraph"
    multigraph = _read(data)
    assert multigraph.member("fTitle") == "t"  # type: ignore[attr-defined]
    inner = list(multigraph.member("fGraphs"))  # type: ignore[attr-defined]
    assert [g.classname for g in inner] == ["TGraph", "TGraphErrors"]
    assert [g.member("fTitle") for g in inner] == ["A", "B"]
    assert inner[0].member("fLineColor") == 2
    labels = multigraph.member("fHistogram").member("fXaxis").member("fLabels")  # type: ignore[attr-defined]
    assert [str(label) for label in labels] == ["5", "6"]


def test_bad_graphs_are_refused() -> None:
    with pytest.raises(ValueError, match="2 x values but 1 y values"):
        encode_graphs("p", [Series("g", [1, 2], [1])], Frame())
    with pytest.raises(ValueError, match="no graph"):
        encode_graphs("p", [], Frame())
