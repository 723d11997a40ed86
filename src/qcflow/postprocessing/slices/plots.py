"""SliceTrendingTask's plots: the six ``varexp`` modes, drawn with matplotlib.

``varexp`` is ``"<source>.<field>:<mode>"``; ``graphErrors`` ``"errY:errX"`` (each a slice field
or a number, applied per slice). One function per mode:

=================== ===================================================================
``time``, ``run``   one pad per slice (a near-square grid, ROOT's ``DivideSquare``), the
                    field of that slice against time (date axis) or run number
``multigraphtime``, every slice in one pad, a legend pad beside it naming the slices
``multigraphrun``   (``legendObservable*``, ``legendUnit*``, ``legendCentmode*``, see
                    :func:`legend_name`), one palette colour per slice
``slices``          the latest entry: the field against each slice's ``sliceLabelX``
``slices2D``        the latest entry as a 2-D map over the ``axisDivision`` edges (colour scale
                    ``graphYRange``), published as a TH2F (``drawOptions`` ``colz``)
=================== ===================================================================

``graphAxisLabel`` ``"Y:X"``, ``graphYRange``/``graphXRange`` ``"min:max"`` and ``option`` (as
TrendingTask's plots) apply. qcflow draws graphs without ``graphErrors`` too (QC draws nothing
then), colours the slices of a multigraph even when the option has no ``PLC``/``PMC`` (QC draws
them all black), and gives each pad of the ``run`` mode its slice's name (QC repeats the plot
title).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from qcflow.objects.plots import Frame
from qcflow.objects.root import Axis, Histogram
from qcflow.postprocessing.config.values import parse_float
from qcflow.postprocessing.plotting import root_style
from qcflow.postprocessing.plotting.draw import (
    date_axis,
    draw_points,
    palette_colors,
    parse_limits,
    root_graph_style,
    run_axis,
)
from qcflow.postprocessing.plotting.images import (
    GraphData,
    PlotImage,
    new_figure,
    one_pad_margins,
    png,
)
from qcflow.postprocessing.plotting.spec import GraphSpec
from qcflow.postprocessing.slices._legend import legend_name, text_size
from qcflow.postprocessing.slices.plot_config import SlicePlot

__all__ = [
    "SliceSeries",
    "draw_slice_plot",
    "publishable",
    "render_slice_plot",
    "slice_plot_image",
]

Array = npt.NDArray[Any]
BLACK = (0.0, 0.0, 0.0)


@dataclass(frozen=True)
class SliceSeries:
    """What a plot draws from: per entry its time and run, per field an (entries, slices)
    array, per slice its display name (label or title), and the source's slice edges."""

    time: Array
    run: Array
    fields: Mapping[str, Array]
    names: tuple[str, ...]
    division: tuple[tuple[float, ...], ...] = ()

    @property
    def slices(self) -> int:
        return len(self.names)


def slice_plot_image(plot: SlicePlot, series: SliceSeries) -> PlotImage:
    """The plot as a publishable image, with its graphs and a redraw function; a ``slices2D``
    map with its TH2F (QCG draws it ``colz``, as QC draws the map)."""
    data, graphs = render_slice_plot((plot, series))
    return publishable(plot, series, data, graphs, lambda: draw_slice_plot(plot, series)[0])


def publishable(
    plot: SlicePlot,
    series: SliceSeries,
    data: bytes,
    graphs: Sequence[GraphData],
    redraw: Callable[[], Any],
) -> PlotImage:
    """The drawn plot (PNG ``data``, its ``graphs``) with its ROOT object: the graphs in a
    TMultiGraph (:func:`slice_frame`), or a ``slices2D`` map's TH2F."""
    histogram = _map_histogram(plot, series) if plot.mode == "slices2D" else None
    return PlotImage(
        plot.name,
        data,
        tuple(graphs),
        redraw,
        slice_frame(plot),
        histogram,
        draw_options="colz" if histogram is not None else "",
    )


def slice_frame(plot: SlicePlot) -> Frame | None:
    """The axes of the plot's ROOT object (its graphs in a TMultiGraph, one per slice, where
    QC's canvas has a pad per slice); None for ``slices2D`` (a 2-D map: only the PNG)."""
    if plot.mode == "slices2D":
        return None
    y_title, _, x_title = plot.axis_label.partition(":") if ":" in plot.axis_label else ("", "", "")
    limits = parse_limits(plot.y_range) if plot.y_range else None
    return Frame(plot.title, x_title, y_title, time_axis=plot.mode.endswith("time"), y_range=limits)


def _root_graph(
    name: str,
    x: Array,
    y: Array,
    errors: tuple[Array, Array],
    index: int,
    count: int,
    option: str,
    pad: int = 0,
) -> GraphData:
    """The points of one slice, with what its ROOT graph needs (errors, colour, option)."""
    spec = GraphSpec(name=name, title=name, varexp="", option=option)
    return GraphData(
        name,
        x,
        y,
        errors[1],
        pad,
        ex=errors[0],
        title=name,
        style=root_graph_style(spec, index, count),
        option=option,
    )


def render_slice_plot(job: tuple[SlicePlot, SliceSeries]) -> tuple[bytes, list[GraphData]]:
    """PNG and graphs of one plot; picklable in and out, so plots can be drawn in parallel
    (:meth:`~qcflow.postprocessing.reduction.batch.Reducer.map`)."""
    figure, graphs = draw_slice_plot(*job)
    return png(figure), graphs


def draw_slice_plot(plot: SlicePlot, series: SliceSeries) -> tuple[Any, list[GraphData]]:
    """The figure of ``plot`` and the graphs drawn in it."""
    draw = {
        "time": _pads,
        "run": _pads,
        "multigraphtime": _multigraph,
        "multigraphrun": _multigraph,
        "slices": _slices,
        "slices2D": _slices_2d,
    }
    return draw[plot.mode](plot, series)


# -- values --------------------------------------------------------------------------------------


def _errors(series: SliceSeries, spec: str) -> Array:
    """One side of ``graphErrors`` as an (entries, slices) array: a field, a number or 0."""
    shape = series.fields["entries"].shape
    if not spec:
        return np.zeros(shape)
    if spec in series.fields:
        return np.abs(series.fields[spec])
    return np.full(shape, abs(parse_float(spec) or 0.0))


def _x(series: SliceSeries, mode: str) -> Array:
    return series.time if mode.endswith("time") else series.run


def _graph(plot: SlicePlot, name: str) -> GraphSpec:
    return GraphSpec(name=name, title=name, varexp=plot.varexp, option=plot.option)


# -- the modes -----------------------------------------------------------------------------------


def _grid(count: int) -> tuple[int, int]:
    """ROOT's ``DivideSquare``: columns, rows."""
    columns = math.ceil(math.sqrt(count))
    rows = math.floor(math.sqrt(count))
    return columns, rows + 1 if columns * rows < count else rows


def _pads(plot: SlicePlot, series: SliceSeries) -> tuple[Any, list[GraphData]]:
    columns, rows = _grid(series.slices)
    figure = new_figure(*((7.0, 5.0) if series.slices == 1 else (3.2 * columns, 2.5 * rows)))
    x = _x(series, plot.mode)
    y, ey, ex = (
        series.fields[plot.variable],
        _errors(series, plot.errors[0]),
        _errors(series, plot.errors[1]),
    )
    graphs = []
    for pad in range(series.slices):
        axes = figure.add_subplot(rows, columns, pad + 1)
        name = series.names[pad]
        draw_points(axes, _graph(plot, name), x, y[:, pad], (ex[:, pad], ey[:, pad]), BLACK)
        graphs.append(
            _root_graph(
                name, x, y[:, pad], (ex[:, pad], ey[:, pad]), pad, series.slices, plot.option, pad
            )
        )
        _axes(axes, plot, small=series.slices > 1)
        axes.set_title(
            root_style.mathtext(plot.title if series.slices == 1 else name),
            fontsize="medium" if series.slices == 1 else "small",
        )
    if series.slices > 1:
        figure.suptitle(root_style.mathtext(plot.title))
        figure.subplots_adjust(left=0.07, right=0.98, bottom=0.08, top=0.9, wspace=0.35, hspace=0.6)
    else:
        one_pad_margins(figure)
    return figure, graphs


def _multigraph(plot: SlicePlot, series: SliceSeries) -> tuple[Any, list[GraphData]]:
    figure = new_figure(10.0, 5.0)
    grid = figure.add_gridspec(1, 2, width_ratios=(2.3, 1))
    axes, legend_pad = figure.add_subplot(grid[0]), figure.add_subplot(grid[1])
    x = _x(series, plot.mode)
    y, ey, ex = (
        series.fields[plot.variable],
        _errors(series, plot.errors[0]),
        _errors(series, plot.errors[1]),
    )
    colors = palette_colors(series.slices)
    graphs = []
    for index, title in enumerate(series.names):
        name = legend_name(title, plot.legend)
        graph = _graph(plot, name) if plot.option else _graph_default(plot, name)
        draw_points(axes, graph, x, y[:, index], (ex[:, index], ey[:, index]), colors[index])
        graphs.append(
            _root_graph(
                name,
                x,
                y[:, index],
                (ex[:, index], ey[:, index]),
                index,
                series.slices,
                graph.option,
            )
        )
    _axes(axes, plot)
    axes.set_title(root_style.mathtext(plot.title))
    legend_pad.axis("off")
    handles, labels = axes.get_legend_handles_labels()
    # The data line of an error-bar container: drawing the bars in the legend doubles the cost.
    handles = [h[0] if isinstance(h, tuple) else h for h in handles]
    legend_pad.legend(
        handles,
        labels,
        loc="center left",
        bbox_to_anchor=(0.0, 0.5),
        frameon=False,
        ncols=max(plot.legend.n_columns, 1),
        handlelength=1.5,
        columnspacing=0.8,
        borderaxespad=0.0,
        fontsize=text_size(plot.legend, labels),
    )
    figure.subplots_adjust(left=0.09, right=0.99, bottom=0.12, top=0.9, wspace=0.05)
    return figure, graphs


def _graph_default(plot: SlicePlot, name: str) -> GraphSpec:
    """QC's multigraph option when none is given: ``A*L PMC PLC``."""
    return GraphSpec(name=name, title=name, varexp=plot.varexp, option="*L")


def _slices(plot: SlicePlot, series: SliceSeries) -> tuple[Any, list[GraphData]]:
    figure = new_figure()
    axes = figure.add_subplot()
    if len(series.run):
        x = series.fields["sliceLabelX"][-1]
        y = series.fields[plot.variable][-1]
        ey = _errors(series, plot.errors[0])[-1]
        draw_points(
            axes, _graph(plot, plot.name), x, y, (_errors(series, plot.errors[1])[-1], ey), BLACK
        )
        ex = _errors(series, plot.errors[1])[-1]
        graphs = [_root_graph(plot.name, x, y, (ex, ey), 0, 1, plot.option)]
    else:
        graphs = []
    _axes(axes, plot)
    axes.set_title(root_style.mathtext(plot.title))
    one_pad_margins(figure)
    return figure, graphs


def _edges(series: SliceSeries, axis: int, labels: Array) -> Array:
    """The map's bin edges on ``axis``: the slice edges, or one bin around the label."""
    edges = series.division[axis] if axis < len(series.division) else ()
    if len(edges) >= 2:
        return np.asarray(edges, dtype=np.float64)
    centre = float(labels[0]) if len(labels) else 0.0
    return np.asarray([centre - 0.5, centre + 0.5])


def _map(series: SliceSeries, variable: str) -> tuple[Array, Array, Array]:
    """The latest entry's map: x edges, y edges and the (x, y) contents."""
    lx, ly = series.fields["sliceLabelX"][-1], series.fields["sliceLabelY"][-1]
    values = series.fields[variable][-1]
    x_edges, y_edges = _edges(series, 0, lx), _edges(series, 1, ly)
    counts, _, _ = np.histogram2d(lx, ly, bins=(x_edges, y_edges), weights=values)
    return x_edges, y_edges, counts


def _map_histogram(plot: SlicePlot, series: SliceSeries) -> Histogram | None:
    """The map as a TH2F (titles from ``title`` and ``graphAxisLabel``); None before any entry."""
    if not len(series.run):
        return None
    x_edges, y_edges, counts = _map(series, plot.variable)
    y_title, _, x_title = plot.axis_label.partition(":") if ":" in plot.axis_label else ("", "", "")
    axes = (Axis(x_edges, x_title), Axis(y_edges, y_title))
    histogram = Histogram.from_counts("TH2F", plot.name, plot.title, axes, counts)
    histogram.limits = parse_limits(plot.y_range) if plot.y_range else None  # the colour range
    histogram.option = "colz"
    return histogram


def _slices_2d(plot: SlicePlot, series: SliceSeries) -> tuple[Any, list[GraphData]]:
    figure = new_figure()
    axes = figure.add_subplot()
    graphs = []
    if len(series.run):
        lx = series.fields["sliceLabelX"][-1]
        values = series.fields[plot.variable][-1]
        x_edges, y_edges, counts = _map(series, plot.variable)
        limits = parse_limits(plot.y_range) if plot.y_range else None
        mesh = axes.pcolormesh(
            x_edges,
            y_edges,
            counts.T,
            cmap=root_style.palette(57),
            vmin=limits[0] if limits else None,
            vmax=limits[1] if limits else None,
        )
        figure.colorbar(mesh, ax=axes)
        graphs.append(GraphData(plot.name, lx, values, pad=0))
    _labels(axes, plot)
    axes.set_title(root_style.mathtext(plot.title))
    one_pad_margins(figure)
    return figure, graphs


# -- decoration ----------------------------------------------------------------------------------


def _labels(axes: Any, plot: SlicePlot) -> None:
    if ":" in plot.axis_label:
        y_title, _, x_title = plot.axis_label.partition(":")
        axes.set_xlabel(root_style.mathtext(x_title))
        axes.set_ylabel(root_style.mathtext(y_title))


def _axes(axes: Any, plot: SlicePlot, *, small: bool = False) -> None:
    """Axis titles, ranges and the time or run axis."""
    _labels(axes, plot)
    if small:
        axes.xaxis.label.set_fontsize("small")
        axes.yaxis.label.set_fontsize("small")
        axes.tick_params(labelsize="x-small")
    if plot.y_range and (limits := parse_limits(plot.y_range)):
        axes.set_ylim(*limits)
    if plot.x_range and (limits := parse_limits(plot.x_range)):
        axes.set_xlim(*limits)
    if plot.mode.endswith("time"):
        date_axis(axes)
    elif plot.mode.endswith("run"):
        run_axis(axes)
    if small:
        from matplotlib.ticker import MaxNLocator

        axes.xaxis.set_major_locator(MaxNLocator(3, integer=plot.mode.endswith("run")))


# -- legend names --------------------------------------------------------------------------------
