"""``o2::quality_control_modules::muonchambers::PreclustersPostProcessing`` (QC's 2024 version):
pseudo-efficiency, cluster charge and cluster size per detection element.

Sources (``dataSources`` names ``"<key>:<object>"``): ``eff`` -- the pseudo-efficiency map
(``TH2FRatio`` with a denominator per cell, x = global DS index, y = channel), ``clcharge`` --
cluster charge per DE index (TH2F, x = DE index, y = charge), ``clsize`` -- cluster size (TH2F,
x = 3 x DE index + c, c = 0 bending, 1 non-bending, 2 both; y = number of pads).

Parameters: ``ReferenceTimeStamp`` (0: none), ``FullHistos`` (accepted; no per-DE XY maps).

Outputs, for P in ``Efficiency/`` and ``Efficiency/LastCycle/``:

- ``P+MeanEfficiencyB``, ``P+MeanEfficiencyNB``: mean pseudo-efficiency of the DE's bending /
  non-bending pads with statistics; ``P+MeanEfficiencyRef{B,NB}`` with a reference;
  ``P+MeanEfficiencyRefRatio{B,NB}`` (empty without a reference);
- ``ClusterCharge/[LastCycle/]ClusterChargeMPV``: centre of the first highest charge bin per DE
  ("MPV", no fit; an empty DE gives bin 1's centre, as ROOT's ``GetMaximumBin``), with
  ``…ChargeRef`` and ``…ClusterChargeMPVRefRatio``;
- ``ClusterSize/[LastCycle/]MeanClusterSize{B,NB,}``: mean cluster size per DE, with
  ``…ClusterSizeRef{B,NB,}`` and ``…MeanClusterSizeRefRatio{B,NB,}``; without a reference the
  charge and size ratios are 1 everywhere (QC divides by an all-zero reference and sets 1
  where it is 0), the efficiency ratios stay empty;
- ``Trends/Efficiency/ChamberEfficiency``: mean pseudo-efficiency per chamber against time (a
  TMultiGraph, published at the last update; qcflow's, QC 2024 trended per DE only with
  ``FullHistos``);
- ``QualityFlagPerDE``, filled by the check.

As for digits, QC's canvases (``MeanEfficiencyB`` holding ``MeanEfficiencyBHist`` and its
reference) are published as the histograms themselves.
"""

from __future__ import annotations

import numpy as np

from qcflow.errors import InvalidInput
from qcflow.modules._sources import SourceHelper
from qcflow.modules._trends import Trend
from qcflow.modules.mch.config import MchOptions
from qcflow.modules.mch.elecmap import elec_mapping, ratio_map, reduce_elec_map
from qcflow.modules.mch.mapping import NUM_DE
from qcflow.modules.mch.plots import (
    FloatArray,
    OnCycle,
    de_histogram,
    empty_de_histogram,
    reference_ratio,
    unread_histogram,
)
from qcflow.modules.mch.task import MchTask
from qcflow.objects.activity import Activity
from qcflow.objects.ratio import HistogramRatio
from qcflow.objects.root import Histogram
from qcflow.postprocessing import PublicationPolicy, Services, TaskConfig, Trigger

__all__ = ["PreclustersPostProcessing", "charge_mpv", "cluster_sizes"]

KEYS = ("eff", "clcharge", "clsize")
SIZE_SUFFIX = ("B", "NB", "")
SIZE_TITLE = ("Cluster Size vs DE (B)", "Cluster Size vs DE (NB)", "Cluster Size vs DE")


def charge_mpv(h: Histogram) -> FloatArray:
    """Per DE index: the centre of the highest charge bin, the first of equal ones (ROOT's
    ``GetMaximumBin``); an empty column gives the centre of bin 1, as in QC."""
    counts = h.inner()[:NUM_DE]
    return np.asarray(h.axes[1].centers[np.argmax(counts, axis=1)], dtype=np.float64)


def cluster_sizes(h: Histogram) -> list[FloatArray]:
    """Mean cluster size per DE index: bending, non-bending, both."""
    counts = h.inner()[: 3 * NUM_DE].reshape(NUM_DE, 3, -1)
    sizes = h.axes[1].centers
    total = counts.sum(axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        means = np.where(total > 0, (counts * sizes).sum(axis=2) / np.maximum(total, 1e-300), 0.0)
    return [means[:, c] for c in range(3)]


class PreclustersPostProcessing(MchTask):
    """QC's ``PreclustersPostProcessing`` (see the module docstring)."""

    keys = KEYS

    def configure(self, config: TaskConfig[MchOptions]) -> None:
        super().configure(config)
        self.inputs = {k: (SourceHelper(s), OnCycle()) for k, s in self.options.sources.items()}
        self.references: dict[str, list[FloatArray]] = {}
        chambers = [f"CH{c}" for c in range(1, 11)]
        self.trend = Trend(
            "Trends/Efficiency/ChamberEfficiency",
            "Chamber pseudo-efficiency",
            "efficiency",
            chambers,
        )

    def update(self, trigger: Trigger, services: Services) -> None:
        if self.runs.changed(trigger):
            for helper, cycle in self.inputs.values():
                helper.reset()
                cycle.reset()
        for key, (helper, cycle) in self.inputs.items():
            found = helper.fetch_if_new(trigger, services)
            if found is None:
                continue
            if key == "eff":
                try:
                    elec_mapping(ratio_map(found))
                except InvalidInput as err:
                    error = f"{helper.source.object_path}: {err}"
                    self.log.error("%s: %s", self.config.task_name, error)
                    for cycle_path in ("", "LastCycle/"):
                        for name, _, _, title in _names(key, cycle_path):
                            self._publish(unread_histogram(name, title, error))
                    continue
            if not isinstance(found.obj, Histogram | HistogramRatio):
                continue
            self._plots(key, "", found.obj)
            last = cycle.update(found.obj)
            self._plots(key, "LastCycle/", last)
            if key == "eff" and isinstance(last, HistogramRatio):
                summary = reduce_elec_map(last, elec_mapping(last), -np.inf, np.inf)
                self.trend.add(found.info.valid_from / 1000, summary.chamber_mean)
        if trigger.last:
            self._draw_trend()

    def finalize(self, trigger: Trigger, services: Services) -> None:
        if not self.drawn:
            self._draw_trend()

    # -- plots ---------------------------------------------------------------------------------

    def _values(self, key: str, obj: Histogram | HistogramRatio) -> list[FloatArray] | None:
        if key == "eff" and isinstance(obj, HistogramRatio):
            summary = reduce_elec_map(obj, elec_mapping(obj), -np.inf, np.inf)
            return [summary.mean_bending, summary.mean_non_bending]
        if key == "clcharge" and isinstance(obj, Histogram) and obj.ndim == 2:
            return [charge_mpv(obj)]
        if key == "clsize" and isinstance(obj, Histogram) and obj.ndim == 2:
            return cluster_sizes(obj)
        return None

    def _plots(self, key: str, cycle: str, obj: Histogram | HistogramRatio) -> None:
        values = self._values(key, obj)
        if values is None:
            return
        refs = self.references.get(key)
        for index, (name, ref_name, ratio_name, title) in enumerate(_names(key, cycle)):
            self._publish(de_histogram(name, title, values[index]))
            if refs is None and key == "eff":
                self._publish(empty_de_histogram(ratio_name, f"{title}, ratio wrt reference"))
                continue
            if refs is not None:
                self._publish(de_histogram(ref_name, f"{title}, reference", refs[index], 0.0))
            # QC's charge and size plotters divide by an all-zero reference without one, and
            # set 1 (error 0) where the reference is 0: a ratio of 1 everywhere.
            reference = refs[index] if refs is not None else np.zeros(NUM_DE)
            ratio, errors = reference_ratio(values[index], reference)
            histogram = de_histogram(ratio_name, f"{title}, ratio wrt reference", ratio)
            if histogram.variances is not None:
                histogram.variances[1:-1] = errors**2
            self._publish(histogram)

    def _load_references(self, stamp: int, services: Services) -> None:
        anywhere = Activity(provenance=self.config.common.activity.provenance)
        for key, (helper, _) in self.inputs.items():
            source = helper.source
            found = services.retrieve_mo(source.path, source.name, stamp, anywhere)
            try:
                values = None if found is None else self._values(key, found.obj)
            except InvalidInput as err:
                self.log.error(
                    "%s: reference %s: %s", self.config.task_name, source.object_path, err
                )
                continue
            if values is None:
                self.log.warning(
                    "%s: no reference %s at %d", self.config.task_name, source.object_path, stamp
                )
                continue
            self.references[key] = values

    def _draw_trend(self) -> None:
        self.drawn = True
        if len(self.trend):
            self.objects.start_publishing(
                self.trend.image(), self.trend.name, PublicationPolicy.ONCE
            )


def _names(key: str, cycle: str) -> list[tuple[str, str, str, str]]:
    """(plot, reference, ratio, title) names of each output of a source."""
    if key == "eff":
        p = f"Efficiency/{cycle}"
        return [
            (
                f"{p}MeanEfficiency{c}",
                f"{p}MeanEfficiencyRef{c}",
                f"{p}MeanEfficiencyRefRatio{c}",
                f"Mean Efficiency vs DE ({c})",
            )
            for c in ("B", "NB")
        ]
    if key == "clcharge":
        p = f"ClusterCharge/{cycle}"
        return [
            (
                f"{p}ClusterChargeMPV",
                f"{p}ChargeRef",
                f"{p}ClusterChargeMPVRefRatio",
                "Charge vs DE",
            )
        ]
    p = f"ClusterSize/{cycle}"
    return [
        (f"{p}MeanClusterSize{s}", f"{p}ClusterSizeRef{s}", f"{p}MeanClusterSizeRefRatio{s}", t)
        for s, t in zip(SIZE_SUFFIX, SIZE_TITLE, strict=True)
    ]
