"""Synthetic asynchronous QC output of EMCAL's cell and cluster tasks (O2DPG's ``emc.json``).

What the ``EMC/MO/Cells`` and ``EMC/MO/Clusters`` QC tasks of an asynchronous pass would have
stored, per run -- every object both ``emc.json`` files (O2DPG's and qcflow's) slice:

- cells: events (``NumberOfEvents_PHYS``, one bin holding the event count; ``NEventsPerTFPHYS``),
  cells per event (all, EMCAL, DCAL, with and without energy threshold), cell time and
  amplitude spectra, and per supermodule (TH2, y = supermodule 0..19: 20 bins of width 1
  centred on the integers) cells per event, amplitude and time;
- clusters: energy, leading-cluster energy and time, shower shapes (M02, M20), clusters per
  event, cells per cluster against energy, time against energy, and per supermodule energy,
  time and clusters per event.

Distributions are drawn bin by bin (multinomial counts of the expected shape: no per-event
loop), the stored sums (``fTsumw``…) follow from the bins. From run to run the event count
follows the run length, the multiplicity drifts slowly, the time calibration jitters and jumps
once (a recalibration in the middle of the period), the energy scale drifts by a few per mille,
and a DCAL supermodule (14) is off in a few runs. ``apass2`` has a better time calibration
than ``apass1``. Runs, SOR/EOR and run numbers are those of :func:`.vertexing.vertexing_runs`,
so the EMC and vertexing data of one demo describe the same runs. Seeded: the same arguments
give the same objects.

    fill_emc(repository, period="LHC24ab", passes=("apass1", "apass2"), runs=50, seed=2024)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from qcflow.demo.store import store_histograms
from qcflow.demo.vertexing import DemoRun, vertexing_runs
from qcflow.objects.activity import Activity
from qcflow.objects.root import Axis, Histogram, stats_from_bins
from qcflow.qcdb.repository import Repository

__all__ = ["CELL_OBJECTS", "CLUSTER_OBJECTS", "fill_emc"]

DETECTOR = "EMC"
TASK_CLASSES = {
    "Cells": "o2::quality_control_modules::emcal::CellTask",
    "Clusters": "o2::quality_control_modules::emcal::ClusterTask",
}
FloatArray = npt.NDArray[np.float64]
Shape = Callable[[FloatArray], FloatArray]
SUPERMODULES = 20
#: Acceptance of each supermodule: EMCAL 0-9 full, 10-11 one third; DCAL 12-17 two thirds,
#: 18-19 one third.
SM_ACCEPTANCE = np.array([1.0] * 10 + [1 / 3] * 2 + [2 / 3] * 6 + [1 / 3] * 2)
EMCAL, DCAL = slice(0, 12), slice(12, 20)


@dataclass(frozen=True)
class RunState:
    """What makes one run's EMCAL data differ from another's."""

    events: int
    multiplicity: float  # cells per event, all supermodules
    time_offset: float  # ns
    time_width: float  # ns
    energy_scale: float
    sm_dead: int | None


def _state(index: int, run: DemoRun, pass_index: int, rng: np.random.Generator) -> RunState:
    phase = 2 * math.pi * index / 30
    jump = 4.0 if index >= 25 else 0.0  # a time recalibration half-way through the period
    return RunState(
        events=int(run.vertices * 40 * rng.uniform(0.9, 1.1)),
        multiplicity=180.0 * (1 + 0.08 * math.sin(phase)) * rng.normal(1.0, 0.02),
        time_offset=jump + float(rng.normal(0.0, 1.2 if pass_index == 0 else 0.5)),
        time_width=14.0 if pass_index == 0 else 11.0,
        energy_scale=1.0 + 0.004 * math.cos(phase) + float(rng.normal(0, 0.002)),
        sm_dead=14 if index % 11 == 7 else None,
    )


# -- histograms ------------------------------------------------------------------------------------


def _uniform(n: int, low: float, high: float) -> FloatArray:
    return np.linspace(low, high, n + 1)


def _counts(rng: np.random.Generator, total: int, shape: FloatArray) -> FloatArray:
    """``total`` entries spread over bins in proportion to ``shape`` (multinomial)."""
    weights = np.clip(shape, 0, None)
    if total <= 0 or weights.sum() <= 0:
        return np.zeros_like(weights)
    return rng.multinomial(total, weights / weights.sum()).astype(np.float64)


def _th1(name: str, title: str, edges: FloatArray, counts: FloatArray, x_title: str) -> Histogram:
    values = np.concatenate([[0.0], counts, [0.0]])
    h = Histogram(
        "TH1F", name, title, (Axis(edges, x_title),), values, values.copy(), float(counts.sum())
    )
    h.stats = stats_from_bins(h)
    return h


def _th2(name: str, title: str, axes: tuple[Axis, Axis], counts: FloatArray) -> Histogram:
    values = np.zeros((counts.shape[0] + 2, counts.shape[1] + 2))
    values[1:-1, 1:-1] = counts
    h = Histogram("TH2F", name, title, axes, values, values.copy(), float(counts.sum()))
    h.stats = stats_from_bins(h)
    return h


def _gauss(mean: float, sigma: float) -> Shape:
    return lambda x: np.exp(-0.5 * ((x - mean) / sigma) ** 2)


def _falling(slope: float, start: float = 0.0) -> Shape:
    return lambda x: np.where(x >= start, np.exp(-(x - start) / slope), 0.0)


def _gamma(mean: float, shape: float = 4.0) -> Shape:
    scale = mean / shape
    return lambda x: np.where(
        x > 0, np.power(np.clip(x, 1e-9, None), shape - 1) * np.exp(-x / scale), 0.0
    )


def _spectrum(rng: np.random.Generator, edges: FloatArray, total: int, shape: Shape) -> FloatArray:
    centres = (edges[:-1] + edges[1:]) / 2
    return _counts(rng, total, shape(centres))


def _per_sm(
    rng: np.random.Generator, edges: FloatArray, totals: FloatArray, shapes: list[Shape]
) -> FloatArray:
    """A TH2's bins: x from each supermodule's shape, y = the supermodule."""
    return np.stack(
        [_spectrum(rng, edges, int(t), s) for t, s in zip(totals, shapes, strict=True)], axis=1
    )


def _sm_axis() -> Axis:
    return Axis(_uniform(SUPERMODULES, -0.5, SUPERMODULES - 0.5), "Supermodule ID")


def _acceptance(state: RunState) -> FloatArray:
    acceptance = SM_ACCEPTANCE.copy()
    if state.sm_dead is not None:
        acceptance[state.sm_dead] = 0.0
    return acceptance


def _xy(
    rng: np.random.Generator,
    x_edges: FloatArray,
    x_counts: FloatArray,
    y_edges: FloatArray,
    y_shape: Callable[[float], Shape],
) -> FloatArray:
    """A TH2's bins: the x counts, each spread over y by the shape at that x."""
    centres = (x_edges[:-1] + x_edges[1:]) / 2
    rows = [
        _spectrum(rng, y_edges, int(c), y_shape(float(x)))
        for x, c in zip(centres, x_counts, strict=True)
    ]
    return np.stack(rows)


# -- the two tasks ---------------------------------------------------------------------------------


def _cells(state: RunState, rng: np.random.Generator) -> dict[str, Histogram]:
    n, acc = state.events, _acceptance(state)
    shares = {"Tot": acc.sum(), "EMCALTot": acc[EMCAL].sum(), "DCALTot": acc[DCAL].sum()}
    per_sm = state.multiplicity * acc / SM_ACCEPTANCE.sum()
    out = {
        "NumberOfEvents_PHYS": _th1(
            "NumberOfEvents_PHYS",
            "Number of events",
            _uniform(1, 0.5, 1.5),
            np.array([float(n)]),
            "",
        )
    }
    tf_edges = _uniform(400, 0, 400)
    out["NEventsPerTFPHYS"] = _th1(
        "NEventsPerTFPHYS",
        "Number of events per timeframe",
        tf_edges,
        _spectrum(rng, tf_edges, max(n // 150, 1), _gauss(150, 25)),
        "events / TF",
    )
    edges = _uniform(400, 0, 2000)
    for suffix, share in shares.items():
        mean = state.multiplicity * share / SM_ACCEPTANCE.sum()
        for name, factor in (("ncellsPerEvent", 1.0), ("ncellPerEvent", 0.3)):
            full = f"{name}{suffix}" + ("_Thres" if factor < 1 else "")
            out[full] = _th1(
                full,
                f"Number of cells per event ({suffix})",
                edges,
                _spectrum(rng, edges, n, _gamma(mean * factor)),
                "cells",
            )
    time_edges, energy_edges = _uniform(600, -400, 800), _uniform(500, 0, 50)
    for suffix, part in (("", slice(0, 20)), ("EMCAL", EMCAL), ("DCAL", DCAL)):
        cells = int(n * per_sm[part].sum())
        time = _spectrum(rng, time_edges, cells, _gauss(state.time_offset, state.time_width))
        energy = _spectrum(rng, energy_edges, cells, _falling(0.45 * state.energy_scale))
        out[f"cellTime{suffix}_PHYS"] = _th1(
            f"cellTime{suffix}_PHYS", f"Cell time {suffix}", time_edges, time, "t (ns)"
        )
        out[f"cellAmplitude{suffix}_PHYS"] = _th1(
            f"cellAmplitude{suffix}_PHYS",
            f"Cell amplitude {suffix}",
            energy_edges,
            energy,
            "E (GeV)",
        )
    out.update(_cells_per_sm(state, rng, per_sm))
    return out


def _shape_or_zero(mean: float, shape: Shape) -> Shape:
    """A dead supermodule reads 0 cells in every event."""
    return shape if mean > 0 else (lambda x: (x < 1).astype(np.float64))


def _cells_per_sm(
    state: RunState, rng: np.random.Generator, per_sm: FloatArray
) -> dict[str, Histogram]:
    n, sm = state.events, _sm_axis()
    out = {}
    for name, factor, edges in (
        ("ncellsPerEventSupermodule", 1.0, _uniform(200, 0, 200)),
        ("ncellsPerEventSupermoduleWThr", 0.3, _uniform(50, 0, 50)),
    ):
        shapes = [_shape_or_zero(m, _gamma(m * factor + 1e-9)) for m in per_sm]
        counts = _per_sm(rng, edges, np.full(SUPERMODULES, n), shapes)
        out[name] = _th2(
            name, "Cells per event per supermodule", (Axis(edges, "cells"), sm), counts
        )
    cells = n * per_sm
    energy_edges, time_edges = _uniform(250, 0, 50), _uniform(300, -400, 800)
    falling = [_falling(0.45 * state.energy_scale)] * SUPERMODULES
    gauss = [_gauss(state.time_offset + 0.3 * (i % 5), state.time_width) for i in range(20)]
    out["cellAmplitudeSupermodule_PHYS"] = _th2(
        "cellAmplitudeSupermodule_PHYS",
        "Cell amplitude per supermodule",
        (Axis(energy_edges, "E (GeV)"), sm),
        _per_sm(rng, energy_edges, cells, falling),
    )
    out["cellTimeSupermodule_PHYS"] = _th2(
        "cellTimeSupermodule_PHYS",
        "Cell time per supermodule",
        (Axis(time_edges, "t (ns)"), sm),
        _per_sm(rng, time_edges, cells, gauss),
    )
    return out


def _clusters(state: RunState, rng: np.random.Generator) -> dict[str, Histogram]:
    n, acc = state.events, _acceptance(state)
    per_event = state.multiplicity / 12
    parts = {"All": acc.sum(), "EMCal": acc[EMCAL].sum(), "DCal": acc[DCAL].sum()}
    scale, offset, width = state.energy_scale, state.time_offset, state.time_width
    e_edges, t_edges, m_edges = _uniform(500, 0, 50), _uniform(500, -500, 500), _uniform(250, 0, 5)
    count_edges = _uniform(200, 0, 200)
    out = {
        "NclustPerEvt": _th1(
            "NclustPerEvt",
            "Number of clusters per event",
            count_edges,
            _spectrum(rng, count_edges, n, _gamma(per_event, 6.0)),
            "clusters",
        )
    }
    for part, share in parts.items():
        clusters = int(n * per_event * share / SM_ACCEPTANCE.sum())
        spectra = {
            f"ClustE_{part}": (e_edges, clusters, _falling(0.9 * scale, 0.3), "E (GeV)"),
            f"ClusterELeading_{part}": (e_edges, n, _gamma(3.0 * scale, 3.0), "E (GeV)"),
            f"ClusterTimeLeading_{part}": (t_edges, n, _gauss(offset, 0.8 * width), "t (ns)"),
        }
        shower = "M02" if part == "All" else "M20"  # the names the configs trend
        spectra[f"{shower}_{part}"] = (
            m_edges,
            clusters,
            _gamma(0.35 if part == "All" else 0.2, 5.0),
            shower,
        )
        for name, (edges, total, shape, title) in spectra.items():
            out[name] = _th1(name, name, edges, _spectrum(rng, edges, total, shape), title)
        if part != "All":
            out.update(_cluster_maps(part, clusters, state, rng))
    energy = _uniform(100, 0, 50)
    counts = _spectrum(rng, energy, int(n * per_event), _falling(0.9 * scale, 0.3))
    out["Time_All"] = _th2(
        "Time_All",
        "Cluster time vs energy",
        (Axis(energy, "E (GeV)"), Axis(_uniform(300, -300, 300), "t (ns)")),
        _xy(
            rng,
            energy,
            counts,
            _uniform(300, -300, 300),
            lambda e: _gauss(offset, width * (1 + 1 / (1 + e))),
        ),
    )
    out.update(_clusters_per_sm(state, rng, per_event * acc / SM_ACCEPTANCE.sum()))
    return out


def _cluster_maps(
    part: str, clusters: int, state: RunState, rng: np.random.Generator
) -> dict[str, Histogram]:
    energy, cells, time = _uniform(100, 0, 50), _uniform(30, 0, 30), _uniform(300, -300, 300)
    counts = _spectrum(rng, energy, clusters, _falling(0.9 * state.energy_scale, 0.3))
    width = state.time_width
    return {
        f"Cells_{part}": _th2(
            f"Cells_{part}",
            f"Cells per cluster vs energy ({part})",
            (Axis(energy, "E (GeV)"), Axis(cells, "cells")),
            _xy(rng, energy, counts, cells, lambda e: _gauss(2 + 3 * math.log1p(e), 1 + 0.2 * e)),
        ),
        f"Time_{part}": _th2(
            f"Time_{part}",
            f"Cluster time vs energy ({part})",
            (Axis(energy, "E (GeV)"), Axis(time, "t (ns)")),
            _xy(
                rng,
                energy,
                counts,
                time,
                lambda e: _gauss(state.time_offset, width * (1 + 1 / (1 + e))),
            ),
        ),
    }


def _clusters_per_sm(
    state: RunState, rng: np.random.Generator, per_sm: FloatArray
) -> dict[str, Histogram]:
    n, sm = state.events, _sm_axis()
    energy, time, count = _uniform(250, 0, 50), _uniform(400, -400, 400), _uniform(400, 0, 200)
    scale, offset, width = state.energy_scale, state.time_offset, state.time_width
    clusters = n * per_sm
    leading = n * (per_sm > 0).astype(np.float64)
    maps = {
        "ClusterEnergySupermodule": (energy, clusters, _falling(0.9 * scale, 0.3), "E (GeV)"),
        "LeadingClusterEnergySupermodule": (energy, leading, _gamma(2.0 * scale, 3.0), "E (GeV)"),
        "ClusterTimeSupermodule": (time, clusters, _gauss(offset, width), "t (ns)"),
        "LeadingClusterTimeSupermodule": (time, leading, _gauss(offset, 0.8 * width), "t (ns)"),
    }
    out = {}
    for name, (edges, totals, shape, title) in maps.items():
        counts = _per_sm(rng, edges, totals, [shape] * SUPERMODULES)
        out[name] = _th2(name, f"{name}", (Axis(edges, title), sm), counts)
    shapes = [_shape_or_zero(m, _gamma(m + 1e-9, 3.0)) for m in per_sm]
    out["NClustersPerEventSupermodule"] = _th2(
        "NClustersPerEventSupermodule",
        "Clusters per event per supermodule",
        (Axis(count, "clusters"), sm),
        _per_sm(rng, count, np.full(SUPERMODULES, n), shapes),
    )
    return out


#: The objects of each task, as the configs name them.
CELL_OBJECTS = (
    "NumberOfEvents_PHYS",
    "NEventsPerTFPHYS",
    "ncellsPerEventTot",
    "ncellsPerEventEMCALTot",
    "ncellsPerEventDCALTot",
    "ncellPerEventTot_Thres",
    "ncellPerEventEMCALTot_Thres",
    "ncellPerEventDCALTot_Thres",
    "cellTime_PHYS",
    "cellTimeEMCAL_PHYS",
    "cellTimeDCAL_PHYS",
    "cellAmplitude_PHYS",
    "cellAmplitudeEMCAL_PHYS",
    "cellAmplitudeDCAL_PHYS",
    "ncellsPerEventSupermodule",
    "ncellsPerEventSupermoduleWThr",
    "cellAmplitudeSupermodule_PHYS",
    "cellTimeSupermodule_PHYS",
)
CLUSTER_OBJECTS = (
    "NclustPerEvt",
    "ClustE_All",
    "ClustE_EMCal",
    "ClustE_DCal",
    "ClusterELeading_All",
    "ClusterELeading_EMCal",
    "ClusterELeading_DCal",
    "ClusterTimeLeading_All",
    "ClusterTimeLeading_EMCal",
    "ClusterTimeLeading_DCal",
    "M02_All",
    "M20_EMCal",
    "M20_DCal",
    "Cells_EMCal",
    "Cells_DCal",
    "Time_All",
    "Time_EMCal",
    "Time_DCal",
    "ClusterEnergySupermodule",
    "LeadingClusterEnergySupermodule",
    "ClusterTimeSupermodule",
    "LeadingClusterTimeSupermodule",
    "NClustersPerEventSupermodule",
)


def fill_emc(
    repo: Repository,
    *,
    period: str = "LHC24ab",
    passes: tuple[str, ...] = ("apass1", "apass2"),
    runs: int = 50,
    seed: int = 2024,
    provenance: str = "qc_async",
    progress: Callable[[str], None] | None = None,
) -> int:
    """Store the EMC cell and cluster objects of ``runs`` runs for each pass; return how many
    objects were stored."""
    stored = 0
    schedule = vertexing_runs(runs, seed)
    for pass_index, pass_name in enumerate(passes):
        rng = np.random.default_rng([seed, 6, pass_index])
        for index, run in enumerate(schedule):
            state = _state(index, run, pass_index, rng)
            activity = Activity(run.number, "PHYSICS", period, pass_name, provenance)
            for task, objects in (
                ("Cells", _cells(state, rng)),
                ("Clusters", _clusters(state, rng)),
            ):
                stored += store_histograms(
                    repo,
                    activity,
                    (run.sor, run.eor),
                    detector=DETECTOR,
                    task=task,
                    task_class=TASK_CLASSES[task],
                    objects=objects,
                )
        if progress:
            progress(f"EMC {pass_name}: {len(schedule)} runs of {period} stored")
    return stored
