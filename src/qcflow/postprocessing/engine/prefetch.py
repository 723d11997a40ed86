"""Reducing the inputs of upcoming updates in one batch: what makes trending thousands of runs fast.

A trending task asks, for each update, the reduced values of each of its sources. At the first
update of a ``foreach*`` sequence the :class:`Prefetcher` asks the trigger for the next
``PREFETCH`` firings (``services.lookahead``), builds every request they need and hands them to
:meth:`~.services.Services.reduce_many` at once (fetched concurrently, reduced in worker
processes); later updates find their results waiting.

::

    prefetcher = Prefetcher(lambda trigger: [ReduceRequest(...), ...])
    results = prefetcher.results(trigger, services)   # one ReduceResult per request, in order
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qcflow.postprocessing.engine.services import Services
from qcflow.postprocessing.reduction.batch import ReduceRequest, ReduceResult
from qcflow.postprocessing.triggers.trigger import Trigger

__all__ = ["PREFETCH", "Prefetcher", "trigger_key"]

#: How many upcoming firings are fetched and reduced in one batch.
PREFETCH = 1024

TriggerKey = tuple[Any, ...]


def trigger_key(trigger: Trigger) -> TriggerKey:
    """What identifies a firing: timestamp, activity and extra filters."""
    return (trigger.timestamp, trigger.activity.key, tuple(sorted(trigger.metadata.items())))


class Prefetcher:
    """Results of ``requests(trigger)`` for each trigger, computed in batches ahead of time."""

    def __init__(self, requests: Callable[[Trigger], list[ReduceRequest]]) -> None:
        self.requests = requests
        self._done: dict[TriggerKey, list[ReduceResult]] = {}

    def clear(self) -> None:
        self._done.clear()

    def results(self, trigger: Trigger, services: Services) -> list[ReduceResult]:
        """One result per request of ``trigger``, in order."""
        key = trigger_key(trigger)
        if key not in self._done:
            self._batch([trigger, *services.lookahead(PREFETCH)], services)
        return self._done.pop(key)

    def _batch(self, triggers: list[Trigger], services: Services) -> None:
        wanted: dict[TriggerKey, list[ReduceRequest]] = {}
        for trigger in triggers:
            key = trigger_key(trigger)
            if key not in self._done and key not in wanted:
                wanted[key] = self.requests(trigger)
        results = iter(services.reduce_many([r for rs in wanted.values() for r in rs]))
        for key, requests in wanted.items():
            self._done[key] = [next(results) for _ in requests]
