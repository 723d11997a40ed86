"""QualityTask's config keys: groups of quality objects to summarise, and what to say about each.

``qualityGroups[]``: ``name`` (required), ``title``, ``path`` (required; where the group's quality
objects are, under the provenance, e.g. ``ZDC/QO``), ``ignoreQualitiesDetails`` (quality names
whose flags are not listed; an unknown name is read as ``Null``, as QC does -- with a warning
here), ``inputObjects[]``: ``name`` (required; may contain ``/``: ``ZDCQuality/ZDCQuality``),
``title``, ``messageGood``, ``messageMedium``, ``messageBad``, ``messageNull``.

Task parameter ``maxObjectAgeSeconds`` (``taskParameters``/``extendedTaskParameters``, default
600; 0 or less: no age cut).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qcflow.objects.quality import Quality
from qcflow.postprocessing.config.schema import TaskConfig
from qcflow.postprocessing.config.values import Node

__all__ = ["QUALITY_NAMES", "QualityGroup", "QualityInput", "QualityTaskConfig", "parse_quality"]

QUALITY_NAMES = ("Good", "Medium", "Bad", "Null")


@dataclass(frozen=True)
class QualityInput:
    """One quality object of a group and the messages shown for each of its qualities."""

    name: str
    title: str = ""
    messages: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def display(self) -> str:
        return self.title or self.name


@dataclass(frozen=True)
class QualityGroup:
    name: str
    path: str
    title: str = ""
    ignore_details: frozenset[str] = frozenset()
    inputs: tuple[QualityInput, ...] = ()

    def object_path(self, item: QualityInput) -> str:
        """Where the item's quality object is, under the provenance."""
        return f"{self.path.rstrip('/')}/{item.name}"


@dataclass(frozen=True)
class QualityTaskConfig:
    groups: tuple[QualityGroup, ...] = ()


def parse_quality(node: Node, config: TaskConfig) -> QualityTaskConfig:
    groups = tuple(_group(item) for item in node.items("qualityGroups", required=True))
    names = [g.name for g in groups]
    for index, name in enumerate(names):
        if name and names.index(name) != index:
            node.error(f"qualityGroups[{index}].name", f"group {name!r} is defined twice")
    return QualityTaskConfig(groups)


def _group(node: Node) -> QualityGroup:
    ignored = set()
    for index, name in enumerate(node.strings("ignoreQualitiesDetails")):
        if name not in QUALITY_NAMES:
            node.warn(
                f"ignoreQualitiesDetails[{index}]",
                f"{name!r} is not a quality name; read as Null, as QC does",
            )
        ignored.add(Quality.from_name(name).name)
    group = QualityGroup(
        name=node.required_text("name"),
        path=node.required_text("path"),
        title=node.text("title", ""),
        ignore_details=frozenset(ignored),
        inputs=tuple(_input(item) for item in node.items("inputObjects")),
    )
    node.finish()
    return group


def _input(node: Node) -> QualityInput:
    messages = {name: node.text(f"message{name}", "") for name in QUALITY_NAMES}
    item = QualityInput(
        node.required_text("name"), node.text("title", ""), {k: v for k, v in messages.items() if v}
    )
    node.finish()
    return item
