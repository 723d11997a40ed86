"""Resource monitoring of real process trees, and --dynamic-resources learning from it.

A measured task lasts until the metric log shows the sample the test checks (the monitor samples
once per interval, and a busy machine may not get to it for a while): no bet on timing.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import sys

from qcflow.runner import run_workflow
from tests._wait import DEADLINE, POLL, wait_until

from .conftest import task, write_workflow

#: Holds 60 MB (touched, so resident) until metrics.log has a sample of task ``hog`` that
#: shows it and its parent shell; gives up at the test deadline.
HOG = """
import json, sys, time
from pathlib import Path

held = bytearray(60 * 2**20)
held[::4096] = b"x" * len(held[::4096])
end = time.monotonic() + float(sys.argv[1])


def measured():
    for line in Path("metrics.log").read_text().splitlines():
        try:
            sample = json.loads(line)
        except ValueError:
            continue  # a line being written
        if sample.get("task") == "hog" and sample["nprocs"] >= 2 and sample["pss_mb"] > 50:
            return True
    return False


while not measured() and time.monotonic() < end:
    time.sleep(0.02)
"""


def until(condition: str) -> str:
    """Shell code waiting until ``condition`` succeeds; the test deadline bounds it, so that a
    bug fails the test instead of hanging it."""
    return f"for _ in $(seq {int(DEADLINE / POLL)}); do {condition} && break; sleep {POLL}; done"


def sampled(name: str) -> str:
    """Shell condition: metrics.log has a sample of task ``name``."""
    return f'grep -q \'"task": "{name}"\' metrics.log'


def test_metric_log_and_summary_show_the_memory_of_the_tree(tmp_path, options):
    # the hog runs as a child of bash: only measuring the whole tree sees its memory
    (tmp_path / "hog.py").write_text(HOG)
    hog = task("hog", f"{sys.executable} hog.py {DEADLINE}; true")
    wf = write_workflow(tmp_path / "wf.json", [hog])
    result = run_workflow(wf, dataclasses.replace(options, monitor_interval=0.2))
    assert result.ok
    lines = [json.loads(x) for x in (tmp_path / "metrics.log").read_text().splitlines()]
    assert lines[0]["event"] == "limits"
    samples = [x for x in lines if x["event"] == "sample"]
    assert samples
    assert {"task", "cpu_percent", "pss_mb", "uss_mb", "nprocs"} <= samples[0].keys()
    assert max(s["nprocs"] for s in samples) >= 2
    assert result.summary["tasks"][0]["peak_pss_mb"] > 50


def test_dynamic_resources_rebook_siblings_from_measurements(tmp_path, options):
    """g_1, g_2, g_3 book 3000 MB each of 4000: one at a time, until g_1 shows it needs ~5 MB.

    Each lasts until it has been sampled; in the second run g_2 and g_3 also wait until both
    have started, which only a runner that rebooked them lets happen.
    """
    opts = dataclasses.replace(options, monitor_interval=0.1, n_backfill=0)
    serial_tasks = [task(f"g_{i}", until(sampled(f"g_{i}")), mem=3000) for i in (1, 2, 3)]
    serial = run_workflow(
        write_workflow(tmp_path / "serial.json", serial_tasks),
        dataclasses.replace(opts, action_logfile=tmp_path / "serial.log"),
    )
    together = until("[ -e g_2.started ] && [ -e g_3.started ]")
    learned_tasks = [serial_tasks[0]] + [
        task(f"g_{i}", f"touch g_{i}.started; {until(sampled(f'g_{i}'))}; {together}", mem=3000)
        for i in (2, 3)
    ]
    learned = run_workflow(
        write_workflow(tmp_path / "learned.json", learned_tasks),
        dataclasses.replace(opts, dynamic_resources=True, rerun_from="g_"),
    )
    assert serial.ok
    assert learned.ok

    def overlap(result):
        spans = sorted((r.start, r.end) for r in result.records)
        return any(b[0] < a[1] for a, b in itertools.pairwise(spans))

    assert not overlap(serial)
    assert overlap(learned)


def test_the_tree_is_found_through_proc_without_psutil_children(tmp_path, options, monkeypatch):
    """psutil's children() reads the whole process table; the monitor follows /proc instead."""
    import psutil

    def refuse(self, recursive=False):
        raise AssertionError("psutil children() called")

    monkeypatch.setattr(psutil.Process, "children", refuse)
    (tmp_path / "hog.py").write_text(HOG)
    hog = task("hog", f"{sys.executable} hog.py {DEADLINE}; true")
    wf = write_workflow(tmp_path / "wf.json", [hog])
    result = run_workflow(wf, dataclasses.replace(options, monitor_interval=0.2))
    assert result.ok
    lines = [json.loads(x) for x in (tmp_path / "metrics.log").read_text().splitlines()]
    samples = [x for x in lines if x["event"] == "sample"]
    assert max(s["nprocs"] for s in samples) >= 2
    assert result.summary["tasks"][0]["peak_pss_mb"] > 50


def test_tree_pids_lists_every_descendant_and_nothing_for_a_gone_process():
    import subprocess

    import psutil

    from qcflow.runner.monitor import tree_pids

    proc = subprocess.Popen(["bash", "-c", "(sleep 30; true) & sleep 30 & wait"])
    try:
        parent = psutil.Process(proc.pid)
        # bash's three descendants, then none ends or starts for 30 s: a stable tree
        wait_until(lambda: len(parent.children(recursive=True)) >= 3, "three descendants")
        expected = {proc.pid, *(c.pid for c in parent.children(recursive=True))}
        assert set(tree_pids(proc.pid) or []) == expected
    finally:
        for child in psutil.Process(proc.pid).children(recursive=True):
            child.kill()
        proc.kill()
        proc.wait()
    assert tree_pids(proc.pid) == []


def test_a_quiet_task_is_sampled_less_often_and_again_at_once_when_it_changes():
    from qcflow.runner.monitor import _Watched, next_every

    quiet = _Watched("t", 1)
    members = frozenset({1, 2})
    everies = []
    for pss in (100.0, 100.5, 100.0, 101.0, 100.2, 100.9):  # within 2 %: no change
        quiet.every = next_every(quiet, members, pss)
        everies.append(quiet.every)
    assert everies == [1, 2, 4, 8, 8, 8]
    assert next_every(quiet, frozenset({1, 2, 3}), 100.5) == 1  # a new process
    quiet.every = 8
    assert next_every(quiet, frozenset({1, 2, 3}), 150.0) == 1  # memory moved
    enforced = _Watched("t", 1, limit_mb=500.0)
    for _ in range(5):
        enforced.every = next_every(enforced, members, 100.0)
    assert enforced.every == 2
