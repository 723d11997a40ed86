"""Representative plots against committed baseline PNGs (tolerance-based: ``tests/_baselines.py``).

One plot of each kind qcflow publishes: a trend graph with error bars, a slice map drawn ``colz``,
a slice trend with its legend, the quality-coloured QualitySummary and a plot with a check's
overlays. Each is drawn from fixed data; ``test_a_change_of_one_thing_fails`` shows that a
single changed point, cell, colour, text or threshold is caught.
Regenerate: ``QCFLOW_UPDATE_BASELINES=1 .venv/bin/python -m pytest tests/postprocessing/test_image_baselines.py``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from qcflow.postprocessing.plotting.draw import plot_image, render_plot

# The plotting entry points, in one place (the post-processing package is being split).
from qcflow.postprocessing.plotting.overlays import QUALITY_COLORS, HLine, Label, Polyline
from qcflow.postprocessing.plotting.spec import GraphSpec, PlotSpec
from qcflow.postprocessing.slices.plot_config import SliceLegend, SlicePlot
from qcflow.postprocessing.slices.plots import SliceSeries, slice_plot_image
from qcflow.postprocessing.slices.slicing import FIELDS
from qcflow.postprocessing.tasks._quality_summary import Line, summary_image
from tests._baselines import (
    TOLERANCE,
    UPDATE_ENV,
    assert_matches_baseline,
    pinned_style,
    rms,
)

N = 20
RUNS = np.arange(550000, 550000 + N)
COLUMNS = {
    "meta.runNumber": RUNS,
    "vertex_X.mean": np.sin(np.arange(N) / 3) * 0.01,
    "vertex_X.stddev": np.full(N, 0.03),
    "vertex_X.entries": np.linspace(1e2, 1e3, N),
}
TREND = PlotSpec(
    "Vertex_X_trend",
    "Vertex X trend;run;x [cm]",
    graphs=(
        GraphSpec(
            "Vertex_X_trend",
            "",
            "vertex_X.mean:meta.runNumber",
            option="*",
            errors="0:vertex_X.stddev/pow(vertex_X.entries,0.5)",
        ),
    ),
)


@pytest.fixture(autouse=True)
def _pinned() -> Iterator[None]:
    with pinned_style():
        yield


def trend_with_errors(changed: bool) -> bytes:
    columns = dict(COLUMNS)
    if changed:  # one run's mean moved
        columns["vertex_X.mean"] = columns["vertex_X.mean"].copy()
        columns["vertex_X.mean"][7] += 0.004
    return render_plot(TREND, columns)[0]


def _series(slices: int, rows: int = 5) -> SliceSeries:
    fields = {f: np.arange(rows * slices, dtype=float).reshape(rows, slices) + 1 for f in FIELDS}
    names = tuple(f"h - RangeX: [{i}.0, {i + 1}.0]" for i in range(slices))
    return SliceSeries(
        1.7e9 + 3600 * np.arange(rows), 550000 + np.arange(rows, dtype=float), fields, names
    )


def slice_map(changed: bool) -> bytes:
    series = _series(4)
    fields = dict(series.fields)
    fields["sliceLabelX"] = np.tile([0.5, 0.5, 1.5, 1.5], (5, 1))
    fields["sliceLabelY"] = np.tile([0.5, 1.5, 0.5, 1.5], (5, 1))
    if changed:  # one cell of the latest entry
        fields["meanX"] = fields["meanX"].copy()
        fields["meanX"][-1, 2] = 5.0
    series = SliceSeries(
        series.time, series.run, fields, series.names, ((0.0, 1.0, 2.0), (0.0, 1.0, 2.0))
    )
    plot = SlicePlot(
        name="map",
        varexp="h.meanX:slices2D",
        source="h",
        variable="meanX",
        mode="slices2D",
        title="Mean x per slice",
        axis_label="y:x",
        y_range="0:25",
    )
    image = slice_plot_image(plot, series)
    assert image.draw_options == "colz"
    return image.data


def slice_trend_with_legend(changed: bool) -> bytes:
    legend = SliceLegend(n_columns=1, observable_x="E", unit_x="MeV" if changed else "GeV")
    plot = SlicePlot(
        name="p",
        varexp="h.meanX:multigraphrun",
        source="h",
        variable="meanX",
        mode="multigraphrun",
        title="Mean x per energy slice",
        option="*L",
        errors=("errMeanX", "0"),
        legend=legend,
    )
    return slice_plot_image(plot, _series(4)).data


def quality_summary(changed: bool) -> bytes:
    bad = "Good" if changed else "Bad"  # one object's quality (its colour and text)
    lines = [
        Line("Vertexing", kind="title"),
        Line("Vertex X : Good", QUALITY_COLORS["Good"], "quality"),
        Line(f"Vertex Y : {bad}", QUALITY_COLORS[bad], "quality"),
        Line("→ Flag: BadTracking: mean outside [-0.02, 0.02]", QUALITY_COLORS[bad], "flag"),
        Line("Vertex Z : Medium", QUALITY_COLORS["Medium"], "quality"),
        Line("", kind="separator"),
        Line("Tracks : quality missing!", 920, "missing"),
    ]
    return summary_image(lines).data


def check_overlay(changed: bool) -> bytes:
    image, _ = plot_image(TREND, COLUMNS)
    upper = 0.012 if changed else 0.015  # one threshold moved
    return image.annotated(
        [
            Polyline(tuple(map(float, RUNS)), (upper,) * N, color=632, style=2),
            Polyline(tuple(map(float, RUNS)), (-0.015,) * N, color=632, style=2),
            HLine(0.0, color=418, style=3, width=1.0),
            Label("Good", QUALITY_COLORS["Good"], x=0.75, y=0.85, size=14),
            Label("No anomalies", 1, x=0.12, y=0.1, size=10, fill=416),
        ]
    ).data


PLOTS: dict[str, Callable[[bool], bytes]] = {
    "trend_errors": trend_with_errors,
    "slice_map_colz": slice_map,
    "slice_trend_legend": slice_trend_with_legend,
    "quality_summary": quality_summary,
    "check_overlay": check_overlay,
}


@pytest.mark.parametrize("name", PLOTS)
def test_the_plot_matches_its_baseline(name: str, tmp_path: Path) -> None:
    assert_matches_baseline(PLOTS[name](False), name, tmp_path)


@pytest.mark.parametrize("name", PLOTS)
def test_a_change_of_one_thing_fails(name: str, tmp_path: Path) -> None:
    """The perturbed plot (one point, cell, legend unit, quality or threshold changed) is out of
    tolerance, and the failure leaves a diff image: the comparison is not blind."""
    if os.environ.get(UPDATE_ENV) == "1":
        pytest.skip("the baselines are being rewritten")
    changed = PLOTS[name](True)
    assert rms(changed, name, tmp_path) > 5 * TOLERANCE
    with pytest.raises(pytest.fail.Exception, match=rf"{name}: RMS [0-9.]+ > {TOLERANCE}"):
        assert_matches_baseline(changed, name, tmp_path)
    assert (tmp_path / f"{name}-failed-diff.png").exists()


def test_the_same_plot_drawn_twice_is_the_same_pixels(tmp_path: Path) -> None:
    """What makes a tight tolerance possible: rendering is deterministic."""
    assert trend_with_errors(False) == trend_with_errors(False)
