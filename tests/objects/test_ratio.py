"""QC's ratio histograms: uniform and per-cell denominators, round trips through bytes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from qcflow.errors import InvalidInput
from qcflow.objects.codec import decode
from qcflow.objects.ratio import (
    HistogramRatio,
    decode_ratio,
    encode_ratio,
    is_ratio_class,
)
from qcflow.objects.root import Axis, Histogram, decode_histogram, encode_histogram
from qcflow.qcdb.model import ObjectInfo

AXES = (Axis(np.arange(4.0)), Axis(np.arange(3.0)))


def test_uniform_scaling_divides_every_cell_by_one_number() -> None:
    counts = np.array([[0.0, 2.0], [4.0, 8.0], [1.0, 0.0]])
    r = HistogramRatio.from_counts("Occupancy_Elec", "rate", AXES, counts, 2.0)
    assert r.uniform
    assert np.array_equal(r.ratio.inner(), counts / 2.0)
    assert np.array_equal(r.denominators(), np.full((3, 2), 2.0))
    back = decode_ratio(encode_ratio(r))
    assert back.uniform
    assert np.allclose(back.ratio.inner(), counts / 2.0)
    assert np.allclose(back.num.inner(), counts)
    assert back.den.inner().shape == (1, 1)
    assert back.object_type == "o2::quality_control_modules::common::TH2Ratio<TH2F>"


def test_per_cell_denominators_give_zero_where_there_is_no_statistics() -> None:
    num = np.array([[1.0, 2.0], [0.0, 3.0], [5.0, 0.0]])
    den = np.array([[2.0, 4.0], [0.0, 3.0], [10.0, 0.0]])
    r = decode_ratio(encode_ratio(HistogramRatio.from_counts("eff", "", AXES, num, den)))
    assert not r.uniform
    assert np.allclose(r.ratio.inner(), [[0.5, 0.5], [0.0, 1.0], [0.5, 0.0]])
    assert np.allclose(r.denominators(), den)


def test_the_ratio_is_a_plain_histogram_for_other_readers() -> None:
    r = HistogramRatio.from_counts("h", "", AXES, np.ones((3, 2)), 4.0)
    assert np.allclose(decode_histogram(encode_ratio(r)).inner(), 0.25)


def test_class_names() -> None:
    assert is_ratio_class("o2::quality_control_modules::common::TH2FRatio")
    assert is_ratio_class("TH1DRatio")
    assert not is_ratio_class("TH2F")


def test_a_plain_histogram_is_not_a_ratio_payload() -> None:
    h = Histogram("TH1F", "h", "", (Axis(np.arange(3.0)),), np.zeros(4))
    with pytest.raises(InvalidInput, match="not a qcflow ratio"):
        decode_ratio(encode_histogram(h))


# -- QC's own classes, written by CERN ROOT ------------------------------------------------


ROOT_MISSING = importlib.util.find_spec("ROOT") is None


@pytest.fixture(scope="module")
def aclic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ACLiC's build directory, shared by the module's ROOT runs (the library is built once)."""
    return tmp_path_factory.mktemp("aclic")


@pytest.mark.root
@pytest.mark.skipif(ROOT_MISSING, reason="CERN ROOT is not installed (the `root` extra)")
@pytest.mark.parametrize(
    ("cls", "uniform"),
    [
        ("TH2Ratio<TH2F>", True),
        ("TH2Ratio<TH2F>", False),
        ("TH2Ratio<TH2D>", True),
        ("TH1Ratio<TH1F>", False),
        ("TH1Ratio<TH1D>", True),
    ],
)
def test_qcs_ratio_classes_written_by_root_are_read(
    tmp_path: Path, aclic: Path, cls: str, uniform: bool
) -> None:
    from tests.modules.test_root_detectors import root_write

    two_d = cls.startswith("TH2")
    rng = np.random.default_rng(3)
    shape = (7, 5) if two_d else (9,)
    num = rng.poisson(4.0, shape).astype(np.float64)
    den_cells = rng.poisson(6.0, shape).astype(np.float64)
    np.save(tmp_path / "num.npy", num)
    np.save(tmp_path / "den.npy", den_cells)
    spec = {
        "kind": "ratio",
        "class": cls,
        "name": "Occupancy_Elec",
        "x": [shape[0], 0, 7],
        "num": str(tmp_path / "num.npy"),
        "path": str(tmp_path / "ratio.root"),
        "den": 8.91 if uniform else str(tmp_path / "den.npy"),
    }
    if two_d:
        spec["y"] = [shape[1], -1, 4]
    root_write(aclic, tmp_path, [spec])
    data = (tmp_path / "ratio.root").read_bytes()
    kind = f"o2::quality_control_modules::common::{cls}"
    assert is_ratio_class(kind)
    info = ObjectInfo(
        "qc/MCH/MO/Digits/Occupancy_Elec", "id", 0, 1, 0, 0, metadata={"ObjectType": kind}
    )
    r = decode(data, info)
    assert isinstance(r, HistogramRatio)
    assert r.uniform is uniform and r.object_type == kind
    assert np.array_equal(r.num.inner(), num)
    if uniform:
        assert r.den.inner().ravel().tolist() == [
            8.91 if cls.endswith("D>") else float(np.float32(8.91))
        ]
        expected = num / (8.91 if cls.endswith("D>") else float(np.float32(8.91)))
    else:
        assert np.array_equal(r.denominators(), den_cells)
        expected = np.where(den_cells > 0, num / np.where(den_cells > 0, den_cells, 1), 0.0)
    dtype = np.float64 if cls.endswith("D>") else np.float32
    assert np.allclose(r.ratio.inner(), expected.astype(dtype), rtol=1e-6)
    assert r.ratio.class_name == cls.split("<")[1].rstrip(">")
    assert r.ratio.name == "Occupancy_Elec" and r.num.name == "Occupancy_Elec_num"


def _earlier_payload(r: HistogramRatio) -> bytes:
    """qcflow's payload before it wrote QC's class: three plain histograms under three keys."""
    import uproot

    from qcflow.objects import ratio
    from qcflow.objects.root import _MemorySink, histogram_to_uproot

    sink = _MemorySink()
    with uproot.recreate(sink) as file:
        for key, h in ((ratio.CCDB_KEY, r.ratio), (ratio.NUM_KEY, r.num), (ratio.DEN_KEY, r.den)):
            file[key] = histogram_to_uproot(h)
    return sink.getvalue()


def test_qcflows_payload_is_read_directly_with_uproots_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The three plain histograms of qcflow's payload are read without opening the file with
    uproot, member by member equal to what uproot reads."""
    from qcflow.objects import ratio
    from qcflow.objects.root import histogram_from_file, read_root
    from tests.objects.test_rootread import assert_same

    num = np.random.default_rng(2).poisson(4.0, (3, 2)).astype(np.float64)
    data = _earlier_payload(HistogramRatio.from_counts("rate", "Rate", AXES, num, 7.0))
    file = read_root(data)
    expected = [
        histogram_from_file(file, key) for key in (ratio.CCDB_KEY, ratio.NUM_KEY, ratio.DEN_KEY)
    ]

    def no_uproot(data: bytes) -> None:
        raise AssertionError("opened with uproot")

    monkeypatch.setattr(ratio, "read_root", no_uproot)
    got = decode_ratio(data)
    for mine, theirs in zip((got.ratio, got.num, got.den), expected, strict=True):
        assert_same(mine, theirs)
