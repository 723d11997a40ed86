"""Cross-references inside a config, and the order of its tasks."""

from __future__ import annotations

from pathlib import Path

import pytest

from qcflow.postprocessing.config.loader import load_config
from qcflow.postprocessing.config.schema import parse_config
from qcflow.postprocessing.engine.crossref import task_stages

from ._configs import messages, parsed, trending_task, with_tasks

CHECK = {"className": "c", "moduleName": "m", "detectorName": "TST", "policy": "OnAny"}
AGGREGATOR = {**CHECK, "className": "a"}


def reader(
    *inputs: str, trigger: str = "foreachlatest:qcdb:TST/MO/Trend/Trend"
) -> dict[str, object]:
    return {
        "className": "test::Reader",
        "moduleName": "m",
        "detectorName": "TST",
        "inputs": list(inputs),
        "initTrigger": ["userorcontrol"],
        "updateTrigger": [trigger],
        "stopTrigger": ["userorcontrol"],
    }


def test_a_check_naming_a_missing_task() -> None:
    checks = {
        "C": {**CHECK, "dataSource": [{"type": "PostProcessing", "name": "Trnd", "MOs": "all"}]}
    }
    config = parsed(with_tasks({"Trend": trending_task()}, checks=checks))
    assert messages(config) == [
        (
            "qc.checks.C.dataSource[0].name: no post-processing task 'Trnd' in this config "
            "(did you mean 'Trend'?)"
        )
    ]


def test_aggregators_must_name_existing_checks_and_not_shadow_them() -> None:
    checks = {"C": {**CHECK, "dataSource": [{"type": "PostProcessing", "name": "Trend"}]}}
    aggregators = {
        "A": {**AGGREGATOR, "dataSource": [{"type": "Check", "name": "D"}]},
        "C": {**AGGREGATOR, "dataSource": [{"type": "Aggregator", "name": "A"}]},
    }
    config = parsed(with_tasks({"Trend": trending_task()}, checks=checks, aggregators=aggregators))
    assert messages(config) == [
        "qc.aggregators.A.dataSource[0].name: no check 'D' in this config",
        "qc.aggregators.C: aggregator 'C' has the name of a check",
    ]


def test_quality_inputs_nobody_produces() -> None:
    checks = {"RecCheck": {**CHECK, "dataSource": [{"type": "PostProcessing", "name": "Trend"}]}}
    tasks = {"Trend": trending_task(), "Q": reader("TST/QO/QcRecCheck", "TST/QO/RecCheck")}
    config = parsed(with_tasks(tasks, checks=checks))
    assert messages(config) == []
    assert messages(config, "warning") == [
        (
            "qc.postprocessing.Q.inputs[0]: reads 'TST/QO/QcRecCheck', which no check or aggregator "
            "of this config produces (did you mean 'TST/QO/RecCheck'?); it must come from another job"
        )
    ]


@pytest.mark.shared
def test_o2dpg_zdc_quality_task_reads_a_check_that_does_not_exist(reference_configs: Path) -> None:
    loaded = load_config(str(reference_configs / "zdc.json"))
    tree = loaded.tree
    quality = tree["qc"]["postprocessing"]["ZDCQuality"]
    inputs = [
        f"{g['path']}/{o['name']}" for g in quality["qualityGroups"] for o in g["inputObjects"]
    ]
    # Stand in for QualityTask (issue 6) with a task that declares the same inputs.
    tree["qc"]["postprocessing"] = {"ZDCQuality": {**reader(*inputs), "detectorName": "ZDC"}}
    tree["qc"]["checks"]["RecCheck"]["dataSource"] = []
    config = parsed(tree)
    warnings = messages(config, "warning")
    assert any(
        "reads 'ZDC/QO/QcZDCRecCheck'" in w and "did you mean 'ZDC/QO/RecCheck'" in w
        for w in warnings
    )
    assert not any("ZDCQuality/ZDCQuality" in w for w in warnings)  # the aggregator makes it


def test_stages_put_consumers_after_producers() -> None:
    checks = {"C": {**CHECK, "dataSource": [{"type": "PostProcessing", "name": "Trend"}]}}
    aggregators = {"A": {**AGGREGATOR, "dataSource": [{"type": "Check", "name": "C"}]}}
    tasks = {
        "Late": reader("TST/QO/A/A", trigger="once"),
        "Trend": trending_task(),
        "Middle": reader("TST/MO/Trend/Trend", trigger="once"),
        "Watcher": reader(trigger="newobject:qcdb:TST/MO/Trend/Trend"),
    }
    config = parsed(with_tasks(tasks, checks=checks, aggregators=aggregators))
    stages = [[t.id for t in stage] for stage in task_stages(config)]
    assert stages == [["Trend", "Watcher"], ["Late", "Middle"]]


def test_cycles_are_warned_and_run_together() -> None:
    tasks = {"A": reader("TST/MO/B/x", trigger="once"), "B": reader("TST/MO/A/x", trigger="once")}
    config = parse_config(with_tasks(tasks), "t.json")
    assert [[t.id for t in s] for s in task_stages(config)] == [["A", "B"]]
    assert len(messages(config, "warning")) == 2
