"""The summary file's layout and the end-of-run table."""

from __future__ import annotations

import io
import json
import subprocess
import sys

from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from qcflow.runner.resources import ResourceLimits
from qcflow.runner.summary import TaskRecord, build_summary, dumps_by_line, print_table

from .conftest import task, write_workflow

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=8,
)


@given(st.dictionaries(st.text(max_size=4), json_values, max_size=5))
def test_dumps_by_line_is_json_of_the_same_value(value):
    assert json.loads(dumps_by_line(value)) == value


def test_summary_lists_tasks_that_never_ran_with_reasons():
    records = [
        TaskRecord("a", status="done", attempts=2, rc=0, start=1.0, end=2.5),
        TaskRecord("b", status="cancelled", reason="task a failed"),
        TaskRecord("c", status="cached", reason="already done"),
    ]
    summary = build_summary("wf.json", records, ResourceLimits(cpu=2, mem=100), 0.0, 3.0, 1)
    assert summary["counts"] == {"cached": 1, "cancelled": 1, "done": 1}
    assert summary["tasks"][0]["retries"] == 1
    assert summary["tasks"][0]["duration"] == 1.5
    assert [r["name"] for r in summary["not_run"]] == ["b", "c"]
    out = io.StringIO()
    print_table(summary, Console(file=out, width=120))
    text = out.getvalue()
    assert "task a failed" in text
    assert "3 tasks: 1 cached, 1 cancelled, 1 done" in text


def test_a_large_run_that_went_well_ends_with_one_plain_line_without_rich(tmp_path):
    # Not a terminal and no row to show: the count line alone, and neither rich nor psutil
    # imported (each a sizeable share of the start-up of every small workflow's run; psutil
    # comes with the monitor's first sample, off here, or with a process to end).
    tasks = [task(f"t{i}") for i in range(31)]
    write_workflow(tmp_path / "wf.json", tasks)
    code = (
        "import sys; from qcflow.cli import main; rc = main(sys.argv[1:]); "
        "print('imported:', sorted({m.split('.')[0] for m in sys.modules} & {'rich', 'psutil'})); "
        "sys.exit(rc)"
    )
    argv = [sys.executable, "-c", code, "run", "-f", "wf.json", "--progress", "none"]
    argv += ["--monitor-interval", "0"]
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    *_, last, said = done.stdout.splitlines()
    assert last.startswith("31 tasks: 31 done; ")
    assert said == "imported: []"
