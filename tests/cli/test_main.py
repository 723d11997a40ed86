"""The qcflow command line: help, errors and exit codes (qcflow.cli)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from qcflow.cli import build_parser, main


def all_commands() -> list[list[str]]:
    """Every command path of the parser, e.g. ['generate', 'qc-postproc']."""
    found: list[list[str]] = []

    def walk(parser: object, prefix: list[str]) -> None:
        for action in getattr(parser, "_actions", []):
            choices = getattr(action, "choices", None)
            if isinstance(choices, dict):
                for name, sub in choices.items():
                    found.append([*prefix, name])
                    walk(sub, [*prefix, name])

    walk(build_parser(), [])
    return found


@pytest.mark.parametrize("command", [[], *all_commands()], ids=lambda c: " ".join(c) or "qcflow")
def test_every_help_explains_itself(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([*command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: qcflow")
    assert len(out.splitlines()) > 5


def test_user_errors_are_one_line_and_exit_2(
    tmp_path: Path, qcflow_cmd: list[str], subprocess_env: dict[str, str]
) -> None:
    bad = tmp_path / "wf.json"
    bad.write_text("{oops")
    out = subprocess.run(
        [*qcflow_cmd, "workflow", "validate", str(bad)],
        capture_output=True,
        text=True,
        env=subprocess_env,
    )
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0
    assert "Traceback" not in out.stderr
    assert out.stderr.startswith(f"qcflow: error: {bad}: not valid JSON")


def test_generate_then_validate(
    tmp_path: Path, qcflow_cmd: list[str], subprocess_env: dict[str, str]
) -> None:
    gen = subprocess.run(
        [
            *qcflow_cmd,
            "generate",
            "qc-postproc",
            "--passName",
            "apass1",
            "--periodName",
            "LHC24ab",
            "--run",
            "550123",
            "-o",
            "wf.json",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=subprocess_env,
    )
    assert gen.returncode == 0, gen.stderr
    assert "4 tasks (example, EMC, MCH, ZDC)" in gen.stdout
    check = subprocess.run(
        [*qcflow_cmd, "workflow", "validate", "wf.json", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=subprocess_env,
    )
    assert check.returncode == 0
    assert json.loads(check.stdout)["ok"] is True
    bad = subprocess.run(
        [*qcflow_cmd, "generate", "qc-postproc", "--run", "x", "-o", "other.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=subprocess_env,
    )
    assert bad.returncode == 2
    assert not (tmp_path / "other.json").exists()


def test_validate_reports_invalid_workflows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "wf.json"
    path.write_text(
        json.dumps(
            {
                "stages": [
                    {"name": "a", "cmd": "x", "needs": ["b"]},
                    {"name": "b", "cmd": "x", "needs": ["a"]},
                ]
            }
        )
    )
    assert main(["workflow", "validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "dependency cycle: a -> b -> a" in err


def test_info_prints_the_critical_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "wf.json"
    path.write_text(
        json.dumps(
            {"stages": [{"name": "a", "cmd": "x"}, {"name": "b", "cmd": "x", "needs": ["a"]}]}
        )
    )
    assert main(["workflow", "info", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["critical_path"] == ["a", "b"]


def test_a_named_command_needs_only_its_own_module_and_parses_the_same() -> None:
    # Registering every command imports every command's module (~20 ms of each start-up)
    code = (
        "import sys; from qcflow.cli import build_parser; build_parser({}); "
        "print(sorted(m for m in sys.modules if m.startswith('qcflow.cli.')))"
    )
    alone = subprocess.run(
        [sys.executable, "-c", code.format("'run'")], capture_output=True, text=True, check=True
    )
    everything = subprocess.run(
        [sys.executable, "-c", code.format("")], capture_output=True, text=True, check=True
    )
    assert "'qcflow.cli.qc'" not in alone.stdout
    assert "'qcflow.cli.qc'" in everything.stdout
    argv = ["run", "-f", "wf.json", "--cpu-limit", "3", "--always-bash"]
    assert vars(build_parser("run").parse_args(argv)) == vars(build_parser().parse_args(argv))


def test_a_misspelt_command_is_told_the_commands_there_are(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as ended:
        main(["runn", "-f", "wf.json"])
    assert ended.value.code == 2
    said = capsys.readouterr().err
    assert "invalid choice: 'runn'" in said
    assert "'generate'" in said
    assert "'ui'" in said
