"""``qcflow demo`` end to end: fill, generate the four workflows, run them, report.

The test runs a short period (``--runs``, RUNS), enough for a Bad and a Medium run of MCH and of
ZDC: what it checks does not grow with the number of runs, its cost does (50 runs: twice the
CPU time). MCH has every sixth run (real-shaped maps); its other runs show no MCH verdict.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcflow.cli import main
from qcflow.demo.datasets import issues
from qcflow.demo.mch import mch_run_indices
from qcflow.demo.vertexing import vertexing_runs
from tests.report._html import Cells

RUNS = 18


@pytest.mark.slow
def test_demo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    workdir = tmp_path / "demo-output"
    assert main(["demo", "--workdir", str(workdir), "--runs", str(RUNS)]) == 0
    out = capsys.readouterr().out
    index = workdir / "report" / "index.html"
    assert f"open {index.as_uri()}" in out
    for name in ("example", "EMC", "MCH", "ZDC"):
        assert (workdir / "QC" / f"{name}.log").is_file()
    parser = Cells()
    parser.feed(index.read_text())
    cells = parser.by_detector()
    runs = [r.number for r in vertexing_runs(RUNS)]
    assert sorted(cells) == runs
    assert {"EMC", "MCH", "TST", "ZDC"} <= set(parser.columns)
    planted = issues(RUNS)
    expected = {(i.run, i.detector): i.verdict for i in planted}
    for detector in ("MCH", "ZDC"):  # the period is long enough for both kinds of bad run
        assert {"Bad", "Medium"} <= {v for (_, d), v in expected.items() if d == detector}
    mch_runs = {runs[i] for i in mch_run_indices(RUNS)}
    for run in runs:
        assert cells[run]["ZDC"] == expected.get((run, "ZDC"), "Good"), run
        mch = expected.get((run, "MCH"), "Good") if run in mch_runs else "none"
        assert cells[run]["MCH"] == mch, run
    bad = {(run, d) for run, row in cells.items() for d, q in row.items() if q == "Bad"}
    assert bad == {key for key, verdict in expected.items() if verdict == "Bad"}
    for issue in planted:
        assert f"run {issue.run} {issue.detector}: {issue.verdict}" in out


def _not_a_count(text: str) -> bool:
    try:
        return not (float(text) >= 1 and float(text).is_integer())
    except ValueError:
        return True


@given(st.integers(max_value=0).map(str) | st.text(max_size=12).filter(_not_a_count))
def test_runs_must_be_a_count_of_at_least_one(text: str) -> None:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as stop:
        main(["demo", "--workdir", "/nonexistent/never-made", f"--runs={text}"])
    assert stop.value.code == 2
    assert "argument --runs: expected an integer >= 1, got" in err.getvalue()
