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
and a DCAL supermodule (14) is off in a few runs (:func:`dead_supermodule`; listed by
:func:`emc_issues`, judged by no check: EMC has none, as in O2DPG). ``apass2`` has a better
time calibration than ``apass1``. Runs, SOR/EOR and run numbers are those of
:func:`.vertexing.vertexing_runs`, so the EMC and vertexing data of one demo describe the same
runs. Seeded: the same arguments give the same objects.

    fill_emc(repository, period="LHC24ab", passes=("apass1", "apass2"), runs=50, seed=2024)
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from qcflow.demo.emc_clusters import clusters
from qcflow.demo.emc_detector import (
    DCAL,
    EMCAL,
    SM_ACCEPTANCE,
    SUPERMODULES,
    RunState,
    acceptance,
    shape_or_zero,
    sm_axis,
    sm_counts,
)
from qcflow.demo.shapes import (
    falling,
    gamma,
    gauss,
    spectrum,
    th1,
    th2,
    uniform,
)
from qcflow.demo.store import store_histograms
from qcflow.demo.vertexing import DemoRun, vertexing_runs
from qcflow.objects.activity import Activity
from qcflow.objects.root import Axis, Histogram
from qcflow.qcdb.repository import Repository

__all__ = [
    "CELL_OBJECTS",
    "CLUSTER_OBJECTS",
    "DEAD_SUPERMODULE",
    "NOT_JUDGED",
    "dead_supermodule",
    "emc_issues",
    "fill_emc",
]

DETECTOR = "EMC"
TASK_CLASSES = {
    "Cells": "o2::quality_control_modules::emcal::CellTask",
    "Clusters": "o2::quality_control_modules::emcal::ClusterTask",
}
FloatArray = npt.NDArray[np.float64]
DEAD_SUPERMODULE = 14
#: The "verdict" of a planted problem no check judges.
NOT_JUDGED = "not judged"


def dead_supermodule(index: int) -> int | None:
    """The supermodule off in the ``index``-th run of the period: 14, every 11th run from the
    8th (indices 7, 18, 29, 40)."""
    return DEAD_SUPERMODULE if index % 11 == 7 else None


def emc_issues(runs: int) -> dict[int, tuple[str, str]]:
    """The planted EMC problems of ``runs`` runs, by index: what, and the verdict (none: EMC
    has no check, as in O2DPG -- the report shows them on the per-supermodule trends only)."""
    text = f"DCAL supermodule {DEAD_SUPERMODULE} off (shows on the per-supermodule trends)"
    return {i: (text, NOT_JUDGED) for i in range(runs) if dead_supermodule(i) is not None}


def _state(index: int, run: DemoRun, pass_index: int, rng: np.random.Generator) -> RunState:
    phase = 2 * math.pi * index / 30
    jump = 4.0 if index >= 25 else 0.0  # a time recalibration half-way through the period
    return RunState(
        events=int(run.vertices * 40 * rng.uniform(0.9, 1.1)),
        multiplicity=180.0 * (1 + 0.08 * math.sin(phase)) * rng.normal(1.0, 0.02),
        time_offset=jump + float(rng.normal(0.0, 1.2 if pass_index == 0 else 0.5)),
        time_width=14.0 if pass_index == 0 else 11.0,
        energy_scale=1.0 + 0.004 * math.cos(phase) + float(rng.normal(0, 0.002)),
        sm_dead=dead_supermodule(index),
    )


def _cells(state: RunState, rng: np.random.Generator) -> dict[str, Histogram]:
    n, acc = state.events, acceptance(state)
    shares = {"Tot": acc.sum(), "EMCALTot": acc[EMCAL].sum(), "DCALTot": acc[DCAL].sum()}
    per_sm = state.multiplicity * acc / SM_ACCEPTANCE.sum()
    out = {
        "NumberOfEvents_PHYS": th1(
            "NumberOfEvents_PHYS",
            "Number of events",
            uniform(1, 0.5, 1.5),
            np.array([float(n)]),
            "",
        )
    }
    tf_edges = uniform(400, 0, 400)
    out["NEventsPerTFPHYS"] = th1(
        "NEventsPerTFPHYS",
        "Number of events per timeframe",
        tf_edges,
        spectrum(rng, tf_edges, max(n // 150, 1), gauss(150, 25)),
        "events / TF",
    )
    edges = uniform(400, 0, 2000)
    for suffix, share in shares.items():
        mean = state.multiplicity * share / SM_ACCEPTANCE.sum()
        for name, factor in (("ncellsPerEvent", 1.0), ("ncellPerEvent", 0.3)):
            full = f"{name}{suffix}" + ("_Thres" if factor < 1 else "")
            out[full] = th1(
                full,
                f"Number of cells per event ({suffix})",
                edges,
                spectrum(rng, edges, n, gamma(mean * factor)),
                "cells",
            )
    time_edges, energy_edges = uniform(600, -400, 800), uniform(500, 0, 50)
    for suffix, part in (("", slice(0, 20)), ("EMCAL", EMCAL), ("DCAL", DCAL)):
        cells = int(n * per_sm[part].sum())
        time = spectrum(rng, time_edges, cells, gauss(state.time_offset, state.time_width))
        energy = spectrum(rng, energy_edges, cells, falling(0.45 * state.energy_scale))
        out[f"cellTime{suffix}_PHYS"] = th1(
            f"cellTime{suffix}_PHYS", f"Cell time {suffix}", time_edges, time, "t (ns)"
        )
        out[f"cellAmplitude{suffix}_PHYS"] = th1(
            f"cellAmplitude{suffix}_PHYS",
            f"Cell amplitude {suffix}",
            energy_edges,
            energy,
            "E (GeV)",
        )
    out.update(_cells_per_sm(state, rng, per_sm))
    return out


def _cells_per_sm(
    state: RunState, rng: np.random.Generator, per_sm: FloatArray
) -> dict[str, Histogram]:
    n, sm = state.events, sm_axis()
    out = {}
    for name, factor, edges in (
        ("ncellsPerEventSupermodule", 1.0, uniform(200, 0, 200)),
        ("ncellsPerEventSupermoduleWThr", 0.3, uniform(50, 0, 50)),
    ):
        shapes = [shape_or_zero(m, gamma(m * factor + 1e-9)) for m in per_sm]
        counts = sm_counts(rng, edges, np.full(SUPERMODULES, n), shapes)
        out[name] = th2(name, "Cells per event per supermodule", (Axis(edges, "cells"), sm), counts)
    cells = n * per_sm
    energy_edges, time_edges = uniform(250, 0, 50), uniform(300, -400, 800)
    amplitude = [falling(0.45 * state.energy_scale)] * SUPERMODULES
    timing = [gauss(state.time_offset + 0.3 * (i % 5), state.time_width) for i in range(20)]
    out["cellAmplitudeSupermodule_PHYS"] = th2(
        "cellAmplitudeSupermodule_PHYS",
        "Cell amplitude per supermodule",
        (Axis(energy_edges, "E (GeV)"), sm),
        sm_counts(rng, energy_edges, cells, amplitude),
    )
    out["cellTimeSupermodule_PHYS"] = th2(
        "cellTimeSupermodule_PHYS",
        "Cell time per supermodule",
        (Axis(time_edges, "t (ns)"), sm),
        sm_counts(rng, time_edges, cells, timing),
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
                ("Clusters", clusters(state, rng)),
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
