"""Plots as ROOT objects: a ROOT file holding a TGraph, TGraphErrors or TMultiGraph under
``ccdb_object`` (:mod:`qcflow.objects.rootwrite.graphs` writes them; uproot cannot).

Points where x or y is not a finite number (a trend's missing input) are left out of the ROOT
object: ROOT would draw a NaN as a point at an arbitrary place.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qcflow.objects.root import CCDB_KEY, _MemorySink
from qcflow.objects.rootwrite.graphs import Frame, Series, Style, write_graphs

__all__ = ["Frame", "Series", "Style", "encode_graphs", "graph_draw_options"]


def _finite(graph: Series) -> Series:
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
        kind = write_graphs(file, CCDB_KEY, name, [_finite(g) for g in graphs], frame)
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
