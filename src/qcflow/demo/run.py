"""``qcflow demo``: the four production workflows end to end on synthetic data, in a fresh
working directory.

1. fill ``<workdir>/qcdb`` (an embedded QCDB) with the synthetic objects of every workflow --
   vertexing (example), EMC cells and clusters, MCH digits and pre-clusters, ZDC reconstructed
   data -- for 50 runs of a period and two passes (:mod:`.datasets`, in parallel processes);
2. generate the full QC post-processing workflow for the period and pass, against that QCDB
   (``qcflow generate qc-postproc``; run 0: every run of the period);
3. run it with the runner (``qcflow run``), its four tasks in parallel; the run-specific MCH and
   ZDC tasks publish each run's objects under that run, their checks judge each run;
4. write the HTML report (``<workdir>/report/index.html``) and say where it is, with the
   deliberately bad runs the report must show.

The data are seeded and nothing depends on the wall clock: two demos give the same verdicts.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from qcflow._io import writable_dir
from qcflow.demo.datasets import Issue, fill_all, issues
from qcflow.errors import InvalidInput, QcflowError
from qcflow.qcdb.open import open_repository
from qcflow.report import ReportResult, build_report

__all__ = ["PASSES", "DemoResult", "run_demo"]

#: The passes the demo's data have (both are filled; the report is of one).
PASSES = ("apass1", "apass2")


@dataclass
class DemoResult:
    workdir: Path
    qcdb: Path
    workflow: Path
    report: ReportResult
    issues: list[Issue] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def run_demo(
    workdir: str | os.PathLike[str],
    *,
    period: str = "LHC24ab",
    pass_name: str = "apass1",  # noqa: S107 -- a pass name, not a password
    seed: int = 2024,
    runs: int = 50,
    say: Callable[[str], None] = print,
) -> DemoResult:
    """Do the four steps of the module docstring; raise :class:`QcflowError` if one fails,
    :class:`InvalidInput` (before doing anything) for a pass the data do not have or a working
    directory that cannot be one."""
    if pass_name not in PASSES:
        msg = f"pass {pass_name!r}: the demo's data have passes {' and '.join(PASSES)}"
        raise InvalidInput(msg)
    base = writable_dir(workdir, "the demo's working directory").resolve()
    store = base / "qcdb"
    # A fresh start: the runner would otherwise skip tasks its completion markers in QC/ say are
    # done, and the store would keep the objects of an earlier demo.
    for old in (store, base / "QC", base / "report"):
        shutil.rmtree(old, ignore_errors=True)
    timings: dict[str, float] = {}
    start = time.monotonic()
    filled = fill_all(
        str(store), period, PASSES, runs=runs, seed=seed, progress=lambda m: say(f"qcdb: {m}")
    )
    timings["fill"] = time.monotonic() - start
    workflow = _generate(base, period, pass_name, store)
    say(f"workflow: {workflow} (tasks: {', '.join(sorted(set(filled)))})")
    start = time.monotonic()
    _run(base, workflow, say)
    timings["run"] = time.monotonic() - start
    start = time.monotonic()
    report = _report(store, period, pass_name, base / "report")
    timings["report"] = time.monotonic() - start
    result = DemoResult(base, store, workflow, report, issues(runs, seed), timings)
    _tell(result, say)
    return result


def _generate(base: Path, period: str, pass_name: str, store: Path) -> Path:
    from qcflow.generators.qc_postproc import generate

    previous = Path.cwd()
    os.chdir(base)
    try:
        path, _ = generate("workflow.json", period=period, pass_name=pass_name, qcdb_url=str(store))
    finally:
        os.chdir(previous)
    return base / path


def _run(base: Path, workflow: Path, say: Callable[[str], None]) -> None:
    from qcflow.runner import RunOptions, run_workflow

    # Four tasks of one CPU each, all at once: they spend much of their time in I/O.
    options = RunOptions(workdir=base, cpu_limit=4, progress="auto")
    result = run_workflow(workflow, options)
    if not result.ok:
        msg = f"the workflow failed: see the logs in {base / 'QC'}"
        raise QcflowError(msg)
    say(f"run: done, no failed task (logs in {base / 'QC'})")


def _report(store: Path, period: str, pass_name: str, out: Path) -> ReportResult:
    repo = open_repository(str(store))
    try:
        return build_report(repo, period, pass_name, out)
    finally:
        repo.close()


def _tell(result: DemoResult, say: Callable[[str], None]) -> None:
    data = result.report.data
    say(
        f"report: {len(data.runs)} runs x {len(data.detectors)} detectors "
        f"({', '.join(data.detectors)})"
    )
    if not data.runs:
        return
    say("deliberately bad runs (the verdicts the report shows; EMC has no check, as in O2DPG):")
    for issue in result.issues:
        say(f"  run {issue.run} {issue.detector}: {issue.verdict} -- {issue.description}")
    figures = ", ".join(f"{k} {v:.1f} s" for k, v in result.timings.items())
    say(f"timings: {figures}")
    say(f"open {result.report.url}")
