"""``o2::quality_control_modules::muonchambers::DigitsPostProcessing`` (QC's 2024 version, whose
object names O2DPG's ``mch.json`` checks): channel rates per detection element.

Sources (``dataSources`` names ``"<key>:<object>"``): ``rate`` and ``rate_signal`` -- rate maps
(QC's ``TH2Ratio<TH2F>``, x = global DS index, y = channel, ratio = digits / (orbits x 0.0891
ms) = kHz), ``orbits`` and ``orbits_signal`` -- digit orbit maps (TH2F, x = DS index, y = orbit
in the TF). A map is read with O2's mapping (16,820 boards) or qcflow's reduced one, by its
board count; one fitting neither is logged as an error and its checked plots are published
empty with the reason in their title (the check flags it).

Parameters (``taskParameters`` only, as QC; ``customization`` values are logged as unused):
``ChannelRateMin`` (0) and ``ChannelRateMax`` (100) kHz -- a pad outside them is a bad
channel; ``ReferenceTimeStamp`` (0: none) -- the rate maps valid then (any run) are the
reference; ``FullHistos`` (accepted; the per-DE XY maps need pad geometry, which qcflow's
mappings do not have).

Outputs, for P in ``Rates/``, ``Rates/LastCycle/``, ``RatesSignal/``, ``RatesSignal/LastCycle/``
(``Rates`` from ``rate``, ``RatesSignal`` from ``rate_signal``; ``LastCycle`` from the
difference with the previous input of the run):

- ``P+MeanRate`` (mean rate of the DE's pads with statistics, kHz), ``P+GoodChannelsFraction``
  (pads with statistics and a rate strictly inside the limits / pads): per-DE TH1F;
- ``P+MeanRateRef``, ``P+GoodChannelsFractionRef`` (with a reference), and
  ``P+MeanRateRefRatio``, ``P+GoodChannelsFractionRefRatio`` (empty without a reference);
- ``P+RatesDistribution`` (not for ``LastCycle``): TH2F, 100 log bins of rate x station;
- ``Orbits/DigitOrbitInTFDE``, ``OrbitsSignal/DigitOrbitInTFDE`` (+ ``LastCycle/``): TH2F 156 x
  768, digits per DE index and orbit (QC's ``int(bin centre)``: truncated toward zero);
- for P in ``Trends/Rates/``, ``Trends/RatesSignal/``: ``P+ChamberRates`` (mean rate per
  chamber), ``P+ST{s}/Rates_CH{c}`` (one chamber each) and ``P+Orbits`` (the mean denominator,
  orbits x 0.0891, as QC plots it) against time: ROOT graphs (TGraph, TMultiGraph; no PNG
  companion, :mod:`qcflow.modules._trends`) published at the last update;
- ``QualityFlagPerDE``: TH2F 156 x 3 (Bad, Medium, Good) that the check fills.

Where QC publishes ``MeanRate`` as a canvas holding ``MeanRateHist`` and ``MeanRateRef``, qcflow
publishes the histograms themselves (``MeanRate`` and ``MeanRateRef``). No global XY maps
(``Rate_ST12``...): no pad geometry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from qcflow.errors import InvalidInput
from qcflow.modules._histograms import th2, uniform_axis
from qcflow.modules._sources import SourceHelper
from qcflow.modules._trends import Trend
from qcflow.modules.mch.config import MchOptions
from qcflow.modules.mch.elecmap import ElecMapSummary, elec_mapping, ratio_map, reduce_elec_map
from qcflow.modules.mch.mapping import NUM_DE, ElecMapping, mapping_for
from qcflow.modules.mch.plots import (
    OnCycle,
    de_histogram,
    empty_de_histogram,
    reference_ratio,
    unread_histogram,
)
from qcflow.modules.mch.task import MchTask
from qcflow.objects.activity import Activity
from qcflow.objects.ratio import HistogramRatio
from qcflow.objects.root import Axis, Histogram
from qcflow.postprocessing import PublicationPolicy, Services, TaskConfig, Trigger

__all__ = ["DigitsPostProcessing", "orbit_map", "rates_distribution"]

KEYS = ("rate", "rate_signal", "orbits", "orbits_signal")
RATE_PREFIX = {"rate": "Rates", "rate_signal": "RatesSignal"}
ORBIT_PREFIX = {"orbits": "Orbits", "orbits_signal": "OrbitsSignal"}
ORBIT_BINS, ORBIT_RANGE = 768, 384.0


def rates_distribution(name: str, values: Any, stations: Any, low: float, high: float) -> Histogram:
    """Rates of every pad (clamped into the axis) against station: 100 log bins, 5 stations."""
    x_max = 10 * high
    x_min = low / 10 if low > 0 else x_max / 1e6  # QC 2024 takes log10(0) here; QC now does this
    edges = np.logspace(np.log10(x_min), np.log10(x_max), 101)
    centers = np.sqrt(edges[1:] * edges[:-1])
    clamped = np.clip(values, centers[0], centers[-1])
    # Every clamped value lies inside the edges and every station is 1..5, so one search on the
    # rate axis and a bincount fill what np.histogram2d would (it also searches the station
    # axis and checks the outer edges: twice the time for a million pads).
    # A NaN rate (searched past the last edge) is not counted, as np.histogram2d drops it.
    column = np.searchsorted(edges, clamped, side="right") - 1
    row = np.asarray(stations, dtype=np.int64) - 1
    inside = column < 100
    cells = np.bincount(column[inside] * 5 + row[inside], minlength=100 * 5)
    counts = cells.reshape(100, 5).astype(np.float64)
    x = Axis(edges, "rate (kHz)")
    y = uniform_axis(5, 1, 6, "station", [f"ST{s}" for s in range(1, 6)])
    return th2(name, "Rates distribution", x, y, counts)


def orbit_map(name: str, source: Histogram, mapping: ElecMapping) -> Histogram:
    """Digits per DE index and orbit: each (DS, orbit bin) of ``source`` added at its DE."""
    counts = source.inner()
    if counts.shape[0] != mapping.num_ds:
        counts = np.zeros((mapping.num_ds, counts.shape[1]))
    # Summed by DE with one bincount over (DE, orbit bin) cells (np.add.at is 50 times slower).
    columns = counts.shape[1]
    cell = mapping.ds_de_index[:, None] * columns + np.arange(columns)[None, :]
    per_de = np.bincount(cell.ravel(), weights=counts.ravel(), minlength=NUM_DE * columns)
    per_de = per_de.reshape(NUM_DE, columns)
    out = np.zeros((NUM_DE, ORBIT_BINS))
    # QC converts the bin centre to int (truncation toward zero), then finds its bin.
    target = np.trunc(source.axes[1].centers).astype(np.int64) + int(ORBIT_RANGE)
    inside = (target >= 0) & (target < ORBIT_BINS)
    np.add.at(out.T, target[inside], per_de.T[inside])
    x = uniform_axis(NUM_DE, 0, NUM_DE, "DE index")
    y = uniform_axis(ORBIT_BINS, -ORBIT_RANGE, ORBIT_RANGE, "orbit")
    return th2(name, "Digit orbits vs DE", x, y, out)


@dataclass
class _RateInput:
    key: str
    helper: SourceHelper
    on_cycle: OnCycle
    reference: ElecMapSummary | None = None


class DigitsPostProcessing(MchTask):
    """QC's ``DigitsPostProcessing`` (see the module docstring)."""

    keys = KEYS

    def configure(self, config: TaskConfig[MchOptions]) -> None:
        super().configure(config)
        self.low = self.options.number(config, "ChannelRateMin", 0.0)
        self.high = self.options.number(config, "ChannelRateMax", 100.0)
        for key, value in sorted(self.options.customization.items()):
            self.log.warning(
                "%s: customization %s=%s is not read (QC reads taskParameters only); using %s",
                config.task_name,
                key,
                value,
                self.options.text(config, key) or "the default",
            )
        self.rates = [
            _RateInput(k, SourceHelper(s), OnCycle())
            for k, s in self.options.sources.items()
            if k in RATE_PREFIX
        ]
        self.orbits = [
            (k, SourceHelper(s), OnCycle())
            for k, s in self.options.sources.items()
            if k in ORBIT_PREFIX
        ]
        chambers = [f"CH{c}" for c in range(1, 11)]
        self.trends = {
            k: Trend(f"Trends/{p}/ChamberRates", "Chamber Rates", "rate (kHz)", chambers)
            for k, p in RATE_PREFIX.items()
        }
        self.orbit_trends = {
            k: Trend(f"Trends/{p}/Orbits", "Orbits", "orbits", ["orbits"])
            for k, p in RATE_PREFIX.items()
        }
        self.chamber_trends = {
            k: [
                Trend(
                    f"Trends/{p}/ST{(c + 1) // 2}/Rates_CH{c}",
                    f"CH{c} Rates",
                    "rate (kHz)",
                    [f"CH{c}"],
                )
                for c in range(1, 11)
            ]
            for k, p in RATE_PREFIX.items()
        }

    # -- lifecycle -----------------------------------------------------------------------------

    def update(self, trigger: Trigger, services: Services) -> None:
        if self.runs.changed(trigger):
            for rate in self.rates:
                rate.helper.reset()
                rate.on_cycle.reset()
            for _, helper, cycle in self.orbits:
                helper.reset()
                cycle.reset()
        for rate in self.rates:
            self._update_rates(rate, trigger, services)
        for key, helper, cycle in self.orbits:
            found = helper.fetch_if_new(trigger, services)
            if found is not None and isinstance(found.obj, Histogram) and found.obj.ndim == 2:
                mapping = mapping_for(found.obj.inner().shape[0])
                if mapping is None:
                    rows, columns = found.obj.inner().shape
                    self.log.error(
                        "%s: %s: a %d x %d orbit map fits neither MCH mapping",
                        self.config.task_name,
                        helper.source.object_path,
                        rows,
                        columns,
                    )
                    continue
                prefix = ORBIT_PREFIX[key]
                self._publish(orbit_map(f"{prefix}/DigitOrbitInTFDE", found.obj, mapping))
                last = cycle.update(found.obj)
                assert isinstance(last, Histogram)
                name = f"{prefix}/LastCycle/DigitOrbitInTFDE"
                self._publish(orbit_map(name, last, mapping))
        if trigger.last:
            self._draw_trends()

    def finalize(self, trigger: Trigger, services: Services) -> None:
        if not self.drawn:
            self._draw_trends()

    # -- rates ---------------------------------------------------------------------------------

    def _update_rates(self, rate: _RateInput, trigger: Trigger, services: Services) -> None:
        found = rate.helper.fetch_if_new(trigger, services)
        if found is None:
            return
        prefix = RATE_PREFIX[rate.key]
        try:
            mapping = elec_mapping(ratio_map(found))
        except InvalidInput as err:
            # QC would read nothing either; say so in the log and on the checked plots.
            error = f"{rate.helper.source.object_path}: {err}"
            self.log.error("%s: %s", self.config.task_name, error)
            for cycle in ("", "LastCycle/"):
                for name, title in (
                    ("MeanRate", "Mean Rate"),
                    ("GoodChannelsFraction", "Good channels fraction"),
                ):
                    self._publish(unread_histogram(f"{prefix}/{cycle}{name}", title, error))
            return
        assert isinstance(found.obj, HistogramRatio)
        summary = reduce_elec_map(found.obj, mapping, self.low, self.high)
        self._rate_plots(f"{prefix}/", summary, rate.reference)
        self._publish(self._distribution(f"{prefix}/RatesDistribution", found.obj, mapping))
        last = rate.on_cycle.update(found.obj)
        assert isinstance(last, HistogramRatio)
        last_summary = reduce_elec_map(last, mapping, self.low, self.high)
        self._rate_plots(f"{prefix}/LastCycle/", last_summary, rate.reference)
        time_s = found.info.valid_from / 1000  # qcflow: QC uses Created (docs)
        self.trends[rate.key].add(time_s, last_summary.chamber_mean)
        for chamber, trend in enumerate(self.chamber_trends[rate.key]):
            trend.add(time_s, [last_summary.chamber_mean[chamber]])
        # QC trends the reductor's mean denominator as it is: orbits x 0.0891 for rate maps.
        self.orbit_trends[rate.key].add(time_s, [last_summary.orbits])

    def _rate_plots(self, prefix: str, summary: ElecMapSummary, ref: ElecMapSummary | None) -> None:
        for name, title, values, ref_values in (
            ("MeanRate", "Mean Rate", summary.mean, ref.mean if ref else None),
            (
                "GoodChannelsFraction",
                "Good channels fraction",
                summary.good_fraction(),
                ref.good_fraction() if ref else None,
            ),
        ):
            self._publish(de_histogram(f"{prefix}{name}", title, values))
            ratio_name = f"{prefix}{name}RefRatio"
            ratio_title = f"{title} - ratio wrt reference"
            if ref_values is None:
                self._publish(empty_de_histogram(ratio_name, ratio_title))
                continue
            self._publish(
                de_histogram(f"{prefix}{name}Ref", f"{title}, reference", ref_values, error=0.0)
            )
            ratio, errors = reference_ratio(values, ref_values)
            histogram = de_histogram(ratio_name, ratio_title, ratio)
            if histogram.variances is not None:
                histogram.variances[1:-1] = errors**2
            self._publish(histogram)

    def _distribution(self, name: str, ratio: HistogramRatio, mapping: ElecMapping) -> Histogram:
        pads = mapping.connected
        values = ratio.ratio.inner()[pads]
        stations = np.broadcast_to(
            mapping.station_of_index()[mapping.ds_de_index][:, None], pads.shape
        )[pads]
        return rates_distribution(name, values, stations, self.low, self.high)

    def _load_references(self, stamp: int, services: Services) -> None:
        anywhere = Activity(provenance=self.config.common.activity.provenance)
        for rate in self.rates:
            source = rate.helper.source
            found = services.retrieve_mo(source.path, source.name, stamp, anywhere)
            if found is None or not isinstance(found.obj, HistogramRatio):
                self.log.warning(
                    "%s: no reference %s at %d", self.config.task_name, source.object_path, stamp
                )
                continue
            try:
                mapping = elec_mapping(found.obj)
            except InvalidInput as err:
                self.log.error(
                    "%s: reference %s: %s", self.config.task_name, source.object_path, err
                )
                continue
            rate.reference = reduce_elec_map(found.obj, mapping, self.low, self.high)

    # -- publishing ----------------------------------------------------------------------------

    def _draw_trends(self) -> None:
        self.drawn = True
        chambers = [t for trends in self.chamber_trends.values() for t in trends]
        for trend in (*self.trends.values(), *self.orbit_trends.values(), *chambers):
            if len(trend):
                self.objects.start_publishing(trend.image(), trend.name, PublicationPolicy.ONCE)
