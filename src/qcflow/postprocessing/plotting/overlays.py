"""Overlays a check draws on a plot when it beautifies it: threshold lines, quality labels.

QC's checks add ``TLine``/``TPaveText`` primitives to the objects they judge. qcflow's plots are
images, so a check returns overlays and the plot is drawn again with them
(:meth:`~.images.PlotImage.annotated`); for objects that are not plots (histograms) the check
runner records them as the object's ``qc_annotations`` metadata (:func:`overlays_json`), which a
viewer may draw.

- :class:`HLine` -- a horizontal line at ``y`` across the pad (MeanIsAbove's threshold);
- :class:`Polyline` -- a line through points in data coordinates (TrendCheck's thresholds);
- :class:`Label` -- a text at a position in pad coordinates (0..1), optionally on a filled box
  (a quality name, EverIncreasingGraph's "No anomalies").

Colours and line styles are ROOT's numbers (:mod:`.root_style`): QC's checks are written that
way (Good 418 kGreen+2, Medium 797 kOrange-3, Bad 632 kRed, Null 874 kViolet-6). ``pad`` picks
the axes of a multi-pad plot (0: the first).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from qcflow.postprocessing.plotting import root_style

__all__ = ["QUALITY_COLORS", "HLine", "Label", "Overlay", "Polyline", "draw", "overlays_json"]

#: QC's colour of each quality name (QualityTask, TrendCheck, ReferenceComparatorCheck).
QUALITY_COLORS = {"Good": 418, "Medium": 797, "Bad": 632, "Null": 874}


@dataclass(frozen=True)
class HLine:
    y: float
    color: int = 1
    style: int = 1
    width: float = 2.0
    pad: int = 0


@dataclass(frozen=True)
class Polyline:
    x: tuple[float, ...]
    y: tuple[float, ...]
    color: int = 1
    style: int = 1
    width: float = 2.0
    pad: int = 0


@dataclass(frozen=True)
class Label:
    text: str
    color: int = 1
    x: float = 0.12
    y: float = 0.8
    size: float = 11.0
    fill: int | None = None
    pad: int = 0


Overlay = HLine | Polyline | Label


def draw(figure: Any, overlays: Sequence[Overlay]) -> None:
    """Draw ``overlays`` on the pads (axes) of ``figure``."""
    pads = [axes for axes in figure.axes if axes.axison]
    for item in overlays:
        if not pads:
            return
        axes = pads[min(item.pad, len(pads) - 1)]
        if isinstance(item, HLine):
            axes.axhline(
                item.y,
                color=root_style.color(item.color),
                linewidth=item.width,
                linestyle=root_style.line_style(item.style),
            )
        elif isinstance(item, Polyline):
            axes.plot(
                item.x,
                item.y,
                color=root_style.color(item.color),
                linewidth=item.width,
                linestyle=root_style.line_style(item.style),
            )
        else:
            _label(axes, item)


def _label(axes: Any, label: Label) -> None:
    box = None
    if label.fill is not None:
        box = {"facecolor": root_style.color(label.fill), "edgecolor": "none", "alpha": 0.85}
    axes.text(
        label.x,
        label.y,
        root_style.mathtext(label.text),
        transform=axes.transAxes,
        color=root_style.color(label.color),
        fontsize=label.size,
        bbox=box,
        verticalalignment="center",
    )


def overlays_json(overlays: Sequence[Overlay]) -> str:
    """Compact JSON of overlays (``[{"kind": "HLine", "y": 1.5, …}]``) for metadata."""
    items = [{"kind": type(a).__name__, **asdict(a)} for a in overlays]
    return json.dumps(items, separators=(",", ":"))
