"""SliceTrendingTask's ``plots[]`` keys, read and checked against its data sources.

``name``, ``title``, ``varexp`` (``"<source>.<field>:<mode>"``: a data source, a slice field,
one of :data:`MODES`), ``option``, ``graphErrors`` (``"errY:errX"``, each a slice field or a
number; one side alone is both), ``graphYRange``, ``graphXRange`` (``"min:max"``),
``graphAxisLabel`` (``"Y:X"``), ``legendNColums`` (QC's spelling; ``legendNColumns`` too),
``legendTextSize``, ``legendObservableX/Y``, ``legendUnitX/Y``, ``legendCentmodeX/Y``
(``"True"`` enables), ``selection`` (ignored, as in QC: a warning). An unknown source, field
or mode is an error naming the JSON path (QC crashes or draws nothing); a name used twice is a
warning, the second definition replacing the first, as in QC.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qcflow._hints import did_you_mean
from qcflow.postprocessing.config.values import Node, parse_float
from qcflow.postprocessing.slices.config import SliceSource
from qcflow.postprocessing.slices.slicing import FIELDS

__all__ = ["MODES", "SliceLegend", "SlicePlot", "parse_plots"]

MODES = ("time", "run", "multigraphtime", "multigraphrun", "slices", "slices2D")


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


def parse_plots(node: Node, sources: tuple[SliceSource, ...]) -> tuple[SlicePlot, ...]:
    """The ``plots[]`` of a SliceTrendingTask node."""
    plots: list[SlicePlot] = []
    for item in node.items("plots", required=True):
        plot = _plot(item, sources)
        if plot is None:
            continue
        if any(p.name == plot.name for p in plots):
            item.warn(
                "name",
                f"plot {plot.name!r} is defined twice: this definition replaces "
                "the first, as in QC",
            )
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
        name=name,
        varexp=varexp,
        source=parsed[0],
        variable=parsed[1],
        mode=parsed[2],
        title=item.text("title", ""),
        option=item.text("option", ""),
        errors=errors,
        y_range=_range(item, "graphYRange"),
        x_range=_range(item, "graphXRange"),
        axis_label=item.text("graphAxisLabel", ""),
        legend=_legend(item),
    )
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
        problems.append(
            f"{variable!r} is not a slice field{did_you_mean(variable, FIELDS)} "
            f"({', '.join(FIELDS)})"
        )
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
    key = (
        "legendNColums"
        if item.has("legendNColums") or not item.has("legendNColumns")
        else ("legendNColumns")
    )
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
        item.warn(
            "varexp",
            f"slices2D draws a map of the slices of both axes; {source.name!r} "
            "is not sliced on two axes, so an unsliced axis gets a single bin",
        )
