"""Plots drawn in the engine's worker processes: the same images, and the run's own process
never imports matplotlib (MCH's per-run ``qcflow qc`` draws ~25 trend plots)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from qcflow.modules._trends import Trend, trend_images
from qcflow.postprocessing.reduction.batch import Reducer

ROOT = Path(__file__).resolve().parents[2]


def _trends() -> list[Trend]:
    out = []
    for count in (1, 4, 12):
        trend = Trend(f"T{count}", f"{count} series", "kHz", [f"DE{i}" for i in range(count)])
        for hour in range(3):
            trend.add(1_714_521_600 + 3600 * hour, np.arange(count) + hour)
        out.append(trend)
    return out


def test_plots_drawn_in_workers_are_the_plots_drawn_here() -> None:
    here = trend_images(_trends())
    reducer = Reducer(parallel=True, workers=2)
    try:
        there = trend_images(_trends(), reducer.map)
        assert reducer._pool is not None  # they were drawn by the workers
    finally:
        reducer.close()
    assert [i.data for i in there] == [i.data for i in here]
    points = [[(g.name, g.x.tolist(), g.y.tolist(), g.style) for g in i.graphs] for i in here]
    assert [
        [(g.name, g.x.tolist(), g.y.tolist(), g.style) for g in i.graphs] for i in there
    ] == points
    assert [i.frame for i in there] == [i.frame for i in here]
    assert there[0].redraw is not None
    assert there[0].redraw().get_axes()  # checks can still draw overlays into it


def test_mchs_trends_are_drawn_in_the_workers(tmp_path: Path) -> None:
    """MCH's Digits task draws ~25 trend plots per run: in parallel mode the workers draw them
    and the run's own process never imports matplotlib."""
    code = f"""
import sys
from qcflow.demo.mch import fill_mch
from qcflow.postprocessing.engine.engine import Engine, EngineOptions
from qcflow.qcdb.local import LocalRepository
from tests.modules.conftest import shipped
store = LocalRepository({str(tmp_path / "qcdb")!r}, fsync=False)
fill_mch(store, runs=2, passes=("apass1",))
Engine(shipped("mch", store), EngineOptions(parallel=True, extensions=False)).run()
png = store.latest("qc_async/MCH/MO/.*/Trends/.*png")
assert len(png) > 10 and all(i.content_type == "image/png" for i in png), png
print("matplotlib" in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, cwd=ROOT, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "False"
