"""TrendingTask: for each trigger, reduce each data source's object to a few numbers, append a row
to the trend table, and draw the configured plots from the table.

Lifecycle (QC's, with qcflow's changes marked *qcflow*):

- ``initialize``: a new, empty table -- unless ``resumeTrend``: then the latest trend of this task
  (``<prov>/<DET>/MO/<task>/<task>`` matching the task's activity, in the destination QCDB) is
  continued if its branches are the expected ones (*qcflow*: QC looks under provenance ``qc``
  whatever the activity, and in the source DB). With ``producePlotsOnUpdate`` the table is
  published from now on (until the task finalizes).
- ``update(t)``: row = run of ``t``'s activity, ``time`` = the ``trendingTimestamp`` in seconds,
  and per source the reductor's values for the object at ``t.timestamp`` matching ``t``'s
  activity. A missing or unreducible object gives NaN for that source and a warning naming path,
  time and filters (*qcflow*: QC repeats the previous values) -- except for a quality
  (QualityReductor: a level has no NaN), whose previous values are repeated, as in QC.
  ``trendIfAllInputs`` skips the row when a source is missing. Plots are redrawn if
  ``producePlotsOnUpdate`` (and the row was complete when ``trendIfAllInputs``).
- ``finalize``: publish the table (if not already) and draw the plots, published once each.

Speed (*qcflow*): at the first update of a ``foreach*`` sequence, the objects of the next
``PREFETCH`` firings are fetched concurrently and reduced in parallel
(:mod:`..engine.prefetch`); with ``producePlotsOnUpdate: false`` plots are drawn once, at the end.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from qcflow.objects.activity import Activity
from qcflow.objects.metadata import QCFLOW_SOURCES
from qcflow.postprocessing.config.schema import TaskConfig
from qcflow.postprocessing.config.values import Node
from qcflow.postprocessing.engine.object_manager import PublicationPolicy
from qcflow.postprocessing.engine.prefetch import PREFETCH, Prefetcher
from qcflow.postprocessing.engine.services import Services
from qcflow.postprocessing.engine.task import Task, task_reads
from qcflow.postprocessing.plotting.draw import plot_image
from qcflow.postprocessing.plotting.spec import plot_sources
from qcflow.postprocessing.reduction.batch import ReduceRequest, ReduceResult
from qcflow.postprocessing.trending.config import DataSource, TrendingConfig, parse_trending
from qcflow.postprocessing.trending.table import Array, TrendTable
from qcflow.postprocessing.triggers.trigger import Trigger

__all__ = ["PREFETCH", "TrendingTask", "sources_metadata", "stored_trend", "trend_time"]

_UINT32_MAX = 2**32 - 1


def trend_time(trigger: Trigger, choice: str) -> int:
    """The ``time`` of a trend row, in s: the trigger's timestamp (``trigger``) or the start
    (``validFrom``) or end (``validUntil``) of its validity, as an unsigned 32-bit number."""
    if choice == "trigger":
        ms = trigger.timestamp
    elif choice == "validFrom":
        ms = trigger.activity.valid_from
    else:
        ms = trigger.activity.valid_until
    return min(max(ms // 1000, 0), _UINT32_MAX)


def sources_metadata(provenance: str, paths: Iterable[str]) -> dict[str, str]:
    """The ``qcflow_sources`` metadata of a trend object: the QCDB paths (``paths`` under
    ``provenance``) of the sources it trends, first one first; none without sources."""
    unique = list(dict.fromkeys(f"{provenance}/{path}" for path in paths))
    return {QCFLOW_SOURCES: ",".join(unique)} if unique else {}


def stored_trend(task: Task[Any], table: TrendTable, services: Services) -> dict[str, Array] | None:
    """The columns of the latest stored trend of ``task`` (``<prov>/<DET>/MO/<task>/<task>``
    for the task's activity, in the destination QCDB) if it has the branches of its trend
    ``table``; else None, with a warning saying why."""
    name = task.config.task_name
    path = f"{task.config.detector_name}/MO/{name}/{name}"
    found = services.retrieve_latest(path, task.config.common.activity, services.destination)
    if found is None or not isinstance(found.obj, dict):
        task.log.warning("%s: could not retrieve an existing trend to continue", name)
        return None
    if not table.same_layout(list(found.obj)):
        task.log.warning(
            "%s: the stored trend has other branches than this config; a new trend is started", name
        )
        return None
    return dict(found.obj)


class TrendingTask(Task[TrendingConfig]):
    """QC's ``o2::quality_control::postprocessing::TrendingTask``."""

    @classmethod
    def parse_options(cls, node: Node, config: TaskConfig[None]) -> TrendingConfig:
        return parse_trending(node, config)

    @classmethod
    def reads(cls, config: TaskConfig[TrendingConfig]) -> list[tuple[str, str]]:
        out = task_reads(config)
        for index, source in enumerate(config.options.data_sources):
            if source.type != "condition":
                out.append((f"{config.path}.dataSources[{index}]", source.object_path()))
        return out

    def configure(self, config: TaskConfig[TrendingConfig]) -> None:
        super().configure(config)
        self.reductors = {}
        for source in self.options.data_sources:
            assert source.reductor_class is not None  # a config with errors does not run
            reductor = source.reductor_class()
            reductor.configure(source.parameters)
            self.reductors[source.name] = reductor
        fields = [(s.name, self.reductors[s.name].fields) for s in self.options.data_sources]
        self.table = TrendTable.for_sources(config.task_name, fields)
        self.missing = 0
        self._warned: set[str] = set()
        self._prefetcher = Prefetcher(self._requests)

    # -- lifecycle -----------------------------------------------------------------------------

    def initialize(self, trigger: Trigger, services: Services) -> None:
        self.table.clear()
        self._prefetcher.clear()
        if self.options.resume_trend:
            self._resume(services)
        if self.options.produce_plots_on_update:
            self.objects.start_publishing(
                self.table,
                self.config.task_name,
                PublicationPolicy.THROUGH_STOP,
                metadata=self._sources(trigger.activity, self._trended()),
            )

    def update(self, trigger: Trigger, services: Services) -> None:
        complete = self._trend(trigger, services)
        if self.options.produce_plots_on_update and (
            complete or not self.options.trend_if_all_inputs
        ):
            self._plots(trigger.activity)

    def finalize(self, trigger: Trigger, services: Services) -> None:
        if not self.options.produce_plots_on_update:
            self.objects.start_publishing(
                self.table,
                self.config.task_name,
                metadata=self._sources(trigger.activity, self._trended()),
            )
        self._plots(trigger.activity)
        if self.missing:
            self.log.warning(
                "%s: %d missing inputs were recorded as NaN", self.config.task_name, self.missing
            )

    # -- trending ------------------------------------------------------------------------------

    def _trend(self, trigger: Trigger, services: Services) -> bool:
        results = self._prefetcher.results(trigger, services)
        values: dict[str, Any] = {}
        complete = True
        for source, result in zip(self.options.data_sources, results, strict=True):
            if result.values is None:
                complete = False
                self._report_missing(source, trigger, result)
                if self.reductors[source.name].repeats_when_missing:
                    values.update(self.table.last(source.name))
                continue
            values.update({f"{source.name}.{leaf}": v for leaf, v in result.values.items()})
        if complete or not self.options.trend_if_all_inputs:
            time = trend_time(trigger, self.options.trending_timestamp)
            self.table.append(trigger.activity.number, time, values)
        return complete

    def _requests(self, trigger: Trigger) -> list[ReduceRequest]:
        activity = trigger.activity
        out = []
        for source in self.options.data_sources:
            reductor = self.reductors[source.name]
            if source.type == "condition":
                out.append(
                    ReduceRequest(source.type, source.object_path(), trigger.timestamp, reductor)
                )
                continue
            path = f"{activity.provenance}/{source.object_path()}"
            filters = {**activity.filters(), **trigger.metadata}
            out.append(ReduceRequest(source.type, path, trigger.timestamp, reductor, filters))
        return out

    def _report_missing(self, source: DataSource, trigger: Trigger, result: ReduceResult) -> None:
        self.missing += 1
        request = self._requests(trigger)[self.options.data_sources.index(source)]
        kept = self.reductors[source.name].repeats_when_missing and len(self.table)
        self.log.warning(
            "%s: source %r: %s: %s; %s",
            self.config.task_name,
            source.name,
            request.describe(),
            result.problem,
            "the previous values are repeated (as QC)" if kept else "recorded as NaN",
        )

    # -- resume and plots ----------------------------------------------------------------------

    def _resume(self, services: Services) -> None:
        name = self.config.task_name
        stored = stored_trend(self, self.table, services)
        if stored is None:
            return
        columns = dict(stored)
        for source in self.options.data_sources:
            leaves = {
                leaf: columns.get(f"{source.name}.{leaf}")
                for leaf in self.reductors[source.name].fields
            }
            if all(v is not None for v in leaves.values()):
                continue  # QC's layout stores every leaf, text included
            restored = self.reductors[source.name].restore(
                {k: v for k, v in leaves.items() if v is not None}
            )
            columns.update({f"{source.name}.{leaf}": v for leaf, v in restored.items()})
        self.table.load(columns)
        self.log.info("%s: continuing the stored trend (%d entries)", name, len(self.table))

    def _trended(self) -> list[str]:
        """The names of the sources whose objects are in the QCDB (not conditions)."""
        return [s.name for s in self.options.data_sources if s.type != "condition"]

    def _sources(self, activity: Activity, names: Iterable[str]) -> dict[str, str]:
        paths = {s.name: s.object_path() for s in self.options.data_sources}
        return sources_metadata(activity.provenance, (paths[name] for name in names))

    def _plots(self, activity: Activity) -> None:
        if not len(self.table):
            self.log.info("%s: no entries in the trend so far, no plots", self.config.task_name)
            return
        columns = self.table.columns()
        trended = self._trended()
        for plot in self.options.plots:
            image, warnings = plot_image(plot, columns)
            for warning in set(warnings) - self._warned:
                self._warned.add(warning)
                self.log.warning("%s: %s", self.config.task_name, warning)
            sources = self._sources(activity, plot_sources(plot, trended))
            self.objects.start_publishing(
                image, plot.name, PublicationPolicy.ONCE, metadata=sources
            )
