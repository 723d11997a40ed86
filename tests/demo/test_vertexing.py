"""The demo's synthetic vertexing objects: what QC would have stored, deterministic."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from qcflow.demo.vertexing import fill_vertexing, vertexing_runs
from qcflow.objects.root import decode_histogram
from qcflow.qcdb.local import LocalRepository


def test_runs_follow_each_other_and_drift() -> None:
    runs = vertexing_runs(50)
    assert len({r.number for r in runs}) == 50
    assert all(a.eor < b.sor for a, b in itertools.pairwise(runs))
    assert all(3_600_000 <= r.eor - r.sor <= 3 * 3_600_000 for r in runs)
    x = np.array([r.beam_spot[0] for r in runs])
    assert 0.02 < x.min() < x.max() < 0.04
    assert vertexing_runs(50) == runs


def test_stored_objects(tmp_path: Path) -> None:
    repo = LocalRepository(tmp_path / "qcdb", fsync=False)
    runs = fill_vertexing(repo, runs=20)
    names = {i.path for i in repo.latest("qc_async/GLO/MO/Vertexing/.*")}
    assert names == {
        f"qc_async/GLO/MO/Vertexing/{n}" for n in ("vertex_X", "vertex_Y", "vertex_Z", "beamSpot")
    }
    run = runs[3]
    fetched = repo.get(
        "qc_async/GLO/MO/Vertexing/vertex_X",
        run.sor,
        {"RunNumber": str(run.number), "PassName": "apass2"},
    )
    info = fetched.info
    assert (info.valid_from, info.valid_until) == (run.sor, run.eor)
    assert {
        k: info.metadata[k]
        for k in (
            "RunType",
            "PeriodName",
            "PassName",
            "ObjectType",
            "qc_task_name",
            "qc_detector_name",
        )
    } == {
        "RunType": "PHYSICS",
        "PeriodName": "LHC24ab",
        "PassName": "apass2",
        "ObjectType": "TH1F",
        "qc_task_name": "Vertexing",
        "qc_detector_name": "GLO",
    }
    histogram = decode_histogram(fetched.data)
    assert histogram.entries == run.vertices
    assert abs(histogram.mean() - run.beam_spot[0]) < 0.001
    reuploaded = [r for r in runs if r.number % 7 == 0]
    assert reuploaded
    versions = repo.browse(
        "qc_async/GLO/MO/Vertexing/vertex_X",
        {"RunNumber": str(reuploaded[0].number), "PassName": "apass1"},
    )
    assert len(versions) == 2
    repo.close()


def test_the_same_seed_gives_the_same_objects(tmp_path: Path) -> None:
    contents = []
    for name in ("a", "b"):
        repo = LocalRepository(tmp_path / name, fsync=False)
        runs = fill_vertexing(repo, runs=2, passes=("apass1",))
        fetched = repo.get("qc_async/GLO/MO/Vertexing/vertex_Z", runs[1].sor)
        contents.append(decode_histogram(fetched.data).values)
        repo.close()
    np.testing.assert_array_equal(contents[0], contents[1])
