"""Plots as publishable images: a PNG, the graphs it shows, and how to draw it again.

Every plot qcflow publishes (trends, slice trends, quality trends, comparisons) is a
:class:`PlotImage`. One that has graphs and a :class:`~qcflow.objects.plots.Frame` (titles,
axis labels, time axis, y range) is stored as a ROOT object at its QC path -- a TGraph or
TGraphErrors, a TMultiGraph for several graphs (:func:`qcflow.objects.plots.encode_graphs`);
one drawn as a histogram (a one-expression ``varexp``, a map) as its TH1F/TH2F --
that ROOT, JSROOT and QCG draw, with its PNG as a companion object at the path plus ``.png``
(:data:`qcflow.objects.paths.PNG_COMPANION`) for qcflow's report -- unless it is made with
``companion=False`` and no PNG (MCH's in-task trends: the report draws the PNG from the ROOT
object, :mod:`.graphs`); any other (text summaries,
histogram comparisons) is stored as a PNG object (``image/png``). It is handed to checks with
the points of each graph
(:class:`GraphData`: what TrendCheck and EverIncreasingGraph judge) and, when the task gave one,
a ``redraw`` function, so that a check's overlays (:mod:`.overlays`) can be drawn into it
(:meth:`PlotImage.annotated`).

:func:`new_figure` (ROOT's default canvas size, 700×500, Agg, no pyplot state) and :func:`png`
are what every plot is drawn with. A pad whose x is a run number or a time (:func:`tag_x_axis`,
which ``run_axis``/``date_axis`` call) is described in the PNG's ``qcflow:x-axes`` text chunk
(its pixel box and x range), so that the report can mark bad runs on it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy.typing as npt

from qcflow.objects.codec import Payload
from qcflow.objects.paths import PNG_COMPANION
from qcflow.objects.plots import Frame, Series, Style, encode_graphs, graph_draw_options
from qcflow.objects.root import Histogram, encode_histogram
from qcflow.postprocessing.plotting import overlays

__all__ = [
    "X_AXES_KEY",
    "GraphData",
    "PlotImage",
    "new_figure",
    "one_pad_margins",
    "png",
    "tag_x_axis",
    "x_axes",
]

Array = npt.NDArray[Any]
WIDTH, HEIGHT, DPI = 7.0, 5.0, 100
#: The PNG text chunk listing the plot's run and time axes (:func:`x_axes`), JSON: what lets the
#: report mark runs on a plot it did not draw.
X_AXES_KEY = "qcflow:x-axes"
_GID = "qcflow-x:"


@dataclass(frozen=True)
class GraphData:
    """The points of one drawn graph, and the pad (axes index) it is drawn in."""

    name: str
    x: Array
    y: Array
    ey: Array | None = None
    pad: int = 0
    ex: Array | None = None
    title: str = ""
    style: Style = field(default_factory=Style)
    option: str = ""
    x_labels: tuple[str, ...] = ()  # the texts at x = 0, 1, ... (runs as text)

    def root(self) -> Series:
        """The graph as :mod:`qcflow.objects.plots` writes it."""
        return Series(
            self.name,
            self.x,
            self.y,
            self.ex,
            self.ey,
            self.title or self.name,
            self.style,
            self.option,
        )


@dataclass(frozen=True)
class PlotImage:
    """A rendered plot (see the module docstring). ``data`` is the PNG, or empty for a ROOT
    graph published without its PNG companion (``companion=False``); ``redraw`` then draws it
    (:meth:`annotated`)."""

    name: str
    data: bytes
    graphs: tuple[GraphData, ...] = ()
    redraw: Callable[[], Any] | None = field(default=None, repr=False, compare=False)
    frame: Frame | None = None
    #: the ROOT object of a plot that is a histogram (a one-expression ``varexp``, a map)
    histogram: Histogram | None = None
    #: QCG's ``drawOptions`` and ``displayHints`` (metadata; default: what the object needs)
    draw_options: str = ""
    display_hints: str = ""
    #: publish the PNG next to the ROOT object (False: only the ROOT object, which needs
    #: graphs and a frame; whoever needs a PNG draws it from the object)
    companion: bool = True

    def encode(self) -> Payload:
        image = Payload(self.data, "image/png", "image/png", "png")
        companions = ((PNG_COMPANION, image),) if self.companion else ()
        if not self.companion and self.histogram is None and (not self.graphs or not self.frame):
            msg = f"plot {self.name!r} has neither a PNG nor graphs and a frame to publish"
            raise ValueError(msg)
        if self.histogram is not None:
            h = self.histogram
            return Payload(
                encode_histogram(h),
                h.class_name,
                "application/root",
                "root",
                companions,
                self.draw_options,
                self.display_hints,
            )
        if self.frame is None or not self.graphs:
            return image
        graphs = [g.root() for g in self.graphs]
        data, kind = encode_graphs(self.name, graphs, self.frame)
        options = self.draw_options or graph_draw_options(graphs)
        return Payload(
            data, kind, "application/root", "root", companions, options, self.display_hints
        )

    def annotated(self, drawn: Sequence[overlays.Overlay]) -> PlotImage:
        """The same plot drawn again with the overlays ``drawn`` (itself if it cannot be)."""
        if self.redraw is None or not drawn:
            return self
        figure = self.redraw()
        overlays.draw(figure, drawn)
        return replace(self, data=png(figure), companion=True)  # the overlays exist nowhere else


def new_figure(width: float = WIDTH, height: float = HEIGHT) -> Any:
    """A matplotlib figure (ROOT's default canvas size unless given), on the Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def one_pad_margins(figure: Any) -> None:
    """Fixed margins for a figure of one pad: room for the titles, more for rotated date labels.

    Not ``tight_layout``: it measures every tick label with a layout pass that costs as much as
    drawing the plot, once per plot; the margins of one pad are known in advance.
    """
    dated = any((axes.get_gid() or "") == f"{_GID}time" for axes in figure.get_axes())
    # Rotated date labels reach below the axis and past its right end.
    right, bottom = (0.9, 0.17) if dated else (0.96, 0.14)
    figure.subplots_adjust(left=0.14, right=right, bottom=bottom, top=0.9)


def png(figure: Any) -> bytes:
    """The figure as PNG bytes (no software tag: the same figure gives the same bytes), with
    where its run and time axes are (:data:`X_AXES_KEY`)."""
    metadata: dict[str, str | None] = {"Software": None}
    axes = x_axes(figure)
    if axes:
        metadata[X_AXES_KEY] = json.dumps(axes, separators=(",", ":"))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata=metadata)
    return buffer.getvalue()


def tag_x_axis(axes: Any, kind: str) -> None:
    """Say that ``axes``' x is a run number (``"run"``) or a time in seconds (``"time"``)."""
    axes.set_gid(f"{_GID}{kind}")


def x_axes(figure: Any) -> list[dict[str, Any]]:
    """Every tagged axes of ``figure`` (:func:`tag_x_axis`): its kind, its box in pixels of
    the PNG (left, top, right, bottom; origin top left) and its x range."""
    width, height = figure.get_figwidth() * DPI, figure.get_figheight() * DPI
    out = []
    for axes in figure.get_axes():
        gid = axes.get_gid() or ""
        if not gid.startswith(_GID):
            continue
        box = axes.get_position()
        low, high = axes.get_xlim()
        out.append(
            {
                "kind": gid.removeprefix(_GID),
                "box": [
                    round(box.x0 * width, 1),
                    round((1 - box.y1) * height, 1),
                    round(box.x1 * width, 1),
                    round((1 - box.y0) * height, 1),
                ],
                "xlim": [float(low), float(high)],
            }
        )
    return out
