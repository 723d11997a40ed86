"""Synthetic histograms drawn bin by bin: binning, shapes, multinomial counts, TH1F/TH2F.

What the demo generators build their objects from. A shape is a function of the bin centres
(unnormalised); :func:`spectrum` spreads ``total`` entries over the bins in proportion to it
(a multinomial draw: no per-entry loop), :func:`th1`/:func:`th2` wrap counts into ROOT
histograms with their stored sums computed from the bins::

    edges = uniform(100, 0, 50)
    h = th1("E", "Cluster energy", edges, spectrum(rng, edges, 10_000, falling(0.9)), "E (GeV)")
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from qcflow.objects.root import Axis, Histogram, stats_from_bins

__all__ = [
    "Shape",
    "counts",
    "falling",
    "gamma",
    "gauss",
    "spectrum",
    "th1",
    "th1_from_values",
    "th2",
    "uniform",
]

FloatArray = npt.NDArray[np.float64]
Shape = Callable[[FloatArray], FloatArray]


def uniform(n: int, low: float, high: float) -> FloatArray:
    """The edges of ``n`` equal bins on [low, high]."""
    return np.linspace(low, high, n + 1)


def counts(rng: np.random.Generator, total: int, shape: FloatArray) -> FloatArray:
    """``total`` entries spread over bins in proportion to ``shape`` (multinomial)."""
    weights = np.clip(shape, 0, None)
    if total <= 0 or weights.sum() <= 0:
        return np.zeros_like(weights)
    return rng.multinomial(total, weights / weights.sum()).astype(np.float64)


def th1(name: str, title: str, edges: FloatArray, bins: FloatArray, x_title: str) -> Histogram:
    """A TH1F holding ``bins`` (no under/overflow), entries = their sum."""
    values = np.concatenate([[0.0], bins, [0.0]])
    h = Histogram(
        "TH1F", name, title, (Axis(edges, x_title),), values, values.copy(), float(bins.sum())
    )
    h.stats = stats_from_bins(h)
    return h


def th2(name: str, title: str, axes: tuple[Axis, Axis], bins: FloatArray) -> Histogram:
    """A TH2F holding ``bins`` (x, y; no flow bins), entries = their sum."""
    values = np.zeros((bins.shape[0] + 2, bins.shape[1] + 2))
    values[1:-1, 1:-1] = bins
    h = Histogram("TH2F", name, title, axes, values, values.copy(), float(bins.sum()))
    h.stats = stats_from_bins(h)
    return h


def gauss(mean: float, sigma: float) -> Shape:
    """A Gaussian peak."""
    return lambda x: np.exp(-0.5 * ((x - mean) / sigma) ** 2)


def falling(slope: float, start: float = 0.0) -> Shape:
    """An exponential fall from ``start`` (nothing below it)."""
    return lambda x: np.where(x >= start, np.exp(-(x - start) / slope), 0.0)


def gamma(mean: float, shape: float = 4.0) -> Shape:
    """A gamma distribution of this mean (multiplicities)."""
    scale = mean / shape
    return lambda x: np.where(
        x > 0, np.power(np.clip(x, 1e-9, None), shape - 1) * np.exp(-x / scale), 0.0
    )


def spectrum(rng: np.random.Generator, edges: FloatArray, total: int, shape: Shape) -> FloatArray:
    """``total`` entries over the bins of ``edges`` following ``shape``."""
    centres = (edges[:-1] + edges[1:]) / 2
    return counts(rng, total, shape(centres))


def th1_from_values(
    name: str, title: str, values: FloatArray, bins: int, low: float, high: float, x_title: str = ""
) -> Histogram:
    """A TH1F filled with ``values`` as ROOT fills it: flow bins, sums of the true values."""
    edges = np.linspace(low, high, bins + 1)
    inside = values[(values >= low) & (values < high)]
    counts, _ = np.histogram(inside, bins=edges)  # ROOT: x == high is overflow
    contents = np.concatenate(([np.sum(values < low)], counts, [np.sum(values >= high)]))
    contents = contents.astype(np.float64)
    stats = {
        "fTsumw": float(inside.size),
        "fTsumw2": float(inside.size),
        "fTsumwx": float(inside.sum()),
        "fTsumwx2": float((inside**2).sum()),
    }
    axis = Axis(edges, x_title)
    return Histogram(
        "TH1F", name, title, (axis,), contents, contents.copy(), float(values.size), stats
    )
