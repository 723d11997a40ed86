"""Runner benchmark: synthetic workflows of `true` tasks against a floor measured in the same run.

For each shape (fan: independent tasks; layered: 10 wide, each task needs 2 of the layer before)
and size (100, 1,000, 10,000 tasks), at --cpu-limit 2 with one-core tasks:

- the runner's wall time (in-process run_workflow, markers, logs and summary included),
- the floor: `seq N | xargs -P2 -I{} bash -c true`, timed here, now, and the same floor with
  each shell creating two files (a task's log and marker: on a slow disk that is most of the cost),
- the runner's own CPU seconds (this process only; the tasks are children and not counted),
- load + validate + plan time.

Then the runner's CPU while two `sleep` tasks run (target: under 2 % of one core).
O2DPG's figures from the spec are printed for comparison: quoted, not measured here.

    python bench/runner.py                  # all sizes
    python bench/runner.py --sizes 100 1000 # a quicker subset
    python bench/runner.py --where /dev/shm # only in memory (no disk)
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from qcflow.runner import RunOptions, prepare, run_plan

QUOTED = """\
O2DPG's runners, quoted from spec/o2dpg-workflow.md section 5
(2-core machine, medians; NOT measured here):
  fan 1,000 `true`      legacy 109.4 s   new 3.70 s   floor 0.77 s
  layered 1,000 `true`  legacy >= 300 s  new 2.85 s   floor 0.77 s
"""


def make_tasks(shape: str, n: int) -> list[dict[str, object]]:
    tasks = []
    for i in range(n):
        needs: list[str] = []
        if shape == "layered" and i >= 10:
            layer_start = (i // 10 - 1) * 10
            needs = [f"t{layer_start + i % 10}", f"t{layer_start + (i + 1) % 10}"]
        tasks.append(
            {
                "name": f"t{i}",
                "cmd": "true",
                "needs": needs,
                "resources": {"cpu": 1, "relative_cpu": None, "mem": 100},
                "timeframe": -1,
                "labels": [],
                "cwd": "./",
            }
        )
    return tasks


def floor(n: int, where: Path, files: bool = False) -> float:
    """`n` shells two at a time; with ``files`` each also creates a log and a marker file."""
    body = "bash -c true"
    if files:
        body = "bash -c 'echo > {}.log; echo > {}.log_done'"
    start = time.perf_counter()
    subprocess.run(
        f"seq {n} | xargs -P2 -I{{}} {body}",
        shell=True,
        check=True,
        executable="/bin/bash",
        cwd=where,
    )
    return time.perf_counter() - start


def run_once(workdir: Path, tasks: list[dict[str, object]], **extra: object) -> dict[str, float]:
    wf = workdir / "wf.json"
    wf.write_text(json.dumps({"stages": tasks, "meta": {}}))
    options = RunOptions(workdir=workdir, cpu_limit=2, mem_limit=8000, progress="none")
    for key, value in extra.items():
        setattr(options, key, value)
    cpu0, t0 = time.process_time(), time.perf_counter()
    plan = prepare(wf, options)
    t_plan = time.perf_counter() - t0
    result = run_plan(plan, options)
    wall = time.perf_counter() - t0
    assert result.ok, result.summary["counts"]
    return {"wall": wall, "cpu": time.process_time() - cpu0, "plan": t_plan}


def bench_shapes(sizes: list[int], repeat: int, places: list[Path]) -> None:
    head = f"{'workload':<22}{'where':<10}{'runner s':>9}{'floor s':>9}{'ratio':>7}"
    print(f"{head}{'floor+files s':>15}{'ratio':>7}{'CPU s':>8}{'CPU/task ms':>13}{'plan s':>8}")
    for n in sizes:
        for shape in ("fan", "layered"):
            for place in places:
                row = measure(shape, n, repeat if n <= 1000 else 1, place)
                label = f"{shape} {n:,} `true`"
                print(
                    f"{label:<22}{place.name or '/':<10}{row['wall']:>9.2f}{row['floor']:>9.2f}"
                    f"{row['wall'] / row['floor']:>7.2f}{row['floor_files']:>15.2f}"
                    f"{row['wall'] / row['floor_files']:>7.2f}{row['cpu']:>8.2f}"
                    f"{1000 * row['cpu'] / n:>13.2f}{row['plan']:>8.3f}",
                    flush=True,
                )


def measure(shape: str, n: int, repeat: int, place: Path) -> dict[str, float]:
    """Medians of ``repeat`` runs, runner and floors alternating so they share the load."""
    runs, floors, floors_files = [], [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="qcflow-bench-", dir=place) as tmp:
            runs.append(run_once(Path(tmp), make_tasks(shape, n)))
        floors.append(floor(n, place))
        with tempfile.TemporaryDirectory(prefix="qcflow-floor-", dir=place) as tmp:
            floors_files.append(floor(n, Path(tmp), files=True))
    row = {key: statistics.median(r[key] for r in runs) for key in ("wall", "cpu", "plan")}
    row["floor"] = statistics.median(floors)
    row["floor_files"] = statistics.median(floors_files)
    return row


def bench_idle(seconds: float) -> None:
    tasks = make_tasks("fan", 2)
    for t in tasks:
        t["cmd"] = f"sleep {seconds}"
    with tempfile.TemporaryDirectory(prefix="qcflow-bench-") as tmp:
        got = run_once(Path(tmp), tasks, monitor_interval=1.0)
    share = 100 * got["cpu"] / got["wall"]
    print(
        f"two `sleep {seconds:g}` tasks: runner CPU {got['cpu']:.3f} s over {got['wall']:.2f} s"
        f" = {share:.2f} % of a core (monitor sampling every 1 s included; target < 2 %)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=3, help="runs per workload up to 1,000")
    parser.add_argument(
        "--where",
        type=Path,
        nargs="+",
        default=[
            Path(tempfile.gettempdir()),
            *([Path("/dev/shm")] if Path("/dev/shm").is_dir() else []),
        ],
        help="directories to run in (default: the temp dir, and /dev/shm when present)",
    )
    args = parser.parse_args()
    print(f"medians of {args.repeat} runs (1 at 10,000 tasks); --cpu-limit 2, one-core tasks")
    print("floor: `seq N | xargs -P2 -I{} bash -c true`; floor+files: the same, each shell also")
    print("creating the two files a runner task has (its log and its completion marker)")
    bench_shapes(args.sizes, args.repeat, args.where)
    bench_idle(args.idle_seconds)
    print()
    print(QUOTED, end="")


if __name__ == "__main__":
    main()
