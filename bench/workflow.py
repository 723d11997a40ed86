"""Benchmark: load and validate a generated 10,000-task workflow (one cycle, one dangling need).

Prints the time to read + validate next to the floor measured in the same run (``json.load``
of the same file), checks both problems are reported, and times the graph queries at 50,000
tasks. Target (issue 2): load + validate under 1 s on a 2-core machine.

    python bench/workflow.py [--tasks 10000]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from qcflow.workflow import Graph, Workflow, validate
from qcflow.workflow.o2dpg import createTask


def synthetic(n: int, width: int = 100) -> list[dict[str, object]]:
    """Layered tasks like an MC workflow: each needs two of the previous layer; O2DPG key types."""
    stages = []
    for i in range(n):
        layer, k = divmod(i, width)
        needs = [f"t{(layer - 1) * width + (k + d) % width}" for d in (0, 1)] if layer else []
        task = createTask(
            name=f"t{i}",
            needs=needs,
            tf=layer // 10 + 1,
            cwd=f"tf{layer // 10 + 1}",
            lab=["SIM"],
            cpu=1,
            mem="2000",
        )
        task["cmd"] = f"o2-sim --tf {layer} --part {k} > out_{i}.txt"
        stages.append(task)
    stages[width + 3]["needs"].append("does_not_exist")  # one dangling need
    stages[5]["needs"].append(stages[3 * width + 5]["name"])  # one cycle across three layers
    return stages


def best_of(repeat: int, fn: Callable[[], object]) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "wf.json"
        path.write_text(json.dumps({"stages": synthetic(args.tasks), "meta": {}}, indent=2))
        size_mb = path.stat().st_size / 1e6
        floor, _ = best_of(args.repeat, lambda: json.loads(path.read_text()))
        elapsed, report = best_of(args.repeat, lambda: validate(Workflow.read(path)))
    errors = [str(p) for p in report.errors]  # type: ignore[attr-defined]
    cycle = any("dependency cycle" in e for e in errors)
    dangling = any("does_not_exist" in e for e in errors)
    print(f"workflow: {args.tasks} tasks, {size_mb:.1f} MB of JSON")
    print(f"  floor  json.load of the file          {floor * 1000:8.1f} ms")
    print(
        f"  qcflow read + validate (all checks)   {elapsed * 1000:8.1f} ms   "
        f"({elapsed / floor:.1f}x the floor; target < 1000 ms: {'OK' if elapsed < 1 else 'MISSED'})"
    )
    print(
        f"  problems reported: {len(errors)} errors; cycle found: {cycle}; dangling need found: {dangling}"
    )
    for e in errors:
        print(f"    {e[:140]}")

    big = [
        createTask(name=f"t{i}", needs=[f"t{i - 100}", f"t{i - 99}"] if i >= 100 else [])
        for i in range(50_000)
    ]
    from qcflow.workflow import WorkflowTask

    tasks = [WorkflowTask.from_dict(t)[0] for t in big]
    build, graph = best_of(3, lambda: Graph(tasks))
    g: Graph = graph  # type: ignore[assignment]
    queries = {
        "topological order": g.topological_order,
        "cycles (Tarjan)": g.cycles,
        "descendants of first task": lambda: g.descendants({0}),
        "ancestors of last task": lambda: g.ancestors({len(g) - 1}),
        "critical path": g.critical_path,
        "descendant counts (all)": g.descendant_counts,
    }
    print("graph queries at 50,000 tasks (layered, 2 needs each):")
    print(f"  build graph                           {build * 1000:8.1f} ms")
    for name, fn in queries.items():
        t, _ = best_of(3, fn)
        print(f"  {name:<37} {t * 1000:8.1f} ms")
    ok = elapsed < 1 and cycle and dangling
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
