"""``qcflow run`` on the command line: flags, outputs and exit codes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcflow.cli import main
from tests.runner.conftest import task, write_workflow

QUIET = [
    "--progress",
    "plain",
    "--monitor-interval",
    "0",
    "--cpu-limit",
    "2",
    "--mem-limit",
    "4000",
]


@pytest.fixture
def workflow(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    tasks = [
        task("a", "echo a", labels=["QC"]),
        task("b", "echo b-output; exit 3", ["a"]),
        task("c", "echo c", ["a"]),
    ]
    return write_workflow(tmp_path / "wf.json", tasks)


def test_help_explains_with_examples(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["run", "--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    for flag in ("-jmax", "--keep-going", "--rerun-from", "--produce-script", "--n-backfill"):
        assert flag in text
    assert "examples:" in text


def test_failure_exits_1_and_prints_the_log_on_request(workflow, capsys, tmp_path):
    code = main(["run", "-f", str(workflow), "--stdout-on-failure", *QUIET])
    out = capsys.readouterr().out
    assert code == 1
    assert "b-output" in out
    assert "FAILED b: exit code 3" in out
    assert "Pipeline done with failures" in out
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["exit_code"] == 1


def test_targets_select_a_successful_subset(workflow, capsys):
    assert main(["run", "-f", str(workflow), "-tt", "c", *QUIET]) == 0
    assert "Pipeline done success" in capsys.readouterr().out


def test_list_tasks_in_o2dpg_format(workflow, capsys):
    assert main(["run", "-f", str(workflow), "--list-tasks", *QUIET]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["a  (['QC']) ToDo: True", "b  ([]) ToDo: True", "c  ([]) ToDo: True"]


def test_dry_run_prints_the_order_and_runs_nothing(workflow, capsys, tmp_path):
    assert main(["run", "-f", str(workflow), "--dry-run", *QUIET]) == 0
    out = capsys.readouterr().out
    assert "1 would run a" in out
    assert not list(tmp_path.glob("*.log"))


def test_produce_script_and_visualize(workflow, capsys, tmp_path):
    args = ["run", "-f", str(workflow), "--produce-script", "run.sh", "--visualize-workflow"]
    assert main([*args, *QUIET]) == 0
    assert (tmp_path / "run.sh").read_text().startswith("#!/usr/bin/env bash")
    assert "digraph" in (tmp_path / "workflow.gv").read_text()
    assert "flowchart" in (tmp_path / "workflow.mmd").read_text()


@pytest.mark.parametrize(
    "bad",
    [
        ["--cpu-limit", "-1"],
        ["--cpu-limit", "nan"],
        ["--mem-limit", "lots"],
        ["-jmax", "0"],
        ["--n-backfill", "1.5"],
        ["--retry-on-failure", "-2"],
    ],
)
def test_bad_flag_values_exit_2(workflow, capsys, bad):
    with pytest.raises(SystemExit) as stop:
        main(["run", "-f", str(workflow), *bad])
    assert stop.value.code == 2


def test_bad_input_exits_2_with_one_clear_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    wf = write_workflow(tmp_path / "wf.json", [task("a", needs=["ghost"])])
    assert main(["run", "-f", str(wf), *QUIET]) == 2
    err = capsys.readouterr().err
    assert "needs 'ghost'" in err
    assert "Traceback" not in err
    assert main(["run", "-f", str(tmp_path / "none.json"), *QUIET]) == 2
    assert main(["run", "-f", str(wf), "--rerun-from", "zzz", "--allow-dangling", *QUIET]) == 2


@pytest.mark.parametrize(
    ("flag", "where", "what"),
    [
        ("--summary-file", "wf.json/summary.json", "the summary"),
        ("--summary-file", "sub", "the summary"),
        ("--action-logfile", "wf.json/actions.log", "the action log"),
        ("--metric-logfile", "wf.json/metrics.log", "the metric log"),
        ("--workdir", "wf.json", "the summary"),
    ],
)
def test_an_output_that_cannot_be_written_stops_before_anything_runs(
    workflow, capsys, tmp_path, flag, where, what
):
    (tmp_path / "sub").mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["run", "-f", str(workflow), "-tt", "c", flag, where, *QUIET]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"qcflow: error: cannot write {what} ")
    assert len(err.splitlines()) == 1
    after = sorted(p.name for p in tmp_path.iterdir() if p.name != ".qcflow-run")
    assert after == before  # no task ran, no log was left behind


def test_o2dpg_only_flags_are_accepted_with_a_warning(workflow, capsys):
    args = ["--cgroup", "8coregrid", "--webhook", "x", "--scheduler-policy", "best-fit"]
    assert main(["run", "-f", str(workflow), "-tt", "c", *args, *QUIET]) == 0
    err = capsys.readouterr().err
    assert "--cgroup has no effect" in err
    assert "best-fit" in err


def test_critical_path_policy_runs(workflow):
    args = ["-tt", "c", "--scheduler-policy", "critical-path"]
    assert main(["run", "-f", str(workflow), *args, *QUIET]) == 0


@given(st.text(max_size=12) | st.floats(allow_nan=True).map(str) | st.integers().map(str))
def test_number_flags_accept_exactly_finite_values_in_range(text):
    import argparse
    import math

    from qcflow.cli.run import COUNT, POSITIVE

    for parse, low, integer in ((POSITIVE, 1e-12, False), (COUNT, 0, True)):
        try:
            value = parse(text)
        except argparse.ArgumentTypeError as err:
            message = str(err)
            value = None
        if value is None:
            assert repr(text) in message
            continue
        assert math.isfinite(value)
        assert value >= low
        assert isinstance(value, int) == integer
        assert float(text) == value
