"""Synthetic asynchronous QC output for the beam-spot trending example (O2DPG's ``example.json``).

What the ``GLO/MO/Vertexing`` QC task of an asynchronous pass would have stored, per run:

- ``vertex_X``, ``vertex_Y`` (TH1F, 200 bins over ±0.5 cm) and ``vertex_Z`` (TH1F, 200 bins over
  ±20 cm): primary vertex positions, filled vertex by vertex so that ROOT's stored statistics
  (``fTsumwx``…) come from the true positions, as ``TH1::Fill`` makes them;
- ``beamSpot`` (TH2F, x vs y): the object ``foreachlatest:qcdb:GLO/MO/Vertexing/beamSpot``
  iterates over.

Each run lasts one to three hours (validity [SOR, EOR]), runs follow each other with gaps, and
the beam spot drifts slowly from run to run (a sine of a few tens of µm in x and y, a few mm
in z) with a run-to-run jitter; the number of vertices varies with the run length. Two passes
of the same runs: the later one (``apass2``) has a slightly better resolution. A few runs of
the first pass were uploaded twice (a re-run of the QC merger): ``foreachlatest`` must take
the newer version. Metadata are those QC writes (activity keys, ``ObjectType``,
``qc_task_name``…). Everything is seeded: the same arguments give the same objects.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from qcflow._types import TimestampMs
from qcflow.demo.shapes import th1_from_values
from qcflow.demo.store import store_histograms
from qcflow.objects.activity import Activity
from qcflow.objects.root import Axis, Histogram
from qcflow.qcdb.repository import Repository

__all__ = ["DemoRun", "fill_vertexing", "vertexing_runs"]

TASK = "Vertexing"
DETECTOR = "GLO"
TASK_CLASS = "o2::quality_control_modules::glo::VertexingQcTask"
#: 2024-05-01 00:00 UTC, the start of the synthetic period.
PERIOD_START_MS: TimestampMs = 1_714_521_600_000
FIRST_RUN = 550_000


@dataclass(frozen=True)
class DemoRun:
    """One run: its number, start and end of run (ms), and the beam spot it had (cm)."""

    number: int
    sor: TimestampMs
    eor: TimestampMs
    beam_spot: tuple[float, float, float]
    vertices: int


def vertexing_runs(count: int = 50, seed: int = 2024) -> list[DemoRun]:
    """``count`` consecutive runs with a drifting beam spot."""
    rng = np.random.default_rng(seed)
    runs = []
    start = PERIOD_START_MS
    number = FIRST_RUN
    for i in range(count):
        hours = float(rng.uniform(1.0, 3.0))
        phase = 2 * math.pi * i / 25
        spot = (
            0.0300 + 0.0040 * math.sin(phase) + float(rng.normal(0, 0.0008)),
            -0.0150 + 0.0030 * math.cos(phase) + float(rng.normal(0, 0.0008)),
            0.40 * math.sin(phase / 2) + float(rng.normal(0, 0.05)),
        )
        end = start + int(hours * 3_600_000)
        runs.append(DemoRun(number, start, end, spot, int(hours * 6000)))
        start = end + int(rng.uniform(0.2, 2.0) * 3_600_000)
        number += int(rng.integers(1, 4))
    return runs


def _th1(name: str, values: np.ndarray, bins: int, low: float, high: float) -> Histogram:
    return th1_from_values(name, name, values, bins, low, high, f"{name[-1].lower()} [cm]")


def _th2(name: str, x: np.ndarray, y: np.ndarray) -> Histogram:
    edges = np.linspace(-0.5, 0.5, 101)
    keep = (x >= -0.5) & (x < 0.5) & (y >= -0.5) & (y < 0.5)
    xi, yi = x[keep], y[keep]
    counts, _, _ = np.histogram2d(xi, yi, bins=(edges, edges))
    contents = np.zeros((102, 102))
    contents[1:-1, 1:-1] = counts
    stats = {
        "fTsumw": float(xi.size),
        "fTsumw2": float(xi.size),
        "fTsumwx": float(xi.sum()),
        "fTsumwx2": float((xi**2).sum()),
        "fTsumwy": float(yi.sum()),
        "fTsumwy2": float((yi**2).sum()),
        "fTsumwxy": float((xi * yi).sum()),
    }
    axes = (Axis(edges, "x [cm]"), Axis(edges.copy(), "y [cm]"))
    return Histogram("TH2F", name, name, axes, contents, contents.copy(), float(x.size), stats)


def _objects(run: DemoRun, resolution: float, rng: np.random.Generator) -> dict[str, Histogram]:
    n = run.vertices
    x = rng.normal(run.beam_spot[0], 0.0060 * resolution, n)
    y = rng.normal(run.beam_spot[1], 0.0055 * resolution, n)
    z = rng.normal(run.beam_spot[2], 5.5, n)
    return {
        "vertex_X": _th1("vertex_X", x, 200, -0.5, 0.5),
        "vertex_Y": _th1("vertex_Y", y, 200, -0.5, 0.5),
        "vertex_Z": _th1("vertex_Z", z, 200, -20.0, 20.0),
        "beamSpot": _th2("beamSpot", x, y),
    }


def _store(
    repo: Repository, run: DemoRun, activity: Activity, objects: dict[str, Histogram]
) -> int:
    return store_histograms(
        repo,
        activity,
        (run.sor, run.eor),
        detector=DETECTOR,
        task=TASK,
        task_class=TASK_CLASS,
        objects=objects,
    )


def fill_vertexing(
    repo: Repository,
    *,
    period: str = "LHC24ab",
    passes: tuple[str, ...] = ("apass1", "apass2"),
    runs: int = 50,
    seed: int = 2024,
    provenance: str = "qc_async",
    progress: Callable[[str], None] | None = None,
) -> list[DemoRun]:
    """Store the vertexing objects of ``runs`` runs for each pass; return the runs."""
    schedule = vertexing_runs(runs, seed)
    stored = 0
    for index, pass_name in enumerate(passes):
        rng = np.random.default_rng([seed, index])
        resolution = 1.0 - 0.15 * index
        for run in schedule:
            activity = Activity(run.number, "PHYSICS", period, pass_name, provenance)
            objects = _objects(run, resolution, rng)
            if index == 0 and run.number % 7 == 0:  # an older upload, replaced below
                stored += _store(repo, run, activity, _objects(run, 3.0, rng))
            stored += _store(repo, run, activity, objects)
        if progress:
            progress(f"{pass_name}: {len(schedule)} runs of {period} stored")
    if progress:
        progress(f"{stored} objects in {repo.url}")
    return schedule
