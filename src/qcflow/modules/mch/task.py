"""What MCH's two post-processing tasks share: their config parsing, the objects they declare
they read (for ``qcflow qc validate``), the electronics mapping, being run-scoped, and their
start (the empty ``QualityFlagPerDE`` the checks fill, the reference run's values)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from qcflow.modules._histograms import th2, uniform_axis
from qcflow.modules._sources import RunTracker
from qcflow.modules.mch.config import MchOptions, parse_mch
from qcflow.modules.mch.mapping import NUM_DE, ElecMapping, load_mapping
from qcflow.objects.root import Histogram
from qcflow.postprocessing import (
    Node,
    PublicationPolicy,
    Services,
    Task,
    TaskConfig,
    Trigger,
    task_reads,
)

__all__ = ["MchTask", "quality_flag_holder"]


def quality_flag_holder(mapping: ElecMapping) -> Histogram:
    """The empty ``QualityFlagPerDE`` (y bins Bad, Medium, Good) a check fills."""
    x = uniform_axis(NUM_DE, 0, NUM_DE, "DE index")
    y = uniform_axis(3, 0, 3, "quality", ["Bad", "Medium", "Good"])
    return th2("QualityFlagPerDE", "Quality Flag vs DE", x, y, np.zeros((NUM_DE, 3)))


class MchTask(Task[MchOptions]):
    """Base of ``DigitsPostProcessing`` and ``PreclustersPostProcessing``."""

    run_scoped: ClassVar[bool] = True
    #: The ``dataSources`` name keys the task uses (``"<key>:<objectName>"``).
    keys: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def parse_options(cls, node: Node, config: TaskConfig[None]) -> MchOptions:
        return parse_mch(node, config, cls.keys)

    @classmethod
    def reads(cls, config: TaskConfig[MchOptions]) -> list[tuple[str, str]]:
        out = task_reads(config)
        for source in config.options.sources.values():
            out.append((f"{config.path}.dataSources", source.object_path))
        return out

    def configure(self, config: TaskConfig[MchOptions]) -> None:
        super().configure(config)
        self.mapping = load_mapping()
        self.runs = RunTracker()
        self.drawn = False

    def initialize(self, trigger: Trigger, services: Services) -> None:
        self._publish(quality_flag_holder(self.mapping))
        stamp = self.options.integer(self.config, "ReferenceTimeStamp", 0)
        if stamp > 0:
            self._load_references(stamp, services)

    def _publish(self, h: Histogram) -> None:
        """Publish ``h`` at every cycle until the task stops."""
        self.objects.start_publishing(h, h.name, PublicationPolicy.THROUGH_STOP)

    def _load_references(self, stamp: int, services: Services) -> None:
        """Read the reference run's objects valid at ``stamp`` (``ReferenceTimeStamp``)."""
        raise NotImplementedError
