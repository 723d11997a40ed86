"""Task parsing and lossless JSON (qcflow.workflow.task)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcflow.workflow import Workflow, WorkflowTask

DATA = Path(__file__).parent / "data"


def test_all_o2dpg_keys_are_parsed() -> None:
    wf = Workflow.read(DATA / "mc_like.json")
    sim = wf.task("sgngen_1")
    assert sim.needs == ["grpcreate"]
    assert sim.resources.cpu == 4.0
    assert sim.resources.relative_cpu == 0.5
    assert sim.resources.mem == 4000.0
    assert sim.resources.walltime == 120.5
    assert sim.timeframe == 1
    assert sim.labels == ["GEANT", "SIM"]
    assert sim.cwd == "tf1"
    assert sim.semaphore == "sim_semaphore"
    assert sim.retry_count == 2
    assert sim.alternative_alienv_package == "O2sim::v20260101-1"
    assert sim.extra == {"priority": "high"}
    assert wf.task("grpcreate").resources.mem == 200.0  # string-typed in the file
    assert wf.global_env() == {"ALICEO2_CCDB_LOCALCACHE": "$PWD/ccdb", "SHMSIZE": "8000000000"}
    assert [t.name for t in wf.stages] == ["grpcreate", "sgngen_1", "digi_1", "qc_finalize"]


def test_round_trip_is_identical() -> None:
    original = json.loads((DATA / "mc_like.json").read_text())
    assert Workflow.from_json(original).to_json() == original


def test_round_trip_keeps_string_numbers_and_key_order() -> None:
    raw = {
        "name": "a",
        "cmd": "true",
        "needs": [],
        "cwd": "x",
        "labels": ["L"],
        "resources": {"mem": "2000", "cpu": "1"},
        "timeframe": -1,
        "zzz": {"k": 1},
    }
    task, problems = WorkflowTask.from_dict(raw)
    assert problems == [problems[0]]
    assert "unknown task key 'zzz'" in str(problems[0])
    out = task.to_dict()
    assert out["resources"]["mem"] == "2000"
    assert list(out)[:7] == ["name", "cmd", "needs", "cwd", "labels", "resources", "timeframe"]
    assert out["zzz"] == {"k": 1}


def test_changed_values_are_written_anew() -> None:
    task, _ = WorkflowTask.from_dict(
        {"name": "a", "cmd": "true", "resources": {"mem": "2000", "cpu": 1}}
    )
    task.resources.mem = 3000.0
    task.cmd = "false"
    task.semaphore = "s"
    out = task.to_dict()
    assert out["resources"]["mem"] == 3000
    assert out["cmd"] == "false"
    assert out["semaphore"] == "s"


def test_every_bad_value_is_reported_with_its_place() -> None:
    raw = {
        "name": "bad",
        "cmd": 3,
        "needs": "x",
        "labels": [1],
        "resources": {"cpu": "many", "mem": -5, "relative_cpu": "half"},
        "timeframe": "1.5",
        "env": {"A": None},
        "retry_count": -1,
        "semaphore": 7,
    }
    task, problems = WorkflowTask.from_dict(raw, "stages[4]")
    text = "\n".join(str(p) for p in problems)
    for where in (
        "stages[4].cmd",
        "stages[4].needs",
        "stages[4].labels[0]",
        "stages[4].resources.cpu",
        "stages[4].resources.mem",
        "stages[4].resources.relative_cpu",
        "stages[4].timeframe",
        "stages[4].env.A",
        "stages[4].retry_count",
        "stages[4].semaphore",
    ):
        assert where in text, where
    assert all("task 'bad'" in str(p) for p in problems)
    # defaults stand in for the bad values
    assert task.resources.cpu == 1.0
    assert task.resources.mem == 500.0
    assert task.needs == []


def test_missing_name_and_cmd_are_errors() -> None:
    _, problems = WorkflowTask.from_dict({"needs": []}, "stages[0]")
    assert {p.where for p in problems if p.is_error} == {"stages[0].name", "stages[0].cmd"}


@given(
    cpu=st.one_of(st.integers(0, 64), st.floats(0, 64, allow_nan=False)),
    mem=st.one_of(st.integers(0, 10**6), st.integers(0, 10**6).map(str)),
    as_string=st.booleans(),
)
def test_numeric_resources_parse_as_o2dpg_writes_them(
    cpu: float, mem: int | str, as_string: bool
) -> None:
    raw_cpu = str(cpu) if as_string else cpu
    task, problems = WorkflowTask.from_dict(
        {"name": "t", "cmd": "c", "resources": {"cpu": raw_cpu, "mem": mem}}
    )
    assert problems == []
    assert task.resources.cpu == pytest.approx(float(cpu))
    assert task.resources.mem == float(mem)
    assert task.to_dict()["resources"]["mem"] == mem
