"""qcflow's array subscripts against ROOT's own ``TTree::Draw`` (skipped without ROOT).

ROOT writes a tree with a fixed-size (``a[2]/D``), a variable-size (``v[n]/D``) and a 2-D
(``m[3][4]/D``) array branch; uproot reads it back as qcflow does; every expression is drawn by
ROOT (``goff``) and by :func:`evaluate_together`, and the points must be the same.
"""

from __future__ import annotations

from array import array
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import uproot

from qcflow.postprocessing.plotting.expressions import evaluate_together, parse_expression

ROOT = pytest.importorskip("ROOT", reason="ROOT (the `root` extra) is not installed")

CASES = [
    ("a[0]:time", ""),
    ("a[]:time", ""),
    ("a:Entry$", ""),
    ("v[]:time", ""),
    ("v:time", "v > 0.3"),
    ("v[1]:time", ""),
    ("v[]+a[]:time", ""),
    ("m[1][]:time", ""),
    ("m[][2]-v[]:time", ""),
    ("m[][]+v[]:Entry$", ""),
    ("m[2][3]:a[1]", "time > 2"),
    ("v[]*2:a[0]", "v[] < 0.7 && a[1] > 0.1"),
    ("m:time", ""),
    ("v[]-a[]:v[2]", ""),
    ("m[][1]:v[]", "v[] > 0.5"),
    ("sqrt(v[0])+Entries$:Entry$", "!(time > 20)"),
]


def _write_tree(path: Path, entries: int) -> None:
    rng = np.random.default_rng(7)
    file = ROOT.TFile(str(path), "RECREATE")
    tree = ROOT.TTree("t", "t")
    time, n = array("d", [0.0]), array("i", [0])
    v, a, m = array("d", [0.0] * 8), array("d", [0.0] * 2), array("d", [0.0] * 12)
    tree.Branch("time", time, "time/D")
    tree.Branch("n", n, "n/I")
    tree.Branch("v", v, "v[n]/D")
    tree.Branch("a", a, "a[2]/D")
    tree.Branch("m", m, "m[3][4]/D")
    for entry in range(entries):
        time[0] = float(entry)
        n[0] = int(rng.integers(0, 6))
        for i in range(8):
            v[i] = float(rng.random())
        for i in range(2):
            a[i] = float(rng.random())
        for i in range(12):
            m[i] = float(rng.random())
        tree.Fill()
    tree.Write()
    file.Close()


@pytest.fixture(scope="module")
def tree_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("root") / "arrays.root"
    _write_tree(path, 25)
    return path


def _root_draw(path: Path, varexp: str, selection: str) -> list[np.ndarray]:
    file = ROOT.TFile.Open(str(path))
    tree = file.Get("t")
    tree.SetEstimate(tree.GetEntries() * 100)  # room for every element drawn
    count = tree.Draw(varexp, selection, "goff")
    out = []
    for view in (tree.GetV1(), tree.GetV2()):
        view.reshape((count,))  # a bare double* until told its length
        out.append(np.array(view, dtype=np.float64, copy=True))
    file.Close()
    return out


def _qcflow_draw(path: Path, varexp: str, selection: str) -> list[Any]:
    with uproot.open(path) as file:
        columns = file["t"].arrays(["time", "v", "a", "m"], library="np")
    exprs = [parse_expression(p) for p in varexp.split(":")]
    cut = [parse_expression(selection)] if selection else []
    values = evaluate_together([*exprs, *cut], columns, len(columns["time"]))
    if cut:
        mask = values[-1] != 0
        values = [v[mask] for v in values[:-1]]
    return values


@pytest.mark.parametrize(("varexp", "selection"), CASES)
def test_same_points_as_ttree_draw(tree_file: Path, varexp: str, selection: str) -> None:
    expected = _root_draw(tree_file, varexp, selection)
    got = _qcflow_draw(tree_file, varexp, selection)
    assert len(got[0]) == len(expected[0]) > 0
    np.testing.assert_allclose(got[0], expected[0])
    np.testing.assert_allclose(got[1], expected[1])
