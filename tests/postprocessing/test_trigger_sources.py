"""Each trigger kind polled against a prepared QCDB."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from qcflow.objects.activity import Activity
from qcflow.postprocessing.triggers.clock import ManualClock
from qcflow.postprocessing.triggers.sources import TriggerContext, create_trigger, task_activity
from qcflow.postprocessing.triggers.trigger import TriggerType, parse_trigger
from qcflow.qcdb.local import LocalRepository
from qcflow.qcdb.model import ObjectInfo

from .conftest import put_th1

HOUR = 3_600_000
T0 = 1_714_521_600_000
SPOT = "GLO/MO/Vertexing/beamSpot"


def context(
    repo: LocalRepository, activity: Activity, clock: ManualClock | None = None
) -> TriggerContext:
    clock = clock or ManualClock(T0 + 1000 * HOUR)
    return TriggerContext(task_activity(activity, False), lambda: repo, lambda: repo, clock, 42)


def fill(repo: LocalRepository) -> None:
    """Runs 3, 1, 2 of period P pass a1 (run 2 twice), run 1 of pass a2, run 1 of period Q."""
    cases = [
        (3, "P", "a1"),
        (1, "P", "a1"),
        (2, "P", "a1"),
        (2, "P", "a1"),
        (1, "P", "a2"),
        (1, "Q", "a1"),
    ]
    for index, (run, period, pass_name) in enumerate(cases):
        activity = Activity(run, "PHYSICS", period, pass_name, "qc_async")
        sor = T0 + run * 10 * HOUR
        put_th1(
            repo, f"qc_async/{SPOT}", np.zeros(1), activity, sor, sor + HOUR, CycleNumber=str(index)
        )
    put_th1(repo, f"qc/{SPOT}", np.zeros(1), Activity(9, "PHYSICS", "P", "a1"), T0, T0 + HOUR)


def fire_all(source: object) -> list[object]:
    out = []
    while True:
        trigger = source.poll()  # type: ignore[attr-defined]
        if trigger:
            out.append(trigger)
        if trigger.last:
            return out


def test_foreachlatest_newest_per_activity_in_period_pass_run_order(repo: LocalRepository) -> None:
    fill(repo)
    source = create_trigger(
        parse_trigger(f"foreachlatest:qcdb:{SPOT}"),
        context(repo, Activity(type="PHYSICS", provenance="qc_async")),
    )
    assert len(source.lookahead(100)) == 5
    fired = fire_all(source)
    keys = [(t.activity.period_name, t.activity.pass_name, t.activity.number) for t in fired]
    assert keys == [("P", "a1", 1), ("P", "a1", 2), ("P", "a1", 3), ("P", "a2", 1), ("Q", "a1", 1)]
    run2 = fired[1]
    assert run2.type is TriggerType.FOR_EACH_LATEST
    assert run2.timestamp == run2.activity.valid_from == T0 + 20 * HOUR
    assert run2.activity.valid_until == T0 + 21 * HOUR
    assert [t.last for t in fired] == [False] * 4 + [True]
    assert source.lookahead(10) == []


def test_foreachlatest_filters_by_activity(repo: LocalRepository) -> None:
    fill(repo)
    wanted = Activity(type="PHYSICS", period_name="P", pass_name="a1", provenance="qc_async")
    fired = fire_all(
        create_trigger(parse_trigger(f"foreachlatest:qcdb:{SPOT}"), context(repo, wanted))
    )
    assert [t.activity.number for t in fired] == [1, 2, 3]
    only_run = Activity(2, "PHYSICS", "P", "", "qc_async")
    fired = fire_all(
        create_trigger(parse_trigger(f"foreachlatest:qcdb:{SPOT}"), context(repo, only_run))
    )
    assert [(t.activity.number, t.activity.pass_name) for t in fired] == [(2, "a1")]
    other_type = Activity(type="COSMICS", provenance="qc_async")
    source = create_trigger(parse_trigger(f"foreachlatest:qcdb:{SPOT}"), context(repo, other_type))
    first = source.poll()
    assert not first
    assert first.last


def test_foreachobject_every_version_by_validity_with_its_cycle(repo: LocalRepository) -> None:
    fill(repo)
    wanted = Activity(type="PHYSICS", period_name="P", pass_name="a1", provenance="qc_async")
    fired = fire_all(
        create_trigger(parse_trigger(f"foreachobject:qcdb:{SPOT}"), context(repo, wanted))
    )
    assert [t.activity.number for t in fired] == [1, 2, 2, 3]
    assert [t.metadata["CycleNumber"] for t in fired] == ["1", "2", "3", "0"]
    assert all(t.type is TriggerType.FOR_EACH_OBJECT for t in fired)


class _SameMillisecond:
    """The store as seen when every upload landed in one millisecond: equal ``created``."""

    def __init__(self, repo: LocalRepository) -> None:
        self.repo = repo

    def browse(self, *args: object) -> list[ObjectInfo]:
        listing = self.repo.browse(*args)  # type: ignore[arg-type]
        return [replace(info, created=T0) for info in listing]


def test_foreachobject_replays_same_validity_versions_in_upload_order(
    repo: LocalRepository,
) -> None:
    fill(repo)
    wanted = Activity(2, "PHYSICS", "P", "a1", "qc_async")
    same_ms = _SameMillisecond(repo)
    ctx = TriggerContext(
        task_activity(wanted, False),
        lambda: same_ms,
        lambda: same_ms,  # type: ignore[arg-type,return-value]
        ManualClock(T0),
        42,
    )
    fired = fire_all(create_trigger(parse_trigger(f"foreachobject:qcdb:{SPOT}"), ctx))
    assert [t.metadata["CycleNumber"] for t in fired] == ["2", "3"]


def test_ccdb_triggers_use_the_path_as_is_and_filter_nothing(repo: LocalRepository) -> None:
    fill(repo)
    wanted = Activity(5, "COSMICS", "X", "Y", "qc_async")
    fired = fire_all(
        create_trigger(parse_trigger(f"foreachobject:ccdb:qc/{SPOT}"), context(repo, wanted))
    )
    assert [t.activity.number for t in fired] == [9]


def test_newobject_ignores_what_exists_and_fires_on_new_versions(repo: LocalRepository) -> None:
    activity = Activity(1, "PHYSICS", "P", "a1", "qc_async")
    put_th1(repo, f"qc_async/{SPOT}", np.zeros(1), activity, T0, T0 + HOUR)
    source = create_trigger(parse_trigger(f"newobject:qcdb:{SPOT}"), context(repo, activity))
    assert not source.poll()
    put_th1(repo, f"qc_async/{SPOT}", np.zeros(1), activity, T0 + HOUR, T0 + 2 * HOUR)
    trigger = source.poll()
    assert trigger.type is TriggerType.NEW_OBJECT
    assert trigger.timestamp == T0 + 2 * HOUR - 1
    assert (trigger.activity.valid_from, trigger.activity.valid_until) == (T0 + HOUR, T0 + 2 * HOUR)
    assert not source.poll()
    other = Activity(2, "PHYSICS", "P", "a1", "qc_async")
    put_th1(repo, f"qc_async/{SPOT}", np.zeros(1), other, T0 + 2 * HOUR, T0 + 3 * HOUR)
    assert not source.poll()  # another run: filtered out on the server


def test_newobject_on_ccdb_uses_the_path_as_is_without_activity_filters(
    repo: LocalRepository,
) -> None:
    path = "GRP/Calib/LHCIF"
    put_th1(repo, path, np.zeros(1), Activity(7, "COSMICS", "X", "Y"), T0, T0 + HOUR)
    wanted = Activity(1, "PHYSICS", "P", "a1", "qc_async")
    source = create_trigger(parse_trigger(f"newobject:CCDB:{path}"), context(repo, wanted))
    assert not source.poll()  # the version present at creation is ignored
    put_th1(repo, path, np.zeros(1), Activity(8, "COSMICS", "X", "Y"), T0 + HOUR, T0 + 2 * HOUR)
    trigger = source.poll()  # another run, type, period and pass: still fires
    assert trigger.type is TriggerType.NEW_OBJECT
    assert trigger.timestamp == T0 + 2 * HOUR - 1
    assert not source.poll()


def test_periodic_fires_after_each_period_and_collapses_missed_ones(repo: LocalRepository) -> None:
    clock = ManualClock(T0)
    source = create_trigger(parse_trigger("10 sec"), context(repo, Activity(), clock))
    assert not source.poll()
    clock.sleep(10)
    trigger = source.poll()
    assert (trigger.type, trigger.timestamp) == (TriggerType.PERIODIC, T0 + 10_000)
    assert (trigger.activity.valid_from, trigger.activity.valid_until) == (T0 + 10_000, T0 + 10_000)
    clock.sleep(35)  # three periods missed: one firing, at the first due time
    assert source.poll().timestamp == T0 + 20_000
    assert not source.poll()
    assert source.next_due() == 50.0


def test_once_always_userorcontrol_and_run_events(repo: LocalRepository) -> None:
    ctx = context(repo, Activity(provenance="qc_async"))
    once = create_trigger(parse_trigger("once"), ctx)
    first = once.poll()
    assert (first.type, first.last, first.timestamp) == (TriggerType.ONCE, True, 42)
    assert first.activity.valid_from > first.activity.valid_until  # invalid validity
    assert not once.poll()
    assert create_trigger(parse_trigger("always"), ctx).poll().type is TriggerType.ALWAYS
    user = create_trigger(parse_trigger("userorcontrol"), ctx).poll()
    assert (bool(user), user.last) == (False, True)
    for text in ("sor", "eor", "sof", "eof"):  # run events come from Kafka; fills: never
        event = create_trigger(parse_trigger(text), ctx).poll()
        assert (bool(event), event.last) == (False, False), text


def test_match_any_run_number(repo: LocalRepository) -> None:
    fill(repo)
    activity = Activity(2, "PHYSICS", "P", "a1", "qc_async")
    ctx = TriggerContext(
        task_activity(activity, True), lambda: repo, lambda: repo, ManualClock(), 0
    )
    fired = fire_all(create_trigger(parse_trigger(f"foreachlatest:qcdb:{SPOT}"), ctx))
    assert [t.activity.number for t in fired] == [1, 2, 3]
