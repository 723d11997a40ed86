"""QC's ReferenceComparatorCheck: compare objects with their reference through a comparator.

``o2::quality_control_modules::common::ReferenceComparatorCheck``. Parameters (read at the start
of the activity, by run and beam type): ``comparatorName`` (:mod:`.comparators`; ``moduleName``
is read and ignored), ``referenceRun`` (0), ``ignorePeriodForReference`` and
``ignorePassForReference`` (true), ``ratioPlotRange`` (read), and the comparator's own
(``threshold``, ``rangeX``…).

For each object (its plot name is the part of its name after the last ``/``):

- a ReferenceComparatorTask plot (a
  :class:`~qcflow.postprocessing.plotting.comparison.ComparisonPlot`): its current and
  reference histograms are compared;
- a histogram: its reference is the same object of ``referenceRun`` (the latest matching the
  reference activity; looked up once per path), Null with "No reference run provided" or
  "Reference plot not found" when there is none;
- anything else is skipped with a warning.

A comparison's message becomes an ``Unknown`` flag ``"<object> <message>"``. The result is the
worst quality of the compared objects, Null counting as the worst (QC starts from Null and lets
any later quality replace a Null, which makes the result depend on the objects' order).
``beautify`` labels a comparison plot, or annotates a histogram, with its quality and message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qcflow.checks.check import Check
from qcflow.checks.common.comparators import ObjectComparator, comparator_class
from qcflow.errors import InvalidInput
from qcflow.objects.activity import Activity
from qcflow.objects.quality import Quality
from qcflow.objects.root import Histogram
from qcflow.postprocessing import QUALITY_COLORS, ComparisonPlot, Label, Overlay, reference_activity

__all__ = ["ReferenceComparatorCheck"]


class ReferenceComparatorCheck(Check):
    """See the module docstring."""

    def start_of_activity(self, activity: Activity) -> None:
        params = self.parameters
        name = params.get("comparatorName", activity) or ""
        self.comparator_type = comparator_class(name)
        if self.comparator_type is None:
            msg = f"{self.config.path}.checkParameters.comparatorName: unknown comparator {name!r}"
            raise InvalidInput(msg)
        self.reference_run, self.reference = reference_activity(params, activity)
        self.comparators: dict[str, ObjectComparator] = {}
        self.references: dict[str, Any] = {}
        self.qualities: dict[str, tuple[Quality, str]] = {}

    def _comparator(self, plot: str, activity: Activity) -> ObjectComparator:
        if plot not in self.comparators:
            assert self.comparator_type is not None
            comparator = self.comparator_type()
            comparator.configure(self.parameters, plot, activity)
            self.comparators[plot] = comparator
        return self.comparators[plot]

    def check(self, objects: Mapping[str, Any], activity: Activity) -> Quality:
        result: Quality | None = None
        for name in sorted(objects):
            compared = self._compare(name, objects[name], activity)
            if compared is None:
                continue
            quality, message = compared
            if message:
                quality = quality.with_flag("Unknown", f"{name.rsplit('/', 1)[-1]} {message}")
            self.qualities[name] = (quality, message)
            if result is None:
                result = quality
            else:
                flags = quality.flags
                result = result.as_level(quality) if quality.is_worse_than(result) else result
                result = result.with_flags(flags)
        return result if result is not None else Quality.NULL

    def _compare(self, name: str, obj: Any, activity: Activity) -> tuple[Quality, str] | None:
        plot = name.rsplit("/", 1)[-1]
        comparator = self._comparator(plot, activity)
        if isinstance(obj, ComparisonPlot):
            return comparator.compare(obj.current, obj.reference)
        if isinstance(obj, Histogram):
            if self.reference_run == 0:
                return Quality.NULL, "No reference run provided"
            reference = self._reference(name)
            if reference is None:
                return Quality.NULL, "Reference plot not found"
            if not isinstance(reference, Histogram):
                return Quality.NULL, "The reference plot is not a TH1"
            return comparator.compare(obj, reference)
        self.log.warning(
            "Compared Monitor Object '%s' is not a comparison plot or a histogram, the "
            "detector QC responsible should review the configuration",
            name,
        )
        return None

    def _reference(self, name: str) -> Any:
        mo = self.monitor_object(name)
        if mo is None:
            return None
        path = mo.path_in_provenance
        if path not in self.references:
            found = self.services.retrieve_latest(path, self.reference)
            self.references[path] = found.obj if found is not None else None
        return self.references[path]

    def beautify(self, name: str, obj: Any, quality: Quality) -> list[Overlay] | None:
        own, message = self.qualities.get(name, (Quality.NULL, ""))
        color = QUALITY_COLORS.get(own.name, QUALITY_COLORS["Null"])
        x, y = (0.02, 0.95) if isinstance(obj, ComparisonPlot) else (0.75, 0.72)
        return [
            Label(own.name, color, x=x, y=y, size=12),
            Label(message, 921, x=x, y=y - 0.04, size=9),
        ]
