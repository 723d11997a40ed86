"""What MCH's two post-processing tasks share: their config parsing, the objects they declare
they read (for ``qcflow qc validate``), the electronics mapping, and being run-scoped."""

from __future__ import annotations

from typing import ClassVar

from qcflow.modules.mch.config import MchOptions, parse_mch
from qcflow.modules.mch.mapping import load_mapping
from qcflow.postprocessing import Task, TaskConfig
from qcflow.postprocessing.task import task_reads
from qcflow.postprocessing.values import Node

__all__ = ["MchTask"]


class MchTask(Task):
    """Base of ``DigitsPostProcessing`` and ``PreclustersPostProcessing``."""

    run_scoped: ClassVar[bool] = True
    #: The ``dataSources`` name keys the task uses (``"<key>:<objectName>"``).
    keys: ClassVar[tuple[str, ...]] = ()
    options: MchOptions

    @classmethod
    def parse_options(cls, node: Node, config: TaskConfig) -> MchOptions:
        return parse_mch(node, config, cls.keys)

    @classmethod
    def reads(cls, config: TaskConfig) -> list[tuple[str, str]]:
        options: MchOptions | None = config.options
        out = task_reads(config)
        for source in options.sources.values() if options else ():
            out.append((f"{config.path}.dataSources", source.object_path))
        return out

    def configure(self, config: TaskConfig) -> None:
        super().configure(config)
        self.options = config.options
        self.mapping = load_mapping()
