"""The scheduling core: a pure state machine, events in, actions out, no I/O.

Policy
------
A task becomes *ready* when every task it needs is done. Ready tasks are offered the free
resources in policy order (:mod:`~qcflow.runner.policy`: O2DPG's ``(timeframe, -descendants)``
or the critical path): the first one that fits starts, then the next one that fits, and so on;
a task too large for the free resources never blocks smaller ones behind it (no head-of-line
blocking). Fitting means a lane of :mod:`~qcflow.runner.resources` admits its :class:`Demand`
(cpu, mem, semaphore). So that a large task is not starved by a stream of small ones, the best
ready task reserves the normal lane once ``max_overtakes`` lower tasks started past it: lower
tasks then only backfill until it starts.

Ready tasks sit in one heap per distinct demand, so a scheduling pass costs O(number of distinct
demands) per start instead of O(ready tasks): if the best task of a demand does not fit, no other
task of that demand does, and bookings only grow during a pass. The result is the same as walking
the whole ready list in policy order.

A failed task is retried while it has attempts left (``max_attempts``), after an exponential
backoff (``retry_backoff * 2**(attempt-1)``, at most ``max_backoff`` seconds) during which it
books nothing. When it has none left: with ``keep_going`` its descendants are *blocked* and the
rest goes on; without, the run *stops*: every running task is killed and nothing else starts.
A :class:`Stop` event (SIGINT, SIGTERM) stops the run the same way.

State
-----
:class:`State` is plain data: per-task lists indexed by node (``status``, ``waiting_on``: the
number of needs not yet done, ``attempts``), the ready heaps, the :class:`Booking`, and
``why`` (the reason a task failed or never ran). Statuses::

    pending -> ready -> running -> done
                 ^         |-----> retry-wait -> ready
                 |         |-----> failed             (no attempts left)
                 |         +-----> killed             (stopped while running)
    cached (already done: valid completion marker), blocked (a need failed),
    cancelled (the run stopped before it could start)

Events: :class:`Finished` (a task ended; ``ok`` is rc == 0), :class:`RetryDue` (a backoff
elapsed), :class:`Stop`, :class:`Reestimated` (new resource estimate for a task not yet started).
Actions: :class:`Start` (in a lane), :class:`Kill` (its whole process tree), :class:`RetryLater`
(send ``RetryDue`` after ``delay`` seconds). The engine (:mod:`~qcflow.runner.engine`) performs
actions and feeds back events; tests drive :func:`handle` directly. Everything that goes in and
comes out can be recorded and replayed (:mod:`~qcflow.runner.stimuli`, ``--stimulus-log``).

Example
-------
``b`` and ``c`` need ``a``; two cores; every task books one core::

    >>> from qcflow.runner.resources import Demand, ResourceLimits
    >>> state = start_state(needs=[[], [0], [0]], demands=[Demand()] * 3, keys=[(0, 0, 0),
    ...     (0, 0, 1), (0, 0, 2)], max_attempts=[1] * 3,
    ...     settings=Settings(ResourceLimits(cpu=2, mem=4000)))
    >>> handle(state, [])
    [Start(task=0, lane='normal', attempt=1)]
    >>> handle(state, [Finished(0, ok=True)])
    [Start(task=1, lane='normal', attempt=1), Start(task=2, lane='normal', attempt=1)]
    >>> handle(state, [Finished(1, ok=True), Finished(2, ok=True)]), is_finished(state)
    ([], True)
"""

from __future__ import annotations

import heapq
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from qcflow.runner.policy import SortKey
from qcflow.runner.resources import (
    Booking,
    Demand,
    Lane,
    ResourceLimits,
    acquire,
    lane_for,
    release,
)

__all__ = [
    "Action",
    "Event",
    "Finished",
    "Kill",
    "Reestimated",
    "RetryDue",
    "RetryLater",
    "Settings",
    "Start",
    "State",
    "Status",
    "Stop",
    "counts",
    "handle",
    "is_finished",
    "retries_left",
    "start_state",
]

Status = Literal[
    "pending",
    "ready",
    "running",
    "retry-wait",
    "done",
    "cached",
    "failed",
    "blocked",
    "cancelled",
    "killed",
]
_OPEN: frozenset[Status] = frozenset({"pending", "ready", "retry-wait"})


# -- events and actions ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finished:
    """Task ``task`` ended; ``ok`` when its exit code was 0. ``reason`` says why it failed;
    ``rc`` is only carried for the record (the stimulus log): the decision rests on ``ok``."""

    task: int
    ok: bool
    reason: str = ""
    rc: int | None = None


@dataclass(frozen=True, slots=True)
class RetryDue:
    task: int


@dataclass(frozen=True, slots=True)
class Stop:
    reason: str = "interrupted"


@dataclass(frozen=True, slots=True)
class Reestimated:
    """A better resource estimate for a task that has not started (``--dynamic-resources``)."""

    task: int
    demand: Demand


@dataclass(frozen=True, slots=True)
class Start:
    task: int
    lane: Lane
    attempt: int


@dataclass(frozen=True, slots=True)
class Kill:
    task: int


@dataclass(frozen=True, slots=True)
class RetryLater:
    task: int
    delay: float
    attempt: int


Event: TypeAlias = Finished | RetryDue | Stop | Reestimated
Action: TypeAlias = Start | Kill | RetryLater


# -- state ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Settings:
    limits: ResourceLimits
    keep_going: bool = False
    retry_backoff: float = 1.0
    max_backoff: float = 60.0
    #: Lower tasks that may start past a blocked head before it reserves the normal lane.
    max_overtakes: int = 16


@dataclass
class State:
    needs: list[list[int]]
    children: list[list[int]]
    demands: list[Demand]
    keys: list[SortKey]
    max_attempts: list[int]
    settings: Settings
    status: list[Status]
    waiting_on: list[int]
    attempts: list[int]
    ready: dict[Demand, list[tuple[SortKey, int]]] = field(default_factory=dict)
    lanes: dict[int, Lane] = field(default_factory=dict)
    booking: Booking = field(default_factory=Booking)
    why: dict[int, str] = field(default_factory=dict)
    retrying: set[int] = field(default_factory=set)
    #: How many lower tasks started past each blocked head task.
    overtaken: dict[int, int] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    stopping: bool = False
    stop_reason: str = ""


def start_state(
    needs: Sequence[Sequence[int]],
    demands: Sequence[Demand],
    keys: Sequence[SortKey],
    max_attempts: Sequence[int],
    settings: Settings,
    cached: Iterable[int] = (),
    names: Sequence[str] = (),
) -> State:
    """The state before anything ran; ``cached`` tasks count as done (their needs must be too)."""
    n = len(needs)
    children: list[list[int]] = [[] for _ in range(n)]
    for i, parents in enumerate(needs):
        for p in parents:
            children[p].append(i)
    state = State(
        needs=[list(p) for p in needs],
        children=children,
        demands=list(demands),
        keys=list(keys),
        max_attempts=list(max_attempts),
        settings=settings,
        status=["pending"] * n,
        waiting_on=[len(p) for p in needs],
        attempts=[0] * n,
        names=list(names) or [str(i) for i in range(n)],
    )
    done = set(cached)
    for i in _topological(state):
        if i in done and state.waiting_on[i] == 0:
            state.status[i] = "cached"
            for c in children[i]:
                state.waiting_on[c] -= 1
    for i in range(n):
        if state.status[i] == "pending" and state.waiting_on[i] == 0:
            _make_ready(state, i)
    return state


def _topological(state: State) -> list[int]:
    indegree = [len(p) for p in state.needs]
    queue = deque(i for i, d in enumerate(indegree) if d == 0)
    order: list[int] = []
    while queue:
        i = queue.popleft()
        order.append(i)
        for c in state.children[i]:
            indegree[c] -= 1
            if indegree[c] == 0:
                queue.append(c)
    return order


def is_finished(state: State) -> bool:
    """Nothing runs, nothing waits for a retry, and nothing more will start."""
    if state.lanes or state.retrying:
        return False
    return state.stopping or not state.ready


def counts(state: State) -> Counter[Status]:
    return Counter(state.status)


# -- transitions ----------------------------------------------------------------------------------


def handle(state: State, events: Iterable[Event]) -> list[Action]:
    """Apply ``events`` in order, then start whatever fits; return what the engine must do."""
    actions: list[Action] = []
    for event in events:
        if isinstance(event, Finished):
            actions += finish_task(state, event)
        elif isinstance(event, RetryDue):
            if state.status[event.task] == "retry-wait" and not state.stopping:
                state.retrying.discard(event.task)
                _make_ready(state, event.task)
        elif isinstance(event, Stop):
            actions += stop(state, event.reason)
        else:
            update_demand(state, event.task, event.demand)
    if not state.stopping:
        actions += schedule(state)
    return actions


def finish_task(state: State, event: Finished) -> list[Action]:
    """Book out a task that ended and decide: done, retry, or fail."""
    i = event.task
    if state.status[i] != "running":
        return []  # a late or duplicate report
    release(state.booking, state.demands[i], state.lanes.pop(i))
    if event.ok:
        state.status[i] = "done"
        for c in state.children[i]:
            state.waiting_on[c] -= 1
            if state.waiting_on[c] == 0 and state.status[c] == "pending":
                _make_ready(state, c)
        return []
    if state.stopping:
        state.status[i] = "killed"
        state.why[i] = event.reason or state.stop_reason
        return []
    if retries_left(state, i):
        state.status[i] = "retry-wait"
        state.retrying.add(i)
        delay = _backoff(state.settings, state.attempts[i])
        return [RetryLater(i, delay, state.attempts[i] + 1)]
    return fail(state, i, event.reason or "failed")


def retries_left(state: State, i: int) -> bool:
    """Whether a failure of running task ``i`` reported now would be retried."""
    return not state.stopping and state.attempts[i] < state.max_attempts[i]


def _backoff(settings: Settings, attempts_made: int) -> float:
    return float(min(settings.retry_backoff * 2 ** (attempts_made - 1), settings.max_backoff))


def fail(state: State, i: int, reason: str) -> list[Action]:
    """Mark ``i`` failed; block its descendants (``keep_going``) or stop the run."""
    state.status[i] = "failed"
    state.why[i] = reason
    if not state.settings.keep_going:
        return stop(state, f"task {state.names[i]} failed")
    queue = deque(state.children[i])
    while queue:
        c = queue.popleft()
        if state.status[c] == "pending":
            state.status[c] = "blocked"
            state.why[c] = f"upstream task {state.names[i]} failed"
            queue.extend(state.children[c])
    return []


def stop(state: State, reason: str) -> list[Action]:
    """Start nothing more, cancel what waits, kill what runs."""
    if state.stopping:
        return []
    state.stopping = True
    state.stop_reason = reason
    state.ready.clear()
    state.retrying.clear()
    for i, status in enumerate(state.status):
        if status in _OPEN:
            state.status[i] = "cancelled"
            state.why[i] = reason
    return [Kill(i) for i in sorted(state.lanes)]


def update_demand(state: State, i: int, demand: Demand) -> None:
    """Replace the demand of a task that has not started yet."""
    status = state.status[i]
    if status not in _OPEN or demand == state.demands[i]:
        return
    if status == "ready":
        heap = state.ready[state.demands[i]]
        heap.remove((state.keys[i], i))
        heapq.heapify(heap)
        if not heap:
            del state.ready[state.demands[i]]
        state.demands[i] = demand
        _push(state, i)
    else:
        state.demands[i] = demand


def schedule(state: State) -> list[Action]:
    """Start the best ready task that fits, again and again, until none fits."""
    actions: list[Action] = []
    booking, limits = state.booking, state.settings.limits
    while state.ready and booking.running < limits.max_jobs:
        choice = _choose(state)
        if choice is None:
            break
        demand, lane = choice
        i = _pop(state, demand)
        state.overtaken.pop(i, None)
        acquire(booking, demand, lane)
        state.lanes[i] = lane
        state.status[i] = "running"
        state.attempts[i] += 1
        actions.append(Start(i, lane, state.attempts[i]))
    if not state.lanes and state.ready:
        actions += _fail_unfittable(state)
    return actions


def _choose(state: State) -> tuple[Demand, Lane] | None:
    """The demand whose best task starts next, and its lane; counts overtakes of the head.

    The head (best ready task overall) is *overtaken* when a lower task starts because the head
    does not fit. After ``max_overtakes`` of those the head holds a reservation: lower tasks may
    only use the backfill lane until it starts, so the normal lane drains for it and a large
    task is not starved by a stream of small ones. A head waiting for a semaphore reserves
    nothing (cpu and memory would not help it).
    """
    booking, limits = state.booking, state.settings.limits
    head_key, head_demand = min((heap[0][0], d) for d, heap in state.ready.items())
    head = state.ready[head_demand][0][1]
    sem = head_demand.semaphore
    waits_for_sem = sem is not None and sem in booking.semaphores
    reserved = not waits_for_sem and state.overtaken.get(head, 0) >= state.settings.max_overtakes
    best: tuple[SortKey, Demand, Lane] | None = None
    for demand, heap in state.ready.items():
        allow_normal = not reserved or demand == head_demand
        lane = lane_for(booking, limits, demand, allow_normal=allow_normal)
        if lane is not None and (best is None or heap[0][0] < best[0]):
            best = (heap[0][0], demand, lane)
    if best is None:
        return None
    if best[0] != head_key and not waits_for_sem:
        state.overtaken[head] = state.overtaken.get(head, 0) + 1
    return best[1], best[2]


def _fail_unfittable(state: State) -> list[Action]:
    """Ready tasks that do not fit an idle machine can never start (validation prevents it)."""
    stuck = sorted(i for heap in state.ready.values() for _, i in heap)
    state.ready.clear()
    actions: list[Action] = []
    for i in stuck:
        actions += fail(state, i, "needs more cpu or memory than the limits allow")
    return actions


def _make_ready(state: State, i: int) -> None:
    state.status[i] = "ready"
    _push(state, i)


def _push(state: State, i: int) -> None:
    heapq.heappush(state.ready.setdefault(state.demands[i], []), (state.keys[i], i))


def _pop(state: State, demand: Demand) -> int:
    heap = state.ready[demand]
    _, i = heapq.heappop(heap)
    if not heap:
        del state.ready[demand]
    return i
