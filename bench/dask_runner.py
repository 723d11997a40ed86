"""Dask executor benchmark: the runner bench's 1,000-task workflows on a 2-worker LocalCluster,
next to the local executor and the floor, all measured in the same run.

For each shape (fan: independent `true` tasks; layered: 10 wide, each task needs 2 of the layer
before), at --cpu-limit 2 with one-core tasks, medians of ``--repeat`` runs, alternating:

- local: ``run_plan`` with the local executor (as bench/runner.py does);
- dask-local: ``run_plan`` with the Dask executor on a LocalCluster of 2 workers (CPU=1 each),
  started once per shape beforehand (its start and close are printed apart, not in the wall);
- floor+files: ``seq N | xargs -P2`` shells that each create the two files a task has (its log
  and its marker), the fair floor for a runner that writes both;
- bare Dask: the same cluster running N futures that each spawn ``bash -c true``, two at a time
  as the runner does (``as_completed``, a new future as one ends): what Dask itself costs in
  this pattern, without qcflow.

Per task: wall / N, and the overhead: (wall - floor+files) / N x 2 (two tasks run at once, so
each costs the runner twice its share of the wall). Runner CPU counts this process only: for
dask-local that includes the scheduler (it runs in this process), not the workers.

    python bench/dask_runner.py                 # both shapes, 1,000 tasks, 3 runs each
    python bench/dask_runner.py --n 200 --repeat 1
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from qcflow.runner import RunOptions, prepare, run_plan
from qcflow.runner.dask import open_cluster
from runner import floor, make_tasks


def options_for(workdir: Path, executor: str) -> RunOptions:
    return RunOptions(
        workdir=workdir,
        cpu_limit=2,
        mem_limit=8000,
        progress="none",
        executor=executor,  # type: ignore[arg-type]
        workers=2 if executor != "local" else None,
    )


def timed_run(place: Path, tasks: list[dict[str, object]], cluster=None) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="qcflow-bench-", dir=place) as tmp:
        workdir = Path(tmp)
        (workdir / "wf.json").write_text(json.dumps({"stages": tasks, "meta": {}}))
        options = options_for(workdir, "local" if cluster is None else "dask-local")
        executor = None
        if cluster is not None:
            options = dataclasses.replace(cluster.run_options(options), workdir=workdir)
            executor = cluster.executor(options)
        cpu0, t0 = time.process_time(), time.perf_counter()
        plan = prepare(workdir / "wf.json", options, cluster.hosts if cluster else ())
        result = run_plan(plan, options, executor)
        wall = time.perf_counter() - t0
        assert result.ok, result.summary["counts"]
        return {"wall": wall, "cpu": time.process_time() - cpu0}


def spawn_true(i: int) -> int:
    pid = os.posix_spawn("/bin/bash", ["/bin/bash", "-c", "true"], dict(os.environ))
    os.waitpid(pid, 0)
    return i


def bare_dask(client, n: int) -> dict[str, float]:
    """N futures, two in flight, each spawning `bash -c true` on a worker."""
    from distributed import as_completed

    def submit(i: int):
        return client.submit(spawn_true, i, pure=False, resources={"CPU": 1})

    cpu0, t0 = time.process_time(), time.perf_counter()
    running = as_completed([submit(0), submit(1)], loop=client.loop)
    submitted = 2
    for future in running:
        future.result()
        if submitted < n:
            running.add(submit(submitted))
            submitted += 1
    return {"wall": time.perf_counter() - t0, "cpu": time.process_time() - cpu0}


def bench_shape(shape: str, n: int, repeat: int, place: Path) -> None:
    tasks = make_tasks(shape, n)
    started = time.perf_counter()
    with open_cluster(options_for(place, "dask-local")) as cluster:
        up = time.perf_counter() - started
        local, dask, bare, floors = [], [], [], []
        for _ in range(repeat):
            local.append(timed_run(place, tasks))
            dask.append(timed_run(place, tasks, cluster))
            bare.append(bare_dask(cluster.client, n))
            with tempfile.TemporaryDirectory(prefix="qcflow-floor-", dir=place) as tmp:
                floors.append(floor(n, Path(tmp), files=True))
        closing = time.perf_counter()
    down = time.perf_counter() - closing
    base = statistics.median(floors)
    print(
        f"{shape} {n:,} `true` (floor+files {base:.2f} s; LocalCluster up {up:.2f} s, down {down:.2f} s)"
    )
    for label, runs in (("local", local), ("dask-local", dask), ("bare Dask", bare)):
        wall = statistics.median(r["wall"] for r in runs)
        cpu = statistics.median(r["cpu"] for r in runs)
        print(
            f"  {label:<12}{wall:>9.2f}{1000 * wall / n:>12.2f}"
            f"{2000 * (wall - base) / n:>14.2f}{1000 * cpu / n:>14.2f}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1000, help="tasks per workflow (1000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per executor (3)")
    parser.add_argument("--where", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    print(f"medians of {args.repeat} runs; --cpu-limit 2, one-core tasks, in {args.where}")
    print(f"  {'executor':<12}{'wall s':>9}{'ms/task':>12}{'overhead ms':>14}{'CPU ms/task':>14}")
    for shape in ("fan", "layered"):
        bench_shape(shape, args.n, args.repeat, args.where)


if __name__ == "__main__":
    main()
