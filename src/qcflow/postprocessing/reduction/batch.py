"""Batch reduction: fetch many objects concurrently, decode and reduce them in worker processes.

:class:`Reducer` fetches from a remote QCDB with a pool of :data:`FETCH_THREADS` threads kept
for the whole run (the HTTP client is thread-safe; waiting on the network releases the GIL),
:data:`AHEAD` chunks ahead of the one being reduced, so the server answers the next requests
while this process decodes (on two cores: server and client overlap instead of taking turns),
and decodes + reduces big objects in a process pool, sending back only the
few numbers each reductor returns. A chunk of small objects (under :data:`WORKER_BYTES` in all:
histograms of a few hundred bins, read directly in ~0.1 ms each) is reduced in this process:
sending it to a worker and back would cost more than decoding it. Small batches, and
``parallel=False`` (the engine's ``--no-IPC``), run in this process, serially.

Workers are started by ``fork`` on Python < 3.12 (cheapest: they inherit the imported modules)
and ``forkserver`` afterwards (forking a process with threads is deprecated there). Reductors
and their results must be picklable; a reductor that is not (a class defined inside a function)
makes the batch run serially.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import sys
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from qcflow._types import TimestampMs
from qcflow.errors import QcflowError
from qcflow.objects.codec import decode
from qcflow.objects.metadata import OBJECT_TYPE
from qcflow.postprocessing.reduction.reductors import Reductor

if TYPE_CHECKING:
    from qcflow.qcdb.model import ObjectInfo
    from qcflow.qcdb.repository import Fetched, Repository

__all__ = ["ReduceRequest", "ReduceResult", "Reducer"]

T = TypeVar("T")

#: Below this many objects a process pool costs more than it saves.
PARALLEL_THRESHOLD = 48
#: Objects fetched, then sent to a worker, at a time.
CHUNK = 64
#: Concurrent requests to a remote QCDB (more only add GIL contention on a 2-core machine).
FETCH_THREADS = 4
#: Chunks whose fetching is under way while the current one is reduced.
AHEAD = 2
#: A chunk whose objects hold fewer bytes than this is reduced in this process.
WORKER_BYTES = 1 << 20


@dataclass(frozen=True)
class ReduceRequest:
    """Reduce the object a CCDB ``GET`` of ``path`` at ``timestamp`` with ``filters`` returns.

    ``source_type`` is the data source's type: ``repository`` and ``repository-quality`` read
    the task's source repository, ``condition`` the condition DB.
    """

    source_type: str
    path: str
    timestamp: TimestampMs
    reductor: Reductor
    filters: Mapping[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        shown = ", ".join(f"{k}={v}" for k, v in self.filters.items()) or "no filters"
        return f"{self.path} at {self.timestamp} ({shown})"


@dataclass(frozen=True)
class ReduceResult:
    """The reductor's values, or None with the reason (``problem``)."""

    values: Mapping[str, Any] | None
    info: ObjectInfo | None = None
    problem: str = ""


def _reduce_one(
    data: bytes, info: ObjectInfo, reductor: Reductor, fetched: Fetched
) -> tuple[Any, str]:
    try:
        obj = fetched if reductor.source == "condition" else decode(data, info)
    except QcflowError as err:
        return None, f"cannot decode it: {err}"
    values = reductor.reduce(obj)
    if values is None:
        kind = info.metadata.get(OBJECT_TYPE) or type(obj).__name__
        return None, f"{type(reductor).__name__} cannot reduce a {kind}"
    return dict(values), ""


def _reduce_chunk(items: list[tuple[Fetched, Reductor]]) -> list[tuple[Any, str]]:
    return [_reduce_one(f.data, f.info, r, f) for f, r in items]


def _context() -> Any:
    method = "fork" if sys.version_info < (3, 12) else "forkserver"
    return multiprocessing.get_context(method)


class Reducer:
    """Fetches and reduces batches of objects; owns the worker processes."""

    def __init__(
        self, *, parallel: bool = True, workers: int | None = None, worker_bytes: int = WORKER_BYTES
    ) -> None:
        self.parallel = parallel
        self.workers = workers or min(os.cpu_count() or 1, 8)
        self.worker_bytes = worker_bytes
        self._pool: Executor | None = None
        self._fetchers: ThreadPoolExecutor | None = None

    def _executor(self) -> Executor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=_context())
        return self._pool

    def run(
        self,
        requests: Sequence[ReduceRequest],
        source: Repository,
        conditions: Callable[[], Repository],
    ) -> list[ReduceResult]:
        """One result per request, in order.

        In parallel mode the batch goes in chunks: while one chunk is reduced (here or in the
        workers), the next :data:`AHEAD` are being fetched, so waiting on the QCDB overlaps
        with decoding.
        """
        parallel = self.parallel and len(requests) >= PARALLEL_THRESHOLD
        if parallel and not _picklable([r.reductor for r in requests]):
            parallel = False
        if not parallel:
            fetched = self._fetch(requests, source, conditions)
            return _results(fetched, _reduce_chunk(_pairs(requests, fetched)))
        pending: list[tuple[list[Fetched | None], Future[list[tuple[Any, str]]]]] = []
        parts = [requests[start : start + CHUNK] for start in range(0, len(requests), CHUNK)]
        ahead = deque(self._start_fetch(part, source, conditions) for part in parts[:AHEAD])
        current: list[Future[Fetched | None]] = []

        def quiet() -> None:
            # The worker processes are forked when first needed: not while a fetch thread is
            # inside a request (a child would inherit its locks and sockets mid-use).
            wait([future for futures in ahead for future in futures])

        try:
            for index, part in enumerate(parts):
                current = ahead.popleft()
                fetched = [future.result() for future in current]
                if index + AHEAD < len(parts):
                    ahead.append(self._start_fetch(parts[index + AHEAD], source, conditions))
                pending.append(self._reduce_part(part, fetched, quiet))
        finally:
            for futures in (current, *ahead):  # an error: the fetches left are not needed
                for future in futures:
                    future.cancel()
        return [
            result for fetched, future in pending for result in _results(fetched, future.result())
        ]

    def _reduce_part(
        self,
        part: Sequence[ReduceRequest],
        fetched: list[Fetched | None],
        before_fork: Callable[[], None],
    ) -> tuple[list[Fetched | None], Future[list[tuple[Any, str]]]]:
        """Reduce one fetched chunk: in a worker process when it is big, else here, now
        (``before_fork`` runs first when the worker processes do not exist yet)."""
        pairs = _pairs(part, fetched)
        if sum(len(f.data) for f, _ in pairs) >= self.worker_bytes:
            if self._pool is None:
                before_fork()
            return fetched, self._executor().submit(_reduce_chunk, pairs)
        here: Future[list[tuple[Any, str]]] = Future()
        here.set_result(_reduce_chunk(pairs))
        return fetched, here

    def _start_fetch(
        self,
        part: Sequence[ReduceRequest],
        source: Repository,
        conditions: Callable[[], Repository],
    ) -> list[Future[Fetched | None]]:
        """The fetches of ``part``: queued on the fetch threads for a remote QCDB in parallel
        mode, done here at once otherwise (see :meth:`_fetch_workers`)."""
        from qcflow.qcdb.query import Query
        from qcflow.qcdb.repository import fetch_one

        futures: list[Future[Fetched | None]] = []
        condition_db: Repository | None = None
        for request in part:
            repo = source
            if request.source_type == "condition":
                condition_db = repo = condition_db or conditions()
            query = Query(request.path, request.timestamp, dict(request.filters))
            if self._fetch_workers(repo) > 1:
                if self._fetchers is None:
                    self._fetchers = ThreadPoolExecutor(FETCH_THREADS, "qcflow-fetch")
                futures.append(self._fetchers.submit(fetch_one, repo, query))
                continue
            done: Future[Fetched | None] = Future()
            done.set_result(fetch_one(repo, query))
            futures.append(done)
        return futures

    def _fetch(
        self,
        requests: Sequence[ReduceRequest],
        source: Repository,
        conditions: Callable[[], Repository],
    ) -> list[Fetched | None]:
        """The objects of ``requests``, in order (None where nothing matches)."""
        futures = self._start_fetch(requests, source, conditions)
        try:
            return [future.result() for future in futures]
        finally:
            for future in futures:  # an error: the fetches left are not needed
                future.cancel()

    def _fetch_workers(self, repo: Repository) -> int:
        """Threads help a remote store (waiting on the network); the embedded store is faster
        read from one thread (SQLite and the GIL)."""
        if not self.parallel:
            return 1
        return FETCH_THREADS if repo.url.startswith(("http://", "https://")) else 1

    def map(self, function: Callable[[Any], T], items: Sequence[Any]) -> list[T]:
        """``function`` applied to each item, in worker processes when running in parallel
        (``function`` and the items must be picklable; drawing plots is the use)."""
        if not self.parallel or len(items) < 2:
            return [function(item) for item in items]
        return list(self._executor().map(function, items))

    def close(self) -> None:
        if self._fetchers is not None:
            self._fetchers.shutdown(wait=True, cancel_futures=True)
            self._fetchers = None
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _pairs(
    requests: Sequence[ReduceRequest], fetched: list[Fetched | None]
) -> list[tuple[Fetched, Reductor]]:
    return [(f, r.reductor) for f, r in zip(fetched, requests, strict=True) if f is not None]


def _results(fetched: list[Fetched | None], outcomes: list[tuple[Any, str]]) -> list[ReduceResult]:
    reduced = iter(outcomes)
    results = []
    for found in fetched:
        if found is None:
            results.append(ReduceResult(None, None, "no such object"))
            continue
        values, problem = next(reduced)
        results.append(ReduceResult(values, found.info, problem))
    return results


def _picklable(reductors: list[Reductor]) -> bool:
    unique = {id(r): r for r in reductors}
    try:
        pickle.dumps(list(unique.values()))
    except (pickle.PicklingError, AttributeError, TypeError):
        return False
    return True
