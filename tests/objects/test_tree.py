"""Trend trees: QC's leaf-list layout, round trip, trees of earlier qcflow versions."""

from __future__ import annotations

import io

import numpy as np
import pytest
import uproot
from hypothesis import given
from hypothesis import strategies as st

from qcflow.errors import InvalidInput
from qcflow.objects.root import _MemorySink
from qcflow.objects.tree import read_tree, tree_branches, write_tree


def test_leaf_list_branches_as_qc_writes_them() -> None:
    runs = np.array([523897, 523898, 523899], dtype=np.int64)
    data = write_tree(
        {
            "meta": {"runNumber": runs, "runNumberStr": np.array(["523897", "523898", "523899"])},
            "time": np.array([1, 2, 3], dtype=np.uint32),
            "vertex_X": {"mean": np.array([0.1, 0.2, 0.3]), "stddev": np.array([1.0, 1.1, 1.2])},
        },
        name="BeamSpotTrending",
    )
    tree = uproot.open(io.BytesIO(data))["ccdb_object"]
    assert tree.classname == "TTree"
    assert tree.name == "BeamSpotTrending"
    assert set(tree.keys()) == {"meta", "time", "vertex_X"}
    assert tree["meta"].title == "runNumber/L:runNumberStr/C"
    assert tree["time"].title == "time/i"
    assert tree["vertex_X"].title == "mean/D:stddev"
    assert tree_branches(data) == {
        "meta": ["runNumber", "runNumberStr"],
        "time": ["time"],
        "vertex_X": ["mean", "stddev"],
    }
    # uproot reads the numeric leaf lists itself, as records
    np.testing.assert_allclose(tree["vertex_X"].array(library="np")["stddev"], [1.0, 1.1, 1.2])
    columns = read_tree(data)
    np.testing.assert_array_equal(columns["meta.runNumber"], runs)
    assert list(columns["meta.runNumberStr"]) == ["523897", "523898", "523899"]
    assert columns["time"].dtype == np.uint32
    np.testing.assert_allclose(columns["vertex_X.stddev"], [1.0, 1.1, 1.2])


def test_array_leaves_and_long_text() -> None:
    long = "x" * 300  # a /C value of 255 bytes or more has a 5-byte length
    data = write_tree(
        {
            "s": {
                "meanX": np.arange(6.0).reshape(3, 2),
                "label": np.array(["a", long, ""], dtype=object),
            }
        }
    )
    assert uproot.open(io.BytesIO(data))["ccdb_object"]["s"].title == "meanX[2]/D:label/C"
    columns = read_tree(data)
    np.testing.assert_array_equal(columns["s.meanX"], np.arange(6.0).reshape(3, 2))
    assert list(columns["s.label"]) == ["a", long, ""]


@given(
    st.lists(
        st.tuples(
            st.integers(-(2**63), 2**63 - 1),
            st.text(max_size=300),
            st.floats(allow_nan=True),
            st.integers(0, 2**32 - 1),
        ),
        max_size=20,
    )
)
def test_round_trip_any_values(rows: list[tuple[int, str, float, int]]) -> None:
    numbers = np.array([r[0] for r in rows], dtype=np.int64)
    texts = np.array([r[1] for r in rows], dtype=object)
    floats = np.array([r[2] for r in rows], dtype=np.float64)
    levels = np.array([r[3] for r in rows], dtype=np.uint32)
    data = write_tree({"m": {"n": numbers, "t": texts}, "q": {"level": levels, "x": floats}})
    columns = read_tree(data)
    np.testing.assert_array_equal(columns["m.n"], numbers)
    assert [t.encode("utf-8", "surrogatepass") for t in columns["m.t"]] == [
        t.encode("utf-8", "surrogatepass") for t in texts
    ]
    np.testing.assert_array_equal(columns["q.level"], levels)
    np.testing.assert_array_equal(columns["q.x"], floats)


def test_reads_trees_of_earlier_versions() -> None:
    """qcflow wrote one uproot branch per leaf, named ``vertex_X.mean``: still read alike."""
    sink = _MemorySink()
    with uproot.recreate(sink) as file:
        file.mktree(
            "ccdb_object",
            {
                "meta.runNumber": np.int64,
                "time": np.uint32,
                "src.meanX": np.dtype((np.float64, (2,))),
            },
        )
        file["ccdb_object"].extend(
            {
                "meta.runNumber": np.array([7, 8]),
                "time": np.array([1, 2], dtype=np.uint32),
                "src.meanX": np.ones((2, 2)),
            }
        )
    columns = read_tree(sink.getvalue())
    assert set(columns) == {"meta.runNumber", "time", "src.meanX"}
    np.testing.assert_array_equal(columns["meta.runNumber"], [7, 8])
    assert columns["src.meanX"].shape == (2, 2)


def test_empty_tree_and_bad_input() -> None:
    assert read_tree(write_tree({"time": np.zeros(0)})) == {"time": pytest.approx(np.zeros(0))}
    with pytest.raises(InvalidInput, match="different lengths"):
        write_tree({"a": np.zeros(2), "b": {"c": np.zeros(3)}})
    with pytest.raises(InvalidInput, match="no readable TTree"):
        read_tree(write_tree({"a": np.zeros(1)}), name="missing")
    with pytest.raises(InvalidInput, match="no ROOT leaf type"):
        write_tree({"a": np.zeros(1, dtype=np.complex128)})


def test_the_leaf_list_writer_refuses_what_root_cannot_hold() -> None:
    from qcflow.objects.rootwrite import Branch, Leaf, leaf_list, write_leaflist_tree

    with pytest.raises(ValueError, match="unknown ROOT leaf type"):
        Leaf("x", "Q")
    with pytest.raises(ValueError, match="bad length"):
        Leaf("s", "C", 3)
    assert leaf_list((Leaf("a", "D"), Leaf("b", "D"), Leaf("n", "i"), Leaf("v", "D", 4))) == (
        "a/D:b:n/i:v[4]/D"
    )
    sink = _MemorySink()
    with uproot.recreate(sink) as file, pytest.raises(ValueError, match="different numbers"):
        write_leaflist_tree(
            file,
            "t",
            [Branch("b", (Leaf("x", "D"), Leaf("y", "D")))],
            {"b": {"x": [1.0], "y": [1.0, 2.0]}},
        )
