"""Plots as ROOT objects: a ROOT file holding a TGraph, TGraphErrors or TMultiGraph under
``ccdb_object`` (:mod:`qcflow.objects.rootwrite.graphs` writes them; uproot cannot).

Points where x or y is not a finite number (a trend's missing input) are left out of the ROOT
object: ROOT would draw a NaN as a point at an arbitrary place.

:func:`decode_graphs` reads such an object back (with uproot: the report draws a PNG from it
when the plot was published without one): its graphs and what its frame shows. A single
TGraph keeps no draw option of its own (QC's ``drawOptions`` metadata has it: ``A`` plus the
graph's option) and its title is the plot's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from qcflow.errors import InvalidInput
from qcflow.objects.root import CCDB_KEY, _MemorySink, read_root
from qcflow.objects.rootwrite.graphs import NO_LIMIT, Frame, Series, Style, write_graphs

__all__ = [
    "GRAPH_CLASSES",
    "Frame",
    "Series",
    "Style",
    "decode_graphs",
    "encode_graphs",
    "finite_points",
    "graph_draw_options",
]

#: The classes :func:`encode_graphs` writes (a plot's ROOT object).
GRAPH_CLASSES = ("TGraph", "TGraphErrors", "TMultiGraph")


def finite_points(graph: Series) -> Series:
    """``graph`` without the points whose x or y is not a finite number."""
    x = np.asarray(graph.x, dtype=np.float64)
    y = np.asarray(graph.y, dtype=np.float64)
    keep = np.isfinite(x) & np.isfinite(y)
    if keep.all():
        return graph
    ex = None if graph.ex is None else np.asarray(graph.ex, dtype=np.float64)[keep]
    ey = None if graph.ey is None else np.asarray(graph.ey, dtype=np.float64)[keep]
    return Series(graph.name, x[keep], y[keep], ex, ey, graph.title, graph.style, graph.option)


def encode_graphs(name: str, graphs: Sequence[Series], frame: Frame) -> tuple[bytes, str]:
    """A ROOT file with ``graphs`` (one: a TGraph/TGraphErrors, several: a TMultiGraph named
    ``name``) under ``ccdb_object``, and the class written."""
    import uproot

    sink = _MemorySink()
    with uproot.recreate(sink) as file:
        kind = write_graphs(file, CCDB_KEY, name, [finite_points(g) for g in graphs], frame)
    return sink.getvalue(), kind


def graph_draw_options(graphs: Sequence[Series]) -> str:
    """The ``drawOptions`` metadata QCG (JSROOT) needs for :func:`encode_graphs`' object,
    which QC would have drawn inside a canvas: ``A`` (axes) plus, for one graph, its own option
    (markers when it names no marker or line, as ``TTree::Draw`` draws a scatter); a
    TMultiGraph's graphs keep their options in its list."""
    if len(graphs) != 1:
        return "A"
    option = graphs[0].option.upper().replace("A", "")
    if not any(c in option for c in "PLC*B"):
        option += "P"
    return "A" + option


def decode_graphs(data: bytes, draw_options: str = "") -> tuple[list[Series], Frame]:
    """The graphs and frame of a ROOT file :func:`encode_graphs` wrote; ``draw_options``: the
    object's ``drawOptions`` metadata (a single graph's option). :class:`InvalidInput` when the
    object under ``ccdb_object`` is not a TGraph, TGraphErrors or TMultiGraph."""
    obj = read_root(data)[CCDB_KEY]
    kind = getattr(obj, "classname", type(obj).__name__)
    if kind not in GRAPH_CLASSES:
        msg = f"a {kind} is not a graph ({', '.join(GRAPH_CLASSES)})"
        raise InvalidInput(msg)
    if kind == "TMultiGraph":
        listed = obj.member("fGraphs")
        # uproot keeps a TList's per-entry options (the graphs' draw options) privately
        options = [_text(o) for o in getattr(listed, "_options", [])] or [""] * len(listed)
        graphs = [_series(g, o, g.member("fTitle")) for g, o in zip(listed, options, strict=True)]
    else:
        option = draw_options.upper().replace("A", "", 1)
        graphs = [_series(obj, option, obj.member("fName"))]
    return graphs, _frame(obj)


def _text(value: Any) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _series(graph: Any, option: str, title: str) -> Series:
    members = graph.all_members
    errors = "fEY" in members
    return Series(
        str(members["fName"]),
        np.asarray(members["fX"], dtype=np.float64),
        np.asarray(members["fY"], dtype=np.float64),
        np.asarray(members["fEX"], dtype=np.float64) if errors else None,
        np.asarray(members["fEY"], dtype=np.float64) if errors else None,
        str(title),
        Style(
            int(members["fLineColor"]),
            int(members["fLineStyle"]),
            int(members["fLineWidth"]),
            int(members["fFillColor"]),
            int(members["fFillStyle"]),
            int(members["fMarkerColor"]),
            int(members["fMarkerStyle"]),
            float(members["fMarkerSize"]),
        ),
        option,
    )


def _frame(obj: Any) -> Frame:
    low, high = float(obj.member("fMinimum")), float(obj.member("fMaximum"))
    y_range = None if NO_LIMIT in (low, high) else (low, high)
    frame = obj.member("fHistogram")
    if frame is None:  # a graph never drawn before it was written (uproot's, ROOT's): no axes
        title, x_title, y_title = [*str(obj.member("fTitle")).split(";"), "", ""][:3]
        return Frame(title, x_title, y_title, y_range=y_range)  # ROOT's "title;x;y"
    x_axis, y_axis = frame.member("fXaxis"), frame.member("fYaxis")
    labels = x_axis.member("fLabels")
    return Frame(
        str(frame.member("fTitle")),
        str(x_axis.member("fTitle")),
        str(y_axis.member("fTitle")),
        time_axis=bool(x_axis.member("fTimeDisplay")),
        x_labels=tuple(str(label) for label in labels) if labels is not None else (),
        y_range=y_range,
    )
