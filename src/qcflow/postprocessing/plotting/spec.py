"""What a trend plot is made of: the ``plots[]`` entries of a TrendingTask config, as values.

:class:`PlotSpec` (``name``, ``title``, ``graphAxisLabel``, ``graphYRange``, ``colorPalette``,
``legend``) holds :class:`GraphSpec` s (``varexp``, ``selection``, ``option``, ``graphErrors``,
``style``). :mod:`.draw` draws them; SliceTrendingTask and other tasks may reuse them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from qcflow.postprocessing.plotting.expressions import Expression, parse_expression, parse_varexp

__all__ = [
    "GRAPH_EXPRESSION_KEYS",
    "GraphSpec",
    "GraphStyle",
    "LegendSpec",
    "PlotSpec",
    "plot_branches",
    "plot_sources",
]


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


#: The config keys of a graph that hold expressions, in evaluation order.
GRAPH_EXPRESSION_KEYS = ("varexp", "selection", "graphErrors")


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
        return [e for key in GRAPH_EXPRESSION_KEYS for e in self.expressions_of(key)]

    def expressions_of(self, key: str) -> list[Expression]:
        """The expressions of one config key of :data:`GRAPH_EXPRESSION_KEYS` (errors name it)."""
        text = {"varexp": self.varexp, "selection": self.selection, "graphErrors": self.errors}[key]
        if not text.strip():
            return []
        return [parse_expression(text)] if key == "selection" else parse_varexp(text)


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


def plot_sources(plot: PlotSpec, names: Sequence[str]) -> list[str]:
    """The data sources (of ``names``) whose branches (``<source>.<leaf>``) the plot's
    ``varexp`` s read, in the order they appear: graph by graph, ``y`` before ``x``."""
    found: list[str] = []
    for graph in plot.graphs:
        for expression in parse_varexp(graph.varexp):
            for branch in sorted(expression.branches, key=expression.text.find):
                owners = [n for n in names if branch.startswith(f"{n}.")]
                source = max(owners, key=len, default=None)
                if source is not None and source not in found:
                    found.append(source)
    return found
