"""Plots published as ROOT graphs without a PNG companion (MCH's in-task trends) and drawn later
from the graph: the same pixels as drawing them at publication."""

from __future__ import annotations

import numpy as np
import pytest

from qcflow.modules._trends import Trend
from qcflow.objects.plots import Frame, Series, Style, decode_graphs, encode_graphs
from qcflow.postprocessing import (
    GraphSpec,
    GraphStyle,
    HLine,
    LegendSpec,
    PlotImage,
    PlotSpec,
    graphs_image,
    plot_image,
)
from qcflow.postprocessing.plotting.graphs import graph_object_png


def _trend(series: list[str]) -> Trend:
    trend = Trend("Trends/Rates/ChamberRates", "Chamber Rates", "rate (kHz)", series)
    rng = np.random.default_rng(7)
    for k in range(9):
        trend.add(1.7e9 + 600 * k, rng.uniform(0, 10, len(series)))
    return trend


def _as_plot_spec(trend: Trend) -> PlotImage:
    """The trend drawn as a TrendingTask plot: how it was drawn before it lost its companion."""
    columns = {"time": np.asarray(trend.times)}
    graphs = []
    for index, key in enumerate(trend.series):
        columns[key] = np.asarray(trend.values[key])
        style = GraphStyle(
            marker_style=20, marker_size=0.8, marker_color=index + 1, line_color=index + 1
        )
        graphs.append(GraphSpec(key, key, f"{key}:time", option="PL", style=style))
    legend = LegendSpec(0.12, 0.70, 0.88, 0.88, 5) if len(graphs) > 1 else LegendSpec()
    title = f"{trend.title};time;{trend.y_label}"
    return plot_image(PlotSpec(trend.name, title, legend=legend, graphs=tuple(graphs)), columns)[0]


@pytest.mark.parametrize("series", [["orbits"], [f"CH{c}" for c in range(1, 11)]])
def test_the_png_drawn_from_the_published_graph_is_the_plot_drawn_at_publication(
    series: list[str],
) -> None:
    trend = _trend(series)
    payload = trend.image().encode()
    assert payload.companions == ()  # nothing drawn when the run publishes
    before = _as_plot_spec(trend)
    assert payload.object_type == before.encode().object_type
    assert payload.draw_options == before.encode().draw_options
    assert graph_object_png(payload.data, payload.draw_options) == before.data  # same bytes


def test_a_check_overlay_draws_the_plot_and_publishes_it_with_its_companion() -> None:
    image = _trend(["A", "B"]).image()
    assert image.data == b"" and not image.companion
    marked = image.annotated([HLine(5.0)])
    assert marked.data.startswith(b"\x89PNG") and marked.companion
    assert [p.content_type for _, p in marked.encode().companions] == ["image/png"]


def test_a_plot_without_png_needs_graphs() -> None:
    with pytest.raises(ValueError, match="no graph"):
        graphs_image("empty", [], Frame())
    with pytest.raises(ValueError, match="neither a PNG"):
        PlotImage("x", b"", companion=False).encode()


def test_graphs_read_back_as_written() -> None:
    errors = Series(
        "e",
        [0.0, 1.0, 2.0],
        [1.0, 2.0, 3.0],
        [0.0, 0.0, 0.0],
        [0.1, 0.2, 0.3],
        "E",
        Style(line_color=4, marker_style=21),
        "P",
    )
    plain = Series("p", [0.0, 1.0], [5.0, np.nan], title="P", option="L")
    frame = Frame("T", "run", "y", x_labels=("550000", "550001", "550002"), y_range=(0.0, 9.0))
    data, kind = encode_graphs("multi", [errors, plain], frame)
    graphs, read = decode_graphs(data)
    assert kind == "TMultiGraph" and read == frame
    assert [(g.name, g.title, g.option, g.style) for g in graphs] == [
        ("e", "E", "P", errors.style),
        ("p", "P", "L", plain.style),
    ]
    assert np.array_equal(graphs[0].ey, [0.1, 0.2, 0.3]) and graphs[1].ey is None
    assert np.array_equal(graphs[1].y, [5.0])  # the NaN point is not in the ROOT object
    single, _ = encode_graphs("one", [plain], Frame("One", time_axis=True))
    (graph,), read = decode_graphs(single, "APL")
    assert (graph.option, read.time_axis, read.y_range) == ("PL", True, None)


def test_a_histogram_is_not_a_graph() -> None:
    from qcflow.errors import InvalidInput
    from qcflow.objects.root import Axis, Histogram, encode_histogram

    h = Histogram.from_counts("TH1F", "h", "h", (Axis(np.arange(3.0), "x"),), np.ones(2))
    with pytest.raises(InvalidInput, match="TH1F is not a graph"):
        decode_graphs(encode_histogram(h))


def test_a_graph_written_without_a_frame_is_read_with_its_title() -> None:
    """uproot (and ROOT, for a graph never drawn) writes a TGraph without ``fHistogram``."""
    import uproot

    from qcflow.objects.root import CCDB_KEY, _MemorySink

    sink = _MemorySink()
    with uproot.recreate(sink) as file:
        points = {"x": np.array([1.0, 2.0, 3.0]), "y": np.array([4.0, 5.0, 6.0])}
        file[CCDB_KEY] = uproot.as_TGraph(points, title="bare")
    (graph,), frame = decode_graphs(sink.getvalue(), "AP")
    assert frame == Frame("bare", y_range=(3.8, 6.2)) and graph.option == "P"  # uproot's range
    assert np.array_equal(graph.y, [4.0, 5.0, 6.0])
    assert graph_object_png(sink.getvalue(), "AP").startswith(b"\x89PNG")


def test_an_unchanged_graph_is_drawn_once_per_process_and_a_new_version_again() -> None:
    """A process that builds reports again (the UI, a loop over passes) draws a graph it has
    drawn already only when its bytes changed."""
    first = _trend(["CH1", "CH2"])
    later = _trend(["CH1", "CH2"])
    later.add(1.8e9, [1.0, 2.0])
    old, new = (t.image().encode() for t in (first, later))
    graph_object_png.cache_clear()
    drawn = [graph_object_png(p.data, p.draw_options) for p in (old, old, new, old)]
    assert graph_object_png.cache_info().misses == 2  # the old version once, the new one once
    assert drawn[0] == drawn[1] == drawn[3] != drawn[2]
