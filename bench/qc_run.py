"""Per-run `qcflow qc` benchmark: the production pattern, one workflow per run.

1. Fills an embedded store with the demo's data sets (vertexing, ZDC, MCH, EMC) for a few runs of
   one period and pass; an existing store at --store is reused.
2. Picks, per config, the newest run of the store that has that config's input data (the objects
   its ``foreachlatest``/``newobject`` triggers watch: MCH has only every sixth run of the demo's
   period, so one run for every config would time an MCH run that publishes nothing), generates
   the per-run QC post-processing workflow for it (``qcflow generate qc-postproc --run R``) and
   runs that config's command as the runner would: each `qcflow qc` a process of its own,
   start-up included, to the last publication. A command that publishes nothing for its run
   stops the bench.
3. Prints, per config, the median wall time and CPU (user + system) of ``--repeat`` runs, next to
   the floor of the same round: an interpreter that only starts (``python -c pass``) and one that
   imports what any run of these configs needs (numpy, uproot, matplotlib's Agg canvas).

Goal (issue 17): <= 2 s wall per config on a quiet 2-core machine. The load average is printed:
on a loaded machine wall time stretches while CPU time does not, so both are shown.

    python bench/qc_run.py [--runs 3] [--repeat 3] [--store DIR]

Printed per config: the run used and how many objects its last round published.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from qcflow.demo.datasets import fill_all
from qcflow.objects.metadata import PASS_NAME, PERIOD_NAME, RUN_NUMBER
from qcflow.postprocessing.config.overrides import parse_overrides
from qcflow.postprocessing.triggers.trigger import parse_trigger
from qcflow.qcdb.open import open_repository
from qcflow.qcdb.repository import Repository

CONFIGS = ("example", "ZDC", "MCH")
PERIOD, PASS, PROVENANCE = "LHC24ab", "apass1", "qc_async"
FILTERS = {PERIOD_NAME: PERIOD, PASS_NAME: PASS}
IMPORTS = "import numpy, uproot; from matplotlib.backends.backend_agg import FigureCanvasAgg"


def timed(argv: list[str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{shlex.join(argv)} failed: {done.stderr.decode(errors='replace')[-600:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def commands(store: Path, run: int, workdir: Path) -> dict[str, list[str]]:
    """The example, ZDC and MCH commands of the per-run workflow generated for ``run``."""
    wf = workdir / f"wf-{run}.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "qcflow",
            "generate",
            "qc-postproc",
            "--run",
            str(run),
            "--periodName",
            PERIOD,
            "--passName",
            PASS,
            "--qcdbUrl",
            str(store),
            "-o",
            str(wf),
        ],
        check=True,
        capture_output=True,
    )
    stages = json.loads(wf.read_text())["stages"]
    found = {}
    for stage in stages:
        if stage["name"] in CONFIGS:
            argv = shlex.split(stage["cmd"])
            assert argv[:2] == ["qcflow", "qc"], argv
            found[stage["name"]] = [sys.executable, "-m", "qcflow", *argv[1:], "-q"]
    return found


def config_of(argv: list[str]) -> dict[str, Any]:
    """The JSON config a ``qcflow qc`` command runs (its ``--config json://PATH``)."""
    url = argv[argv.index("--config") + 1]
    loaded: dict[str, Any] = json.loads(Path(url.removeprefix("json://")).read_text())
    return loaded


def input_paths(config: dict[str, Any]) -> list[str]:
    """The QCDB paths the config's database triggers watch (its tasks' input data)."""
    paths = []
    for task in (config["qc"].get("postprocessing") or {}).values():
        triggers = task.get("updateTrigger", []) if isinstance(task, dict) else []
        for text in triggers:
            spec = parse_trigger(text)
            if spec.path:
                paths.append(f"{PROVENANCE}/{spec.path.strip('/')}")
    return paths


def runs_with(repo: Repository, paths: list[str]) -> list[int]:
    """The runs of the period and pass that have an object at any of ``paths``, sorted."""
    runs = set()
    for path in paths:
        for info in repo.browse(path, FILTERS):
            text = info.metadata.get(RUN_NUMBER, "")
            if text.isdigit() and int(text):
                runs.add(int(text))
    return sorted(runs)


def pick_runs(repo: Repository, store: Path, workdir: Path) -> dict[str, tuple[int, list[str]]]:
    """Per config, the command generated for the newest run with its input data, and the run
    that command runs (0 for a config that trends the whole period)."""
    probe = commands(store, 0, workdir)
    missing = [name for name in CONFIGS if name not in probe]
    if missing:
        sys.exit(f"the generated workflow has no {', '.join(missing)} task")
    picked = {}
    for name in CONFIGS:
        paths = input_paths(config_of(probe[name]))
        runs = runs_with(repo, paths)
        if not runs:
            sys.exit(f"{name}: no run of {PERIOD} {PASS} in the store has {', '.join(paths)}")
        argv = commands(store, runs[-1], workdir)[name]
        picked[name] = (activity_run(argv), argv)
    return picked


def activity_run(argv: list[str]) -> int:
    """The run a ``qcflow qc`` command's ``--override-values`` set (0: every run, as the
    example's trend of the period)."""
    overrides = dict(parse_overrides(argv[argv.index("--override-values") + 1]))
    return int(overrides.get("qc.config.Activity.number") or 0)


def published(repo: Repository, run: int, since_ms: int) -> int:
    """How many objects of ``run`` were created at or after ``since_ms``."""
    listing = repo.browse(f"{PROVENANCE}/.*", {**FILTERS, RUN_NUMBER: str(run)})
    return sum(1 for info in listing if info.created >= since_ms)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--runs", type=int, default=3, help="runs of data in a new store (MCH: every sixth)"
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--store", type=Path, help="embedded store to fill or reuse")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qcflow-qc-bench-") as tmp:
        workdir = Path(tmp)
        store = args.store or workdir / "qcdb"
        if not (store / "index.sqlite").exists():
            fill_all(str(store), PERIOD, (PASS,), runs=args.runs)
        repo = open_repository(str(store), create=False)
        picked = pick_runs(repo, store, workdir)
        floors = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "imports only": [sys.executable, "-c", IMPORTS],
        }
        print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (1 min)")
        print(
            f"one run of {PERIOD} {PASS} per config, embedded store; medians of"
            f" {args.repeat}, every contender once per round"
        )
        times: dict[str, list[tuple[float, float]]] = {k: [] for k in [*picked, *floors]}
        counts: dict[str, int] = {}
        for _ in range(args.repeat):
            for name, (run, argv) in picked.items():
                since = time.time_ns() // 1_000_000
                times[name].append(timed(argv, workdir))
                counts[name] = published(repo, run, since)
                if not counts[name]:
                    sys.exit(f"{name} published nothing for run {run}: {shlex.join(argv)}")
            for name, argv in floors.items():
                times[name].append(timed(argv, workdir))
        base = statistics.median(w for w, _ in times["python -c pass"])
        print(f"{'':<16}{'run':>7}{'objects':>8}{'wall s':>8}{'CPU s':>8}{'x start':>9}   goal")
        for name, got in times.items():
            wall = statistics.median(w for w, _ in got)
            cpu = statistics.median(c for _, c in got)
            run, count = ("", "")
            if name in picked:
                run, count = str(picked[name][0] or "all"), str(counts[name])
            goal = "<= 2 s wall" if name in picked else "floor"
            print(
                f"{name:<16}{run:>7}{count:>8}{wall:>8.2f}{cpu:>8.2f}{wall / base:>9.1f}   {goal}"
            )
        print(f"load average {os.getloadavg()[0]:.1f} (1 min) at the end")


if __name__ == "__main__":
    main()
