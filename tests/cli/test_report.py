"""``qcflow report``: from an embedded store or a server, and its mistakes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qcflow.cli import main
from qcflow.demo.vertexing import DemoRun
from qcflow.qcdb.local import LocalRepository
from tests._judged import PASS, PERIOD
from tests.qcdb.conftest import running_server


def test_help_has_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    assert "example" in capsys.readouterr().out


def test_a_missing_store_is_a_user_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--qcdb", str(tmp_path / "nope"), "--period", "P", "--pass", "A"]) == 2
    assert "no QCDB at" in capsys.readouterr().err
    assert not (tmp_path / "nope").exists()
    (tmp_path / "empty").mkdir()  # a directory that is no store stays as it is
    assert main(["report", "--qcdb", str(tmp_path / "empty"), "--period", "P", "--pass", "A"]) == 2
    assert "no QCDB at" in capsys.readouterr().err
    assert list((tmp_path / "empty").iterdir()) == []


def test_through_a_server_the_objects_link_to_it(
    judged: tuple[Path, list[DemoRun]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, runs = judged
    repo = LocalRepository(root)
    with running_server(repo) as url:
        out = tmp_path / "report"
        assert (
            main(["report", "--qcdb", url, "--period", PERIOD, "--pass", PASS, "-o", str(out)]) == 0
        )
    repo.close()
    printed = capsys.readouterr().out
    assert f"{len(runs)} runs, detectors: MCH, ZDC" in printed
    assert (out / "index.html").as_uri() in printed
    page = (out / "index.html").read_text()
    assert re.search(rf'href="{re.escape(url)}/download/[0-9a-f-]{{36}}"', page)
