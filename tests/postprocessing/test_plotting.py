"""Trend plots rendered with matplotlib from table columns."""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
import pytest
from matplotlib.image import imread

from qcflow.postprocessing.plotting.draw import _date_label, plot_image, render_plot
from qcflow.postprocessing.plotting.expressions import UnknownBranch
from qcflow.postprocessing.plotting.spec import (
    GraphSpec,
    GraphStyle,
    LegendSpec,
    PlotSpec,
    plot_branches,
)

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
    plot = PlotSpec(
        "Vertex_X_trend",
        "Vertex X trend [cm]",
        graphs=(
            GraphSpec(
                "Vertex_X_trend",
                "",
                "vertex_X.mean:meta.runNumber",
                option="*",
                errors="0:vertex_X.stddev/pow(vertex_X.entries,0.5)",
            ),
        ),
    )
    data, warnings = render_plot(plot, COLUMNS)
    assert warnings == []
    assert image(data).shape[:2] == (500, 700)  # ROOT's default canvas


def test_several_graphs_legend_styles_date_axis_and_range() -> None:
    plot = PlotSpec(
        "two",
        "#sigma_{x};time;x [cm]",
        y_range="-0.05:0.05",
        color_palette=55,
        legend=LegendSpec(0.6, 0.7, 0.9, 0.9, 2),
        graphs=(
            GraphSpec(
                "mean",
                "mean",
                "vertex_X.mean:time",
                option="*L",
                style=GraphStyle(marker_color=632, marker_style=20, line_style=2),
            ),
            GraphSpec("sd", "stddev", "vertex_X.stddev:time", option="PL"),
        ),
    )
    _, warnings = render_plot(plot, COLUMNS)
    assert warnings == []


def test_histograms_selections_and_text_axes() -> None:
    plot = PlotSpec(
        "h", graphs=(GraphSpec("h", "h", "vertex_X.mean", selection="Entry$ < 10", errors="1:1"),)
    )
    _, warnings = render_plot(plot, COLUMNS)
    assert warnings == ["plot 'h': graphErrors given for a histogram, ignored"]
    labels = PlotSpec("l", graphs=(GraphSpec("l", "l", "vertex_X.mean:meta.runNumberStr"),))
    render_plot(labels, COLUMNS)


def test_bad_settings_are_warnings_not_failures() -> None:
    plot = PlotSpec(
        "p",
        axis_label="no colon",
        y_range="a:b",
        graphs=(GraphSpec("p", "p", "vertex_X.mean:time:meta.runNumber"),),
    )
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


def test_array_branches_are_drawn_as_ttree_draw_does() -> None:
    """QC's TPC trending configs: ``N_Clusters.mean[]:time`` draws every element against its
    entry's time; selection and graphErrors run over the same elements."""
    columns = {
        "time": np.array([10.0, 20.0, 30.0]),
        "N_Clusters.mean": np.array(
            [np.array([1.0, 2.0, 3.0]), np.array([4.0]), np.array([5.0, 6.0])], dtype=object
        ),
        "N_Clusters.stddev": np.array(
            [np.array([0.1, 0.2, 0.3]), np.array([0.4]), np.array([0.5, 0.6])], dtype=object
        ),
        "Temperature.tempMeanPerSide": np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]),
    }
    plot = PlotSpec(
        "clusters",
        "",
        graphs=(
            GraphSpec(
                "all",
                "",
                "N_Clusters.mean[]:time",
                selection="N_Clusters.mean[] != 4",
                errors="0:N_Clusters.stddev[]",
            ),
            GraphSpec("A", "", "Temperature.tempMeanPerSide[0]:time"),
        ),
    )
    image_, warnings = plot_image(plot, columns)
    assert warnings == []
    every, side_a = image_.graphs
    np.testing.assert_array_equal(every.x, [10, 10, 10, 30, 30])
    np.testing.assert_array_equal(every.y, [1, 2, 3, 5, 6])
    np.testing.assert_allclose(every.ey, [0.1, 0.2, 0.3, 0.5, 0.6])
    np.testing.assert_array_equal(side_a.y, [1, 3, 5])


@pytest.mark.parametrize("x", ["time", "meta.runNumber"])
def test_a_trend_plot_has_fixed_margins_and_nothing_cut_at_its_edges(x, monkeypatch) -> None:
    """tight_layout measures every label with a layout pass as costly as the drawing itself:
    the margins of one pad are fixed instead, with room for rotated date labels."""
    from matplotlib.figure import Figure

    def refuse(self, *args, **kwargs):
        raise AssertionError("tight_layout called")

    monkeypatch.setattr(Figure, "tight_layout", refuse)
    plot = PlotSpec(
        "t",
        f"title;{x};x [cm]",
        graphs=(GraphSpec("mean", "mean", f"vertex_X.mean:{x}", option="*"),),
    )
    data, warnings = render_plot(plot, COLUMNS)
    assert warnings == []
    pixels = image(data)[..., :3]
    for edge in (pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]):
        assert (edge > 0.9).all()  # white: no label reaches the border
    assert (pixels[-40:] < 0.5).any()  # the x-axis title is drawn, above the border


def test_a_histogram_plot_is_published_as_a_th1f_with_its_png() -> None:
    """A one-expression varexp is a histogram (TTree::Draw's): its TH1F at the plot's path,
    with the selection applied, the title and the expression as x title; the PNG next to it."""
    import uproot

    from qcflow.objects.paths import PNG_COMPANION
    from qcflow.objects.root import decode_histogram

    plot = PlotSpec(
        "h",
        "Mean X;x [cm]",
        graphs=(GraphSpec("h", "h", "vertex_X.mean", selection="Entry$ < 10"),),
    )
    image, _ = plot_image(plot, COLUMNS)
    payload = image.encode()
    assert (payload.object_type, payload.content_type) == ("TH1F", "application/root")
    assert [(s, p.content_type) for s, p in payload.companions] == [(PNG_COMPANION, "image/png")]
    histogram = decode_histogram(payload.data)
    assert histogram.inner().sum() == 10  # the selection's entries
    assert len(histogram.inner()) == 100
    read = uproot.open(io.BytesIO(payload.data))["ccdb_object"]
    assert read.member("fTitle") == "Mean X"
    assert read.member("fXaxis").member("fTitle") == "x [cm]"
    values = COLUMNS["vertex_X.mean"][:10]  # statistics of the values, as TH1::Fill keeps them
    assert (read.member("fEntries"), read.member("fTsumw")) == (10, 10)
    assert read.member("fTsumwx") == pytest.approx(values.sum())
    assert read.member("fTsumwx2") == pytest.approx((values**2).sum())


def test_graphs_carry_qcg_draw_options() -> None:
    """QCG draws a bare graph with its metadata ``drawOptions``: axes, and the graph's own
    option (markers for a TTree::Draw scatter); a multigraph keeps its graphs' options."""
    one = PlotSpec("p", graphs=(GraphSpec("p", "p", "vertex_X.mean:time"),))
    assert plot_image(one, COLUMNS)[0].encode().draw_options == "AP"
    lines = PlotSpec("p", graphs=(GraphSpec("p", "p", "vertex_X.mean:time", option="L"),))
    assert plot_image(lines, COLUMNS)[0].encode().draw_options == "AL"
    two = PlotSpec(
        "p",
        graphs=(
            GraphSpec("a", "a", "vertex_X.mean:time", option="*"),
            GraphSpec("b", "b", "vertex_X.stddev:time"),
        ),
    )
    payload = plot_image(two, COLUMNS)[0].encode()
    assert (payload.object_type, payload.draw_options) == ("TMultiGraph", "A")


def test_zero_x_errors_are_not_built_but_the_pixels_are_the_same(monkeypatch) -> None:
    """``graphErrors: "0:..."`` on a plot without legend: no zero-length x bars are built (a
    third of a 1,000-point plot's time), and the PNG is what drawing them gave."""
    from matplotlib.axes import Axes

    plot = PlotSpec(
        "p",
        "t;run;x",
        graphs=(
            GraphSpec(
                "p",
                "",
                "vertex_X.mean:meta.runNumber",
                option="*",
                errors="0:vertex_X.stddev/sqrt(vertex_X.entries)",
            ),
        ),
    )
    calls: list[bool] = []
    errorbar = Axes.errorbar

    def recorded(self: Axes, *args: object, **kwargs: object) -> object:
        calls.append(kwargs.get("xerr") is not None)
        return errorbar(self, *args, **kwargs)

    monkeypatch.setattr(Axes, "errorbar", recorded)
    data, _ = render_plot(plot, COLUMNS)
    assert calls == [False]
    drawn = plot_image(plot, COLUMNS)[0]
    assert drawn.graphs[0].ex is not None and not drawn.graphs[0].ex.any()  # the TGraphErrors's
    from qcflow.postprocessing.plotting import draw

    as_before = draw.draw_points

    def with_zero_bars(*args: object, legend: bool, **kwargs: object) -> None:
        as_before(*args, legend=True, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(draw, "draw_points", with_zero_bars)
    with_bars, _ = render_plot(plot, COLUMNS)
    assert calls[-1] is True
    np.testing.assert_array_equal(image(data), image(with_bars))
    legend = PlotSpec("q", "t", graphs=(plot.graphs[0], replace(plot.graphs[0], name="b")))
    calls.clear()
    render_plot(legend, COLUMNS)
    assert calls == [True, True]  # a legend entry shows the x bar: kept
