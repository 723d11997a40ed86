"""Per-DE means of an electronics map, against a pad-by-pad loop."""

from __future__ import annotations

import numpy as np
import pytest

from qcflow.errors import InvalidInput
from qcflow.modules.mch.elecmap import reduce_elec_map
from qcflow.modules.mch.mapping import CHANNELS, NUM_DE, load_mapping
from qcflow.objects.ratio import HistogramRatio
from qcflow.objects.root import Axis


def ratio_map(num: np.ndarray, den: float | np.ndarray) -> HistogramRatio:
    axes = (Axis(np.arange(num.shape[0] + 1.0)), Axis(np.arange(CHANNELS + 1.0)))
    return HistogramRatio.from_counts("m", "", axes, num, den)


def test_means_counts_and_fractions_match_a_loop_over_pads() -> None:
    mapping = load_mapping()
    rng = np.random.default_rng(3)
    num = rng.poisson(2.0, (mapping.num_ds, CHANNELS)).astype(float)
    den = rng.poisson(1.0, num.shape).astype(float)  # some pads without statistics
    low, high = 0.5, 3.0
    summary = reduce_elec_map(ratio_map(num, den), mapping, low, high)
    sums = np.zeros((2, NUM_DE))
    n = np.zeros((2, NUM_DE))
    bad = np.zeros((2, NUM_DE))
    nostat = np.zeros((2, NUM_DE))
    for ds in range(mapping.num_ds):
        de, cathode = mapping.ds_de_index[ds], mapping.ds_cathode[ds]
        for ch in range(CHANNELS):
            if not mapping.connected[ds, ch]:
                continue
            if den[ds, ch] == 0:
                nostat[cathode, de] += 1
                continue
            value = num[ds, ch] / den[ds, ch]
            sums[cathode, de] += value
            n[cathode, de] += 1
            bad[cathode, de] += value <= low or value >= high
    assert np.allclose(summary.mean_bending, np.where(n[0] > 0, sums[0] / np.maximum(n[0], 1), 0))
    assert np.allclose(summary.mean, sums.sum(0) / n.sum(0))
    assert np.array_equal(summary.bad, bad)
    assert np.array_equal(summary.no_stat, nostat)
    pads = mapping.connected.sum()
    assert summary.pads.sum() == pads
    expected = (summary.pads.sum(0) - bad.sum(0) - nostat.sum(0)) / summary.pads.sum(0)
    assert np.allclose(summary.good_fraction(), expected)


def test_a_uniform_denominator_is_the_orbit_length() -> None:
    mapping = load_mapping()
    num = np.ones((mapping.num_ds, CHANNELS))
    summary = reduce_elec_map(ratio_map(num, 8.91), mapping, 0.0, 100.0)
    assert summary.orbits == pytest.approx(8.91)
    assert np.allclose(summary.mean, 1 / 8.91)
    assert np.allclose(summary.chamber_mean, 1 / 8.91)


def test_a_map_of_another_layout_is_refused() -> None:
    with pytest.raises(InvalidInput, match="fits neither MCH mapping"):
        reduce_elec_map(ratio_map(np.ones((10, CHANNELS)), 1.0), load_mapping(), 0, 1)
