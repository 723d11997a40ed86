"""Strings that become paths, argv or environment are checked by ``validate`` (issue 12, item 11).

Before, a NUL in a task's ``cwd`` or ``name`` passed ``workflow validate`` and crashed ``run``
with a traceback; a NUL in ``cmd`` or ``env``, or ``=`` in a variable name, failed every task at
start. Now each is a validation error naming the task and the key, and ``run`` exits 2 before
anything starts.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcflow.cli import main
from qcflow.workflow import Workflow, WorkflowTask, validate
from tests.runner.conftest import task, write_workflow

BAD = ["a\0b", "\ud800", "x\udfff"]


def _errors(workflow: Workflow) -> list[str]:
    return [str(p) for p in validate(workflow).errors]


@pytest.mark.parametrize("text", BAD)
@pytest.mark.parametrize("key", ["name", "cmd", "cwd"])
def test_a_field_that_cannot_reach_the_os_is_an_error(key: str, text: str) -> None:
    fields = {"name": "a", "cmd": "true", "cwd": "./", key: text}
    errors = _errors(Workflow([WorkflowTask(**fields)]))
    assert len(errors) == 1, errors
    assert f"(stages[0].{key})" in errors[0]


@pytest.mark.parametrize(
    ("env", "where"),
    [
        ({"A": "x\0y"}, "env.A"),
        ({"A\0B": "x"}, "env"),
        ({"A=B": "x"}, "env"),
        ({"": "x"}, "env"),
        ({"A": "\ud800"}, "env.A"),
    ],
)
def test_env_entries_are_checked_in_tasks_and_the_global_init(
    env: dict[str, str], where: str
) -> None:
    for name in ("a", "__global_init_task__"):
        errors = _errors(Workflow([WorkflowTask(name, "true", env=env)]))
        assert errors, (name, env)
        assert all(f"({'stages[0].'}{where})" in e for e in errors), errors


@given(st.text(max_size=20))
def test_every_encodable_nul_free_string_is_accepted(text: str) -> None:
    ok = "\0" not in text and not any(0xD800 <= ord(c) <= 0xDFFF for c in text)
    workflow = Workflow([WorkflowTask("a", f"echo {text}", cwd=f"d{text}".replace("/", "_"))])
    assert (not _errors(workflow)) == ok


@pytest.mark.parametrize("key", ["cwd", "name", "cmd"])
def test_run_exits_2_before_anything_starts(tmp_path, monkeypatch, capsys, key: str) -> None:
    monkeypatch.chdir(tmp_path)
    bad = task("a", "touch started")
    bad[key] = "a\0b"
    wf = write_workflow(tmp_path / "wf.json", [bad])
    assert main(["workflow", "validate", str(wf)]) == 2
    code = main(["run", "-f", str(wf), "--progress", "plain", "--monitor-interval", "0"])
    err = capsys.readouterr().err
    assert code == 2
    assert "contains a NUL byte" in err
    assert "Traceback" not in err
    assert not (tmp_path / "started").exists()
    assert not (tmp_path / "summary.json").exists()
