"""SliceTrendingTask's config keys (but ``plots``: :mod:`.plot_config`), checked first.

Keys of ``qc.postprocessing.<id>`` besides the common ones: ``producePlotsOnUpdate`` (true),
``resumeTrend`` (false), ``trendingTimestamp`` (as TrendingTask), ``dataSources[]``, ``plots[]``.

``dataSources[]``: ``type`` (``repository``), ``path``, ``names[]`` or ``name``,
``reductorName`` (a slice reductor: ``…common::TH1SliceReductor``, ``…TH2SliceReductor``),
``moduleName``, ``axisDivision`` (``[[x edges…], [y edges…]]``; ``[]``, ``[[]]`` or an axis with
fewer than two edges: that axis is not sliced), ``sliceLabels`` (``[[label per slice…]]``).

Checked here where QC crashes, reads out of range or silently ignores (each an error or warning
naming its JSON path): edges that are not numbers or do not increase, an ``axisDivision`` with
more axes than the reductor slices, a TH2 source with one axis, labels that do not match the
slices, a name used twice. Edges are read as C++'s ``std::stof`` reads them: ``"19.5."``
(O2DPG's ``emc.json``) is 19.5, with a warning.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from qcflow.postprocessing.config.schema import TaskConfig
from qcflow.postprocessing.config.values import Node, parse_leading_float
from qcflow.postprocessing.slices.reductors import SliceReductor
from qcflow.postprocessing.trending.config import (
    read_timestamp,
    resolve_reductor,
    source_names,
)

if TYPE_CHECKING:  # the plots are read by slice_plot_config, which needs SliceSource from here
    from qcflow.postprocessing.slices.plot_config import SlicePlot

__all__ = ["SliceSource", "SliceTrendingConfig", "parse_slice_trending"]

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
    #: The class ``reductorName`` names (None when it is no slice reductor).
    reductor_class: type[SliceReductor] | None = field(default=None, repr=False, compare=False)

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
class SliceTrendingConfig:
    produce_plots_on_update: bool = True
    resume_trend: bool = False
    trending_timestamp: str = "validUntil"
    data_sources: tuple[SliceSource, ...] = ()
    plots: tuple[SlicePlot, ...] = ()

    def source(self, name: str) -> SliceSource:
        return next(s for s in self.data_sources if s.name == name)


def parse_slice_trending(node: Node, config: TaskConfig) -> SliceTrendingConfig:
    """Every key but ``plots`` (:func:`.plot_config.parse_plots` reads them)."""
    sources = _sources(node)
    return SliceTrendingConfig(
        produce_plots_on_update=node.flag("producePlotsOnUpdate", True),
        resume_trend=node.flag("resumeTrend", False),
        trending_timestamp=read_timestamp(node),
        data_sources=sources,
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


def _reductor(item: Node, name: str) -> type[SliceReductor] | None:
    cls = resolve_reductor(item, name)
    if cls is None:
        return None
    if not issubclass(cls, SliceReductor):
        item.error(
            "reductorName", f"{name} is not a slice reductor (TH1SliceReductor, TH2SliceReductor)"
        )
        return None
    return cls


def _division(item: Node, cls: type[SliceReductor] | None) -> Division:
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
        axis.diagnostics.warn(
            where, f"{text!r} read as {value:g}: the rest is ignored, as C++'s std::stof does"
        )
    return value


def _labels(item: Node, division: Division, cls: type[SliceReductor] | None) -> tuple[str, ...]:
    """``sliceLabels`` if they name the slices of a one-axis source, else nothing (QC's rule)."""
    lists = [_label_texts(label) for label in item.items("sliceLabels")]
    if not lists or not any(lists):
        return ()
    slices = max(len(division[0]) - 1, 1) if division else 1
    one_axis = getattr(cls, "axes", 1) == 1 and len(lists) == 1
    if not one_axis or len(lists[0]) != slices:
        item.warn(
            "sliceLabels",
            f"labels do not match the {slices} slices; the slice ranges name them, as in QC",
        )
        return ()
    return tuple(lists[0])


def _label_texts(node: Node) -> list[str]:
    if not isinstance(node.value, list):
        node.error(None, "expected a JSON array of labels")
        return []
    return [str(v) for v in node.value]
