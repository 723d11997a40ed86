"""The reduced MCH mapping: QC's DE index, the data file's layout and its reduction."""

from __future__ import annotations

import json

import numpy as np

from qcflow.modules.mch.mapping import (
    CHAMBER_OFFSETS,
    MAPPING_FILE,
    NUM_DE,
    de_index,
    de_position,
    load_mapping,
)


def test_the_de_index_order_of_qc() -> None:
    mapping = load_mapping()
    labels = mapping.labels()
    assert labels[:4] == ["DE101", "DE102", "DE100", "DE103"]
    assert labels[16:34] == [
        f"DE{d}" for d in (*range(505, 514), 504, 503, 502, 501, 500, 517, 516, 515, 514)
    ]
    assert labels[52:78] == [
        f"DE{d}" for d in (*range(707, 720), *range(706, 699, -1), *range(725, 719, -1))
    ]
    assert sorted(de_index(d.id) for d in mapping.des) == list(range(NUM_DE))
    assert CHAMBER_OFFSETS == (0, 4, 8, 12, 16, 34, 52, 78, 104, 130)


def test_positions_and_sides() -> None:
    assert de_position(505) == (0, 0)
    assert de_position(504) == (0, 1)
    assert de_position(517) == (5, 1)
    assert de_position(100) == (0, 1)


def test_the_data_file_keeps_o2s_counts_and_reduces_them_as_documented() -> None:
    doc = json.loads(MAPPING_FILE.read_text())
    des = doc["detectionElements"]
    assert len(des) == NUM_DE
    assert sum(sum(d["pads"]) for d in des) == 1_064_008
    per_chamber = np.bincount([d["de"] // 100 for d in des])[1:]
    assert per_chamber.tolist() == [4, 4, 4, 4, 18, 18, 26, 26, 26, 26]
    for d in des:
        for pads, boards in zip(d["pads"], d["channels"]):
            assert sum(boards) == max(1, round(pads / doc["reduction"]))
            assert all(b == 64 for b in boards[:-1]) and 0 < boards[-1] <= 64


def test_boards_run_over_des_then_ds_ids() -> None:
    mapping = load_mapping()
    de_ids = np.array([d.id for d in mapping.de_by_index()])[mapping.ds_de_index]
    assert np.all(np.diff(de_ids) >= 0)
    first = de_ids == 100
    assert mapping.ds_id[first].tolist() == [0, 1, 2, 3, 4, 5, 1024, 1025, 1026, 1027, 1028, 1029]
    assert mapping.connected.sum() == 26_592


def test_o2s_mapping_has_o2s_boards_in_dsindex_order() -> None:
    from qcflow.modules.mch.mapping import load_o2_mapping, mapping_for

    o2 = load_o2_mapping()
    assert o2.num_ds == 16820  # O2's NumberOfDualSampas (MCHGlobalMapping/DsIndex.h)
    assert int(o2.connected.sum()) == 1063528  # Impl4's pads (Impl3: + DS 1269 of type 1)
    # DsIndex: DEs in ascending id, then DS ids ascending (bending < 1024 <= non-bending).
    by_index = {d.index: d.id for d in o2.des}
    de_of_board = np.array([by_index[i] for i in o2.ds_de_index])
    assert np.all(np.diff(de_of_board) >= 0)
    for de in (100, 505, 1025):
        ids = o2.ds_id[de_of_board == de]
        assert np.all(np.diff(ids) > 0)
        assert np.array_equal(o2.ds_cathode[de_of_board == de], (ids >= 1024).astype(int))
    # Per cathode, the pad and board counts of O2's mapping tests (kept in the reduced file),
    # but segmentation type 1's non-bending cathode, where Impl4 has no DS 1269 (60 pads).
    doc = json.loads(MAPPING_FILE.read_text())
    tests = {e["de"]: (tuple(e["pads"]), tuple(e["dualSampas"])) for e in doc["detectionElements"]}
    for de in o2.des:
        pads, boards = tests[de.id]
        if de.segtype == 1:
            pads, boards = (pads[0], pads[1] - 60), (boards[0], boards[1] - 1)
        assert (de.pads, tuple(len(c) for c in de.channels)) == (pads, boards), de.id
    assert mapping_for(16820) is o2 and mapping_for(572) is load_mapping()
    assert mapping_for(100) is None
