"""The README's worked example, end to end, on a small store filled by the demo's fillers.

``make demo`` leaves ``demo-output/qcdb``; the README then generates and runs the workflow for
run 550008 against it. Here the store holds the demo's first 7 runs (550008 is the 7th, the
one whose ZDC the demo broke), so the example's commands run as written.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qcflow.cli import main
from qcflow.demo.datasets import fill_all, issues
from qcflow.demo.vertexing import vertexing_runs

RUNS = 7
README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(scope="module")
def demo_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("readme")
    fill_all(str(base / "demo-output" / "qcdb"), "LHC24ab", ("apass1",), runs=RUNS, workers=1)
    return base


def _generate_and_run(qcdb: str, run: int, *extra: str) -> None:
    generate = [
        "generate",
        "qc-postproc",
        "--passName",
        "apass1",
        "--periodName",
        "LHC24ab",
        "--run",
        str(run),
        "--qcdbUrl",
        qcdb,
        "-o",
        "wf.json",
        *extra,
    ]
    assert main(generate) == 0
    assert main(["run", "-f", "wf.json"]) == 0


@pytest.mark.slow
def test_the_readme_example_publishes_and_judges_run_550008(
    demo_output: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert vertexing_runs(RUNS)[-1].number == 550008
    assert ("ZDC", 550008, "Bad") in {(i.detector, i.run, i.verdict) for i in issues(RUNS)}
    text = README.read_text()
    assert "--run 550008" in text
    assert "--qcdbUrl demo-output/qcdb -o wf.json" in text
    cwd = demo_output  # as after make demo: demo-output/qcdb in the current directory
    monkeypatch.chdir(cwd)
    _generate_and_run("demo-output/qcdb", 550008)
    assert "4 tasks: 4 done" in capsys.readouterr().out
    zdc = (cwd / "QC" / "ZDC.log").read_text()
    assert "qc_async/ZDC/QO/RecCheck: Bad" in zdc
    summary = {t["name"]: t for t in json.loads((cwd / "summary.json").read_text())["tasks"]}
    for name in ("example", "EMC", "MCH", "ZDC"):
        log = (cwd / "QC" / f"{name}.log").read_text()
        assert "published nothing" not in log, name
        assert summary[name].get("notes", []) == [], name


@pytest.mark.slow
def test_a_run_the_store_does_not_hold_says_so_per_task(
    demo_output: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cwd = demo_output / "missing-run"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    _generate_and_run("../demo-output/qcdb", 550123, "--only", "MCH,ZDC")
    store = demo_output / "demo-output" / "qcdb"
    why = f"published nothing: no input objects for run 550123, period LHC24ab, pass apass1 in {store}"
    summary = {t["name"]: t for t in json.loads((cwd / "summary.json").read_text())["tasks"]}
    for name in ("MCH", "ZDC"):
        assert why in (cwd / "QC" / f"{name}.log").read_text(), name
        if "notes" in summary[name]:  # the runner's side of the contract (its branch "runner")
            assert summary[name]["notes"] == [why], name
