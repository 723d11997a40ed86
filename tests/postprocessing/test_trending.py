"""TrendingTask end to end: O2DPG's example.json unchanged on synthetic data, and every option."""

from __future__ import annotations

import copy
import logging
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcflow.generators.qc_postproc import override_values
from qcflow.generators.registry import load_registry
from qcflow.objects.activity import Activity
from qcflow.objects.codec import decode
from qcflow.objects.metadata import QCFLOW_SOURCES
from qcflow.objects.quality import Quality, QualityObject
from qcflow.postprocessing.config.classes import REGISTRY
from qcflow.postprocessing.engine.api import load
from qcflow.postprocessing.engine.engine import Engine, EngineOptions
from qcflow.postprocessing.plotting.spec import GraphSpec, PlotSpec, plot_sources
from qcflow.postprocessing.reduction.reductors import Reductor
from qcflow.qcdb.local import LocalRepository

from ._configs import parsed, trending_task, with_tasks
from .conftest import put_th1

HOUR = 3_600_000
T0 = 1_714_521_600_000
TREND = "qc_async/TST/MO/BeamSpotTrending/BeamSpotTrending"
SOURCES = ("vertex_X", "vertex_Y", "vertex_Z")


def fill(
    repo: LocalRepository,
    runs: range,
    pass_name: str = "apass1",
    skip: tuple[str, int] | None = None,
    spot: str = "beamSpot",
) -> dict[tuple[str, int], np.ndarray]:
    """Vertex histograms of ``runs``; returns the fills per (source, run)."""
    rng = np.random.default_rng(len(runs) + runs[0])
    fills = {}
    for run in runs:
        activity = Activity(run, "PHYSICS", "LHC24ab", pass_name, "qc_async")
        sor = T0 + run * HOUR
        for name in (*SOURCES, spot):
            values = rng.normal(0.01 * run, 0.2, 500 + run)
            fills[name, run] = values
            if skip != (name, run):
                put_th1(
                    repo,
                    f"qc_async/GLO/MO/Vertexing/{name}",
                    values,
                    activity,
                    sor,
                    sor + HOUR // 2,
                )
    return fills


def trend(repo: LocalRepository, path: str = TREND) -> dict[str, np.ndarray]:
    info = repo.latest(path)[0]
    fetched = repo.get(path, info.valid_from, {"PassName": info.metadata["PassName"]})
    return decode(fetched.data, fetched.info)  # type: ignore[no-any-return]


def expected(values: np.ndarray) -> tuple[float, float, float]:
    inside = values[(values >= -1) & (values < 1)]
    return inside.mean(), inside.std(), float(len(values))


@pytest.mark.shared
def test_o2dpg_example_runs_unchanged(reference_configs: Path, repo: LocalRepository) -> None:
    fills = fill(repo, range(1, 6))
    fill(repo, range(1, 3), pass_name="apass2")  # another pass: not trended
    entry = next(e for e in load_registry() if e.name == "example")
    overrides = override_values(entry, 0, "LHC24ab", "apass1", str(repo.root))
    text = overrides.removeprefix('--override-values "').removesuffix('"')
    config = load(f"json://{reference_configs / 'example.json'}", text)
    Engine(config, EngineOptions(parallel=False, extensions=False)).run()

    columns = trend(repo)
    np.testing.assert_array_equal(columns["meta.runNumber"], [1, 2, 3, 4, 5])
    np.testing.assert_array_equal(
        columns["time"], [(T0 + r * HOUR + HOUR // 2) // 1000 for r in range(1, 6)]
    )
    for name in SOURCES:
        values = np.array([expected(fills[name, run]) for run in range(1, 6)])
        np.testing.assert_allclose(columns[f"{name}.mean"], values[:, 0], rtol=1e-12)
        np.testing.assert_allclose(columns[f"{name}.stddev"], values[:, 1], rtol=1e-9)
        np.testing.assert_array_equal(columns[f"{name}.entries"], values[:, 2])
    stored = repo.latest("qc_async/TST/MO/BeamSpotTrending/.*")
    kinds = {info.path.rsplit("/", 1)[1]: info.content_type for info in stored}
    # each plot a ROOT graph at QC's path, its PNG as a companion at the path plus ".png"
    assert kinds == {
        "BeamSpotTrending": "application/root",
        **{f"Vertex_{a}_trend": "application/root" for a in "XYZ"},
        **{f"Vertex_{a}_trend.png": "image/png" for a in "XYZ"},
    }
    graph = next(i for i in stored if i.path.endswith("/Vertex_X_trend"))
    assert graph.metadata["ObjectType"] == "TGraphErrors"
    tree = next(i for i in stored if i.path == TREND)
    assert (tree.valid_from, tree.valid_until) == (T0 + HOUR, T0 + 5 * HOUR + HOUR // 2)
    assert {
        k: tree.metadata[k]
        for k in (
            "RunNumber",
            "RunType",
            "PeriodName",
            "PassName",
            "ObjectType",
            "qc_task_name",
            "qc_detector_name",
        )
    } == {
        "RunNumber": "0",
        "RunType": "PHYSICS",
        "PeriodName": "LHC24ab",
        "PassName": "apass1",
        "ObjectType": "TTree",
        "qc_task_name": "BeamSpotTrending",
        "qc_detector_name": "TST",
    }
    png = repo.get("qc_async/TST/MO/BeamSpotTrending/Vertex_X_trend.png", T0 + 2 * HOUR)
    assert png.data.startswith(b"\x89PNG")


def run_task(repo: LocalRepository, task: dict[str, Any], parallel: bool = False) -> Engine:
    tree = with_tasks({"BeamSpotTrending": task}, host=str(repo.root))
    tree["qc"]["config"]["conditionDB"] = {"url": str(repo.root)}
    config = parsed(tree)
    assert config.diagnostics.errors == []
    engine = Engine(config, EngineOptions(parallel=parallel, extensions=False))
    engine.run()
    return engine


def three_sources(**extra: Any) -> dict[str, Any]:
    task = trending_task(**extra)
    task["dataSources"][0]["names"] = list(SOURCES)
    return task


def test_a_missing_input_is_nan_and_reported(
    repo: LocalRepository, caplog: pytest.LogCaptureFixture
) -> None:
    fill(repo, range(1, 5), skip=("vertex_Y", 3))
    with caplog.at_level(logging.WARNING, logger="qcflow.qc"):
        run_task(repo, three_sources())
    columns = trend(repo)
    np.testing.assert_array_equal(columns["meta.runNumber"], [1, 2, 3, 4])
    assert np.isnan(columns["vertex_Y.mean"][2]) and np.isnan(columns["vertex_Y.entries"][2])
    assert not np.isnan(columns["vertex_X.mean"][2])
    missing = [r.getMessage() for r in caplog.records if "; recorded as NaN" in r.getMessage()]
    assert len(missing) == 1
    assert "qc_async/GLO/MO/Vertexing/vertex_Y at " in missing[0]
    assert "RunNumber=3" in missing[0] and "PassName=apass1" in missing[0]
    assert any("1 missing inputs were recorded as NaN" in r.getMessage() for r in caplog.records)


def test_trend_if_all_inputs_skips_incomplete_rows(repo: LocalRepository) -> None:
    fill(repo, range(1, 5), skip=("vertex_Y", 3))
    run_task(repo, three_sources(trendIfAllInputs="true"))
    np.testing.assert_array_equal(trend(repo)["meta.runNumber"], [1, 2, 4])


@pytest.mark.parametrize(
    ("choice", "offset"), [("trigger", 0), ("validFrom", 0), ("validUntil", HOUR // 2)]
)
def test_trending_timestamp(repo: LocalRepository, choice: str, offset: int) -> None:
    fill(repo, range(1, 3))
    run_task(repo, three_sources(trendingTimestamp=choice))
    expected_times = [(T0 + r * HOUR + offset) // 1000 for r in (1, 2)]
    np.testing.assert_array_equal(trend(repo)["time"], expected_times)


def test_produce_plots_on_update_publishes_after_every_update(repo: LocalRepository) -> None:
    fill(repo, range(1, 4))
    run_task(repo, three_sources(producePlotsOnUpdate="true"))
    assert len(repo.browse(TREND)) == 4  # three updates and the finalize
    assert len(repo.browse("qc_async/TST/MO/BeamSpotTrending/x_trend")) == 4
    sizes = sorted(
        len(decode(repo.download(v.id).data, v)["meta.runNumber"]) for v in repo.browse(TREND)
    )
    assert sizes == [1, 2, 3, 3]


def test_resume_trend_continues_the_stored_tree(repo: LocalRepository) -> None:
    fill(repo, range(1, 4))
    run_task(repo, three_sources())
    fill(repo, range(4, 6), spot="beamSpotLate")
    task = three_sources(
        resumeTrend="true", updateTrigger=["foreachlatest:qcdb:GLO/MO/Vertexing/beamSpotLate"]
    )
    run_task(repo, task)
    np.testing.assert_array_equal(trend(repo)["meta.runNumber"], [1, 2, 3, 4, 5])
    changed = copy.deepcopy(task)
    changed["dataSources"][0]["names"] = ["vertex_X"]
    run_task(repo, changed)  # other branches: a new trend
    np.testing.assert_array_equal(trend(repo)["meta.runNumber"], [4, 5])


def test_quality_sources(repo: LocalRepository) -> None:
    levels = {1: Quality.GOOD, 2: Quality.BAD, 3: Quality.MEDIUM}
    for run, quality in levels.items():
        activity = Activity(
            run, "PHYSICS", "LHC24ab", "apass1", "qc_async", T0 + run * HOUR, T0 + run * HOUR + 10
        )
        qo = QualityObject(quality, "Check", "TST", activity=activity)
        repo.store(
            qo.path,
            qo.encode(),
            valid_from=activity.valid_from,
            valid_until=activity.valid_until,
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
    )
    run_task(repo, task)
    columns = trend(repo)
    np.testing.assert_array_equal(columns["Check.level"], [1.0, 3.0, 2.0])


def test_a_missing_quality_repeats_the_previous_one_as_qc(repo: LocalRepository) -> None:
    """QC's QualityReductor keeps its last values when a quality object is missing; a level has
    no NaN, so qcflow does the same (it used to store level 0 with an empty name)."""
    fill(repo, range(1, 4))
    for run, quality in {1: Quality.GOOD, 3: Quality.BAD}.items():
        activity = Activity(
            run, "PHYSICS", "LHC24ab", "apass1", "qc_async", T0 + run * HOUR, T0 + run * HOUR + 10
        )
        qo = QualityObject(quality, "Check", "TST", activity=activity)
        repo.store(
            qo.path,
            qo.encode(),
            valid_from=activity.valid_from,
            valid_until=activity.valid_until,
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
    )
    run_task(repo, task)
    columns = trend(repo)
    np.testing.assert_array_equal(columns["meta.runNumber"], [1, 2, 3])
    np.testing.assert_array_equal(columns["Check.level"], [1, 1, 3])
    assert list(columns["Check.name"]) == ["Good", "Good", "Bad"]


class ScalarCondition(Reductor):
    """A condition object holding one number as text."""

    fields: ClassVar[dict[str, str]] = {"value": "f8"}
    source: ClassVar[str] = "condition"

    def reduce(self, obj: Any) -> dict[str, float]:
        return {"value": float(obj.data)}


REGISTRY.add("reductor", "test::ScalarCondition", ScalarCondition)


def test_condition_sources(repo: LocalRepository) -> None:
    fill(repo, range(1, 4))
    repo.store("GLO/Calib/MeanVertex", b"0.5", valid_from=T0, valid_until=T0 + 2 * HOUR + 1)
    repo.store(
        "GLO/Calib/MeanVertex", b"0.7", valid_from=T0 + 2 * HOUR + 1, valid_until=T0 + 9 * HOUR
    )
    task = trending_task(
        dataSources=[
            {
                "type": "condition",
                "path": "GLO/Calib",
                "name": "MeanVertex",
                "reductorName": "test::ScalarCondition",
                "moduleName": "m",
            }
        ],
        plots=[{"name": "c", "varexp": "MeanVertex.value:time"}],
    )
    run_task(repo, task)
    np.testing.assert_array_equal(trend(repo)["MeanVertex.value"], [0.5, 0.5, 0.7])


def test_trends_name_their_sources_in_qcflow_sources_metadata(repo: LocalRepository) -> None:
    fill(repo, range(1, 3))
    plots = [
        {"name": "x_trend", "varexp": "vertex_X.mean:meta.runNumber"},
        {"name": "zy", "varexp": "vertex_Z.mean-vertex_Y.mean:vertex_Y.entries"},
        {"name": "run", "varexp": "meta.runNumber:time"},
    ]
    run_task(repo, three_sources(plots=plots))
    base = "qc_async/TST/MO/BeamSpotTrending"
    sources = {
        name: repo.latest(f"{base}/{name}")[0].metadata.get(QCFLOW_SOURCES)
        for name in ("BeamSpotTrending", "x_trend", "x_trend.png", "zy", "run")
    }
    vertex = "qc_async/GLO/MO/Vertexing/vertex_"
    assert sources == {
        "BeamSpotTrending": f"{vertex}X,{vertex}Y,{vertex}Z",  # the tree: every source
        "x_trend": f"{vertex}X",
        "x_trend.png": f"{vertex}X",  # the PNG companion as its plot
        "zy": f"{vertex}Z,{vertex}Y",  # in the varexp's order, y first
        "run": None,  # no source in the varexp: no key
    }


@given(st.permutations(["a", "ab", "a_b", "b"]))
def test_plot_sources_picks_the_longest_source_name(names: list[str]) -> None:
    graph = GraphSpec("g", "", "ab.mean + a_b.x:a.entries")
    assert plot_sources(PlotSpec("p", graphs=(graph,)), names) == ["ab", "a_b", "a"]


def test_parallel_reduction_gives_the_same_trend(repo: LocalRepository) -> None:
    fill(repo, range(1, 21))
    run_task(repo, three_sources(), parallel=True)
    parallel = trend(repo)
    repo.truncate("qc_async/TST/.*")
    run_task(repo, three_sources(), parallel=False)
    serial = trend(repo)
    assert parallel.keys() == serial.keys()
    for key in serial:
        np.testing.assert_array_equal(parallel[key], serial[key])


def test_source_repo_is_read_and_the_destination_written(
    repo: LocalRepository, tmp_path: Path
) -> None:
    source = LocalRepository(tmp_path / "source", fsync=False)
    fills = fill(source, range(1, 3))
    task = three_sources(sourceRepo={"implementation": "CCDB", "host": str(source.root)})
    run_task(repo, task)
    assert repo.latest("qc_async/GLO/.*") == []  # nothing read from here
    assert source.latest("qc_async/TST/.*") == []  # nothing written there
    columns = trend(repo)
    np.testing.assert_allclose(
        columns["vertex_Z.mean"], [expected(fills["vertex_Z", r])[0] for r in (1, 2)]
    )
    source.close()
