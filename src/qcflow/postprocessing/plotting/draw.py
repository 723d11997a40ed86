"""Trend plots: ``TTree::Draw``-like graphs of trend-table columns, rendered to PNG with matplotlib.

:func:`render_plot` draws one :class:`PlotSpec` (a TrendingTask ``plots[]`` entry) from the
table's columns and returns PNG bytes. Per graph: ``varexp`` ``"y:x"`` gives a graph (one
expression: a histogram of its values), ``selection`` a cut, ``graphErrors`` ``"ex:ey"`` error
bars (each side any expression, e.g. ``0``), ``option`` the ROOT draw option (``*`` star
markers, ``P`` markers, ``L``/``C`` lines, ``B`` bars; no marker or line option: small dots, as
``TTree::Draw`` draws a scatter), ``style`` ROOT colours, markers and lines.

The plot: ``title`` in ROOT's ``"title;x title;y title"`` form (axis titles default to the
expressions, as ``TTree::Draw`` sets them), ``graphAxisLabel`` ``"Y:X"`` overriding them,
``graphYRange`` ``"min:max"``, a legend when there is more than one graph (``legend`` NDC box and
``nColumns``, else placed automatically), a date axis (``%Y-%m-%d %H:%M``, UTC) when the last
graph's x is ``time``, plain run numbers on ``meta.runNumber``, evenly spaced labels for a text x
(``meta.runNumberStr``). TLatex in titles becomes mathtext. Graphs without explicit colours are
black when alone (ROOT's default) and take colours from ``colorPalette`` when there are several
(qcflow: ROOT would draw them all black unless ``PLC``/``PMC`` is given); without a
``colorPalette``, up to 20 graphs get distinct qualitative colours (:func:`palette_colors`).

Problems that O2 only logs (a malformed ``graphYRange``) are returned as warnings; a varexp naming
a missing branch raises :class:`~.expressions.UnknownBranch`.

:func:`plot_image` returns a :class:`PlotImage`: the PNG, the points of each graph drawn (what
checks such as TrendCheck judge), the ROOT object's frame -- or, for a histogram plot, the TH1F
``TTree::Draw`` fills (the values' entries and statistics, the PNG's 100 bins) -- and a way to
draw it again with a check's annotations (:meth:`PlotImage.annotated`). The helpers
:func:`new_figure`, :func:`png`, :func:`draw_points`,
:func:`date_axis`, :func:`run_axis` and :func:`parse_limits` are shared with other tasks' plots.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from qcflow.objects.plots import Frame, Style
from qcflow.objects.root import Axis, Histogram
from qcflow.postprocessing.plotting import root_style
from qcflow.postprocessing.plotting.expressions import (
    Expression,
    evaluate_together,
    parse_expression,
    parse_varexp,
)
from qcflow.postprocessing.plotting.images import (
    GraphData,
    PlotImage,
    new_figure,
    one_pad_margins,
    png,
    tag_x_axis,
)
from qcflow.postprocessing.plotting.spec import GraphSpec, LegendSpec, PlotSpec

__all__ = [
    "GraphData",
    "PlotImage",
    "date_axis",
    "draw_legend",
    "draw_points",
    "new_figure",
    "palette_colors",
    "parse_limits",
    "plot_image",
    "png",
    "render_plot",
    "run_axis",
]

Array = npt.NDArray[Any]


def render_plot(plot: PlotSpec, columns: Mapping[str, Array]) -> tuple[bytes, list[str]]:
    """PNG bytes of ``plot`` drawn from ``columns``, and warnings about its settings."""
    image, warnings = plot_image(plot, columns)
    return image.data, warnings


def plot_image(plot: PlotSpec, columns: Mapping[str, Array]) -> tuple[PlotImage, list[str]]:
    """``plot`` drawn from ``columns`` as a :class:`PlotImage`, and warnings about it."""
    warnings: list[str] = []
    graphs: list[GraphData] = []
    histograms: list[Histogram] = []
    figure = _figure(plot, columns, warnings, graphs, histograms)
    histogram = None
    if histograms and not graphs:
        # a histogram plot: its TH1F, titled as the PNG (ROOT: the first graph's histogram)
        first = histograms[0]
        title, x_title, _ = _titles(plot, (first.axes[0].title, ""))
        axis = replace(first.axes[0], title=x_title)
        histogram = replace(first, name=plot.name, title=title, axes=(axis,))
    image = PlotImage(
        plot.name,
        png(figure),
        tuple(graphs),
        lambda: _figure(plot, columns, [], [], []),
        _frame(plot, graphs),
        histogram,
    )
    return image, warnings


def _frame(plot: PlotSpec, graphs: Sequence[GraphData]) -> Frame | None:
    """What the ROOT object's axes show: the PNG's titles, time axis, run labels and y range."""
    if not graphs:
        return None
    first = next((g for g in plot.graphs if len(parse_varexp(g.varexp)) == 2), None)
    parts = parse_varexp(first.varexp) if first is not None else []
    labels = (parts[1].text, parts[0].text) if len(parts) == 2 else ("", "")
    title, x_title, y_title = _titles(plot, labels)
    varexp = plot.graphs[-1].varexp if plot.graphs else ""
    return Frame(
        title,
        x_title,
        y_title,
        time_axis=":time" in varexp,
        x_labels=graphs[-1].x_labels,
        y_range=parse_limits(plot.y_range),
    )


def _titles(plot: PlotSpec, labels: tuple[str, str]) -> tuple[str, str, str]:
    """Title, x and y titles: ROOT's ``"title;x;y"``, ``graphAxisLabel`` ``"Y:X"``, else the
    first graph's expressions."""
    title, x_title, y_title = ([*plot.title.split(";"), "", ""])[:3]
    x_title = x_title if ";" in plot.title else labels[0]
    y_title = y_title if plot.title.count(";") >= 2 else labels[1]
    if plot.axis_label.count(":") == 1:
        y_title, x_title = plot.axis_label.split(":")
    return title, x_title, y_title


def _figure(
    plot: PlotSpec,
    columns: Mapping[str, Array],
    warnings: list[str],
    graphs: list[GraphData],
    histograms: list[Histogram],
) -> Any:
    figure = new_figure()
    axes = figure.add_subplot()
    size = len(next(iter(columns.values()))) if columns else 0
    colors = _auto_colors(plot)
    labels: tuple[str, str] = ("", "")
    for index, graph in enumerate(plot.graphs):
        found = (warnings, graphs, histograms)
        drawn = _draw_graph(axes, graph, columns, size, colors[index], found, plot)
        labels = labels if index else drawn
    _decorate(figure, axes, plot, labels, warnings)
    return figure


def _auto_colors(plot: PlotSpec) -> list[tuple[float, ...]]:
    count = len(plot.graphs)
    if count <= 1:
        return [(0.0, 0.0, 0.0)] * count
    return palette_colors(count, plot.color_palette)


def palette_colors(count: int, palette: int = 0) -> list[tuple[float, ...]]:
    """``count`` colours telling graphs apart, as ``PLC``/``PMC`` do: without a palette
    (``0``) and up to 20 graphs a qualitative palette (tab10, tab20), else spread over the
    ROOT palette (kBird for more than 20)."""
    from matplotlib import colormaps

    if palette == 0 and count <= 20:
        # A sequential palette gives neighbouring graphs (20 supermodules) near-identical hues.
        # An integer indexes a listed colormap's colours.
        qualitative = colormaps["tab10" if count <= 10 else "tab20"]
        return [tuple(qualitative(i)) for i in range(count)]
    cmap = colormaps[root_style.palette(palette)]
    # The palette's last tenth is too light to see on white (viridis: yellow).
    return [tuple(cmap(0.85 * i / max(count - 1, 1))) for i in range(count)]


def _draw_graph(
    axes: Any,
    graph: GraphSpec,
    columns: Mapping[str, Array],
    size: int,
    auto: tuple[float, ...],
    found: tuple[list[str], list[GraphData], list[Histogram]],
    spec: PlotSpec,
) -> tuple[str, str]:
    """Draw one graph (warnings, its points or its histogram go to ``found``); returns the
    default axis titles."""
    warnings, graphs, histograms = found
    plot = spec.name
    exprs = parse_varexp(graph.varexp)
    if len(exprs) > 2:
        warnings.append(f"plot {plot!r}: {len(exprs)}-D varexp {graph.varexp!r} is not drawn")
        return "", ""
    error_parts = parse_varexp(graph.errors) if graph.errors.strip() and len(exprs) == 2 else []
    if len(error_parts) not in (0, 2):
        warnings.append(f"plot {plot!r}: graphErrors {graph.errors!r} is not 'ex:ey'")
        error_parts = []
    values = _drawn(exprs, graph.selection, error_parts, columns, size)
    if len(exprs) == 1:
        counts, edges = _draw_histogram(axes, graph, values[0], auto)
        histograms.append(_filled(graph, exprs[0].text, values[0], counts, edges))
        if graph.errors.strip():
            warnings.append(f"plot {plot!r}: graphErrors given for a histogram, ignored")
        return exprs[0].text, ""
    y, x = values[:2]
    x_labels = _x_labels(x)
    x = _x_positions(axes, x)
    errors = tuple(np.abs(v) for v in values[2:]) if error_parts else None
    draw_points(axes, graph, x, y, errors, auto, legend=len(spec.graphs) > 1)
    graphs.append(
        GraphData(
            graph.name,
            x,
            y,
            None if errors is None else errors[1],
            ex=None if errors is None else errors[0],
            title=graph.title,
            style=root_graph_style(graph, len(graphs), len(spec.graphs)),
            option=graph.option,
            x_labels=x_labels,
        )
    )
    return exprs[1].text, exprs[0].text


def _drawn(
    exprs: list[Expression],
    selection: str,
    errors: list[Expression],
    columns: Mapping[str, Array],
    size: int,
) -> list[Array]:
    """The varexp parts, then the errors, of the values passing ``selection``: drawn together,
    as one ``TTree::Draw`` (array branches' ``[]`` run in step across all of them)."""
    cut = [parse_expression(selection)] if selection.strip() else []
    values = evaluate_together([*exprs, *errors, *cut], columns, size)
    if not cut:
        return values
    mask = values[-1] != 0
    return [v[mask] for v in values[:-1]]


#: ROOT colours for graphs without one when a plot has several (black, red, blue, green...).
_ROOT_SERIES_COLORS = (1, 2, 4, 8, 6, 9, 28, 46, 38, 30)


def root_graph_style(graph: GraphSpec, index: int, count: int) -> Style:
    """The graph's ``style`` as ROOT attributes; unset colours: black, or distinct ROOT colours
    when the plot has several graphs (the PNG uses the palette, like ``PLC``/``PMC``)."""
    style = graph.style
    auto = _ROOT_SERIES_COLORS[index % len(_ROOT_SERIES_COLORS)] if count > 1 else 1
    return Style(
        line_color=style.line_color if style.line_color >= 0 else auto,
        line_style=style.line_style if style.line_style >= 0 else 1,
        line_width=style.line_width if style.line_width >= 0 else 1,
        fill_color=max(style.fill_color, 0),
        fill_style=style.fill_style if style.fill_style >= 0 else 1001,
        marker_color=style.marker_color if style.marker_color >= 0 else auto,
        marker_style=style.marker_style if style.marker_style >= 0 else 20,
        marker_size=style.marker_size if style.marker_size >= 0 else 1.0,
    )


def _x_labels(x: Array) -> tuple[str, ...]:
    """The distinct texts of a text x column, in order (empty for numbers)."""
    if x.dtype.kind not in "OUS":
        return ()
    return tuple(dict.fromkeys(str(v) for v in x))


def _x_positions(axes: Any, x: Array) -> Array:
    """Numbers for the x axis; a text column becomes evenly spaced labelled positions."""
    if x.dtype.kind not in "OUS":
        return x
    labels = list(_x_labels(x))
    index = {label: i for i, label in enumerate(labels)}
    axes.set_xticks(range(len(labels)), labels, rotation=90, fontsize="small")
    return np.asarray([index[str(v)] for v in x], dtype=np.float64)


def _style_kwargs(graph: GraphSpec, auto: tuple[float, ...]) -> dict[str, Any]:
    option = graph.option.lower()
    for palette_option in ("pfc", "plc", "pmc"):
        option = option.replace(palette_option, "", 1)
    style = graph.style
    wants_line = "l" in option or "c" in option
    wants_marker = "*" in option or "p" in option or not wants_line
    symbol, open_marker = root_style.marker(style.marker_style if style.marker_style >= 0 else 1)
    if style.marker_style < 0:
        symbol = "*" if "*" in option else "o" if "p" in option else "."
    marker_color = root_style.color(style.marker_color) if style.marker_color >= 0 else auto
    line_color = root_style.color(style.line_color) if style.line_color >= 0 else auto
    size = style.marker_size * 6 if style.marker_size >= 0 else (8 if symbol == "*" else 5)
    return {
        "marker": symbol if wants_marker else "",
        "markersize": size,
        "markerfacecolor": "none" if open_marker else marker_color,
        "markeredgecolor": marker_color,
        "color": line_color,
        "linestyle": root_style.line_style(max(style.line_style, 1)) if wants_line else "none",
        "linewidth": style.line_width if style.line_width >= 0 else 1.0,
    }


def draw_points(
    axes: Any,
    graph: GraphSpec,
    x: Array,
    y: Array,
    errors: tuple[Array, ...] | None,
    auto: tuple[float, ...],
    *,
    legend: bool = True,
) -> None:
    """Draw ``y`` vs ``x`` with ``graph``'s option and style; ``errors`` is ``(ex, ey)``.

    Without a legend (``legend=False``) x errors that are all 0 (``graphErrors: "0:..."``) are
    not drawn: zero-length bars paint no pixel, and building them was a third of the time of a
    1,000-point trend plot. A legend entry shows an x bar whatever its length, so with a legend
    they are drawn.
    """
    kwargs = _style_kwargs(graph, auto)
    label = root_style.mathtext(graph.title or graph.name)
    if "b" in graph.option.lower():
        axes.bar(x, y, color=kwargs["color"], label=label)
        return
    if errors is None:
        axes.plot(x, y, label=label, **kwargs)
        return
    ex = None if not legend and not np.any(errors[0]) else errors[0]
    axes.errorbar(
        x,
        y,
        xerr=ex,
        yerr=errors[1],
        ecolor=kwargs["color"],
        label=label,
        elinewidth=0.8,
        capsize=0,
        **kwargs,
    )


def _filled(
    graph: GraphSpec, x_title: str, values: Array, counts: Array, edges: Array
) -> Histogram:
    """The TH1F ``TTree::Draw`` fills: one entry per finite value, statistics from the values
    themselves (as ``Fill`` keeps them), the histogram's bins as drawn."""
    h = Histogram.from_counts("TH1F", graph.name, graph.title, (Axis(edges, x_title),), counts)
    h.variances = h.values.copy()
    inside = values[np.isfinite(values)].astype(np.float64)
    h.entries = float(len(inside))
    h.stats = {
        "fTsumw": h.entries,
        "fTsumw2": h.entries,
        "fTsumwx": float(inside.sum()),
        "fTsumwx2": float((inside * inside).sum()),
    }
    return h


def _draw_histogram(
    axes: Any, graph: GraphSpec, values: Array, auto: tuple[float, ...]
) -> tuple[Array, Array]:
    """Draw the values' histogram (100 bins); returns its counts and bin edges."""
    finite = values[np.isfinite(values)] if values.dtype.kind == "f" else values
    style = graph.style
    edge = root_style.color(style.line_color) if style.line_color >= 0 else auto
    fill = root_style.color(style.fill_color) if style.fill_color > 0 else None
    label = root_style.mathtext(graph.title or graph.name)
    kind = "stepfilled" if fill else "step"
    counts, edges, _ = axes.hist(
        finite, bins=100, histtype=kind, edgecolor=edge, facecolor=fill or "none", label=label
    )
    return np.asarray(counts, dtype=np.float64), np.asarray(edges, dtype=np.float64)


def _decorate(
    figure: Any, axes: Any, plot: PlotSpec, labels: tuple[str, str], warnings: list[str]
) -> None:
    title, x_title, y_title = _titles(plot, labels)
    if plot.axis_label and plot.axis_label.count(":") != 1:
        warnings.append(f"plot {plot.name!r}: graphAxisLabel must be 'Y label:X label'")
    axes.set_title(root_style.mathtext(title))
    axes.set_xlabel(root_style.mathtext(x_title))
    axes.set_ylabel(root_style.mathtext(y_title))
    _format_x(axes, plot.graphs[-1].varexp if plot.graphs else "")
    _y_range(axes, plot, warnings)
    if len(plot.graphs) > 1:
        draw_legend(figure, axes, plot.legend)
    one_pad_margins(figure)


def _format_x(axes: Any, varexp: str) -> None:
    if ":time" in varexp:
        date_axis(axes)
    elif ":meta.runNumber" in varexp and ":meta.runNumberStr" not in varexp:
        run_axis(axes)


def date_axis(axes: Any) -> None:
    """x in seconds since the epoch, labelled ``%Y-%m-%d %H:%M`` (UTC)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    tag_x_axis(axes, "time")
    axes.xaxis.set_major_locator(MaxNLocator(5))
    axes.xaxis.set_major_formatter(FuncFormatter(_date_label))
    axes.tick_params(axis="x", labelrotation=20)


def run_axis(axes: Any) -> None:
    """x is a run number: integer ticks, no offset or exponent."""
    from matplotlib.ticker import MaxNLocator, ScalarFormatter

    tag_x_axis(axes, "run")
    formatter = ScalarFormatter(useOffset=False)
    formatter.set_scientific(False)
    axes.xaxis.set_major_formatter(formatter)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))


def _date_label(seconds: float, _position: Any) -> str:
    try:
        return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%d %H:%M")
    except (OverflowError, OSError, ValueError):
        return ""


def parse_limits(text: str) -> tuple[float, float] | None:
    """``"min:max"`` as two numbers, or None."""
    parts = text.split(":")
    try:
        low, high = (float(p) for p in parts)
    except ValueError:
        return None
    return low, high


def _y_range(axes: Any, plot: PlotSpec, warnings: list[str]) -> None:
    if not plot.y_range:
        return
    limits = parse_limits(plot.y_range)
    if limits is None:
        warnings.append(f"plot {plot.name!r}: graphYRange {plot.y_range!r} is not 'min:max'")
        return
    axes.set_ylim(*limits)


def draw_legend(figure: Any, axes: Any, legend: LegendSpec) -> None:
    """The legend of the axes' graphs: in ``legend``'s NDC box when it is placed, else at the
    best place."""
    columns = max(legend.n_columns, 1)
    if legend.placed:
        box = (legend.x1, legend.y1, legend.x2 - legend.x1, legend.y2 - legend.y1)
        axes.legend(
            loc="center",
            bbox_to_anchor=box,
            bbox_transform=figure.transFigure,
            ncols=columns,
            frameon=False,
            fontsize="small",
        )
    else:
        axes.legend(loc="best", ncols=columns, frameon=False, fontsize="small")
