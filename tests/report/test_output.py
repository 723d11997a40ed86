"""Where a report may be written, what an interrupted one leaves, and a report with nothing in it:
one line and exit 2, never a traceback, a half-written folder or a replaced folder of other
files."""

from __future__ import annotations

import os
import signal
import string
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qcflow.cli import main
from qcflow.cli.report import _sigterm_as_exit
from qcflow.errors import InvalidInput
from qcflow.qcdb.local import LocalRepository
from qcflow.report import build_report
from tests._judged import PASS, PERIOD


def _report(root: Path, out: Path | str, *extra: str) -> list[str]:
    return [
        "report",
        "--qcdb",
        str(root),
        "--period",
        PERIOD,
        "--pass",
        PASS,
        "-o",
        str(out),
        *extra,
    ]


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.startswith("qcflow: error: "), err
    assert err.count("\n") == 1, err
    return err


def test_an_output_below_a_file_is_refused(
    judged: tuple[Path, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = judged
    (tmp_path / "README.md").write_text("mine\n")
    assert main(_report(root, tmp_path / "README.md" / "x")) == 2
    assert "README.md" in _one_line_error(capsys)
    assert (tmp_path / "README.md").read_text() == "mine\n"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_an_output_where_nothing_can_be_written_is_refused(
    judged: tuple[Path, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = judged
    assert main(_report(root, "/proc/r3")) == 2
    error = _one_line_error(capsys)
    assert "/proc/r3" in error
    assert "cannot create a file in it" in error  # not "/proc: No such file or directory"


def test_an_existing_file_or_a_folder_of_other_files_is_not_replaced(
    judged: tuple[Path, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = judged
    (tmp_path / "notes.txt").write_text("mine\n")
    assert main(_report(root, tmp_path / "notes.txt")) == 2
    _one_line_error(capsys)
    assert (tmp_path / "notes.txt").read_text() == "mine\n"
    work = tmp_path / "work"
    work.mkdir()
    (work / "thesis.tex").write_text("years\n")
    assert main(_report(root, work)) == 2
    assert "other files" in _one_line_error(capsys)
    assert (work / "thesis.tex").read_text() == "years\n"
    # An earlier report and an empty folder are replaced.
    assert main(_report(root, tmp_path / "empty")) == 0
    assert main(_report(root, tmp_path / "empty")) == 0
    assert (tmp_path / "empty" / "index.html").is_file()


class _InterruptedAtPlots:
    """A store whose reader is stopped (Ctrl-C) while the report copies the plots."""

    def __init__(self, repo: LocalRepository) -> None:
        self.repo = repo

    def __getattr__(self, name: str) -> Any:
        return getattr(self.repo, name)

    def download(self, uuid: str) -> Any:
        fetched = self.repo.download(uuid)
        if fetched.info.content_type == "image/png":  # the quality objects were read and copied
            raise KeyboardInterrupt
        return fetched


def test_an_interrupted_report_leaves_no_staging_folder_and_the_previous_report(
    judged: tuple[Path, Any], tmp_path: Path
) -> None:
    root, _ = judged
    out = tmp_path / "report"
    repo = LocalRepository(root)
    try:
        build_report(repo, PERIOD, PASS, out)
        before = (out / "index.html").read_text()
        with pytest.raises(KeyboardInterrupt):
            build_report(_InterruptedAtPlots(repo), PERIOD, PASS, out)  # type: ignore[arg-type]
    finally:
        repo.close()
    assert not (tmp_path / "report.tmp").exists()
    assert (out / "index.html").read_text() == before


class _TerminatedAtPlots(_InterruptedAtPlots):
    """A store whose reader gets SIGTERM while the report copies the plots."""

    def download(self, uuid: str) -> Any:
        fetched = self.repo.download(uuid)
        # Only with a handler installed: the default action would end the test run.
        if fetched.info.content_type == "image/png" and callable(signal.getsignal(signal.SIGTERM)):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler runs at once and ends the sleep by raising; 5 s: never
        return fetched


def test_sigterm_ends_the_report_command_through_the_same_clean_up(
    judged: tuple[Path, Any], tmp_path: Path
) -> None:
    root, _ = judged
    before = signal.getsignal(signal.SIGTERM)
    repo = LocalRepository(root)
    try:
        with pytest.raises(SystemExit) as stopped, _sigterm_as_exit():
            build_report(
                _TerminatedAtPlots(repo),
                PERIOD,
                PASS,  # type: ignore[arg-type]
                tmp_path / "report",
            )
    finally:
        repo.close()
    assert stopped.value.code == 128 + signal.SIGTERM
    assert not (tmp_path / "report.tmp").exists()
    assert signal.getsignal(signal.SIGTERM) == before


def test_an_empty_report_says_why_with_what_the_store_holds(
    judged: tuple[Path, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = judged
    out = tmp_path / "report"
    for period, pass_name in ((PERIOD, "apass9"), ("LHC99zz", PASS)):
        argv = [
            "report",
            "--qcdb",
            str(root),
            "--period",
            period,
            "--pass",
            pass_name,
            "-o",
            str(out),
        ]
        assert main(argv) == 2
        err = _one_line_error(capsys)
        assert f"period {period!r}, pass {pass_name!r}" in err
        assert f"{PERIOD} ({PASS})" in err  # the hint: what the store does hold
        assert not out.exists()
    assert main([*_report(root, out), "--provenance", "qc_mc"]) == 2
    assert "its top folders: qc_async" in _one_line_error(capsys)


def test_an_empty_store_is_said_to_be_empty(tmp_path: Path) -> None:
    repo = LocalRepository(tmp_path / "qcdb")
    try:
        with pytest.raises(InvalidInput, match="the store is empty"):
            build_report(repo, PERIOD, PASS, tmp_path / "report")
    finally:
        repo.close()
    assert not (tmp_path / "report").exists()


# Relative names that stay below the test's folder (no leading "/", no "..").
_NAMES = st.one_of(
    st.sampled_from(["", ".", "a-file", "a-file/x", "x.tmp", "a/b/c", "sub/", " "]),
    st.text(string.ascii_letters + "./-_ ~\0\n", min_size=1, max_size=12).filter(
        lambda n: not n.startswith("/") and ".." not in n
    ),
)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_NAMES)
def test_any_output_name_gives_a_report_or_one_line(
    judged: tuple[Path, Any], tmp_path: Path, name: str
) -> None:
    root, _ = judged
    base = Path(tempfile.mkdtemp(dir=tmp_path))  # one per example
    (base / "a-file").write_text("x")
    repo = LocalRepository(root)
    try:
        result = build_report(repo, PERIOD, PASS, base / name)
        assert result.index.is_file()
    except InvalidInput as err:
        message = str(err)
        assert message.startswith("cannot ")
        assert "\n" not in message or "\n" in name
    finally:
        repo.close()
    assert not list(base.rglob("*.tmp")) or name.endswith(".tmp")
    assert (base / "a-file").read_text() == "x"
