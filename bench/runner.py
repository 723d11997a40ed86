"""Runner benchmark: synthetic workflows of `true` tasks against a floor measured in the same run.

For each shape (fan: independent tasks; layered: 10 wide, each task needs 2 of the layer before)
and size (100, 1,000, 10,000 tasks), at --cpu-limit 2 with one-core tasks:

- the runner's wall time (in-process run_workflow, markers, logs and summary included),
- the floor: `seq N | xargs -P2 -I{} bash -c true`, timed here, now,
- the runner's own CPU seconds (this process only; the tasks are children and not counted),
- load + validate + plan time.

Then the runner's CPU while two `sleep` tasks run (target: under 2 % of one core).
O2DPG's figures from the spec are printed for comparison: quoted, not measured here.

    python bench/runner.py                  # all sizes
    python bench/runner.py --sizes 100 1000 # a quicker subset
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


def floor(n: int) -> float:
    start = time.perf_counter()
    subprocess.run(
        f"seq {n} | xargs -P2 -I{{}} bash -c true", shell=True, check=True, executable="/bin/bash"
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


def bench_shapes(sizes: list[int], repeat: int) -> None:
    head = f"{'workload':<22}{'runner s':>10}{'floor s':>10}{'ratio':>8}"
    print(f"{head}{'runner CPU s':>14}{'CPU/task ms':>13}{'plan s':>9}")
    for n in sizes:
        for shape in ("fan", "layered"):
            runs, floors = [], []
            # alternate runner and floor so that both see the same machine load
            for _ in range(repeat if n <= 1000 else 1):
                with tempfile.TemporaryDirectory(prefix="qcflow-bench-") as tmp:
                    runs.append(run_once(Path(tmp), make_tasks(shape, n)))
                floors.append(floor(n))
            wall = statistics.median(r["wall"] for r in runs)
            cpu = statistics.median(r["cpu"] for r in runs)
            plan = statistics.median(r["plan"] for r in runs)
            base = statistics.median(floors)
            label = f"{shape} {n:,} `true`"
            print(
                f"{label:<22}{wall:>10.2f}{base:>10.2f}{wall / base:>8.2f}"
                f"{cpu:>14.2f}{1000 * cpu / n:>13.2f}{plan:>9.3f}",
                flush=True,
            )


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
    args = parser.parse_args()
    print(f"medians of {args.repeat} runs (1 at 10,000 tasks); --cpu-limit 2, one-core tasks")
    bench_shapes(args.sizes, args.repeat)
    bench_idle(args.idle_seconds)
    print()
    print(QUOTED, end="")


if __name__ == "__main__":
    main()
