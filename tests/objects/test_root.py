"""ROOT histogram payloads: round trips through bytes, uproot and hist."""

from __future__ import annotations

import io

import hist
import numpy as np
import pytest
import uproot

from qcflow.errors import InvalidInput
from qcflow.objects.root import (
    Axis,
    Histogram,
    decode_histogram,
    encode_histogram,
    object_class,
    upload_file_name,
    write_root,
)


@pytest.fixture
def h1() -> hist.Hist:
    h = hist.Hist(
        hist.axis.Regular(20, -5, 5, label="x [cm]"),
        storage=hist.storage.Weight(),
        label="vertex x",
    )
    rng = np.random.default_rng(7)
    h.fill(rng.normal(0.5, 1.5, 5000), weight=rng.uniform(0.5, 1.5, 5000))
    return h


@pytest.mark.parametrize("cls", ["TH1F", "TH1D"])
def test_th1_round_trip(h1: hist.Hist, cls: str) -> None:
    original = Histogram.from_hist(h1, class_name=cls)
    data = encode_histogram(original)
    assert object_class(data) == cls
    back = decode_histogram(data)
    assert back.class_name == cls
    assert back.title == "vertex x"
    assert back.axes[0].title == "x [cm]"
    tol = 1e-6 if cls == "TH1F" else 1e-12
    np.testing.assert_allclose(back.values, original.values, rtol=tol)
    np.testing.assert_allclose(back.variances, original.variances)  # type: ignore[arg-type]
    assert back.stats == pytest.approx(original.stats)
    assert back.entries == pytest.approx(original.entries)


def test_stats_give_roots_mean_and_std(h1: hist.Hist) -> None:
    h = decode_histogram(encode_histogram(Histogram.from_hist(h1)))
    centers, w = h.axes[0].centers, h.inner()
    mean = (w * centers).sum() / w.sum()
    assert h.mean() == pytest.approx(mean)
    assert h.std() == pytest.approx(np.sqrt((w * (centers - mean) ** 2).sum() / w.sum()))


def test_uproot_reads_what_we_write(h1: hist.Hist) -> None:
    data = encode_histogram(Histogram.from_hist(h1))
    read = uproot.open(io.BytesIO(data))["ccdb_object"]
    np.testing.assert_allclose(read.values(), h1.values())
    np.testing.assert_allclose(read.variances(), h1.variances())


def test_th2_with_variable_axis_round_trip() -> None:
    h = hist.Hist(hist.axis.Regular(4, 0, 4), hist.axis.Variable([0, 1, 3, 10]))
    rng = np.random.default_rng(3)
    h.fill(rng.uniform(-1, 5, 400), rng.uniform(-1, 11, 400))
    original = Histogram.from_hist(h, class_name="TH2F")
    back = decode_histogram(encode_histogram(original))
    assert back.class_name == "TH2F"
    np.testing.assert_array_equal(back.axes[1].edges, [0, 1, 3, 10])
    np.testing.assert_allclose(back.values, original.values)
    np.testing.assert_allclose(back.to_hist().values(), h.values())
    assert back.stats == pytest.approx(original.stats)


def test_to_hist_keeps_flow_and_variances(h1: hist.Hist) -> None:
    back = decode_histogram(encode_histogram(Histogram.from_hist(h1))).to_hist()
    np.testing.assert_allclose(back.values(flow=True), h1.values(flow=True), rtol=1e-12)
    np.testing.assert_allclose(back.variances(flow=True), h1.variances(flow=True), rtol=1e-12)


@pytest.mark.parametrize(
    ("dtype", "cls"), [(np.int32, "TH1I"), (np.int16, "TH1S"), (np.int8, "TH1C")]
)
def test_integer_histograms_are_read(dtype: type, cls: str) -> None:
    """QC's TH1I/TH1S/TH1C (written here through uproot's own TH1 builder) decode too."""
    from uproot.writing import identify

    counts = np.array([0, 1, 2, 0, 0, 0])  # underflow, 4 bins, overflow: x = 0.5, 1.5, 1.5
    axis = identify.to_TAxis("xaxis", "", 4, 0.0, 4.0)
    th1 = identify.to_TH1x(
        "h", "t", counts.astype(dtype), 3.0, 3.0, 3.0, 3.5, 5.75, counts.astype(float), axis
    )
    decoded = decode_histogram(write_root({"ccdb_object": th1}))
    assert decoded.class_name == cls
    np.testing.assert_array_equal(decoded.to_hist().values(), [1, 2, 0, 0])
    assert decoded.mean() == pytest.approx(3.5 / 3)


def test_not_a_histogram() -> None:
    with pytest.raises(InvalidInput, match="not a readable ROOT file") as err:
        decode_histogram(b"garbage")
    assert "\n" not in str(err.value)  # uproot's message spans lines: the CLI prints one
    graph = write_root({"ccdb_object": "a TObjString"})
    with pytest.raises(InvalidInput, match="not a TH1 or TH2"):
        decode_histogram(graph)
    with pytest.raises(InvalidInput, match="has no 'other'"):
        decode_histogram(graph, key="other")
    assert object_class(b"garbage") is None


def test_upload_file_name() -> None:
    name = upload_file_name("o2::quality_control::core::QualityObject", 17)
    assert name == "o2-quality_control-core-QualityObject_17.root"


def test_bin_labels_round_trip_with_root_unique_ids() -> None:
    labels = ["ZNAC", "ZNA1", "ZNA2"]
    axis = Axis(np.arange(4.0), "channel", labels)
    h = Histogram("TH1F", "h_summary_ADC", "Summary ADC", (axis,), np.arange(5.0))
    data = encode_histogram(h)
    assert decode_histogram(data).axes[0].labels == labels
    stored = uproot.open(io.BytesIO(data))["ccdb_object"].member("fXaxis").member("fLabels")
    # ROOT's TAxis finds a label by the unique id of its TObjString: the bin number.
    assert [s.member("@fUniqueID") for s in stored] == [1, 2, 3]
