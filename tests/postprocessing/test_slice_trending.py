"""SliceTrendingTask: config checks, the six plot modes, the trend table, O2DPG's emc.json."""

from __future__ import annotations

import copy
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qcflow.demo.emc import CELL_OBJECTS, CLUSTER_OBJECTS, fill_emc
from qcflow.demo.store import store_histograms
from qcflow.generators.qc_postproc import override_values
from qcflow.generators.registry import load_registry
from qcflow.objects.activity import Activity
from qcflow.objects.codec import decode
from qcflow.objects.metadata import QCFLOW_SOURCES
from qcflow.objects.root import Axis, Histogram, decode_histogram
from qcflow.objects.tree import tree_branches
from qcflow.postprocessing.engine.api import load
from qcflow.postprocessing.engine.engine import Engine, EngineOptions
from qcflow.postprocessing.plotting.images import PlotImage
from qcflow.postprocessing.slices._legend import legend_name
from qcflow.postprocessing.slices.plot_config import SliceLegend, SlicePlot
from qcflow.postprocessing.slices.plots import SliceSeries, draw_slice_plot, slice_plot_image
from qcflow.postprocessing.slices.slicing import FIELDS
from qcflow.qcdb.local import LocalRepository

from ._configs import messages, parsed, with_tasks

SLICE = "o2::quality_control::postprocessing::SliceTrendingTask"
TH1S = "o2::quality_control_modules::common::TH1SliceReductor"
TH2S = "o2::quality_control_modules::common::TH2SliceReductor"
HOUR = 3_600_000
T0 = 1_714_521_600_000
TREND = "qc_async/EMC/MO/Slices/Slices"


def task(**extra: Any) -> dict[str, Any]:
    config = {
        "className": SLICE,
        "moduleName": "QualityControl",
        "detectorName": "EMC",
        "producePlotsOnUpdate": "false",
        "dataSources": [
            {
                "type": "repository",
                "path": "EMC/MO/Test",
                "names": ["h1"],
                "reductorName": TH1S,
                "moduleName": "QcCommon",
                "axisDivision": [["2.3", "5.7", "8"]],
            },
            {
                "type": "repository",
                "path": "EMC/MO/Test",
                "names": ["h2"],
                "reductorName": TH2S,
                "moduleName": "QcCommon",
                "axisDivision": [["0", "2", "4"], ["0.5", "2.5"]],
            },
        ],
        "plots": [
            {
                "name": "p_run",
                "title": "h1 mean",
                "varexp": "h1.meanX:run",
                "graphErrors": "errMeanX:0.5",
                "option": "*L",
            },
            {"name": "p_slices", "varexp": "h2.entries:slices"},
        ],
        "initTrigger": ["userorcontrol"],
        "updateTrigger": ["foreachlatest:qcdb:EMC/MO/Test/h1"],
        "stopTrigger": ["userorcontrol"],
    }
    config.update(extra)
    return config


def errors_of(**extra: Any) -> list[str]:
    return messages(parsed(with_tasks({"Slices": task(**extra)})))


def source(**changes: Any) -> list[dict[str, Any]]:
    sources = copy.deepcopy(task()["dataSources"])
    sources[1].update(changes)
    return sources


# -- config ------------------------------------------------------------------------------------------


def test_a_valid_config_has_no_problems() -> None:
    config = parsed(with_tasks({"Slices": task()}))
    assert messages(config) == [] and messages(config, "warning") == []
    options = config.tasks["Slices"].options
    assert [s.count for s in options.data_sources] == [2, 2]
    assert config.tasks["Slices"].task_class.reads(config.tasks["Slices"])[-1] == (
        "qc.postprocessing.Slices.dataSources[1]",
        "EMC/MO/Test/h2",
    )


@pytest.mark.parametrize(
    ("division", "error"),
    [
        ([["0", "abc"], ["0", "1"]], "dataSources[1].axisDivision[0][1]: 'abc' is not a number"),
        ([["2", "1"], ["0", "1"]], "dataSources[1].axisDivision[0]: edges [2.0, 1.0] do not"),
        ([["0", "1"]], "dataSources[1].axisDivision: a TH2 needs two axes"),
        ([["0", "1"], ["0", "1"], ["0", "1"]], "dataSources[1].axisDivision: 3 axes given"),
        ([["0", {"a": 1}], ["0", "1"]], "dataSources[1].axisDivision[0][1]: expected a number"),
    ],
)
def test_malformed_axis_division_is_an_error_naming_the_json_path(
    division: list[Any], error: str
) -> None:
    problems = errors_of(dataSources=source(axisDivision=division))
    assert len(problems) == 1
    assert problems[0].startswith(f"qc.postprocessing.Slices.{error}")


def test_stof_edges_and_no_slicing_forms() -> None:
    config = parsed(
        with_tasks(
            {"Slices": task(dataSources=source(axisDivision=[["0", "2."], ["0.5", "2.5."]]))}
        )
    )
    assert messages(config) == []
    warnings = messages(config, "warning")
    assert warnings == [
        (
            "qc.postprocessing.Slices.dataSources[1].axisDivision[1][1]: '2.5.' read as 2.5: the rest "
            "is ignored, as C++'s std::stof does"
        )
    ]
    for division in ([], [[], []], [["1"], []]):
        options = parsed(with_tasks({"Slices": task(dataSources=source(axisDivision=division))}))
        assert options.tasks["Slices"].options.data_sources[1].count == 1


@pytest.mark.parametrize(
    ("plot", "error"),
    [
        ({"varexp": "h3.meanX:run"}, "no data source 'h3' (sources: h1, h2)"),
        ({"varexp": "h1.meanx:run"}, "'meanx' is not a slice field (did you mean 'meanX'?)"),
        ({"varexp": "h1.meanX:runs"}, "'runs' is not a mode (did you mean 'run'?)"),
        ({"varexp": "h1.meanX:run", "graphErrors": "errMean:0"}, "'errMean' is neither"),
    ],
)
def test_bad_plots_are_errors(plot: dict[str, str], error: str) -> None:
    problems = errors_of(plots=[{"name": "p", **plot}])
    assert len(problems) == 1 and error in problems[0], problems


def test_duplicate_plot_names_warn_and_the_second_wins() -> None:
    plots = [{"name": "p", "varexp": "h1.meanX:run"}, {"name": "p", "varexp": "h1.stddevX:run"}]
    config = parsed(with_tasks({"Slices": task(plots=plots)}))
    assert (
        "qc.postprocessing.Slices.plots[1].name: plot 'p' is defined twice"
        in messages(config, "warning")[0]
    )
    assert [p.variable for p in config.tasks["Slices"].options.plots] == ["stddevX"]


def test_a_trending_task_refuses_slice_reductors() -> None:
    from ._configs import trending_task

    bad = trending_task()
    bad["dataSources"][0]["reductorName"] = TH1S
    assert any(
        "is not" in m or "reduces slices" in m for m in messages(parsed(with_tasks({"T": bad})))
    )


# -- plots -------------------------------------------------------------------------------------------


def series(slices: int, rows: int = 6, division: tuple[tuple[float, ...], ...] = ()) -> SliceSeries:
    fields = {f: np.arange(rows * slices, dtype=float).reshape(rows, slices) + 1 for f in FIELDS}
    fields["sliceLabelX"] = np.tile(np.arange(slices, dtype=float) + 0.5, (rows, 1))
    fields["sliceLabelY"] = np.zeros((rows, slices))
    names = tuple(f"h - RangeX: [{i}.0, {i + 1}.0]" for i in range(slices))
    return SliceSeries(
        1.7e9 + 3600 * np.arange(rows),
        550000 + np.arange(rows, dtype=float),
        fields,
        names,
        division,
    )


def plot(mode: str, **extra: Any) -> SlicePlot:
    return SlicePlot(
        name="p",
        varexp=f"h.meanX:{mode}",
        source="h",
        variable="meanX",
        mode=mode,
        title="T",
        option="*L",
        **extra,
    )


def data_lines(axes: Any) -> list[Any]:
    return [line for line in axes.get_lines() if len(line.get_xdata()) > 0]


@pytest.mark.parametrize("mode", ["time", "run"])
def test_time_and_run_draw_one_pad_per_slice(mode: str) -> None:
    figure, graphs = draw_slice_plot(plot(mode), series(5))
    assert len(figure.axes) == 5  # DivideSquare(5): 3 x 2, one pad left empty
    for pad, axes in enumerate(figure.axes):
        [line] = data_lines(axes)
        np.testing.assert_array_equal(line.get_ydata(), np.arange(6) * 5 + pad + 1)
    assert [g.pad for g in graphs] == list(range(5))
    assert figure.axes[2].get_title() == "h - RangeX: [2.0, 3.0]"


@pytest.mark.parametrize(
    "mode", ["time", "run", "multigraphtime", "multigraphrun", "slices", "slices2D"]
)
def test_every_mode_renders_a_png(mode: str) -> None:
    image = slice_plot_image(
        plot(mode, errors=("errMeanY", "0.5")), series(3, division=((0, 1, 2, 3), ()))
    )
    assert image.data.startswith(b"\x89PNG") and len(image.data) > 5000
    assert image.graphs


def test_graphs_are_drawn_without_graph_errors() -> None:
    figure, _ = draw_slice_plot(plot("run"), series(1))
    assert len(data_lines(figure.axes[0])) == 1  # QC draws nothing here


@pytest.mark.parametrize("mode", ["multigraphtime", "multigraphrun"])
def test_multigraphs_draw_every_slice_with_a_legend(mode: str) -> None:
    legend = SliceLegend(n_columns=1, observable_x="E", unit_x="GeV")
    figure, _graphs = draw_slice_plot(
        plot(mode, errors=("errMeanX", "0"), legend=legend), series(4)
    )
    main, legend_pad = figure.axes
    assert len(data_lines(main)) == 4
    texts = [t.get_text() for t in legend_pad.get_legend().get_texts()]
    assert texts == [
        "0 GeV <= E < 1 GeV",
        "1 GeV <= E < 2 GeV",
        "2 GeV <= E < 3 GeV",
        "3 GeV <= E < 4 GeV",
    ]
    colors = {tuple(line.get_color()) for line in data_lines(main)}
    assert len(colors) == 4


def test_slices_draws_the_latest_entry() -> None:
    figure, _graphs = draw_slice_plot(plot("slices"), series(4))
    [line] = data_lines(figure.axes[0])
    np.testing.assert_array_equal(line.get_xdata(), [0.5, 1.5, 2.5, 3.5])
    np.testing.assert_array_equal(line.get_ydata(), [21, 22, 23, 24])


def test_slices_2d_fills_a_map_over_the_division() -> None:
    data = series(4, division=((0.0, 1.0, 2.0), (0.0, 1.0, 2.0)))
    labels_y = np.tile([0.5, 1.5, 0.5, 1.5], (6, 1))
    labels_x = np.tile([0.5, 0.5, 1.5, 1.5], (6, 1))
    data = SliceSeries(
        data.time,
        data.run,
        {**data.fields, "sliceLabelX": labels_x, "sliceLabelY": labels_y},
        data.names,
        data.division,
    )
    figure, _ = draw_slice_plot(plot("slices2D", y_range="0:100"), data)
    [mesh] = figure.axes[0].collections
    np.testing.assert_array_equal(mesh.get_array().reshape(2, 2), [[21, 23], [22, 24]])
    assert mesh.get_clim() == (0, 100)
    # published as the map's TH2F, drawn colz by QCG, with the PNG next to it
    payload = slice_plot_image(plot("slices2D", axis_label="y title:x title"), data).encode()
    assert (payload.object_type, payload.draw_options) == ("TH2F", "colz")
    assert [p.content_type for _, p in payload.companions] == ["image/png"]
    histogram = decode_histogram(payload.data)
    np.testing.assert_array_equal(histogram.inner(), [[21, 22], [23, 24]])  # [x][y]
    assert [a.title for a in histogram.axes] == ["x title", "y title"]
    np.testing.assert_array_equal(histogram.axes[1].edges, [0.0, 1.0, 2.0])


def test_legend_names_follow_qcs_rules() -> None:
    title = "h - RangeX: [0.0, 4500.0] and RangeY: [-0.5, 0.5]"
    assert legend_name(title, SliceLegend()) == "RangeX: [0.0, 4500.0] and RangeY: [-0.5, 0.5]"
    assert (
        legend_name(
            title, SliceLegend(observable_x="None", observable_y="Supermodule", centmode_y=True)
        )
        == "Supermodule 0"
    )
    assert (
        legend_name(title, SliceLegend(observable_x="pT", unit_x="GeV", observable_y="None"))
        == "0 GeV <= pT < 4500 GeV"
    )
    assert legend_name("a label", SliceLegend(observable_x="pT")) == "a label"


# -- end to end --------------------------------------------------------------------------------------


def h1(run: int) -> Histogram:
    contents = np.arange(1.0, 11.0) * run
    values = np.concatenate([[0.0], contents, [0.0]])
    h = Histogram("TH1D", "h1", "h1", (Axis(np.arange(0.0, 11.0)),), values, values.copy(), 1.0)
    h.stats = {"fTsumw": 1.0, "fTsumw2": 1.0, "fTsumwx": 1.0, "fTsumwx2": 1.0}
    return h


def h2(run: int) -> Histogram:
    values = np.zeros((6, 5))
    values[1:-1, 1:-1] = run
    axes = (Axis(np.arange(0.0, 5.0)), Axis(np.arange(0.0, 4.0)))
    return Histogram(
        "TH2D", "h2", "h2", axes, values, values.copy(), float(values.sum()), {"fTsumw": 1.0}
    )


def fill(
    repo: LocalRepository, runs: range, skip: tuple[str, int] | None = None, trigger: str = "h1"
) -> None:
    for run in runs:
        activity = Activity(run, "PHYSICS", "LHC24ab", "apass1", "qc_async")
        objects = {"h1": h1(run), "h2": h2(run), trigger: h1(run)}
        objects = {k: v for k, v in objects.items() if (k, run) != skip}
        store_histograms(
            repo,
            activity,
            (T0 + run * HOUR, T0 + run * HOUR + HOUR // 2),
            detector="EMC",
            task="Test",
            task_class="t",
            objects=objects,
        )


def run_slices(repo: LocalRepository, config: dict[str, Any], parallel: bool = False) -> None:
    tree = with_tasks({"Slices": config}, host=str(repo.root))
    engine_config = parsed(tree)
    assert messages(engine_config) == []
    Engine(engine_config, EngineOptions(parallel=parallel, extensions=False)).run()


def trend(repo: LocalRepository) -> dict[str, np.ndarray]:
    info = repo.latest(TREND)[0]
    return decode(repo.get(TREND, info.valid_from).data, info)  # type: ignore[no-any-return]


def test_slice_trends_name_their_sources_in_qcflow_sources_metadata(
    repo: LocalRepository,
) -> None:
    fill(repo, range(1, 3))
    run_slices(repo, task())
    base = "qc_async/EMC/MO/Slices"
    sources = {
        name: repo.latest(f"{base}/{name}")[0].metadata.get(QCFLOW_SOURCES)
        for name in ("Slices", "p_run", "p_slices")
    }
    h = "qc_async/EMC/MO/Test/h"
    assert sources == {"Slices": f"{h}1,{h}2", "p_run": f"{h}1", "p_slices": f"{h}2"}


def test_the_trend_table_layout(repo: LocalRepository) -> None:
    fill(repo, range(1, 4))
    run_slices(repo, task())
    columns = trend(repo)
    assert set(columns) == {"meta.runNumber", "meta.runNumberStr", "time"} | {
        f"{s}.{f}" for s in ("h1", "h2") for f in FIELDS
    }
    # one leaf-list branch per source, an array leaf per field: src.meanX[i] in TTree::Draw
    assert tree_branches(repo.get(TREND, repo.latest(TREND)[0].valid_from).data) == {
        "meta": ["runNumber", "runNumberStr"],
        "time": ["time"],
        "h1": list(FIELDS),
        "h2": list(FIELDS),
    }
    np.testing.assert_array_equal(columns["meta.runNumber"], [1, 2, 3])
    # h1 slices [2.3, 5.7) -> bins 3..6 and [5.7, 8) -> bins 7..8; contents (bin) * run
    np.testing.assert_array_equal(columns["h1.entries"], [[18 * r, 15 * r] for r in (1, 2, 3)])
    np.testing.assert_array_equal(columns["h1.sliceLabelX"][0], [4.0, 6.85])
    # h2: x [0, 2) and [2, 4), y bins 1..2: 4 bins of content run each
    np.testing.assert_array_equal(columns["h2.entries"], [[4 * r, 4 * r] for r in (1, 2, 3)])
    stored = {
        i.path.rsplit("/", 1)[1]: i.content_type for i in repo.latest("qc_async/EMC/MO/Slices/.*")
    }
    assert stored == {
        "Slices": "application/root",
        "p_run": "application/root",
        "p_slices": "application/root",
        "p_run.png": "image/png",
        "p_slices.png": "image/png",
    }


def test_a_missing_source_skips_the_point_and_says_so(
    repo: LocalRepository, caplog: pytest.LogCaptureFixture
) -> None:
    fill(repo, range(1, 4), skip=("h2", 2))
    with caplog.at_level(logging.WARNING, logger="qcflow.qc"):
        run_slices(repo, task())
    np.testing.assert_array_equal(trend(repo)["meta.runNumber"], [1, 3])
    said = [r.getMessage() for r in caplog.records if "the point is skipped" in r.getMessage()]
    assert len(said) == 1 and "qc_async/EMC/MO/Test/h2 at" in said[0] and "RunNumber=2" in said[0]


def test_resume_and_plots_on_update(repo: LocalRepository) -> None:
    fill(repo, range(1, 3))
    run_slices(repo, task(producePlotsOnUpdate="true"))
    assert len(repo.browse("qc_async/EMC/MO/Slices/p_run")) == 3  # two updates and finalize
    fill(repo, range(3, 5), trigger="late")
    run_slices(
        repo, task(resumeTrend="true", updateTrigger=["foreachlatest:qcdb:EMC/MO/Test/late"])
    )
    np.testing.assert_array_equal(trend(repo)["meta.runNumber"], [1, 2, 3, 4])


def test_plots_carry_their_graphs_and_can_be_redrawn(repo: LocalRepository) -> None:
    from qcflow.postprocessing.plotting.overlays import HLine

    fill(repo, range(1, 4))
    published: list[Any] = []
    tree = with_tasks({"Slices": task()}, host=str(repo.root))
    engine = Engine(parsed(tree), EngineOptions(parallel=True, extensions=False))
    engine.add_listener(lambda p: published.extend(p.objects))
    engine.run()
    image = next(p.obj for p in published if p.name == "Slices/p_run")
    assert isinstance(image, PlotImage) and len(image.graphs) == 2
    np.testing.assert_array_equal(image.graphs[0].x, [1, 2, 3])
    redrawn = image.annotated([HLine(3.0, 632)])
    assert redrawn.data != image.data and redrawn.data.startswith(b"\x89PNG")


# -- O2DPG's emc.json --------------------------------------------------------------------------------


def run_emc(repo: LocalRepository, path: Path, pass_name: str) -> None:
    entry = next(e for e in load_registry() if e.name == "EMC")
    overrides = override_values(entry, 0, "LHC24ab", pass_name, str(repo.root))
    config = load(f"json://{path}", overrides.removeprefix('--override-values "').removesuffix('"'))
    Engine(config, EngineOptions(parallel=True, extensions=False)).run()


@pytest.mark.slow
@pytest.mark.shared
def test_o2dpg_emc_runs_unchanged_on_synthetic_data(
    reference_configs: Path, repo: LocalRepository
) -> None:
    stored = fill_emc(repo, runs=4, passes=("apass1", "apass2"))
    assert stored == 4 * 2 * (len(CELL_OBJECTS) + len(CLUSTER_OBJECTS))
    run_emc(repo, reference_configs / "emc.json", "apass2")
    for task_name, objects in (("CellTrend", 22), ("ClustersTrend", 24)):
        found = repo.latest(f"qc_async/EMC/MO/{task_name}/.*", {"PassName": "apass2"})
        paths = {i.path for i in found}
        plots = {p for p in paths if not p.endswith(".png")}
        assert len(plots) == objects  # the trend and its plots (one name defined twice)
        # every plot has its PNG; a plot's own object is a ROOT graph but for 2-D maps
        assert paths - plots == {f"{p}.png" for p in plots if not p.endswith(f"/{task_name}")}
        kinds = {i.metadata["ObjectType"] for i in found if i.path in plots}
        assert kinds <= {"TTree", "TMultiGraph", "TGraphErrors", "TGraph", "image/png"}
    path = "qc_async/EMC/MO/ClustersTrend/ClustersTrend"
    info = repo.latest(path)[0]
    columns = decode(repo.get(path, info.valid_from).data, info)
    assert len(columns["meta.runNumber"]) == 4
    assert columns["ClusterEnergySupermodule.meanX"].shape == (4, 20)
    # the number of clusters per event, trended, equals the integral of the stored histogram
    run = int(columns["meta.runNumber"][0])
    fetched = repo.get(
        "qc_async/EMC/MO/Clusters/NclustPerEvt",
        info.valid_from,
        {"RunNumber": str(run), "PassName": "apass2"},
    )
    histogram = decode(fetched.data, fetched.info)
    assert columns["NclustPerEvt.entries"][0] == histogram.values[1:-1].sum()


@pytest.mark.slow
def test_qcflows_emc_runs_on_the_same_data(repo: LocalRepository) -> None:
    fill_emc(repo, runs=3, passes=("apass1",))
    path = Path(__file__).parents[2] / "src/qcflow/data/qc-postproc-async/emc.json"
    run_emc(repo, path, "apass1")
    info = repo.latest("qc_async/EMC/MO/CellTrend/CellTrend")[0]
    columns = decode(repo.download(info.id).data, info)
    np.testing.assert_array_equal(np.diff(columns["meta.runNumber"]) > 0, [True, True])
    assert not np.isnan(columns["cellTimeSupermodule_PHYS.meanX"]).any()


SLICE_KEYS = [
    "axisDivision",
    "sliceLabels",
    "names",
    "reductorName",
    "type",
    "varexp",
    "graphErrors",
    "graphYRange",
    "legendNColums",
    "legendTextSize",
    "plots",
    "dataSources",
    "legendCentmodeX",
    "name",
]
values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.text(max_size=6)
    | st.sampled_from(["h1.meanX:run", "0:1", "errMeanX:0.5", "1.5.", "-0.5"]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=2)
    ),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(SLICE_KEYS), values), max_size=4), st.integers(0, 2))
def test_a_mangled_config_gives_diagnostics_never_a_crash(
    changes: list[tuple[str, object]], where: int
) -> None:
    config = task()
    target = [config, config["dataSources"][1], config["plots"][0]][where]
    for key, value in changes:
        target[key] = value
    parsed_config = parsed(with_tasks({"Slices": config}))  # must not raise
    assert all(d.path for d in parsed_config.diagnostics.items)


def test_the_task_publishes_a_slices2d_map_as_its_th2f(repo: LocalRepository) -> None:
    fill(repo, range(1, 3))
    plots = [
        {"name": "p_map", "title": "map", "varexp": "h2.entries:slices2D", "graphAxisLabel": "y:x"}
    ]
    run_slices(repo, task(plots=plots))
    info = repo.latest("qc_async/EMC/MO/Slices/p_map")[0]
    assert (info.metadata["ObjectType"], info.metadata["drawOptions"]) == ("TH2F", "colz")
    histogram = decode_histogram(repo.get(info.path, info.valid_from).data)
    # the last run (2): x slices [0, 2) and [2, 4), one y slice, 4 bins of content 2 each
    np.testing.assert_array_equal(histogram.inner(), [[8.0], [8.0]])
    assert repo.latest("qc_async/EMC/MO/Slices/p_map.png")[0].content_type == "image/png"
