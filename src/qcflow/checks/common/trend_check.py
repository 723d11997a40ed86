"""QC's TrendCheck: the last point of each trend graph against thresholds.

``o2::quality_control_modules::common::TrendCheck``. For each checked plot, the graph of each pad
(the last graph of a pad: QC's "last TGraph of the canvas or of each sub-pad") is judged by its
last point: Bad outside the ``thresholdsBad`` range, else Medium outside ``thresholdsMedium``
(if given), else Good (:mod:`.thresholds`; the interaction rate is QC's fixed 750 kHz).
Graphs without a Bad threshold are skipped with a warning. The result is the worst quality of
every graph judged so far in the activity (Null if none), without flags.

``trendCheckMode``: ``ExpectedRange`` (default; thresholds are absolute), ``DeviationFromMean``
(relative to the mean of the earlier points: ``mean + t * |mean|``) or ``StdDeviation`` (in units
of the error of that mean combined with the last point's error); ``nPointsForAverage`` (a number
or ``all``) limits how many earlier points the mean uses (at least 2, and 3 points in all).

``beautify`` draws the Medium (orange) and Bad (red) thresholds of every judged point as dashed
lines (across the pad while only one point was judged), and the quality's name at
``qualityLabelPosition`` (``"x,y"``, pad coordinates).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qcflow.checks.check import Check
from qcflow.checks.common.thresholds import Band, thresholds_for
from qcflow.objects.activity import Activity
from qcflow.objects.quality import Quality
from qcflow.postprocessing import (
    QUALITY_COLORS,
    GraphData,
    HLine,
    Label,
    Overlay,
    PlotImage,
    Polyline,
)

__all__ = ["INTERACTION_RATE", "TrendCheck"]

MODES = ("ExpectedRange", "DeviationFromMean", "StdDeviation")
#: The interaction rate TrendCheck picks thresholds for (QC hard-wires 750 kHz).
INTERACTION_RATE = 750_000.0


@dataclass
class _History:
    """Per graph: the judged points' x and thresholds, and the latest quality."""

    pad: int
    points: list[tuple[float, Band, Band | None]] = field(default_factory=list)
    quality: Quality = Quality.NULL


def _graphs(plot: PlotImage) -> list[GraphData]:
    """The last graph of each pad."""
    last: dict[int, GraphData] = {}
    for graph in plot.graphs:
        last[graph.pad] = graph
    return [last[pad] for pad in sorted(last)]


class TrendCheck(Check):
    """See the module docstring."""

    def start_of_activity(self, activity: Activity) -> None:
        mode = self.parameters.get("trendCheckMode", activity) or "ExpectedRange"
        if mode not in MODES:
            self.log.warning(
                'unrecognized threshold mode "%s", using default "ExpectedRange"', mode
            )
            mode = "ExpectedRange"
        self.mode = mode
        points = (self.parameters.get("nPointsForAverage", activity) or "0").strip()
        self.n_points = (
            0 if points == "all" else self.parameters.get_int("nPointsForAverage", 0, activity)
        )
        self.label_at = _pair(self.parameters.get("qualityLabelPosition", activity), (0.12, 0.8))
        self.label_size = _pair(self.parameters.get("qualityLabelSize", activity), (0.5, 0.07))
        self.history: dict[str, _History] = {}

    def end_of_activity(self, activity: Activity) -> None:
        self.history = {}

    def check(self, objects: Mapping[str, Any], activity: Activity) -> Quality:
        for name, obj in sorted(objects.items()):
            if not isinstance(obj, PlotImage):
                continue
            plot = name.rsplit("/", 1)[-1]
            for index, graph in enumerate(_graphs(obj)):
                self._judge(f"{plot}_{index}", plot, graph, activity)
        judged = [h.quality for h in self.history.values() if h.points]
        if not judged:
            return Quality.NULL
        worst = Quality.GOOD
        for quality in judged:
            worst = quality if quality.is_worse_than(worst) else worst
        return worst

    def _judge(self, key: str, plot: str, graph: GraphData, activity: Activity) -> None:
        y = np.asarray(graph.y, dtype=np.float64)
        if y.size == 0:
            return
        bad = thresholds_for(self.parameters, plot, "Bad", activity, INTERACTION_RATE)
        medium = thresholds_for(self.parameters, plot, "Medium", activity, INTERACTION_RATE)
        if bad is None:
            self.log.warning('Cannot retrieve thresholds for "%s"', plot)
            return
        if self.mode != "ExpectedRange":
            bad = self._absolute(bad, graph)
            medium = self._absolute(medium, graph) if medium else None
            if bad is None:
                return
        value = float(y[-1])
        history = self.history.setdefault(key, _History(graph.pad))
        if not bad[0] <= value <= bad[1]:
            history.quality = Quality.BAD
        elif medium is not None and not medium[0] <= value <= medium[1]:
            history.quality = Quality.MEDIUM
        else:
            history.quality = Quality.GOOD
        history.points.append((float(np.asarray(graph.x)[-1]), bad, medium))

    def _absolute(self, limits: Band, graph: GraphData) -> Band | None:
        """Relative thresholds made absolute from the points before the last."""
        y = np.asarray(graph.y, dtype=np.float64)
        if y.size < 3:
            return None
        last = y.size - 2
        first = max(0, last - self.n_points + 1) if 0 < self.n_points <= last else 0
        used = y[first : last + 1]
        if used.size < 2:
            return None
        mean = float(used.mean())
        sem = math.sqrt(float(((used - mean) ** 2).sum()) / ((used.size - 1) * used.size))
        if self.mode == "DeviationFromMean":
            return mean + limits[0] * abs(mean), mean + limits[1] * abs(mean)
        error = float(np.asarray(graph.ey)[-1]) if graph.ey is not None else 0.0
        scale = math.sqrt(sem**2 + max(error, 0.0) ** 2)
        return mean + limits[0] * scale, mean + limits[1] * scale

    def beautify(self, name: str, obj: Any, quality: Quality) -> list[Overlay] | None:
        if not isinstance(obj, PlotImage):
            return None
        plot = name.rsplit("/", 1)[-1]
        overlays: list[Overlay] = []
        for index, graph in enumerate(_graphs(obj)):
            history = self.history.get(f"{plot}_{index}")
            if history is None or not history.points:
                continue
            overlays.extend(_threshold_lines(history))
            x, y = self.label_at
            name = history.quality.name
            y += self.label_size[1] / 2
            overlays.append(Label(name, QUALITY_COLORS[name], x=x, y=y, size=14, pad=graph.pad))
        return overlays or None


def _threshold_lines(history: _History) -> list[Overlay]:
    x = tuple(p[0] for p in history.points)
    lines: list[Overlay] = []
    medium = [p[2] for p in history.points]
    bad: list[Band | None] = [p[1] for p in history.points]
    for limits, color in ((medium, 797), (bad, 632)):
        if any(limit is None for limit in limits):
            continue
        for side in (0, 1):
            y = tuple(float(limit[side]) for limit in limits if limit is not None)
            if len(y) == 1:  # one point judged so far: a line across the pad
                lines.append(HLine(y[0], color=color, style=2, pad=history.pad))
            else:
                lines.append(Polyline(x, y, color=color, style=2, pad=history.pad))
    return lines


def _pair(text: str | None, default: tuple[float, float]) -> tuple[float, float]:
    parts = [p.strip() for p in (text or "").split(",")]
    if len(parts) != 2:
        return default
    try:
        return float(parts[0]), float(parts[1])
    except ValueError:
        return default
