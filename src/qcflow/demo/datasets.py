"""The demo's synthetic data sets, one per workflow, and filling them in parallel.

Each data set is a function ``fill(repo, *, period, passes, runs, seed, progress)`` storing the
objects its config reads for every run of the period and pass; all use the same run schedule
(:func:`~qcflow.demo.vertexing.vertexing_runs`), so every detector has the same runs.

Filling is split by data set and pass over worker processes, which make and encode the objects
(the costly part) into a :class:`Recording`; this process stores them, as the only writer (many
processes writing one SQLite index at once wait on each other more than they gain).

Deliberately bad runs, by run index in the period (:func:`issues`): ZDC (:data:`~.zdc.ZDC_ISSUES`),
MCH (:data:`~.mch.MCH_ISSUES`), EMC (:func:`~.emc.emc_issues`: a dead supermodule, which no check
judges -- EMC has none, as in O2DPG -- so its verdict is :data:`~.emc.NOT_JUDGED`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, cast

from qcflow.demo.vertexing import vertexing_runs
from qcflow.qcdb.repository import Repository

__all__ = ["DATASETS", "Issue", "Recording", "fill_all", "issues"]

#: Workflow name -> "module:function" filling its data; the costliest to store first, so that
#: storing it overlaps with making the others.
DATASETS: Mapping[str, str] = {
    "ZDC": "qcflow.demo.zdc:fill_zdc",
    "EMC": "qcflow.demo.emc:fill_emc",
    "MCH": "qcflow.demo.mch:fill_mch",
    "example": "qcflow.demo.vertexing:fill_vertexing",
}


@dataclass(frozen=True)
class Issue:
    """A deliberately bad run: which, what is wrong, and the verdicts its checks must give."""

    detector: str
    run: int
    description: str
    verdict: str  # the worst verdict the detector's checks must give (EMC: NOT_JUDGED)


def _attribute(target: str) -> Any:
    """``module:name``, or None when the module or the name does not exist."""
    module, _, name = target.partition(":")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


def available() -> dict[str, Callable[..., Any]]:
    """The data sets whose generator is installed (EMC's comes with the quality issue)."""
    out = {}
    for name, target in DATASETS.items():
        function = _attribute(target)
        if callable(function):
            out[name] = function
    return out


@dataclass
class Recording:
    """Stands in for a repository in a worker: keeps what would be stored, to store later."""

    url: str = "recording"
    calls: list[tuple[str, bytes, dict[str, Any]]] = field(default_factory=list)

    def store(self, path: str, data: bytes, **options: Any) -> None:
        self.calls.append((path, data, options))

    def replay(self, repo: Repository) -> int:
        for path, data, options in self.calls:
            repo.store(path, data, **options)
        return len(self.calls)

    def runs(self) -> int:
        """How many runs the recorded objects are of (MCH has fewer than the period)."""
        return len({o.get("metadata", {}).get("RunNumber") for _, _, o in self.calls})


def _record(name: str, period: str, pass_name: str, runs: int, seed: int) -> Recording:
    recording = Recording()
    repo = cast("Repository", recording)
    available()[name](repo, period=period, passes=(pass_name,), runs=runs, seed=seed)
    return recording


def fill_all(
    store: str,
    period: str,
    passes: tuple[str, ...],
    *,
    runs: int = 50,
    seed: int = 2024,
    workers: int = 2,
    progress: Callable[[str], None] | None = None,
) -> list[str]:
    """Fill every available data set for every pass into the store at ``store``."""
    from qcflow.qcdb.local import LocalRepository

    jobs = [(name, p) for name in available() for p in passes]
    repo = LocalRepository(store, fsync=False)  # synthetic data: no need to survive a power cut
    try:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_record, n, period, p, runs, seed) for n, p in jobs]
            for (name, pass_name), future in zip(jobs, futures, strict=True):
                recording = future.result()
                count = recording.replay(repo)
                if progress:
                    had = recording.runs()
                    some = f"{had} of {runs}" if had < runs else f"{runs}"
                    progress(f"{name} {pass_name}: {some} runs of {period}, {count} objects")
    finally:
        repo.close()
    return [name for name, _ in jobs]


def issues(runs: int = 50, seed: int = 2024) -> list[Issue]:
    """Every deliberately bad run of the period, with the verdict it must get."""
    from qcflow.demo.emc import emc_issues
    from qcflow.demo.mch import MCH_ISSUES
    from qcflow.demo.zdc import ZDC_ISSUES

    schedule = vertexing_runs(runs, seed)
    out = []
    for index, (text, verdict) in ZDC_ISSUES.items():
        if index < runs:
            out.append(Issue("ZDC", schedule[index].number, text, verdict))
    for index, issue in MCH_ISSUES.items():
        if index < runs:
            worst = next(
                v for v in ("Bad", "Medium", "Good") if v in (issue.digits, issue.preclusters)
            )
            out.append(Issue("MCH", schedule[index].number, issue.description, worst))
    for index, (text, verdict) in emc_issues(runs).items():
        out.append(Issue("EMC", schedule[index].number, text, verdict))
    return sorted(out, key=lambda i: (i.run, i.detector))
