"""A runner killed at any moment, started again, finishes the work without redoing what was
finished and without trusting what was half done; no process outlives either run."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from .conftest import task, write_workflow

#   a ─> b ─> c      (each task appends a line to <name>.runs, so reruns are counted)
#   a ─> d
TASKS = [
    task("a", "echo run >> a.runs; sleep 0.4; echo a > a.out"),
    task(
        "b",
        "echo $$ > b.pid; sleep 300 & echo $! > b-child.pid; echo run >> b.runs; "
        "sleep 1.2; kill %1; echo b > b.out",
        ["a"],
    ),
    task("c", "echo run >> c.runs; cat a.out b.out > c.out", ["b"]),
    task("d", "echo run >> d.runs; sleep 0.6", ["a"], cpu=0.5),
]


def start_runner(tmp_path: Path, *extra: str) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "qcflow", "run", "-f", "wf.json", "--cpu-limit", "2"]
    argv += ["--progress", "plain", "--monitor-interval", "0.2", "--kill-grace", "0.5", *extra]
    return subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def wait_for(path: Path, limit: float = 20.0) -> None:
    end = time.monotonic() + limit
    while not (path.exists() and path.read_text().endswith("\n")):
        assert time.monotonic() < end, f"{path.name} never appeared"
        time.sleep(0.01)


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def runs(tmp_path: Path, name: str) -> int:
    path = tmp_path / f"{name}.runs"
    return len(path.read_text().splitlines()) if path.exists() else 0


def finish(runner: subprocess.Popen[bytes], limit: float = 60) -> bytes:
    """Wait for a runner; never leave one behind when a test fails."""
    try:
        out, _ = runner.communicate(timeout=limit)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
    return out


def finish_and_check(tmp_path: Path, done_before: set[str]) -> None:
    second = start_runner(tmp_path)
    out = finish(second)
    assert second.returncode == 0, out.decode()
    assert (tmp_path / "c.out").read_text().split() == ["a", "b"]
    summary = json.loads((tmp_path / "summary.json").read_text())
    cached = {t["name"] for t in summary["tasks"] if t["status"] == "cached"}
    # A task still running when its runner died may finish on its own and leave a valid
    # marker (it did succeed); it then counts as done too.
    assert done_before <= cached
    for name in "abcd":
        assert runs(tmp_path, name) >= 1
        if name in cached:
            assert runs(tmp_path, name) == 1, f"{name} was finished but ran again"


def markers(tmp_path: Path) -> set[str]:
    return {p.name.removesuffix(".log_done") for p in tmp_path.glob("*.log_done")}


def test_sigkill_while_b_runs_then_resume(tmp_path):
    write_workflow(tmp_path / "wf.json", TASKS)
    first = start_runner(tmp_path)
    wait_for(tmp_path / "b-child.pid")
    first.send_signal(signal.SIGKILL)
    first.wait()
    old = [int((tmp_path / f).read_text()) for f in ("b.pid", "b-child.pid")]
    assert all(alive(p) for p in old)  # the premise: a killed runner cannot end its tasks
    done_before = markers(tmp_path)
    assert "a" in done_before
    assert "b" not in done_before
    finish_and_check(tmp_path, done_before)
    assert not any(alive(p) for p in old), "the old b was left running"
    assert runs(tmp_path, "b") == 2


@pytest.mark.parametrize("delay", [0.0, 0.3, 0.9, 1.6, 2.4])
def test_sigkill_at_any_moment_then_resume(tmp_path, delay):
    write_workflow(tmp_path / "wf.json", TASKS)
    first = start_runner(tmp_path)
    time.sleep(delay)
    first.send_signal(signal.SIGKILL)
    first.wait()
    done_before = markers(tmp_path)
    finish_and_check(tmp_path, done_before)
    for pidfile in tmp_path.glob("*.pid"):
        assert not alive(int(pidfile.read_text()))


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_stops_the_run_and_every_task_tree(tmp_path, sig):
    write_workflow(tmp_path / "wf.json", TASKS)
    runner = start_runner(tmp_path)
    wait_for(tmp_path / "b-child.pid")
    runner.send_signal(sig)
    out = finish(runner, 30)
    assert runner.returncode == 1, out.decode()
    pids = [int((tmp_path / f).read_text()) for f in ("b.pid", "b-child.pid")]
    assert not any(alive(p) for p in pids)
    summary = json.loads((tmp_path / "summary.json").read_text())
    status = {t["name"]: t["status"] for t in summary["tasks"]}
    assert status["b"] == "killed"
    assert status["c"] == "cancelled"
    not_run = {t["name"]: t["reason"] for t in summary["not_run"]}
    assert not_run["c"] == f"interrupted by {sig.name}"


def test_a_second_sigint_kills_without_waiting_for_the_grace(tmp_path):
    stubborn = task("stubborn", "trap '' TERM INT; echo $$ > s.pid; while true; do sleep 0.1; done")
    write_workflow(tmp_path / "wf.json", [stubborn])
    argv = [sys.executable, "-m", "qcflow", "run", "-f", "wf.json", "--progress", "plain"]
    runner = subprocess.Popen(
        [*argv, "--kill-grace", "600", "--monitor-interval", "0"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    wait_for(tmp_path / "s.pid")
    runner.send_signal(signal.SIGINT)
    time.sleep(0.5)
    assert runner.poll() is None  # still in its grace period
    runner.send_signal(signal.SIGINT)
    out = finish(runner, 30)
    assert runner.returncode == 1, out.decode()
    assert "SIGINT again" in out.decode()
    assert not alive(int((tmp_path / "s.pid").read_text()))
