"""ROOT-written histograms (the `root` extra) read by the direct TH1/TH2 reader as uproot
reads them: every class and layout ROOT writes by default, and zstd/lz4 files left to uproot."""

from __future__ import annotations

import base64

import pytest

from qcflow.objects.root import decode_histogram, histogram_from_file, read_histogram, read_root
from qcflow.objects.rootread import RootFile, Unsupported
from tests._root import ROOT_MODULE, root_python
from tests.objects.test_rootread import assert_same, both_ways

pytestmark = ROOT_MODULE

_ROOT_SCRIPT = """
import array, base64, os, sys, tempfile
def written(obj, compression=None):
    path = os.path.join(tempfile.mkdtemp(), "h.root")
    f = ROOT.TFile(path, "RECREATE")
    if compression is not None:
        f.SetCompressionSettings(compression)
    f.WriteObject(obj, "ccdb_object")
    f.Close()
    return base64.b64encode(open(path, "rb").read()).decode()
out = {}
h = ROOT.TH1F("h1", "vertex x;x [cm];entries", 50, -2, 2)
h.FillRandom("gaus", 2000)
out["TH1F zlib"] = written(h)
out["TH1F uncompressed"] = written(h, 0)
out["TH1F zstd"] = written(h, 505)
out["TH1F lz4"] = written(h, 404)
labelled = ROOT.TH1D("l", "labels", 3, 0, 3)
for i, text in enumerate(["a", "b\u00e9", "c"]):
    labelled.GetXaxis().SetBinLabel(i + 1, text)
labelled.Fill("a", 2.0)
labelled.Fill("c", 1.0)
out["TH1D labels"] = written(labelled)
edges = array.array("d", [0, 1, 3, 10])
var = ROOT.TH2D("v", "variable;x;y", 3, edges, 4, -1, 1)
var.Fill(2, 0.3, 2.0)
var.Fill(5, -0.9)
out["TH2D variable"] = written(var)
ints = ROOT.TH1I("i", "ints", 10, 0, 10)
ints.Fill(3)
ints.Fill(4, 3)
out["TH1I"] = written(ints)
shorts = ROOT.TH2S("s", "shorts", 4, 0, 4, 2, 0, 2)
shorts.Fill(1, 1)
out["TH2S"] = written(shorts)
chars = ROOT.TH1C("c", "chars", 4, 0, 4)
chars.Fill(1)
out["TH1C"] = written(chars)
ranged = ROOT.TH1F("r", "range", 10, 0, 10)
ranged.Fill(2)
ranged.Fill(8)
ranged.GetXaxis().SetRange(2, 5)
out["TH1F range"] = written(ranged)
fitted = ROOT.TH1F("g", "fit", 10, -3, 3)
fitted.FillRandom("gaus", 100)
fitted.Fit("gaus", "Q0")
out["TH1F with a fit"] = written(fitted)
big = ROOT.TH2F("big", "a map", 1000, 0, 1, 300, 0, 1)
big.Sumw2()
for k in range(20000):
    big.Fill(k % 1000 / 1000.0, (k * 7 % 300) / 300.0, 0.5)
out["TH2F map"] = written(big)
emit(out)
"""


@pytest.fixture(scope="module")
def root_written() -> dict[str, bytes]:
    return {k: base64.b64decode(v) for k, v in root_python(_ROOT_SCRIPT).items()}


@pytest.mark.parametrize(
    "kind",
    [
        "TH1F zlib",
        "TH1F uncompressed",
        "TH1D labels",
        "TH2D variable",
        "TH1I",
        "TH2S",
        "TH1C",
        "TH1F range",
        "TH1F with a fit",
        "TH2F map",
    ],
)
def test_root_written_histograms_read_as_uproot_reads_them(
    root_written: dict[str, bytes], kind: str
) -> None:
    fast, slow = both_ways(root_written[kind])
    assert_same(fast, slow)


@pytest.mark.parametrize("kind", ["TH1F zstd", "TH1F lz4"])
def test_root_written_zstd_and_lz4_are_read_by_uproot(
    root_written: dict[str, bytes], kind: str
) -> None:
    data = root_written[kind]
    with pytest.raises(Unsupported):
        read_histogram(RootFile(data))
    assert_same(decode_histogram(data), histogram_from_file(read_root(data)))
    assert_same(decode_histogram(data), decode_histogram(root_written["TH1F zlib"]))
