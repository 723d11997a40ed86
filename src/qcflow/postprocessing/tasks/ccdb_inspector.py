"""CcdbInspectorTask: are the objects a run needs in the database, recent and in time?

QC's ``o2::quality_control_modules::common::CcdbInspectorTask``. ``dataSources[]``: ``name``
(the label of the source's column), ``path``, ``updatePolicy`` (``periodic`` -- a new version
every ``cycleDuration`` s --, ``atSOR``, ``atEOR``), ``cycleDuration`` (0),
``validatorName``/``moduleName`` (read; qcflow has no validators: found objects are valid).
Task parameters: ``databaseType`` (``ccdb``: the condition DB, ``qc.config.conditionDB.url``;
``qcdb``: the task's source QCDB, under the provenance), ``timeStampTolerance`` (s, 60).

Publishes ``ObjectsStatus``, a TH2F: one column per source (x bins labelled with the names),
four rows (``ok``, ``invalid``, ``too old``, ``not found``) with a 1 in the row of each
source's status. A source is inspected at each update (``periodic``, ``atSOR`` until found) or
at the end (``atEOR``): found if a version newer than the last one seen exists for the run (or
for any run), too old if, for a periodic source, it came more than ``cycleDuration -
timeStampTolerance`` late.

Differences from QC: ``databaseUrl`` is not used (qcflow reads the configured condition DB or
QCDB); no retry loop at the end of the run (QC waits up to ``retryTimeout`` for late objects:
nothing arrives while a batch job waits); a ``qcdb`` path is read under the provenance (QC lists
it without).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qcflow.objects.root import Axis, Histogram, stats_from_bins
from qcflow.postprocessing.config.schema import TaskConfig
from qcflow.postprocessing.config.values import Node
from qcflow.postprocessing.engine.object_manager import PublicationPolicy
from qcflow.postprocessing.engine.services import Services
from qcflow.postprocessing.engine.task import Task, task_reads
from qcflow.postprocessing.triggers.trigger import Trigger

__all__ = ["STATUSES", "CcdbInspectorTask", "InspectedSource"]

#: Row labels, in order: the status codes are 0 (ok) to 3 (not found).
STATUSES = ("ok", "invalid", "too old", "not found")
VALID, OLD, MISSING = 0, 2, 3


@dataclass(frozen=True)
class InspectedSource:
    name: str
    path: str
    policy: str = "periodic"
    cycle_s: int = 0


def _sources(node: Node) -> tuple[InspectedSource, ...]:
    out = []
    for item in node.items("dataSources", required=True):
        item.mark_read("validatorName", "moduleName")
        out.append(
            InspectedSource(
                item.required_text("name"),
                item.required_text("path"),
                item.choice("updatePolicy", "periodic", ("periodic", "atSOR", "atEOR")),
                item.integer("cycleDuration", 0),
            )
        )
        item.finish()
    return tuple(out)


class CcdbInspectorTask(Task[tuple[InspectedSource, ...]]):
    """See the module docstring."""

    @classmethod
    def parse_options(cls, node: Node, config: TaskConfig[None]) -> tuple[InspectedSource, ...]:
        return _sources(node)

    @classmethod
    def reads(cls, config: TaskConfig[tuple[InspectedSource, ...]]) -> list[tuple[str, str]]:
        qcdb = (config.parameters.get("databaseType") or "ccdb") == "qcdb"
        paths = [(f"{config.path}.dataSources", s.path) for s in config.options]
        return task_reads(config) + (paths if qcdb else [])

    def initialize(self, trigger: Trigger, services: Services) -> None:
        params = self.config.parameters
        self.qcdb = (params.get("databaseType") or "ccdb") == "qcdb"
        self.tolerance_ms = params.get_int("timeStampTolerance", 60) * 1000
        self.last = {
            s.name: trigger.timestamp if s.policy == "periodic" else 0 for s in self.options
        }
        self.found: set[str] = set()
        names = [s.name for s in self.options]
        axes = (
            Axis(np.arange(len(names) + 1.0), "", names),
            Axis(np.arange(-4.0, 1.0), "", list(STATUSES)),
        )
        values = np.zeros((len(names) + 2, 6))
        self.status = Histogram("TH2F", "ObjectsStatus", "Objects Status", axes, values, None)
        self.objects.start_publishing(self.status, "ObjectsStatus", PublicationPolicy.THROUGH_STOP)

    def update(self, trigger: Trigger, services: Services) -> None:
        for column, source in enumerate(self.options, start=1):
            self._inspect(column, source, trigger, services, at_end=False)

    def finalize(self, trigger: Trigger, services: Services) -> None:
        for column, source in enumerate(self.options, start=1):
            self._inspect(column, source, trigger, services, at_end=True)

    def _inspect(
        self,
        column: int,
        source: InspectedSource,
        trigger: Trigger,
        services: Services,
        *,
        at_end: bool,
    ) -> None:
        if at_end != (source.policy == "atEOR"):
            return
        if source.policy != "periodic" and source.name in self.found:
            return
        if trigger.timestamp < self.last[source.name] + source.cycle_s * 1000:
            return
        status = self._status(source, trigger, services)
        values = self.status.values
        values[column, :] = 0
        values[column, status + 1] = 1
        self.status.entries = float(values.sum())
        self.status.stats = stats_from_bins(self.status)

    def _status(self, source: InspectedSource, trigger: Trigger, services: Services) -> int:
        activity = trigger.activity
        if self.qcdb:
            repository, path, filters = (
                services.source,
                f"{activity.provenance}/{source.path}",
                (activity.filters()),
            )
        else:
            repository, path = services.conditions, source.path
            filters = {"runNumber": str(activity.number)} if activity.number else {}
        listing = [i for i in repository.latest(path, filters) if i.path == path]
        last = self.last[source.name]
        if not listing or listing[0].created <= last:
            return MISSING
        created = listing[0].created
        self.last[source.name] = created
        self.found.add(source.name)
        cycle = source.cycle_s * 1000
        if source.policy == "periodic" and created < last + cycle - self.tolerance_ms:
            return OLD
        return VALID
