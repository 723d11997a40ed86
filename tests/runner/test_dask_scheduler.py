"""Dask's own retries stay off while any qcflow run holds them, and always come back."""

from __future__ import annotations

import signal

import pytest

pytest.importorskip("distributed")

from qcflow.runner.dask import _scheduler
from tests._wait import wait_until, wait_until_dead

from .conftest import task, write_workflow
from .test_dask_resume import start_runner
from .test_resume import wait_for


class Scheduler:
    """What the plugin uses of a Dask scheduler: its setting and its plugins."""

    def __init__(self, allowed_failures: int) -> None:
        self.allowed_failures = allowed_failures
        self.plugins: dict[str, object] = {}

    def add_plugin(self, plugin: object, *, name: str) -> None:
        self.plugins[name] = plugin


def test_the_last_run_to_leave_gives_the_setting_back():
    scheduler = Scheduler(3)
    assert _scheduler.hold("run-1", dask_scheduler=scheduler) == 3
    assert _scheduler.hold("run-2", dask_scheduler=scheduler) == 3
    assert scheduler.allowed_failures == 0
    _scheduler.release("run-1", dask_scheduler=scheduler)
    assert scheduler.allowed_failures == 0  # run-2 still runs
    plugin = scheduler.plugins[_scheduler.RetriesOff.name]
    plugin.remove_client(scheduler, "run-2")  # run-2 died: the scheduler dropped it
    assert scheduler.allowed_failures == 3
    plugin.remove_client(scheduler, "someone-else")  # not a qcflow run: nothing changes
    _scheduler.release("run-2", dask_scheduler=scheduler)  # late: nothing changes
    assert scheduler.allowed_failures == 3


def test_a_setting_changed_between_runs_is_the_one_given_back():
    scheduler = Scheduler(3)
    _scheduler.hold("run-1", dask_scheduler=scheduler)
    _scheduler.release("run-1", dask_scheduler=scheduler)
    scheduler.allowed_failures = 7
    assert _scheduler.hold("run-2", dask_scheduler=scheduler) == 7
    _scheduler.release("run-2", dask_scheduler=scheduler)
    assert scheduler.allowed_failures == 7


@pytest.mark.slow
def test_a_runner_killed_with_sigkill_gives_the_setting_back(
    tmp_path, subprocess_env, dask_cluster
):
    scheduler = dask_cluster.scheduler  # a LocalCluster's scheduler lives in this process
    own = scheduler.allowed_failures
    write_workflow(tmp_path / "wf.json", [task("t", "echo $$ > t.pid; sleep 300")])
    flags = ["--executor", "dask", "--scheduler-address", dask_cluster.scheduler_address]
    runner = start_runner(tmp_path, subprocess_env, *flags, "--workers", "2")
    try:
        wait_for(tmp_path / "t.pid")
        assert scheduler.allowed_failures == 0
    finally:
        runner.send_signal(signal.SIGKILL)
        runner.communicate()
    wait_until(lambda: scheduler.allowed_failures == own, "the setting given back")
    wait_until_dead([int((tmp_path / "t.pid").read_text())])
