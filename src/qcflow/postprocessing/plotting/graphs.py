"""A plot given as its ROOT object's content -- graphs (:class:`~qcflow.objects.plots.Series`)
and a :class:`~qcflow.objects.plots.Frame` -- drawn as a PNG.

A task that publishes a ROOT graph without its PNG companion (MCH's in-task trends,
:mod:`qcflow.modules._trends`: a PNG per run that the next run's supersedes) leaves the PNG to
whoever needs it: the report draws it from the decoded object (:func:`graph_object_png`). Both
the task's own figure (:attr:`PlotImage.redraw`, for a check's overlays) and the report's come
from :func:`graphs_figure`, so they are the same pixels; they are also the pixels
:func:`~.draw.plot_image` draws for the same graphs given as a :class:`~.spec.PlotSpec` (a test
compares them).

What a ROOT object does not keep is fixed here: several graphs get :data:`GRAPHS_LEGEND` (a
band at the top of the pad, 5 columns); points that are not finite are left out, as the ROOT
object leaves them out.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from qcflow.objects.plots import Frame, Series, Style, decode_graphs, finite_points
from qcflow.postprocessing.plotting import root_style
from qcflow.postprocessing.plotting.draw import date_axis, draw_legend, draw_points
from qcflow.postprocessing.plotting.images import (
    GraphData,
    PlotImage,
    new_figure,
    one_pad_margins,
    png,
)
from qcflow.postprocessing.plotting.spec import GraphSpec, GraphStyle, LegendSpec

__all__ = ["GRAPHS_LEGEND", "graph_object_png", "graphs_figure", "graphs_image", "graphs_png"]

#: The legend of a plot of several graphs (a ROOT graph object keeps none).
GRAPHS_LEGEND = LegendSpec(0.12, 0.70, 0.88, 0.88, 5)
_BLACK = (0.0, 0.0, 0.0)


def _spec(graph: Series) -> GraphSpec:
    style: Style = graph.style
    return GraphSpec(
        graph.name,
        graph.title,
        "",
        option=graph.option,
        style=GraphStyle(
            line_color=style.line_color,
            line_style=style.line_style,
            line_width=style.line_width,
            marker_color=style.marker_color,
            marker_style=style.marker_style,
            marker_size=style.marker_size,
            fill_color=style.fill_color,
            fill_style=style.fill_style,
        ),
    )


def graphs_figure(graphs: Sequence[Series], frame: Frame) -> Any:
    """The matplotlib figure of ``graphs`` in ``frame`` (see the module docstring)."""
    figure = new_figure()
    axes = figure.add_subplot()
    several = len(graphs) > 1
    if frame.x_labels:
        ticks = range(len(frame.x_labels))
        axes.set_xticks(ticks, list(frame.x_labels), rotation=90, fontsize="small")
    for graph in graphs:
        kept = finite_points(graph)
        x = np.asarray(kept.x, dtype=np.float64)
        y = np.asarray(kept.y, dtype=np.float64)
        errors = None
        if kept.ey is not None:
            ex = np.zeros_like(x) if kept.ex is None else np.asarray(kept.ex, dtype=np.float64)
            errors = (np.abs(ex), np.abs(np.asarray(kept.ey, dtype=np.float64)))
        draw_points(axes, _spec(graph), x, y, errors, _BLACK, legend=several)
    axes.set_title(root_style.mathtext(frame.title))
    axes.set_xlabel(root_style.mathtext(frame.x_title))
    axes.set_ylabel(root_style.mathtext(frame.y_title))
    if frame.time_axis:
        date_axis(axes)
    if frame.y_range is not None:
        axes.set_ylim(*frame.y_range)
    if several:
        draw_legend(figure, axes, GRAPHS_LEGEND)
    one_pad_margins(figure)
    return figure


def graphs_png(graphs: Sequence[Series], frame: Frame) -> bytes:
    """PNG bytes of :func:`graphs_figure`."""
    return png(graphs_figure(graphs, frame))


@functools.lru_cache(maxsize=128)
def graph_object_png(data: bytes, draw_options: str = "") -> bytes:
    """The PNG of a published ROOT graph object (TGraph, TGraphErrors, TMultiGraph; its
    ``drawOptions`` metadata gives a single graph's option).

    Remembered for the last 128 objects (~60 kB each): a process that builds reports again
    (the UI, a loop over passes, the tests) draws an unchanged graph once; the key is the
    object's bytes, so a new version is always drawn."""
    graphs, frame = decode_graphs(data, draw_options)
    return graphs_png(graphs, frame)


def graphs_image(name: str, graphs: Sequence[GraphData], frame: Frame) -> PlotImage:
    """A plot published as its ROOT graph object alone, without a PNG companion: nothing is
    drawn now; its ``redraw`` draws :func:`graphs_figure` (a check's overlays)."""
    drawn = tuple(graphs)
    if not drawn:
        msg = f"plot {name!r}: no graph to publish"
        raise ValueError(msg)
    return PlotImage(
        name,
        b"",
        drawn,
        lambda: graphs_figure([g.root() for g in drawn], frame),
        frame,
        companion=False,
    )
