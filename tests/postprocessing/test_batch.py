"""Batch reduction: small objects are reduced in this process, big ones in worker processes,
with the same values either way."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from qcflow.objects.activity import Activity
from qcflow.postprocessing.reduction.batch import Reducer, ReduceRequest
from qcflow.postprocessing.reduction.reductors import Reductor, TH1Reductor
from qcflow.qcdb.local import LocalRepository

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
