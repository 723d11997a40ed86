"""docs/quality.md's worked example runs as the document says."""

from __future__ import annotations

from pathlib import Path

from qcflow.demo.vertexing import fill_vertexing
from qcflow.postprocessing.engine.api import load
from qcflow.postprocessing.engine.engine import Engine, EngineOptions
from qcflow.qcdb.local import LocalRepository

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "beamspot-quality.json"


def test_the_worked_example(tmp_path: Path) -> None:
    repo = LocalRepository(tmp_path / "qcdb", fsync=False)
    fill_vertexing(repo, runs=5, passes=("apass1",))
    config = load(str(EXAMPLE), f"qc.config.database.host={tmp_path / 'qcdb'}")
    summary = Engine(config, EngineOptions(parallel=False)).run()
    assert summary.quality_objects == {
        "qc_async/GLO/QO/BeamSpotQuality/BeamSpotQuality": "Good",
        "qc_async/GLO/QO/XInRange": "Good",
    }
    quality = next(t for t in summary.tasks if t.task_name == "Quality")
    assert "qc_async/GLO/MO/Quality/QualitySummaryJSON" in quality.published
    # the plot and its beautified copy
    assert len(repo.browse("qc_async/GLO/MO/BeamSpot/vertex_X_trend")) == 2
    repo.close()
