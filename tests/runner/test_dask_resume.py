"""``qcflow run --executor dask|dask-local`` on the command line: the same summary as the local
executor, a runner killed at any moment, a scheduler that goes away; each time a second run
finishes the work from the completion markers, and no task outlives its run."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from tests._wait import wait_until_dead

from .conftest import task, write_workflow
from .test_resume import TASKS, finish, hold_b, markers, release_b, runs, wait_for

QUIET = ["--progress", "plain", "--monitor-interval", "0.2", "--kill-grace", "0.5"]


def start_runner(tmp_path: Path, env: dict[str, str], *flags: str) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "qcflow", "run", "-f", "wf.json", *QUIET, *flags]
    return subprocess.Popen(
        argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def statuses(path: Path) -> dict[str, str]:
    return {t["name"]: t["status"] for t in json.loads(path.read_text())["tasks"]}


def test_dask_local_ends_as_the_local_executor(tmp_path, subprocess_env):
    tasks = [
        task("a", "echo a > a.out"),
        task("b", "exit 3", ["a"]),
        task("c", "cat a.out", ["b"]),
        task("d", "cat a.out", ["a"], cpu=0.5),
    ]
    summaries = []
    for executor in ("local", "dask-local"):
        where = tmp_path / executor
        where.mkdir()
        write_workflow(where / "wf.json", tasks)
        flags = ["-k", "--cpu-limit", "2", "--executor", executor]
        if executor == "dask-local":
            flags += ["--workers", "2"]
        runner = start_runner(where, subprocess_env, *flags)
        out = finish(runner).decode()
        assert runner.returncode == 1, out
        summaries.append(statuses(where / "summary.json"))
    assert (
        summaries[0]
        == summaries[1]
        == {
            "a": "done",
            "b": "failed",
            "c": "blocked",
            "d": "done",
        }
    )


@pytest.mark.slow
@pytest.mark.parametrize("executor", ["dask-local", "dask"])
def test_runner_killed_then_resume(tmp_path, subprocess_env, dask_cluster, executor):
    """dask-local: the killed runner's workers die with it, and each task's watcher ends it.
    dask: the workers live on; the scheduler drops the dead client's futures and the workers
    end their tasks."""
    flags = ["--executor", executor, "--workers", "2"]
    if executor == "dask":
        flags += ["--scheduler-address", dask_cluster.scheduler_address]
    write_workflow(tmp_path / "wf.json", TASKS)
    hold_b(tmp_path)  # b cannot end on its own: whatever ends it is the cluster's doing
    first = start_runner(tmp_path, subprocess_env, *flags)
    try:
        wait_for(tmp_path / "b-child.pid")
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate()
    wait_until_dead([int((tmp_path / f).read_text()) for f in ("b.pid", "b-child.pid")])
    done_before = markers(tmp_path)
    assert "a" in done_before
    assert "b" not in done_before
    release_b(tmp_path)
    second = start_runner(tmp_path, subprocess_env, *flags)
    out = finish(second).decode()
    assert second.returncode == 0, out
    assert (tmp_path / "c.out").read_text().split() == ["a", "b"]
    status = statuses(tmp_path / "summary.json")
    assert {n for n, s in status.items() if s == "cached"} >= done_before
    assert runs(tmp_path, "a") == 1
    assert runs(tmp_path, "b") == 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """A scheduler and one worker (CPU=2, MEM=2000) as separate processes, as on a batch
    system, so that the test can take the scheduler away."""

    def __init__(self, env: dict[str, str], where: Path) -> None:
        self.address = f"tcp://127.0.0.1:{free_port()}"
        dask = [sys.executable, "-m", "dask"]
        port = self.address.rsplit(":", 1)[1]
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": where}
        self.scheduler = subprocess.Popen(
            [
                *dask,
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                port,
                "--dashboard-address",
                ":0",
            ],
            env=env,
            **quiet,
        )
        self.worker = subprocess.Popen(
            [
                *dask,
                "worker",
                self.address,
                "--resources",
                "CPU=2,MEM=2000",
                "--nthreads",
                "2",
                "--host",
                "127.0.0.1",
                "--no-dashboard",
            ],
            env=env,
            **quiet,
        )

    def stop(self) -> None:
        for proc in (self.worker, self.scheduler):
            if proc.poll() is None:
                proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.mark.slow
def test_scheduler_lost_then_resume(tmp_path, subprocess_env):
    write_workflow(tmp_path / "wf.json", TASKS)
    hold_b(tmp_path)  # b is still running when the runner notices the lost scheduler
    cluster = Cluster(subprocess_env, tmp_path)
    try:
        flags = ["--executor", "dask", "--scheduler-address", cluster.address]
        # b could be retried, but not once the run stops for the lost scheduler
        runner = start_runner(tmp_path, subprocess_env, *flags, "--retry-on-failure", "1")
        try:
            wait_for(tmp_path / "b-child.pid")
            cluster.scheduler.send_signal(signal.SIGKILL)
            out = finish(runner).decode()
        finally:
            if runner.poll() is None:
                runner.kill()
                runner.wait()
    finally:
        cluster.stop()
    assert runner.returncode == 1, out
    assert f"qcflow: error: lost the Dask scheduler at {cluster.address}; run again" in out
    assert "Traceback" not in out  # Dask's own complaints are kept quiet
    lost_line = r"^\[\d/4\] FAILED b: interrupted: lost the Dask scheduler"
    assert re.search(lost_line, out, re.MULTILINE), out
    assert "to be retried" not in out
    summary = json.loads((tmp_path / "summary.json").read_text())
    by_name = {t["name"]: t for t in summary["tasks"]}
    assert by_name["a"]["status"] == "done"
    assert by_name["b"]["status"] == "killed"
    assert by_name["b"]["reason"] == f"interrupted: lost the Dask scheduler at {cluster.address}"
    assert by_name["c"]["status"] == "cancelled"
    wait_until_dead([int((tmp_path / f).read_text()) for f in ("b.pid", "b-child.pid")])
    release_b(tmp_path)

    again = Cluster(subprocess_env, tmp_path)
    try:
        flags = ["--executor", "dask", "--scheduler-address", again.address]
        second = start_runner(tmp_path, subprocess_env, *flags)
        out = finish(second).decode()
    finally:
        again.stop()
    assert second.returncode == 0, out
    assert (tmp_path / "c.out").read_text().split() == ["a", "b"]
    assert statuses(tmp_path / "summary.json")["a"] == "cached"
    assert runs(tmp_path, "a") == 1


def test_sigint_ends_the_tasks_on_the_workers(tmp_path, subprocess_env, dask_cluster):
    write_workflow(tmp_path / "wf.json", TASKS)
    hold_b(tmp_path)  # b is still running when the runner handles the signal
    flags = ["--executor", "dask", "--scheduler-address", dask_cluster.scheduler_address]
    runner = start_runner(tmp_path, subprocess_env, *flags, "--workers", "2")
    try:
        wait_for(tmp_path / "b-child.pid")
    finally:
        runner.send_signal(signal.SIGINT)
    out = finish(runner).decode()
    assert runner.returncode == 1, out
    wait_until_dead([int((tmp_path / f).read_text()) for f in ("b.pid", "b-child.pid")])
    status = statuses(tmp_path / "summary.json")
    assert status["b"] == "killed"
    assert status["c"] == "cancelled"
