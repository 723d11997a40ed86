"""TrendingTask's config keys, read and checked before anything runs.

Keys of ``qc.postprocessing.<id>`` (besides the common ones): ``producePlotsOnUpdate`` (true),
``resumeTrend`` (false), ``trendIfAllInputs`` (false), ``trendingTimestamp`` (``trigger``,
``validFrom``, ``validUntil``; default and -- with a warning here -- fallback ``validUntil``),
``dataSources[]`` (``type``, ``path``, ``names[]`` or ``name``, ``reductorName``, ``moduleName``,
``reductorParameters``) and ``plots[]`` (``name``, ``title``, ``graphAxisLabel``, ``graphYRange``,
``colorPalette``, ``legend``, ``graphs[]`` or the legacy plot-level ``varexp``/``selection``/
``option``/``graphErrors``/``style``).

Checked here, unlike in QC: reductor classes exist and suit their source type; every
``varexp``, ``selection`` and ``graphErrors`` parses and names only branches the trend will have
(:class:`~qcflow.postprocessing.plotting.expressions.UnknownBranch` lists the close ones);
source names are unique. qcflow applies a legacy plot's ``style`` (QC reads it and drops it).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from qcflow.errors import InvalidInput
from qcflow.postprocessing.config.classes import REGISTRY
from qcflow.postprocessing.config.parameters import CustomParameters, read_extended
from qcflow.postprocessing.config.schema import TaskConfig
from qcflow.postprocessing.config.values import Node
from qcflow.postprocessing.plotting.expressions import check_branches
from qcflow.postprocessing.plotting.spec import (
    GRAPH_EXPRESSION_KEYS,
    GraphSpec,
    GraphStyle,
    LegendSpec,
    PlotSpec,
)
from qcflow.postprocessing.reduction.reductors import Reductor
from qcflow.postprocessing.trending.table import META_RUN, META_RUN_TEXT, TIME

__all__ = [
    "SOURCE_TYPES",
    "DataSource",
    "TrendingConfig",
    "parse_trending",
    "read_timestamp",
    "resolve_reductor",
    "source_names",
]

SOURCE_TYPES = {"repository": "object", "repository-quality": "quality", "condition": "condition"}
TIMESTAMPS = ("trigger", "validFrom", "validUntil")
#: What ``reductorName`` names (an alias: ``DataSource.type`` hides the builtin in its body).
ReductorClass = type[Reductor]


@dataclass(frozen=True)
class DataSource:
    """One trended object: ``name`` is also the trend branch."""

    type: str
    path: str
    name: str
    reductor_name: str
    module_name: str
    parameters: CustomParameters = field(default_factory=CustomParameters)
    #: The class ``reductorName`` names (None when it could not be resolved).
    reductor_class: ReductorClass | None = field(default=None, repr=False, compare=False)

    def object_path(self) -> str:
        """Where the object is, under the provenance (conditions: in the condition DB)."""
        if self.type == "condition" and (not self.path or not self.name):
            return self.path + self.name
        return f"{self.path}/{self.name}"


@dataclass(frozen=True)
class TrendingConfig:
    produce_plots_on_update: bool = True
    resume_trend: bool = False
    trend_if_all_inputs: bool = False
    trending_timestamp: str = "validUntil"
    data_sources: tuple[DataSource, ...] = ()
    plots: tuple[PlotSpec, ...] = ()

    def branches(self) -> list[str]:
        """Every column of the trend: meta, time, and ``<source>.<leaf>``."""
        leaves = [
            f"{ds.name}.{leaf}"
            for ds in self.data_sources
            for leaf in getattr(ds.reductor_class, "fields", {})
        ]
        return [META_RUN, META_RUN_TEXT, TIME, *leaves]


def read_timestamp(node: Node) -> str:
    """``trendingTimestamp``: ``trigger``, ``validFrom`` or ``validUntil`` (default, fallback)."""
    timestamp = node.text("trendingTimestamp", "validUntil")
    if timestamp not in TIMESTAMPS:
        node.warn(
            "trendingTimestamp",
            f"{timestamp!r} is not one of {', '.join(TIMESTAMPS)}; validUntil is used, as in QC",
        )
        timestamp = "validUntil"
    return timestamp


def source_names(item: Node) -> list[str]:
    """A data source's ``names`` list or its ``name`` (an error when there is neither)."""
    names = item.strings("names") if item.has("names") else [item.text("name", "")]
    if not any(names):
        item.error(None, "has no 'name' value or 'names' list")
    return [name for name in names if name]


def parse_trending(node: Node, config: TaskConfig) -> TrendingConfig:
    timestamp = read_timestamp(node)
    sources = _sources(node)
    partial = TrendingConfig(
        produce_plots_on_update=node.flag("producePlotsOnUpdate", True),
        resume_trend=node.flag("resumeTrend", False),
        trend_if_all_inputs=node.flag("trendIfAllInputs", False),
        trending_timestamp=timestamp,
        data_sources=sources,
    )
    plots = tuple(_plot(p, partial.branches()) for p in node.items("plots", required=True))
    return replace(partial, plots=plots)


# -- dataSources -----------------------------------------------------------------------------------


def _sources(node: Node) -> tuple[DataSource, ...]:
    out: list[DataSource] = []
    for item in node.items("dataSources", required=True):
        names = source_names(item)
        kind = item.choice("type", "repository", tuple(SOURCE_TYPES))
        reductor = item.required_text("reductorName")
        cls = _reductor(item, reductor, kind)
        raw = item.child("reductorParameters")
        parameters = CustomParameters(read_extended(raw)) if raw is not None else CustomParameters()
        path = item.required_text("path")
        module = item.required_text("moduleName")
        for name in names:
            if any(ds.name == name for ds in out):
                item.error(
                    "names",
                    f"source name {name!r} is used twice: the trend has one branch per name",
                )
            out.append(DataSource(kind, path, name, reductor, module, parameters, cls))
        item.finish()
    return tuple(out)


def resolve_reductor(item: Node, name: str) -> type[Reductor] | None:
    """The reductor class ``reductorName`` names, or None (an empty name, or an error recorded
    at ``item.reductorName``)."""
    if not name:
        return None
    try:
        cls: type[Reductor] = REGISTRY.resolve("reductor", name, item.at("reductorName"))
    except InvalidInput as err:
        item.error_from("reductorName", err)
        return None
    return cls


def _reductor(item: Node, name: str, kind: str) -> type[Reductor] | None:
    cls = resolve_reductor(item, name)
    if cls is None:
        return None
    wanted = SOURCE_TYPES[kind]
    if getattr(cls, "source", "object") != wanted:
        item.error("reductorName", f"{name} reduces {cls.source} objects, not the {kind!r} type's")
    return cls


# -- plots -----------------------------------------------------------------------------------------


def _style(node: Node | None) -> GraphStyle:
    if node is None:
        return GraphStyle()
    style = GraphStyle(
        line_color=node.integer("lineColor", -1),
        line_style=node.integer("lineStyle", -1),
        line_width=node.integer("lineWidth", -1),
        marker_color=node.integer("markerColor", -1),
        marker_style=node.integer("markerStyle", -1),
        marker_size=node.number("markerSize", -1.0),
        fill_color=node.integer("fillColor", -1),
        fill_style=node.integer("fillStyle", -1),
    )
    node.finish()
    return style


def _graph(node: Node, default_name: str, branches: list[str], legacy: bool) -> GraphSpec:
    title = node.text("title", "")
    name = default_name if legacy else node.text("name", title or default_name)
    graph = GraphSpec(
        name=name or default_name,
        title=title,
        varexp=node.required_text("varexp"),
        selection=node.text("selection", ""),
        option=node.text("option", ""),
        errors=node.text("graphErrors", ""),
        style=_style(node.child("style")),
    )
    if not graph.varexp.strip():
        return graph  # already reported as required / empty
    for key in GRAPH_EXPRESSION_KEYS:  # each error names the key it is in
        try:
            for expression in graph.expressions_of(key):
                check_branches(expression, branches)
        except InvalidInput as err:
            node.error(key, str(err))
    return graph


def _plot(node: Node, branches: list[str]) -> PlotSpec:
    name = node.required_text("name")
    legend = node.child("legend")
    legend_spec = LegendSpec()
    if legend is not None:
        x1, y1, x2, y2 = (legend.number(k, -1.0) for k in ("x1", "y1", "x2", "y2"))
        legend_spec = LegendSpec(x1, y1, x2, y2, legend.integer("nColumns", 1))
        legend.finish()
    if node.has("graphs"):
        graphs = tuple(_graph(g, name, branches, legacy=False) for g in node.items("graphs"))
    else:
        graphs = (_graph(node, name, branches, legacy=True),)
    spec = PlotSpec(
        name=name,
        title=node.text("title", ""),
        axis_label=node.text("graphAxisLabel", ""),
        y_range=node.text("graphYRange", ""),
        color_palette=node.integer("colorPalette", 0),
        legend=legend_spec,
        graphs=graphs,
    )
    _check_plot_strings(node, spec)
    node.finish()
    return spec


def _check_plot_strings(node: Node, spec: PlotSpec) -> None:
    if spec.axis_label and spec.axis_label.count(":") != 1:
        node.warn("graphAxisLabel", "should be 'Y label:X label' (one ':'); ignored, as in QC")
    if spec.y_range:
        parts = spec.y_range.split(":")
        try:
            if len(parts) != 2:
                raise ValueError
            float(parts[0]), float(parts[1])
        except ValueError:
            node.warn("graphYRange", "should be 'min:max' (two numbers); ignored")
