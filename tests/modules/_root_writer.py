"""Runs CERN ROOT for the detector-module tests, in its own process (ROOT installs signal
handlers), writing QC's objects as QC's tasks would.

    python _root_writer.py BUILD_DIR SPECS.json OUT.json

Each spec writes one ROOT file (``path``) holding one object under ``ccdb_object``:

- ``{"kind": "ratio", "class": "TH2Ratio<TH2F>", "x": [n, lo, hi], "y": [...], "num": NPY,
  "den": NPY | number}`` (also ``TH2Ratio<TH2D>``, ``TH1Ratio<TH1F>`` without ``y``...): QC's ratio (``tests/objects/_root_ratio.h``, built with ACLiC), its
  numerator and denominator filled with those counts (sumw2 = counts, as ``Fill`` leaves them)
  and the ratio computed as QC's ``TH2Ratio::update`` does (``Add`` + ``Scale(1 / den)`` for a
  uniform denominator, ``Divide`` per cell);
- ``{"kind": "th2", "x": ..., "y": ..., "values": NPY}``: a TH2F with these counts;
- ``{"kind": "th1_events", "x": [n, lo, hi], "events": NPY, "range": [lo, hi]}``: a TH1F filled
  event by event (``Fill``); OUT.json gets ROOT's ``GetMean``, ``GetMeanError`` and the centre
  of ``GetMaximumBin`` after ``SetRangeUser(range)``, as QC's ZDC post-processing reads them.

NPY files hold the in-range contents (x bins, y bins). qcflow itself never imports ROOT.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
HEADER = HERE.parent / "objects" / "_root_ratio.h"


def with_flow(np: Any, inner: Any) -> Any:
    """The cell array ROOT keeps (flow bins included, x fastest)."""
    full = np.zeros(tuple(n + 2 for n in inner.shape))
    full[(slice(1, -1),) * inner.ndim] = inner
    return np.ascontiguousarray(full.ravel(order="F"))


def filled(
    root: Any,
    np: Any,
    cls: str,
    name: str,
    title: str,
    x: list[float],
    y: list[float] | None,
    inner: Any,
) -> Any:
    """A ``cls`` histogram (TH1F/TH1D/TH2F/TH2D) with these counts, as ``Fill`` leaves it."""
    axes = [int(x[0]), x[1], x[2]] + ([int(y[0]), y[1], y[2]] if y else [])
    h = getattr(root, cls)(name, title, *axes)
    h.Sumw2()
    cells = with_flow(np, inner)
    h.SetContent(cells)
    h.GetSumw2().Set(int(cells.size), cells)
    h.SetEntries(float(inner.sum()))
    return h


def write(root: Any, path: str, obj: Any) -> None:
    f = root.TFile(path, "RECREATE")
    f.WriteObject(obj, "ccdb_object")
    f.Close()


def main() -> None:
    import numpy as np

    warnings.simplefilter("ignore")
    import ROOT as root

    build, specs, out = sys.argv[1], json.loads(Path(sys.argv[2]).read_text()), sys.argv[3]
    root.gROOT.SetBatch(True)
    root.TH1.AddDirectory(False)
    root.gSystem.SetBuildDir(build, True)
    if root.gROOT.ProcessLine(f".L {HEADER}+") != 0:
        sys.exit("ACLiC could not build the QC stand-in classes")
    common = root.o2.quality_control_modules.common
    results: list[dict[str, float]] = []
    for spec in specs:
        name, title, x = spec["name"], spec.get("title", spec["name"]), spec["x"]
        if spec["kind"] == "ratio":
            template, cls = spec["class"].rstrip(">").split("<")  # TH2Ratio<TH2F>
            y = spec.get("y")
            num = filled(root, np, cls, f"{name}_num", title, x, y, np.load(spec["num"]))
            uniform = not isinstance(spec["den"], str)
            if uniform:
                den = getattr(root, cls)(f"{name}_den", title, *([1, -1, 1] * (2 if y else 1)))
                den.Sumw2()
                if y:
                    den.SetBinContent(1, 1, float(spec["den"]))
                else:
                    den.SetBinContent(1, float(spec["den"]))
                den.SetEntries(1)
            else:
                den = filled(root, np, cls, f"{name}_den", title, x, y, np.load(spec["den"]))
            ratio = getattr(common, template)[cls]()
            ratio.SetName(name)
            ratio.SetTitle(title)
            ratio.SetBins(*([int(x[0]), x[1], x[2]] + ([int(y[0]), y[1], y[2]] if y else [])))
            ratio.Sumw2()
            ratio.mUniformScaling = uniform
            ratio.mTreatMeAs = cls
            if uniform:  # TH2Ratio::update with uniform scaling
                ratio.Add(num)
                value = den.GetBinContent(1, 1) if y else den.GetBinContent(1)
                ratio.Scale(1.0 / value if value > 0 else 0.0)
            else:
                ratio.Divide(num, den, 1.0, 1.0, "")
            ratio.mHistoNum, ratio.mHistoDen = num, den
            write(root, spec["path"], ratio)
            results.append({})
        elif spec["kind"] == "th2":
            h = filled(root, np, "TH2F", name, title, x, spec["y"], np.load(spec["values"]))
            write(root, spec["path"], h)
            results.append({})
        else:
            h = root.TH1F(name, title, int(x[0]), x[1], x[2])
            events = np.ascontiguousarray(np.load(spec["events"]), dtype=np.float64)
            for value in events:  # event by event, as the reconstruction task fills it
                h.Fill(float(value))
            write(root, spec["path"], h)
            mean, error = h.GetMean(), h.GetMeanError()
            h.GetXaxis().SetRangeUser(*spec["range"])
            results.append(
                {"mean": mean, "mean_error": error, "peak": h.GetBinCenter(h.GetMaximumBin())}
            )
    Path(out).write_text(json.dumps(results))


if __name__ == "__main__":
    main()
