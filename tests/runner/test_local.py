"""The local executor with real processes: logs, exit codes, process trees, timeouts, nice."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import psutil
import pytest

from qcflow.runner.executor import Job, Outcome
from qcflow.runner.local import LocalExecutor
from tests._wait import alive, wait_for_file, wait_for_text, wait_until_dead

from .conftest import wait_outcomes


@pytest.fixture
def executor():
    ex = LocalExecutor(grace=0.5)
    yield ex
    ex.close()


def job(tmp_path: Path, command: str, key: int = 0, **kw) -> Job:
    return Job(
        key=key,
        name=f"t{key}",
        command=command,
        cwd=kw.pop("cwd", tmp_path),
        env=kw.pop("env", dict(os.environ)),
        log=kw.pop("log", tmp_path / f"t{key}.log"),
        **kw,
    )


def wait_all(ex: LocalExecutor, n: int) -> list[Outcome]:
    return wait_outcomes(ex, n)


def test_output_goes_to_the_log_and_rc_is_reported(executor, tmp_path):
    executor.start(job(tmp_path, "echo out; echo err >&2", 0))
    executor.start(job(tmp_path, "exit 3", 1))
    outcomes = {o.key: o for o in wait_all(executor, 2)}
    assert outcomes[0].ok
    assert outcomes[1].rc == 3
    assert outcomes[1].reason == "exit code 3"
    assert (tmp_path / "t0.log").read_text().split() == ["out", "err"]


def test_cwd_is_created_and_env_is_the_jobs(executor, tmp_path):
    where = tmp_path / "a" / "b"
    env = {"PATH": os.environ["PATH"], "ONLY_THIS": "yes"}
    executor.start(
        job(tmp_path, 'echo "$ONLY_THIS $HOME" > out.txt; pwd >> out.txt', cwd=where, env=env)
    )
    assert wait_all(executor, 1)[0].ok
    value, cwd = (where / "out.txt").read_text().splitlines()
    assert value.strip() == "yes"
    assert Path(cwd) == where


def test_retry_appends_to_the_log(executor, tmp_path):
    executor.start(job(tmp_path, "echo first"))
    wait_all(executor, 1)
    executor.start(job(tmp_path, "echo second", attempt=2))
    wait_all(executor, 1)
    text = (tmp_path / "t0.log").read_text()
    assert text.index("first") < text.index("attempt 2") < text.index("second")


def test_kill_ends_the_whole_process_tree(executor, tmp_path):
    executor.start(
        job(tmp_path, "sleep 300 & sleep 300 & bash -c 'sleep 300' & echo started; wait")
    )
    wait_for_text(tmp_path / "t0.log", "started")
    leader = executor.pids()[0]
    tree = [leader, *(p.pid for p in psutil.Process(leader).children(recursive=True))]
    assert len(tree) >= 4
    executor.kill(0, "stopping")
    (outcome,) = wait_all(executor, 1)
    assert outcome.reason == "stopping"
    assert not outcome.ok
    executor.wait(1.0)  # lets the SIGKILL timer (grace 0.5 s) fire if SIGTERM was not enough
    wait_until_dead(tree)


def test_processes_left_behind_by_a_finished_task_are_ended(executor, tmp_path):
    executor.start(job(tmp_path, "sleep 300 & echo $! > bg.pid; exit 1"))
    (outcome,) = wait_all(executor, 1)
    assert outcome.rc == 1
    bg = int((tmp_path / "bg.pid").read_text())
    wait_until_dead([bg])


def test_processes_ignoring_sigterm_get_sigkill_after_the_grace(executor, tmp_path):
    executor.start(job(tmp_path, "trap '' TERM; echo ready; while true; do sleep 0.1; done"))
    wait_for_text(tmp_path / "t0.log", "ready")
    leader = executor.pids()[0]
    executor.kill(0)
    (outcome,) = wait_all(executor, 1)
    assert outcome.reason == "killed"
    assert not alive(leader)


def test_timeout_kills_the_job(executor, tmp_path):
    executor.start(job(tmp_path, "sleep 300", timeout=0.3))
    (outcome,) = wait_all(executor, 1)
    assert outcome.reason == "timeout after 0.3 s"
    assert outcome.end - outcome.start < 300  # ended by the timeout, not by itself


def test_backfill_jobs_run_niced(executor, tmp_path):
    executor.start(job(tmp_path, "nice", nice=19))
    assert wait_all(executor, 1)[0].ok
    assert (tmp_path / "t0.log").read_text().strip() == str(min(19, os.nice(0) + 19))


def test_a_job_that_cannot_start_is_an_outcome(executor, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    executor.start(job(tmp_path, "true", cwd=blocker / "sub"))
    (outcome,) = wait_all(executor, 1)
    assert outcome.rc is None
    assert outcome.reason.startswith("cannot start")


def test_wake_returns_a_blocked_wait(executor, tmp_path):
    executor.start(job(tmp_path, "sleep 60"))
    threading.Timer(0.2, executor.wake).start()
    assert executor.wait(None) == []
    executor.kill(0)
    wait_all(executor, 1)


def test_close_leaves_nothing_running(tmp_path):
    ex = LocalExecutor(grace=0.3)
    for k in range(3):
        ex.start(job(tmp_path, f"sleep 300 & echo $! > bg{k}.pid; sleep 300; wait", k))
    for k in range(3):  # each job has its whole tree up
        wait_for_file(tmp_path / f"bg{k}.pid")
    pids = list(ex.pids().values())
    tree = pids + [c.pid for p in pids for c in psutil.Process(p).children(recursive=True)]
    ex.close()
    wait_until_dead(tree)


def test_a_nul_byte_in_the_environment_is_a_failed_start(executor, tmp_path):
    executor.start(job(tmp_path, "true", env={"BAD": "a\0b"}))
    (outcome,) = wait_all(executor, 1)
    assert outcome.reason.startswith("cannot start")
