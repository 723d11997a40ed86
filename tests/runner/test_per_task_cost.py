"""What the runner no longer does at each task (issue 17), counted on real runs, never timed.

Before: every task's end listed ``/proc/self/task`` and read each thread's ``children`` file,
and a SIGCHLD handled in the same wake-up as that end cost a second such scan; each action-log
and journal line and each plain progress line was a ``write`` of its own (two for a progress
line). Now: one file per scan (the main thread's, where the kernel puts adopted orphans), no
scan for a SIGCHLD whose task end is scanned anyway, log lines flushed before the runner waits.
Behaviour is the same: what the logs say, and when a reader finds it.
"""

from __future__ import annotations

import io
import json
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from qcflow.runner import RunOptions, run_workflow
from qcflow.runner import contain as contain_module
from qcflow.runner.logs import JsonLinesLog
from qcflow.runner.monitor import Monitor
from qcflow.runner.progress import PlainProgress, RichProgress
from tests._wait import DEADLINE, wait_for_text, wait_until, wait_until_dead
from tests.runner.conftest import task, write_workflow

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")


def fan(n: int) -> list[dict[str, object]]:
    return [task(f"t{i}") for i in range(n)]


@linux
def test_one_escaped_process_scan_per_task_end(tmp_path, options, monkeypatch):
    """The SIGCHLD of a task's end is followed by that end's own scan, not by another."""
    calls = []
    real = contain_module._children

    def counted(*args: int) -> list[int]:
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(contain_module, "_children", counted)
    n = 60
    assert run_workflow(write_workflow(tmp_path / "wf.json", fan(n)), options).ok
    # One scan when the executor starts, one per task end, a few for SIGCHLDs that came apart
    # from their task's end; before: about 1.6 per task.
    assert len(calls) <= n + n // 5 + 2


def strace_counts(workdir: Path, n: int) -> dict[str, int]:
    """System calls of the runner's main thread for a fan of ``n`` ``true`` tasks."""
    workdir.mkdir()
    write_workflow(workdir / "wf.json", fan(n))
    out = workdir / "strace.txt"
    argv = ["strace", "-c", "-o", str(out), sys.executable, "-m", "qcflow", "run"]
    argv += ["-f", "wf.json", "--cpu-limit", "2", "--progress", "plain", "--monitor-interval", "0"]
    done = subprocess.run(argv, cwd=workdir, capture_output=True, timeout=DEADLINE, check=False)
    if done.returncode != 0 or not out.exists():
        pytest.skip(f"strace cannot trace here: {done.stderr.decode(errors='replace')[-300:]}")
    counts = {}
    for line in out.read_text().splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[3].isdigit():
            counts[fields[-1]] = int(fields[3])
    return counts


@linux
@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
def test_the_runner_makes_fewer_system_calls_per_task(tmp_path):
    """Per task, from two runs' difference (start-up cancels): before, ~3 ``getdents64`` (the
    thread list), ~6.7 ``openat``, ~6.9 ``write``."""
    small, large = strace_counts(tmp_path / "small", 20), strace_counts(tmp_path / "large", 120)

    def per_task(name: str) -> float:
        return (large.get(name, 0) - small.get(name, 0)) / 100

    assert per_task("getdents64") < 0.5
    # its notes, the children file, its marker (planning), and the marker a plain command does
    # not write itself (qcflow.runner.direct: `true` runs without bash)
    assert per_task("openat") < 5.0
    assert per_task("write") < 5.0


def test_a_plain_progress_line_is_one_write(monkeypatch):
    class Counting(io.StringIO):
        writes = 0

        def write(self, text: str) -> int:
            Counting.writes += 1
            return super().write(text)

    out = Counting()
    monkeypatch.setattr(sys, "stdout", out)
    PlainProgress().line("[1/1] done a (0.01 s)")
    assert out.getvalue() == "[1/1] done a (0.01 s)\n"
    assert Counting.writes == 1


def test_logs_and_journal_are_in_their_files_while_the_runner_waits(tmp_path, options):
    """Lines are buffered only until the runner waits: a reader sees a task's start (action log)
    and its process group (journal) while it runs, and the end of the task before it."""
    wait_b = "touch b.ready; while [ ! -e go ]; do sleep 0.02; done"
    wf = write_workflow(tmp_path / "wf.json", [task("a"), task("b", wait_b, needs=["a"])])
    results = []
    runner = threading.Thread(target=lambda: results.append(run_workflow(wf, options)))
    runner.start()
    try:
        wait_until((tmp_path / "b.ready").exists, "b started")
        wait_for_text(options.action_logfile, '"event": "start", "task": "b"')
        journal = tmp_path / ".qcflow-run" / "pgroups.jsonl"
        wait_for_text(journal, '"task": "b"')
        lines = [json.loads(line) for line in journal.read_text().splitlines()]
        a_group = next(r["pgid"] for r in lines if r.get("task") == "a")
        assert {"end": a_group} in lines
        actions = options.action_logfile.read_text()
        assert '"event": "done", "task": "a"' in actions
    finally:
        (tmp_path / "go").touch()
        runner.join(DEADLINE)
    assert results and results[0].ok


@linux
def test_an_escaped_process_ends_with_its_task_when_the_runner_runs_in_a_thread(tmp_path):
    """Orphans go to the main thread, whatever thread spawned the task: still found there, and
    ended when their task ends (b waits for that; a timeout fails it if it never comes)."""
    cmd = (
        "setsid sh -c 'echo $$ > bg.pid; exec sleep 300' & "
        "while [ ! -s bg.pid ]; do sleep 0.05; done"
    )
    gone = (
        "pid=$(cat bg.pid); "
        "while [ -e /proc/$pid ] && ! grep -q zombie /proc/$pid/status; do sleep 0.05; done"
    )
    wf = write_workflow(tmp_path / "wf.json", [task("a", cmd), task("b", gone, needs=["a"])])
    options = RunOptions(
        workdir=tmp_path,
        cpu_limit=2,
        mem_limit=4000,
        kill_grace=0.5,
        monitor_interval=0.0,
        progress="none",
        task_timeout=DEADLINE / 2,
    )
    results = []
    runner = threading.Thread(target=lambda: results.append(run_workflow(wf, options)))
    runner.start()
    runner.join(DEADLINE)
    assert results, "the run did not end"
    assert results[0].ok, [r.reason for r in results[0].records]
    wait_until_dead([int((tmp_path / "bg.pid").read_text())])


def blocks_sigchld(thread: threading.Thread) -> bool:
    """Whether ``thread``'s signal mask blocks SIGCHLD (``SigBlk`` of its ``/proc`` status)."""
    status = Path(f"/proc/self/task/{thread.native_id}/status").read_text()
    mask = int(
        next(line.split()[1] for line in status.splitlines() if line.startswith("SigBlk")), 16
    )
    return bool(mask & (1 << (signal.SIGCHLD - 1)))


def started_threads(before: set[threading.Thread]) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t not in before and t.native_id is not None]


@linux
def test_helper_threads_leave_every_sigchld_to_the_main_thread():
    """A task's end is a SIGCHLD; delivered to the monitor's or the live display's thread it
    woke that thread for nothing (about 40 µs of its CPU per task, measured). Both block it."""
    before = set(threading.enumerate())
    monitor = Monitor(JsonLinesLog(None), 30.0)
    try:
        (thread,) = started_threads(before)
        assert blocks_sigchld(thread)
    finally:
        monitor.close()
    before = set(threading.enumerate())
    progress = RichProgress()
    try:
        threads = started_threads(before)
        assert threads
        assert all(blocks_sigchld(t) for t in threads)
    finally:
        progress.close()
    assert not blocks_sigchld(threading.current_thread())  # only meanwhile, in this one
