"""Bad and Medium runs marked on the report's trend plots, and graphs told apart by colour."""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from qcflow.postprocessing.plotting.draw import palette_colors, render_plot
from qcflow.postprocessing.plotting.images import X_AXES_KEY
from qcflow.postprocessing.plotting.spec import GraphSpec, PlotSpec
from qcflow.qcdb.local import LocalRepository
from qcflow.report import build_report
from qcflow.report.marks import MARKED, RunMark, mark_runs
from tests._judged import PASS, PERIOD

RUNS = np.arange(550000, 550020)
COLUMNS = {
    "meta.runNumber": RUNS,
    "time": (1_714_521_600 + 3600 * np.arange(len(RUNS))).astype(np.uint32),
    "y": np.sin(np.arange(len(RUNS)) / 3),
}


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.int16)


def _plot(x: str) -> bytes:
    plot = PlotSpec("p", "trend", graphs=(GraphSpec("g", "", f"y:{x}", option="*"),))
    data, _ = render_plot(plot, COLUMNS)
    return data


def _column(pad: dict[str, Any], x: float) -> int:
    left, _, right, _ = pad["box"]
    low, high = pad["xlim"]
    return round(left + (x - low) * (right - left) / (high - low))


def test_a_run_axis_is_described_in_the_png_and_a_bad_run_is_marked_there() -> None:
    data = _plot("meta.runNumber")
    (pad,) = json.loads(Image.open(io.BytesIO(data)).text[X_AXES_KEY])
    assert pad["kind"] == "run"
    low, high = pad["xlim"]
    assert low < RUNS[0] and RUNS[-1] < high
    marked = mark_runs(data, [RunMark(550005, 0, 0, "Bad"), RunMark(550012, 0, 0, "Medium")])
    assert marked is not None
    before, after = _pixels(data), _pixels(marked)
    top, bottom = round(pad["box"][1]), round(pad["box"][3])
    for run, verdict in ((550005, "Bad"), (550012, "Medium")):
        column = _column(pad, run)
        # The tab along the top edge has the verdict's colour; the band tints the pad.
        assert tuple(after[top + 2, column]) == MARKED[verdict]
        changed = np.abs(after[top + 8 : bottom - 2, column] - before[top + 8 : bottom - 2, column])
        assert (changed.sum(axis=1) > 0).mean() > 0.95
    # Away from the marked runs the plot is unchanged.
    quiet = _column(pad, 550009)
    assert (after[:, quiet] == before[:, quiet]).all()


def test_a_time_axis_marks_the_run_from_its_start_to_its_end() -> None:
    data = _plot("time")
    (pad,) = json.loads(Image.open(io.BytesIO(data)).text[X_AXES_KEY])
    assert pad["kind"] == "time"
    start = int(COLUMNS["time"][4]) * 1000
    marked = mark_runs(data, [RunMark(550004, start, start + 3 * 3600_000, "Bad")])
    assert marked is not None
    after = _pixels(marked)
    top = round(pad["box"][1])
    for hour in (0.2, 1.5, 2.8):
        assert tuple(after[top + 2, _column(pad, start / 1000 + hour * 3600)]) == MARKED["Bad"]
    assert tuple(after[top + 2, _column(pad, start / 1000 + 5 * 3600)]) != MARKED["Bad"]


def test_nothing_to_mark_or_no_axis_described_gives_none() -> None:
    data = _plot("meta.runNumber")
    assert mark_runs(data, []) is None
    assert mark_runs(data, [RunMark(1, 0, 0, "Bad")]) is None  # far outside the axis
    assert mark_runs(b"not a png", [RunMark(550005, 0, 0, "Bad")]) is None
    plain = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(plain, format="PNG")
    assert mark_runs(plain.getvalue(), [RunMark(550005, 0, 0, "Bad")]) is None


def test_the_report_shows_the_trend_plots_with_the_bad_runs_marked(
    judged: tuple[Path, list[Any]], tmp_path: Path
) -> None:
    root, runs = judged
    repo = LocalRepository(root)
    try:
        result = build_report(repo, PERIOD, PASS, tmp_path / "report")
    finally:
        repo.close()
    folder = result.index.parent
    page = result.index.read_text()
    marked = sorted(folder.rglob("*.marked.png"))
    names = {p.relative_to(folder / "objects" / "qc_async").as_posix() for p in marked}
    assert "ZDC/MO/ZDCQuality/Trends/details/RecCheck.marked.png" in names
    assert "MCH/MO/Digits/Trends/Rates/ChamberRates.marked.png" in names
    for path in marked:
        assert f'src="{path.relative_to(folder).as_posix()}"' in page
        assert path.with_name(path.name.replace(".marked", "")).is_file()  # the plain copy too
    bad_zdc = [
        str(r.number)
        for r in runs
        if any(e.quality.name == "Bad" for e in result.data.cell(r.number, "ZDC"))
    ]
    assert bad_zdc
    assert f"Bad (red): {', '.join(bad_zdc)}" in page


def test_twenty_graphs_get_twenty_distinguishable_colours() -> None:
    for count in (2, 10, 20):
        colours = [np.array(c[:3]) for c in palette_colors(count)]
        closest = min(np.abs(a - b).sum() for a, b in itertools.combinations(colours, 2))
        # L1 distance in RGB: viridis spread over 10 or 20 graphs gives neighbours 0.13 and
        # 0.06 apart (near-identical greens); tab10/tab20's closest pair is 0.15 apart.
        assert closest > 0.14, (count, closest)
    # An explicit ROOT palette is still honoured.
    assert palette_colors(3, 55) != palette_colors(3)
