"""QualityTask: collect the latest quality objects of a few groups and summarise them.

QC's ``o2::quality_control_modules::common::QualityTask``. Per update, for each group and input
object, the latest quality object ``<group.path>/<name>`` matching the trigger's activity
(:meth:`~..engine.services.Services.retrieve_latest`) -- rejected when older than
``maxObjectAgeSeconds`` (0 or less: no cut). Published (until the task finalizes):

- ``Distributions/<group>/<name>`` -- a TH1F of 4 bins on [0, 4): how many updates saw Null, Bad,
  Medium, Good (bins 1-4, labelled);
- ``Trends/<group>/<name>`` -- quality against time: a TGraph of QC's values (0.5 Null … 3.5
  Good), display hint ``gridy`` as in QC, with its PNG;
- ``QualitySummary`` -- QC's summary text as a PNG (QC: a TCanvas, which qcflow does not write);
- ``QualitySummaryJSON`` -- the same, and every update's qualities, as JSON (docs/quality.md).

Differences from QC, on purpose:

- the age of a quality object is the trigger's timestamp minus the object's creation time, not
  the wall clock's: replaying old runs gives the same summary tomorrow as today;
- a trend point's time is the quality object's ``Valid-From`` (the run it judges), not its
  creation time (when the check happened to run);
- a quality object that is not newer than the last one seen still shows in the summary but does
  not count again in the distribution or trend -- as in QC.
- "newer" is the store's order (creation ms, then the UUID's ticks), not the ms alone: two runs'
  quality objects created in one millisecond are two updates.

In one ``qcflow qc`` run, a QualityTask reading the quality objects of the config's own checks
and aggregators runs after them (:meth:`QualityTask.reads` lists those paths; the engine orders
tasks by what they read).
"""

from __future__ import annotations

import numpy as np

from qcflow.objects.root import Axis, Histogram, stats_from_bins
from qcflow.postprocessing.config.schema import TaskConfig
from qcflow.postprocessing.config.values import Node
from qcflow.postprocessing.engine.object_manager import PublicationPolicy
from qcflow.postprocessing.engine.services import Retrieved, Services
from qcflow.postprocessing.engine.task import Task, task_reads
from qcflow.postprocessing.tasks._quality_config import (
    QualityGroup,
    QualityInput,
    QualityTaskConfig,
    parse_quality,
)
from qcflow.postprocessing.tasks._quality_summary import (
    Finding,
    SummaryJSON,
    summary_image,
    summary_lines,
    trend_image,
)
from qcflow.postprocessing.triggers.trigger import Trigger
from qcflow.qcdb.model import order_key

__all__ = ["DISTRIBUTION_BINS", "QualityTask"]

#: The distribution's bins, in order (bin 1 = Null … bin 4 = Good).
DISTRIBUTION_BINS = ("Null", "Bad", "Medium", "Good")
THROUGH_STOP = PublicationPolicy.THROUGH_STOP


class QualityTask(Task[QualityTaskConfig]):
    """See the module docstring."""

    @classmethod
    def parse_options(cls, node: Node, config: TaskConfig[None]) -> QualityTaskConfig:
        return parse_quality(node, config)

    @classmethod
    def reads(cls, config: TaskConfig[QualityTaskConfig]) -> list[tuple[str, str]]:
        out = task_reads(config)
        for g, group in enumerate(config.options.groups):
            for i, item in enumerate(group.inputs):
                where = f"{config.path}.qualityGroups[{g}].inputObjects[{i}].name"
                out.append((where, group.object_path(item)))
        return out

    def configure(self, config: TaskConfig[QualityTaskConfig]) -> None:
        super().configure(config)
        self.max_age_ms = 0
        self.last_created: dict[str, tuple[int, int, str]] = {}  # order_key of the last seen
        self.fresh: set[str] = set()  # inputs whose object is newer than the last one seen
        self.distributions: dict[str, Histogram] = {}
        self.points: dict[str, list[tuple[float, str]]] = {}
        self.summary = SummaryJSON(config.task_name, config.detector_name, 0)

    def initialize(self, trigger: Trigger, services: Services) -> None:
        seconds = self.config.parameters.get_int("maxObjectAgeSeconds", 600, trigger.activity)
        self.max_age_ms = max(seconds, 0) * 1000
        self.summary = SummaryJSON(self.config.task_name, self.config.detector_name, seconds)
        self.last_created.clear()
        self.fresh.clear()
        self.points.clear()
        for group, item in self._inputs():
            name = f"{group.name}/{item.name}"
            self.distributions[name] = _distribution(item)
            self.points[name] = []
            self.objects.start_publishing(
                self.distributions[name], f"Distributions/{name}", THROUGH_STOP
            )
            self._publish_trend(group, item)
        self._publish_summary([])

    def update(self, trigger: Trigger, services: Services) -> None:
        findings = [self._look(group, item, trigger, services) for group, item in self._inputs()]
        for finding in findings:
            if finding.quality is not None and finding.key in self.fresh:
                self._count(finding)
        self.summary.record(trigger.activity, trigger.timestamp, findings)
        self._publish_summary(findings)

    # -- one input -----------------------------------------------------------------------------

    def _inputs(self) -> list[tuple[QualityGroup, QualityInput]]:
        return [(g, item) for g in self.options.groups for item in g.inputs]

    def _look(
        self, group: QualityGroup, item: QualityInput, trigger: Trigger, services: Services
    ) -> Finding:
        path = group.object_path(item)
        full = f"{trigger.activity.provenance}/{path}"
        found = services.retrieve_latest(path, trigger.activity)
        key = f"{group.name}/{item.name}"
        if found is None or not hasattr(found.obj, "quality"):
            self.log.warning(
                "%s: no quality object %s for %s", self.config.task_name, full, trigger.activity
            )
            return Finding(group, item, full, reason="missing")
        age = trigger.timestamp - found.info.created
        if self.max_age_ms > 0 and age > self.max_age_ms:
            self.log.warning(
                "%s: quality object %s for %s is too old: %d > %d ms",
                self.config.task_name,
                full,
                trigger.activity,
                age,
                self.max_age_ms,
            )
            return Finding(group, item, full, reason="too old")
        self._note_created(key, found)
        return Finding(group, item, full, found.obj.quality, activity=found.activity)

    def _note_created(self, key: str, found: Retrieved) -> None:
        """Remember whether this object is newer than the last one seen (QC's "updated").

        Newer in the store's own order (creation ms, then the UUID's 100 ns ticks): quality
        objects of two runs checked within one millisecond are two updates, not one."""
        created = order_key(found.info)
        last = self.last_created.get(key)
        if last is None or created > last:
            self.last_created[key] = created
            self.fresh.add(key)

    def _count(self, finding: Finding) -> None:
        assert finding.quality is not None
        assert finding.activity is not None
        self.fresh.discard(finding.key)
        name = finding.quality.name if finding.quality.name in DISTRIBUTION_BINS else "Null"
        histogram = self.distributions[finding.key]
        index = DISTRIBUTION_BINS.index(name) + 1
        histogram.values[index] += 1
        histogram.variances = histogram.values.copy()
        histogram.entries += 1
        histogram.stats = stats_from_bins(histogram)
        self.points[finding.key].append((finding.activity.valid_from / 1000, name))
        self._publish_trend(finding.group, finding.item)

    # -- publishing ----------------------------------------------------------------------------

    def _publish_trend(self, group: QualityGroup, item: QualityInput) -> None:
        name = f"{group.name}/{item.name}"
        image = trend_image(f"Trends/{name}", item.display, self.points[name])
        self.objects.start_publishing(image, image.name, THROUGH_STOP)

    def _publish_summary(self, findings: list[Finding]) -> None:
        self.objects.start_publishing(
            summary_image(summary_lines(findings)), "QualitySummary", THROUGH_STOP
        )
        self.objects.start_publishing(self.summary.encode(), "QualitySummaryJSON", THROUGH_STOP)


def _distribution(item: QualityInput) -> Histogram:
    axis = Axis(np.arange(0.0, 5.0), "quality", list(DISTRIBUTION_BINS))
    values = np.zeros(6)
    histogram = Histogram("TH1F", item.name, item.display, (axis,), values, values.copy(), 0.0)
    histogram.stats = stats_from_bins(histogram)
    return histogram
