"""SliceTrendingTask's config keys, read and checked before anything runs.

Keys of ``qc.postprocessing.<id>`` besides the common ones: ``producePlotsOnUpdate`` (true),
``resumeTrend`` (false), ``trendingTimestamp`` (as TrendingTask), ``dataSources[]`` and
``plots[]``.

``dataSources[]``: ``type`` (``repository``), ``path``, ``names[]`` or ``name``,
``reductorName`` (a slice reductor: ``…common::TH1SliceReductor``, ``…TH2SliceReductor``),
``moduleName``, ``axisDivision`` (``[[x edges…], [y edges…]]``; ``[]``, ``[[]]`` or an axis with
fewer than two edges: that axis is not sliced), ``sliceLabels`` (``[[label per slice…]]``).

``plots[]``: ``name``, ``title``, ``varexp`` (``"<source>.<field>:<mode>"``, mode ``time``,
``run``, ``multigraphtime``, ``multigraphrun``, ``slices``, ``slices2D``), ``option``,
``graphErrors`` (``"errY:errX"``, each a field name or a number), ``graphYRange``,
``graphXRange`` (``"min:max"``), ``graphAxisLabel`` (``"Y:X"``), ``legendNColums`` (QC's
spelling; ``legendNColumns`` is accepted too), ``legendTextSize``, ``legendObservableX/Y``,
``legendUnitX/Y``, ``legendCentmodeX/Y`` (``"True"`` enables), ``selection`` (ignored, as in QC).

Checked here where QC crashes, reads out of range or silently ignores (each an error or warning
naming its JSON path): edges that are not numbers or do not increase, an ``axisDivision`` with
more axes than the reductor slices, a TH2 source with one axis, a varexp naming an unknown
source, field or mode, ``graphErrors`` naming an unknown field, a plot name used twice (the
second replaces the first, as in QC), labels that do not match the slices. Edges are read as
C++'s ``std::stof`` reads them: ``"19.5."`` (O2DPG's ``emc.json``) is 19.5, with a warning.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from qcflow._hints import did_you_mean
from qcflow.errors import InvalidInput
from qcflow.postprocessing.classes import REGISTRY
from qcflow.postprocessing.schema import TaskConfig
from qcflow.postprocessing.slicing import FIELDS
from qcflow.postprocessing.tasks.trending_config import read_timestamp, source_names
from qcflow.postprocessing.values import Node, parse_float, parse_leading_float

__all__ = [
    "MODES",
    "SliceLegend",
    "SlicePlot",
    "SliceSource",
    "SliceTrendingConfig",
    "parse_slice_trending",
]

MODES = ("time", "run", "multigraphtime", "multigraphrun", "slices", "slices2D")

Division = tuple[tuple[float, ...], ...]


@dataclass(frozen=True)
class SliceSource:
    """One sliced object: ``name`` is also its trend branch prefix."""

    path: str
    name: str
    reductor_name: str
    module_name: str
    division: Division = ()
    labels: tuple[str, ...] = ()
    reductor_class: Any = field(default=None, repr=False, compare=False)

    def object_path(self) -> str:
        return f"{self.path}/{self.name}"

    def edges(self, axis: int) -> tuple[float, ...]:
        return self.division[axis] if axis < len(self.division) else ()

    @property
    def count(self) -> int:
        """Slices per object: the product of the sliced axes' slice counts."""
        axes = getattr(self.reductor_class, "axes", 1)
        total = 1
        for axis in range(axes):
            total *= max(len(self.edges(axis)) - 1, 1)
        return total


@dataclass(frozen=True)
class SliceLegend:
    """The legend of the multigraph modes and how slice ranges are named in it."""

    n_columns: int = 2
    text_size: float = 2.0
    observable_x: str = ""
    observable_y: str = ""
    unit_x: str = ""
    unit_y: str = ""
    centmode_x: bool = False
    centmode_y: bool = False


@dataclass(frozen=True)
class SlicePlot:
    name: str
    varexp: str
    source: str
    variable: str
    mode: str
    title: str = ""
    option: str = ""
    errors: tuple[str, str] = ("", "")  # (errY, errX): a field name, a number or ""
    y_range: str = ""
    x_range: str = ""
    axis_label: str = ""
    legend: SliceLegend = field(default_factory=SliceLegend)


@dataclass(frozen=True)
class SliceTrendingConfig:
    produce_plots_on_update: bool = True
    resume_trend: bool = False
    trending_timestamp: str = "validUntil"
    data_sources: tuple[SliceSource, ...] = ()
    plots: tuple[SlicePlot, ...] = ()

    def source(self, name: str) -> SliceSource:
        return next(s for s in self.data_sources if s.name == name)


def parse_slice_trending(node: Node, config: TaskConfig) -> SliceTrendingConfig:
    sources = _sources(node)
    plots = _plots(node, sources)
    return SliceTrendingConfig(
        produce_plots_on_update=node.flag("producePlotsOnUpdate", True),
        resume_trend=node.flag("resumeTrend", False),
        trending_timestamp=read_timestamp(node),
        data_sources=sources,
        plots=plots,
    )


# -- dataSources -----------------------------------------------------------------------------------


def _sources(node: Node) -> tuple[SliceSource, ...]:
    out: list[SliceSource] = []
    for item in node.items("dataSources", required=True):
        names = source_names(item)
        item.choice("type", "repository", ("repository",))
        reductor = item.required_text("reductorName")
        cls = _reductor(item, reductor)
        division = _division(item, cls)
        labels = _labels(item, division, cls)
        path, module = item.required_text("path"), item.required_text("moduleName")
        for name in names:
            if any(s.name == name for s in out):
                item.error("names", f"source name {name!r} is used twice: it names trend branches")
            out.append(SliceSource(path, name, reductor, module, division, labels, cls))
        item.finish()
    return tuple(out)


def _reductor(item: Node, name: str) -> Any:
    if not name:
        return None
    try:
        cls = REGISTRY.resolve("reductor", name, item.at("reductorName"))
    except InvalidInput as err:
        item.error_from("reductorName", err)
        return None
    if getattr(cls, "source", None) != "slices":
        item.error("reductorName", f"{name} is not a slice reductor (TH1SliceReductor, "
                   "TH2SliceReductor)")  # fmt: skip
        return None
    return cls


def _division(item: Node, cls: Any) -> Division:
    """``axisDivision``: per axis its edges, read like ``std::stof``, increasing."""
    axes: list[tuple[float, ...]] = []
    for axis in item.items("axisDivision"):
        read = [_edge(axis, index, text) for index, text in enumerate(_edge_texts(axis))]
        edges = [edge for edge in read if edge is not None]
        if len(edges) == len(read) and any(not b > a for a, b in itertools.pairwise(edges)):
            axis.error(None, f"edges {edges} do not increase")
        axes.append(tuple(edges))
    wanted = getattr(cls, "axes", 1)
    sliced_axes = len(axes)
    if cls is not None and sliced_axes > wanted:
        item.error("axisDivision", f"{sliced_axes} axes given; {cls.__name__} slices {wanted}")
    elif cls is not None and wanted == 2 and sliced_axes == 1:
        item.error("axisDivision", "a TH2 needs two axes: [[x edges], [y edges]] ([] for none)")
    return tuple(axes)


def _edge_texts(axis: Node) -> list[str]:
    if not isinstance(axis.value, list):
        axis.error(None, "expected a JSON array of edges")
        return []
    texts = []
    for index, value in enumerate(axis.value):
        if isinstance(value, dict | list):
            axis.diagnostics.error(f"{axis.path}[{index}]", "expected a number")
            continue
        texts.append(str(value))
    return texts


def _edge(axis: Node, index: int, text: str) -> float | None:
    where = f"{axis.path}[{index}]"
    value, whole = parse_leading_float(text)
    if value is None:
        axis.diagnostics.error(where, f"{text!r} is not a number")
        return None
    if not whole:
        axis.diagnostics.warn(where, f"{text!r} read as {value:g}: the rest is ignored, as "
                              "C++'s std::stof does")  # fmt: skip
    return value


def _labels(item: Node, division: Division, cls: Any) -> tuple[str, ...]:
    """``sliceLabels`` if they name the slices of a one-axis source, else nothing (QC's rule)."""
    lists = [_label_texts(label) for label in item.items("sliceLabels")]
    if not lists or not any(lists):
        return ()
    slices = max(len(division[0]) - 1, 1) if division else 1
    one_axis = getattr(cls, "axes", 1) == 1 and len(lists) == 1
    if not one_axis or len(lists[0]) != slices:
        item.warn("sliceLabels", f"labels do not match the {slices} slices; the slice ranges "
                  "name them, as in QC")  # fmt: skip
        return ()
    return tuple(lists[0])


def _label_texts(node: Node) -> list[str]:
    if not isinstance(node.value, list):
        node.error(None, "expected a JSON array of labels")
        return []
    return [str(v) for v in node.value]


# -- plots -----------------------------------------------------------------------------------------


def _plots(node: Node, sources: tuple[SliceSource, ...]) -> tuple[SlicePlot, ...]:
    plots: list[SlicePlot] = []
    for item in node.items("plots", required=True):
        plot = _plot(item, sources)
        if plot is None:
            continue
        if any(p.name == plot.name for p in plots):
            item.warn("name", f"plot {plot.name!r} is defined twice: this definition replaces "
                      "the first, as in QC")  # fmt: skip
            plots = [p for p in plots if p.name != plot.name]
        plots.append(plot)
    return tuple(plots)


def _plot(item: Node, sources: tuple[SliceSource, ...]) -> SlicePlot | None:
    name = item.required_text("name")
    varexp = item.required_text("varexp")
    parsed = _varexp(item, varexp, sources)
    if item.text("selection", "").strip():
        item.warn("selection", "ignored by SliceTrendingTask, as in QC")
    errors = _errors(item, item.text("graphErrors", ""))
    plot = SlicePlot(
        name=name, varexp=varexp, source=parsed[0], variable=parsed[1], mode=parsed[2],
        title=item.text("title", ""), option=item.text("option", ""), errors=errors,
        y_range=_range(item, "graphYRange"), x_range=_range(item, "graphXRange"),
        axis_label=item.text("graphAxisLabel", ""), legend=_legend(item),
    )  # fmt: skip
    if plot.mode == "slices2D" and parsed[0]:
        _check_2d(item, next(s for s in sources if s.name == parsed[0]))
    item.finish()
    return plot if all(parsed) and name else None


def _varexp(item: Node, varexp: str, sources: tuple[SliceSource, ...]) -> tuple[str, str, str]:
    """``"<source>.<field>:<mode>"`` split and checked; empty parts where it is wrong."""
    if not varexp:
        return "", "", ""
    head, _, mode = varexp.partition(":")
    source, _, variable = head.partition(".")
    names = [s.name for s in sources]
    problems = []
    if source not in names:
        hint = did_you_mean(source, names) or f" (sources: {', '.join(names)})"
        problems.append(f"no data source {source!r}{hint}")
    if variable not in FIELDS:
        problems.append(f"{variable!r} is not a slice field{did_you_mean(variable, FIELDS)} "
                        f"({', '.join(FIELDS)})")  # fmt: skip
    if mode not in MODES:
        problems.append(f"{mode!r} is not a mode{did_you_mean(mode, MODES)} ({', '.join(MODES)})")
    if problems:
        item.error("varexp", f"{varexp!r}: " + "; ".join(problems))
        return "", "", ""
    return source, variable, mode


def _errors(item: Node, text: str) -> tuple[str, str]:
    """``graphErrors`` ``"errY:errX"``: each side a field name or a number (one side: both)."""
    if not text.strip():
        return "", ""
    err_y, colon, err_x = text.partition(":")
    if not colon:
        err_x = err_y
    for side in (err_y.strip(), err_x.strip()):
        if side and side not in FIELDS and parse_float(side) is None:
            hint = did_you_mean(side, FIELDS)
            item.error("graphErrors", f"{side!r} is neither a number nor a slice field{hint}")
    return err_y.strip(), err_x.strip()


def _range(item: Node, key: str) -> str:
    text = item.text(key, "")
    if text.strip():
        low, colon, high = text.partition(":")
        if not colon or parse_float(low) is None or parse_float(high) is None:
            item.warn(key, f"{text!r} is not 'min:max' (two numbers); ignored")
            return ""
    return text


def _legend(item: Node) -> SliceLegend:
    key = "legendNColums" if item.has("legendNColums") or not item.has("legendNColumns") else (
        "legendNColumns")  # fmt: skip
    item.mark_read("legendNColums", "legendNColumns")
    return SliceLegend(
        n_columns=item.integer(key, 2),
        text_size=item.number("legendTextSize", 2.0),
        observable_x=item.text("legendObservableX", ""),
        observable_y=item.text("legendObservableY", ""),
        unit_x=item.text("legendUnitX", ""),
        unit_y=item.text("legendUnitY", ""),
        centmode_x=item.text("legendCentmodeX", "False") == "True",
        centmode_y=item.text("legendCentmodeY", "False") == "True",
    )


def _check_2d(item: Node, source: SliceSource) -> None:
    if getattr(source.reductor_class, "axes", 1) != 2 or any(
        len(source.edges(a)) < 2 for a in (0, 1)
    ):
        item.warn("varexp", f"slices2D draws a map of the slices of both axes; {source.name!r} "
                  "is not sliced on two axes, so an unsliced axis gets a single bin")  # fmt: skip
