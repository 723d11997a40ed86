"""Small in-task trends (QC's MCH ``TrendGraph``/``TrendMultiGraph``): values against time,
published as QC publishes them: a ROOT graph (TGraph, TMultiGraph) with a time axis.

No PNG companion is drawn: each per-run ``qcflow qc`` would draw ~25 of them (most of MCH's
run time, ~55 ms of matplotlib each) for the report alone, and the next run's supersede them.
The report draws the newest from the ROOT object
(:func:`qcflow.postprocessing.plotting.graphs.graph_object_png`), with the same function
:attr:`PlotImage.redraw` uses, so a check's overlays land on the same pixels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from qcflow.objects.plots import Frame, Style
from qcflow.postprocessing import GraphData, PlotImage, graphs_image

__all__ = ["Trend"]


@dataclass
class Trend:
    """Points of one or more named series against time (s); one ROOT graph per trend."""

    name: str
    title: str
    y_label: str
    series: Sequence[str]
    times: list[float] = field(default_factory=list)
    values: dict[str, list[float]] = field(default_factory=dict)

    def add(self, time_s: float, values: Sequence[float] | npt.NDArray[np.float64]) -> None:
        self.times.append(time_s)
        for key, value in zip(self.series, values, strict=True):
            self.values.setdefault(key, []).append(float(value))

    def __len__(self) -> int:
        return len(self.times)

    def image(self) -> PlotImage:
        """The trend as a ROOT graph without a PNG companion (see the module docstring)."""
        times = np.asarray(self.times, dtype=np.float64)
        graphs = [
            GraphData(
                key,
                times,
                np.asarray(self.values.get(key, []), dtype=np.float64),
                title=key,
                # ROOT colours 1, 2, 3...: full circles joined by lines ("PL")
                style=Style(
                    line_color=index + 1, marker_color=index + 1, marker_style=20, marker_size=0.8
                ),
                option="PL",
            )
            for index, key in enumerate(self.series)
        ]
        return graphs_image(
            self.name, graphs, Frame(self.title, "time", self.y_label, time_axis=True)
        )
