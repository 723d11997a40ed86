"""The Dask worker side ends what a task left outside its group (issue 12, item 9).

Run here without a cluster, as in ``test_dask_task``: before, a ``setsid`` child or a
double-forked daemon outlived the task's shell on the worker.
"""

from __future__ import annotations

import sys

import pytest

pytest.importorskip("distributed")

from qcflow.runner.dask._task import run_task

from .test_contain import DAEMON, pid_in
from .test_dask_task import spec, wait_until_dead

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")


def test_a_setsid_child_and_a_daemon_do_not_outlive_the_task(tmp_path):
    cmd = (
        "setsid sh -c 'echo $$ > bg.pid; exec sleep 300' & "
        + DAEMON.format(pidfile="d.pid")
        + "; while [ ! -s bg.pid ] || [ ! -s d.pid ]; do sleep 0.05; done; exit 3"
    )
    result = run_task(spec(tmp_path, "esc", cmd, grace=0.2, monitor_interval=0))
    assert result.rc == 3
    wait_until_dead([pid_in(tmp_path / "bg.pid"), pid_in(tmp_path / "d.pid")], limit=30)
