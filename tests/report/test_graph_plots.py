"""Plots published as a ROOT graph without a PNG companion (MCH's in-task trends): the report
draws their PNG from the graph's newest version; a graph with a companion at least as new
shows the companion, as before."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from qcflow.modules._trends import Trend
from qcflow.objects.codec import Payload
from qcflow.objects.metadata import DRAW_OPTIONS, OBJECT_TYPE
from qcflow.objects.paths import PNG_COMPANION
from qcflow.postprocessing.plotting.graphs import graph_object_png
from qcflow.qcdb.local import LocalRepository
from qcflow.qcdb.model import ObjectInfo
from qcflow.report import build_report
from qcflow.report.collect import collect

PERIOD, PASS = "LHC24ab", "apass1"
T0 = 1_714_521_600_000
RATES = "qc_async/MCH/MO/Digits/Trends/Rates/ChamberRates"
ORBITS = "qc_async/MCH/MO/Digits/Trends/Rates/Orbits"
EFFICIENCY = "qc_async/MCH/MO/Preclusters/Trends/Efficiency/ChamberEfficiency"


def _payload(name: str, series: list[str], run: int) -> Payload:
    trend = Trend(name, name, "y", series)
    for k in range(3):
        trend.add(T0 / 1000 + 600 * k, [run + k + i for i in range(len(series))])
    return trend.image().encode()


def _store(repo: LocalRepository, path: str, payload: Payload, run: int) -> None:
    metadata = {
        "RunNumber": str(run),
        "PeriodName": PERIOD,
        "PassName": PASS,
        OBJECT_TYPE: payload.object_type,
        DRAW_OPTIONS: payload.draw_options,
    }
    start = T0 + run * 3_600_000
    repo.store(
        path,
        payload.data,
        valid_from=start,
        valid_until=start + 3_000_000,
        metadata=metadata,
        content_type=payload.content_type,
    )


@pytest.fixture
def repo(tmp_path: Path) -> LocalRepository:
    """ChamberRates: two runs' graphs, no PNG; Orbits: an old PNG, then a newer graph;
    ChamberEfficiency: a graph, then its PNG companion (as TrendingTask publishes)."""
    store = LocalRepository(tmp_path / "qcdb", fsync=False)
    for run in (1, 2):
        _store(store, RATES, _payload("ChamberRates", ["CH1", "CH2"], run), run)
    png = Payload(b"\x89PNG old", "image/png", "image/png", "png")
    _store(store, ORBITS + PNG_COMPANION, png, 1)
    _store(store, ORBITS, _payload("Orbits", ["orbits"], 2), 2)
    _store(store, EFFICIENCY, _payload("Eff", ["CH1", "CH2"], 2), 2)
    _store(store, EFFICIENCY + PNG_COMPANION, png, 2)
    return store


def test_graphs_without_a_newer_companion_are_drawn(repo: LocalRepository) -> None:
    plots = {p.info.path: p.from_graph for p in collect(repo, PERIOD, PASS).plots}
    assert plots == {RATES: True, ORBITS: True, EFFICIENCY + PNG_COMPANION: False}
    names = {p.name for p in collect(repo, PERIOD, PASS).plots}
    assert names == {
        "Digits/Trends/Rates/ChamberRates",
        "Digits/Trends/Rates/Orbits",
        "Preclusters/Trends/Efficiency/ChamberEfficiency",
    }


class _SameMillisecond(LocalRepository):
    """A store whose versions were all created in one millisecond, as on a fast machine."""

    def browse(self, *args: Any, **kwargs: Any) -> list[ObjectInfo]:
        return [dataclasses.replace(i, created=T0) for i in super().browse(*args, **kwargs)]


def test_a_tie_in_creation_time_is_settled_by_the_stores_order(tmp_path: Path) -> None:
    """Orbits' old PNG (run 1) and its graph (run 2) created in the same millisecond: the
    graph is drawn; ChamberEfficiency's companion (same run as its graph) is still shown."""
    store = _SameMillisecond(tmp_path / "qcdb", fsync=False)
    png = Payload(b"\x89PNG old", "image/png", "image/png", "png")
    _store(store, ORBITS + PNG_COMPANION, png, 1)
    _store(store, ORBITS, _payload("Orbits", ["orbits"], 2), 2)
    _store(store, EFFICIENCY, _payload("Eff", ["CH1", "CH2"], 2), 2)
    _store(store, EFFICIENCY + PNG_COMPANION, png, 2)
    plots = {p.info.path: p.from_graph for p in collect(store, PERIOD, PASS).plots}
    assert plots == {ORBITS: True, EFFICIENCY + PNG_COMPANION: False}


def test_the_report_draws_the_newest_graph(repo: LocalRepository, tmp_path: Path) -> None:
    result = build_report(repo, PERIOD, PASS, tmp_path / "report")
    objects = result.index.parent / "objects"
    newest = _payload("ChamberRates", ["CH1", "CH2"], 2)
    drawn = (objects / f"{RATES}.png").read_bytes()
    assert drawn == graph_object_png(newest.data, newest.draw_options)
    older = _payload("ChamberRates", ["CH1", "CH2"], 1)
    assert drawn != graph_object_png(older.data, older.draw_options)
    assert (objects / f"{ORBITS}.png").read_bytes().startswith(b"\x89PNG\r\n")  # not the old one
    assert (objects / f"{EFFICIENCY}.png").read_bytes() == b"\x89PNG old"  # its companion
    page = result.index.read_text()
    assert f"objects/{RATES}.png" in page and "Digits/Trends/Rates/Orbits" in page


def test_a_graph_qcflow_cannot_read_is_left_out(repo: LocalRepository, tmp_path: Path) -> None:
    broken = Payload(b"root\x00\x00 not really", "TGraph", "application/root")
    _store(repo, ORBITS, broken, 3)
    result = build_report(repo, PERIOD, PASS, tmp_path / "report")
    assert not (result.index.parent / "objects" / f"{ORBITS}.png").exists()
    assert "Digits/Trends/Rates/Orbits" not in result.index.read_text()
    assert (result.index.parent / "objects" / f"{RATES}.png").exists()
