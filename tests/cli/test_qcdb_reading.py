"""``qcflow qcdb get|ls|browse`` as a new user meets them: objects of past runs, pipes, 80 columns."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from qcflow.cli import main
from qcflow.qcdb import LocalRepository
from qcflow.qcdb.model import iso_time

P = "qc_async/TST/MO/Task/a_rather_long_histogram_name_of_forty"
DAY = 86_400_000
#: 2024-05-01 00:00:00 UTC: the runs are valid then, long before "now".
MAY_2024 = 1_714_521_600_000


@pytest.fixture
def qcdb(tmp_path: Path) -> str:
    """Runs 1, 2, 3 valid on 1, 3 and 5 May 2024, in two passes (apass2 stored last)."""
    repo = LocalRepository(tmp_path / "qcdb", fsync=False)
    for pass_name in ("apass1", "apass2"):
        for run in (1, 2, 3):
            start = MAY_2024 + (2 * run - 2) * DAY
            repo.store(
                P,
                f"{run} {pass_name}".encode(),
                valid_from=start,
                valid_until=start + DAY // 2,
                metadata={"RunNumber": str(run), "PassName": pass_name},
            )
    repo.close()
    return str(tmp_path / "qcdb")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_get_with_a_filter_and_no_time_takes_the_newest_match(
    capsys: pytest.CaptureFixture[str], qcdb: str, tmp_path: Path
) -> None:
    out_file = tmp_path / "h"
    code, _, err = run(
        capsys, "qcdb", "get", P, "-m", "RunNumber=2", "--qcdb", qcdb, "-o", str(out_file)
    )
    assert code == 0, err
    assert out_file.read_bytes() == b"2 apass2"
    code, _, _ = run(
        capsys,
        "qcdb",
        "get",
        P,
        "-m",
        "RunNumber=2",
        "-m",
        "PassName=apass1",
        "--qcdb",
        qcdb,
        "-o",
        str(out_file),
    )
    assert code == 0
    assert out_file.read_bytes() == b"2 apass1"


def test_a_filter_on_a_key_no_version_has_still_fails(
    capsys: pytest.CaptureFixture[str], qcdb: str
) -> None:
    code, out, err = run(capsys, "qcdb", "get", P, "-m", "Nope=1", "--qcdb", qcdb, "--info")
    assert code != 0
    assert out == ""
    assert "no version has key Nope" in err


def test_hints_print_dates_and_respect_the_filter(
    capsys: pytest.CaptureFixture[str], qcdb: str
) -> None:
    # 4 May: run 3 (5 May) is nearest of all versions, but the filter asks for run 1 (1 May)
    code, _, err = run(
        capsys, "qcdb", "get", P, "-m", "RunNumber=1", "--at", "2024-05-04", "--qcdb", qcdb
    )
    assert code != 0
    assert "at 1714780800000 (2024-05-04 00:00:00 UTC)" in err
    assert "none with RunNumber=1 valid then" in err
    assert "nearest valid [2024-05-01 00:00:00, 2024-05-01 12:00:00) UTC" in err
    assert "Traceback" not in err


def test_piped_listings_are_one_plain_line_per_object(
    capsys: pytest.CaptureFixture[str], qcdb: str
) -> None:
    code, out, err = run(capsys, "qcdb", "ls", "qc_async", "--qcdb", qcdb)
    assert code == 0
    assert "1 object(s) under qc_async" in err
    assert out.splitlines() == [
        f"{P}\t2024-05-05 00:00:00\t2024-05-05 12:00:00\t"
        + out.split("\t")[3]
        + "\t8\tPassName=apass2,RunNumber=3"
    ]
    code, out, _ = run(capsys, "qcdb", "browse", P, "--qcdb", qcdb)
    lines = out.splitlines()
    assert len(lines) == 6
    assert all(line.startswith(P + "\t") and line.count("\t") == 5 for line in lines)


def test_at_80_columns_the_path_stays_whole(
    capsys: pytest.CaptureFixture[str], qcdb: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)  # rich asks the same stream
    code, out, _ = run(capsys, "qcdb", "browse", P, "--qcdb", qcdb)
    assert code == 0
    assert [line for line in out.splitlines() if P in line][1:] == [P] * 6  # after the title
    assert "valid [2024-05-05 00:00:00, 2024-05-05 12:00:00) UTC" in out
    assert max(len(re.sub(r"\x1b\[[0-9;]*m", "", line)) for line in out.splitlines()) <= 80
    monkeypatch.setenv("COLUMNS", "200")  # room for a table: one row per version
    code, out, _ = run(capsys, "qcdb", "browse", P, "--qcdb", qcdb)
    rows = [line for line in out.splitlines() if line.startswith(f"│ {P} │ 2024-05-0")]
    assert len(rows) == 6


def test_json_is_unchanged_when_piped(capsys: pytest.CaptureFixture[str], qcdb: str) -> None:
    code, out, _ = run(capsys, "qcdb", "browse", P, "--qcdb", qcdb, "--json")
    assert code == 0
    assert [e["RunNumber"] for e in json.loads(out)] == ["3", "2", "1", "3", "2", "1"]


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
@example(-30610224000001)  # 0999-12-31 23:59:59.999: glibc's %Y printed "999"
def test_any_time_in_ms_prints(ms: int) -> None:
    # validities run to 2**63 - 1 ms, far past the calendar: the number then, never a traceback
    text = iso_time(ms)
    assert text == str(ms) or re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", text)
