"""Plots against CERN ROOT itself (the `root` extra): ROOT opens every graph type qcflow writes,
reads back the same points, errors, titles, time axis and labels, and draws them."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest

from qcflow.objects.plots import Frame, Series, Style, encode_graphs
from qcflow.objects.rootwrite._tmultigraph import RAW
from tests._root import root_python

pytestmark = pytest.mark.root

READ = """
out = {}
for path in sys.argv[1:]:
    f = ROOT.TFile.Open(path)
    obj = f.Get("ccdb_object")
    graphs = list(obj.GetListOfGraphs()) if obj.InheritsFrom("TMultiGraph") else [obj]
    frame = obj.GetHistogram()
    canvas = ROOT.TCanvas()
    obj.Draw("A" if obj.InheritsFrom("TMultiGraph") else "AP")
    canvas.SaveAs(path + ".png")  # ROOT draws it
    out[path] = {
        "class": obj.ClassName(), "title": obj.GetTitle(),
        "x_title": frame.GetXaxis().GetTitle(), "y_title": frame.GetYaxis().GetTitle(),
        "time": bool(frame.GetXaxis().GetTimeDisplay()),
        "labels": [frame.GetXaxis().GetBinLabel(i) for i in range(1, frame.GetNbinsX() + 1)
                   if frame.GetXaxis().GetLabels()],
        "graphs": [{"class": g.ClassName(), "title": g.GetTitle(), "color": g.GetLineColor(),
                    "x": [g.GetX()[i] for i in range(g.GetN())],
                    "y": [g.GetY()[i] for i in range(g.GetN())],
                    "ey": [g.GetErrorY(i) for i in range(g.GetN())]} for g in graphs],
    }
emit(out)
"""


def test_root_reads_and_draws_every_graph_type(tmp_path: Path) -> None:
    cases = {
        "graph": (
            [Series("g", [1.7e9, 1.7e9 + 60], [1.0, 2.0])],
            Frame("Time trend", "time", "mean", time_axis=True),
        ),
        "errors": (
            [Series("g", [1, 2, 3], [1.0, 2.0, 3.0], ey=[0.1, 0.2, 0.3])],
            Frame("With errors", "run", "y", y_range=(0.0, 5.0)),
        ),
        "multi": (
            [
                Series(
                    "a", [0, 1], [3.0, 4.0], ey=[0.5, 0.5], title="A", style=Style(line_color=2)
                ),
                Series("b", [0, 1], [5.0, 6.0], title="B", option="PL"),
            ],
            Frame("Two", "run", "val", x_labels=("523897", "523898")),
        ),
    }
    files = {}
    for name, (graphs, frame) in cases.items():
        files[name] = tmp_path / f"{name}.root"
        files[name].write_bytes(encode_graphs(name, graphs, frame)[0])
    seen = root_python(READ, *map(str, files.values()))
    graph, errors, multi = (seen[str(files[n])] for n in ("graph", "errors", "multi"))
    assert (graph["class"], graph["title"], graph["x_title"], graph["time"]) == (
        "TGraph",
        "Time trend",
        "time",
        True,
    )
    assert graph["graphs"][0]["x"] == [1.7e9, 1.7e9 + 60]
    assert errors["class"] == "TGraphErrors"
    np.testing.assert_allclose(errors["graphs"][0]["ey"], [0.1, 0.2, 0.3])
    assert (multi["class"], multi["title"], multi["y_title"]) == ("TMultiGraph", "Two", "val")
    assert multi["labels"] == ["523897", "523898"]
    assert [(g["class"], g["title"], g["color"]) for g in multi["graphs"]] == [
        ("TGraphErrors", "A", 2),
        ("TGraph", "B", 602),  # 602: ROOT's default colour
    ]
    assert multi["graphs"][1]["y"] == [5.0, 6.0]
    for file in files.values():
        assert Path(f"{file}.png").stat().st_size > 1000


STREAMER = """
import uproot
f = ROOT.TFile(sys.argv[1], "RECREATE")
f.WriteObject(ROOT.TMultiGraph("m", "t"), "m")
f.Close()
info = uproot.open(sys.argv[1]).file.streamer_named("TMultiGraph", 2)
out = []
uproot.serialization._serialize_object_any(out, info, "TMultiGraph")
emit(base64.b64encode(b"".join(out) + b"\\x00").decode())
"""


def test_the_tmultigraph_streamer_info_is_roots(tmp_path: Path) -> None:
    made = root_python("import base64\n" + STREAMER, str(tmp_path / "m.root"))
    assert base64.b64decode(made) == RAW
