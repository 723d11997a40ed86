"""Synthetic MCH data: maps on the reduced mapping, and the issues of the bad runs."""

from __future__ import annotations

import numpy as np

from qcflow.demo.mch import MCH_ISSUES, mch_objects
from qcflow.demo.vertexing import vertexing_runs
from qcflow.modules.mch.elecmap import reduce_elec_map
from qcflow.modules.mch.mapping import de_index, load_mapping
from qcflow.objects.ratio import HistogramRatio

RUN = vertexing_runs(1)[0]


def summary(issue: object, key: str, source: str, low: float = 1e-6, high: float = 10.0):
    objects = mch_objects(np.random.default_rng(3), RUN, issue)[key][source]
    assert isinstance(objects, HistogramRatio)
    return reduce_elec_map(objects, load_mapping(), low, high)


def test_rates_are_in_khz_and_fall_with_the_station() -> None:
    rates = summary(None, "Digits", "OccupancySignal_Elec")
    mapping = load_mapping()
    station = mapping.station_of_index()
    assert 0.2 < rates.mean[station == 1].mean() < 0.4
    assert 0.02 < rates.mean[station == 5].mean() < 0.04
    assert rates.good_fraction().min() == 1.0


def test_a_hv_trip_kills_two_facing_slats() -> None:
    issue = MCH_ISSUES[11]
    rates = summary(issue, "Digits", "OccupancySignal_Elec")
    efficiency = summary(issue, "Preclusters", "Pseudoeff_Elec", -np.inf, np.inf)
    for de in issue.dead:
        assert rates.mean[de_index(de)] == 0
        assert efficiency.mean[de_index(de)] == 0
    assert efficiency.mean[de_index(100)] > 0.9


def test_noisy_and_inefficient_des() -> None:
    noisy = summary(MCH_ISSUES[17], "Digits", "OccupancySignal_Elec")
    assert all(noisy.mean[de_index(de)] > 1.0 for de in MCH_ISSUES[17].noisy)
    low = summary(MCH_ISSUES[37], "Preclusters", "Pseudoeff_Elec", -np.inf, np.inf)
    assert all(0.5 < low.mean_bending[de_index(de)] < 0.6 for de in MCH_ISSUES[37].inefficient)
