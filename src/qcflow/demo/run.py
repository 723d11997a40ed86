"""``qcflow demo``: the main job end to end on synthetic data, in a fresh working directory.

1. fill ``<workdir>/qcdb`` (an embedded QCDB) with the vertexing objects of 50 runs and two
   passes (:mod:`.vertexing`);
2. generate the QC post-processing workflow restricted to ``example`` for the period and pass
   (``qcflow generate qc-postproc --only example``), against that QCDB;
3. run it with the runner (``qcflow run``): its one task runs ``qcflow qc`` on qcflow's
   ``example.json`` -- the beam-spot TrendingTask over every run of the period and pass;
4. export the plots the task stored to ``<workdir>/plots/*.png`` and the trend to
   ``<workdir>/plots/<task>.csv``, and say where everything is.

The data are seeded and the trend depends only on them (not on the wall clock), so two demos
give the same trend and plots.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from qcflow._io import atomic_write_bytes, atomic_write_text
from qcflow.demo.vertexing import fill_vertexing
from qcflow.errors import QcflowError
from qcflow.postprocessing.decoding import decode
from qcflow.qcdb.open import open_repository
from qcflow.qcdb.repository import Repository

__all__ = ["DemoResult", "run_demo"]

TREND_FOLDER = "qc_async/TST/MO/BeamSpotTrending"


@dataclass
class DemoResult:
    workdir: Path
    qcdb: Path
    workflow: Path
    objects: list[str] = field(default_factory=list)
    exported: list[Path] = field(default_factory=list)


def run_demo(
    workdir: str | os.PathLike[str],
    *,
    period: str = "LHC24ab",
    pass_name: str = "apass1",  # noqa: S107 -- a pass name, not a password
    seed: int = 2024,
    say: Callable[[str], None] = print,
) -> DemoResult:
    """Do the four steps of the module docstring; raise :class:`QcflowError` if one fails."""
    base = Path(workdir).resolve()
    base.mkdir(parents=True, exist_ok=True)
    store = base / "qcdb"
    # A fresh start: the runner would otherwise skip the task its completion marker in QC/ says
    # is done, and the store would keep the trend of an earlier demo.
    for old in (store, base / "QC", base / "plots"):
        shutil.rmtree(old, ignore_errors=True)
    repo = open_repository(str(store))
    try:
        fill_vertexing(repo, period=period, seed=seed, progress=lambda m: say(f"qcdb: {m}"))
    finally:
        repo.close()
    workflow = _generate(base, period, pass_name, store)
    say(f"workflow: {workflow} (task 'example')")
    _run(base, workflow, say)
    result = DemoResult(base, store, workflow)
    _export(result, say)
    return result


def _generate(base: Path, period: str, pass_name: str, store: Path) -> Path:
    from qcflow.generators.qc_postproc import generate

    previous = Path.cwd()
    os.chdir(base)
    try:
        path, _ = generate("workflow.json", period=period, pass_name=pass_name,
                           qcdb_url=str(store), only=["example"])  # fmt: skip
    finally:
        os.chdir(previous)
    return base / path


def _run(base: Path, workflow: Path, say: Callable[[str], None]) -> None:
    from qcflow.runner import RunOptions, run_workflow

    # The workflow's tasks call `qcflow`: make sure it is this installation's.
    bin_dir = str(Path(sys.executable).parent)
    os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])
    result = run_workflow(workflow, RunOptions(workdir=base, cpu_limit=2, progress="auto"))
    if not result.ok:
        msg = f"the workflow failed: see the logs in {base / 'QC'}"
        raise QcflowError(msg)
    say(f"run: done ({base / 'QC' / 'example.log'})")


def _export(result: DemoResult, say: Callable[[str], None]) -> None:
    repo = open_repository(str(result.qcdb))
    try:
        plots = result.workdir / "plots"
        plots.mkdir(exist_ok=True)
        for info in repo.latest(TREND_FOLDER + "/.*"):
            result.objects.append(info.path)
            result.exported.append(_export_one(repo, info.path, plots))
    finally:
        repo.close()
    if not result.objects:
        msg = f"the run stored nothing under {TREND_FOLDER} in {result.qcdb}"
        raise QcflowError(msg)
    say("QCDB objects:")
    for path in result.objects:
        say(f"  {path}")
    say(f"exported: {', '.join(str(p) for p in result.exported)}")


def _export_one(repo: Repository, path: str, folder: Path) -> Path:
    fetched = repo.get(path, repo.latest(path)[0].valid_from)
    name = path.rsplit("/", 1)[-1]
    if fetched.info.content_type == "image/png":
        return atomic_write_bytes(folder / f"{name}.png", fetched.data)
    columns = decode(fetched.data, fetched.info)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(list(columns))
    writer.writerows(zip(*columns.values(), strict=True))
    return atomic_write_text(folder / f"{name}.csv", text.getvalue())
