"""What the UI knows of a trend tree's plots: the ``varexp`` of qcflow's shipped configs.

A trend TTree (``TrendingTask``, ``SliceTrendingTask``) carries no record of the plots its
config draws from it; qcflow's own configs (``qcflow/data/qc-postproc-async/*.json``) do. The
object view pre-fills its ``TTree::Draw`` box with the first plot of the task that wrote the tree,
when a shipped config has a task of that name; for other trees the page picks a branch itself.
Configs are read as plain JSON (the UI does not load the post-processing engine).
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from qcflow._types import JSONObject

__all__ = ["trend_plots"]


@functools.cache
def _shipped_tasks() -> dict[str, list[JSONObject]]:
    tasks: dict[str, list[JSONObject]] = {}
    folder = resources.files("qcflow").joinpath("data", "qc-postproc-async")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        try:
            config: Any = json.loads(entry.read_text())
            section = config["qc"]["postprocessing"] or {}
        except (ValueError, KeyError, TypeError):
            continue  # a config the engine would refuse; nothing to offer from it
        for name, task in section.items():
            plots = task.get("plots") if isinstance(task, dict) else None
            if isinstance(plots, list):
                tasks.setdefault(name, []).extend(
                    {k: str(p.get(k, "")) for k in ("name", "varexp", "selection", "option")}
                    for p in plots
                    if isinstance(p, dict) and p.get("varexp")
                )
    return tasks


def trend_plots(task_name: str) -> list[JSONObject]:
    """The plots (name, varexp, selection, option) shipped configs draw from ``task_name``'s
    tree; empty when no shipped config has that task."""
    return list(_shipped_tasks().get(task_name, []))
