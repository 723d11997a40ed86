"""The check runner: checks and aggregators after each publication of a post-processing task.

An engine extension (entry point ``qcflow.engine``: :func:`attach`). For a config with active
checks or aggregators it builds each one from the class registry (``className``), then listens
to the engine's publications. After each publication of a task:

1. the published objects are stamped on a revision clock (:mod:`.policies`) and kept as the
   latest of their name (``"<taskName>/<moName>"``);
2. each check listing that task whose update policy is ready runs on its objects -- all of them,
   or one at a time for ``OnEachSeparately`` -- and each result becomes a quality object stored
   at ``<prov>/<DET>/QO/<checkName>`` (``…/<checkName>/<taskName>/<moName>`` for
   ``OnEachSeparately``) with ``qc_quality`` metadata (:mod:`.quality_objects`); ``beautify``
   follows when the check has one data source;
3. then the aggregators, in dependency order (an aggregator of aggregators after them), each on
   the latest quality objects of its sources when its policy is ready, storing
   ``<prov>/<DET>/QO/<aggregator>/<name>``.

Everything happens while the task's publication is handled, so when the task finishes every
quality object it causes is stored; a task of the same config that reads them (a QualityTask, a
``repository-quality`` trend) is run after it by the engine. QC gives no such guarantee.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from qcflow.checks.check import MonitorObject, check_input
from qcflow.checks.policies import RevisionClock, UpdatePolicy
from qcflow.checks.quality_objects import (
    max_cycle,
    overlapping_activity,
    store_quality_object,
    strictest_activity,
    with_cycle,
)
from qcflow.errors import InvalidInput, QcflowError
from qcflow.objects.activity import Activity
from qcflow.objects.codec import encode_object
from qcflow.objects.metadata import OBJECT_TYPE
from qcflow.objects.quality import Quality, QualityObject
from qcflow.postprocessing import (
    CheckConfig,
    HLine,
    Label,
    Polyline,
    Publication,
    Published,
    Services,
    overlays_json,
)

if TYPE_CHECKING:
    from qcflow.postprocessing import Engine, QcConfig
    from qcflow.qcdb.repository import Repository

__all__ = ["CheckRunner", "attach"]

log = logging.getLogger("qcflow.qc")
OVERLAYS = (HLine, Label, Polyline)


@dataclass
class _Actor:
    """A check or aggregator of the config, ready to run."""

    config: CheckConfig
    instance: Any
    policy: UpdatePolicy
    sources: tuple[str, ...]  # task names (checks), check/aggregator names (aggregators)


def _policy(config: CheckConfig, listed: list[str] | None) -> UpdatePolicy:
    return UpdatePolicy(config.policy, None if listed is None else tuple(listed))


class CheckRunner:
    """Runs a config's checks and aggregators on publications (see the module docstring)."""

    def __init__(
        self, config: QcConfig, repository: Callable[[], Repository], services: Services
    ) -> None:
        self.config = config
        self.repository = repository
        self.activity = config.common.activity
        self.mo_clock, self.qo_clock = RevisionClock(), RevisionClock()
        self.objects: dict[str, MonitorObject] = {}
        self.qualities: dict[str, QualityObject] = {}
        self.stored: dict[str, str] = {}  # QO path -> quality name, latest
        self.checks = [self._check(c, services) for c in config.checks.values() if c.active]
        self.aggregators = _ordered(
            [self._aggregator(a) for a in config.aggregators.values() if a.active]
        )

    # -- building ------------------------------------------------------------------------------

    def _instance(self, config: CheckConfig) -> Any:
        if config.cls is None:
            msg = f"{config.path}.className: {config.class_name!r} could not be resolved"
            raise InvalidInput(msg)
        instance = config.cls()
        try:
            instance.configure(config)
        except QcflowError:
            raise
        except Exception as err:
            msg = f"{config.path}: {config.class_name} failed to configure: {err}"
            raise QcflowError(msg) from err
        return instance

    def _task_name(self, name: str) -> str:
        task = self.config.tasks.get(name) or next(
            (t for t in self.config.tasks.values() if t.task_name == name), None
        )
        return task.task_name if task is not None else name

    def _check(self, config: CheckConfig, services: Services) -> _Actor:
        instance = self._instance(config)
        instance.services = services
        instance.lookup = self.objects.get
        tasks: list[str] = []
        listed: list[str] = []
        all_objects = False
        for index, source in enumerate(config.data_sources):
            if source.type != "PostProcessing":
                log.warning(
                    "%s.dataSource[%d]: %s objects are not produced by post-processing; they "
                    "never reach this check",
                    config.path,
                    index,
                    source.type,
                )
                continue
            task = self._task_name(source.name)
            tasks.append(task)
            listed.extend(f"{task}/{mo}" for mo in source.objects)
            all_objects = all_objects or not source.objects
        instance.start_of_activity(self.activity)
        return _Actor(
            config, instance, _policy(config, None if all_objects else listed), tuple(tasks)
        )

    def _aggregator(self, config: CheckConfig) -> _Actor:
        instance = self._instance(config)
        listed: list[str] = []
        all_objects = False
        for source in config.data_sources:
            listed.extend(f"{source.name}/{qo}" for qo in source.objects)
            all_objects = all_objects or not source.objects
        sources = tuple(s.name for s in config.data_sources)
        return _Actor(config, instance, _policy(config, None if all_objects else listed), sources)

    # -- checks --------------------------------------------------------------------------------

    def on_publication(self, publication: Publication) -> None:
        """Stamp what a task published, run the checks that are ready, then the aggregators."""
        activity = publication.activity.with_validity(
            publication.validity.start, publication.validity.end
        )
        names = []
        for published in publication.objects:
            self.objects[published.name] = _monitor_object(published, activity)
            names.append(published.name)
        if not names:
            return
        self.mo_clock.publish(names)
        task = publication.task.task_name
        made: list[QualityObject] = []
        for check in self.checks:
            if task not in check.sources:
                continue
            visible = [n for n in self.objects if n.split("/", 1)[0] in check.sources]
            if check.policy.is_ready(self.mo_clock, visible):
                made.extend(self._run_check(check, visible))
                check.policy.mark_run(self.mo_clock)
        if made:
            self._aggregate(made)

    def _run_check(self, check: _Actor, visible: list[str]) -> list[QualityObject]:
        names = sorted(
            visible
            if check.policy.names is None
            else [n for n in check.policy.names if n in self.objects]
        )
        if not names:
            return []
        groups = [[n] for n in names] if check.config.policy == "OnEachSeparately" else [names]
        made = []
        for group in groups:
            qo = self._judge(check, group)
            if qo is not None:
                made.append(qo)
        return made

    def _judge(self, check: _Actor, names: list[str]) -> QualityObject | None:
        config = check.config
        objects = {n: self.objects[n].obj for n in names}
        try:
            quality = check.instance.check(objects, self.activity)
        except Exception:
            log.exception("check %r failed on %s; no quality object", config.name, names)
            return None
        if not isinstance(quality, Quality):
            log.error(
                "check %r returned %r, not a Quality; no quality object", config.name, quality
            )
            return None
        monitored = [self.objects[n] for n in names]
        cycle = max_cycle(m.metadata for m in monitored)
        qo = QualityObject(
            with_cycle(quality, cycle),
            config.name,
            config.detector_name,
            config.policy,
            check.sources,
            tuple(names),
            strictest_activity([m.activity for m in monitored]),
        )
        self._store(qo)
        if len(config.data_sources) <= 1:
            for monitor_object in monitored:
                self._beautify(check, monitor_object, quality)
        return qo

    def _beautify(self, check: _Actor, mo: MonitorObject, quality: Quality) -> None:
        try:
            result = check.instance.beautify(mo.name, mo.obj, quality)
        except Exception:
            log.exception("beautify of check %r failed on %s", check.config.name, mo.name)
            return
        if result is None:
            return
        repository = self.repository()
        if isinstance(result, list | tuple) and all(isinstance(r, OVERLAYS) for r in result):
            if not hasattr(mo.obj, "annotated"):
                repository.update(
                    mo.path,
                    mo.activity.valid_from,
                    uuid=mo.id,
                    metadata={"qc_annotations": overlays_json(result)},
                )
                return
            result = mo.obj.annotated(result)
        payload = encode_object(result)
        repository.store(
            mo.path,
            payload.data,
            valid_from=mo.activity.valid_from,
            valid_until=mo.activity.valid_until,
            metadata=dict(mo.metadata),
            content_type=payload.content_type,
        )
        for suffix, companion in payload.companions:  # a plot's PNG, where overlays are drawn
            metadata = {**mo.metadata, OBJECT_TYPE: companion.object_type}
            repository.store(
                mo.path + suffix,
                companion.data,
                valid_from=mo.activity.valid_from,
                valid_until=mo.activity.valid_until,
                metadata=metadata,
                content_type=companion.content_type,
            )
        self.objects[mo.name] = replace(mo, obj=check_input(result))

    def _store(self, qo: QualityObject) -> None:
        store_quality_object(self.repository(), qo)
        self.qualities[qo.name] = qo
        self.stored[qo.path] = qo.quality.name
        log.info("%s: %s -> %s", qo.check_name, qo.quality.name, qo.path)

    # -- aggregators ---------------------------------------------------------------------------

    def _aggregate(self, made: list[QualityObject]) -> None:
        self.qo_clock.publish(qo.name for qo in made)
        for aggregator in self.aggregators:
            visible = [n for n in self.qualities if n.split("/", 1)[0] in aggregator.sources]
            if not aggregator.policy.is_ready(self.qo_clock, visible):
                continue
            names = (
                visible
                if aggregator.policy.names is None
                else [n for n in aggregator.policy.names if n in self.qualities]
            )
            outputs = self._combine(aggregator, {n: self.qualities[n] for n in sorted(names)})
            aggregator.policy.mark_run(self.qo_clock)
            if outputs:
                self.qo_clock.publish(qo.name for qo in outputs)

    def _combine(self, aggregator: _Actor, inputs: dict[str, QualityObject]) -> list[QualityObject]:
        config = aggregator.config
        try:
            results = aggregator.instance.aggregate(inputs)
        except Exception:
            log.exception("aggregator %r failed; no quality object", config.name)
            return []
        if inputs:
            activity = overlapping_activity([q.activity for q in inputs.values()], config.name)
        else:
            activity = self.activity
        cycle = max_cycle(q.quality.metadata for q in inputs.values())
        outputs = []
        for key, quality in results.items():
            qo = QualityObject(
                with_cycle(quality, cycle),
                f"{config.name}/{key}",
                config.detector_name,
                config.policy,
                aggregator.sources,
                (),
                activity,
            )
            self._store(qo)
            outputs.append(qo)
        return outputs

    def finish(self, engine: Engine) -> None:
        for actor in self.checks:
            actor.instance.end_of_activity(self.activity)
        engine.summary.quality_objects.update(self.stored)


def _monitor_object(published: Published, activity: Activity) -> MonitorObject:
    return MonitorObject(
        published.name,
        published.path,
        check_input(published.obj),
        activity,
        dict(published.info.metadata),
        published.info.id,
    )


def _ordered(aggregators: Sequence[_Actor]) -> list[_Actor]:
    """Aggregators after the aggregators they read; a cycle is an error."""
    names = {a.config.name for a in aggregators}
    done: list[_Actor] = []
    waiting = list(aggregators)
    while waiting:
        ready = [
            a
            for a in waiting
            if all(s not in names or s in {d.config.name for d in done} for s in a.sources)
        ]
        if not ready:
            cycle = ", ".join(a.config.path for a in waiting)
            msg = f"{cycle}: these aggregators read each other in a cycle"
            raise InvalidInput(msg)
        done.extend(ready)
        waiting = [a for a in waiting if a not in ready]
    return done


def attach(engine: Engine) -> None:
    """The engine extension: run the config's checks and aggregators."""
    config = engine.config
    if not any(c.active for c in (*config.checks.values(), *config.aggregators.values())):
        return
    host = config.common.database.host
    services = Services(
        source=lambda: engine.repository(host),
        destination=lambda: engine.repository(host),
        conditions=lambda: engine.repository(config.common.condition_db_url),
        reducer=engine.reducer,
    )
    runner = CheckRunner(config, lambda: engine.repository(host), services)
    engine.add_listener(runner.on_publication)
    engine.finish_hooks.append(runner.finish)
