"""The task state machine: which action each tick takes, validity, publication."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from qcflow.objects.activity import Activity
from qcflow.objects.codec import Payload
from qcflow.postprocessing.config.schema import CommonConfig, TaskConfig
from qcflow.postprocessing.engine._task_runner import TaskRunner, TaskState
from qcflow.postprocessing.engine.object_manager import (
    ObjectManager,
    Publication,
    PublicationPolicy,
)
from qcflow.postprocessing.engine.services import Services
from qcflow.postprocessing.engine.task import Task
from qcflow.postprocessing.triggers.clock import ManualClock
from qcflow.postprocessing.triggers.sources import TriggerContext, task_activity
from qcflow.postprocessing.triggers.trigger import Trigger, parse_trigger
from qcflow.qcdb.local import LocalRepository

from .conftest import put_th1

HOUR = 3_600_000
T0 = 1_714_521_600_000
ACTIVITY = Activity(0, "PHYSICS", "P", "a1", "qc_async")


class Recorder(Task):
    """Records its calls; publishes a counter object from initialize on."""

    def initialize(self, trigger: Trigger, services: Services) -> None:
        self.calls = [("initialize", trigger.type.value)]
        self.objects.start_publishing(Payload(b"counter", "bytes"), "counter")
        self.objects.start_publishing(Payload(b"once", "bytes"), "once", PublicationPolicy.ONCE)

    def update(self, trigger: Trigger, services: Services) -> None:
        self.calls.append(("update", str(trigger.activity.number)))

    def finalize(self, trigger: Trigger, services: Services) -> None:
        self.calls.append(("finalize", trigger.type.value))


def runner(
    repo: LocalRepository,
    init: list[str],
    update: list[str],
    stop: list[str],
    task_class: type[Recorder] | None = None,
    activity: Activity = ACTIVITY,
    **extra: Any,
) -> tuple[TaskRunner, list[Publication]]:
    config = TaskConfig(
        id="T",
        task_name="T",
        class_name="test::Recorder",
        module_name="m",
        detector_name="TST",
        init_triggers=tuple(map(parse_trigger, init)),
        update_triggers=tuple(map(parse_trigger, update)),
        stop_triggers=tuple(map(parse_trigger, stop)),
        common=CommonConfig(activity=activity),
        **extra,
    )
    published: list[Publication] = []
    services = Services(source=lambda: repo, destination=lambda: repo, conditions=lambda: repo)
    objects = ObjectManager(config, lambda: repo, [published.append])

    def context(activity: Activity) -> TriggerContext:
        return TriggerContext(
            task_activity(activity, False), lambda: repo, lambda: repo, ManualClock(), T0
        )

    task = (task_class or Recorder)()
    return TaskRunner(config, task, services, objects, context), published


def fill(repo: LocalRepository, runs: int = 3) -> None:
    for run in range(1, runs + 1):
        activity = replace(ACTIVITY, number=run)
        put_th1(
            repo,
            "qc_async/GLO/MO/V/spot",
            np.zeros(1),
            activity,
            T0 + run * HOUR,
            T0 + run * HOUR + HOUR // 2,
        )


def drive(task: TaskRunner, ticks: int = 20) -> list[str]:
    done = []
    for _ in range(ticks):
        trigger = task.step()
        done.append(trigger.type.value if trigger else "-")
        if task.state is TaskState.FINISHED:
            break
    return done


def test_userorcontrol_init_foreach_updates_then_finalize(repo: LocalRepository) -> None:
    fill(repo)
    task, published = runner(
        repo, ["userorcontrol"], ["foreachlatest:qcdb:GLO/MO/V/spot"], ["userorcontrol"]
    )
    task.start(T0)
    assert task.state is TaskState.RUNNING
    assert drive(task) == ["ForEachLatest"] * 3 + ["UserOrControl"]
    assert task.task.calls == [
        ("initialize", "UserOrControl"),
        ("update", "1"),
        ("update", "2"),
        ("update", "3"),
        ("finalize", "UserOrControl"),
    ]
    # Published after each update and at finalize; "once" only the first time.
    assert [sorted(p.name.split("/")[1] for p in pub.objects) for pub in published] == [
        ["counter", "once"],
        ["counter"],
        ["counter"],
        ["counter"],
    ]
    last = published[-1]
    assert (last.validity.start, last.validity.end) == (T0 + HOUR, T0 + 3 * HOUR + HOUR // 2)
    info = last.objects[0].info
    assert info.path == "qc_async/TST/MO/T/counter"
    assert (info.valid_from, info.valid_until) == (T0 + HOUR, T0 + 3 * HOUR + HOUR // 2)
    assert info.metadata["qc_task_name"] == "T"
    assert info.metadata["PeriodName"] == "P"


def test_once_init_takes_a_tick_and_an_update_list_of_once_publishes_nothing(
    repo: LocalRepository,
) -> None:
    task, published = runner(repo, ["once"], ["once"], [])
    task.start(T0)
    assert task.state is TaskState.CREATED
    assert drive(task) == ["Once", "Once", "UserOrControl"]
    assert published == []  # the validity never became valid


def test_stop_triggers_are_polled_only_when_no_update_fired(repo: LocalRepository) -> None:
    fill(repo)
    task, _ = runner(repo, ["once"], ["foreachlatest:qcdb:GLO/MO/V/spot", "sor"], ["once"])
    task.start(T0)
    assert drive(task) == ["Once", "ForEachLatest", "ForEachLatest", "ForEachLatest", "Once"]


def test_an_empty_init_list_never_initializes(repo: LocalRepository) -> None:
    task, _ = runner(repo, [], ["once"], ["userorcontrol"])
    task.start(T0)
    assert drive(task, 5) == ["-"] * 5
    assert not task.can_act
    task.stop(T0)
    assert task.state is TaskState.CREATED


def test_stop_finalizes_only_with_userorcontrol(repo: LocalRepository) -> None:
    task, _ = runner(repo, ["userorcontrol"], ["sor"], ["eor"])
    task.start(T0)
    assert drive(task, 3) == ["-"] * 3
    assert not task.can_act
    task.stop(T0)
    assert task.state is TaskState.RUNNING
    other, _ = runner(repo, ["userorcontrol"], ["sor"], ["userorcontrol"])
    other.start(T0)
    other.stop(T0 + 5)
    assert other.state is TaskState.FINISHED
    assert other.task.calls[-1] == ("finalize", "UserOrControl")


def test_validity_from_last_trigger_only(repo: LocalRepository) -> None:
    fill(repo)
    task, published = runner(
        repo,
        ["once"],
        ["foreachlatest:qcdb:GLO/MO/V/spot"],
        [],
        validity_from_last_trigger_only=True,
    )
    task.start(T0)
    drive(task)
    assert [(p.validity.start, p.validity.end) for p in published[:3]] == [
        (T0 + r * HOUR, T0 + r * HOUR + HOUR // 2) for r in (1, 2, 3)
    ]


class RunScoped(Recorder):
    run_scoped = True


def test_a_run_scoped_task_of_a_run0_config_publishes_each_update_under_its_run(
    repo: LocalRepository,
) -> None:
    fill(repo)
    task, published = runner(
        repo, ["userorcontrol"], ["foreachlatest:qcdb:GLO/MO/V/spot"], ["userorcontrol"], RunScoped
    )
    task.start(T0)
    drive(task)
    task.stop(T0 + 10 * HOUR)
    scopes = [(p.activity.number, p.validity.start, p.validity.end) for p in published]
    per_run = [(r, T0 + r * HOUR, T0 + r * HOUR + HOUR // 2) for r in (1, 2, 3)]
    # Three updates, one per run; the finalize publication keeps the last run's scope.
    assert scopes == [*per_run, per_run[-1]]
    stored = repo.latest("qc_async/TST/MO/T/counter")[0]
    assert stored.metadata["RunNumber"] == "3"
    assert (stored.valid_from, stored.valid_until) == per_run[-1][1:]


def test_run_scoped_tasks_of_a_run_specific_config_keep_the_config_activity(
    repo: LocalRepository,
) -> None:
    fill(repo)
    task, published = runner(
        repo,
        ["userorcontrol"],
        ["foreachlatest:qcdb:GLO/MO/V/spot"],
        [],
        RunScoped,
        replace(ACTIVITY, number=2),
    )
    task.start(T0)
    drive(task)
    assert {p.activity.number for p in published} == {2}
