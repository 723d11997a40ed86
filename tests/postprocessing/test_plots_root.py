"""The plots that used to be PNG only, against CERN ROOT (the `root` extra): a histogram plot's
TH1F, a slices2D map's TH2F, an MCH trend's TMultiGraph and QualityTask's trend TGraph are
opened by ROOT, hold the same values and are drawn with the ``drawOptions`` they carry."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qcflow.modules._trends import Trend
from qcflow.postprocessing.plotting.draw import plot_image
from qcflow.postprocessing.plotting.spec import GraphSpec, PlotSpec
from qcflow.postprocessing.slices.plot_config import SlicePlot
from qcflow.postprocessing.slices.plots import SliceSeries, slice_plot_image
from qcflow.postprocessing.tasks._quality_summary import trend_image
from tests._root import root_python

pytestmark = pytest.mark.root

READ = """
out = {}
for path, option in zip(sys.argv[1::2], sys.argv[2::2]):
    f = ROOT.TFile.Open(path)
    obj = f.Get("ccdb_object")
    entry = {"class": obj.ClassName(), "title": obj.GetTitle()}
    if obj.InheritsFrom("TH1"):
        entry["x_title"] = obj.GetXaxis().GetTitle()
        entry["y_title"] = obj.GetYaxis().GetTitle()
        entry["contents"] = [[obj.GetBinContent(i, j) for j in range(1, obj.GetNbinsY() + 1)]
                             for i in range(1, obj.GetNbinsX() + 1)]
        entry["entries"] = obj.GetEntries()
        entry["range"] = [obj.GetMinimum(), obj.GetMaximum()]
        entry["option"] = obj.GetOption()
    else:
        graphs = list(obj.GetListOfGraphs()) if obj.InheritsFrom("TMultiGraph") else [obj]
        entry["y"] = [[g.GetY()[i] for i in range(g.GetN())] for g in graphs]
        entry["time"] = bool(obj.GetHistogram().GetXaxis().GetTimeDisplay())
    canvas = ROOT.TCanvas()
    obj.Draw(option)
    canvas.SaveAs(path + ".png")
    out[path] = entry
emit(out)
"""


def test_root_reads_and_draws_the_new_plot_objects(tmp_path: Path) -> None:
    columns = {"time": 1.7e9 + 3600 * np.arange(6), "x.mean": np.array([1, 2, 2, 3, 3, 3.0])}
    histogram = plot_image(
        PlotSpec(
            "h", "Means;mean x", graphs=(GraphSpec("h", "h", "x.mean", selection="x.mean > 1"),)
        ),
        columns,
    )[0]
    fields = {
        "meanX": np.array([[1.0, 2.0, 3.0, 4.0]]),
        "sliceLabelX": np.array([[0.5, 0.5, 1.5, 1.5]]),
        "sliceLabelY": np.array([[0.5, 1.5, 0.5, 1.5]]),
    }
    series = SliceSeries(
        np.array([1.7e9]),
        np.array([5.0]),
        fields,
        ("a", "b", "c", "d"),
        ((0.0, 1.0, 2.0), (0.0, 1.0, 2.0)),
    )
    spec = SlicePlot(
        name="m",
        varexp="h.meanX:slices2D",
        source="h",
        variable="meanX",
        mode="slices2D",
        title="Map",
        axis_label="Y:X",
        y_range="0:10",
    )
    trend = Trend("Trends/Rates", "Rates", "rate", ("A", "B"))
    trend.add(1.7e9, [1.0, 2.0])
    trend.add(1.7e9 + 60, [3.0, 4.0])
    images = {
        "hist": histogram,
        "map": slice_plot_image(spec, series),
        "mch": trend.image(),
        "quality": trend_image("Trends/g/q", "q", [(1.7e9, "Good"), (1.7e9 + 60, "Bad")]),
    }
    args = []
    for name, image in images.items():
        payload = image.encode()
        # MCH's in-task trend: no PNG companion (the report draws it from the graph)
        companions = [] if name == "mch" else ["image/png"]
        assert [p.content_type for _, p in payload.companions] == companions
        (tmp_path / f"{name}.root").write_bytes(payload.data)
        args += [str(tmp_path / f"{name}.root"), payload.draw_options]
    seen = root_python(READ, *args)
    hist, hmap, mch, quality = (seen[str(tmp_path / f"{n}.root")] for n in images)
    assert (hist["class"], hist["title"], hist["x_title"]) == ("TH1F", "Means", "mean x")
    assert hist["entries"] == 5 and sum(c[0] for c in hist["contents"]) == 5
    assert (hmap["class"], hmap["title"], hmap["x_title"], hmap["y_title"]) == (
        "TH2F",
        "Map",
        "X",
        "Y",
    )
    assert hmap["contents"] == [[1.0, 2.0], [3.0, 4.0]]
    assert (hmap["range"], hmap["option"]) == ([0.0, 10.0], "colz")  # graphYRange: colour scale
    assert (mch["class"], mch["y"], mch["time"]) == ("TMultiGraph", [[1.0, 3.0], [2.0, 4.0]], True)
    assert (quality["class"], quality["y"], quality["time"]) == ("TGraph", [[3.5, 1.5]], True)
    for name in images:
        assert (tmp_path / f"{name}.root.png").stat().st_size > 1000  # ROOT drew it
