"""What only the local executor does; the executor contract, shared with the Dask executor, is
tests/runner/test_executor_contract.py."""

from __future__ import annotations

import os
import select
import selectors

import pytest

from qcflow.runner.local import LocalExecutor
from tests._wait import alive, wait_for_file

from .conftest import wait_outcomes
from .test_executor_contract import job


@pytest.fixture
def executor():
    ex = LocalExecutor(grace=0.5)
    yield ex
    ex.close()


def test_the_environment_is_the_jobs_only(executor, tmp_path):
    """No worker's environment underneath, as on Dask: the job's variables and nothing else."""
    env = {"PATH": os.environ["PATH"], "ONLY_THIS": "yes"}
    executor.start(job(tmp_path, 'echo "$ONLY_THIS ${HOME:-unset}" > out.txt', env=env))
    assert wait_outcomes(executor, 1)[0].ok
    assert (tmp_path / "out.txt").read_text().strip() == "yes unset"


def test_pids_are_the_running_leaders_for_the_resource_monitor(executor, tmp_path):
    executor.start(job(tmp_path, "echo $$ > t.pid; sleep 300"))
    wait_for_file(tmp_path / "t.pid")
    assert executor.pids() == {0: int((tmp_path / "t.pid").read_text())}
    executor.kill(0)
    (outcome,) = wait_outcomes(executor, 1)
    assert outcome.pid == int((tmp_path / "t.pid").read_text())
    assert executor.pids() == {}
    assert not alive(outcome.pid)


def test_a_lost_exit_status_is_a_failure_not_a_success(executor, tmp_path):
    """Someone else reaped the leader (a SIGCHLD handler of the embedding program): before,
    the local executor reported exit code 0 and the task counted as done."""
    executor.start(job(tmp_path, "exit 5"))
    leader = executor.pids()[0]
    os.waitpid(leader, 0)  # the embedding program reaps it first
    (outcome,) = wait_outcomes(executor, 1)
    assert (outcome.rc, outcome.reason) == (None, "exit status lost (reaped by someone else)")


def test_without_epoll_the_executor_waits_through_a_selector(monkeypatch, tmp_path):
    """``select.epoll`` is used directly where there is one; elsewhere a selector does it."""
    monkeypatch.delattr(select, "epoll")
    monkeypatch.setattr(selectors, "DefaultSelector", selectors.PollSelector)
    ex = LocalExecutor(grace=0.5)
    try:
        ex.start(job(tmp_path, "echo $$ > t.pid; exit 3"))
        (outcome,) = wait_outcomes(ex, 1)
        assert outcome.rc == 3
        assert outcome.pid == int((tmp_path / "t.pid").read_text())
    finally:
        ex.close()
