"""EMC slice-trending benchmark: qcflow's emc.json over synthetic EMCAL data.

    python bench/emc.py [--runs 50] [--store DIR] [--tree-layouts]

1. Fills an embedded store with ``qcflow.demo.emc.fill_emc`` (41 histograms per run: cells
   and clusters, 20 supermodule slices for the TH2s) for RUNS runs of one pass; an existing
   store of the same size at --store is reused.
2. Runs qcflow's ``emc.json`` (two SliceTrendingTasks: 46 plots, ~200 slice branches) on it,
   in parallel (worker processes reduce the objects and draw the plots) and with ``--no-IPC``.
3. Prints seconds, objects/s, and the floor of QC's C++ runner design for the same work: one
   update per ``periodSeconds`` tick (0.1 s in O2DPG's configs) per task, i.e. 2 x RUNS x 0.1 s.
4. With ``--tree-layouts``: times writing each stored trend table as qcflow stores it (one
   array branch per source and field, ``meanX[20]/D``) and with one scalar branch per field per
   slice (``meanX_0`` ... ``meanX_19``) -- the reason for qcflow's layout (docs/postprocessing.md).
"""

from __future__ import annotations

import argparse
import logging
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from qcflow.demo.emc import CELL_OBJECTS, CLUSTER_OBJECTS, fill_emc
from qcflow.objects.tree import read_tree, write_tree
from qcflow.postprocessing.engine.api import load
from qcflow.postprocessing.engine.engine import Engine, EngineOptions
from qcflow.qcdb import LocalRepository

CONFIG = Path(__file__).resolve().parents[1] / "src/qcflow/data/qc-postproc-async/emc.json"
PERIOD_SECONDS = 0.1


def fill(store: Path, runs: int) -> float:
    marker = store / f".emc-{runs}"
    if marker.exists():
        return 0.0
    shutil.rmtree(store, ignore_errors=True)
    start = time.perf_counter()
    repo = LocalRepository(store, fsync=False)
    fill_emc(repo, runs=runs, passes=("apass1",))
    repo.close()
    marker.touch()
    return time.perf_counter() - start


def run(store: Path, parallel: bool) -> float:
    overrides = f"qc.config.database.host={store};qc.config.Activity.passName=apass1"
    config = load(str(CONFIG), overrides)
    start = time.perf_counter()
    Engine(config, EngineOptions(parallel=parallel, extensions=False)).run()
    return time.perf_counter() - start


def tree_layouts(store: Path) -> None:
    """Write each task's stored trend table in both layouts and print the times."""
    repo = LocalRepository(store, fsync=False)
    for task in ("CellTrend", "ClustersTrend"):
        path = f"qc_async/EMC/MO/{task}/{task}"
        columns = read_tree(repo.get(path, repo.latest(path)[0].valid_from).data)
        per_slice: dict[str, np.ndarray] = {}
        for name, values in columns.items():
            if values.ndim == 1:
                per_slice[name] = values
            else:
                per_slice.update({f"{name}_{i}": values[:, i] for i in range(values.shape[1])})
        for label, layout in (("array per field", columns), ("scalar per slice", per_slice)):
            start = time.perf_counter()
            write_tree(layout, title=task)
            print(
                f"{task:>13} tree, {label:<16}: {len(layout):5d} branches, "
                f"written in {time.perf_counter() - start:5.1f} s"
            )
    repo.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--store", type=Path)
    parser.add_argument(
        "--tree-layouts",
        action="store_true",
        help="also time the trend tables' two possible layouts",
    )
    args = parser.parse_args()
    logging.getLogger("qcflow.qc").setLevel(logging.ERROR)
    store = args.store or Path(tempfile.mkdtemp()) / "qcdb"
    filled = fill(store, args.runs)
    objects = args.runs * (len(CELL_OBJECTS) + len(CLUSTER_OBJECTS))
    print(f"store: {store} ({objects} objects{f', filled in {filled:.1f} s' if filled else ''})")
    floor = 2 * args.runs * PERIOD_SECONDS
    print(f"QC's C++ runner floor: {floor:.1f} s (one update per {PERIOD_SECONDS} s tick)")
    for parallel in (True, False):
        seconds = run(store, parallel)
        label = "parallel" if parallel else "--no-IPC"
        print(
            f"{label:>9}: {seconds:6.1f} s  {objects / seconds:7.0f} objects/s  "
            f"{floor / seconds:5.1f}x the floor"
        )
    if args.tree_layouts:
        tree_layouts(store)


if __name__ == "__main__":
    main()
