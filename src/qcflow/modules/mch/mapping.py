"""MCH detection elements and qcflow's reduced electronics mapping (``data/mch-mapping.json``).

Detection elements (DE): 156, id = 100 x chamber + k; chambers 1-4 have 4 quadrants, 5-6 have 18
slats, 7-10 have 26; station = (chamber + 1) // 2. QC orders per-DE plots by a *DE index*
(``getDEindex``, not ascending ids): per chamber, first the half-chamber "side 0" (ids lMin..lMax,
lMin = (h+1)//2 with h = DEs/2), then "side 1" (ids below lMin counting down, then the highest ids
counting down). Chamber offsets: 0, 4, 8, 12, 16, 34, 52, 78, 104, 130.

Electronics: each DE cathode (bending B = 0, non-bending NB = 1) is read by dual-SAMPA boards
(DS) of 64 channels, some not connected to a pad. The ``*_Elec`` maps have x = global DS index
(DEs in ascending id, then DS ids ascending: bending ids < 1024 <= non-bending ids) and
y = channel 0..63. Two mappings, told apart by the number of boards of a map's x axis
(:func:`mapping_for`):

- O2's own (:func:`load_o2_mapping`, ``data/mch-elecmap-o2.json``, derived from O2's sources by
  ``tools/derive_mch_elecmap.py``): 16,820 boards in O2's ``DsIndex`` order, each with its DE,
  DS id and connected channels -- what QC's real maps use;
- qcflow's reduced one (:func:`load_mapping`, ``data/mch-mapping.json``): O2's DE list and
  per-cathode pad and DS counts, with ``round(pads / reduction)`` pads per cathode in boards of
  64 (572 boards, 26,592 pads), for small synthetic data; see docs/modules.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "CHAMBER_OFFSETS",
    "CHANNELS",
    "MAPPING_FILE",
    "NUM_DE",
    "O2_BOARDS",
    "DetectionElement",
    "ElecMapping",
    "de_index",
    "de_position",
    "des_in_chamber",
    "load_mapping",
    "load_o2_mapping",
    "mapping_for",
]

CHANNELS = 64
NUM_DE = 156
_DES_PER_CHAMBER = (4, 4, 4, 4, 18, 18, 26, 26, 26, 26)
CHAMBER_OFFSETS = tuple(int(x) for x in np.cumsum((0, *_DES_PER_CHAMBER[:-1])))
NON_BENDING_DS = 1024
#: O2's number of dual-SAMPA boards (``NumberOfDualSampas``, MCHGlobalMapping/DsIndex.h).
O2_BOARDS = 16820


def des_in_chamber(chamber: int) -> int:
    """How many DEs chamber 1..10 has."""
    return _DES_PER_CHAMBER[chamber - 1]


def de_position(de: int) -> tuple[int, int]:
    """``(position, side)`` of a DE inside its chamber (QC's ``getDEindexInChamber``)."""
    n = des_in_chamber(de // 100)
    half = n // 2
    k = de % 100
    low = (half + 1) // 2
    high = low + half - 1
    if low <= k <= high:
        return k - low, 0
    if k > high:
        k -= n
    return low - k - 1, 1


def de_index(de: int) -> int:
    """The DE's bin (0-based) in QC's per-DE plots (``getDEindex``)."""
    chamber = de // 100
    position, side = de_position(de)
    return CHAMBER_OFFSETS[chamber - 1] + position + (des_in_chamber(chamber) // 2 if side else 0)


@dataclass(frozen=True)
class DetectionElement:
    """One DE: id, chamber, station and, per cathode, the connected channels of its boards."""

    id: int
    chamber: int
    station: int
    segtype: int
    pads: tuple[int, int]
    channels: tuple[tuple[int, ...], tuple[int, ...]]

    @property
    def index(self) -> int:
        return de_index(self.id)


IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class ElecMapping:
    """The reduced mapping, with per-board arrays in global DS index order."""

    des: tuple[DetectionElement, ...]
    #: qcflow's reduction factor; 1 for O2's own mapping.
    reduction: int
    #: Per board (global DS index): its DE's index, its cathode, its DS id.
    ds_de_index: IntArray
    ds_cathode: IntArray
    ds_id: IntArray
    #: (boards, 64): True where a channel is connected to a pad.
    connected: npt.NDArray[np.bool_]

    @property
    def num_ds(self) -> int:
        return int(self.ds_de_index.size)

    def de_by_index(self) -> list[DetectionElement]:
        """The DEs in QC's DE-index order."""
        return sorted(self.des, key=lambda d: d.index)

    def labels(self) -> list[str]:
        """``DE<id>`` for each DE index (bin labels of per-DE plots)."""
        return [f"DE{d.id}" for d in self.de_by_index()]

    def chamber_of_index(self) -> IntArray:
        """The chamber (1..10) of each DE index."""
        return np.array([d.chamber for d in self.de_by_index()], dtype=np.int64)

    def station_of_index(self) -> IntArray:
        return (self.chamber_of_index() + 1) // 2


MAPPING_FILE = Path(__file__).resolve().parents[2] / "data" / "mch-mapping.json"
O2_MAPPING_FILE = MAPPING_FILE.with_name("mch-elecmap-o2.json")


def _de(entry: Any) -> DetectionElement:
    de = int(entry["de"])
    chamber = de // 100
    bending, non_bending = entry["channels"]
    pads = (int(entry["pads"][0]), int(entry["pads"][1]))
    return DetectionElement(
        de,
        chamber,
        (chamber + 1) // 2,
        int(entry["segtype"]),
        pads,
        (tuple(bending), tuple(non_bending)),
    )


@cache
def load_mapping() -> ElecMapping:
    """qcflow's reduced MCH mapping, read once from the package data."""
    doc = json.loads(MAPPING_FILE.read_text())
    des = tuple(sorted((_de(e) for e in doc["detectionElements"]), key=lambda d: d.id))
    rows: list[tuple[int, int, int, int]] = []
    for de in des:
        for cathode, boards in enumerate(de.channels):
            first = NON_BENDING_DS if cathode else 0
            rows.extend((de.index, cathode, first + i, n) for i, n in enumerate(boards))
    table = np.array(rows, dtype=np.int64)
    connected = np.arange(CHANNELS)[None, :] < table[:, 3:4]
    return ElecMapping(des, int(doc["reduction"]), table[:, 0], table[:, 1], table[:, 2], connected)


@cache
def load_o2_mapping() -> ElecMapping:
    """O2's MCH electronics mapping (16,820 boards in ``DsIndex`` order), read once."""
    doc = json.loads(O2_MAPPING_FILE.read_text())
    des, rows, masks = [], [], []
    for entry in doc["detectionElements"]:
        de = int(entry["de"])
        counts: tuple[list[int], list[int]] = ([], [])
        for ds, mask in entry["boards"]:
            cathode = int(ds >= NON_BENDING_DS)
            bits = int(mask, 16)
            counts[cathode].append(bits.bit_count())
            rows.append((de_index(de), cathode, int(ds)))
            masks.append(bits)
        chamber = de // 100
        des.append(
            DetectionElement(
                de,
                chamber,
                (chamber + 1) // 2,
                int(entry["segtype"]),
                (sum(counts[0]), sum(counts[1])),
                (tuple(counts[0]), tuple(counts[1])),
            )
        )
    table = np.array(rows, dtype=np.int64)
    as_bytes = np.array(masks, dtype=np.uint64).astype("<u8").view(np.uint8).reshape(-1, 8)
    connected = np.unpackbits(as_bytes, axis=1, bitorder="little").astype(bool)
    return ElecMapping(
        tuple(sorted(des, key=lambda d: d.id)), 1, table[:, 0], table[:, 1], table[:, 2], connected
    )


def mapping_for(boards: int) -> ElecMapping | None:
    """The mapping whose x axis has ``boards`` boards: O2's, qcflow's reduced one, or None."""
    if boards == O2_BOARDS:  # read O2's file (~0.2 s) only for O2's maps
        return load_o2_mapping()
    reduced = load_mapping()
    return reduced if reduced.num_ds == boards else None
