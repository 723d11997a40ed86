"""The worker side of the Dask executor, run here without a cluster: the task's group, its
end on request, on timeout, when its future is released, and when its worker dies."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from qcflow.runner.dask._task import EndOrphans, TaskSpec, run_task, signal_task
from qcflow.runner.executor import Job, shell_text
from tests._wait import DEADLINE, alive, wait_until_dead

from .test_resume import wait_for


def spec(tmp_path: Path, name: str, command: str, **extra) -> TaskSpec:
    log, marker = tmp_path / f"{name}.log", tmp_path / f"{name}.log_done"
    job = Job(1, name, command, tmp_path, {}, log, marker=marker, marker_text="done")
    token = f"token-{name}-{time.monotonic_ns()}"
    return TaskSpec(token, shell_text(job), str(tmp_path), {}, **extra)


def run_in_thread(task: TaskSpec) -> tuple[threading.Thread, list]:
    results: list = []
    thread = threading.Thread(target=lambda: results.append(run_task(task)))
    thread.start()
    return thread, results


def joined(thread: threading.Thread) -> bool:
    """Wait for ``thread`` to end (a deadline, not a speed requirement)."""
    thread.join(DEADLINE)
    return not thread.is_alive()


def test_a_task_writes_its_log_and_marker_and_reports_its_cpu_time(tmp_path):
    task = spec(tmp_path / "sub", "a", "echo hello; echo $X", monitor_interval=0)
    task = TaskSpec(task.token, task.text, task.cwd, {"X": "from the runner"}, monitor_interval=0)
    result = run_task(task)
    assert (result.rc, result.reason) == (0, "")
    assert (tmp_path / "sub" / "a.log").read_text().splitlines() == ["hello", "from the runner"]
    assert (tmp_path / "sub" / "a.log_done").read_text() == "done\n"
    assert result.cpu_seconds is not None
    assert result.start <= result.end


def test_a_failing_task_has_its_exit_code_and_no_marker(tmp_path):
    result = run_task(spec(tmp_path, "f", "exit 3"))
    assert (result.rc, result.reason) == (3, "exit code 3")
    assert not (tmp_path / "f.log_done").exists()


def test_a_task_that_cannot_start_says_why(tmp_path):
    (tmp_path / "file").write_text("")
    result = run_task(TaskSpec("t", "true", str(tmp_path / "file" / "below"), {}))
    assert result.rc is None
    assert result.reason.startswith("cannot start: ")
    assert "file/below" in result.reason


def test_signal_task_terminates_the_whole_group(tmp_path):
    task = spec(tmp_path, "s", "sleep 300 & echo $! > child.pid; echo $$ > s.pid; wait")
    thread, results = run_in_thread(task)
    wait_for(tmp_path / "child.pid")
    wait_for(tmp_path / "s.pid")
    assert signal_task(task.token, reason="stop")
    assert joined(thread)
    assert results[0].rc is None
    assert results[0].reason == "stop"
    wait_until_dead([int((tmp_path / "child.pid").read_text())])
    assert not signal_task(task.token)  # ended: nothing to signal any more


def test_a_second_signal_kills_without_waiting_for_the_grace(tmp_path):
    task = spec(tmp_path, "t", "trap '' TERM; echo $$ > t.pid; while true; do sleep 0.05; done")
    task = TaskSpec(task.token, task.text, task.cwd, {}, grace=600)
    thread, results = run_in_thread(task)
    wait_for(tmp_path / "t.pid")
    signal_task(task.token)
    time.sleep(0.3)
    assert thread.is_alive()  # SIGTERM ignored, still in its grace period
    signal_task(task.token)
    assert joined(thread)
    assert results[0].reason == "killed by signal SIGKILL"


def test_a_timeout_ends_the_task(tmp_path):
    result = run_task(spec(tmp_path, "slow", "sleep 300", timeout=0.3))
    assert (result.rc, result.reason) == (None, "timeout after 0.3 s")
    assert result.end - result.start < 300  # ended by the timeout, not by itself


def test_what_the_task_leaves_in_its_group_is_ended(tmp_path):
    task = spec(tmp_path, "bg", "sleep 300 & echo $! > child.pid", grace=0.2)
    assert run_task(task).rc == 0
    wait_until_dead([int((tmp_path / "child.pid").read_text())])


def test_the_plugin_ends_a_task_whose_future_is_released(tmp_path):
    task = spec(tmp_path, "r", "echo $$ > r.pid; sleep 300")
    thread, results = run_in_thread(task)
    wait_for(tmp_path / "r.pid")
    plugin = EndOrphans()
    plugin.transition(task.token, "executing", "memory")  # a normal end: nothing happens
    time.sleep(0.2)
    assert thread.is_alive()
    plugin.transition(task.token, "executing", "released")
    assert joined(thread)
    assert "released by the Dask scheduler" in results[0].reason


def test_the_nanny_thread_limits_are_not_passed_on(tmp_path, monkeypatch):
    import dask

    from qcflow.runner.dask import _task

    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # as a Dask nanny sets it for its worker
    monkeypatch.setenv("KEPT", "yes")
    _task._worker_environ.cache_clear()
    try:
        with dask.config.set({"distributed.nanny.pre-spawn-environ": {"OMP_NUM_THREADS": 1}}):
            result = run_task(spec(tmp_path, "env", 'echo "${OMP_NUM_THREADS:-unset} $KEPT"'))
    finally:
        _task._worker_environ.cache_clear()
    assert result.rc == 0
    assert (tmp_path / "env.log").read_text().strip() == "unset yes"


WORKER = """
import sys
from qcflow.runner.dask._task import TaskSpec, run_task
run_task(TaskSpec("w", sys.argv[2], sys.argv[1], {}))
"""


def test_the_watcher_kills_the_task_when_its_worker_dies(tmp_path, subprocess_env):
    """A stand-in worker (a Python process running run_task) is killed with SIGKILL: no Python
    is left to end the task, the watcher does."""
    command = "echo $$ > task.pid; sleep 300 & echo $! > child.pid; wait"
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(tmp_path), command], cwd=tmp_path, env=subprocess_env
    )
    try:
        wait_for(tmp_path / "task.pid")
        wait_for(tmp_path / "child.pid")
        pids = [int((tmp_path / f).read_text()) for f in ("task.pid", "child.pid")]
        assert all(alive(p) for p in pids)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        wait_until_dead(pids)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
