"""The plugin examples of docs/plugins.md: they run, and the document shows them verbatim."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from qcflow import postprocessing
from qcflow.objects.codec import decode
from qcflow.objects.root import decode_histogram
from qcflow.postprocessing.engine.engine import Engine, EngineOptions
from qcflow.qcdb.local import LocalRepository

from . import plugin_reductor, plugin_task
from ._configs import parsed, trending_task, with_tasks
from ._histograms import th1
from .test_trending import HOUR, T0, fill, trend

DOC = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


def test_the_document_shows_the_tested_code() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.DOTALL)
    for module in (plugin_task, plugin_reductor):
        source = Path(module.__file__ or "").read_text()
        assert source in blocks, f"docs/plugins.md does not show {module.__name__} as it is"
        assert len(source.splitlines()) <= 30


def test_the_document_lists_the_plugin_api() -> None:
    listed = set(re.findall(r"`(\w+)", DOC.read_text().split("## The plugin API")[1]))
    assert set(postprocessing.__all__) <= listed


def test_the_task(repo: LocalRepository) -> None:
    fills = fill(repo, range(1, 4))
    task = {
        "className": "mylab::EntriesPerRun",
        "moduleName": "MyLab",
        "detectorName": "TST",
        "taskParameters": {"name": "vertex_Y"},
        "initTrigger": ["userorcontrol"],
        "updateTrigger": ["foreachlatest:qcdb:GLO/MO/Vertexing/beamSpot"],
        "stopTrigger": ["userorcontrol"],
    }
    config = parsed(with_tasks({"Entries": task}, host=str(repo.root)))
    Engine(config, EngineOptions(parallel=False, extensions=False)).run()
    stored = repo.get("qc_async/TST/MO/Entries/entriesPerRun", T0 + 2 * HOUR)
    histogram = decode(stored.data, stored.info)
    assert list(histogram.inner()) == [len(fills["vertex_Y", run]) for run in (1, 2, 3)]


def test_the_reductor(repo: LocalRepository) -> None:
    fills = np.array([0.55, 0.65, 0.65, 0.75, 0.75, 0.75, -0.25])
    values = plugin_reductor.PeakReductor().reduce(
        decode_histogram(th1(fills, bins=20, lo=-1, hi=1))
    )
    assert values == {"height": 3.0, "position": pytest.approx(0.75)}
    fill(repo, range(1, 3))
    task = trending_task(plots=[{"name": "peak", "varexp": "vertex_X.position:meta.runNumber"}])
    task["dataSources"][0]["reductorName"] = "mylab::PeakReductor"
    config = parsed(with_tasks({"BeamSpotTrending": task}, host=str(repo.root)))
    Engine(config, EngineOptions(parallel=False, extensions=False)).run()
    assert set(trend(repo)) == {
        "meta.runNumber",
        "meta.runNumberStr",
        "time",
        "vertex_X.height",
        "vertex_X.position",
        "vertex_Y.height",
        "vertex_Y.position",
    }
