"""The QC post-processing generator (qcflow.generators.qc_postproc)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcflow.errors import InvalidInput
from qcflow.generators.qc_postproc import generate, override_values, qc_postprocessing_workflow
from qcflow.generators.registry import Entry, load_registry
from qcflow.workflow import Workflow, validate
from qcflow.workflow.o2dpg import createTask, dump_workflow


def o2dpg_stage(name: str, config: str, run: str) -> dict[str, object]:
    """One stage as O2DPG's o2dpg_qc_postproc_workflow.py + dump_workflow write it.

    Derived by hand from the O2DPG sources described in spec/o2dpg-workflow.md §1-2:
    createTask(name, needs=[], cwd="QC", lab=["QC"], cpu=1, mem='2000'); the command
    'o2-qc --config <cfg> ' + '--override-values "…"' + ' ' + '-b --run --driver-client-backend ws:// ',
    wrapped by the taskwrapper, then whitespace-collapsed (the trailing space stays before the quote).
    """
    overrides = (
        "qc.config.database.host=ccdb-test.cern.ch:8080;qc.config.Activity.type=PHYSICS;"
        f"qc.config.Activity.number={run};qc.config.Activity.periodName=LHC24ab;"
        "qc.config.Activity.passName=apass1;"
    )
    cmd = (
        f". ${{O2_ROOT}}/share/scripts/jobutils2.sh; taskwrapper {name}.log "
        f"'o2-qc --config json://${{O2DPG_ROOT}}/DATA/production/qc-postproc-async/{config}.json "
        f'--override-values "{overrides}" -b --run --driver-client-backend ws:// \''
    )
    return {
        "name": name,
        "cmd": cmd,
        "needs": [],
        "resources": {"cpu": 1, "relative_cpu": None, "mem": "2000"},
        "timeframe": -1,
        "labels": ["QC"],
        "cwd": "QC",
    }


EXPECTED_O2DPG = [
    o2dpg_stage("example", "example", "0"),
    o2dpg_stage("EMC", "emc", "0"),
    o2dpg_stage("MCH", "mch", "550123"),
    o2dpg_stage("ZDC", "zdc", "550123"),
]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("QCFLOW_QCDB", raising=False)


def test_o2_qc_engine_reproduces_o2dpg_stage_by_stage(tmp_path: Path) -> None:
    path, _ = generate(
        "wf.json",
        run=550123,
        period="LHC24ab",
        pass_name="apass1",
        qcdb_url="ccdb-test.cern.ch:8080",
        engine="o2-qc",
    )
    stages = json.loads(path.read_text())["stages"]
    assert len(stages) == len(EXPECTED_O2DPG)
    for got, expected in zip(stages, EXPECTED_O2DPG, strict=True):
        assert got == expected
    assert (tmp_path / "QC").is_dir()


def test_o2_qc_engine_defaults_to_o2dpgs_qcdb() -> None:
    path, _ = generate(
        "wf.json", run="550123", period="LHC24ab", pass_name="apass1", engine="o2-qc"
    )
    assert json.loads(path.read_text())["stages"] == EXPECTED_O2DPG


def test_default_engine_runs_qcflow_on_the_embedded_store(tmp_path: Path) -> None:
    path, workflow = generate("wf", run=550123, period="LHC24ab", pass_name="apass1")
    assert path == Path("wf.json")
    assert validate(workflow).ok
    names = [t.name for t in workflow.stages]
    assert names == ["example", "EMC", "MCH", "ZDC"]
    for task in workflow.stages:
        assert task.cwd == "QC"
        assert task.labels == ["QC"]
        assert task.needs == []
        assert task.resources.cpu == 1
        assert task.resources.mem == 2000
        assert task.cmd.startswith("qcflow qc --config json:///")
        config = Path(task.cmd.split()[3].removeprefix("json://"))
        assert config.is_file()
        assert config.suffix == ".json"
        assert f"qc.config.database.host={tmp_path / 'qcdb'};" in task.cmd
        assert "taskwrapper" not in task.cmd
        assert "--no-IPC" not in task.cmd
    mch = workflow.task("MCH").cmd
    example = workflow.task("example").cmd
    assert "qc.config.Activity.number=550123;" in mch
    assert "qc.config.Activity.number=0;" in example
    assert workflow.meta["engine"] == "qcflow"
    assert workflow.meta["run"] == 550123


def test_qcdb_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("QCFLOW_QCDB", "store")
    _, workflow = generate("wf.json")
    assert f"host={tmp_path / 'store'};" in workflow.stages[0].cmd
    monkeypatch.setenv("QCFLOW_QCDB", "myhost:8083")
    _, workflow = generate("wf.json")
    assert "host=myhost:8083;" in workflow.stages[0].cmd


def test_no_ipc_has_an_effect() -> None:
    _, workflow = generate("wf.json", no_ipc=True)
    assert all(t.cmd.endswith(" --no-IPC") for t in workflow.stages)
    _, workflow = generate("wf.json", no_ipc=True, engine="o2-qc")
    assert all("ws:// --no-IPC '" in t.cmd for t in workflow.stages)


def entry(**kw: object) -> Entry:
    values: dict[str, object] = {
        "name": "x",
        "config": "c.json",
        "o2_config": "c.json",
        "needs": (),
        "run_specific": False,
        "period_specific": False,
        "pass_specific": False,
        "description": "",
        "registry": Path("r.toml"),
    }
    values.update(kw)
    return Entry(**values)  # type: ignore[arg-type]


@given(
    run=st.integers(0, 10**7),
    period=st.from_regex(r"[A-Za-z0-9_]{0,8}", fullmatch=True),
    pass_name=st.from_regex(r"[a-z0-9_]{0,8}", fullmatch=True),
    flags=st.tuples(st.booleans(), st.booleans(), st.booleans()),
)
def test_override_string_specificity(
    run: int, period: str, pass_name: str, flags: tuple[bool, bool, bool]
) -> None:
    e = entry(run_specific=flags[0], period_specific=flags[1], pass_specific=flags[2])
    text = override_values(e, run, period, pass_name, "h:1")
    assert text.startswith('--override-values "')
    assert text.endswith(';"')
    pairs = dict(
        item.split("=", 1) for item in text[len('--override-values "') : -1].split(";") if item
    )
    assert pairs == {
        "qc.config.database.host": "h:1",
        "qc.config.Activity.type": "PHYSICS",
        "qc.config.Activity.number": str(run if flags[0] else 0),
        "qc.config.Activity.periodName": period if flags[1] else "",
        "qc.config.Activity.passName": pass_name if flags[2] else "",
    }


def test_only_pulls_in_needed_entries(tmp_path: Path) -> None:
    registry = tmp_path / "reg.toml"
    (tmp_path / "c.json").write_text("{}")
    registry.write_text("""
[[workflow]]
name = "A"
config = "c.json"
run-specific = false
period-specific = true
pass-specific = true
[[workflow]]
name = "B"
config = "c.json"
needs = ["A"]
run_specific = true
period_specific = true
pass_specific = true
[[workflow]]
name = "C"
config = "c.json"
run-specific = false
period-specific = false
pass-specific = false
""")
    tasks = qc_postprocessing_workflow(1, "P", "p", "h:1", registry, only=["B"])
    assert [t["name"] for t in tasks] == ["A", "B"]
    assert tasks[1]["needs"] == ["A"]
    with pytest.raises(InvalidInput, match=r"unknown entries \['Z'\]"):
        qc_postprocessing_workflow(registry=registry, only=["Z"])


def test_variables_in_config_paths_stay_for_run_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MY_CONFIGS", raising=False)
    registry = tmp_path / "reg.json"
    registry.write_text(
        json.dumps(
            {
                "workflow": [
                    {
                        "name": "A",
                        "config": "json://${MY_CONFIGS}/a.json",
                        "run-specific": False,
                        "period-specific": False,
                        "pass-specific": False,
                    }
                ]
            }
        )
    )
    tasks = qc_postprocessing_workflow(registry=registry)
    assert tasks[0]["cmd"].startswith("qcflow qc --config json://${MY_CONFIGS}/a.json ")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"run": "55x"}, "--run must be a run number"),
        ({"run": -1}, "--run must be a run number"),
        ({"period": "LHC 24"}, "--periodName 'LHC 24'"),
        ({"pass_name": 'a"b'}, "--passName"),
        ({"qcdb_url": "a;b"}, "--qcdbUrl"),
        ({"engine": "o2-qc", "qcdb_url": "./store"}, "o2-qc needs a CCDB server"),
        ({"registry": "missing.toml"}, "cannot read registry"),
    ],
)
def test_bad_input_writes_nothing(kwargs: dict[str, object], message: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=message):
        generate("wf.json", **kwargs)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_missing_config_file_is_named(tmp_path: Path) -> None:
    registry = tmp_path / "reg.toml"
    registry.write_text(
        '[[workflow]]\nname="A"\nconfig="nowhere.json"\nrun-specific=false\n'
        "period-specific=false\npass-specific=false\n"
    )
    with pytest.raises(
        InvalidInput, match=r"workflow 'A': config file .*nowhere.json does not exist"
    ):
        generate("wf.json", registry=registry)
    assert not (tmp_path / "wf.json").exists()


def test_a_cycle_in_the_registry_is_reported(tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text("{}")
    rows = [
        {
            "name": n,
            "config": "c.json",
            "needs": [m],
            "run-specific": False,
            "period-specific": False,
            "pass-specific": False,
        }
        for n, m in (("A", "B"), ("B", "A"))
    ]
    registry = tmp_path / "reg.json"
    registry.write_text(json.dumps({"workflow": rows}))
    with pytest.raises(InvalidInput, match="dependency cycle: A -> B -> A"):
        generate("wf.json", registry=registry)
    assert not (tmp_path / "wf.json").exists()


def test_the_default_registry_has_the_seeds_four_entries() -> None:
    entries = load_registry()
    assert [(e.name, e.run_specific, e.period_specific, e.pass_specific) for e in entries] == [
        ("example", False, True, True),
        ("EMC", False, True, True),
        ("MCH", True, True, True),
        ("ZDC", True, True, True),
    ]
    assert all(e.needs == () for e in entries)


def test_generated_file_round_trips(tmp_path: Path) -> None:
    path, workflow = generate("wf.json", run=1, period="P", pass_name="p")
    again = Workflow.read(path)
    assert again.to_json() == workflow.to_json() == json.loads(path.read_text())


@given(st.text(max_size=12))
def test_any_run_text_is_a_number_or_a_one_line_error(text: str) -> None:
    if re.fullmatch(r"\s*[0-9]+\s*", text):
        tasks = qc_postprocessing_workflow(run=text, only=["MCH"])
        assert f"qc.config.Activity.number={int(text)};" in tasks[0]["cmd"]
    else:
        with pytest.raises(InvalidInput, match=r"\A--run must be a run number[^\n]*\Z"):
            qc_postprocessing_workflow(run=text, only=["MCH"])


def test_only_must_name_something() -> None:
    with pytest.raises(InvalidInput, match="--only names no entry"):
        qc_postprocessing_workflow(only=["", " "])


def test_qc_that_is_a_file_is_one_error_and_nothing_is_written(tmp_path: Path) -> None:
    (tmp_path / "QC").write_text("not a directory")
    with pytest.raises(InvalidInput, match="cannot create the tasks' directory"):
        generate("wf.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["QC"]


def test_a_failed_write_leaves_no_qc_directory_behind(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot write"):
        generate(tmp_path / "no" / "such" / "wf.json")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("no_ipc", [False, True])
def test_the_qcflow_command_is_what_qcflow_qc_parses(no_ipc: bool) -> None:
    """The generated command line, split as bash splits it, is a valid ``qcflow qc`` call."""
    from qcflow.cli import build_parser

    tasks = qc_postprocessing_workflow(550123, "LHC24ab", "apass1", "h:1", no_ipc=no_ipc)
    for task in tasks:
        words = shlex.split(task["cmd"])
        assert words[:2] == ["qcflow", "qc"]
        args = build_parser().parse_args(words[1:])
        assert args.no_ipc is no_ipc
        assert Path(args.config.removeprefix("json://")).is_file()
        assert args.override_values.startswith("qc.config.database.host=h:1;")


def test_tasks_can_be_included_in_another_workflow(tmp_path: Path) -> None:
    """As O2DPG's MC workflow includes QC finalization: the tasks are plain O2DPG dicts."""
    sim = createTask(name="sim_1", tf=1, cwd="tf1")
    sim["cmd"] = "true"
    (zdc,) = qc_postprocessing_workflow(550123, "LHC24ab", "apass1", "h:1", only=["ZDC"])
    zdc["needs"].append("sim_1")
    dump_workflow([sim, zdc], tmp_path / "mc", taskwrapper=False)
    workflow = Workflow.read(tmp_path / "mc.json")
    assert validate(workflow).ok
    assert workflow.task("ZDC").needs == ["sim_1"]
    assert workflow.task("ZDC").cmd == zdc["cmd"]
