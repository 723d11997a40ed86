"""Batch reduction: small objects are reduced in this process, big ones in worker processes,
with the same values either way."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any, ClassVar, cast

import numpy as np

from qcflow.objects.activity import Activity
from qcflow.postprocessing.reduction.batch import CHUNK, FETCH_THREADS, Reducer, ReduceRequest
from qcflow.postprocessing.reduction.reductors import Reductor, TH1Reductor
from qcflow.qcdb.client import HttpRepository
from qcflow.qcdb.local import LocalRepository
from tests._wait import DEADLINE
from tests.qcdb.conftest import running_server

from .conftest import put_th1

HOUR = 3_600_000
T0 = 1_714_521_600_000
RUNS = 60  # more than PARALLEL_THRESHOLD: a batch the pool would take


class ProcessReductor(Reductor):
    """Which process reduced the object (module level: picklable for the workers)."""

    fields: ClassVar[Mapping[str, str]] = {"pid": "i8"}

    def reduce(self, obj: Any) -> Mapping[str, int]:
        return {"pid": os.getpid()}


def _requests(repo: LocalRepository, reductor: Reductor) -> list[ReduceRequest]:
    rng = np.random.default_rng(3)
    requests = []
    for run in range(RUNS):
        activity = Activity(number=run + 1, period_name="LHC24ab", pass_name="apass1")
        start = T0 + run * HOUR
        put_th1(repo, "qc_async/TST/h", rng.normal(0.1, 0.3, 500), activity, start, start + HOUR)
        requests.append(ReduceRequest("repository", "qc_async/TST/h", start + 1, reductor))
    return requests


def _run(repo: LocalRepository, requests: list[ReduceRequest], **options: Any) -> list[Any]:
    reducer = Reducer(parallel=True, workers=2, **options)
    try:
        return [r.values for r in reducer.run(requests, repo, lambda: repo)]
    finally:
        reducer.close()


def test_small_objects_are_reduced_here_without_worker_processes(repo: LocalRepository) -> None:
    """Decoding a small histogram costs less than sending it to a worker and back."""
    values = _run(repo, _requests(repo, ProcessReductor()))
    assert values == [{"pid": os.getpid()}] * RUNS


def test_big_chunks_go_to_the_workers_with_the_same_values(repo: LocalRepository) -> None:
    requests = _requests(repo, ProcessReductor())
    pids = {v["pid"] for v in _run(repo, requests, worker_bytes=0)}
    assert os.getpid() not in pids
    reduced = [ReduceRequest(r.source_type, r.path, r.timestamp, TH1Reductor()) for r in requests]
    in_workers = _run(repo, reduced, worker_bytes=0)
    here = _run(repo, reduced)
    assert in_workers == here
    assert all(v is not None and v["entries"] == 500 for v in here)


#: Set once a fetch of the second chunk has begun.
_SECOND_CHUNK = threading.Event()
#: Set by the first reduction.
_WAITED = threading.Event()


class WaitingReductor(TH1Reductor):
    """TH1Reductor whose first reduction waits until the second chunk is being fetched (it
    never is with fetches done chunk by chunk: then it gives up after DEADLINE)."""

    def reduce(self, obj: Any) -> Mapping[str, Any] | None:
        if _WAITED.is_set():  # only the first waits (reductions here run one at a time)
            overlapped = _SECOND_CHUNK.is_set()
        else:
            _WAITED.set()
            overlapped = _SECOND_CHUNK.wait(DEADLINE)
        values = super().reduce(obj)
        return None if values is None else {**values, "overlapped": overlapped}


class Recording:
    """A repository that notes which threads fetch and how many fetches run at once."""

    def __init__(self, inner: HttpRepository) -> None:
        self.inner = inner
        self.url = inner.url
        self.threads: set[str] = set()
        self.started = 0
        self.in_flight = 0
        self.most_in_flight = 0
        self._lock = threading.Lock()

    def get(self, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            self.threads.add(threading.current_thread().name)
            self.started += 1
            if self.started > CHUNK:
                _SECOND_CHUNK.set()
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            return self.inner.get(*args, **kwargs)
        finally:
            with self._lock:
                self.in_flight -= 1


def test_remote_fetches_use_one_bounded_thread_pool_with_the_serial_values(
    repo: LocalRepository,
) -> None:
    """Through a server, a batch of several chunks is fetched by FETCH_THREADS threads kept for
    the whole batch, never more at once, the next chunk while this one is reduced, with
    --no-IPC's values."""
    plain = [
        ReduceRequest(r.source_type, r.path, r.timestamp, TH1Reductor())
        for r in _requests(repo, ProcessReductor())
    ]
    plain *= 3  # 180 requests: two chunks of CHUNK and a part
    plain.append(ReduceRequest("repository", "qc_async/TST/h", T0 - HOUR, TH1Reductor()))
    waiting = WaitingReductor()
    requests = [ReduceRequest(r.source_type, r.path, r.timestamp, waiting) for r in plain]
    assert len(requests) > 2 * CHUNK
    _SECOND_CHUNK.clear()
    _WAITED.clear()
    with running_server(repo) as url:
        client = HttpRepository(url)
        recording = Recording(client)
        reducer = Reducer(parallel=True, workers=2)
        try:
            results = reducer.run(requests, cast("Any", recording), lambda: repo)
        finally:
            reducer.close()
        serial = Reducer(parallel=False).run(plain, client, lambda: repo)
        client.close()
    assert results[0].values is not None and results[0].values["overlapped"]
    values = [{k: v for k, v in (r.values or {}).items() if k != "overlapped"} for r in results]
    assert values == [r.values or {} for r in serial]
    assert results[-1].values is None and results[-1].problem == "no such object"
    assert all(r.values is not None and r.values["entries"] == 500 for r in results[:-1])
    assert threading.current_thread().name not in recording.threads
    assert len(recording.threads) <= FETCH_THREADS  # one pool for the batch, not one per chunk
    assert recording.most_in_flight <= FETCH_THREADS


def test_no_ipc_fetches_from_a_server_serially_in_this_thread(repo: LocalRepository) -> None:
    """--no-IPC (parallel=False): no fetch threads, even through a server."""
    requests = [
        ReduceRequest(r.source_type, r.path, r.timestamp, TH1Reductor())
        for r in _requests(repo, ProcessReductor())
    ]
    with running_server(repo) as url:
        client = HttpRepository(url)
        recording = Recording(client)
        results = Reducer(parallel=False).run(requests, cast("Any", recording), lambda: repo)
        client.close()
    assert recording.threads == {threading.current_thread().name}
    assert recording.most_in_flight == 1
    assert all(r.values is not None and r.values["entries"] == 500 for r in results)


_AT_FORK: list[int] = []
_WATCHED: list[Recording] = []


def _before_fork() -> None:
    if _WATCHED:
        _AT_FORK.append(_WATCHED[0].in_flight)


os.register_at_fork(before=_before_fork)


class SlowRecording(Recording):
    """Each read takes a while: fetches are surely in flight whenever any are queued."""

    def get(self, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            self.in_flight += 1
        try:
            threading.Event().wait(0.02)
        finally:
            with self._lock:
                self.in_flight -= 1
        return super().get(*args, **kwargs)


def test_worker_processes_are_never_forked_while_a_fetch_is_in_flight(
    repo: LocalRepository,
) -> None:
    """A forked worker inherits the parent's threads' locks and sockets as they are: the pool
    starts its processes only when no fetch thread is inside a request."""
    requests = [
        ReduceRequest(r.source_type, r.path, r.timestamp, TH1Reductor())
        for r in _requests(repo, ProcessReductor())
    ] * 3
    with running_server(repo) as url:
        client = HttpRepository(url)
        recording = SlowRecording(client)
        reducer = Reducer(parallel=True, workers=2, worker_bytes=0)
        _AT_FORK.clear()
        _WATCHED.append(recording)
        try:
            results = reducer.run(requests, cast("Any", recording), lambda: repo)
        finally:
            _WATCHED.clear()
            reducer.close()
            client.close()
    assert all(r.values is not None and r.values["entries"] == 500 for r in results)
    assert _AT_FORK, "the batch used no worker process"
    assert _AT_FORK == [0] * len(_AT_FORK)
