"""Per-DE averages of an electronics map (QC's ``TH2ElecMapReductor``), vectorised.

Input: a ratio map (:class:`~qcflow.objects.ratio.HistogramRatio`) with x = global DS index and
y = channel, and the thresholds ``(min, max)``. For every connected channel (pad):

- *no statistics* when its denominator is 0 (per cell, or the single uniform one);
- otherwise its value is the ratio; *bad* when ``value <= min`` or ``value >= max`` -- bad pads
  still count in the averages, as in QC.

Results, per DE index: the mean over pads with statistics of the bending pads, of the
non-bending pads and of all of them (0 without any), the numbers of pads, bad pads and pads
without statistics per cathode; per chamber the mean over its pads; ``orbits``, the mean
denominator over pads with statistics (for rate maps: orbits x 0.0891 ms).

Good-channel fraction (QC's plotter): (pads - bad - no statistics) / pads, 0 without pads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from qcflow.errors import InvalidInput
from qcflow.modules.mch.mapping import (
    CHANNELS,
    NUM_DE,
    O2_BOARDS,
    ElecMapping,
    load_mapping,
    mapping_for,
)
from qcflow.objects.metadata import OBJECT_TYPE
from qcflow.objects.ratio import HistogramRatio
from qcflow.postprocessing import Retrieved

__all__ = [
    "O2_BOARDS",
    "ElecMapSummary",
    "elec_mapping",
    "layout_error",
    "ratio_map",
    "reduce_elec_map",
]


FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ElecMapSummary:
    """What :func:`reduce_elec_map` computes; arrays are indexed by DE index (or chamber - 1)."""

    mean_bending: FloatArray
    mean_non_bending: FloatArray
    mean: FloatArray
    pads: npt.NDArray[np.int64]  # (2, NUM_DE)
    bad: npt.NDArray[np.int64]
    no_stat: npt.NDArray[np.int64]
    chamber_mean: FloatArray
    orbits: float

    def good_fraction(self) -> FloatArray:
        pads = self.pads.sum(axis=0)
        good = pads - self.bad.sum(axis=0) - self.no_stat.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(pads > 0, good / np.maximum(pads, 1), 0.0)


def _means(sums: FloatArray, counts: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)


def reduce_elec_map(
    ratio: HistogramRatio, mapping: ElecMapping, low: float, high: float
) -> ElecMapSummary:
    """Reduce one ratio map (see the module docstring)."""
    values = ratio.ratio.inner()
    error = layout_error(ratio, mapping)
    if error:
        msg = f"{ratio.ratio.name}: {error}"
        raise InvalidInput(msg)
    stat = ratio.denominators()
    pads = mapping.connected
    with_stat = pads & (stat != 0)
    bad = with_stat & ((values <= low) | (values >= high))
    group = mapping.ds_de_index * 2 + mapping.ds_cathode  # of each board

    def per_board(mask: npt.NDArray[np.bool_], weights: FloatArray | None) -> FloatArray:
        if weights is None:
            return np.asarray(mask.sum(axis=1), dtype=np.float64)
        return np.asarray(np.where(mask, weights, 0.0).sum(axis=1), dtype=np.float64)

    # Per board first (a row sum), then per group: two passes over a 16,820 x 64 map, where
    # indexing the map's cells by a mask costs ten times more.
    def per_group(mask: npt.NDArray[np.bool_], weights: FloatArray | None = None) -> FloatArray:
        counted = np.bincount(group, weights=per_board(mask, weights), minlength=2 * NUM_DE)
        return np.asarray(counted, dtype=np.float64).reshape(NUM_DE, 2).T

    n_stat, sums = per_group(with_stat), per_group(with_stat, values)
    chamber = _chamber_of_ds(mapping)
    ch_sum = np.bincount(chamber, weights=per_board(with_stat, values), minlength=11)[1:]
    ch_n = np.bincount(chamber, weights=per_board(with_stat, None), minlength=11)[1:]
    stat_sum, stat_n = float(stat[with_stat].sum()), int(with_stat.sum())
    return ElecMapSummary(
        mean_bending=_means(sums[0], n_stat[0]),
        mean_non_bending=_means(sums[1], n_stat[1]),
        mean=_means(sums.sum(axis=0), n_stat.sum(axis=0)),
        pads=per_group(pads).astype(np.int64),
        bad=per_group(bad).astype(np.int64),
        no_stat=per_group(pads & ~with_stat).astype(np.int64),
        chamber_mean=_means(np.asarray(ch_sum, np.float64), ch_n.astype(np.float64)),
        orbits=stat_sum / stat_n if stat_n else 0.0,
    )


def layout_error(ratio: HistogramRatio, mapping: ElecMapping) -> str | None:
    """Why the map cannot be read with ``mapping`` (None when it fits)."""
    shape = ratio.ratio.inner().shape
    if (
        len(shape) == 2
        and shape == (mapping.num_ds, CHANNELS)
        and (ratio.uniform or ratio.den.inner().shape == shape)
    ):
        return None
    size = " x ".join(str(n) for n in shape)
    return (
        f"a {size} map fits neither MCH mapping (O2's {O2_BOARDS} boards, qcflow's reduced "
        f"{load_mapping().num_ds}; x {CHANNELS} channels, a denominator of one cell or of "
        "the map's shape)"
    )


def ratio_map(found: Retrieved) -> HistogramRatio:
    """The fetched object as a ratio map; InvalidInput naming what it is otherwise (e.g. a
    class qcflow does not read as QC's ratio, such as the older ``MergeableTH2Ratio``)."""
    if isinstance(found.obj, HistogramRatio):
        return found.obj
    kind = found.info.metadata.get(OBJECT_TYPE) or type(found.obj).__name__
    msg = f"a {kind}, not one of QC's ratio maps (TH2Ratio<TH2F>...)"
    raise InvalidInput(msg)


def elec_mapping(ratio: HistogramRatio) -> ElecMapping:
    """The mapping of an electronics map, by its number of boards (O2's or qcflow's reduced
    one); InvalidInput saying why when it fits neither."""
    mapping = mapping_for(ratio.ratio.inner().shape[0]) or load_mapping()
    error = layout_error(ratio, mapping)
    if error:
        raise InvalidInput(error)
    return mapping


def _chamber_of_ds(mapping: ElecMapping) -> npt.NDArray[np.int64]:
    return mapping.chamber_of_index()[mapping.ds_de_index]
