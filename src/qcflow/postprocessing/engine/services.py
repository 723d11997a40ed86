"""What a task may use while it runs: reading the QCDB the way QC does, fast batch reduction,
and a look at the triggers to come.

Retrieval (``CcdbDatabase::retrieveMO``/``retrieveQO`` semantics):

- :meth:`Services.retrieve_mo` -- ``<provenance>/<path>/<name>`` valid at ``timestamp`` whose
  metadata match the activity's non-wildcard fields (``RunType``, ``RunNumber``, ``PassName``,
  ``PeriodName``) and any extra filters (``CycleNumber`` from ``foreachobject``); the most
  recently created wins. Returns a :class:`Retrieved` (record + decoded object) or None.
- :meth:`Services.retrieve_qo` -- the same for a quality object at ``<provenance>/<path>``.
- :meth:`Services.retrieve_condition` -- ``<path>`` as is in the condition DB.
- :meth:`Services.retrieve_latest` -- the newest version matching the activity (QC's
  "Latest": list, then get at its ``Valid-From``).

Batch reduction (:meth:`Services.reduce_many`, see :mod:`..reduction.batch`): many (query, reductor)
pairs fetched concurrently and decoded and reduced in worker processes -- unless the engine runs
with ``--no-IPC``, which keeps everything in this process, serially.

``lookahead(n)`` returns the next ``n`` firings of the update trigger that fired last, when they
are known (``foreach*``), so a task can prefetch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qcflow._types import TimestampMs
from qcflow.errors import NotFound
from qcflow.objects.activity import Activity
from qcflow.objects.codec import decode
from qcflow.postprocessing.reduction.batch import Reducer, ReduceRequest, ReduceResult
from qcflow.postprocessing.triggers.trigger import Trigger

if TYPE_CHECKING:
    from qcflow.qcdb.model import ObjectInfo
    from qcflow.qcdb.repository import Repository

__all__ = ["Retrieved", "Services"]

log = logging.getLogger("qcflow.qc")


@dataclass(frozen=True)
class Retrieved:
    """An object read from a repository: where from, its record, its decoded value."""

    path: str
    info: ObjectInfo
    obj: Any

    @property
    def activity(self) -> Activity:
        provenance = self.path.split("/", 1)[0]
        meta = self.info.metadata
        return Activity.from_metadata(meta, provenance, self.info.valid_from, self.info.valid_until)


class Services:
    """Repositories and helpers for one task (see the module docstring)."""

    def __init__(
        self,
        *,
        source: Callable[[], Repository],
        destination: Callable[[], Repository],
        conditions: Callable[[], Repository],
        reducer: Reducer | None = None,
    ) -> None:
        self._source = source
        self._destination = destination
        self._conditions = conditions
        self.reducer = reducer or Reducer(parallel=False)
        self.lookahead: Callable[[int], list[Trigger]] = lambda _limit: []

    @property
    def source(self) -> Repository:
        """Where inputs are read (``sourceRepo`` or ``qc.config.database``)."""
        return self._source()

    @property
    def destination(self) -> Repository:
        """Where the task's objects are stored (``qc.config.database``)."""
        return self._destination()

    @property
    def conditions(self) -> Repository:
        """The condition DB (``qc.config.conditionDB.url``)."""
        return self._conditions()

    def _get(
        self, repo: Repository, path: str, timestamp: TimestampMs | None, filters: Mapping[str, str]
    ) -> Retrieved | None:
        try:
            fetched = repo.get(path, timestamp, filters)
        except NotFound:
            return None
        return Retrieved(path, fetched.info, decode(fetched.data, fetched.info))

    def retrieve_mo(
        self,
        path: str,
        name: str,
        timestamp: TimestampMs,
        activity: Activity,
        metadata: Mapping[str, str] | None = None,
    ) -> Retrieved | None:
        full = f"{activity.provenance}/{path}/{name}"
        return self._get(self.source, full, timestamp, {**activity.filters(), **(metadata or {})})

    def retrieve_qo(
        self,
        path: str,
        timestamp: TimestampMs,
        activity: Activity,
        metadata: Mapping[str, str] | None = None,
    ) -> Retrieved | None:
        full = f"{activity.provenance}/{path}"
        return self._get(self.source, full, timestamp, {**activity.filters(), **(metadata or {})})

    def retrieve_condition(self, path: str, timestamp: TimestampMs) -> Retrieved | None:
        return self._get(self.conditions, path, timestamp, {})

    def retrieve_latest(
        self, path: str, activity: Activity, repository: Repository | None = None
    ) -> Retrieved | None:
        """The newest version of ``<provenance>/<path>`` matching the activity."""
        repo = repository or self.source
        full = f"{activity.provenance}/{path}"
        listing = [i for i in repo.latest(full, activity.filters()) if i.path == full]
        if not listing:
            return None
        return self._get(repo, full, listing[0].valid_from, activity.filters())

    def reduce_many(self, requests: Sequence[ReduceRequest]) -> list[ReduceResult]:
        """Fetch, decode and reduce many objects at once, in order."""
        return self.reducer.run(requests, self.source, self._conditions)

    def close(self) -> None:
        self.reducer.close()
