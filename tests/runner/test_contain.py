"""No task leaves processes behind, whatever session they made (issue 12, item 9).

Before, ``setsid sleep 300 &`` or a double-forked daemon outlived its task, a failure and a
SIGTERM to the runner (init adopted it). The runner is now a child subreaper: such processes are
adopted by it, traced to their task by ``QCFLOW_TASK_ID``, ended with the task and reaped.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from qcflow.errors import InvalidInput
from qcflow.runner import contain as contain_module
from qcflow.runner import run_workflow
from qcflow.runner.local import LocalExecutor
from tests._wait import alive, wait_for_file, wait_for_text, wait_until, wait_until_dead
from tests.runner.conftest import job, task, wait_outcomes, write_workflow

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")

DAEMON = (
    "python3 -c 'import os, sys, time\n"
    "if os.fork(): os._exit(0)\n"
    "os.setsid()\n"
    "if os.fork(): os._exit(0)\n"
    'open(sys.argv[1], "w").write(str(os.getpid()))\n'
    "time.sleep(300)' {pidfile}"
)


QUIET_CLI = ["--progress", "plain", "--kill-grace", "0.5", "--monitor-interval", "0"]


def pid_in(path: Path) -> int:
    return int(path.read_text().strip())


def zombie_children() -> list[int]:
    return [p.pid for p in psutil.Process().children() if p.status() == psutil.STATUS_ZOMBIE]


def test_a_setsid_process_does_not_outlive_a_successful_task(tmp_path, options):
    # The task ends once the process is in its own session (bg.pid written): no race with it.
    cmd = "setsid sh -c 'echo $$ > bg.pid; exec sleep 300' & while [ ! -s bg.pid ]; do sleep 0.05; done"
    wf = write_workflow(tmp_path / "wf.json", [task("a", cmd)])
    result = run_workflow(wf, options)
    assert result.ok
    bg = pid_in(tmp_path / "bg.pid")
    wait_until_dead([bg])
    assert bg not in zombie_children()


def test_a_double_forked_daemon_does_not_outlive_a_failed_task(tmp_path, options):
    cmd = DAEMON.format(pidfile="d.pid") + "; while [ ! -s d.pid ]; do sleep 0.05; done; exit 3"
    wf = write_workflow(tmp_path / "wf.json", [task("a", cmd), task("b", "true")])
    options.keep_going = True
    result = run_workflow(wf, options)
    assert result.status("a") == "failed"
    daemon = pid_in(tmp_path / "d.pid")
    wait_until_dead([daemon])
    assert zombie_children() == []


def test_an_adopted_process_lives_as_long_as_its_own_task(tmp_path, options):
    """b ending must not end what a (still running) left behind; a ending must."""
    a = "(setsid sleep 300 & echo $! > a.pid); while [ ! -e go ]; do sleep 0.05; done"
    b = "while [ ! -s a.pid ]; do sleep 0.05; done"
    c = 'kill -0 "$(cat a.pid)" && echo alive > c.txt; touch go'
    wf = write_workflow(tmp_path / "wf.json", [task("a", a), task("b", b), task("c", c, ["b"])])
    options.cpu_limit = 3
    result = run_workflow(wf, options)
    assert result.ok, result.summary
    assert (tmp_path / "c.txt").read_text().strip() == "alive"
    wait_until_dead([pid_in(tmp_path / "a.pid")])


def test_sigterm_to_the_runner_ends_escaped_processes(tmp_path):
    cmd = "setsid sleep 300 & echo $! > bg.pid; " + DAEMON.format(pidfile="d.pid") + "; sleep 300"
    wf = write_workflow(tmp_path / "wf.json", [task("a", cmd)])
    runner = subprocess.Popen(
        [sys.executable, "-m", "qcflow", "run", "-f", str(wf), *QUIET_CLI],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for name in ("bg.pid", "d.pid"):
            wait_for_text(tmp_path / name, "")
            while not (tmp_path / name).read_text().strip():
                time.sleep(0.02)
        escaped = [pid_in(tmp_path / "bg.pid"), pid_in(tmp_path / "d.pid")]
        assert all(alive(p) for p in escaped)
        runner.send_signal(signal.SIGTERM)
        assert runner.wait(120) == 1
        wait_until_dead(escaped)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()


def test_orphans_that_end_by_themselves_are_reaped(tmp_path, options):
    cmd = "for i in 1 2 3 4 5; do (setsid true &); done; (setsid sleep 0.1 &); sleep 0.5"
    wf = write_workflow(tmp_path / "wf.json", [task("a", cmd)])
    assert run_workflow(wf, options).ok
    assert zombie_children() == []


def test_the_embedding_programs_own_children_are_left_alone(tmp_path, options):
    """A child of the program running the runner keeps its exit status and is never signalled."""
    mine = subprocess.Popen(["sh", "-c", "touch ended; exit 7"], cwd=tmp_path)
    sibling = subprocess.Popen(["sleep", "300"], start_new_session=True)
    try:
        wf = write_workflow(
            tmp_path / "wf.json", [task("a", "while [ ! -e ended ]; do sleep 0.05; done")]
        )
        assert run_workflow(wf, options).ok
        assert mine.wait(60) == 7
        assert sibling.poll() is None
    finally:
        sibling.kill()
        sibling.wait()


def test_a_child_of_a_thread_that_ends_during_the_run_is_left_alone(tmp_path, options):
    """The kernel moves a thread's children to the main thread when the thread ends: one that
    the embedding program started from a thread, in a session of its own, is still its own."""
    started: list[subprocess.Popen[bytes]] = []
    tid: list[int] = []
    ready = threading.Event()

    def start_then_end() -> None:
        tid.append(threading.get_native_id())
        started.append(subprocess.Popen(["sleep", "300"], start_new_session=True))
        ready.set()
        wait_for_file(tmp_path / "go")  # the task runs: the runner has looked at its children

    thread = threading.Thread(target=start_then_end)
    thread.start()
    ready.wait(60)
    try:
        gone = f"while [ -e /proc/{os.getpid()}/task/{tid[0]} ]; do sleep 0.05; done"
        wf = write_workflow(tmp_path / "wf.json", [task("a", f"echo go > {tmp_path}/go; {gone}")])
        assert run_workflow(wf, options).ok
        thread.join(60)
        assert started[0].poll() is None, "the runner ended the embedding program's process"
    finally:
        started[0].kill()
        started[0].wait()


def subreaper_flag() -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    flag = ctypes.c_int(-1)
    assert libc.prctl(37, ctypes.byref(flag), 0, 0, 0) == 0  # PR_GET_CHILD_SUBREAPER
    return flag.value


def test_the_subreaper_flag_is_restored_after_the_run(tmp_path, options):
    wf = write_workflow(tmp_path / "wf.json", [task("a", "true")])
    assert subreaper_flag() == 0
    assert run_workflow(wf, options).ok
    assert subreaper_flag() == 0
    options.summary_file = tmp_path / "wf.json" / "x"  # an input error before anything runs
    with pytest.raises(InvalidInput):
        run_workflow(wf, options)
    assert subreaper_flag() == 0


def test_a_process_caught_in_the_middle_of_an_exec_is_looked_at_again(tmp_path, monkeypatch):
    """While a process execs, its environment reads empty for a moment (the kernel has not
    laid out the new program's stack yet): the scan that finds it then cannot tell its task.
    Simulated here for the first read of each process: the executor looks again and ends it
    with its task, not only when the run closes."""
    real = contain_module._owner_tag
    read: set[int] = set()

    def empty_at_first(pid: int) -> str | None:
        if pid not in read:
            read.add(pid)
            return None
        return real(pid)

    monkeypatch.setattr(contain_module, "_owner_tag", empty_at_first)
    cmd = "setsid sh -c 'echo $$ > bg.pid; exec sleep 300' & while [ ! -s bg.pid ]; do sleep 0.05; done"
    executor = LocalExecutor(grace=0.5)
    try:
        executor.start(job(tmp_path, cmd))
        assert wait_outcomes(executor, 1)[0].rc == 0
        bg = pid_in(tmp_path / "bg.pid")
        assert bg in read
        wait_until(lambda: not executor.wait(0.05) and not alive(bg), "the adopted process ended")
    finally:
        executor.close()
