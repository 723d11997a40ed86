"""``o2::quality_control_modules::zdc::ZDCRecDataPostProcessing``: one summary histogram per
family of ZDC reconstructed-data histograms.

Config (``qc.postprocessing.<id>``): five mandatory arrays of data sources,
``dataSourcesADC``, ``dataSourcesTDC``, ``dataSourcesTDCA``, ``dataSourcesPeak1n``,
``dataSourcesPeak1p``, each ``[{type, path, names}]`` with names ``"<binLabel>:<objectName>"``
(``"ZNAC:h_ADC_ZNA_TC"``); the k-th name fills bin k, labelled ``<binLabel>``.
``customization`` is accepted and ignored, as in QC. Task parameters ``minBin1p`` (2) and
``maxBin1p`` (250): the x range of the Peak-1p search (Peak-1n: 1 to 200, fixed, as in QC).

Outputs (TH1F, one bin per source over [0, n), published until the task stops; the table is
:data:`.families.FAMILIES`, which the check reads too):

| object | title | bin content |
|---|---|---|
| ``h_summary_ADC`` | Summary ADC | the source's mean (ROOT ``GetMean``), error on the mean |
| ``h_summary_TDC`` | Summary TDC | idem |
| ``h_summary_TDCA`` | Summary TDC Amplitude | idem |
| ``h_summary_Peak1n`` | Summary TDC Amplitude Peak 1n | centre of the highest bin, [1, 200] |
| ``h_summary_Peak1p`` | Summary TDC Amplitude Peak 1p | idem, [minBin1p, maxBin1p] |

Means are ROOT's ``GetMean``/``GetMeanError`` (recomputed from the bins when ``fTsumw`` is 0 but
there are entries); peaks follow ``SetRangeUser`` + ``GetMaximumBin``, flow bins included when
the range reaches beyond the axis. The peak summaries store no errors (QC sets none; ROOT shows
sqrt(content)). QC searches Peak-1p in [2, 250] whatever ``minBin1p``/``maxBin1p`` say; qcflow
uses them (the defaults give QC's range; docs/modules.md).
A bin keeps its value when its source did not change (same ``Created``) or is missing, as in QC.
The task is run-scoped (:attr:`~qcflow.postprocessing.engine.task.Task.run_scoped`): over a
period, each run starts with empty summaries, as a run-specific job of O2DPG would.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np

from qcflow.modules._histograms import bin_center, bin_range, restat_1d, th1, uniform_axis
from qcflow.modules._sources import NamedSource, RunTracker, SourceHelper, read_sources
from qcflow.modules.zdc.families import FAMILIES, Family
from qcflow.objects.root import Histogram, stats_from_bins
from qcflow.postprocessing import (
    Node,
    PublicationPolicy,
    Retrieved,
    Services,
    Task,
    TaskConfig,
    Trigger,
    task_reads,
)

__all__ = ["RecDataPostProcessing", "mean_and_error", "peak_position"]


def mean_and_error(h: Histogram) -> tuple[float, float]:
    """ROOT's ``GetMean()`` and ``GetMeanError()``: from the stored statistics, or from the bin
    contents and centres when ``fTsumw`` is 0 but the histogram has entries (ROOT's
    ``GetStats`` recomputes then, e.g. after ``SetBinContent``).

    Error on the mean = standard deviation / sqrt(effective entries), with
    effective entries = (sum w)^2 / sum w^2.
    """
    if h.stats.get("fTsumw", 0.0) == 0 and h.entries > 0:
        h = replace(h, stats=stats_from_bins(h))
    sumw = h.stats.get("fTsumw", 0.0)
    sumw2 = h.stats.get("fTsumw2", 0.0)
    if sumw <= 0 or sumw2 <= 0:
        return h.mean(), 0.0
    return h.mean(), h.std() / float(np.sqrt(sumw * sumw / sumw2))


def peak_position(h: Histogram, low: float, high: float) -> float:
    """Centre of the first highest bin between ``low`` and ``high`` (ROOT's ``SetRangeUser`` then
    ``GetMaximumBin``; the flow bins count when the range reaches beyond the axis)."""
    edges = h.axes[0].edges
    first, last = bin_range(edges, low, high)
    contents = h.values[first : last + 1]
    return bin_center(edges, first + int(np.argmax(contents)))


@dataclass(frozen=True)
class ZdcOptions:
    sources: dict[str, list[NamedSource]]


class RecDataPostProcessing(Task[ZdcOptions]):
    """QC's ``ZDCRecDataPostProcessing`` (see the module docstring)."""

    run_scoped: ClassVar[bool] = True

    @classmethod
    def parse_options(cls, node: Node, config: TaskConfig[None]) -> ZdcOptions:
        node.mark_read("customization")  # parsed by QC into a map nobody reads
        sources = {f.key: read_sources(node, f.key, required=True) for f in FAMILIES}
        for family in FAMILIES:
            if node.has(family.key) and not sources[family.key]:
                node.error(family.key, "lists no object")
        return ZdcOptions(sources)

    @classmethod
    def reads(cls, config: TaskConfig[ZdcOptions]) -> list[tuple[str, str]]:
        out = task_reads(config)
        for key, sources in config.options.sources.items():
            out.extend((f"{config.path}.{key}", s.object_path) for s in sources)
        return out

    def configure(self, config: TaskConfig[ZdcOptions]) -> None:
        super().configure(config)
        self.helpers = {
            f.name: [SourceHelper(s) for s in self.options.sources[f.key]] for f in FAMILIES
        }
        self.runs = RunTracker()
        self.summaries: dict[str, Histogram] = {}

    def initialize(self, trigger: Trigger, services: Services) -> None:
        self._reset()

    def _reset(self) -> None:
        for family in FAMILIES:
            sources = self.options.sources[family.key]
            axis = uniform_axis(len(sources), 0, len(sources), labels=[s.label for s in sources])
            empty = np.zeros(len(sources))
            # QC sets errors (GetMeanError) on the mean summaries only: the peak ones have no
            # sumw2, so ROOT shows sqrt(content) as their errors.
            errors = empty if family.statistic == "mean" else None
            self.summaries[family.name] = th1(
                family.name, family.title, axis, empty, errors, entries=0
            )
            self.objects.start_publishing(
                self.summaries[family.name], family.name, PublicationPolicy.THROUGH_STOP
            )
            for helper in self.helpers[family.name]:
                helper.reset()

    def update(self, trigger: Trigger, services: Services) -> None:
        if self.runs.changed(trigger):
            self._reset()
        fetched: dict[str, Retrieved | None] = {}
        for family in FAMILIES:
            self._fill(family, trigger, services, fetched)

    def _fill(
        self,
        family: Family,
        trigger: Trigger,
        services: Services,
        fetched: dict[str, Retrieved | None],
    ) -> None:
        summary = self.summaries[family.name]
        for index, helper in enumerate(self.helpers[family.name], start=1):
            found = helper.fetch_if_new(trigger, services, fetched)
            if found is None or not isinstance(found.obj, Histogram) or found.obj.ndim != 1:
                continue
            value, error = self._value(family, found.obj)
            summary.values[index] = value
            if summary.variances is not None:
                summary.variances[index] = error**2
            summary.entries += 1
        restat_1d(summary)

    def _value(self, family: Family, h: Histogram) -> tuple[float, float]:
        if family.statistic == "mean":
            return mean_and_error(h)
        if family.peak_range is not None:
            return peak_position(h, *family.peak_range), 0.0
        params = self.config.parameters
        low = params.get_float("minBin1p", 2.0)
        high = params.get_float("maxBin1p", 250.0)
        return peak_position(h, low, high), 0.0
