"""Trend plots rendered with matplotlib from table columns."""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.image import imread

from qcflow.postprocessing.expressions import UnknownBranch
from qcflow.postprocessing.plot_spec import (
    GraphSpec,
    GraphStyle,
    LegendSpec,
    PlotSpec,
    plot_branches,
)
from qcflow.postprocessing.plotting import _date_label, render_plot

N = 50
COLUMNS = {
    "meta.runNumber": np.arange(500000, 500000 + N),
    "meta.runNumberStr": np.array([str(500000 + i) for i in range(N)], dtype=object),
    "time": (1_700_000_000 + 3600 * np.arange(N)).astype(np.uint32),
    "vertex_X.mean": np.sin(np.arange(N) / 5) * 0.01,
    "vertex_X.stddev": np.full(N, 0.02),
    "vertex_X.entries": np.full(N, 1e4),
}


def image(data: bytes) -> np.ndarray:
    assert data.startswith(b"\x89PNG")
    return imread(io.BytesIO(data))


def test_the_o2dpg_plot() -> None:
    plot = PlotSpec("Vertex_X_trend", "Vertex X trend [cm]", graphs=(
        GraphSpec("Vertex_X_trend", "", "vertex_X.mean:meta.runNumber", option="*",
                  errors="0:vertex_X.stddev/pow(vertex_X.entries,0.5)"),))  # fmt: skip
    data, warnings = render_plot(plot, COLUMNS)
    assert warnings == []
    assert image(data).shape[:2] == (500, 700)  # ROOT's default canvas


def test_several_graphs_legend_styles_date_axis_and_range() -> None:
    plot = PlotSpec(
        "two", "#sigma_{x};time;x [cm]", y_range="-0.05:0.05", color_palette=55,
        legend=LegendSpec(0.6, 0.7, 0.9, 0.9, 2),
        graphs=(
            GraphSpec("mean", "mean", "vertex_X.mean:time", option="*L",
                      style=GraphStyle(marker_color=632, marker_style=20, line_style=2)),
            GraphSpec("sd", "stddev", "vertex_X.stddev:time", option="PL"),
        ),
    )  # fmt: skip
    _, warnings = render_plot(plot, COLUMNS)
    assert warnings == []


def test_histograms_selections_and_text_axes() -> None:
    plot = PlotSpec("h", graphs=(GraphSpec("h", "h", "vertex_X.mean", selection="Entry$ < 10",
                                           errors="1:1"),))  # fmt: skip
    _, warnings = render_plot(plot, COLUMNS)
    assert warnings == ["plot 'h': graphErrors given for a histogram, ignored"]
    labels = PlotSpec("l", graphs=(GraphSpec("l", "l", "vertex_X.mean:meta.runNumberStr"),))
    render_plot(labels, COLUMNS)


def test_bad_settings_are_warnings_not_failures() -> None:
    plot = PlotSpec("p", axis_label="no colon", y_range="a:b", graphs=(
        GraphSpec("p", "p", "vertex_X.mean:time:meta.runNumber"),))  # fmt: skip
    _, warnings = render_plot(plot, COLUMNS)
    assert warnings == [
        "plot 'p': 3-D varexp 'vertex_X.mean:time:meta.runNumber' is not drawn",
        "plot 'p': graphAxisLabel must be 'Y label:X label'",
        "plot 'p': graphYRange 'a:b' is not 'min:max'",
    ]


def test_a_missing_branch_raises() -> None:
    plot = PlotSpec("p", graphs=(GraphSpec("p", "p", "vertex_Y.mean:time"),))
    with pytest.raises(UnknownBranch, match=r"vertex_Y\.mean"):
        render_plot(plot, COLUMNS)


def test_date_labels_and_branches() -> None:
    assert _date_label(1_700_000_000, None) == "2023-11-14 22:13"
    plot = PlotSpec(
        "p", graphs=(GraphSpec("p", "p", "a.x/b.y:time", selection="c.z>0", errors="0:d.w"),)
    )
    assert plot_branches([plot]) == {"a.x", "b.y", "time", "c.z", "d.w"}
