"""``qcflow demo`` end to end: fill, generate, run with the runner, export."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from qcflow.cli import main
from qcflow.demo.vertexing import vertexing_runs


@pytest.mark.slow
def test_demo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    workdir = tmp_path / "demo-output"
    assert main(["demo", "--workdir", str(workdir)]) == 0
    out = capsys.readouterr().out
    assert "qc_async/TST/MO/BeamSpotTrending/BeamSpotTrending" in out
    plots = sorted(p.name for p in (workdir / "plots").iterdir())
    assert plots == ["BeamSpotTrending.csv", "Vertex_X_trend.png", "Vertex_Y_trend.png",
                     "Vertex_Z_trend.png"]  # fmt: skip
    assert (workdir / "plots" / "Vertex_X_trend.png").read_bytes().startswith(b"\x89PNG")
    with (workdir / "plots" / "BeamSpotTrending.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    runs = vertexing_runs(50)
    assert [int(r["meta.runNumber"]) for r in rows] == [r.number for r in runs]
    for row, run in zip(rows, runs, strict=True):
        assert abs(float(row["vertex_X.mean"]) - run.beam_spot[0]) < 0.001
    assert (workdir / "workflow.json").is_file()
    assert (workdir / "QC" / "example.log").is_file()
    # A second demo in the same directory starts afresh and gives the same trend.
    assert main(["demo", "--workdir", str(workdir)]) == 0
    with (workdir / "plots" / "BeamSpotTrending.csv").open() as handle:
        assert list(csv.DictReader(handle)) == rows
