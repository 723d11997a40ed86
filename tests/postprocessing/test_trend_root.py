"""Trend trees against CERN ROOT itself (the `root` extra): ROOT reads qcflow's trees, its
``TTree::Draw`` gives qcflow's plotted points, and trees go both ways between C++ QC's layout
and qcflow (resume and append)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qcflow.generators.qc_postproc import override_values
from qcflow.generators.registry import load_registry
from qcflow.objects.activity import Activity
from qcflow.objects.codec import decode
from qcflow.objects.tree import read_tree
from qcflow.postprocessing.engine.api import load
from qcflow.postprocessing.engine.engine import Engine, EngineOptions
from qcflow.postprocessing.plotting.draw import plot_image
from qcflow.postprocessing.trending.config import TrendingConfig
from qcflow.qcdb.local import LocalRepository
from tests._root import root_python
from tests.conftest import REFERENCE_CONFIGS, REPO

from .test_trending import HOUR, T0, TREND, fill, run_task, three_sources

pytestmark = pytest.mark.root

SHIPPED = REPO / "src" / "qcflow" / "data" / "qc-postproc-async"

#: ROOT's view of a tree: name, branch titles, every leaf's values (TTree::Draw, one per leaf).
READ_TREE = """
f = ROOT.TFile.Open(sys.argv[1])
t = f.Get("ccdb_object")
out = {"class": t.ClassName(), "name": t.GetName(), "entries": t.GetEntries(),
       "branches": {b.GetName(): b.GetTitle() for b in t.GetListOfBranches()}, "leaves": {}}
for b in t.GetListOfBranches():
    for leaf in b.GetListOfLeaves():
        name = b.GetName() if leaf.GetName() == b.GetName() else f"{b.GetName()}.{leaf.GetName()}"
        if leaf.ClassName() == "TLeafC":
            values = []
            for i in range(t.GetEntries()):
                t.GetEntry(i)
                values.append(leaf.GetValueString())
        else:
            n = t.Draw(name, "", "goff")
            values = [t.GetV1()[i] for i in range(n)]
        out["leaves"][name] = values
emit(out)
"""

#: TTree::Draw of each (varexp, selection, errors) given as JSON: the x, y (and ey) it selects.
DRAW = """
f = ROOT.TFile.Open(sys.argv[1])
t = f.Get("ccdb_object")
t.SetEstimate(t.GetEntries() + 1)
out = []
for varexp, selection, errors in json.loads(sys.argv[2]):
    n = t.Draw(varexp, selection, "goff")
    y = [t.GetV1()[i] for i in range(n)]
    x = [t.GetV2()[i] for i in range(n)]
    ey = None
    if errors:
        ex_expr, ey_expr = errors.split(":", 1)
        m = t.Draw(ey_expr, selection, "goff")
        ey = [t.GetV1()[i] for i in range(m)]
    out.append({"x": x, "y": y, "ey": ey})
emit(out)
"""


def _example(repo: LocalRepository, config: Path) -> Any:
    fill(repo, range(1, 6))
    entry = next(e for e in load_registry() if e.name == "example")
    overrides = override_values(entry, 0, "LHC24ab", "apass1", str(repo.root))
    loaded = load(
        f"json://{config}", overrides.removeprefix('--override-values "').removesuffix('"')
    )
    Engine(loaded, EngineOptions(parallel=False, extensions=False)).run()
    return loaded


def _stored_tree(repo: LocalRepository, tmp_path: Path, path: str = TREND) -> tuple[Path, Any]:
    info = repo.latest(path)[0]
    fetched = repo.get(path, info.valid_from, {"PassName": info.metadata["PassName"]})
    file = tmp_path / "trend.root"
    file.write_bytes(fetched.data)
    return file, decode(fetched.data, fetched.info)


def _configs() -> list[Any]:
    reference = REFERENCE_CONFIGS / "example.json"
    return [
        pytest.param(SHIPPED / "example.json", id="shipped"),
        pytest.param(
            reference,
            id="o2dpg",
            marks=pytest.mark.skipif(
                not reference.is_file(), reason=f"O2DPG reference configs not found at {reference}"
            ),
        ),
    ]


@pytest.mark.parametrize("config", _configs())
def test_root_reads_the_trend_and_draws_qcflows_points(
    repo: LocalRepository, tmp_path: Path, config: Path
) -> None:
    loaded = _example(repo, config)
    file, columns = _stored_tree(repo, tmp_path)
    seen = root_python(READ_TREE, str(file))
    assert (seen["class"], seen["name"], seen["entries"]) == ("TTree", "BeamSpotTrending", 5)
    assert seen["branches"] == {
        "meta": "runNumber/L:runNumberStr/C",
        "time": "time/i",
        "vertex_X": "mean/D:stddev:entries",
        "vertex_Y": "mean/D:stddev:entries",
        "vertex_Z": "mean/D:stddev:entries",
    }
    assert seen["leaves"]["meta.runNumberStr"] == ["1", "2", "3", "4", "5"]
    for name, values in columns.items():
        if name != "meta.runNumberStr":
            np.testing.assert_array_equal(seen["leaves"][name], values.astype(float), name)

    task = loaded.tasks["BeamSpotTrending"].options
    assert isinstance(task, TrendingConfig)
    specs = [(g.varexp, g.selection, g.errors) for plot in task.plots for g in plot.graphs]
    drawn = root_python(DRAW, str(file), json.dumps(specs))
    ours = [graph for plot in task.plots for graph in plot_image(plot, columns)[0].graphs]
    assert len(ours) == len(drawn) == 3
    for root_graph, graph in zip(drawn, ours, strict=True):
        np.testing.assert_allclose(root_graph["x"], graph.x, rtol=1e-12)
        np.testing.assert_allclose(root_graph["y"], graph.y, rtol=1e-12)
        assert graph.ey is not None
        np.testing.assert_allclose(root_graph["ey"], graph.ey, rtol=1e-12)

    # the plots qcflow published at QC's paths are ROOT graphs holding those same points
    files = []
    for plot in task.plots:
        path = f"qc_async/TST/MO/BeamSpotTrending/{plot.name}"
        info = repo.latest(path)[0]
        files.append(tmp_path / f"{plot.name}.root")
        files[-1].write_bytes(repo.get(path, info.valid_from, uuid=info.id).data)
    published = root_python(PUBLISHED, *map(str, files))
    for file, plot, root_graph in zip(files, task.plots, drawn, strict=True):
        seen = published[str(file)]
        assert seen["class"] == "TGraphErrors" and seen["title"] == plot.title.split(";")[0]
        np.testing.assert_allclose(seen["x"], root_graph["x"], rtol=1e-12)
        np.testing.assert_allclose(seen["y"], root_graph["y"], rtol=1e-12)
        np.testing.assert_allclose(seen["ey"], root_graph["ey"], rtol=1e-12)


PUBLISHED = """
out = {}
for path in sys.argv[1:]:
    g = ROOT.TFile.Open(path).Get("ccdb_object")
    out[path] = {"class": g.ClassName(), "title": g.GetTitle(),
                 "x": [g.GetX()[i] for i in range(g.GetN())],
                 "y": [g.GetY()[i] for i in range(g.GetN())],
                 "ey": [g.GetErrorY(i) for i in range(g.GetN())]}
emit(out)
"""


#: C++ doing what QC's TrendingTask does with its trend: structs behind leaf-list branches,
#: ``canContinueTrend`` (the branch names exactly), SetBranchAddress and Fill to continue.
QC_CPP = '''
ROOT.gInterpreter.Declare(r"""
struct QcMeta { Long64_t runNumber; char runNumberStr[24]; };
struct QcTH1 { Double_t mean; Double_t stddev; Double_t entries; };
const char* kSources[] = {"vertex_X", "vertex_Y", "vertex_Z"};

void qc_write(const char* path, int n) {
  TFile f(path, "RECREATE");
  TTree* t = new TTree("BeamSpotTrending", "BeamSpotTrending");
  QcMeta meta; UInt_t time; QcTH1 stats[3];
  t->Branch("meta", &meta, "runNumber/L:runNumberStr/C");
  t->Branch("time", &time);
  for (int s = 0; s < 3; ++s) t->Branch(kSources[s], &stats[s], "mean/D:stddev:entries");
  for (int i = 0; i < n; ++i) {
    meta.runNumber = 500000 + i;
    snprintf(meta.runNumberStr, sizeof meta.runNumberStr, "%lld", meta.runNumber);
    time = 1600000000 + i;
    for (auto& s : stats) { s.mean = 0.1 * i; s.stddev = 0.5; s.entries = 100; }
    t->Fill();
  }
  f.WriteObject(t, "ccdb_object");
}

bool qc_can_continue(TTree* t) {
  std::set<std::string> expected{"meta", "time", "vertex_X", "vertex_Y", "vertex_Z"}, found;
  for (auto* b : *t->GetListOfBranches()) found.insert(b->GetName());
  return found == expected;
}

std::string qc_resume(const char* in, const char* out) {
  TFile fin(in);
  auto* stored = fin.Get<TTree>("ccdb_object");
  if (!qc_can_continue(stored)) return "cannot continue";
  TFile fout(out, "RECREATE");
  TTree* t = stored->CloneTree();
  QcMeta meta; UInt_t time; QcTH1 stats[3];
  t->SetBranchAddress("meta", &meta);
  t->SetBranchAddress("time", &time);
  for (int s = 0; s < 3; ++s) t->SetBranchAddress(kSources[s], &stats[s]);
  t->GetEntry(t->GetEntries() - 1);
  std::string last = std::to_string(meta.runNumber) + " " + meta.runNumberStr + " "
                     + std::to_string(time) + " " + std::to_string(stats[0].mean);
  meta.runNumber = 99;
  snprintf(meta.runNumberStr, sizeof meta.runNumberStr, "99");
  time = 1999999999;
  for (auto& s : stats) { s.mean = 9.5; s.stddev = 0.25; s.entries = 7; }
  t->Fill();
  fout.WriteObject(t, "ccdb_object");
  return last;
}
""")
'''

QC_WRITE = QC_CPP + "ROOT.qc_write(sys.argv[1], int(sys.argv[2]))\nemit(True)\n"
QC_RESUME = QC_CPP + "emit(str(ROOT.qc_resume(sys.argv[1], sys.argv[2])))\n"


def test_cpp_qc_continues_qcflows_trend(repo: LocalRepository, tmp_path: Path) -> None:
    fill(repo, range(1, 4))
    run_task(repo, three_sources())
    file, columns = _stored_tree(repo, tmp_path)
    resumed = tmp_path / "resumed.root"
    last = root_python(QC_RESUME, str(file), str(resumed))
    assert last == f"3 3 {columns['time'][-1]} {columns['vertex_X.mean'][-1]:.6f}"
    after = read_tree(resumed.read_bytes())
    np.testing.assert_array_equal(after["meta.runNumber"], [1, 2, 3, 99])
    assert list(after["meta.runNumberStr"]) == ["1", "2", "3", "99"]
    np.testing.assert_array_equal(after["vertex_Z.entries"][-1], 7.0)
    np.testing.assert_array_equal(after["vertex_X.mean"][:3], columns["vertex_X.mean"])


def test_qcflow_continues_a_trend_cpp_qc_wrote(repo: LocalRepository, tmp_path: Path) -> None:
    """QC's C++ tree (leaf lists, QC's names) in the QCDB; qcflow resumes it and appends."""
    qc_file = tmp_path / "qc.root"
    assert root_python(QC_WRITE, str(qc_file), "3")
    activity = Activity(0, "PHYSICS", "LHC24ab", "apass1", "qc_async")
    repo.store(
        TREND,
        qc_file.read_bytes(),
        valid_from=T0,
        valid_until=T0 + HOUR,
        metadata={**activity.metadata(), "ObjectType": "TTree"},
        content_type="application/root",
    )
    fill(repo, range(1, 3))
    run_task(repo, three_sources(resumeTrend="true"))
    file, columns = _stored_tree(repo, tmp_path)
    np.testing.assert_array_equal(columns["meta.runNumber"], [500000, 500001, 500002, 1, 2])
    assert list(columns["meta.runNumberStr"]) == ["500000", "500001", "500002", "1", "2"]
    np.testing.assert_allclose(columns["vertex_X.mean"][:3], [0.0, 0.1, 0.2])
    np.testing.assert_array_equal(columns["vertex_X.stddev"][:3], 0.5)
    seen = root_python(READ_TREE, str(file))  # and ROOT reads the continued trend
    assert seen["entries"] == 5
    assert seen["leaves"]["meta.runNumberStr"] == ["500000", "500001", "500002", "1", "2"]
    np.testing.assert_array_equal(seen["leaves"]["vertex_Y.entries"], columns["vertex_Y.entries"])


def test_what_a_root_user_types_for_a_slice_trend(repo: LocalRepository, tmp_path: Path) -> None:
    """QC's ``"h1.meanX:run"`` reads its ``vector<SliceInfo>``; on qcflow's slice trend a ROOT
    user draws slice ``i`` with ``"h1.meanX[i]:meta.runNumber"`` (docs/postprocessing.md)."""
    from . import test_slice_trending as slices

    slices.fill(repo, range(1, 4))
    slices.run_slices(repo, slices.task())
    file, columns = _stored_tree(repo, tmp_path, slices.TREND)
    specs = [(f"h1.meanX[{i}]:meta.runNumber", "", f"0:h1.errMeanX[{i}]") for i in (0, 1)]
    drawn = root_python(DRAW, str(file), json.dumps(specs))
    for i, graph in enumerate(drawn):
        np.testing.assert_array_equal(graph["x"], [1, 2, 3])
        np.testing.assert_allclose(graph["y"], columns["h1.meanX"][:, i], rtol=1e-12)
        np.testing.assert_allclose(graph["ey"], columns["h1.errMeanX"][:, i], rtol=1e-12)


QC_QUALITY = """
ROOT.gInterpreter.Declare(r'''
struct QcMetaQ { Long64_t runNumber; char runNumberStr[24]; };
struct QcQuality { UInt_t level; char name[7]; };
void qc_write_quality(const char* path) {
  TFile f(path, "RECREATE");
  TTree* t = new TTree("BeamSpotTrending", "BeamSpotTrending");
  QcMetaQ meta; UInt_t time; QcQuality q;
  t->Branch("meta", &meta, "runNumber/L:runNumberStr/C");
  t->Branch("time", &time);
  t->Branch("Check", &q, "level/i:name/C");
  const char* names[] = {"Good", "Bad"};
  for (int i = 0; i < 2; ++i) {
    meta.runNumber = 400 + i;
    snprintf(meta.runNumberStr, sizeof meta.runNumberStr, "%lld", meta.runNumber);
    time = 1500000000 + i; q.level = i == 0 ? 1 : 3; snprintf(q.name, 7, "%s", names[i]);
    t->Fill();
  }
  f.WriteObject(t, "ccdb_object");
}
''')
ROOT.qc_write_quality(sys.argv[1])
emit(True)
"""


def test_qcflow_continues_a_quality_trend_cpp_qc_wrote(
    repo: LocalRepository, tmp_path: Path
) -> None:
    """QualityReductor's branch as QC declares it (``level/i:name/C``), both ways."""
    from qcflow.objects.quality import Quality, QualityObject

    from ._configs import trending_task

    qc_file = tmp_path / "qc.root"
    assert root_python(QC_QUALITY, str(qc_file))
    activity = Activity(0, "PHYSICS", "LHC24ab", "apass1", "qc_async")
    repo.store(
        TREND,
        qc_file.read_bytes(),
        valid_from=T0,
        valid_until=T0 + HOUR,
        metadata={**activity.metadata(), "ObjectType": "TTree"},
        content_type="application/root",
    )
    for run, quality in {1: Quality.MEDIUM, 2: Quality.GOOD}.items():
        qo_activity = Activity(
            run, "PHYSICS", "LHC24ab", "apass1", "qc_async", T0 + run * HOUR, T0 + run * HOUR + 10
        )
        qo = QualityObject(quality, "Check", "TST", activity=qo_activity)
        repo.store(
            qo.path,
            qo.encode(),
            valid_from=qo_activity.valid_from,
            valid_until=qo_activity.valid_until,
            metadata=qo.metadata(),
            content_type="application/json",
        )
    task = trending_task(
        dataSources=[
            {
                "type": "repository-quality",
                "path": "TST/QO",
                "names": ["Check"],
                "reductorName": "o2::quality_control_modules::common::QualityReductor",
                "moduleName": "QcCommon",
            }
        ],
        plots=[{"name": "q", "varexp": "Check.level:meta.runNumberStr"}],
        updateTrigger=["foreachlatest:qcdb:TST/QO/Check"],
        resumeTrend="true",
    )
    run_task(repo, task)
    file, columns = _stored_tree(repo, tmp_path)
    np.testing.assert_array_equal(columns["meta.runNumber"], [400, 401, 1, 2])
    np.testing.assert_array_equal(columns["Check.level"], [1, 3, 2, 1])
    assert list(columns["Check.name"]) == ["Good", "Bad", "Medium", "Good"]
    seen = root_python(READ_TREE, str(file))
    assert seen["branches"]["Check"] == "level/i:name/C"
    assert seen["leaves"]["Check.name"] == ["Good", "Bad", "Medium", "Good"]
    assert seen["leaves"]["Check.level"] == [1, 3, 2, 1]
