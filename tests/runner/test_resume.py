"""A runner killed at any moment, started again, finishes the work without redoing what was
finished and without trusting what was half done; no process outlives either run.

Nothing here depends on how fast the machine is: task b runs until the test releases it (it
waits while ``b.hold`` exists), so "b is still running when its runner dies" and "only the next
runner can have ended it" are facts, not bets on timing; every wait is for an event
(tests/_wait.py).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests._wait import DEADLINE, alive, wait_for_file, wait_for_text, wait_until_dead

from .conftest import task, write_workflow

#   a ─> b ─> c      (each task appends a line to <name>.runs, so reruns are counted)
#   a ─> d
TASKS = [
    task("a", "echo run >> a.runs; sleep 0.4; echo a > a.out"),
    task(
        "b",
        "echo $$ > b.pid; sleep 300 & echo $! > b-child.pid; echo run >> b.runs; "
        "sleep 1.2; while [ -e b.hold ]; do sleep 0.05; done; kill %1; echo b > b.out",
        ["a"],
    ),
    task("c", "echo run >> c.runs; cat a.out b.out > c.out", ["b"]),
    task("d", "echo run >> d.runs; sleep 0.6", ["a"], cpu=0.5),
]


def hold_b(tmp_path: Path) -> None:
    """Keep task b running (after its first 1.2 s) until :func:`release_b`."""
    (tmp_path / "b.hold").touch()


def release_b(tmp_path: Path) -> None:
    (tmp_path / "b.hold").unlink(missing_ok=True)


def start_runner(tmp_path: Path, *extra: str) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "qcflow", "run", "-f", "wf.json", "--cpu-limit", "2"]
    argv += ["--progress", "plain", "--monitor-interval", "0.2", "--kill-grace", "0.5", *extra]
    return subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def wait_for(path: Path, limit: float = DEADLINE) -> None:
    """Wait until a task has written ``path`` (a pid file: one whole line)."""
    wait_for_file(path, limit)


def runs(tmp_path: Path, name: str) -> int:
    path = tmp_path / f"{name}.runs"
    return len(path.read_text().splitlines()) if path.exists() else 0


def finish(runner: subprocess.Popen[bytes], limit: float = DEADLINE) -> bytes:
    """Wait for a runner; never leave one behind when a test fails."""
    try:
        out, _ = runner.communicate(timeout=limit)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
    return out


def finish_and_check(
    tmp_path: Path, done_before: set[str], second: subprocess.Popen[bytes] | None = None
) -> None:
    """Run (or let ``second`` run) to the end; what was done before is not done again."""
    second = second or start_runner(tmp_path)
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
    hold_b(tmp_path)
    first = start_runner(tmp_path)
    wait_for(tmp_path / "b-child.pid")
    # b runs, and its runner has journaled its group (on a loaded machine the runner may not
    # have run again since it spawned b: a SIGKILL then leaves a group nobody knows of)
    wait_for_text(tmp_path / ".qcflow-run" / "pgroups.jsonl", '"task": "b"')
    first.send_signal(signal.SIGKILL)
    first.wait()
    old = [int((tmp_path / f).read_text()) for f in ("b.pid", "b-child.pid")]
    assert all(alive(p) for p in old)  # the premise: a killed runner cannot end its tasks
    done_before = markers(tmp_path)
    assert "a" in done_before
    assert "b" not in done_before
    second = start_runner(tmp_path)
    try:
        # The old b is held: it cannot end on its own, only the second runner can end it.
        # (Released instead, it could finish before the second runner starts, which is a
        # success: its marker is then valid and b is not run again; on a busy machine that
        # happened.)
        wait_until_dead(old)
    finally:
        release_b(tmp_path)  # whatever happened, nothing waits for b.hold any more
    finish_and_check(tmp_path, done_before, second)
    assert runs(tmp_path, "b") == 2


# Where the kill lands, counted from the moment task a starts (None: at once, before the runner
# is even up). The moments are samples, not conditions: whatever state the run is in when it
# is killed, the checks hold.
@pytest.mark.parametrize("delay", [None, 0.0, 0.3, 0.9, 1.6, 2.4])
def test_sigkill_at_any_moment_then_resume(tmp_path, delay):
    write_workflow(tmp_path / "wf.json", TASKS)
    first = start_runner(tmp_path)
    if delay is not None:
        wait_for(tmp_path / "a.runs")
        time.sleep(delay)
    first.send_signal(signal.SIGKILL)
    first.wait()
    done_before = markers(tmp_path)
    finish_and_check(tmp_path, done_before)
    # Signalled processes end a moment after the runner that signalled them.
    wait_until_dead(int(pidfile.read_text()) for pidfile in tmp_path.glob("*.pid"))


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_stops_the_run_and_every_task_tree(tmp_path, sig):
    write_workflow(tmp_path / "wf.json", TASKS)
    hold_b(tmp_path)  # b is still running when the signal is handled, however slow the machine
    runner = start_runner(tmp_path)
    wait_for(tmp_path / "b-child.pid")
    runner.send_signal(sig)
    out = finish(runner)
    assert runner.returncode == 1, out.decode()
    wait_until_dead(int((tmp_path / f).read_text()) for f in ("b.pid", "b-child.pid"))
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
        [
            *argv,
            "--kill-grace",
            "600",
            "--monitor-interval",
            "0",
            "--action-logfile",
            "actions.log",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    wait_for(tmp_path / "s.pid")
    runner.send_signal(signal.SIGINT)
    # The runner has handled the first SIGINT when it logs the kill (two signals sent before it
    # handles either would be one).
    wait_for_text(tmp_path / "actions.log", '"event": "kill"')
    assert runner.poll() is None  # still in its grace period
    runner.send_signal(signal.SIGINT)
    out = finish(runner)
    assert runner.returncode == 1, out.decode()
    assert "SIGINT again" in out.decode()
    wait_until_dead([int((tmp_path / "s.pid").read_text())])
