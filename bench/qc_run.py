"""Per-run `qcflow qc` benchmark: the production pattern, one workflow per run.

1. Fills an embedded store with the demo's data sets (vertexing, ZDC, MCH, EMC) for a few runs of
   one period and pass; an existing store at --store is reused.
2. Generates the per-run QC post-processing workflow (``qcflow generate qc-postproc --run R``) and
   runs the commands of its example, ZDC and MCH tasks as the runner would: each `qcflow qc` a
   process of its own, start-up included, to the last publication.
3. Prints, per config, the median wall time and CPU (user + system) of ``--repeat`` runs, next to
   the floor of the same round: an interpreter that only starts (``python -c pass``) and one that
   imports what any run of these configs needs (numpy, uproot, matplotlib's Agg canvas).

Goal (issue 17): <= 2 s wall per config on a quiet 2-core machine. The load average is printed:
on a loaded machine wall time stretches while CPU time does not, so both are shown.

    python bench/qc_run.py [--runs 3] [--repeat 3] [--store DIR]
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

from qcflow.demo.datasets import fill_all
from qcflow.demo.vertexing import FIRST_RUN

CONFIGS = ("example", "ZDC", "MCH")
PERIOD, PASS = "LHC24ab", "apass1"
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
    """The example, ZDC and MCH commands of the generated per-run workflow."""
    wf = workdir / "wf.json"
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="runs of data in the store")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--store", type=Path, help="embedded store to fill or reuse")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qcflow-qc-bench-") as tmp:
        workdir = Path(tmp)
        store = args.store or workdir / "qcdb"
        if not (store / "index.sqlite").exists():
            fill_all(str(store), PERIOD, (PASS,), runs=args.runs)
        argvs = commands(store, FIRST_RUN + 1, workdir)
        floors = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "imports only": [sys.executable, "-c", IMPORTS],
        }
        print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (1 min)")
        print(
            f"one run ({FIRST_RUN + 1}) of {PERIOD} {PASS}, embedded store; medians of"
            f" {args.repeat}, every contender once per round"
        )
        times: dict[str, list[tuple[float, float]]] = {k: [] for k in [*argvs, *floors]}
        for _ in range(args.repeat):
            for name, argv in [*argvs.items(), *floors.items()]:
                times[name].append(timed(argv, workdir))
        base = statistics.median(w for w, _ in times["python -c pass"])
        print(f"{'':<16}{'wall s':>8}{'CPU s':>8}{'x start':>9}   goal")
        for name, got in times.items():
            wall = statistics.median(w for w, _ in got)
            cpu = statistics.median(c for _, c in got)
            goal = "<= 2 s wall" if name in argvs else "floor"
            print(f"{name:<16}{wall:>8.2f}{cpu:>8.2f}{wall / base:>9.1f}   {goal}")
        print(f"load average {os.getloadavg()[0]:.1f} (1 min) at the end")


if __name__ == "__main__":
    main()
