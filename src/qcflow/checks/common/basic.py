"""QC's simple common checks: MeanIsAbove, NonEmpty, IncreasingEntries, EverIncreasingGraph.

Registered under their O2 names (``o2::quality_control_modules::common::MeanIsAbove`` …).

- **MeanIsAbove** -- the first object (in name order) must be a histogram whose mean
  (``GetMean``: the stored sums) is strictly above ``meanThreshold`` (required): Good, else Bad;
  not a histogram: Null. ``beautify``: a horizontal line at the threshold, coloured by quality.
- **NonEmpty** -- the first object must be a histogram with entries: Good; none: Bad; not a
  histogram: Null.
- **IncreasingEntries** -- ``mustIncrease`` (true) / ``nBadCyclesLimit`` (1): per histogram, a
  fault is a check where its entries did not change (or did, with ``mustIncrease`` false);
  ``nBadCyclesLimit`` faults in a row make the quality Bad with a flag (``NoDetectorData``
  "Number of entries stopped increasing." or ``Unknown`` "Number of entries has increased.").
  ``beautify``: a red label on the faulty objects.
- **CcdbInspectorCheck** -- CcdbInspectorTask's ``ObjectsStatus``: Good when every source was
  found valid, Bad when one was not, with an ``Unknown`` flag ``"<source> is <status>"`` for each
  problem; Null for any other object.
- **EverIncreasingGraph** -- the first graph of the first object (a plot) must never decrease:
  Good, else Bad; not a plot with a graph: Null. ``beautify``: "No anomalies" on green or
  "Values are not always increasing" on red.

Differences from QC: IncreasingEntries keeps one flag per faulty object (QC's assignment of a new
quality drops the flags of the earlier ones); EverIncreasingGraph compares the first point too
(QC starts at the second, missing a decrease between the first two).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from qcflow.checks.check import Check
from qcflow.errors import InvalidInput
from qcflow.objects.activity import Activity
from qcflow.objects.quality import Quality
from qcflow.objects.root import Histogram
from qcflow.postprocessing import (
    CheckConfig,
    HLine,
    Label,
    Overlay,
    PlotImage,
    TH1Reductor,
    parse_float,
)

__all__ = [
    "CcdbInspectorCheck",
    "EverIncreasingGraph",
    "IncreasingEntries",
    "MeanIsAbove",
    "NonEmpty",
]

#: MeanIsAbove's line colours (QC: kGreen, kOrange, kRed; anything else white).
LINE_COLORS = {"Good": 416, "Medium": 800, "Bad": 632}


def _first(objects: Mapping[str, Any]) -> Any:
    return objects[min(objects)] if objects else None


def histogram_mean(h: Histogram) -> float:
    """ROOT's ``GetMean()`` of a histogram (from its stored sums when it has them)."""
    values = TH1Reductor().reduce(h)
    return float(values["mean"]) if values else 0.0


class MeanIsAbove(Check):
    """QC's ``MeanIsAbove``."""

    def configure(self, config: CheckConfig) -> None:
        super().configure(config)
        text = self.parameters.get("meanThreshold")
        where = f"{config.path}.checkParameters.meanThreshold"
        if text is None:
            msg = f"{where}: required by MeanIsAbove"
            raise InvalidInput(msg)
        threshold = parse_float(text)
        if threshold is None:
            msg = f"{where}: {text!r} is not a number"
            raise InvalidInput(msg)
        self.threshold = threshold

    def check(self, objects: Mapping[str, Any], activity: Activity) -> Quality:
        h = _first(objects)
        if not isinstance(h, Histogram):
            return Quality.NULL
        return Quality.GOOD if histogram_mean(h) > self.threshold else Quality.BAD

    def beautify(self, name: str, obj: Any, quality: Quality) -> list[Overlay] | None:
        if not isinstance(obj, Histogram):
            self.log.info("%s: object not checkable", name)
            return None
        return [HLine(self.threshold, LINE_COLORS.get(quality.name, 0))]


class NonEmpty(Check):
    """QC's ``NonEmpty``."""

    def check(self, objects: Mapping[str, Any], activity: Activity) -> Quality:
        h = _first(objects)
        if not isinstance(h, Histogram):
            return Quality.NULL
        return Quality.GOOD if h.entries > 0 else Quality.BAD


class IncreasingEntries(Check):
    """QC's ``IncreasingEntries``."""

    def configure(self, config: CheckConfig) -> None:
        super().configure(config)
        self.must_increase = self.parameters.get_bool("mustIncrease", True)
        self.limit = self.parameters.get_int("nBadCyclesLimit", 1)
        self.start_of_activity(Activity())

    def start_of_activity(self, activity: Activity) -> None:
        self.last: dict[str, float] = {}
        self.faults: dict[str, int] = {}
        self.faulty: set[str] = set()

    def check(self, objects: Mapping[str, Any], activity: Activity) -> Quality:
        result = Quality.GOOD
        self.faulty = set()
        for name in sorted(objects):
            h = objects[name]
            if not isinstance(h, Histogram):
                continue
            unchanged = h.entries == self.last.get(name, 0.0)
            count = self.faults.get(name, 0) + 1 if self.must_increase == unchanged else 0
            if count >= self.limit:
                self.faulty.add(name)
                flag, comment = (
                    ("NoDetectorData", "Number of entries stopped increasing.")
                    if self.must_increase
                    else ("Unknown", "Number of entries has increased.")
                )
                result = result.as_level(Quality.BAD).with_flag(flag, comment)
            self.faults[name] = count
            self.last[name] = h.entries
        return result

    def beautify(self, name: str, obj: Any, quality: Quality) -> list[Overlay] | None:
        if name not in self.faulty or not isinstance(obj, Histogram):
            return None
        what = "*not* changed" if self.must_increase else "*changed*"
        text = f"Number of Entries has {what} in the past {self.limit} cycle(s)"
        return [Label(text, 0, x=0.6, y=0.06, size=9, fill=632)]


class EverIncreasingGraph(Check):
    """QC's ``EverIncreasingGraph``."""

    def check(self, objects: Mapping[str, Any], activity: Activity) -> Quality:
        plot = _first(objects)
        if not isinstance(plot, PlotImage) or not plot.graphs:
            return Quality.NULL
        y = np.asarray(plot.graphs[0].y, dtype=np.float64)
        y = y[np.isfinite(y)]
        return Quality.BAD if np.any(np.diff(y) < 0) else Quality.GOOD

    def beautify(self, name: str, obj: Any, quality: Quality) -> list[Overlay] | None:
        if quality not in (Quality.GOOD, Quality.BAD):
            return None
        if not isinstance(obj, PlotImage):
            self.log.error("%s: MO should be a graph", name)
            return None
        good = quality == Quality.GOOD
        text = "No anomalies" if good else "Values are not always increasing"
        return [Label(text, 1, x=0.32, y=0.88, size=12, fill=416 if good else 632)]


class CcdbInspectorCheck(Check):
    """See the module docstring."""

    def check(self, objects: Mapping[str, Any], activity: Activity) -> Quality:
        result = Quality.NULL
        for name, h in sorted(objects.items()):
            if name.rsplit("/", 1)[-1] != "ObjectsStatus" or not isinstance(h, Histogram):
                continue
            result = Quality.GOOD
            labels = h.axes[0].labels or [str(i) for i in range(1, h.values.shape[0] - 1)]
            statuses = h.axes[1].labels or ["ok", "invalid", "too old", "not found"]
            for column, source in enumerate(labels, start=1):
                if h.values[column, 1] <= 0:
                    result = result.as_level(Quality.BAD)
                for row in range(2, h.values.shape[1] - 1):
                    if h.values[column, row] > 0:
                        status = statuses[row - 1]
                        result = result.as_level(Quality.BAD).with_flag(
                            "Unknown", f"{source} is {status}"
                        )
        return result
