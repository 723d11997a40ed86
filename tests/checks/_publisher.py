"""Test helpers: a task that publishes histograms on a script, a check that records its calls,
and configs running them through the engine with the check runner."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from qcflow.checks.check import Check
from qcflow.objects.activity import Activity
from qcflow.objects.quality import Quality
from qcflow.objects.root import Axis, Histogram, stats_from_bins
from qcflow.postprocessing.config.classes import REGISTRY
from qcflow.postprocessing.engine.object_manager import PublicationPolicy
from qcflow.postprocessing.engine.services import Services
from qcflow.postprocessing.engine.task import Task
from qcflow.postprocessing.triggers.trigger import Trigger
from qcflow.qcdb.local import LocalRepository

HOUR = 3_600_000
T0 = 1_714_521_600_000


def histogram(name: str, entries: float) -> Histogram:
    values = np.array([0.0, entries, 0.0])
    h = Histogram("TH1F", name, name, (Axis(np.array([0.0, 1.0])),), values, values.copy(), entries)
    h.stats = stats_from_bins(h)
    return h


class Publisher(Task):
    """Update i publishes the histograms named in ``plan`` (``"a,b;b;;a"``), once each, with
    ``i + 1`` entries -- or the run number with ``entries=run``."""

    def initialize(self, trigger: Trigger, services: Services) -> None:
        plan = self.config.parameters.get("plan") or ""
        self.plan = [[n for n in step.split(",") if n] for step in plan.split(";")]
        self.step = 0

    def update(self, trigger: Trigger, services: Services) -> None:
        names = self.plan[self.step] if self.step < len(self.plan) else []
        by_run = self.config.parameters.get("entries") == "run"
        for name in names:
            entries = float(trigger.activity.number if by_run else self.step + 1)
            self.objects.start_publishing(histogram(name, entries), name, PublicationPolicy.ONCE)
        self.step += 1


class Recorder(Check):
    """Records each call; Bad when a histogram has fewer entries than ``minEntries``."""

    calls: ClassVar[list[tuple[str, tuple[str, ...]]]] = []

    def check(self, objects: Mapping[str, Any], activity: Activity) -> Quality:
        Recorder.calls.append((self.config.name, tuple(objects)))
        limit = self.parameters.get_float("minEntries", 0.0, activity)
        low = [n for n, h in objects.items() if h.entries < limit]
        if low:
            return Quality.BAD.with_flag("Unknown", f"{', '.join(low)} below {limit:g}")
        return Quality.GOOD


REGISTRY.add("task", "test::Publisher", Publisher)
REGISTRY.add("check", "test::Recorder", Recorder)


def fill_runs(repo: LocalRepository, runs: range) -> None:
    """One trigger object per run: ``qc_async/TST/MO/Seed/seed``, valid during the run."""
    for run in runs:
        activity = Activity(run, "PHYSICS", "LHC24ab", "apass1", "qc_async")
        meta = {**activity.metadata(), "ObjectType": "TH1F"}
        repo.store(
            "qc_async/TST/MO/Seed/seed",
            b"x",
            valid_from=T0 + run * HOUR,
            valid_until=T0 + run * HOUR + HOUR // 2,
            metadata=meta,
        )


def publisher(plan: str, **parameters: str) -> dict[str, Any]:
    return {
        "className": "test::Publisher",
        "moduleName": "Test",
        "detectorName": "TST",
        "taskParameters": {"plan": plan, **parameters},
        "initTrigger": ["userorcontrol"],
        "updateTrigger": ["foreachlatest:qcdb:TST/MO/Seed/seed"],
        "stopTrigger": ["userorcontrol"],
    }


def check(policy: str = "OnAny", mos: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    source: dict[str, Any] = {"type": "PostProcessing", "name": "Pub"}
    if mos is not None:
        source["MOs"] = mos
    config = {
        "className": "test::Recorder",
        "moduleName": "Test",
        "detectorName": "TST",
        "policy": policy,
        "dataSource": [source],
    }
    config.update(extra)
    return config
