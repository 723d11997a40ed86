"""The config schema: typed values, every problem at once with its JSON path."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qcflow.objects.activity import Activity
from qcflow.postprocessing.config.loader import load_config, parse_config_text
from qcflow.postprocessing.config.overrides import apply_overrides, parse_overrides
from qcflow.postprocessing.config.schema import parse_config
from qcflow.postprocessing.config.values import Diagnostics
from qcflow.postprocessing.trending.config import TrendingConfig
from qcflow.postprocessing.triggers.trigger import TriggerType

from ._configs import TH1, messages, parsed, trending_task, with_tasks


@pytest.mark.shared
def test_o2dpg_example(reference_configs: Path) -> None:
    loaded = load_config(str(reference_configs / "example.json"))
    config = parse_config(loaded.tree, loaded.source)
    assert config.diagnostics.items == []
    assert config.common.activity == Activity(pass_name="apass1", provenance="qc_async")
    assert config.common.database.host == "ccdb-test.cern.ch:8080"
    assert config.common.period_seconds == 0.1
    task = config.tasks["BeamSpotTrending"]
    assert (task.task_name, task.detector_name, task.output_prefix) == (
        "BeamSpotTrending",
        "TST",
        "TST/MO/BeamSpotTrending/",
    )
    assert [t.type for t in task.update_triggers] == [TriggerType.FOR_EACH_LATEST]
    options: TrendingConfig = task.options
    assert [s.name for s in options.data_sources] == ["vertex_X", "vertex_Y", "vertex_Z"]
    assert options.produce_plots_on_update is False
    assert [p.name for p in options.plots] == ["Vertex_X_trend", "Vertex_Y_trend", "Vertex_Z_trend"]
    assert options.plots[0].graphs[0].errors == "0:vertex_X.stddev/pow(vertex_X.entries,0.5)"


@pytest.mark.parametrize(
    ("graph", "error"), [({}, "is required"), ({"varexp": " "}, "must not be empty")]
)
def test_a_missing_varexp_is_one_error(graph: dict[str, str], error: str) -> None:
    config = parsed(with_tasks({"T": trending_task(plots=[{"name": "p", **graph}])}))
    assert messages(config) == [f"qc.postprocessing.T.plots[0].varexp: {error}"]


def test_every_error_at_once_with_its_path() -> None:
    broken = trending_task(
        updateTrigger=["foreachlatest:qcdb:GLO/MO/Vertexing/beamSpot", "whenever"],
        trendingTimestamp="sometimes",
        plots=[
            {"name": "p", "varexp": "vertex_Q.mean:time"},
            {"title": "no name", "varexp": "time"},
        ],
    )
    del broken["moduleName"]
    broken["dataSources"].append(
        {"path": "a", "name": "q", "reductorName": "nope::Reductor", "moduleName": "m"}
    )
    config = parsed(
        with_tasks(
            {
                "T": broken,
                "U": trending_task(className="o2::quality_control::postprocessing::TrendngTask"),
            }
        )
    )
    errors = messages(config)
    assert errors[0] == "qc.postprocessing.T.moduleName: is required"
    assert errors[1].startswith("qc.postprocessing.T.updateTrigger[1]: unknown trigger 'whenever'")
    assert errors[2].startswith(
        "qc.postprocessing.T.dataSources[1].reductorName: unknown reductor class 'nope::Reductor'"
    )
    assert errors[3].startswith(
        "qc.postprocessing.T.plots[0].varexp: expression 'vertex_Q.mean': no branch 'vertex_Q.mean'"
    )
    assert errors[4] == "qc.postprocessing.T.plots[1].name: is required"
    assert errors[5].startswith("qc.postprocessing.U.className: unknown task class")
    assert "(did you mean 'o2::quality_control::postprocessing::TrendingTask'?)" in errors[5]
    assert len(errors) == 6
    assert (
        "qc.postprocessing.T.trendingTimestamp: 'sometimes' is not one of"
        in messages(config, "warning")[0]
    )


def test_silent_o2_defaults_and_unknown_keys_are_warned() -> None:
    tree = with_tasks({"T": trending_task(resumeTrend="yes", prodcePlotsOnUpdate="true")})
    tree["qc"]["config"]["Activity"].update(number="abc", type="1", start="123")
    tree["qc"]["config"]["postprocessing"]["periodSeconds"] = "fast"
    tree["qc"]["checks"] = {}
    tree["qc"]["tasks"] = {}
    warnings = messages(parsed(tree), "warning")
    assert warnings == [
        "qc.config.postprocessing.periodSeconds: 'fast' is not a number; O2 silently uses the default (10.0)",
        "qc.config.Activity.type: integer run type '1' read as 'PHYSICS' (legacy code)",
        "qc.config.Activity.start: ignored: objects get the validity of the triggers (as in QC)",
        "qc.config.Activity.number: 'abc' is not an integer; O2 silently uses the default (0)",
        "qc.postprocessing.T.resumeTrend: 'yes' is not a boolean (true, false, 1 or 0); O2 silently uses the default (False)",
        "qc.postprocessing.T.prodcePlotsOnUpdate: unknown key, ignored (did you mean 'producePlotsOnUpdate'?)",
        "qc.tasks: QC tasks process raw data online; qcflow qc runs post-processing only",
    ]


def test_override_typos_are_reported_as_such() -> None:
    tree = with_tasks({"T": trending_task()})
    diag = Diagnostics()
    diag.overridden |= apply_overrides(
        tree, parse_overrides("qc.config.Activty.number=5;qc.config.Activity.number=7")
    )
    config = parse_config(tree, "t.json", diagnostics=diag)
    assert config.common.activity.number == 7
    assert messages(config, "warning") == [
        "qc.config.Activty: --override-values created an unknown key (did you mean 'Activity'?)"
    ]


def test_inactive_tasks_are_not_checked() -> None:
    config = parsed(
        with_tasks(
            {
                "T": {
                    "active": "false",
                    "className": "nope",
                    "moduleName": "m",
                    "initTrigger": [],
                    "updateTrigger": [],
                    "stopTrigger": [],
                }
            }
        )
    )
    assert config.diagnostics.items == []
    assert config.active_tasks == []


def test_reductor_must_suit_the_source_type() -> None:
    task = trending_task()
    task["dataSources"][0]["type"] = "repository-quality"
    errors = messages(parsed(with_tasks({"T": task})))
    assert errors == [
        (
            f"qc.postprocessing.T.dataSources[0].reductorName: {TH1} reduces object "
            "objects, not the 'repository-quality' type's"
        )
    ]


def test_duplicate_source_names_and_missing_names() -> None:
    task = trending_task()
    task["dataSources"].append(dict(task["dataSources"][0], names=["vertex_X"]))
    task["dataSources"].append({"path": "p", "reductorName": TH1, "moduleName": "m"})
    errors = messages(parsed(with_tasks({"T": task})))
    assert errors == [
        "qc.postprocessing.T.dataSources[1].names: source name 'vertex_X' is used twice: the trend has one branch per name",
        "qc.postprocessing.T.dataSources[2]: has no 'name' value or 'names' list",
    ]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=6),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=10,
)
KEYS = [
    "className",
    "dataSources",
    "plots",
    "updateTrigger",
    "initTrigger",
    "names",
    "varexp",
    "type",
    "reductorName",
    "trendingTimestamp",
    "sourceRepo",
    "graphs",
    "style",
    "legend",
    "taskParameters",
    "extendedTaskParameters",
    "active",
    "path",
    "name",
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(KEYS), json_values), max_size=4), st.booleans())
def test_a_mangled_config_gives_diagnostics_never_a_crash(
    changes: list[tuple[str, object]], in_source: bool
) -> None:
    task = trending_task()
    for key, value in changes:
        target = task["dataSources"][0] if in_source else task
        target[key] = value
    tree = with_tasks({"T": task})
    tree["qc"]["checks"] = {
        "C": {"className": "c", "moduleName": "m", "dataSource": changes and changes[0][1]}
    }
    config = parsed(tree)  # must not raise
    assert all(d.path for d in config.diagnostics.items)


def test_null_sections_are_empty_as_in_o2() -> None:
    """O2DPG writes ``"postprocessing": null`` and ``"checks": null``; O2's property tree reads
    a section holding null as one with no members."""
    text = """{"qc": {"config": {"database": {"host": "qcdb"}, "Activity": {"number": "1"}},
                       "postprocessing": null, "checks": null, "aggregators": null}}"""
    loaded = parse_config_text(text, "nulls.json")
    config = parse_config(loaded.tree, loaded.source)
    assert config.diagnostics.items == []
    assert (config.tasks, config.checks, config.aggregators) == ({}, {}, {})
    wrong = parse_config_text(text.replace('"checks": null', '"checks": 5'), "five.json")
    assert messages(parse_config(wrong.tree, wrong.source)) == [
        "qc.checks: expected a JSON object, found a value"
    ]
