"""Memory bookings are checked (issue 12, item 10).

Before, a task booked at 50 MB that took 200 MB ended ``done`` with no word. Now its peak over
the booking is a warning (progress line, action log, ``warnings`` in the summary), and with
``--enforce-memory FACTOR`` a task whose tree passes FACTOR x its booking is ended, with status
``out-of-memory`` and the reason. No timing is assumed: the task itself waits until the monitor
has sampled it over its booking (it reads the metric log).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from qcflow.cli import main
from qcflow.runner import run_workflow
from tests.runner.conftest import task, write_workflow

HOG = """\
import json, sys, time
data = bytearray({mb} * 1024 * 1024)
data[::4096] = b"x" * len(data[::4096])  # touch every page: resident
metrics, name = sys.argv[1], sys.argv[2]
def sampled_over():
    with open(metrics) as f:
        return any(
            e.get("task") == name and e.get("pss_mb", 0) > {over}
            for e in map(json.loads, f)
        )
while not sampled_over():
    time.sleep(0.05)
{then}
"""


def hog_workflow(tmp_path: Path, then: str, mb: int = 200, booked: int = 50) -> Path:
    script = tmp_path / "hog.py"
    script.write_text(HOG.format(mb=mb, over=booked * 2.5, then=then))
    cmd = f"{sys.executable} {script} {tmp_path / 'metrics.log'} hog"
    return write_workflow(tmp_path / "wf.json", [task("hog", cmd, mem=booked)])


def test_a_peak_over_the_booking_is_a_warning_and_nothing_else(tmp_path, options):
    options.monitor_interval = 0.1
    result = run_workflow(hog_workflow(tmp_path, "sys.exit(0)"), options)
    assert result.ok
    (row,) = result.summary["tasks"]
    assert row["status"] == "done"
    assert row["booked_mem_mb"] == 50
    assert len(row["warnings"]) == 1
    assert "over its memory booking of 50 MB" in row["warnings"][0]
    events = [json.loads(line) for line in (tmp_path / "actions.log").read_text().splitlines()]
    memory = [e for e in events if e["event"] == "memory"]
    assert memory and memory[0]["task"] == "hog" and memory[0]["peak_pss_mb"] > 125


def test_enforce_memory_ends_the_task_as_out_of_memory(tmp_path, options):
    options.monitor_interval = 0.1
    options.enforce_memory = 2.0
    result = run_workflow(hog_workflow(tmp_path, "time.sleep(600)"), options)
    assert result.exit_code == 1
    (row,) = result.summary["tasks"]
    assert row["status"] == "out-of-memory"
    assert row["rc"] is None
    assert row["reason"].startswith("out of memory: PSS ")
    assert "passed 2 x its booking of 50 MB (--enforce-memory)" in row["reason"]
    assert result.summary["counts"] == {"out-of-memory": 1}


def test_a_task_within_its_factor_is_not_ended(tmp_path, options):
    options.monitor_interval = 0.1
    options.enforce_memory = 10.0
    result = run_workflow(hog_workflow(tmp_path, "sys.exit(0)"), options)
    assert result.ok
    assert result.summary["tasks"][0]["status"] == "done"


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--enforce-memory", "0.5"], "expected a factor >= 1"),
        (["--enforce-memory", "inf"], "expected a factor >= 1"),
        (["--enforce-memory", "2", "--monitor-interval", "0"], "needs the resource monitor"),
    ],
)
def test_enforce_memory_input_errors_exit_2(tmp_path, monkeypatch, capsys, flags, message):
    monkeypatch.chdir(tmp_path)
    wf = write_workflow(tmp_path / "wf.json", [task("a", "touch ran")])
    try:
        code = main(["run", "-f", str(wf), "--progress", "plain", *flags])
    except SystemExit as stop:  # argparse refuses a bad value itself
        code = stop.code
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "ran").exists()
