"""QC's ratio histograms as qcflow writes them: QC's class (``TH2Ratio<TH2F>``...) with ROOT's
streamer infos and checksums, read back by qcflow and, with QC's classes loaded, by ROOT."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from qcflow.objects.ratio import HistogramRatio, decode_ratio, encode_ratio
from qcflow.objects.root import Axis, Histogram, object_class, read_root
from qcflow.objects.rootwrite.ratio import key_length, ratio_class
from qcflow.objects.rootwrite.streamerinfo import recorded_checksum
from qcflow.objects.streamed import read_key
from tests._root import root_python

NS = "o2::quality_control_modules::common::"
#: ``TClass::GetCheckSum`` of QC's classes as ROOT 6.40 computes them (tests/objects/
#: _root_ratio.h built with ACLiC), and of MergeInterface.
ROOT_CHECKSUMS = {
    f"{NS}TH2Ratio<TH2F>": 3454209677,
    f"{NS}TH2Ratio<TH2D>": 1589125332,
    f"{NS}TH1Ratio<TH1F>": 2731042013,
    f"{NS}TH1Ratio<TH1D>": 865957668,
    "o2::mergers::MergeInterface": 1475218887,
}
HEADER = Path(__file__).with_name("_root_ratio.h")


def ratio(cls: str, shape: tuple[int, ...], uniform: bool, seed: int = 1) -> HistogramRatio:
    rng = np.random.default_rng(seed)
    axes = tuple(Axis(np.linspace(-1.5, 2.5 * n, n + 1), f"axis {i}") for i, n in enumerate(shape))
    num = rng.poisson(5.0, shape).astype(np.float64)
    den: float | np.ndarray = 8.91 if uniform else rng.poisson(3.0, shape).astype(np.float64)
    return HistogramRatio.from_counts("Occupancy_Elec", "Occupancy (kHz)", axes, num, den, cls)


def test_the_payload_is_qcs_class_with_roots_checksums() -> None:
    for cls, shape in (("TH2F", (5, 3)), ("TH2D", (2, 2)), ("TH1F", (4,)), ("TH1D", (3,))):
        data = encode_ratio(ratio(cls, shape, uniform=True))
        name = ratio_class(cls)
        assert object_class(data) == name
        streamers = read_root(data).file.streamers
        for kind in (name, "o2::mergers::MergeInterface"):
            assert {v: i.member("fCheckSum") for v, i in streamers[kind].items()} == {
                3 if kind == name else 0: ROOT_CHECKSUMS[kind]
            }
        elements = [
            (
                type(e).__name__.removeprefix("Model_"),
                e.member("fName"),
                e.member("fType"),
                e.member("fTypeName"),
            )
            for e in streamers[name][3].member("fElements")
        ]
        assert elements == [
            ("TStreamerBase", cls, 0, "BASE"),
            ("TStreamerBase", "o2::mergers::MergeInterface", 0, "BASE"),
            ("TStreamerObjectPointer", "mHistoNum", 64, f"{cls}*"),
            ("TStreamerObjectPointer", "mHistoDen", 64, f"{cls}*"),
            ("TStreamerBasicType", "mUniformScaling", 18, "bool"),
            ("TStreamerBasicType", "mBinominalErrors", 18, "bool"),
            ("TStreamerBasicType", "mSumw2Enabled", 18, "bool"),
            ("TStreamerSTLstring", "mTreatMeAs", 500, "string"),
        ]
        assert decode_ratio(data).object_type == name == ratio(cls, shape, True).object_type


def test_the_histogram_base_checksum_is_the_one_its_record_states() -> None:
    import uproot

    assert recorded_checksum(uproot.models.TH.Model_TH2F_v4.class_rawstreamers[-1][1]) == (
        "TH2F",
        1755103893,  # TClass::GetCheckSum of TH2F in ROOT 6.40
    )


def test_the_denominator_refers_to_the_numerators_class_tag() -> None:
    r = ratio("TH2F", (3, 2), uniform=False)
    data = encode_ratio(r)
    _, raw, _ = read_key(data, "ccdb_object")
    keylen = read_root(data).key("ccdb_object").fKeylen
    assert keylen == key_length(ratio_class("TH2F"), "ccdb_object", r.ratio.title)
    tag = raw.index(b"\xff\xff\xff\xffTH2F\x00")
    assert raw.count(b"\xff\xff\xff\xffTH2F\x00") == 1  # written once, as ROOT does
    reference = (0x80000000 | (keylen + tag + 2)).to_bytes(4, "big")
    assert raw.index(reference) > tag


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(["TH1F", "TH1D", "TH2F", "TH2D"]),
    st.data(),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
def test_round_trip(
    cls: str, data: st.DataObject, uniform: bool, binomial: bool, sumw2: bool
) -> None:
    shape = tuple(data.draw(st.integers(1, 6)) for _ in range(int(cls[2])))
    counts = st.integers(0, 10**6).map(float)  # numbers of digits, clusters...
    num = data.draw(hnp.arrays(np.float64, shape, elements=counts))
    den = (
        data.draw(st.floats(0.5, 1e4))
        if uniform
        else data.draw(hnp.arrays(np.float64, shape, elements=counts))
    )
    title = data.draw(st.text(max_size=300))
    axes = tuple(Axis(np.arange(n + 1.0) * 0.5, f"x{i}") for i, n in enumerate(shape))
    r = HistogramRatio.from_counts("Pseudoeff_Elec", title, axes, num, den, cls)
    r.binomial_errors, r.sumw2 = binomial, sumw2
    back = decode_ratio(encode_ratio(r))
    assert back.uniform is uniform
    assert (back.binomial_errors, back.sumw2) == (binomial, sumw2)
    dtype = np.float32 if cls.endswith("F") else np.float64
    for got, want in ((back.ratio, r.ratio), (back.num, r.num), (back.den, r.den)):
        assert got.class_name == cls
        assert (got.name, got.title) == (want.name, want.title)
        assert np.array_equal(got.values, want.values.astype(dtype))
        assert [a.edges.tolist() for a in got.axes] == [a.edges.tolist() for a in want.axes]
    assert np.array_equal(back.denominators(), r.denominators().astype(dtype))


def test_histograms_of_mixed_or_other_classes_are_refused() -> None:
    r = ratio("TH2F", (2, 2), uniform=True)
    r.den = Histogram.from_counts("TH2D", "d", "", r.den.axes, r.den.inner())
    with pytest.raises(ValueError, match="one class"):
        encode_ratio(r)
    with pytest.raises(ValueError, match="no ratio class over 'TH2I'"):
        ratio_class("TH2I")


# -- ROOT reads what qcflow writes ---------------------------------------------------------

READ_WITH_QC_CLASSES = """
import os, tempfile
build, header, files = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
ROOT.gSystem.SetBuildDir(build, True)
if ROOT.gROOT.ProcessLine(f".L {header}+") != 0:
    sys.exit("ACLiC could not build the QC stand-in classes")
def cells(h):
    n = (h.GetNbinsX() + 2) * (h.GetNbinsY() + 2 if h.GetDimension() == 2 else 1)
    return [h.GetBinContent(i) for i in range(n)]
def axes(h):
    return [[a.GetXbins().GetSize() and list(a.GetXbins()) or [a.GetXmin(), a.GetXmax()],
             a.GetNbins(), a.GetTitle()] for a in (h.GetXaxis(), h.GetYaxis())[:h.GetDimension()]]
# Warnings (a checksum ROOT disagrees with...) go to stderr: catch them from the C++ side.
ROOT.gErrorIgnoreLevel = ROOT.kWarning
log = tempfile.TemporaryFile()
saved = os.dup(2)
os.dup2(log.fileno(), 2)
out = []
for path in files:
    f = ROOT.TFile.Open(path)
    o = f.Get("ccdb_object")
    out.append({"class": o.ClassName(), "name": o.GetName(), "title": o.GetTitle(),
                "ratio": cells(o), "axes": axes(o),
                "num": [o.mHistoNum.ClassName(), o.mHistoNum.GetName(), cells(o.mHistoNum)],
                "den": [o.mHistoDen.ClassName(), o.mHistoDen.GetName(), cells(o.mHistoDen)],
                "flags": [bool(o.mUniformScaling), bool(o.mBinominalErrors),
                          bool(o.mSumw2Enabled)],
                "treat": str(o.mTreatMeAs)})
    f.Close()
os.dup2(saved, 2)
log.seek(0)
emit({"objects": out, "stderr": log.read().decode(errors="replace")})
"""


@pytest.fixture(scope="module")
def aclic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("aclic")


@pytest.mark.root  # root_python skips it where ROOT cannot be imported
def test_root_with_qcs_classes_reads_equal_contents(tmp_path: Path, aclic: Path) -> None:
    cases = [
        ("TH2F", (7, 5), True),
        ("TH2F", (4, 3), False),
        ("TH2D", (3, 6), True),
        ("TH1F", (9,), False),
        ("TH1D", (5,), True),
    ]
    written, paths = [], []
    for i, (cls, shape, uniform) in enumerate(cases):
        r = ratio(cls, shape, uniform, seed=i)
        r.binomial_errors = i % 2 == 1
        path = tmp_path / f"{i}.root"
        path.write_bytes(encode_ratio(r))
        written.append(r)
        paths.append(str(path))
    got = root_python(READ_WITH_QC_CLASSES, str(aclic), str(HEADER), json.dumps(paths))
    assert got["stderr"] == ""  # no checksum or streamer complaint
    for (cls, _, uniform), r, obj in zip(cases, written, got["objects"], strict=True):
        dtype = np.float32 if cls.endswith("F") else np.float64

        def flat(h: Histogram, dtype: Any = dtype) -> list[float]:
            return [float(v) for v in np.asarray(h.values, dtype=dtype).ravel(order="F")]

        assert obj["class"] == ratio_class(cls)
        assert (obj["name"], obj["title"]) == (r.ratio.name, r.ratio.title)
        assert obj["ratio"] == flat(r.ratio)
        assert obj["num"] == [cls, r.num.name, flat(r.num)]
        assert obj["den"] == [cls, r.den.name, flat(r.den)]
        assert obj["flags"] == [uniform, r.binomial_errors, True]
        assert obj["treat"] == cls
        for (edges, bins, title), axis in zip(obj["axes"], r.ratio.axes, strict=True):
            assert bins == len(axis.edges) - 1 and title == axis.title
            assert edges[0] == axis.edges[0] and edges[-1] == axis.edges[-1]
