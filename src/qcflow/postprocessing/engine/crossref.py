"""Cross-references inside one config, and the order its tasks must run in.

Who produces what (paths under the provenance):

- a post-processing task: ``<DET>/MO/<taskName>/…``;
- a check: ``<DET>/QO/<checkName>`` (and ``…/<checkName>/<task>/<mo>`` for OnEachSeparately),
  downstream of the post-processing tasks it names;
- an aggregator: ``<DET>/QO/<name>/…``, downstream of what its checks and aggregators are.

:func:`cross_check` adds to the config's diagnostics: a check naming a post-processing task the
config does not have (error), an aggregator naming a missing check or aggregator (error), an
aggregator named like a check (error), and a task reading quality objects that no check or
aggregator of the config produces (warning with the closest name: O2DPG's ``zdc.json``
QualityTask reads ``ZDC/QO/QcZDCRecCheck`` while the check is ``RecCheck``).

:func:`task_stages` orders tasks: a task that reads what another task of the config produces
(directly, or through checks and aggregators) runs in a later stage, after the producer finished.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from qcflow._hints import did_you_mean
from qcflow.postprocessing.config.check_config import CheckConfig
from qcflow.postprocessing.config.schema import QcConfig, TaskConfig
from qcflow.postprocessing.engine.task import task_reads
from qcflow.postprocessing.triggers.trigger import TriggerType

__all__ = ["Producer", "cross_check", "producers", "task_inputs", "task_stages"]


@dataclass(frozen=True)
class Producer:
    """Something of the config that writes objects under ``output``, and the tasks upstream."""

    kind: str
    name: str
    output: str
    upstream: frozenset[str]

    def produces(self, path: str) -> bool:
        base = self.output.rstrip("/")
        return path == base or path.startswith(base + "/")


def _task_named(config: QcConfig, name: str) -> TaskConfig | None:
    if name in config.tasks:
        return config.tasks[name]
    return next((t for t in config.tasks.values() if t.task_name == name), None)


def _check_named(checks: dict[str, CheckConfig], name: str) -> CheckConfig | None:
    return checks.get(name) or next((c for c in checks.values() if c.name == name), None)


def producers(config: QcConfig) -> list[Producer]:
    """Every producer of the config (active ones only)."""
    out = [Producer("task", t.id, t.output_prefix, frozenset({t.id})) for t in config.active_tasks]
    check_upstream: dict[str, frozenset[str]] = {}
    for check in config.checks.values():
        tasks = [
            _task_named(config, s.name) for s in check.data_sources if s.type == "PostProcessing"
        ]
        upstream = frozenset(t.id for t in tasks if t is not None)
        check_upstream[check.id] = upstream
        if check.active:
            out.append(Producer("check", check.id, check.output, upstream))
    for aggregator in config.aggregators.values():
        if aggregator.active:
            upstream = _aggregator_upstream(config, aggregator, check_upstream, set())
            out.append(Producer("aggregator", aggregator.id, aggregator.output + "/", upstream))
    return out


def _aggregator_upstream(
    config: QcConfig, aggregator: CheckConfig, checks: dict[str, frozenset[str]], seen: set[str]
) -> frozenset[str]:
    seen.add(aggregator.id)
    upstream: set[str] = set()
    for source in aggregator.data_sources:
        if source.type == "Check":
            check = _check_named(config.checks, source.name)
            upstream |= checks.get(check.id, frozenset()) if check else set()
        else:
            inner = _check_named(config.aggregators, source.name)  # type: ignore[arg-type]
            if inner is not None and inner.id not in seen:
                upstream |= _aggregator_upstream(config, inner, checks, seen)
    return frozenset(upstream)


def task_inputs(task: TaskConfig) -> list[tuple[str, str]]:
    """``(json_path, object_path)`` of what the task reads (its class's ``reads`` hook)."""
    return list(task.task_class.reads(task)) if task.task_class is not None else task_reads(task)


def cross_check(config: QcConfig) -> None:
    """Add cross-reference problems to ``config.diagnostics``."""
    _check_sources(config)
    _aggregator_sources(config)
    _quality_inputs(config)


def _check_sources(config: QcConfig) -> None:
    diag = config.diagnostics
    names = sorted({*config.tasks, *(t.task_name for t in config.tasks.values())})
    for check in config.checks.values():
        for index, source in enumerate(check.data_sources):
            where = f"qc.checks.{check.id}.dataSource[{index}].name"
            if source.type != "PostProcessing":
                continue
            task = _task_named(config, source.name)
            if task is None:
                hint = did_you_mean(source.name, names)
                diag.error(where, f"no post-processing task {source.name!r} in this config{hint}")
            elif not task.active:
                diag.warn(where, f"task {source.name!r} is not active: this check never runs")


def _aggregator_sources(config: QcConfig) -> None:
    diag = config.diagnostics
    for aggregator in config.aggregators.values():
        if _check_named(config.checks, aggregator.name) is not None:
            where = f"qc.aggregators.{aggregator.id}"
            diag.error(where, f"aggregator {aggregator.name!r} has the name of a check")
        for index, source in enumerate(aggregator.data_sources):
            table = config.checks if source.type == "Check" else config.aggregators
            if _check_named(table, source.name) is None:  # type: ignore[arg-type]
                where = f"qc.aggregators.{aggregator.id}.dataSource[{index}].name"
                kind = source.type.lower()
                hint = did_you_mean(source.name, [c.name for c in table.values()])
                diag.error(where, f"no {kind} {source.name!r} in this config{hint}")


def _quality_inputs(config: QcConfig) -> None:
    made = [p for p in producers(config) if p.kind != "task"]
    outputs = [p.output.rstrip("/") for p in made]
    for task in config.active_tasks:
        for where, path in task_inputs(task):
            if "/QO/" not in path or any(p.produces(path) for p in made):
                continue
            hint = did_you_mean(path, outputs)
            config.diagnostics.warn(
                where,
                f"reads {path!r}, which no check or aggregator of this config produces{hint}; "
                "it must come from another job",
            )


def task_stages(
    config: QcConfig, tasks: Iterable[TaskConfig] | None = None
) -> list[list[TaskConfig]]:
    """Tasks grouped in stages: each stage needs only what earlier stages produce."""
    chosen = list(config.active_tasks if tasks is None else tasks)
    made = producers(config)
    needs = {t.id: _upstream_of(t, made) & {c.id for c in chosen} for t in chosen}
    stages: list[list[TaskConfig]] = []
    done: set[str] = set()
    while len(done) < len(chosen):
        ready = [t for t in chosen if t.id not in done and needs[t.id] <= done]
        if not ready:  # a cycle: run what is left together
            ready = [t for t in chosen if t.id not in done]
            for task in ready:
                config.diagnostics.warn(task.path, "takes part in a cycle of task dependencies")
        stages.append(ready)
        done.update(t.id for t in ready)
    return stages


def _upstream_of(task: TaskConfig, made: list[Producer]) -> set[str]:
    watched = {
        spec.path
        for spec in (*task.init_triggers, *task.update_triggers, *task.stop_triggers)
        if spec.type is TriggerType.NEW_OBJECT
    }
    found: set[str] = set()
    for _, path in task_inputs(task):
        if path in watched:
            continue  # a newobject trigger must be polling while its producer runs
        for producer in made:
            if producer.produces(path):
                found |= producer.upstream
    found.discard(task.id)
    return found
