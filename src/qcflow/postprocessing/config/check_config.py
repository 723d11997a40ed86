"""The common keys of ``qc.checks.<id>`` and ``qc.aggregators.<id>``.

Read so that the config can be validated as a whole (cross-references, :mod:`..engine.crossref`) and
tasks ordered; running checks and aggregators belongs to an engine extension. Keys:
``active``, ``checkName`` (the name, default the id -- for aggregators too: QC ignores the
documented ``aggregatorName``), ``className``, ``moduleName``, ``detectorName`` (``DET``),
``policy`` (``OnAny`` default, ``OnAnyNonZero``, ``OnAll``, ``OnEachSeparately``,
``OnGlobalAny``; case-sensitive), ``exportToBookkeeping``, ``dataSource[]`` (or ``dataSources``)
of ``{type, name, MOs|QOs}`` (a string such as ``"all"`` or nothing means every object),
``checkParameters``/``extendedCheckParameters`` (aggregators: ``aggregatorParameters``…; both
forms are read, the flat one overriding ``default``/``default``).

The class ``className`` names is resolved here (kinds ``check`` and ``aggregator`` of the class
registry), so that ``qcflow qc validate`` reports an unknown one with its JSON path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qcflow._types import JSONObject
from qcflow.errors import InvalidInput
from qcflow.postprocessing.config.classes import REGISTRY, ClassRegistry, Kind
from qcflow.postprocessing.config.parameters import CustomParameters
from qcflow.postprocessing.config.values import Node

__all__ = [
    "CHECK_POLICIES",
    "CHECK_SOURCE_TYPES",
    "AggregatorConfig",
    "CheckConfig",
    "DataSourceRef",
    "parse_aggregators",
    "parse_checks",
]

CHECK_POLICIES = ("OnAny", "OnAnyNonZero", "OnAll", "OnEachSeparately", "OnGlobalAny")
CHECK_SOURCE_TYPES = ("Task", "TaskMovingWindow", "ExternalTask", "PostProcessing")
AGGREGATOR_SOURCE_TYPES = ("Check", "Aggregator")


@dataclass(frozen=True)
class DataSourceRef:
    """One ``dataSource`` entry of a check or aggregator; ``objects`` empty = all of them."""

    type: str
    name: str
    objects: tuple[str, ...] = ()
    path: str = ""


@dataclass(frozen=True)
class CheckConfig:
    """The common keys of ``qc.checks.<id>``."""

    id: str
    name: str
    class_name: str
    module_name: str
    detector_name: str = "DET"
    policy: str = "OnAny"
    active: bool = True
    export_to_bookkeeping: bool = False
    data_sources: tuple[DataSourceRef, ...] = ()
    parameters: CustomParameters = field(default_factory=CustomParameters)
    raw: JSONObject = field(default_factory=dict)
    #: The class ``className`` names (None when inactive or unknown).
    cls: Any = field(default=None, repr=False, compare=False)

    @property
    def path(self) -> str:
        """The JSON path of its config."""
        section = "aggregators" if isinstance(self, AggregatorConfig) else "checks"
        return f"qc.{section}.{self.id}"

    @property
    def output(self) -> str:
        """Its quality objects' path under the provenance (a prefix for OnEachSeparately)."""
        return f"{self.detector_name}/QO/{self.name}"


@dataclass(frozen=True)
class AggregatorConfig(CheckConfig):
    """The common keys of ``qc.aggregators.<id>`` (same shape as a check's)."""


def _data_sources(
    node: Node, types: tuple[str, ...], objects_key: str
) -> tuple[DataSourceRef, ...]:
    key = "dataSource" if node.has("dataSource") or not node.has("dataSources") else "dataSources"
    node.mark_read("dataSource", "dataSources")
    refs = []
    for item in node.items(key, required=True):
        kind = item.choice("type", types[0], types)
        raw_objects = item.value.get(objects_key) if item.is_object else None
        item.mark_read(objects_key)
        listed = tuple(str(v) for v in raw_objects) if isinstance(raw_objects, list) else ()
        refs.append(DataSourceRef(kind, item.required_text("name"), listed, item.text("path", "")))
        item.finish()
    return tuple(refs)


def _resolve(node: Node, registry: ClassRegistry, kind: Kind, name: str, active: bool) -> Any:
    if not name or not active:
        return None
    try:
        return registry.resolve(kind, name, node.at("className"))
    except InvalidInput as err:
        node.error_from("className", err)
        return None


def _parse(
    section: Node | None,
    cls: type[CheckConfig],
    parameters_key: str,
    types: tuple[str, ...],
    objects_key: str,
    registry: ClassRegistry,
) -> dict[str, CheckConfig]:
    extended = "extended" + parameters_key[0].upper() + parameters_key[1:]
    kind: Kind = "aggregator" if cls is AggregatorConfig else "check"
    out: dict[str, CheckConfig] = {}
    for check_id, node in section.members() if section else ():
        if not node.is_object:
            node.error(None, "expected a JSON object")
            continue
        node.mark_read("aggregatorName")  # documented, ignored by QC: the name is checkName
        class_name, active = node.required_text("className"), node.flag("active", True)
        out[check_id] = cls(
            id=check_id,
            name=node.text("checkName", check_id) or check_id,
            class_name=class_name,
            module_name=node.required_text("moduleName"),
            detector_name=node.text("detectorName", "DET") or "DET",
            policy=node.choice("policy", "OnAny", CHECK_POLICIES),
            active=active,
            export_to_bookkeeping=node.flag("exportToBookkeeping", False),
            data_sources=_data_sources(node, types, objects_key),
            parameters=CustomParameters.read(node, extended, parameters_key, merge=True),
            raw=node.value,
            cls=_resolve(node, registry, kind, class_name, active),
        )
        node.finish()
    return out


def parse_checks(
    section: Node | None, registry: ClassRegistry = REGISTRY
) -> dict[str, CheckConfig]:
    """``qc.checks``: id -> config."""
    return _parse(section, CheckConfig, "checkParameters", CHECK_SOURCE_TYPES, "MOs", registry)


def parse_aggregators(
    section: Node | None, registry: ClassRegistry = REGISTRY
) -> dict[str, AggregatorConfig]:
    """``qc.aggregators``: id -> config."""
    parsed = _parse(
        section, AggregatorConfig, "aggregatorParameters", AGGREGATOR_SOURCE_TYPES, "QOs", registry
    )
    return {k: v for k, v in parsed.items() if isinstance(v, AggregatorConfig)}
