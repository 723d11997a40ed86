"""The trend table written as a TTree and read back."""

from __future__ import annotations

import io

import numpy as np
import uproot

from qcflow.objects.tree import read_tree
from qcflow.postprocessing.trending.table import TrendTable


def table() -> TrendTable:
    t = TrendTable.for_sources(
        "BeamSpotTrending",
        [
            ("vertex_X", {"mean": "f8", "entries": "f8"}),
            ("QcCheck", {"level": "u4", "name": "str"}),
        ],
    )
    t.append(
        500001,
        1_700_000_000,
        {
            "vertex_X.mean": 0.01,
            "vertex_X.entries": 9.0,
            "QcCheck.level": 1,
            "QcCheck.name": "Good",
        },
    )
    t.append(500002, 1_700_003_600, {"QcCheck.level": 3, "QcCheck.name": "Bad"})
    return t


def test_columns_include_the_derived_run_text_and_nan_for_missing_sources() -> None:
    columns = table().columns()
    assert list(columns["meta.runNumberStr"]) == ["500001", "500002"]
    assert columns["meta.runNumber"].dtype == np.int64
    assert columns["time"].dtype == np.uint32
    assert np.isnan(columns["vertex_X.mean"][1])
    assert list(columns["QcCheck.name"]) == ["Good", "Bad"]


def test_tree_in_qc_layout_round_trip() -> None:
    """QC's branches exactly: meta, time, one leaf list per source (QualityReductor's as QC
    declares it: ``level/i:name/C``); under the key ccdb_object, named after the task."""
    data = table().to_root()
    tree = uproot.open(io.BytesIO(data))["ccdb_object"]
    assert tree.name == tree.title == "BeamSpotTrending"
    assert sorted(tree.keys()) == ["QcCheck", "meta", "time", "vertex_X"]
    assert {b.name: b.title for b in tree.branches} == {
        "meta": "runNumber/L:runNumberStr/C",
        "time": "time/i",
        "vertex_X": "mean/D:entries",
        "QcCheck": "level/i:name/C",
    }
    columns = read_tree(data)
    assert list(columns["meta.runNumberStr"]) == ["500001", "500002"]
    assert list(columns["QcCheck.name"]) == ["Good", "Bad"]
    np.testing.assert_array_equal(columns["meta.runNumber"], [500001, 500002])
    np.testing.assert_array_equal(columns["time"], [1_700_000_000, 1_700_003_600])
    np.testing.assert_array_equal(columns["vertex_X.mean"], [0.01, np.nan])
    np.testing.assert_array_equal(columns["QcCheck.level"], [1.0, 3.0])


def test_load_a_tree_back_and_continue() -> None:
    original = table()
    columns = read_tree(original.to_root())
    again = TrendTable.for_sources(
        "BeamSpotTrending",
        [
            ("vertex_X", {"mean": "f8", "entries": "f8"}),
            ("QcCheck", {"level": "u4", "name": "str"}),
        ],
    )
    assert again.same_layout(list(columns))
    assert not again.same_layout([*columns, "extra.leaf"])
    again.load(columns)
    again.append(500003, 1_700_007_200, {"vertex_X.mean": 0.03})
    assert list(again.columns()["meta.runNumberStr"]) == ["500001", "500002", "500003"]
    assert len(again) == 3


def test_an_empty_table_makes_an_empty_tree() -> None:
    t = TrendTable.for_sources("T", [("a", {"mean": "f8"})])
    columns = read_tree(t.to_root())
    assert {k: len(v) for k, v in columns.items()} == {
        "meta.runNumber": 0,
        "meta.runNumberStr": 0,
        "time": 0,
        "a.mean": 0,
    }


def test_a_missing_quality_is_level_zero_in_its_integer_leaf() -> None:
    t = table()
    t.append(500003, 1_700_007_200, {"vertex_X.mean": 0.03})
    columns = read_tree(t.to_root())
    np.testing.assert_array_equal(columns["QcCheck.level"], [1, 3, 0])
    assert list(columns["QcCheck.name"]) == ["Good", "Bad", ""]


def test_trees_of_earlier_versions_continue() -> None:
    """qcflow's flat trees (no runNumberStr, no quality name) are continued, text recomputed."""
    old = {
        "meta.runNumber": np.array([7]),
        "time": np.array([1], dtype=np.uint32),
        "vertex_X.mean": np.array([0.5]),
        "vertex_X.entries": np.array([2.0]),
        "QcCheck.level": np.array([1.0]),
    }
    again = table()
    assert again.same_layout(list(old))
    again.load(old)
    assert list(again.columns()["meta.runNumberStr"]) == ["7"]
