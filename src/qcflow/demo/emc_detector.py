"""The EMCAL detector as the synthetic EMC data see it: supermodules and what varies by run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from qcflow.demo.shapes import Shape, spectrum, uniform
from qcflow.objects.root import Axis

__all__ = [
    "DCAL",
    "EMCAL",
    "SM_ACCEPTANCE",
    "SUPERMODULES",
    "RunState",
    "acceptance",
    "shape_or_zero",
    "sm_axis",
    "sm_counts",
    "xy",
]

FloatArray = npt.NDArray[np.float64]
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


def sm_counts(
    rng: np.random.Generator, edges: FloatArray, totals: FloatArray, shapes: list[Shape]
) -> FloatArray:
    """A TH2's bins: x from each supermodule's shape, y = the supermodule."""
    return np.stack(
        [spectrum(rng, edges, int(t), s) for t, s in zip(totals, shapes, strict=True)], axis=1
    )


def sm_axis() -> Axis:
    """The supermodule axis: 20 bins of width 1 centred on 0..19."""
    return Axis(uniform(SUPERMODULES, -0.5, SUPERMODULES - 0.5), "Supermodule ID")


def acceptance(state: RunState) -> FloatArray:
    """Each supermodule's acceptance in this run (a dead one: 0)."""
    acceptance = SM_ACCEPTANCE.copy()
    if state.sm_dead is not None:
        acceptance[state.sm_dead] = 0.0
    return acceptance


def xy(
    rng: np.random.Generator,
    x_edges: FloatArray,
    x_counts: FloatArray,
    y_edges: FloatArray,
    y_shape: Callable[[float], Shape],
) -> FloatArray:
    """A TH2's bins: the x counts, each spread over y by the shape at that x."""
    centres = (x_edges[:-1] + x_edges[1:]) / 2
    rows = [
        spectrum(rng, y_edges, int(c), y_shape(float(x)))
        for x, c in zip(centres, x_counts, strict=True)
    ]
    return np.stack(rows)


# -- the two tasks ---------------------------------------------------------------------------------


def shape_or_zero(mean: float, shape: Shape) -> Shape:
    """A dead supermodule reads 0 cells in every event."""
    return shape if mean > 0 else (lambda x: (x < 1).astype(np.float64))
