"""Test helper: small configs built in code."""

from __future__ import annotations

import copy
from typing import Any

from qcflow.postprocessing.config.classes import REGISTRY
from qcflow.postprocessing.config.schema import QcConfig, TaskConfig, parse_config
from qcflow.postprocessing.config.values import Node
from qcflow.postprocessing.engine.crossref import cross_check
from qcflow.postprocessing.engine.task import Task, task_reads

TRENDING = "o2::quality_control::postprocessing::TrendingTask"
TH1 = "o2::quality_control_modules::common::TH1Reductor"


class Reader(Task):
    """A task whose config lists the QCDB paths it reads (``inputs``)."""

    @classmethod
    def parse_options(cls, node: Node, config: TaskConfig) -> list[str]:
        return node.strings("inputs")

    @classmethod
    def reads(cls, config: TaskConfig) -> list[tuple[str, str]]:
        paths = [(f"{config.path}.inputs[{i}]", p) for i, p in enumerate(config.options or [])]
        return task_reads(config) + paths


REGISTRY.add("task", "test::Reader", Reader)


class Check:
    """Stands for a check class in configs that are only read, never run."""

    kind = "check"


class Aggregator:
    kind = "aggregator"


REGISTRY.add("check", "c", Check)
REGISTRY.add("aggregator", "a", Aggregator)


def base(host: str = "") -> dict[str, Any]:
    return {
        "qc": {
            "config": {
                "database": {"implementation": "CCDB", "host": host},
                "Activity": {
                    "number": "0",
                    "type": "PHYSICS",
                    "passName": "apass1",
                    "periodName": "LHC24ab",
                    "provenance": "qc_async",
                },
                "postprocessing": {"periodSeconds": "0.01"},
            },
            "postprocessing": {},
        }
    }


def trending_task(**extra: Any) -> dict[str, Any]:
    task = {
        "active": "true",
        "className": TRENDING,
        "moduleName": "QualityControl",
        "detectorName": "TST",
        "producePlotsOnUpdate": "false",
        "dataSources": [
            {
                "type": "repository",
                "path": "GLO/MO/Vertexing",
                "names": ["vertex_X", "vertex_Y"],
                "reductorName": TH1,
                "moduleName": "QcCommon",
            }
        ],
        "plots": [
            {
                "name": "x_trend",
                "title": "x;run;x [cm]",
                "varexp": "vertex_X.mean:meta.runNumber",
                "graphErrors": "0:vertex_X.stddev/sqrt(vertex_X.entries)",
                "option": "*",
            }
        ],
        "initTrigger": ["userorcontrol"],
        "updateTrigger": ["foreachlatest:qcdb:GLO/MO/Vertexing/beamSpot"],
        "stopTrigger": ["userorcontrol"],
    }
    task.update(extra)
    return task


def with_tasks(tasks: dict[str, Any], host: str = "", **sections: Any) -> dict[str, Any]:
    tree = base(host)
    tree["qc"]["postprocessing"] = copy.deepcopy(tasks)
    tree["qc"].update(copy.deepcopy(sections))
    return tree


def parsed(tree: dict[str, Any]) -> QcConfig:
    config = parse_config(tree, "test.json")
    cross_check(config)
    return config


def messages(config: QcConfig, level: str = "error") -> list[str]:
    return [str(d) for d in config.diagnostics.items if d.level == level]
