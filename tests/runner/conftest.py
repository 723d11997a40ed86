"""Helpers to write small workflows for runner tests."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
from pathlib import Path

import pytest

from qcflow.runner import RunOptions
from qcflow.runner.executor import Executor, Job, Outcome
from tests._wait import DEADLINE


def task(name, cmd="true", needs=(), cpu=1, mem=100, **extra):
    data = {
        "name": name,
        "cmd": cmd,
        "needs": list(needs),
        "resources": {"cpu": cpu, "relative_cpu": None, "mem": mem},
        "timeframe": extra.pop("timeframe", -1),
        "labels": extra.pop("labels", []),
        "cwd": extra.pop("cwd", "./"),
    }
    data.update(extra)
    return data


def write_workflow(path: Path, tasks, global_env=None) -> Path:
    stages = list(tasks)
    if global_env is not None:
        init = task("__global_init_task__", "NO-COMMAND")
        init["env"] = dict(global_env)
        stages.insert(0, init)
    path.write_text(json.dumps({"stages": stages, "meta": {}}, indent=2))
    return path


def job(where: Path, command: str, key: int = 0, **kw) -> Job:
    """Job ``key`` (``t<key>``) running ``command`` in ``where``, logging to ``t<key>.log``."""
    return Job(
        key=key,
        name=f"t{key}",
        command=command,
        cwd=kw.pop("cwd", where),
        env=kw.pop("env", dict(os.environ)),
        log=kw.pop("log", where / f"t{key}.log"),
        **kw,
    )


def wait_outcomes(executor: Executor, n: int, limit: float = DEADLINE) -> list[Outcome]:
    """The next ``n`` outcomes of ``executor``, however slow the machine (up to the deadline)."""
    out: list[Outcome] = []
    end = time.monotonic() + limit
    while len(out) < n and time.monotonic() < end:
        out += executor.wait(max(0.0, end - time.monotonic()))
    assert len(out) == n, f"{len(out)} of {n} outcomes after {limit:g} s: {out}"
    return out


@pytest.fixture
def options(tmp_path) -> RunOptions:
    """Options for a quick local run inside ``tmp_path``."""
    return RunOptions(
        workdir=tmp_path,
        cpu_limit=2,
        mem_limit=4000,
        retry_backoff=0.0,
        kill_grace=0.5,
        monitor_interval=0.0,
        progress="none",
        action_logfile=tmp_path / "actions.log",
        metric_logfile=tmp_path / "metrics.log",
    )


@pytest.fixture(scope="session")
def dask_cluster():
    """A local Dask cluster of two worker processes, each declaring CPU=2 and MEM=2000 (MB)."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=4,
        processes=True,
        resources={"CPU": 2, "MEM": 2000},
        memory_limit=0,
        host="127.0.0.1",
        dashboard_address=":0",
        silence_logs=logging.CRITICAL,
    )
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def dask_options(options, dask_cluster) -> RunOptions:
    """Options running on :func:`dask_cluster` (both workers up: an earlier test may kill one)."""
    return dataclasses.replace(
        options,
        cpu_limit=None,
        mem_limit=None,
        executor="dask",
        scheduler_address=dask_cluster.scheduler_address,
        workers=2,
        dask_timeout=DEADLINE,  # waiting for both workers: a restarted one may be slow
    )
