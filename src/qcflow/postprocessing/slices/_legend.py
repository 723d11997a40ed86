"""How SliceTrendingTask names slices in a multigraph legend, and how large it writes them.

:func:`legend_name` is QC's ``beautifyTitle``: from ``RangeX`` on, each axis range of a slice
title is written with the plot's ``legendObservable*`` (``"None"`` hides the axis),
``legendUnit*`` and ``legendCentmode*`` (``"True"``: the centre), e.g. ``"0.5 GeV <= N_{cell} <
5 GeV"`` or ``"Supermodule 3"``; a title without ``RangeX`` (a slice label) is used as it is.
Numbers are printed as C++ streams print them (``%g``). qcflow puts a space before ``<`` and
before ``RangeY`` where QC writes ``"pT< 1"`` and ``"andRangeY"``.

:func:`text_size` reads ``legendTextSize``: points when >= 4, a fraction of the pad height below
1, else (QC's default 2.0) 10 points -- never so large that the longest name overflows its
column.
"""

from __future__ import annotations

import re

from qcflow.postprocessing.config.values import parse_float
from qcflow.postprocessing.slices.plot_config import SliceLegend

__all__ = ["LEGEND_WIDTH", "legend_name", "text_size"]

_RANGE = re.compile(r"\[\s*([^,\]]+),\s*([^\]]+)\]")


#: The width of the legend pad, in inches.
LEGEND_WIDTH = 2.6


def text_size(legend: SliceLegend, labels: list[str]) -> float:
    """``legendTextSize`` in points when >= 4, a fraction of the pad height below 1, else (QC's
    default 2.0) 10; never so large that the longest label overflows its column."""
    size = 10.0
    if legend.text_size >= 4:
        size = legend.text_size
    elif 0 < legend.text_size < 1:
        size = legend.text_size * 5.0 * 72
    longest = max((len(label) for label in labels), default=1)
    column = LEGEND_WIDTH / max(legend.n_columns, 1)
    # A character is about 0.62 em wide; the marker and the spacing take about 3.6 em.
    return max(min(size, 72 * column / (0.62 * longest + 3.6)), 4.0)


def legend_name(title: str, legend: SliceLegend) -> str:
    """A slice's name in a multigraph legend (QC's ``beautifyTitle``): from ``RangeX`` on, each
    axis range as the observable's range or centre (``"0.5 GeV <= N_{cell} < 5 GeV"``,
    ``"Supermodule 3"``); a title without ``RangeX`` (a slice label) is used as it is."""
    start = title.find("RangeX")
    if start < 0:
        return title
    raw = title[start:]
    parts = []
    for axis, observable, unit, centre in (
        ("X", legend.observable_x, legend.unit_x, legend.centmode_x),
        ("Y", legend.observable_y, legend.unit_y, legend.centmode_y),
    ):
        text = _axis_name(raw, axis, observable, unit, centre)
        if text:
            parts.append(text)
    return " and ".join(parts) or raw


def _axis_name(raw: str, axis: str, observable: str, unit: str, centre: bool) -> str:
    start = raw.find(f"Range{axis}")
    if observable == "None" or start < 0:
        return ""
    end = raw.find("]", start)
    piece = raw[start : end + 1] if end >= 0 else raw[start:]
    if not observable:
        return piece
    match = _RANGE.search(piece)
    if match is None:
        return piece
    low, high = (parse_float(v) for v in match.groups())
    if low is None or high is None:
        return piece
    suffix = f" {unit}" if unit else ""
    if centre:
        return f"{observable} {(low + high) / 2:g}{suffix}"
    return f"{low:g}{suffix} <= {observable} < {high:g}{suffix}"
