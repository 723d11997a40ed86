"""Workflow files: reading, writing, errors (qcflow.workflow.model)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from qcflow.errors import InvalidInput
from qcflow.workflow import Workflow, WorkflowTask


def test_write_appends_json_and_reads_back(tmp_path: Path) -> None:
    wf = Workflow(
        [WorkflowTask("a", "echo a"), WorkflowTask("b", "echo b", needs=["a"])], meta={"k": "v"}
    )
    written = wf.write(tmp_path / "wf")
    assert written == tmp_path / "wf.json"
    back = Workflow.read(written)
    assert [t.to_dict() for t in back.tasks] == [t.to_dict() for t in wf.tasks]
    assert back.meta == {"k": "v"}
    assert json.loads(written.read_text())["stages"][1]["needs"] == ["a"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"tasks": []}', "not an O2DPG workflow"),
        ('{"stages": {}}', "'stages' must be a list"),
        ('{"stages": [], "meta": []}', "'meta' must be an object"),
    ],
)
def test_malformed_files_are_one_line_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "wf.json"
    path.write_text(content)
    with pytest.raises(InvalidInput, match=message) as info:
        Workflow.read(path)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read workflow file"):
        Workflow.read(tmp_path / "nope.json")


def test_a_bare_list_of_stages_is_accepted() -> None:
    wf = Workflow.from_json([{"name": "a", "cmd": "true"}])
    assert wf.names() == ["a"]
    assert wf.meta == {}


def test_destination_that_is_a_directory_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "wf.json"
    target.mkdir()
    with pytest.raises(InvalidInput, match="cannot write"):
        Workflow([WorkflowTask("a", "true")]).write(target)
    assert [p.name for p in tmp_path.iterdir()] == ["wf.json"]
    assert target.is_dir()


def test_unwritable_destination_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot write"):
        Workflow([WorkflowTask("a", "true")]).write(tmp_path / "no" / "such" / "dir" / "wf.json")
    assert not (tmp_path / "no").exists()


def test_a_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "wf.json"
    target.write_text("old")

    def boom(*_: object, **__: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(InvalidInput, match="No space left"):
        Workflow([WorkflowTask("a", "true")]).write(target)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["wf.json"]


def test_an_o2dpg_file_round_trips_through_read_and_write(tmp_path: Path) -> None:
    source = Path(__file__).parent / "data" / "mc_like.json"
    written = Workflow.read(source).write(tmp_path / "copy")
    assert written == tmp_path / "copy.json"
    assert json.loads(written.read_text()) == json.loads(source.read_text())
    again = Workflow.read(written)
    assert again.task("grpcreate").resources.mem == 200  # "200" in the file, a number here
    assert json.loads(again.dumps()) == json.loads(source.read_text())
