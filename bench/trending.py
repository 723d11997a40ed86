"""Trending benchmark: 3 histograms over 1,000 runs with foreachlatest, embedded and via the server.

    python bench/trending.py [--runs 1000] [--store DIR] [--no-server]

1. Fills an embedded store with the demo's vertexing objects (``vertex_X/Y/Z`` TH1F and the
   ``beamSpot`` TH2F the trigger iterates over) for RUNS runs of one period and pass; an existing
   store of the same size at --store is reused.
2. Runs a TrendingTask like O2DPG's example (3 sources, TH1Reductor, 3 plots drawn at the end)
   with ``foreachlatest`` over all runs: on the embedded store, then through ``qcflow qcdb serve``
   (2 workers) on a free local port; each also with ``--no-IPC`` (serial, one process).
3. Prints the median seconds of --rounds runs (best and worst in brackets) and objects/s next
   to two floors: one measured in the same run (reading the
   3 x RUNS objects' bytes from the same store, nothing decoded: what any trending must do) and
   that of QC's C++ runner design, one update per ``periodSeconds`` tick (0.1 s in O2DPG's
   configs), i.e. RUNS x 0.1 s; and the load average (the machine may be shared). Through the
   server it also prints the CPU seconds per round of this process (the client: fetching,
   decoding, plots; not the reduction workers) and of the server's processes, which says which
   side the wall time waits on.
Goals (issue 17): <= 2.5 s embedded, <= 6 s through the server, for 1,000 runs.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from qcdb import start_qcdb  # bench/qcdb.py: one way to start a server for every bench
from qcflow.demo.vertexing import fill_vertexing
from qcflow.postprocessing.engine.api import load
from qcflow.postprocessing.engine.engine import Engine, EngineOptions
from qcflow.qcdb import LocalRepository, Query, fetch_many
from qcflow.qcdb.open import open_repository

PERIOD_SECONDS = 0.1


def config(host: str) -> dict[str, object]:
    sources = ["vertex_X", "vertex_Y", "vertex_Z"]
    plots = [
        {
            "name": f"{s}_trend",
            "title": f"{s};run;[cm]",
            "varexp": f"{s}.mean:meta.runNumber",
            "graphErrors": f"0:{s}.stddev/sqrt({s}.entries)",
            "option": "*",
        }
        for s in sources
    ]
    task = {
        "className": "o2::quality_control::postprocessing::TrendingTask",
        "moduleName": "QualityControl",
        "detectorName": "TST",
        "producePlotsOnUpdate": "false",
        "dataSources": [
            {
                "type": "repository",
                "path": "GLO/MO/Vertexing",
                "names": sources,
                "reductorName": "o2::quality_control_modules::common::TH1Reductor",
                "moduleName": "QcCommon",
            }
        ],
        "plots": plots,
        "initTrigger": ["userorcontrol"],
        "updateTrigger": ["foreachlatest:qcdb:GLO/MO/Vertexing/beamSpot"],
        "stopTrigger": ["userorcontrol"],
    }
    activity = {
        "number": "0",
        "type": "PHYSICS",
        "periodName": "LHC24ab",
        "passName": "apass1",
        "provenance": "qc_async",
    }
    return {
        "qc": {
            "config": {
                "database": {"implementation": "CCDB", "host": host},
                "Activity": activity,
                "postprocessing": {"periodSeconds": str(PERIOD_SECONDS)},
            },
            "postprocessing": {"BeamSpotTrending": task},
        }
    }


def fill(root: Path, runs: int) -> None:
    marker = root / f"filled-{runs}"
    if marker.exists():
        print(f"reusing {root} ({runs} runs x 4 objects)")
        return
    shutil.rmtree(root, ignore_errors=True)
    repo = LocalRepository(root, fsync=False)
    start = time.perf_counter()
    fill_vertexing(repo, passes=("apass1",), runs=runs)
    repo.close()
    print(f"filled {runs} runs x 4 objects in {time.perf_counter() - start:.1f} s")
    marker.touch()


def server_cpu(pid: int) -> float:
    """CPU seconds used so far by the server process ``pid`` and its worker processes."""
    procs = [psutil.Process(pid)]
    procs += procs[0].children(recursive=True)
    total = 0.0
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            times = proc.cpu_times()
            total += times.user + times.system
    return total


def trend(
    host: str, tmp: Path, *, parallel: bool, rounds: int, server: int | None = None
) -> tuple[list[float], int, str]:
    """The times of ``rounds`` runs (other processes share the cores), the updates and, with
    the ``server`` process id, a line with the median CPU seconds of client and server."""
    path = tmp / "bench.json"
    path.write_text(json.dumps(config(host)))
    times, client_cpu, served_cpu = [], [], []
    for _ in range(rounds):
        qc = load(str(path))
        served = server_cpu(server) if server is not None else 0.0
        cpu = time.process_time()
        start = time.perf_counter()
        summary = Engine(qc, EngineOptions(parallel=parallel, extensions=False)).run()
        times.append(time.perf_counter() - start)
        client_cpu.append(time.process_time() - cpu)
        if server is not None:
            served_cpu.append(server_cpu(server) - served)
    note = ""
    if server is not None:
        note = (
            f"{'':<22} CPU per round: client {statistics.median(client_cpu):.2f} s, "
            f"server {statistics.median(served_cpu):.2f} s (medians)"
        )
    return times, summary.tasks[0].updates, note


def read_floor(host: str, rounds: int, runs: int) -> float:
    """Best time to read the bytes of every vertex_X/Y/Z version (``runs`` of each) from ``host``,
    undecoded."""
    times = []
    for _ in range(rounds):
        repo = open_repository(host)
        start = time.perf_counter()
        paths = [f"qc_async/GLO/MO/Vertexing/vertex_{s}" for s in ("X", "Y", "Z")]
        infos = [i for path in paths for i in repo.browse(path)]
        got = fetch_many(repo, [Query(i.path, i.valid_from, uuid=i.id) for i in infos])
        times.append(time.perf_counter() - start)
        repo.close()
        if len(got) < 3 * runs or not all(got):
            sys.exit("the vertexing objects could not be read")
    return min(times)


def report(label: str, times: list[float], updates: int, target: float | None, read: float) -> None:
    """The median of the rounds (best and worst in brackets) against the goal and floors."""
    took = statistics.median(times)
    objects = updates * 3
    floor = updates * PERIOD_SECONDS
    verdict = ""
    if target is not None:
        verdict = f" (goal <= {target:g} s: {'met' if took <= target else 'MISSED'})"
    print(
        f"{label:<22} {took:6.2f} s [{min(times):.2f}-{max(times):.2f}] {objects / took:6.0f} "
        f"objects/s {took / read:5.1f}x the read floor ({read:.2f} s), {floor / took:5.1f}x "
        f"faster than the C++ floor ({floor:.0f} s){verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--store", type=Path, help="store directory to fill or reuse")
    parser.add_argument("--no-server", action="store_true", help="skip the server measurement")
    parser.add_argument("--rounds", type=int, default=3, help="median of ROUNDS runs (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qcflow-bench-") as tmp_name:
        tmp = Path(tmp_name)
        root = args.store or tmp / "qcdb"
        fill(root, args.runs)
        print(
            f"trending 3 histograms over {args.runs} runs (foreachlatest, 3 plots at the end), "
            f"median of {args.rounds}; {os.cpu_count()} cores, load average "
            f"{os.getloadavg()[0]:.1f}"
        )
        trend(str(root), tmp, parallel=True, rounds=1)  # warm up: imports, page cache
        # Plots are drawn in worker processes: imported here, every round's workers inherit
        # matplotlib as the --no-IPC rounds do (start-up costs are bench/qc_run.py's).
        importlib.import_module("matplotlib.backends.backend_agg")
        full = args.runs == 1000
        read = read_floor(str(root), args.rounds, args.runs)
        for label, parallel, target in (
            ("embedded", True, 2.5),
            ("embedded, --no-IPC", False, None),
        ):
            took, updates, _ = trend(str(root), tmp, parallel=parallel, rounds=args.rounds)
            report(label, took, updates, target if full else None, read)
        if not args.no_server:
            proc, url = start_qcdb(root, 2)
            try:
                read = read_floor(url, args.rounds, args.runs)
                for label, parallel, target in (
                    ("server (2 workers)", True, 6.0),
                    ("server, --no-IPC", False, None),
                ):
                    took, updates, cpu = trend(
                        url, tmp, parallel=parallel, rounds=args.rounds, server=proc.pid
                    )
                    report(label, took, updates, target if full else None, read)
                    print(cpu)
            finally:
                proc.terminate()
                proc.wait(10)
        print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
