"""``qcflow generate qc-postproc`` as a user runs it: output, flags, and every bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qcflow.cli import main
from qcflow.generators.registry import load_registry

REGISTRY = """
[[workflow]]
name = "A"
config = "a.json"
run-specific = true
period-specific = true
pass-specific = true
"""


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("QCFLOW_QCDB", raising=False)
    (tmp_path / "a.json").write_text("{}")


def generate(*args: str) -> int:
    return main(["generate", "qc-postproc", *args])


def test_the_issues_example(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--passName", "apass1", "--periodName", "LHC24ab", "--run", "550123", "-o", "wf"]
    assert generate(*args) == 0
    assert "Workflow saved at wf.json: 4 tasks (example, EMC, MCH, ZDC)" in capsys.readouterr().out
    stages = json.loads((tmp_path / "wf.json").read_text())["stages"]
    assert [s["name"] for s in stages] == ["example", "EMC", "MCH", "ZDC"]
    assert (tmp_path / "QC").is_dir()


def test_registry_only_and_no_ipc(tmp_path: Path) -> None:
    (tmp_path / "reg.toml").write_text(REGISTRY)
    assert generate("--registry", "reg.toml", "--run", "7", "--noIPC", "-o", "wf.json") == 0
    (stage,) = json.loads((tmp_path / "wf.json").read_text())["stages"]
    assert stage["name"] == "A"
    assert stage["cmd"].endswith(" --no-IPC")
    assert f"json://{tmp_path / 'a.json'} " in stage["cmd"]
    assert generate("--only", "ZDC,EMC", "-o", "two.json") == 0
    names = [s["name"] for s in json.loads((tmp_path / "two.json").read_text())["stages"]]
    assert names == ["EMC", "ZDC"]


def test_o2_qc_keeps_o2dpg_root_for_run_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("O2DPG_ROOT", "/should/not/appear")
    assert generate("--engine", "o2-qc", "-o", "wf.json") == 0
    text = (tmp_path / "wf.json").read_text()
    assert "/should/not/appear" not in text
    o2dpg_configs = text.count("json://${O2DPG_ROOT}/DATA/production/qc-postproc-async/")
    assert o2dpg_configs == len(load_registry())  # one per entry of the default registry


def test_o2_qc_says_what_its_tasks_need_before_suggesting_a_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))  # no o2-qc
    monkeypatch.delenv("O2DPG_ROOT", raising=False)
    assert generate("--engine", "o2-qc", "-o", "wf.json") == 0
    out = capsys.readouterr().out
    assert "next: qcflow run" not in out
    assert "its tasks run o2-qc, which needs O2: missing here: o2-qc in PATH" in out
    assert "$O2DPG_ROOT" in out
    assert "next, on a machine with O2: qcflow run -f wf.json" in out

    o2_qc = tmp_path / "bin" / "o2-qc"  # a site with O2: then run it
    o2_qc.parent.mkdir()
    o2_qc.write_text("#!/bin/sh\n")
    o2_qc.chmod(0o755)
    monkeypatch.setenv("O2DPG_ROOT", str(tmp_path))
    assert generate("--engine", "o2-qc", "-o", "wf.json") == 0
    assert "next: qcflow run -f wf.json   (its tasks run o2-qc)" in capsys.readouterr().out


def test_the_qcflow_engine_suggests_the_run(capsys: pytest.CaptureFixture[str]) -> None:
    assert generate("-o", "wf.json") == 0
    assert "  next: qcflow run -f wf.json\n" in capsys.readouterr().out


BAD_REGISTRIES = {
    "needs-unknown.toml": REGISTRY + 'needs = ["B"]\n',
    "typo.toml": REGISTRY.replace("pass-specific", "pass-specifc"),
    "missing-config.toml": REGISTRY.replace("a.json", "nowhere.json"),
    "not-toml.toml": REGISTRY.replace("]]", "]", 1),
}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--registry", "needs-unknown.toml"], "workflow 'A': needs unknown entry 'B'"),
        (["--registry", "typo.toml"], "unknown key 'pass-specifc' (did you mean 'pass-specific'?)"),
        (["--registry", "missing-config.toml"], "config file"),
        (["--registry", "not-toml.toml"], "not valid TOML"),
        (["--registry", "absent.toml"], "cannot read registry absent.toml"),
        (["--run", "55x"], "--run must be a run number"),
        (["--run", "²"], "--run must be a run number"),
        (["--periodName", "LHC'24"], "--periodName"),
        (["--only", "EMC,FOO"], "unknown entries ['FOO']"),
        (["--engine", "o2-qc", "--qcdbUrl", "./store"], "o2-qc needs a CCDB server"),
        (["-o", "no/such/dir/wf.json"], "cannot write no/such/dir/wf.json"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, text in BAD_REGISTRIES.items():
        (tmp_path / name).write_text(text)
    before = sorted(p.name for p in tmp_path.iterdir())
    output = args[args.index("-o") + 1] if "-o" in args else "wf.json"
    assert generate(*args, *([] if "-o" in args else ["-o", output])) == 2
    err = capsys.readouterr().err
    assert err.startswith("qcflow: error: ")
    assert err.count("\n") == 1, err
    assert message in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_an_unwritable_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "out.json").mkdir()  # the output path is taken by a directory
    assert generate("-o", "out") == 2
    assert "cannot write out.json" in capsys.readouterr().err
    assert (tmp_path / "out.json").is_dir()
    assert not (tmp_path / "QC").exists()
