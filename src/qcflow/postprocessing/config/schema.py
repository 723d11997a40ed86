"""The typed view of an ``o2-qc`` config: common keys, post-processing tasks, checks, aggregators.

:func:`parse_config` reads a loaded tree (after overrides) into a :class:`QcConfig` and collects
*every* problem at once, each with its JSON path, in a :class:`~.values.Diagnostics`: errors
(missing required keys, unknown triggers or classes, bad values the engine cannot run with) and
warnings (unknown keys with a near-miss hint, values O2 would silently replace by defaults, keys
O2 ignores). Each task class reads its own keys through its ``parse_options`` hook (see
:mod:`..engine.task`), so a new task class -- a detector module, SliceTrendingTask, QualityTask --
brings its schema with it and nothing here changes.

A :class:`TaskConfig` is generic over its options: ``TaskConfig[TrendingConfig]`` is what a
``TrendingTask`` reads (``config.options`` typed), a bare ``TaskConfig`` is ``TaskConfig[Any]``.
What reading a config needs of a task class -- its ``kind`` and two class-level hooks -- is
:class:`TaskClass`; the engine's :class:`~..engine.task.Task` implements it (the config never
imports the engine, so the class is known here by that protocol only).

Checks and aggregators are read for their common keys (:mod:`.check_config`) so that
cross-references can be checked (:mod:`..engine.crossref`) and tasks ordered; running them is
the job of an engine extension (:mod:`..engine.engine`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Generic, Protocol, cast

from typing_extensions import TypeVar

from qcflow._types import JSONObject
from qcflow.errors import InvalidInput
from qcflow.objects.activity import Activity, run_type_name
from qcflow.objects.paths import PROVENANCES
from qcflow.postprocessing.config.check_config import (
    AggregatorConfig,
    CheckConfig,
    parse_aggregators,
    parse_checks,
)
from qcflow.postprocessing.config.classes import REGISTRY, ClassRegistry
from qcflow.postprocessing.config.parameters import CustomParameters
from qcflow.postprocessing.config.values import Diagnostics, Node
from qcflow.postprocessing.triggers.trigger import TriggerSpec, parse_trigger

__all__ = [
    "CommonConfig",
    "DatabaseConfig",
    "QcConfig",
    "TaskClass",
    "TaskConfig",
    "parse_config",
]

#: A task class's options (what its ``parse_options`` returns); unnamed, they are ``Any``.
OptionsT = TypeVar("OptionsT", default=Any)
OptionsT_co = TypeVar("OptionsT_co", covariant=True, default=Any)

#: ``qc.config`` sections O2 reads for online running only; accepted and ignored.
IGNORED_SECTIONS = ("kafka", "bookkeeping", "infologger", "monitoring", "consul")


@dataclass(frozen=True)
class DatabaseConfig:
    """``qc.config.database`` or a task's ``sourceRepo``; an empty host is the default store."""

    implementation: str = "CCDB"
    host: str = ""
    max_object_size: int = 2 * 1024 * 1024


@dataclass(frozen=True)
class CommonConfig:
    """``qc.config``: destination database, activity, polling period, condition DB."""

    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    activity: Activity = field(default_factory=Activity)
    period_seconds: float = 10.0
    match_any_run_number: bool = False
    condition_db_url: str = ""


class TaskClass(Protocol[OptionsT_co]):
    """A task class as the config sees it (:class:`~..engine.task.Task` implements it): its
    ``kind``, ``parse_options`` (its own keys -> its options) and ``reads`` (what it reads)."""

    @property
    def kind(self) -> str: ...

    def parse_options(self, node: Node, config: TaskConfig[None]) -> OptionsT_co: ...

    def reads(self, config: TaskConfig[Any]) -> list[tuple[str, str]]: ...


@dataclass(frozen=True)
class TaskConfig(Generic[OptionsT]):
    """The common keys of ``qc.postprocessing.<id>``, plus the class's own ``options``.

    ``options`` is None until the class has read them (``parse_options`` gets a
    ``TaskConfig[None]``), and stays None when ``className`` names no class or the task is
    inactive.
    """

    id: str
    task_name: str
    class_name: str
    module_name: str
    detector_name: str = "MISC"
    active: bool = True
    critical: bool = True
    init_triggers: tuple[TriggerSpec, ...] = ()
    update_triggers: tuple[TriggerSpec, ...] = ()
    stop_triggers: tuple[TriggerSpec, ...] = ()
    parameters: CustomParameters = field(default_factory=CustomParameters)
    validity_from_last_trigger_only: bool = False
    source_repo: DatabaseConfig | None = None
    common: CommonConfig = field(default_factory=CommonConfig)
    raw: JSONObject = field(default_factory=dict)
    options: OptionsT = field(default=cast("OptionsT", None))
    #: The class ``className`` names (None when it could not be resolved, or inactive).
    task_class: TaskClass[OptionsT] | None = field(default=None, repr=False, compare=False)

    @property
    def path(self) -> str:
        """The JSON path of the task's config."""
        return f"qc.postprocessing.{self.id}"

    @property
    def output_prefix(self) -> str:
        """Where its objects go, under the provenance: ``<DET>/MO/<taskName>/``."""
        return f"{self.detector_name}/MO/{self.task_name}/"


@dataclass
class QcConfig:
    """A whole config: common part, tasks, checks, aggregators, and what was found wrong."""

    source: str
    common: CommonConfig
    tasks: dict[str, TaskConfig[Any]]
    checks: dict[str, CheckConfig]
    aggregators: dict[str, AggregatorConfig]
    diagnostics: Diagnostics
    tree: JSONObject

    @property
    def active_tasks(self) -> list[TaskConfig[Any]]:
        return [t for t in self.tasks.values() if t.active]


def parse_config(
    tree: JSONObject,
    source: str,
    *,
    registry: ClassRegistry = REGISTRY,
    diagnostics: Diagnostics | None = None,
) -> QcConfig:
    """Read the config tree; every problem goes to the returned config's ``diagnostics``."""
    diag = diagnostics if diagnostics is not None else Diagnostics()
    root = Node(tree, "", diag)
    qc = root.child("qc", required=True) or Node({}, "qc", diag)
    common = _common(qc.child("config", required=True) or Node({}, "qc.config", diag))
    tasks = {}
    section = qc.child("postprocessing")
    for task_id, node in section.members() if section else ():
        task = _task(task_id, node, common, registry)
        if task is not None:
            tasks[task_id] = task
    checks = parse_checks(qc.child("checks"), registry)
    aggregators = parse_aggregators(qc.child("aggregators"), registry)
    _note_foreign_sections(qc)
    qc.finish()
    root.finish()
    return QcConfig(source, common, tasks, checks, aggregators, diag, tree)


def _note_foreign_sections(qc: Node) -> None:
    for key, what in (
        ("tasks", "QC tasks"),
        ("externalTasks", "external tasks"),
        ("dataSamplingPolicies", "data sampling policies"),
    ):
        if qc.has(key):
            qc.warn(key, f"{what} process raw data online; qcflow qc runs post-processing only")


# -- qc.config -------------------------------------------------------------------------------------


def _database(node: Node | None) -> DatabaseConfig:
    if node is None:
        return DatabaseConfig()
    node.mark_read("username", "password", "name")
    implementation = node.text("implementation", "CCDB")
    if implementation != "CCDB":
        node.warn("implementation", f"{implementation!r}: qcflow speaks only CCDB (its QCDB)")
    config = DatabaseConfig(
        implementation, node.text("host", "").strip(), node.integer("maxObjectSize", 2 * 1024**2)
    )
    node.finish()
    return config


def _activity(node: Node | None) -> Activity:
    if node is None:
        return Activity()
    run_type = node.text("type", "NONE") or "NONE"
    translated = run_type_name(run_type)
    if translated != run_type:
        node.warn("type", f"integer run type {run_type!r} read as {translated!r} (legacy code)")
    provenance = node.text("provenance", "qc")
    if provenance not in PROVENANCES:
        node.warn("provenance", f"{provenance!r} is none of {', '.join(PROVENANCES)}")
    for key in ("start", "end"):
        if node.text(key, ""):
            node.warn(key, "ignored: objects get the validity of the triggers (as in QC)")
    activity = Activity(
        number=node.integer("number", 0),
        type=translated,
        period_name=node.text("periodName", ""),
        pass_name=node.text("passName", ""),
        provenance=provenance,
        beam_type=node.text("beamType", ""),
    )
    node.mark_read("partitionName", "fillNumber", "originalNumber")
    node.finish()
    return activity


def _common(node: Node) -> CommonConfig:
    postprocessing = node.child("postprocessing")
    period = 10.0
    match_any = False
    if postprocessing is not None:
        period = postprocessing.number("periodSeconds", 10.0)
        match_any = postprocessing.flag("matchAnyRunNumber", False)
        postprocessing.finish()
    condition = node.child("conditionDB")
    condition_url = condition.text("url", "").strip() if condition else ""
    if condition is not None:
        condition.finish()
    node.mark_read(*IGNORED_SECTIONS)
    config = CommonConfig(
        _database(node.child("database")),
        _activity(node.child("Activity")),
        period,
        match_any,
        condition_url,
    )
    node.finish()
    return config


# -- qc.postprocessing -----------------------------------------------------------------------------


def _triggers(node: Node, key: str) -> tuple[TriggerSpec, ...]:
    specs = []
    for index, text in enumerate(node.strings(key, required=True)):
        where = f"{node.at(key)}[{index}]"
        try:
            spec = parse_trigger(text)
        except InvalidInput as err:
            node.diagnostics.error(where, str(err))
            continue
        if spec.note:
            node.diagnostics.warn(where, spec.note)
        if spec.never_fires_offline:
            node.diagnostics.warn(where, f"{text!r} never fires offline (no run/fill events)")
        specs.append(spec)
    return tuple(specs)


def _source_repo(node: Node) -> DatabaseConfig | None:
    repo = node.child("sourceRepo")
    if repo is None:
        return None
    config = DatabaseConfig(repo.text("implementation", "CCDB"), repo.text("host", "").strip())
    repo.finish()
    return config


def _task(
    task_id: str, node: Node, common: CommonConfig, registry: ClassRegistry
) -> TaskConfig[Any] | None:
    if not node.is_object:
        node.error(None, "a post-processing task is a JSON object")
        return None
    config = TaskConfig[None](
        id=task_id,
        task_name=node.text("taskName", task_id) or task_id,
        class_name=node.required_text("className"),
        module_name=node.required_text("moduleName"),
        detector_name=node.text("detectorName", "MISC") or "MISC",
        active=node.flag("active", True),
        critical=node.flag("critical", True),
        init_triggers=_triggers(node, "initTrigger"),
        update_triggers=_triggers(node, "updateTrigger"),
        stop_triggers=_triggers(node, "stopTrigger"),
        parameters=CustomParameters.read(node, "extendedTaskParameters", "taskParameters"),
        validity_from_last_trigger_only=node.flag("validityFromLastTriggerOnly", False),
        source_repo=_source_repo(node),
        common=common,
        raw=node.value,
        options=None,
    )
    if not config.active:
        node.mark_read(*node.keys())  # an inactive task is not checked any further
        return config
    cls = _resolve(registry, config, node)
    read: TaskConfig[Any] = config
    if cls is not None:
        read = replace(config, options=cls.parse_options(node, config), task_class=cls)
    node.finish()
    return read


def _resolve(
    registry: ClassRegistry, config: TaskConfig[None], node: Node
) -> TaskClass[Any] | None:
    if not config.class_name:
        return None
    try:
        cls: TaskClass[Any] = registry.resolve("task", config.class_name, node.at("className"))
    except InvalidInput as err:
        node.error_from("className", err)
        node.mark_read(*node.keys())
        return None
    return cls
