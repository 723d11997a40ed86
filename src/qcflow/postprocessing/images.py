"""Plots as publishable images: a PNG, the graphs it shows, and how to draw it again.

Every plot qcflow publishes (trends, slice trends, quality trends, comparisons) is a
:class:`PlotImage`: stored as a PNG object (``ObjectType`` and content type ``image/png``;
uproot cannot write ROOT's ``TCanvas``), handed to checks with the points of each graph
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


@dataclass(frozen=True)
class PlotImage:
    """A rendered plot (see the module docstring)."""

    name: str
    data: bytes
    graphs: tuple[GraphData, ...] = ()
    redraw: Callable[[], Any] | None = field(default=None, repr=False, compare=False)

    def encode(self) -> Payload:
        return Payload(self.data, "image/png", "image/png", "png")

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
