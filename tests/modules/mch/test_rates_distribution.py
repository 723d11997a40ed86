"""``RatesDistribution``: one search and a bincount fill what np.histogram2d filled (the
previous code) for any rates, NaN and infinities included, and any rate thresholds."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from qcflow.modules.mch.digits import rates_distribution

RATES = hnp.arrays(
    np.float64,
    st.integers(0, 300),
    elements=st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.floats(1e-9, 1e4),
        st.sampled_from([0.0, 1e-7, 1e-3, 1.0, 10.0, 100.0, 1000.0]),
    ),
)


@settings(max_examples=200)
@given(
    RATES,
    st.data(),
    st.sampled_from([(0.0, 100.0), (1e-6, 10.0), (0.5, 0.5), (0.0, 1e-3)]),
)
def test_the_histogram_is_numpys_histogram2d(
    values: np.ndarray, data: st.DataObject, limits: tuple[float, float]
) -> None:
    stations = np.asarray(
        data.draw(st.lists(st.integers(1, 5), min_size=len(values), max_size=len(values))),
        dtype=np.float64,
    )
    low, high = limits
    got = rates_distribution("RatesDistribution", values, stations, low, high)
    edges = got.axes[0].edges
    centers = np.sqrt(edges[1:] * edges[:-1])
    clamped = np.clip(values, centers[0], centers[-1])
    expected, _, _ = np.histogram2d(clamped, stations, bins=(edges, np.arange(1.0, 7.0)))
    assert np.array_equal(got.inner(), expected)
