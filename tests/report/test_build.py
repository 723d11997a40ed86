"""The report folder: table of verdicts per run and detector, plots, copies, links."""

from __future__ import annotations

import json
import re
from pathlib import Path

from qcflow.demo.mch import MCH_ISSUES, mch_run_indices
from qcflow.demo.vertexing import DemoRun
from qcflow.demo.zdc import ZDC_ISSUES
from qcflow.qcdb.local import LocalRepository
from qcflow.report import build_report
from tests._judged import PASS, PERIOD
from tests.report._html import Cells


def test_the_report_shows_the_bad_runs_as_bad(
    judged: tuple[Path, list[DemoRun]], tmp_path: Path
) -> None:
    root, runs = judged
    repo = LocalRepository(root)
    result = build_report(repo, PERIOD, PASS, tmp_path / "report")
    repo.close()
    assert result.data.detectors == ["MCH", "ZDC"]
    page = result.index.read_text()
    parser = Cells()
    parser.feed(page)
    assert sorted(parser.rows) == [r.number for r in runs]
    for index, run in enumerate(runs):
        mch, zdc = parser.rows[run.number]
        issue = MCH_ISSUES.get(index)
        expected_mch = {issue.digits, issue.preclusters} if issue else {"Good"}
        worst = next(q for q in ("Bad", "Medium", "Good") if q in expected_mch)
        assert mch == (worst if index in mch_run_indices(len(runs)) else "none"), index
        assert zdc == ZDC_ISSUES.get(index, ("", "Good"))[1], index
    # Flags are shown in the cell of the bad ZDC run.
    assert "ADC_ZNAC" in page
    # Every local link resolves inside the folder.
    local = [link for link in parser.links if not re.match(r"[a-z]+:|#", link)]
    assert local and all((result.index.parent / link).exists() for link in local)
    copied = json.loads((result.index.parent / local[0]).read_text())
    assert copied["_typename"] == "o2::quality_control::core::QualityObject"
    pngs = list((result.index.parent / "objects").rglob("*.png"))
    assert any("ChamberRates" in p.name for p in pngs)
    assert (result.index.parent / "assets" / "report.css").exists()
