"""The config keys MCH's post-processing tasks read (QC's ``PostProcessingConfigMCH``), and their
parameters.

``dataSources[]``: ``{type, path, names | name, reductorName, moduleName}``; names are
``"<key>:<objectName>"`` and only the keys a task knows are used (others are warned about;
QC ignores them silently). ``plots`` is accepted and ignored, as in QC.

Parameters: read as QC reads them, from ``taskParameters`` / ``extendedTaskParameters`` only;
``customization`` -- where O2DPG's ``mch.json`` puts ``ChannelRateMin/Max`` and ``FullHistos``
-- is parsed but not used, so the defaults apply as in QC (the tasks log which values are
left unused; docs/modules.md). ``onlineMode`` (in O2DPG's config, read by no version of QC) is
accepted and ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from qcflow.modules._sources import NamedSource, read_sources
from qcflow.objects.activity import Activity
from qcflow.postprocessing import Node, TaskConfig, parse_float, parse_int

__all__ = ["MchOptions", "parse_mch"]

IGNORED_CUSTOMIZATION = ("onlineMode",)


@dataclass(frozen=True)
class MchOptions:
    """A task's sources by key (the first of each key wins, as QC) and its customization."""

    sources: dict[str, NamedSource]
    customization: dict[str, str] = field(default_factory=dict)

    def text(self, config: TaskConfig, key: str, activity: Activity | None = None) -> str | None:
        """A task parameter, as QC reads it: ``taskParameters`` only (``customization``, where
        O2DPG's ``mch.json`` puts ``ChannelRateMin/Max``, is never read by QC)."""
        return config.parameters.get(key, activity)

    def number(self, config: TaskConfig, key: str, default: float) -> float:
        value = parse_float(self.text(config, key) or "")
        return default if value is None else value

    def integer(self, config: TaskConfig, key: str, default: int) -> int:
        value = parse_int(self.text(config, key) or "")
        return default if value is None else value

    def flag(self, config: TaskConfig, key: str, default: bool) -> bool:
        """QC's MCH booleans: TRUE/YES/1 and FALSE/NO/0, any case."""
        text = (self.text(config, key) or "").strip().upper()
        return {"TRUE": True, "YES": True, "1": True, "FALSE": False, "NO": False, "0": False}.get(
            text, default
        )


def _customization(node: Node) -> dict[str, str]:
    out = {}
    for item in node.items("customization"):
        name = item.text("name", "")
        if not name:
            item.error("name", "is required")
            continue
        out[name] = item.text("value", "")
        item.finish()
    return out


def parse_mch(node: Node, config: TaskConfig, keys: Sequence[str]) -> MchOptions:
    """Read ``dataSources`` (keys among ``keys``), ``plots`` and ``customization``."""
    node.mark_read("plots")
    sources: dict[str, NamedSource] = {}
    for source in read_sources(node, "dataSources", required=True):
        if source.label not in keys:
            node.warn(
                "dataSources",
                f"{source.label}:{source.name}: key {source.label!r} is "
                f"not one of {', '.join(keys)}; ignored (as in QC)",
            )
            continue
        sources.setdefault(source.label, source)
    customization = _customization(node)
    for name in IGNORED_CUSTOMIZATION:
        customization.pop(name, None)
    return MchOptions(sources, customization)
