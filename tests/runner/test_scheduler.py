"""The scheduling core driven by events alone: no process, no clock, no file."""

from __future__ import annotations

import doctest

from hypothesis import given, settings
from hypothesis import strategies as st

from qcflow.runner import scheduler
from qcflow.runner.resources import Demand, ResourceLimits
from qcflow.runner.scheduler import (
    Finished,
    Kill,
    Reestimated,
    RetryDue,
    RetryLater,
    Settings,
    Start,
    Stop,
    handle,
    is_finished,
    start_state,
)

ONE = Demand(cpu=1, mem=100)


def make(needs, demands=None, keys=None, attempts=None, cached=(), **kw):
    n = len(needs)
    limits = kw.pop("limits", ResourceLimits(cpu=2, mem=1000, n_backfill=0))
    return start_state(
        needs=needs,
        demands=demands or [ONE] * n,
        keys=keys or [(0, 0, i) for i in range(n)],
        max_attempts=attempts or [1] * n,
        settings=Settings(limits, **kw),
        cached=cached,
        names=[f"t{i}" for i in range(n)],
    )


def started(actions):
    return [a.task for a in actions if isinstance(a, Start)]


def test_docstring_example_holds():
    assert doctest.testmod(scheduler).failed == 0


def test_diamond_runs_in_dependency_order():
    """
      0
     / \\
    1   2
     \\ /
      3
    """
    state = make([[], [0], [0], [1, 2]])
    assert started(handle(state, [])) == [0]
    assert started(handle(state, [Finished(0, ok=True)])) == [1, 2]
    assert started(handle(state, [Finished(1, ok=True)])) == []
    assert started(handle(state, [Finished(2, ok=True)])) == [3]
    handle(state, [Finished(3, ok=True)])
    assert is_finished(state)
    assert state.status == ["done"] * 4


def test_no_head_of_line_blocking():
    """A two-core task at the head of the queue does not keep a one-core task waiting."""
    big, small = Demand(cpu=2, mem=100), ONE
    state = make([[], [], []], demands=[small, big, small], keys=[(0, 0, 0), (1, 0, 1), (2, 0, 2)])
    assert started(handle(state, [])) == [0, 2]
    assert started(handle(state, [Finished(0, ok=True)])) == []
    assert started(handle(state, [Finished(2, ok=True)])) == [1]


def test_backfill_lane_admits_one_extra_task_at_low_priority():
    """O2DPG's figure: three one-core tasks run at --cpu-limit 2 with --n-backfill 1."""
    state = make([[]] * 5, limits=ResourceLimits(cpu=2, mem=1000, n_backfill=1))
    actions = handle(state, [])
    assert [(a.task, a.lane) for a in actions if isinstance(a, Start)] == [
        (0, "normal"),
        (1, "normal"),
        (2, "backfill"),
    ]
    assert state.booking.running == 3


def test_backfill_respects_the_total_factor():
    state = make([[]] * 3, demands=[Demand(2, 100)] * 3, limits=ResourceLimits(cpu=2, mem=1000))
    lanes = [a.lane for a in handle(state, []) if isinstance(a, Start)]
    assert lanes == ["normal"]  # 2 + 2 cores would exceed 1.5 x 2


def test_memory_limit_books_like_cpu():
    state = make([[]] * 3, demands=[Demand(cpu=0.5, mem=400)] * 3)
    assert started(handle(state, [])) == [0, 1]


def test_max_jobs_bounds_both_lanes():
    state = make(
        [[]] * 4, demands=[Demand(0, 0)] * 4, limits=ResourceLimits(cpu=2, mem=10, max_jobs=3)
    )
    assert started(handle(state, [])) == [0, 1, 2]


def test_semaphore_excludes_tasks_sharing_it():
    sem = Demand(cpu=0.1, mem=1, semaphore="merge")
    state = make([[]] * 3, demands=[sem, sem, ONE])
    assert started(handle(state, [])) == [0, 2]
    assert started(handle(state, [Finished(0, ok=True)])) == [1]


def test_policy_keys_order_the_start():
    state = make([[]] * 3, keys=[(2, 0, 0), (0, -5, 1), (1, 0, 2)])
    assert started(handle(state, [])) == [1, 2]


def test_failure_without_keep_going_kills_running_and_cancels_the_rest():
    state = make([[], [], [0], []])
    handle(state, [])
    actions = handle(state, [Finished(0, ok=False, reason="exit code 3")])
    assert actions == [Kill(1)]
    assert state.status[:3] == ["failed", "running", "cancelled"]
    assert not is_finished(state)
    handle(state, [Finished(1, ok=False)])
    assert is_finished(state)
    assert state.status == ["failed", "killed", "cancelled", "cancelled"]
    assert state.why[0] == "exit code 3"


def test_keep_going_blocks_only_descendants():
    """
    0   3
    |
    1
    |
    2
    """
    state = make(
        [[], [0], [1], []], keep_going=True, limits=ResourceLimits(cpu=1, mem=1000, n_backfill=0)
    )
    assert started(handle(state, [])) == [0]
    assert started(handle(state, [Finished(0, ok=False)])) == [3]
    handle(state, [Finished(3, ok=True)])
    assert is_finished(state)
    assert state.status == ["failed", "blocked", "blocked", "done"]
    assert state.why[2] == "upstream task t0 failed"


def test_retries_back_off_exponentially_then_fail():
    state = make([[]], attempts=[3], retry_backoff=0.5)
    assert handle(state, []) == [Start(0, "normal", 1)]
    assert handle(state, [Finished(0, ok=False)]) == [RetryLater(0, 0.5, 2)]
    assert state.booking.running == 0
    assert not is_finished(state)
    assert handle(state, [RetryDue(0)]) == [Start(0, "normal", 2)]
    assert handle(state, [Finished(0, ok=False)]) == [RetryLater(0, 1.0, 3)]
    assert handle(state, [RetryDue(0)]) == [Start(0, "normal", 3)]
    handle(state, [Finished(0, ok=False)])
    assert state.status == ["failed"]
    assert is_finished(state)


def test_retry_succeeds_and_unlocks_children():
    state = make([[], [0]], attempts=[2, 1], retry_backoff=0)
    handle(state, [])
    handle(state, [Finished(0, ok=False)])
    assert started(handle(state, [RetryDue(0)])) == [0]
    assert started(handle(state, [Finished(0, ok=True)])) == [1]


def test_stop_cancels_retry_waits_and_kills_running():
    state = make([[], [], []], attempts=[2, 1, 1])
    handle(state, [])
    assert started(handle(state, [Finished(0, ok=False)])) == [2]
    assert handle(state, [Stop("SIGINT")]) == [Kill(1), Kill(2)]
    assert handle(state, [RetryDue(0)]) == []
    handle(state, [Finished(1, ok=False), Finished(2, ok=False)])
    assert state.status == ["cancelled", "killed", "killed"]
    assert is_finished(state)


def test_task_finishing_successfully_while_stopping_counts_as_done():
    state = make([[], []])
    handle(state, [])
    handle(state, [Stop()])
    handle(state, [Finished(0, ok=True), Finished(1, ok=False)])
    assert state.status == ["done", "killed"]


def test_cached_tasks_are_not_run_and_unlock_children():
    state = make([[], [0], [1]], cached={0, 1})
    assert started(handle(state, [])) == [2]
    assert state.status[:2] == ["cached", "cached"]


def test_cached_needs_an_all_done_ancestry():
    state = make([[], [0]], cached={1})
    assert started(handle(state, [])) == [0]
    assert state.status[1] == "pending"


def test_estimate_moves_a_ready_task_to_its_new_demand():
    state = make([[]] * 3, keys=[(0, 0, 0), (0, 0, 1), (0, 0, 2)])
    handle(state, [Reestimated(0, Demand(cpu=2, mem=100))])
    # task 0 no longer fits next to anything: 1 and 2 start first
    assert started(handle(state, [])) == []  # already scheduled in the previous call
    assert state.status == ["running", "ready", "ready"]
    state = make([[]] * 3)
    assert started(handle(state, [Reestimated(0, Demand(cpu=2, mem=100))])) == [0]


def test_a_task_larger_than_the_machine_fails_instead_of_hanging():
    state = make([[], [0]], demands=[Demand(cpu=8, mem=1), ONE])
    handle(state, [])
    assert is_finished(state)
    assert state.status == ["failed", "cancelled"]


def test_late_reports_are_ignored():
    state = make([[]])
    handle(state, [])
    handle(state, [Finished(0, ok=True)])
    assert handle(state, [Finished(0, ok=False)]) == []
    assert state.status == ["done"]


# -- invariants over random graphs ----------------------------------------------------------------


@st.composite
def workloads(draw):
    n = draw(st.integers(1, 25))
    needs = [
        sorted(draw(st.sets(st.integers(0, i - 1), max_size=3))) if i else [] for i in range(n)
    ]
    demands = [
        Demand(
            cpu=draw(st.sampled_from([0, 0.5, 1, 2])),
            mem=draw(st.sampled_from([0, 100, 700])),
            semaphore=draw(st.sampled_from([None, None, "a", "b"])),
        )
        for _ in range(n)
    ]
    limits = ResourceLimits(
        cpu=2,
        mem=1000,
        max_jobs=draw(st.integers(1, 4)),
        n_backfill=draw(st.integers(0, 2)),
    )
    fails = draw(st.sets(st.integers(0, n - 1), max_size=3))
    order = draw(st.randoms(use_true_random=False))
    return needs, demands, limits, fails, order


@settings(max_examples=150, deadline=None)
@given(workloads(), st.booleans(), st.integers(1, 3), st.integers(0, 60))
def test_random_runs_with_retries_and_a_stop_always_end_cleanly(
    workload, keep_going, tries, stop_at
):
    """Failures get retried (``tries`` attempts), a Stop arrives at step ``stop_at``."""
    needs, demands, limits, fails, rng = workload
    n = len(needs)
    state = start_state(
        needs, demands, [(0, 0, i) for i in range(n)], [tries] * n, Settings(limits, keep_going)
    )
    events: list = []
    waiting: list[int] = []
    starts = dict.fromkeys(range(n), 0)
    for step in range(20 * n + 20):
        if step == stop_at:
            events.append(Stop("test"))
        for action in handle(state, events):
            if isinstance(action, Start):
                starts[action.task] += 1
                assert action.attempt == starts[action.task] <= tries
            elif isinstance(action, RetryLater):
                waiting.append(action.task)
        _check_booking(state)
        events = []
        if is_finished(state):
            break
        if waiting and (not state.lanes or rng.random() < 0.5):
            events.append(RetryDue(waiting.pop(0)))
            continue
        assert state.lanes, "not finished, nothing runs and no retry is due"
        task = rng.choice(sorted(state.lanes))
        events.append(Finished(task, ok=task not in fails))
    assert is_finished(state)
    terminal = {"done", "failed", "blocked", "cancelled", "killed"}
    assert set(state.status) <= terminal
    assert state.booking.running == 0


def _check_booking(state):
    b, lim = state.booking, state.settings.limits
    eps = 1e-9
    assert b.cpu <= lim.cpu + eps
    assert b.mem <= lim.mem + eps
    assert b.backfill_jobs <= lim.n_backfill
    assert b.running <= lim.max_jobs
    assert b.cpu + b.backfill_cpu <= lim.backfill_factor * lim.cpu + eps
    sems = [state.demands[i].semaphore for i in state.lanes if state.demands[i].semaphore]
    assert len(sems) == len(set(sems))


@settings(max_examples=150, deadline=None)
@given(workloads(), st.booleans())
def test_random_dags_run_each_task_once_in_a_valid_order(workload, keep_going):
    needs, demands, limits, fails, rng = workload
    n = len(needs)
    state = start_state(
        needs, demands, [(0, 0, i) for i in range(n)], [1] * n, Settings(limits, keep_going)
    )
    starts: list[int] = []
    pending_events: list[Finished] = []
    for _ in range(10 * n + 10):
        actions = handle(state, pending_events)
        pending_events = []
        _check_booking(state)
        for action in actions:
            if isinstance(action, Start):
                assert all(state.status[p] == "done" for p in needs[action.task])
                starts.append(action.task)
        if is_finished(state):
            break
        running = sorted(state.lanes)
        assert running, "not finished but nothing runs: the scheduler is stuck"
        task = rng.choice(running)
        pending_events.append(Finished(task, ok=task not in fails))
    assert is_finished(state)
    assert len(starts) == len(set(starts))
    for i, status in enumerate(state.status):
        assert status in {"done", "failed", "blocked", "cancelled", "killed"}
        if status == "done":
            assert i in starts
    if keep_going:
        failed = {i for i, s in enumerate(state.status) if s == "failed"}
        assert failed == {i for i in fails if i in starts}
        blocked = {i for i, s in enumerate(state.status) if s == "blocked"}
        reach = set()
        frontier = list(failed)
        while frontier:
            node = frontier.pop()
            for c in state.children[node]:
                if c not in reach:
                    reach.add(c)
                    frontier.append(c)
        assert blocked == reach
    if not fails & set(starts):
        assert state.status == ["done"] * n


def test_a_large_task_is_not_starved_by_a_stream_of_small_ones():
    """big (2 cores) is blocked by s0 (1 core); 20 small tasks behind it keep one core busy.

    Without a reservation big would wait for all of them; after ``max_overtakes`` starts past
    it, the small ones stop taking the normal lane and big starts as soon as the lane drains.
    """
    n = 22
    demands = [ONE, Demand(cpu=2, mem=100)] + [ONE] * (n - 2)
    state = make([[]] * n, demands=demands, max_overtakes=3)
    assert started(handle(state, [])) == [0, 2]  # big does not fit next to s0: overtaken once
    order = []
    running = [0, 2]
    while 1 not in order:
        done = running.pop(0)
        new = started(handle(state, [Finished(done, ok=True)]))
        order += new
        running += new
    assert order.index(1) <= 4
    assert state.overtaken == {}


def test_a_head_waiting_for_a_semaphore_reserves_nothing():
    sem = Demand(cpu=1, mem=100, semaphore="s")
    state = make([[]] * 6, demands=[sem, sem, ONE, ONE, ONE, ONE], max_overtakes=1)
    assert started(handle(state, [])) == [0, 2]
    assert started(handle(state, [Finished(2, ok=True)])) == [3]
    assert started(handle(state, [Finished(3, ok=True)])) == [4]
