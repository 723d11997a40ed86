"""``qcflow demo`` end to end: fill, generate the four workflows, run them, report."""

from __future__ import annotations

from pathlib import Path

import pytest

from qcflow.cli import main
from qcflow.demo.datasets import issues
from qcflow.demo.vertexing import vertexing_runs
from tests.report._html import Cells


@pytest.mark.slow
def test_demo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    workdir = tmp_path / "demo-output"
    assert main(["demo", "--workdir", str(workdir)]) == 0
    out = capsys.readouterr().out
    index = workdir / "report" / "index.html"
    assert f"open {index.as_uri()}" in out
    for name in ("example", "EMC", "MCH", "ZDC"):
        assert (workdir / "QC" / f"{name}.log").is_file()
    parser = Cells()
    parser.feed(index.read_text())
    cells = parser.by_detector()
    runs = [r.number for r in vertexing_runs(50)]
    assert sorted(cells) == runs
    assert {"EMC", "MCH", "TST", "ZDC"} <= set(parser.columns)
    expected = {(i.run, i.detector): i.verdict for i in issues()}
    for run in runs:
        for detector in ("MCH", "ZDC"):
            assert cells[run][detector] == expected.get((run, detector), "Good"), (run, detector)
    bad = {(run, d) for run, row in cells.items() for d, q in row.items() if q == "Bad"}
    assert bad == {key for key, verdict in expected.items() if verdict == "Bad"}
    for issue in issues():
        assert f"run {issue.run} {issue.detector}: {issue.verdict}" in out
