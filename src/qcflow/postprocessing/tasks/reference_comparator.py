"""ReferenceComparatorTask: each object of a run next to the same object of a reference run.

QC's ``o2::quality_control_modules::common::ReferenceComparatorTask``. Parameters
(``extendedTaskParameters``, by run and beam type): ``notOlderThan`` (s, 120; -1: no limit) and
the reference run's (:mod:`..config.reference`: ``referenceRun``, ``ignorePeriodForReference``,
``ignorePassForReference``).

``dataGroups[]``: ``name``, ``inputPath``, ``referencePath`` (default ``inputPath``),
``outputPath``, ``normalizeReference`` (scale the reference to the current integral),
``drawRatioOnly``, ``legendHeight`` (0.2), ``drawOption1D``/``drawOption2D`` (read; qcflow draws
steps and colour maps), ``logScale``, ``inputObjects[]`` (names under ``inputPath``).

- ``initialize``: each reference, the latest ``<referencePath>/<object>`` of the reference run
  (a missing one drops the object for the run, with a warning, as QC);
- ``update(t)``: each current object, the latest ``<inputPath>/<object>`` for ``t``'s activity,
  skipped when older than ``notOlderThan`` (the time from the end of its validity to the
  trigger's timestamp) or when its binning differs from the reference's; the comparison plot
  ``<outputPath>/<object>`` (:mod:`..plotting.comparison`) is published, with the ratio
  current / reference (0 where the reference is 0).

qcflow implements the documented ``notOlderThan: -1`` (QC's code treats -1 as "older than -1 s").
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from qcflow.objects.root import Histogram
from qcflow.postprocessing.config.reference import reference_activity
from qcflow.postprocessing.config.schema import TaskConfig
from qcflow.postprocessing.config.values import Node
from qcflow.postprocessing.engine.object_manager import PublicationPolicy
from qcflow.postprocessing.engine.services import Services
from qcflow.postprocessing.engine.task import Task, task_reads
from qcflow.postprocessing.plotting.comparison import ComparisonStyle, comparison_plot
from qcflow.postprocessing.triggers.trigger import Trigger

__all__ = ["DataGroup", "ReferenceComparatorTask", "ratio_of", "same_binning"]


@dataclass(frozen=True)
class DataGroup:
    name: str
    input_path: str
    reference_path: str
    output_path: str
    normalize: bool = False
    style: ComparisonStyle = field(default_factory=ComparisonStyle)
    objects: tuple[str, ...] = ()


def _group(node: Node) -> DataGroup:
    input_path = node.required_text("inputPath")
    node.mark_read("drawOption1D", "drawOption2D")
    group = DataGroup(
        name=node.required_text("name"),
        input_path=input_path,
        reference_path=node.text("referencePath", "") or input_path,
        output_path=node.required_text("outputPath"),
        normalize=node.flag("normalizeReference", False),
        style=ComparisonStyle(
            node.flag("drawRatioOnly", False),
            node.flag("logScale", False),
            node.number("legendHeight", 0.2),
        ),
        objects=tuple(node.strings("inputObjects")),
    )
    node.finish()
    return group


def same_binning(a: Histogram, b: Histogram) -> bool:
    return a.ndim == b.ndim and all(
        x.edges.shape == y.edges.shape and np.allclose(x.edges, y.edges)
        for x, y in zip(a.axes, b.axes, strict=True)
    )


def ratio_of(current: Histogram, reference: Histogram) -> Histogram:
    """current / reference bin by bin, 0 where the reference is 0 (ROOT's ``Divide``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(reference.values != 0, current.values / reference.values, 0.0)
    return replace(current, name=f"{current.name}_ratio", values=values, variances=None)


class ReferenceComparatorTask(Task[tuple[DataGroup, ...]]):
    """See the module docstring."""

    @classmethod
    def parse_options(cls, node: Node, config: TaskConfig[None]) -> tuple[DataGroup, ...]:
        return tuple(_group(item) for item in node.items("dataGroups", required=True))

    @classmethod
    def reads(cls, config: TaskConfig[tuple[DataGroup, ...]]) -> list[tuple[str, str]]:
        out = task_reads(config)
        for g, group in enumerate(config.options):
            for o, name in enumerate(group.objects):
                out.append(
                    (
                        f"{config.path}.dataGroups[{g}].inputObjects[{o}]",
                        f"{group.input_path}/{name}",
                    )
                )
        return out

    def initialize(self, trigger: Trigger, services: Services) -> None:
        params, activity = self.config.parameters, trigger.activity
        self.not_older_than = params.get_int("notOlderThan", 120, activity)
        self.reference_run, reference = reference_activity(params, activity)
        self.references: dict[tuple[str, str], Histogram] = {}
        for group in self.options:
            for name in group.objects:
                found = services.retrieve_latest(f"{group.reference_path}/{name}", reference)
                if found is None:
                    where = f"{group.reference_path}/{name}"
                    self.log.warning(
                        'Could not load reference plot for object "%s" and activity %s',
                        where,
                        reference,
                    )
                elif isinstance(found.obj, Histogram):
                    self.references[group.name, name] = found.obj

    def update(self, trigger: Trigger, services: Services) -> None:
        for group in self.options:
            for name in group.objects:
                reference = self.references.get((group.name, name))
                current = self._current(group, name, trigger, services) if reference else None
                if current is None or reference is None:
                    continue
                if not same_binning(current, reference):
                    self.log.warning("mismatch in axis dimensions for '%s'", name)
                    continue
                if group.normalize and reference.inner().sum() and current.inner().sum():
                    factor = current.inner().sum() / reference.inner().sum()
                    reference = replace(reference, values=reference.values * factor)
                plot = comparison_plot(
                    f"{group.output_path}/{name}",
                    current,
                    reference,
                    ratio_of(current, reference),
                    self.reference_run,
                    group.style,
                )
                self.objects.start_publishing(plot, plot.name, PublicationPolicy.ONCE)

    def _current(
        self, group: DataGroup, name: str, trigger: Trigger, services: Services
    ) -> Histogram | None:
        path = f"{group.input_path}/{name}"
        found = services.retrieve_latest(path, trigger.activity)
        if found is None:
            self.log.warning(
                "Could not find the object '%s' for activity %s", path, trigger.activity
            )
            return None
        elapsed = trigger.timestamp - (found.info.valid_until - 1)
        if self.not_older_than >= 0 and elapsed > self.not_older_than * 1000:
            self.log.warning(
                "Object '%s' for activity %s is too old: %d > %d",
                path,
                trigger.activity,
                elapsed,
                self.not_older_than * 1000,
            )
            return None
        return found.obj if isinstance(found.obj, Histogram) else None
