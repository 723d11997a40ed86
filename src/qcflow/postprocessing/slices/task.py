"""SliceTrendingTask: per trigger, cut each source's histogram into slices, describe each slice,
append a row to the trend table, and draw the configured plots.

Lifecycle (QC's ``o2::quality_control::postprocessing::SliceTrendingTask``):

- ``initialize``: an empty table, or -- ``resumeTrend`` -- the latest stored trend of this task
  if its branches are the expected ones (as TrendingTask); with ``producePlotsOnUpdate`` the
  table is published from now on.
- ``update(t)``: each source's object at ``t.timestamp`` matching ``t``'s activity is sliced by
  its slice reductor (:mod:`.reductors`); if any source is missing, the whole point is
  skipped, as in QC -- with a warning naming the source, path and filters (QC logs one line
  without saying which). Plots are redrawn if ``producePlotsOnUpdate``.
- ``finalize``: publish the table (if not already) and draw the plots (:mod:`.plots`).

The trend table (a TTree named after the task, stored at ``<prov>/<DET>/MO/<task>/<task>``),
with TrendingTask's ``meta`` (``runNumber/L:runNumberStr/C``) and ``time`` branches and per
source one leaf-list branch holding one leaf per field (``entries``, ``meanX``, ``stddevX``,
``errMeanX``, ``meanY``, ``stddevY``, ``errMeanY``, ``sliceLabelX``, ``sliceLabelY``): a number
for a one-slice source, else a fixed-size array with one element per slice (``meanX[20]/D``;
for a TH2, slice ``i = ix * ny + iy``).

QC stores a ``std::vector<SliceInfo>`` branch per source, which ROOT reads only with QC's
dictionary; qcflow's layout holds the same values, readable by uproot, pandas and ROOT alike
(``TTree::Draw("src.meanX[3]:meta.runNumber")`` for QC's ``"src.meanX:run"``, slice 3), and is
written faster than one scalar branch per slice (``meanX_3``) would be. Slice titles are not
stored: plots use those of the latest update, or rebuild them from the ``axisDivision`` for a
resumed trend.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from functools import partial
from itertools import pairwise
from typing import Any

from qcflow.postprocessing.config.schema import TaskConfig
from qcflow.postprocessing.config.values import Node
from qcflow.postprocessing.engine.object_manager import PublicationPolicy
from qcflow.postprocessing.engine.prefetch import Prefetcher
from qcflow.postprocessing.engine.services import Services
from qcflow.postprocessing.engine.task import Task, task_reads
from qcflow.postprocessing.reduction.batch import ReduceRequest, ReduceResult
from qcflow.postprocessing.slices.config import (
    SliceSource,
    SliceTrendingConfig,
    parse_slice_trending,
)
from qcflow.postprocessing.slices.plot_config import SlicePlot, parse_plots
from qcflow.postprocessing.slices.plots import (
    SliceSeries,
    draw_slice_plot,
    publishable,
    render_slice_plot,
)
from qcflow.postprocessing.slices.reductors import TITLES, SliceReductor, split_titles
from qcflow.postprocessing.slices.slicing import FIELDS
from qcflow.postprocessing.trending.table import META_RUN, TIME, TrendTable
from qcflow.postprocessing.trending.task import sources_metadata, stored_trend, trend_time
from qcflow.postprocessing.triggers.trigger import Trigger

__all__ = ["SliceTrendingTask", "slice_table"]


def slice_table(name: str, sources: tuple[SliceSource, ...]) -> TrendTable:
    """The trend table of these sources: ``<source>.<field>``, an array per row when sliced."""
    types = {}
    for source in sources:
        kind = "f8" if source.count == 1 else f"({source.count},)f8"
        types.update({f"{source.name}.{field}": kind for field in FIELDS})
    return TrendTable(name, types)


class SliceTrendingTask(Task[SliceTrendingConfig]):
    """QC's ``o2::quality_control::postprocessing::SliceTrendingTask``."""

    @classmethod
    def parse_options(cls, node: Node, config: TaskConfig[None]) -> SliceTrendingConfig:
        options = parse_slice_trending(node, config)
        return replace(options, plots=parse_plots(node, options.data_sources))

    @classmethod
    def reads(cls, config: TaskConfig[SliceTrendingConfig]) -> list[tuple[str, str]]:
        out = task_reads(config)
        for index, source in enumerate(config.options.data_sources):
            out.append((f"{config.path}.dataSources[{index}]", source.object_path()))
        return out

    def configure(self, config: TaskConfig[SliceTrendingConfig]) -> None:
        super().configure(config)
        self.reductors: dict[str, SliceReductor] = {}
        for source in self.options.data_sources:
            assert source.reductor_class is not None  # a config with errors does not run
            reductor = source.reductor_class()
            reductor.configure_slices(source.division)
            self.reductors[source.name] = reductor
        self.table = slice_table(config.task_name, self.options.data_sources)
        self.titles: dict[str, list[str]] = {}
        self.skipped = 0
        self._prefetcher = Prefetcher(self._requests)

    # -- lifecycle -----------------------------------------------------------------------------

    def initialize(self, trigger: Trigger, services: Services) -> None:
        self.table.clear()
        self._prefetcher.clear()
        if (
            self.options.resume_trend
            and (stored := stored_trend(self, self.table, services)) is not None
        ):
            self.table.load(stored)
            self.log.info(
                "%s: continuing the stored trend (%d entries)",
                self.config.task_name,
                len(self.table),
            )
        if self.options.produce_plots_on_update:
            self.objects.start_publishing(
                self.table,
                self.config.task_name,
                PublicationPolicy.THROUGH_STOP,
                metadata=self._sources(trigger, self.options.data_sources),
            )

    def update(self, trigger: Trigger, services: Services) -> None:
        results = self._prefetcher.results(trigger, services)
        missing = [
            (s, r)
            for s, r in zip(self.options.data_sources, results, strict=True)
            if r.values is None
        ]
        if missing:
            self._skip(trigger, missing)
            return
        values: dict[str, Any] = {}
        for source, result in zip(self.options.data_sources, results, strict=True):
            assert result.values is not None
            one = source.count == 1  # a number per row, not an array of one
            values.update(
                {
                    f"{source.name}.{f}": result.values[f][0] if one else result.values[f]
                    for f in FIELDS
                }
            )
            self.titles[source.name] = split_titles(str(result.values[TITLES]))
        time = trend_time(trigger, self.options.trending_timestamp)
        self.table.append(trigger.activity.number, time, values)
        if self.options.produce_plots_on_update:
            self._plots(trigger, services)

    def finalize(self, trigger: Trigger, services: Services) -> None:
        if not self.options.produce_plots_on_update:
            self.objects.start_publishing(
                self.table,
                self.config.task_name,
                metadata=self._sources(trigger, self.options.data_sources),
            )
        self._plots(trigger, services)
        if self.skipped:
            self.log.warning(
                "%s: %d points skipped because a source was missing",
                self.config.task_name,
                self.skipped,
            )

    # -- trending ------------------------------------------------------------------------------

    def _requests(self, trigger: Trigger) -> list[ReduceRequest]:
        activity = trigger.activity
        filters = {**activity.filters(), **trigger.metadata}
        out = []
        for source in self.options.data_sources:
            path = f"{activity.provenance}/{source.object_path()}"
            reductor = self.reductors[source.name]
            out.append(ReduceRequest("repository", path, trigger.timestamp, reductor, filters))
        return out

    def _skip(self, trigger: Trigger, missing: list[tuple[SliceSource, ReduceResult]]) -> None:
        self.skipped += 1
        requests = self._requests(trigger)
        for source, result in missing:
            request = requests[self.options.data_sources.index(source)]
            self.log.warning(
                "%s: source %r: %s: %s; the point is skipped, as in QC",
                self.config.task_name,
                source.name,
                request.describe(),
                result.problem,
            )

    # -- plots ---------------------------------------------------------------------------------

    def _names(self, source: SliceSource) -> tuple[str, ...]:
        """Display names of the slices: labels, else titles (latest, or from the config)."""
        if source.labels:
            return source.labels
        titles = self.titles.get(source.name)
        if titles and len(titles) == source.count:
            return tuple(titles)
        return _config_titles(source)

    def _series(self, source: SliceSource, columns: dict[str, Any]) -> SliceSeries:
        rows = len(self.table)
        fields = {f: columns[f"{source.name}.{f}"].reshape(rows, source.count) for f in FIELDS}
        return SliceSeries(
            columns[TIME].astype(float),
            columns[META_RUN].astype(float),
            fields,
            self._names(source),
            source.division,
        )

    def _sources(self, trigger: Trigger, sources: Iterable[SliceSource]) -> dict[str, str]:
        provenance = trigger.activity.provenance
        return sources_metadata(provenance, (s.object_path() for s in sources))

    def _plots(self, trigger: Trigger, services: Services) -> None:
        """Draw every plot -- in the engine's worker processes unless ``--no-IPC``."""
        if not len(self.table):
            self.log.info("%s: no entries in the trend so far, no plots", self.config.task_name)
            return
        columns = self.table.columns()
        jobs = [
            (p, self._series(self.options.source(p.source), columns)) for p in self.options.plots
        ]
        for (plot, series), (data, graphs) in zip(
            jobs, services.reducer.map(render_slice_plot, jobs), strict=True
        ):
            image = publishable(plot, series, data, graphs, partial(_redraw, plot, series))
            sources = self._sources(trigger, [self.options.source(plot.source)])
            self.objects.start_publishing(
                image, plot.name, PublicationPolicy.ONCE, metadata=sources
            )


def _redraw(plot: SlicePlot, series: SliceSeries) -> Any:
    return draw_slice_plot(plot, series)[0]


def _config_titles(source: SliceSource) -> tuple[str, ...]:
    """Slice titles rebuilt from the config (no histogram title, no default ranges)."""
    axes = getattr(source.reductor_class, "axes", 1)
    parts: list[list[str]] = []
    for axis, letter in zip(range(axes), "XY", strict=False):
        edges = source.edges(axis)
        if len(edges) < 2:
            parts.append([f"Range{letter} (default)"])
        else:
            parts.append([f"Range{letter}: [{a:.1f}, {b:.1f}]" for a, b in pairwise(edges)])
    combos: list[str] = [""]
    for options in parts:
        combos = [f"{c} and {o}" if c else o for c in combos for o in options]
    return tuple(f"{source.name} - {c}" for c in combos)
