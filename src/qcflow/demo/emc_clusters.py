"""Synthetic EMCAL cluster objects (``EMC/MO/Clusters``): see :mod:`.emc`."""

from __future__ import annotations

import math

import numpy as np

from qcflow.demo.emc_detector import (
    DCAL,
    EMCAL,
    SM_ACCEPTANCE,
    SUPERMODULES,
    FloatArray,
    RunState,
    acceptance,
    shape_or_zero,
    sm_axis,
    sm_counts,
    xy,
)
from qcflow.demo.shapes import falling, gamma, gauss, spectrum, th1, th2, uniform
from qcflow.objects.root import Axis, Histogram

__all__ = ["clusters"]


def clusters(state: RunState, rng: np.random.Generator) -> dict[str, Histogram]:
    n, acc = state.events, acceptance(state)
    per_event = state.multiplicity / 12
    parts = {"All": acc.sum(), "EMCal": acc[EMCAL].sum(), "DCal": acc[DCAL].sum()}
    scale, offset, width = state.energy_scale, state.time_offset, state.time_width
    e_edges, t_edges, m_edges = uniform(500, 0, 50), uniform(500, -500, 500), uniform(250, 0, 5)
    count_edges = uniform(200, 0, 200)
    out = {
        "NclustPerEvt": th1(
            "NclustPerEvt",
            "Number of clusters per event",
            count_edges,
            spectrum(rng, count_edges, n, gamma(per_event, 6.0)),
            "clusters",
        )
    }
    for part, share in parts.items():
        clusters = int(n * per_event * share / SM_ACCEPTANCE.sum())
        spectra = {
            f"ClustE_{part}": (e_edges, clusters, falling(0.9 * scale, 0.3), "E (GeV)"),
            f"ClusterELeading_{part}": (e_edges, n, gamma(3.0 * scale, 3.0), "E (GeV)"),
            f"ClusterTimeLeading_{part}": (t_edges, n, gauss(offset, 0.8 * width), "t (ns)"),
        }
        shower = "M02" if part == "All" else "M20"  # the names the configs trend
        spectra[f"{shower}_{part}"] = (
            m_edges,
            clusters,
            gamma(0.35 if part == "All" else 0.2, 5.0),
            shower,
        )
        for name, (edges, total, shape, title) in spectra.items():
            out[name] = th1(name, name, edges, spectrum(rng, edges, total, shape), title)
        if part != "All":
            out.update(_cluster_maps(part, clusters, state, rng))
    energy = uniform(100, 0, 50)
    counts = spectrum(rng, energy, int(n * per_event), falling(0.9 * scale, 0.3))
    out["Time_All"] = th2(
        "Time_All",
        "Cluster time vs energy",
        (Axis(energy, "E (GeV)"), Axis(uniform(300, -300, 300), "t (ns)")),
        xy(
            rng,
            energy,
            counts,
            uniform(300, -300, 300),
            lambda e: gauss(offset, width * (1 + 1 / (1 + e))),
        ),
    )
    out.update(_clusters_per_sm(state, rng, per_event * acc / SM_ACCEPTANCE.sum()))
    return out


def _cluster_maps(
    part: str, clusters: int, state: RunState, rng: np.random.Generator
) -> dict[str, Histogram]:
    energy, cells, time = uniform(100, 0, 50), uniform(30, 0, 30), uniform(300, -300, 300)
    counts = spectrum(rng, energy, clusters, falling(0.9 * state.energy_scale, 0.3))
    width = state.time_width
    return {
        f"Cells_{part}": th2(
            f"Cells_{part}",
            f"Cells per cluster vs energy ({part})",
            (Axis(energy, "E (GeV)"), Axis(cells, "cells")),
            xy(rng, energy, counts, cells, lambda e: gauss(2 + 3 * math.log1p(e), 1 + 0.2 * e)),
        ),
        f"Time_{part}": th2(
            f"Time_{part}",
            f"Cluster time vs energy ({part})",
            (Axis(energy, "E (GeV)"), Axis(time, "t (ns)")),
            xy(
                rng,
                energy,
                counts,
                time,
                lambda e: gauss(state.time_offset, width * (1 + 1 / (1 + e))),
            ),
        ),
    }


def _clusters_per_sm(
    state: RunState, rng: np.random.Generator, per_sm: FloatArray
) -> dict[str, Histogram]:
    n, sm = state.events, sm_axis()
    energy, time, count = uniform(250, 0, 50), uniform(400, -400, 400), uniform(400, 0, 200)
    scale, offset, width = state.energy_scale, state.time_offset, state.time_width
    clusters = n * per_sm
    leading = n * (per_sm > 0).astype(np.float64)
    maps = {
        "ClusterEnergySupermodule": (energy, clusters, falling(0.9 * scale, 0.3), "E (GeV)"),
        "LeadingClusterEnergySupermodule": (energy, leading, gamma(2.0 * scale, 3.0), "E (GeV)"),
        "ClusterTimeSupermodule": (time, clusters, gauss(offset, width), "t (ns)"),
        "LeadingClusterTimeSupermodule": (time, leading, gauss(offset, 0.8 * width), "t (ns)"),
    }
    out = {}
    for name, (edges, totals, shape, title) in maps.items():
        counts = sm_counts(rng, edges, totals, [shape] * SUPERMODULES)
        out[name] = th2(name, f"{name}", (Axis(edges, title), sm), counts)
    shapes = [shape_or_zero(m, gamma(m + 1e-9, 3.0)) for m in per_sm]
    out["NClustersPerEventSupermodule"] = th2(
        "NClustersPerEventSupermodule",
        "Clusters per event per supermodule",
        (Axis(count, "clusters"), sm),
        sm_counts(rng, count, np.full(SUPERMODULES, n), shapes),
    )
    return out
