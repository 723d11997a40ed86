"""Plots as publishable images: a PNG, the graphs it shows, and how to draw it again.

Every plot qcflow publishes (trends, slice trends, quality trends, comparisons) is a
:class:`PlotImage`. One that has graphs and a :class:`~qcflow.objects.plots.Frame` (titles,
axis labels, time axis, y range) is stored as a ROOT object at its QC path -- a TGraph or
TGraphErrors, a TMultiGraph for several graphs (:func:`qcflow.objects.plots.encode_graphs`) --
that ROOT, JSROOT and QCG draw, with its PNG as a companion object at the path plus ``.png``
(:data:`qcflow.objects.paths.PNG_COMPANION`) for qcflow's report; any other (text summaries,
histogram comparisons) is stored as a PNG object (``image/png``). It is handed to checks with
the points of each graph
(:class:`GraphData`: what TrendCheck and EverIncreasingGraph judge) and, when the task gave one,
a ``redraw`` function, so that a check's overlays (:mod:`.overlays`) can be drawn into it
(:meth:`PlotImage.annotated`).

:func:`new_figure` (ROOT's default canvas size, 700×500, Agg, no pyplot state) and :func:`png`
are what every plot is drawn with.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy.typing as npt

from qcflow.objects.paths import PNG_COMPANION
from qcflow.objects.plots import Frame, Graph, Style, encode_graphs
from qcflow.postprocessing import overlays
from qcflow.postprocessing.object_manager import Payload

__all__ = ["GraphData", "PlotImage", "new_figure", "png"]

Array = npt.NDArray[Any]
WIDTH, HEIGHT, DPI = 7.0, 5.0, 100


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

    def root(self) -> Graph:
        """The graph as :mod:`qcflow.objects.plots` writes it."""
        return Graph(self.name, self.x, self.y, self.ex, self.ey, self.title or self.name,
                     self.style, self.option)  # fmt: skip


@dataclass(frozen=True)
class PlotImage:
    """A rendered plot (see the module docstring)."""

    name: str
    data: bytes
    graphs: tuple[GraphData, ...] = ()
    redraw: Callable[[], Any] | None = field(default=None, repr=False, compare=False)
    frame: Frame | None = None

    def encode(self) -> Payload:
        image = Payload(self.data, "image/png", "image/png", "png")
        if self.frame is None or not self.graphs:
            return image
        data, kind = encode_graphs(self.name, [g.root() for g in self.graphs], self.frame)
        return Payload(data, kind, "application/root", "root", ((PNG_COMPANION, image),))

    def annotated(self, drawn: Sequence[overlays.Overlay]) -> PlotImage:
        """The same plot drawn again with the overlays ``drawn`` (itself if it cannot be)."""
        if self.redraw is None or not drawn:
            return self
        figure = self.redraw()
        overlays.draw(figure, drawn)
        return replace(self, data=png(figure))


def new_figure(width: float = WIDTH, height: float = HEIGHT) -> Any:
    """A matplotlib figure (ROOT's default canvas size unless given), on the Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def png(figure: Any) -> bytes:
    """The figure as PNG bytes (no software tag: the same figure gives the same bytes)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
