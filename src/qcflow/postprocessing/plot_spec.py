"""What a trend plot is made of: the ``plots[]`` entries of a TrendingTask config, as values.

:class:`PlotSpec` (``name``, ``title``, ``graphAxisLabel``, ``graphYRange``, ``colorPalette``,
``legend``) holds :class:`GraphSpec` s (``varexp``, ``selection``, ``option``, ``graphErrors``,
``style``). :mod:`.plotting` draws them; SliceTrendingTask and other tasks may reuse them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from qcflow.postprocessing.expressions import Expression, parse_expression, parse_varexp

__all__ = ["GraphSpec", "GraphStyle", "LegendSpec", "PlotSpec", "plot_branches"]


@dataclass(frozen=True)
class GraphStyle:
    """ROOT style attributes; -1 means "not set"."""

    line_color: int = -1
    line_style: int = -1
    line_width: int = -1
    marker_color: int = -1
    marker_style: int = -1
    marker_size: float = -1.0
    fill_color: int = -1
    fill_style: int = -1


@dataclass(frozen=True)
class GraphSpec:
    name: str
    title: str
    varexp: str
    selection: str = ""
    option: str = ""
    errors: str = ""
    style: GraphStyle = field(default_factory=GraphStyle)

    def expressions(self) -> list[Expression]:
        """Every expression the graph evaluates (varexp, selection, errors)."""
        out = parse_varexp(self.varexp)
        if self.selection.strip():
            out.append(parse_expression(self.selection))
        if self.errors.strip():
            out.extend(parse_varexp(self.errors))
        return out


@dataclass(frozen=True)
class LegendSpec:
    x1: float = -1.0
    y1: float = -1.0
    x2: float = -1.0
    y2: float = -1.0
    n_columns: int = 1

    @property
    def placed(self) -> bool:
        return min(self.x1, self.y1, self.x2, self.y2) >= 0


@dataclass(frozen=True)
class PlotSpec:
    name: str
    title: str = ""
    axis_label: str = ""
    y_range: str = ""
    color_palette: int = 0
    legend: LegendSpec = field(default_factory=LegendSpec)
    graphs: tuple[GraphSpec, ...] = ()


def plot_branches(plots: Sequence[PlotSpec]) -> set[str]:
    """Every branch the plots read (to check them against the trend's columns)."""
    return {b for plot in plots for g in plot.graphs for e in g.expressions() for b in e.branches}
