"""On the Dask scheduler: Dask's own retries are off while qcflow runs, and always come back.

By default a Dask scheduler re-runs a task whose worker died up to ``allowed-failures`` times
before reporting it: re-runs qcflow would not see (not counted, racing its own retry). While a
qcflow client runs, the scheduler's ``allowed_failures`` is 0. When the last qcflow client
leaves, whether it closes or dies (a runner killed with SIGKILL: the scheduler drops its
connection), the scheduler's own value comes back. The state lives in a scheduler plugin, in
the scheduler's process; :func:`hold` and :func:`release` run there through
``Client.run_on_scheduler`` (so the scheduler must import qcflow).
"""

from __future__ import annotations

from typing import Any

from distributed.diagnostics.plugin import SchedulerPlugin

__all__ = ["RetriesOff", "hold", "release"]


class RetriesOff(SchedulerPlugin):
    """Keeps ``allowed_failures`` at 0 while any qcflow client holds it."""

    name = "qcflow-retries-off"

    def __init__(self, scheduler: Any) -> None:
        self.scheduler = scheduler
        self.own = int(scheduler.allowed_failures)
        self.clients: set[str] = set()

    def hold(self, client: str) -> None:
        if not self.clients:  # nobody holds it: what is set now is the scheduler's own
            self.own = int(self.scheduler.allowed_failures)
        self.clients.add(client)
        self.scheduler.allowed_failures = 0

    def release(self, client: str) -> None:
        if client not in self.clients:
            return
        self.clients.discard(client)
        if not self.clients:
            self.scheduler.allowed_failures = self.own

    def remove_client(self, scheduler: Any, client: str) -> None:
        self.release(client)  # a runner that died gives the setting back too


def hold(client: str, dask_scheduler: Any = None) -> int:
    """Set ``allowed_failures`` to 0 for ``client``'s run; return the scheduler's own value."""
    plugin = dask_scheduler.plugins.get(RetriesOff.name)
    if not isinstance(plugin, RetriesOff):
        plugin = RetriesOff(dask_scheduler)
        dask_scheduler.add_plugin(plugin, name=RetriesOff.name)
    plugin.hold(client)
    return plugin.own


def release(client: str, dask_scheduler: Any = None) -> None:
    """``client``'s run is over: the last one to end gives the scheduler its value back."""
    plugin = dask_scheduler.plugins.get(RetriesOff.name)
    if isinstance(plugin, RetriesOff):
        plugin.release(client)
