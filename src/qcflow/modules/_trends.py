"""Small in-task trends (QC's MCH ``TrendGraph``/``TrendMultiGraph``): values against time,
drawn with the engine's trend plotting (date axis, ROOT colours): published as the engine's
trend plots are, a ROOT graph (TGraph, TMultiGraph) with its PNG companion."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from qcflow.postprocessing.plotting.draw import PlotImage, plot_image
from qcflow.postprocessing.plotting.spec import GraphSpec, GraphStyle, LegendSpec, PlotSpec

__all__ = ["Trend"]


@dataclass
class Trend:
    """Points of one or more named series against time (s); one PNG per trend."""

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
        columns = {"time": np.asarray(self.times, dtype=np.float64)}
        graphs = []
        for index, key in enumerate(self.series):
            columns[key] = np.asarray(self.values.get(key, []), dtype=np.float64)
            style = GraphStyle(marker_style=20, marker_size=0.8, marker_color=index + 1,
                               line_color=index + 1)  # fmt: skip
            graphs.append(GraphSpec(key, key, f"{key}:time", option="PL", style=style))
        legend = LegendSpec(0.12, 0.70, 0.88, 0.88, 5) if len(graphs) > 1 else LegendSpec()
        plot = PlotSpec(self.name, f"{self.title};time;{self.y_label}", legend=legend,
                        graphs=tuple(graphs))  # fmt: skip
        image, _ = plot_image(plot, columns)
        return image
