"""Write TGraph, TGraphErrors and TMultiGraph objects that ROOT and JSROOT draw as they are.

uproot 5.7 writes a bare TGraph (no frame histogram: no axis titles, ranges or time axis) and
no TGraphErrors (its serialiser raises ``NotImplementedError``) or TMultiGraph. This module
streams them itself (TGraph v4, TGraphErrors v3, TMultiGraph v2, TList v5) with a frame
``TH1F`` (``fHistogram``, written by uproot) holding what a plot's axes show:

- the axis titles (``"title;x title;y title"`` as ROOT's ``SetTitle`` splits it);
- a time axis (``TAxis::SetTimeDisplay(1)``, ``SetTimeFormat("%Y-%m-%d %H:%M%F1970-01-01
  00:00:00")``: x in seconds since the epoch, UTC);
- text labels of the x bins (one bin per point, for run numbers as text);
- the y range (``fMinimum``/``fMaximum`` of the frame and of the graph).

Several graphs go into a TMultiGraph (its list keeps each graph's draw option), which ROOT draws
with ``Draw("A")`` and JSROOT as is. Only uproot's file writer and models are used; nothing
here imports qcflow.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from qcflow.objects.rootwrite._tmultigraph import RAW as TMULTIGRAPH_STREAMER
from qcflow.objects.rootwrite.stream import Buffer, put_object

__all__ = ["NO_LIMIT", "Frame", "Series", "Style", "write_graphs"]

TIME_FORMAT = "%Y-%m-%d %H:%M%F1970-01-01 00:00:00"
NO_LIMIT = -1111.0  # ROOT's "not set" for fMinimum/fMaximum
_TOBJECT_BITS = 0x03000000  # kNotDeleted | kIsOnHeap, as ROOT writes them
_NO_STATS = 1 << 9  # TH1::kNoStats


@dataclass(frozen=True)
class Style:
    """ROOT's TAttLine, TAttFill and TAttMarker values (ROOT's defaults)."""

    line_color: int = 602
    line_style: int = 1
    line_width: int = 1
    fill_color: int = 0
    fill_style: int = 1001
    marker_color: int = 1
    marker_style: int = 1
    marker_size: float = 1.0


@dataclass(frozen=True)
class Series:
    """One series: points, optional symmetric errors, its title, style and draw option."""

    name: str
    x: npt.ArrayLike
    y: npt.ArrayLike
    ex: npt.ArrayLike | None = None
    ey: npt.ArrayLike | None = None
    title: str = ""
    style: Style = field(default_factory=Style)
    option: str = ""


@dataclass(frozen=True)
class Frame:
    """What the axes show: titles, a time x axis, x bin labels, a y range."""

    title: str = ""
    x_title: str = ""
    y_title: str = ""
    time_axis: bool = False
    x_labels: tuple[str, ...] = ()
    y_range: tuple[float, float] | None = None


def _arrays(graph: Series) -> tuple[npt.NDArray[np.float64], ...]:
    x = np.asarray(graph.x, dtype=np.float64).reshape(-1)
    y = np.asarray(graph.y, dtype=np.float64).reshape(-1)
    if len(x) != len(y):
        msg = f"graph {graph.name!r}: {len(x)} x values but {len(y)} y values"
        raise ValueError(msg)
    out = [x, y]
    if graph.ex is not None or graph.ey is not None:
        for errors in (graph.ex, graph.ey):
            values = np.zeros(len(x)) if errors is None else np.asarray(errors, dtype=np.float64)
            if values.shape != x.shape:
                msg = f"graph {graph.name!r}: errors do not match the points"
                raise ValueError(msg)
            out.append(values)
    return tuple(out)


#: ``(values, errors, finite)`` of one graph along one axis.
_AxisPoints = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.bool_]]


def _x_span(graphs: Sequence[Series], frame: Frame) -> tuple[float, float]:
    if frame.x_labels:
        return -0.5, len(frame.x_labels) - 0.5
    points: list[_AxisPoints] = []
    for graph in graphs:
        arrays = _arrays(graph)
        x = arrays[0]
        ex = arrays[2] if len(arrays) > 2 else np.zeros_like(x)
        points.append((x, ex, np.isfinite(x)))
    return _padded_span(points, 0.05, 0.5)


def _y_span(graphs: Sequence[Series], frame: Frame) -> tuple[float, float]:
    """The frame's y range: the configured one, else the points and errors with 10 % margins
    (ROOT draws a graph inside its frame histogram's range, which must therefore be set)."""
    if frame.y_range is not None:
        return frame.y_range
    points: list[_AxisPoints] = []
    for graph in graphs:
        arrays = _arrays(graph)
        y = arrays[1]
        ey = arrays[3] if len(arrays) > 3 else np.zeros_like(y)
        points.append((y, ey, np.isfinite(y) & np.isfinite(ey)))
    return _padded_span(points, 0.1, 1.0)


def _padded_span(
    points: Sequence[
        tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.bool_]]
    ],
    fraction: float,
    least: float,
) -> tuple[float, float]:
    """From the lowest value - error to the highest value + error of the ``finite`` points of
    every ``(values, errors, finite)``, widened on each side by ``fraction`` of that span (of
    the value itself, at least ``least``, when the span is empty); (0, 1) without any point."""
    lows, highs = [], []
    for values, errors, finite in points:
        if finite.any():
            lows.append(float(np.min((values - errors)[finite])))
            highs.append(float(np.max((values + errors)[finite])))
    if not lows:
        return 0.0, 1.0
    low, high = min(lows), max(highs)
    margin = fraction * (high - low) if high > low else max(abs(low) * fraction, least)
    return low - margin, high + margin


def _frame_histogram(name: str, graphs: Sequence[Series], frame: Frame) -> Any:
    """The frame TH1F (uproot model): axis titles, time display, bin labels, y range."""
    import uproot
    from uproot.writing import identify

    low, high = _x_span(graphs, frame)
    bins = len(frame.x_labels) if frame.x_labels else 100
    labels = None
    if frame.x_labels:
        labels = identify.to_THashList([identify.to_TObjString(t) for t in frame.x_labels])
        # a TAxis label is a TObjString whose fUniqueID is its bin number
        for number, label in enumerate(labels, start=1):
            label._bases[0]._members["@fUniqueID"] = number
    x_axis = identify.to_TAxis(
        "xaxis",
        frame.x_title,
        bins,
        low,
        high,
        fTimeDisplay=frame.time_axis,
        fTimeFormat=TIME_FORMAT if frame.time_axis else "",
        fLabels=labels,
        fNdivisions=505 if frame.time_axis else 510,
    )
    y_axis = identify.to_TAxis("yaxis", frame.y_title, 1, 0.0, 1.0)
    y_min, y_max = _y_span(graphs, frame)
    histogram = identify.to_TH1x(
        name,
        frame.title,
        np.zeros(bins + 2, dtype=np.float32),
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        np.zeros(0, dtype=np.float64),
        x_axis,
        y_axis,
        fMinimum=y_min,
        fMaximum=y_max,
    )
    assert isinstance(histogram, uproot.models.TH.Model_TH1F_v3)
    return histogram


def _put_frame(out: Buffer, model: Any, name: str) -> None:
    """A pointer to the frame TH1F (an uproot model), without a statistics box."""
    start, _ = out.begin_object("TH1F")
    pieces: list[bytes] = []
    model._serialize(pieces, True, name, _TOBJECT_BITS)
    record = bytearray(b"".join(pieces))
    # kNoStats on the histogram's own TObject only (uproot gives every nested TObject the same
    # bits, and on a TAxis bit 9 is kTickPlus): TH1F, TH1, TNamed headers, TObject version, id
    at = 6 + 6 + 6 + 2 + 4
    (bits,) = struct.unpack_from(">I", record, at)
    struct.pack_into(">I", record, at, bits | _NO_STATS)
    pieces = [bytes(record)]
    out.data += b"".join(pieces)
    out.end(start)


def _empty_list(out: Buffer) -> None:
    start, _ = out.begin_object("TList")
    record = out.begin(5)
    out.data += struct.pack(">hII", 1, 0, _TOBJECT_BITS) + b"\x00" + struct.pack(">i", 0)
    out.end(record)
    out.end(start)


def _atts(out: Buffer, style: Style) -> None:
    out.data += struct.pack(
        ">IhhhhIhhhIhhhf",
        0x40000008,
        2,
        style.line_color,
        style.line_style,
        style.line_width,
        0x40000006,
        2,
        style.fill_color,
        style.fill_style,
        0x4000000A,
        2,
        style.marker_color,
        style.marker_style,
        style.marker_size,
    )


def _stream_graph(out: Buffer, graph: Series, frame: Frame, title: str) -> str:
    """A TGraph or TGraphErrors record; returns its class name."""
    arrays = _arrays(graph)
    errors = len(arrays) > 2
    outer = out.begin(3) if errors else None
    record = out.begin(4)
    out.named(graph.name, title, _TOBJECT_BITS)
    _atts(out, graph.style)
    x, y = arrays[0], arrays[1]
    out.data += struct.pack(">i", len(x))
    out.data += b"\x01" + x.astype(">f8").tobytes() + b"\x01" + y.astype(">f8").tobytes()
    _empty_list(out)  # fFunctions
    _put_frame(out, _frame_histogram(f"{graph.name}_frame", [graph], frame), f"{graph.name}_frame")
    y_min, y_max = frame.y_range if frame.y_range is not None else (NO_LIMIT, NO_LIMIT)
    out.data += struct.pack(">dd", y_min, y_max)
    out.end(record)
    if outer is None:
        return "TGraph"
    out.data += b"\x01" + arrays[2].astype(">f8").tobytes()
    out.data += b"\x01" + arrays[3].astype(">f8").tobytes()
    out.end(outer)
    return "TGraphErrors"


def _class_of(graph: Series) -> str:
    return "TGraphErrors" if graph.ex is not None or graph.ey is not None else "TGraph"


def write_graphs(
    directory: Any, key: str, name: str, graphs: Sequence[Series], frame: Frame
) -> str:
    """Write one graph (TGraph, or TGraphErrors with errors) or several (a TMultiGraph named
    ``name``) under ``key`` in an ``uproot.recreate`` file; returns the class written."""
    import uproot

    if not graphs:
        msg = f"plot {name!r}: no graph to write"
        raise ValueError(msg)
    models = (uproot.models.TGraph.Model_TGraphErrors_v3,)
    keylen = 0  # no object references are written: the key's length does not matter
    out = Buffer(keylen)
    if len(graphs) == 1:
        graph = graphs[0]
        title = graph.title or frame.title
        classname = _stream_graph(out, graph, frame, frame.title or title)
        put_object(directory, classname, key, frame.title or title, bytes(out.data), models)
        return classname
    record = out.begin(2)
    out.named(name, frame.title, _TOBJECT_BITS)
    start, _ = out.begin_object("TList")
    listing = out.begin(5)
    out.data += struct.pack(">hII", 1, 0, _TOBJECT_BITS) + b"\x00"
    out.data += struct.pack(">i", len(graphs))
    for graph in graphs:
        graph_start, _ = out.begin_object(_class_of(graph))
        _stream_graph(out, graph, frame, graph.title or graph.name)
        out.end(graph_start)
        option = graph.option.encode()
        out.data += struct.pack(">B", len(option)) + option
    out.end(listing)
    out.end(start)
    out.data += b"\x00\x00\x00\x00"  # fFunctions: none
    _put_frame(out, _frame_histogram(f"{name}_frame", graphs, frame), f"{name}_frame")
    y_min, y_max = frame.y_range if frame.y_range is not None else (NO_LIMIT, NO_LIMIT)
    out.data += struct.pack(">dd", y_max, y_min)  # fMaximum, then fMinimum
    out.end(record)
    streamer = (None, TMULTIGRAPH_STREAMER, "TMultiGraph", 2)
    put_object(directory, "TMultiGraph", key, frame.title, bytes(out.data), models, (streamer,))
    return "TMultiGraph"
