"""The drop-in for O2DPG's o2dpg_workflow_utils (qcflow.workflow.o2dpg)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from qcflow.workflow import Workflow, validate
from qcflow.workflow.o2dpg import createGlobalInitTask, createTask, dump_workflow, read_workflow


def test_create_task_keys_and_order() -> None:
    task = createTask(name="digi", needs=["sim"], tf=3, cwd="tf3", lab=["DIGI"], cpu=2, mem="4000")
    assert list(task) == ["name", "cmd", "needs", "resources", "timeframe", "labels", "cwd"]
    assert task == {
        "name": "digi",
        "cmd": "",
        "needs": ["sim"],
        "resources": {"cpu": 2, "relative_cpu": None, "mem": "4000"},
        "timeframe": 3,
        "labels": ["DIGI"],
        "cwd": "tf3",
    }


def test_relative_cpu_as_o2dpg_rounds_it() -> None:
    assert createTask(name="a", relative_cpu=0.333, n_workers=8)["resources"]["cpu"] == 2.66
    assert createTask(name="a", relative_cpu=5, n_workers=8)["resources"]["cpu"] == 8


def test_no_shared_mutable_defaults() -> None:
    first = createTask(name="a")
    first["needs"].append("x")
    first["labels"].append("L")
    second = createTask(name="b")
    assert second["needs"] == []
    assert second["labels"] == []
    given = ["n"]
    third = createTask(name="c", needs=given)
    third["needs"].append("m")
    assert given == ["n"]


def test_global_init_task(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALICEO2_CCDB_LOCALCACHE", raising=False)
    task = createGlobalInitTask({"X": "1"})
    assert task["name"] == "__global_init_task__"
    assert task["cmd"] == "NO-COMMAND"
    assert task["env"] == {
        "ALICEO2_CCDB_LOCALCACHE": "$PWD/ccdb",
        "IGNORE_VALIDITYCHECK_OF_CCDB_LOCALCACHE": '${ALICEO2_CCDB_LOCALCACHE:+"ON"}',
        "X": "1",
    }
    monkeypatch.setenv("ALICEO2_CCDB_LOCALCACHE", "/cache")
    assert createGlobalInitTask(set_defaults=True)["env"]["ALICEO2_CCDB_LOCALCACHE"] == "/cache"
    assert createGlobalInitTask(set_defaults=False)["env"] == {}


def test_dump_workflow_like_o2dpg(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    init = createGlobalInitTask(set_defaults=False)
    a = createTask(name="a")
    a["cmd"] = "echo   a\n  --flag "
    b = createTask(name="b", needs=["a", None])  # type: ignore[list-item]
    b["cmd"] = "echo it's b"
    dump_workflow([init, a, b], tmp_path / "wf", meta={"m": 1})
    out = capsys.readouterr().out
    assert f"Workflow saved at {tmp_path / 'wf.json'}" in out
    data = json.loads((tmp_path / "wf.json").read_text())
    assert data["meta"] == {"m": 1}
    stages = data["stages"]
    assert stages[0]["cmd"] == "NO-COMMAND"
    assert (
        stages[1]["cmd"]
        == ". ${O2_ROOT}/share/scripts/jobutils2.sh; taskwrapper a.log 'echo a --flag '"
    )
    assert (
        stages[2]["cmd"]
        == ". ${O2_ROOT}/share/scripts/jobutils2.sh; taskwrapper b.log 'echo it'\\''s b'"
    )
    assert stages[2]["needs"] == ["a"]
    assert a["cmd"] == "echo   a\n  --flag "  # the caller's tasks are not modified


def test_dump_prints_problems_and_writes_anyway(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = createTask(name="a", needs=["missing"])
    dup = createTask(name="a")
    dump_workflow([a, dup], tmp_path / "wf.json", taskwrapper=False)
    out = capsys.readouterr().out
    assert "might be added later" in out
    assert "duplicate task name" in out
    assert read_workflow(tmp_path / "wf.json")[0][0]["cmd"] == ""


def test_read_workflow_returns_stages_and_meta(tmp_path: Path) -> None:
    t = createTask(name="x")
    t["cmd"] = "true"
    dump_workflow([t], tmp_path / "wf.json", meta={"a": "b"}, taskwrapper=False)
    stages, meta = read_workflow(tmp_path / "wf.json")
    assert stages == [t]
    assert meta == {"a": "b"}


def test_a_generator_script_switches_by_one_import(
    tmp_path: Path, subprocess_env: dict[str, str]
) -> None:
    script = tmp_path / "gen.py"
    script.write_text(
        textwrap.dedent("""
        from qcflow.workflow.o2dpg import createTask, createGlobalInitTask, dump_workflow
        stages = [createGlobalInitTask({"A": "1"})]
        for tf in range(1, 4):
            t = createTask(name=f"sim_{tf}", tf=tf, cwd=f"tf{tf}", lab=["SIM"], cpu=2, mem='1000')
            t['cmd'] = f"echo sim {tf}"
            stages.append(t)
            d = createTask(name=f"digi_{tf}", needs=[t['name']], tf=tf, cwd=f"tf{tf}")
            d['cmd'] = "echo digi"
            stages.append(d)
        dump_workflow(stages, "workflow")
    """)
    )
    subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        env=subprocess_env,
    )
    workflow = Workflow.read(tmp_path / "workflow.json")
    assert validate(workflow).ok
    assert len(workflow.stages) == 6
    assert workflow.global_env()["A"] == "1"
