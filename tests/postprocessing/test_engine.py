"""Whole configs run by the engine on a prepared QCDB: each trigger kind, stages, listeners."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from qcflow.errors import InvalidInput
from qcflow.objects.activity import Activity
from qcflow.objects.codec import Payload
from qcflow.postprocessing.config.classes import REGISTRY
from qcflow.postprocessing.engine.engine import Engine, EngineOptions
from qcflow.postprocessing.engine.object_manager import Publication
from qcflow.postprocessing.engine.services import Services
from qcflow.postprocessing.engine.task import Task
from qcflow.postprocessing.triggers.clock import ManualClock
from qcflow.postprocessing.triggers.trigger import Trigger
from qcflow.qcdb.local import LocalRepository

from ._configs import parsed, with_tasks
from .conftest import put_th1

HOUR = 3_600_000
T0 = 1_714_521_600_000
CALLS: dict[str, list[str]] = {}


class Echo(Task):
    """Publishes ``echo`` (the trigger's run) after every update; records its calls."""

    def initialize(self, trigger: Trigger, services: Services) -> None:
        CALLS[self.config.id] = [f"initialize {trigger.type.value}"]

    def update(self, trigger: Trigger, services: Services) -> None:
        CALLS[self.config.id].append(f"update {trigger.type.value} {trigger.activity.number}")
        self.objects.start_publishing(
            Payload(str(trigger.activity.number).encode(), "bytes"), "echo"
        )

    def finalize(self, trigger: Trigger, services: Services) -> None:
        CALLS[self.config.id].append(f"finalize {trigger.type.value}")


REGISTRY.add("task", "test::Echo", Echo)


def echo(init: list[str], update: list[str], stop: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "className": "test::Echo",
        "moduleName": "m",
        "detectorName": "TST",
        "initTrigger": init,
        "updateTrigger": update,
        "stopTrigger": stop,
        **extra,
    }


def fill(repo: LocalRepository, runs: int = 3) -> None:
    for run in range(1, runs + 1):
        activity = Activity(run, "PHYSICS", "LHC24ab", "apass1", "qc_async")
        sor = T0 + run * HOUR
        put_th1(
            repo, "qc_async/GLO/MO/Vertexing/beamSpot", np.zeros(1), activity, sor, sor + HOUR // 2
        )


def run(repo: LocalRepository, definitions: dict[str, Any], **options: Any) -> Engine:
    config = parsed(with_tasks(definitions, host=str(repo.root)))
    assert config.diagnostics.errors == []
    engine = Engine(config, EngineOptions(parallel=False, extensions=False, **options))
    engine.run()
    return engine


def test_foreachlatest_task_runs_to_completion(repo: LocalRepository) -> None:
    fill(repo)
    engine = run(
        repo,
        {
            "T": echo(
                ["userorcontrol"],
                ["foreachlatest:qcdb:GLO/MO/Vertexing/beamSpot"],
                ["userorcontrol"],
            )
        },
    )
    assert CALLS["T"] == [
        "initialize UserOrControl",
        "update ForEachLatest 1",
        "update ForEachLatest 2",
        "update ForEachLatest 3",
        "finalize UserOrControl",
    ]
    versions = repo.browse("qc_async/TST/MO/T/echo")
    assert sorted(v.metadata["qc_task_class"] for v in versions) == ["test::Echo"] * 4
    assert engine.summary.tasks[0].updates == 3
    assert engine.summary.tasks[0].published == ["qc_async/TST/MO/T/echo"]


def test_periodic_tasks_run_until_max_duration(repo: LocalRepository) -> None:
    clock = ManualClock(T0)
    engine = run(
        repo,
        {"T": echo(["userorcontrol"], ["1 sec"], ["userorcontrol"])},
        max_duration=5.5,
        clock=clock,
    )
    assert CALLS["T"][1:6] == ["update Periodic 0"] * 5
    assert CALLS["T"][-1] == "finalize UserOrControl"
    assert engine.summary.timed_out
    last = repo.get("qc_async/TST/MO/T/echo", T0 + 3000)
    assert (last.info.valid_from, last.info.valid_until) == (T0 + 1000, T0 + 5000)


def test_always_is_paced_by_period_seconds(repo: LocalRepository) -> None:
    clock = ManualClock(T0)
    run(repo, {"T": echo(["once"], ["always"], ["userorcontrol"])}, max_duration=0.1, clock=clock)
    updates = [c for c in CALLS["T"] if c.startswith("update")]
    assert 9 <= len(updates) <= 12  # periodSeconds is 0.01 in the test configs


def test_newobject_consumer_runs_alongside_its_producer(repo: LocalRepository) -> None:
    fill(repo)
    tasks = {
        "Producer": echo(["once"], ["foreachlatest:qcdb:GLO/MO/Vertexing/beamSpot"], []),
        "Watcher": echo(["once"], ["newobject:qcdb:TST/MO/Producer/echo"], ["userorcontrol"]),
    }
    run(repo, tasks, max_duration=1.0, clock=ManualClock(T0))
    # three updates and the finalize of the producer: four versions, each seen once
    assert [c for c in CALLS["Watcher"] if c.startswith("update")] == ["update NewObject 0"] * 4


def test_a_consumer_starts_after_its_producer_finished(repo: LocalRepository) -> None:
    fill(repo)
    tasks = {
        "Consumer": echo(["once"], ["foreachobject:qcdb:TST/MO/Producer/echo"], []),
        "Producer": echo(["once"], ["foreachlatest:qcdb:GLO/MO/Vertexing/beamSpot"], []),
    }
    run(repo, tasks)
    # The consumer listed the producer's four versions (three updates and the finalize): it
    # started after the producer ended.
    assert len([c for c in CALLS["Consumer"] if c.startswith("update")]) == 4


def test_run_events_never_fire_and_the_run_stops(repo: LocalRepository) -> None:
    engine = run(repo, {"T": echo(["userorcontrol"], ["sor"], ["eor", "userorcontrol"])})
    assert CALLS["T"] == ["initialize UserOrControl", "finalize UserOrControl"]
    assert not engine.summary.timed_out


def test_listeners_see_every_publication(repo: LocalRepository) -> None:
    fill(repo, 2)
    config = parsed(
        with_tasks(
            {"T": echo(["once"], ["foreachlatest:qcdb:GLO/MO/Vertexing/beamSpot"], [])},
            host=str(repo.root),
        )
    )
    engine = Engine(config, EngineOptions(parallel=False, extensions=False))
    seen: list[Publication] = []
    engine.add_listener(seen.append)
    engine.run()
    assert [[o.name for o in p.objects] for p in seen] == [["T/echo"]] * 3
    assert [p.trigger.type.value for p in seen] == [
        "ForEachLatest",
        "ForEachLatest",
        "UserOrControl",
    ]


def test_selecting_tasks(repo: LocalRepository) -> None:
    tasks = {"A": echo(["once"], ["once"], []), "B": echo(["once"], ["once"], [])}
    engine = run(repo, tasks, tasks=["B"])
    assert [t.id for t in engine.summary.tasks] == ["B"]
    with pytest.raises(InvalidInput, match=r"no active task \['C'\]"):
        run(repo, tasks, tasks=["C"])


def attach_counter(engine: Engine) -> None:
    """An engine extension, as checks plug in: count publications, note the end of the run."""
    engine.counted = []  # type: ignore[attr-defined]
    engine.add_listener(lambda publication: engine.counted.append(len(publication.objects)))  # type: ignore[attr-defined]
    engine.finish_hooks.append(lambda e: e.counted.append("end"))  # type: ignore[attr-defined]


def test_extensions_are_loaded_from_entry_points(
    repo: LocalRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    from importlib.metadata import EntryPoint

    from qcflow.postprocessing.engine import engine as engine_module

    point = EntryPoint("counter", f"{__name__}:attach_counter", engine_module.EXTENSION_GROUP)
    monkeypatch.setattr(
        engine_module, "entry_points", lambda group: [point] if group == point.group else []
    )
    fill(repo, 2)
    config = parsed(
        with_tasks(
            {"T": echo(["once"], ["foreachlatest:qcdb:GLO/MO/Vertexing/beamSpot"], [])},
            host=str(repo.root),
        )
    )
    engine = Engine(config, EngineOptions(parallel=False))
    engine.run()
    assert engine.counted == [1, 1, 1, "end"]  # type: ignore[attr-defined]
    broken = EntryPoint("broken", "no_such_module:attach", engine_module.EXTENSION_GROUP)
    monkeypatch.setattr(engine_module, "entry_points", lambda group: [broken])
    with pytest.raises(InvalidInput, match="engine extension 'broken'"):
        Engine(config, EngineOptions(parallel=False))
