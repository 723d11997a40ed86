"""The plot ReferenceComparatorTask publishes: a histogram, its reference and their ratio.

QC draws a ``TCanvas`` with pads ``<name>_PadHist``, ``<name>_PadHistRatio`` (and for 2-D
``<name>_PadHistRef``) holding ``<name>_hist``, ``<name>_hist_ref`` and ``<name>_hist_ratio``;
ReferenceComparatorCheck finds the two histograms in it. qcflow publishes a
:class:`ComparisonPlot`: a PNG (uproot cannot write a canvas) that carries the three histograms
for the checks of the same run. Layout as QC's: 1-D -- the ratio on top (y range
[0.001, 1.999]), current (black) and reference (blue) below with a legend "current run" /
"reference run <N>"; 2-D -- the ratio on top (z range [0, 2]), current and reference side by
side below; ``drawRatioOnly`` -- the ratio alone. ``logScale`` makes the histogram axes
logarithmic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from qcflow.objects.root import Histogram
from qcflow.postprocessing.plotting import root_style
from qcflow.postprocessing.plotting.images import PlotImage, new_figure, png

__all__ = ["ComparisonPlot", "ComparisonStyle", "comparison_plot"]


@dataclass(frozen=True)
class ComparisonStyle:
    ratio_only: bool = False
    log_scale: bool = False
    legend_height: float = 0.2


@dataclass(frozen=True)
class ComparisonPlot(PlotImage):
    """A PNG of the comparison, with the histograms it shows."""

    current: Histogram | None = field(default=None, repr=False, compare=False)
    reference: Histogram | None = field(default=None, repr=False, compare=False)
    ratio: Histogram | None = field(default=None, repr=False, compare=False)
    reference_run: int = 0


def comparison_plot(
    name: str,
    current: Histogram,
    reference: Histogram,
    ratio: Histogram,
    reference_run: int,
    style: ComparisonStyle,
) -> ComparisonPlot:
    redraw = partial(_draw, current, reference, ratio, reference_run, style)
    return ComparisonPlot(
        name,
        png(redraw()),
        (),
        redraw,
        current=current,
        reference=reference,
        ratio=ratio,
        reference_run=reference_run,
    )


def _draw(
    current: Histogram, reference: Histogram, ratio: Histogram, run: int, style: ComparisonStyle
) -> Any:
    figure = new_figure(8.0, 6.0)
    title = root_style.mathtext(f"{reference.title} (ref. {run})")
    if style.ratio_only:
        axes = figure.add_subplot()
        _draw_one(axes, ratio, "black", (0.0, 2.0) if ratio.ndim == 2 else None)
        axes.set_ylabel("current / reference") if ratio.ndim == 1 else None
        axes.set_title(title)
        return figure
    grid = figure.add_gridspec(2, 2 if current.ndim == 2 else 1, height_ratios=(1, 2))
    top = figure.add_subplot(grid[0, :])
    _draw_one(top, ratio, "black", (0.0, 2.0) if ratio.ndim == 2 else None)
    top.set_title(title)
    if ratio.ndim == 1:
        top.set_ylim(0.001, 1.999)
        top.set_ylabel("ratio")
        top.yaxis.grid(True)
        bottom = figure.add_subplot(grid[1, 0], sharex=top)
        _draw_one(bottom, current, "black", None, "current run")
        _draw_one(bottom, reference, "blue", None, f"reference run {run}")
        bottom.set_ylim(0, max(_peak(current), _peak(reference)) * (1 + style.legend_height))
        if style.log_scale:
            bottom.set_yscale("log")
        bottom.legend(ncols=2, loc="upper center", frameon=False, fontsize="small")
    else:
        for column, h in enumerate((current, reference)):
            _draw_one(figure.add_subplot(grid[1, column]), h, "", None, log=style.log_scale)
    figure.subplots_adjust(left=0.1, right=0.95, bottom=0.08, top=0.92, hspace=0.3)
    return figure


def _peak(h: Histogram) -> float:
    inner = h.inner()
    return float(inner.max()) if inner.size else 1.0


def _draw_one(
    axes: Any,
    h: Histogram,
    color: str,
    z_range: tuple[float, float] | None,
    label: str = "",
    *,
    log: bool = False,
) -> None:
    if h.ndim == 1:
        axes.stairs(h.inner(), h.axes[0].edges, color=color, label=label or None)
        axes.set_xlabel(root_style.mathtext(h.axes[0].title))
        return
    from matplotlib.colors import LogNorm

    values = h.inner().T
    norm = LogNorm() if log and np.any(values > 0) else None
    low, high = (None, None) if norm or z_range is None else z_range
    edges = (h.axes[0].edges, h.axes[1].edges)
    mesh = axes.pcolormesh(*edges, values, cmap="viridis", vmin=low, vmax=high, norm=norm)
    axes.figure.colorbar(mesh, ax=axes)
