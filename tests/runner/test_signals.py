"""Signals that reach the runner together: each one counts (the first stops, the next kills)."""

from __future__ import annotations

import signal
import subprocess
import sys

from tests._wait import wait_for_file, wait_until_dead

from .conftest import task, write_workflow
from .test_resume import finish


def test_two_signals_handled_together_still_kill_without_the_grace(tmp_path):
    """A SIGINT and a SIGTERM that arrive before the runner handles either: the second used to
    overwrite the first, so the run waited out the whole grace (600 s here) instead of killing."""
    stubborn = task("stubborn", "trap '' TERM INT; echo $$ > s.pid; while true; do sleep 0.1; done")
    write_workflow(tmp_path / "wf.json", [stubborn])
    runner = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "qcflow",
            "run",
            "-f",
            "wf.json",
            "--progress",
            "plain",
            "--kill-grace",
            "600",
            "--monitor-interval",
            "0",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    wait_for_file(tmp_path / "s.pid")
    # Stopped, the runner cannot handle the first before the second arrives: both are pending
    # (two different signals, since the kernel keeps one pending instance of each).
    runner.send_signal(signal.SIGSTOP)
    runner.send_signal(signal.SIGINT)
    runner.send_signal(signal.SIGTERM)
    runner.send_signal(signal.SIGCONT)
    out = finish(runner).decode()
    assert runner.returncode == 1, out
    assert "SIGTERM again: killing every task now" in out
    wait_until_dead([int((tmp_path / "s.pid").read_text())])
