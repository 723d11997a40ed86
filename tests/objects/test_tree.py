"""Trend trees: QC-style dotted branch names, round trip."""

from __future__ import annotations

import io

import numpy as np
import pytest
import uproot

from qcflow.errors import InvalidInput
from qcflow.objects.tree import read_tree, write_tree


def test_round_trip_with_dotted_names() -> None:
    runs = np.array([523897, 523898, 523899], dtype=np.int32)
    data = write_tree({"meta": {"runNumber": runs}, "time": np.array([1.0, 2.0, 3.0]),
                       "vertex_X": {"mean": np.array([0.1, 0.2, 0.3]),
                                    "stddev": np.array([1.0, 1.1, 1.2])}})  # fmt: skip
    tree = uproot.open(io.BytesIO(data))["ccdb_object"]
    assert tree.classname == "TTree"
    assert set(tree.keys()) == {"meta.runNumber", "time", "vertex_X.mean", "vertex_X.stddev"}
    columns = read_tree(data)
    np.testing.assert_array_equal(columns["meta.runNumber"], runs)
    np.testing.assert_allclose(columns["vertex_X.stddev"], [1.0, 1.1, 1.2])


def test_empty_tree_and_bad_input() -> None:
    assert read_tree(write_tree({"time": np.zeros(0)})) == {"time": pytest.approx(np.zeros(0))}
    with pytest.raises(InvalidInput, match="different lengths"):
        write_tree({"a": np.zeros(2), "b": {"c": np.zeros(3)}})
    with pytest.raises(InvalidInput, match="no readable TTree"):
        read_tree(write_tree({"a": np.zeros(1)}), name="missing")
