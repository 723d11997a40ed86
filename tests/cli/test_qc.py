"""``qcflow qc``: validate, run, and one-line errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qcflow.cli import main
from qcflow.objects.activity import Activity
from qcflow.qcdb.local import LocalRepository
from tests.postprocessing._configs import trending_task, with_tasks
from tests.postprocessing.conftest import put_th1


def write(tmp_path: Path, tree: dict[str, Any]) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(tree))
    return path


def one_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("qcflow: error: ")
    assert "\n" not in err
    assert "Traceback" not in err
    return err


@pytest.mark.shared
def test_validate_o2dpg_example(
    reference_configs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["qc", "validate", "--config", f"json://{reference_configs / 'example.json'}"]) == 0
    assert (
        "valid -- tasks: BeamSpotTrending; 0 checks, 0 aggregators; 0 warnings"
        in capsys.readouterr().out
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"updateTrigger": ["sometimes"]},
            "qc.postprocessing.T.updateTrigger[0]: unknown trigger 'sometimes'",
        ),
        (
            {"className": "o2::nope::Task"},
            "qc.postprocessing.T.className: unknown task class 'o2::nope::Task'",
        ),
        (
            {"plots": [{"name": "p", "varexp": "vertex_W.mean:time"}]},
            "qc.postprocessing.T.plots[0].varexp: expression 'vertex_W.mean': no branch 'vertex_W.mean'",
        ),
        (
            {
                "plots": [
                    {"name": "p", "varexp": "vertex_X.mean:time", "selection": "vertex_W.mean>0"}
                ]
            },
            "qc.postprocessing.T.plots[0].selection: expression 'vertex_W.mean>0': no branch 'vertex_W.mean'",
        ),
        (
            {
                "plots": [
                    {
                        "name": "p",
                        "varexp": "vertex_X.mean:time",
                        "graphErrors": "vertex_W.stddev:0",
                    }
                ]
            },
            "qc.postprocessing.T.plots[0].graphErrors: expression 'vertex_W.stddev': no branch",
        ),
        (
            {"plots": [{"name": "p", "varexp": "vertex_X.mean:time", "graphErrors": "(("}]},
            "qc.postprocessing.T.plots[0].graphErrors: ",
        ),
    ],
)
def test_config_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: dict[str, Any], message: str
) -> None:
    path = write(tmp_path, with_tasks({"T": trending_task(**change)}))
    assert message in one_error(capsys, ["qc", "--config", str(path)])


COMMON = "o2::quality_control_modules::common::"


def quality_config(**changes: dict[str, Any]) -> dict[str, Any]:
    """A trending task sliced by TH1SliceReductor, a check on it, an aggregator of the check."""
    sliced = trending_task(className="o2::quality_control::postprocessing::SliceTrendingTask")
    sliced["dataSources"][0].update(
        reductorName=f"{COMMON}TH1SliceReductor", axisDivision=[["0", "1", "2"]]
    )
    sliced["plots"] = [{"name": "p", "varexp": "vertex_X.meanX:run"}]
    check = {
        "className": f"{COMMON}NonEmpty",
        "moduleName": "QcCommon",
        "policy": "OnAny",
        "dataSource": [{"type": "PostProcessing", "name": "T", "MOs": ["p"]}],
    }
    aggregator = {
        "className": f"{COMMON}WorstOfAllAggregator",
        "moduleName": "QcCommon",
        "policy": "OnAll",
        "dataSource": [{"type": "Check", "name": "C"}],
    }
    tree = with_tasks({"T": sliced}, checks={"C": check}, aggregators={"A": aggregator})
    for key, change in changes.items():
        section, name, *rest = key.split(".")
        target = tree["qc"][section][name]
        for part in rest:
            target = target[int(part)] if isinstance(target, list) else target[part]
        target.update(change)
    return tree


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"checks.C.dataSource.0": {"name": "Nope"}},
            "qc.checks.C.dataSource[0].name: no post-processing task 'Nope' in this config",
        ),
        (
            {"aggregators.A.dataSource.0": {"name": "Nope"}},
            "qc.aggregators.A.dataSource[0].name: no check 'Nope' in this config",
        ),
        ({"checks.C": {"policy": "onany"}}, "qc.checks.C.policy: 'onany' is not one of"),
        (
            {"aggregators.A": {"policy": "OnSometimes"}},
            "qc.aggregators.A.policy: 'OnSometimes' is not one of",
        ),
        (
            {"postprocessing.T.dataSources.0": {"axisDivision": [["0", "x"]]}},
            "qc.postprocessing.T.dataSources[0].axisDivision[0][1]: 'x' is not a number",
        ),
        (
            {"postprocessing.T.dataSources.0": {"axisDivision": "0,1"}},
            "qc.postprocessing.T.dataSources[0].axisDivision: expected a JSON array",
        ),
        (
            {"postprocessing.T.dataSources.0": {"axisDivision": [["2", "1"]]}},
            "qc.postprocessing.T.dataSources[0].axisDivision[0]: edges [2.0, 1.0] do not increase",
        ),
    ],
)
def test_quality_config_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], changes: dict[str, Any], message: str
) -> None:
    assert main(["qc", "validate", "--config", str(write(tmp_path, quality_config()))]) == 0
    capsys.readouterr()
    path = write(tmp_path, quality_config(**changes))
    store = tmp_path / "qcdb"
    for argv in (
        ["qc", "validate", "--config", str(path)],
        ["qc", "--config", str(path), "--override-values", f"qc.config.database.host={store}"],
    ):
        assert message in one_error(capsys, argv)
    assert not store.exists()  # nothing half-written


def test_silent_o2_fallbacks_are_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = with_tasks({"T": trending_task(resumeTrend="maybe")})
    tree["qc"]["config"]["Activity"]["number"] = "abc"
    assert main(["qc", "validate", "--config", str(write(tmp_path, tree))]) == 0
    err = capsys.readouterr().err
    assert (
        "qc.config.Activity.number: 'abc' is not an integer; O2 silently uses the default (0)"
        in err
    )
    assert "qc.postprocessing.T.resumeTrend: 'maybe' is not a boolean" in err
    tree["qc"]["postprocessing"]["T"]["updateTrigger"] = ["sometimes"]  # now an error too
    assert main(["qc", "validate", "--config", str(write(tmp_path, tree))]) == 2
    warning, error = capsys.readouterr().err.strip().split("\n")[-2:]
    assert warning.startswith("qcflow: warning: qc.postprocessing.T.resumeTrend: 'maybe'")
    assert error.startswith("qcflow: error: ") and "unknown trigger 'sometimes'" in error


def test_input_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"qc": }')
    assert one_error(capsys, ["qc", "--config", str(bad)]).endswith(
        "bad.json:1:8: not valid JSON: Expecting value"
    )
    good = write(tmp_path, with_tasks({"T": trending_task()}))
    err = one_error(capsys, ["qc", "--config", str(good), "--override-values", "a=b=c"])
    assert "token 'a=b=c' is malformed" in err
    assert "cannot read" in one_error(capsys, ["qc", "--config", str(tmp_path / "none.json")])


def test_validate_strict_fails_on_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, with_tasks({"T": trending_task(colour="red")}))
    assert main(["qc", "validate", "--config", str(path)]) == 0
    assert main(["qc", "validate", "--strict", "--config", str(path)]) == 1
    assert "qc.postprocessing.T.colour: unknown key, ignored" in capsys.readouterr().err


def test_run_with_o2dpg_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "qcdb"
    repo = LocalRepository(store, fsync=False)
    for run in (1, 2):
        activity = Activity(run, "PHYSICS", "LHC24ab", "apass1", "qc_async")
        for name in ("vertex_X", "vertex_Y", "beamSpot"):
            put_th1(
                repo,
                f"qc_async/GLO/MO/Vertexing/{name}",
                np.zeros(3) + run / 10,
                activity,
                1_000_000 * run,
                1_000_000 * run + 500,
            )
    repo.close()
    path = write(tmp_path, with_tasks({"BeamSpotTrending": trending_task()}))
    argv = [
        "qc",
        "--config",
        f"json://{path}",
        "--override-values",
        f"qc.config.database.host={store};",
        "-b",
        "--run",
        "--driver-client-backend",
        "ws://",
        "--no-IPC",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "BeamSpotTrending: finished after 2 updates; 2 objects published" in out
    assert "qc_async/TST/MO/BeamSpotTrending/x_trend" in out


def test_no_input_is_said_on_stderr_and_in_the_task_notes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "qcdb"
    LocalRepository(store, fsync=False).close()  # a store, empty
    notes = tmp_path / "notes.txt"
    monkeypatch.setenv("QCFLOW_TASK_NOTES", str(notes))
    path = write(tmp_path, with_tasks({"BeamSpotTrending": trending_task()}))
    overrides = f"qc.config.database.host={store};qc.config.Activity.number=550123"
    assert main(["qc", "--config", str(path), "--override-values", overrides, "--no-IPC"]) == 0
    line = (
        f"published nothing: no input objects for run 550123, period LHC24ab, pass apass1 "
        f"in {store}"
    )
    assert f"qcflow: warning: {line}\n" in capsys.readouterr().err
    assert notes.read_text(encoding="utf-8") == line + "\n"


def vertexing_store_of_run_1(tmp_path: Path) -> Path:
    """A store holding the beam-spot task's three inputs, for run 1 only."""
    store = tmp_path / "qcdb"
    repo = LocalRepository(store, fsync=False)
    activity = Activity(1, "PHYSICS", "LHC24ab", "apass1", "qc_async")
    for name in ("vertex_X", "vertex_Y", "beamSpot"):
        put_th1(repo, f"qc_async/GLO/MO/Vertexing/{name}", np.zeros(3), activity, 1000, 2000)
    repo.close()
    return store


def test_inputs_of_other_runs_are_no_input_for_this_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = vertexing_store_of_run_1(tmp_path)
    path = write(tmp_path, with_tasks({"BeamSpotTrending": trending_task()}))
    overrides = f"qc.config.database.host={store};qc.config.Activity.number=2"
    assert main(["qc", "--config", str(path), "--override-values", overrides, "--no-IPC"]) == 0
    assert (
        "published nothing: no input objects for run 2, period LHC24ab" in capsys.readouterr().err
    )


def test_an_unwritable_notes_file_is_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "qcdb"
    LocalRepository(store, fsync=False).close()
    monkeypatch.setenv("QCFLOW_TASK_NOTES", str(tmp_path / "no" / "such" / "dir" / "notes"))
    path = write(tmp_path, with_tasks({"BeamSpotTrending": trending_task()}))
    argv = ["qc", "--config", str(path), "--override-values", f"qc.config.database.host={store}"]
    assert main([*argv, "--no-IPC"]) == 0
    err = capsys.readouterr().err
    assert "published nothing: no input objects" in err
    assert "cannot write the task note to $QCFLOW_TASK_NOTES=" in err


def test_a_run_that_publishes_writes_no_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    notes = tmp_path / "notes.txt"
    monkeypatch.setenv("QCFLOW_TASK_NOTES", str(notes))
    test_run_with_o2dpg_options(tmp_path, capsys)
    assert not notes.exists()


def test_inputs_that_exist_are_not_called_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = vertexing_store_of_run_1(tmp_path)
    # 'once' fires with no validity: the task updates but publishes nothing, as in QC
    path = write(tmp_path, with_tasks({"T": trending_task(updateTrigger=["once"])}))
    overrides = f"qc.config.database.host={store}"
    assert main(["qc", "--config", str(path), "--override-values", overrides, "--no-IPC"]) == 0
    err = capsys.readouterr().err
    assert (
        "published nothing: 1 update although input objects for period LHC24ab, pass apass1 exist"
        in err
    )
