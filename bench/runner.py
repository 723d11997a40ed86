"""Runner benchmark: synthetic workflows of `true` tasks against floors measured in the same run.

For each shape (fan: independent tasks; layered: 10 wide, each task needs 2 of the layer before)
and size (100, 1,000, 10,000 tasks), at --cpu-limit 2 with one-core tasks, alternating so that
everything shares the same load (the machine's load average is printed before and after):

- the runner in this process (run_workflow: markers, logs and summary included): its wall time,
  its own CPU seconds (the tasks are children and not counted) and load + validate + plan time;
- `qcflow run -f wf.json` from the command line (start-up included), as a user waits for it:
  a plain command such as `true` runs without a shell (docs/runner.md, "Plain commands");
- the same with `--always-bash`: every task is a `/bin/bash -c` as in the floors, so the ratio
  shows the runner's own cost against the floor with files;
- the floors: `seq N | xargs -P2 -I{} bash -c true`, and the same with each shell creating the
  two files a task has (its log and marker: on a disk that is writing back, they cost more
  than the shell);
- the cost of creating one file in the same place, in the same rounds: on a disk whose file
  creation is slow for the moment (see create_cost), every contender that creates the two
  files per task pays it, the bare floor does not;
- with --peer PATH, O2DPG's new runner on the same file (PATH: an O2DPG checkout, or its
  MC/workflow_runner/o2dpg_workflow_runner.py); it is never part of this repository.

Figures are medians; ratios are against the floors of the same run. Every contender runs in a
directory of its own, and all of them are removed only when the benchmark ends: on a disk
mounted with `discard` (as here), removing a run's 2,000 files sets the disk busy for the next
second or two, and each contender would pay for the one before it; for the same reason each
contender starts after a `sync` (the files of the ones before it written back). Then the
10,000-task figures against the 1,000-task ones (per-task CPU: no super-linear step), and the runner's CPU while two
`sleep` tasks run with the default monitoring. Goals (issue 17): command line <= 1.25x the
floor+files and <= 2x the bare floor, <= 0.5 ms runner CPU per task, <= 0.5x O2DPG's new runner;
idle < 1 % of a core; 10,000 tasks: plan < 0.5 s, per-task CPU <= 1.3x the 1,000-task one.

    python bench/runner.py                          # all sizes
    python bench/runner.py --sizes 1000 --peer /tmp/o2dpg   # with O2DPG's runner
    python bench/runner.py --where /dev/shm         # only in memory (no disk)
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import qcflow
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


_SCRATCH: list[Path] = []


def scratch(place: Path, prefix: str = "qcflow-bench-") -> Path:
    """A new directory under ``place``, removed by :func:`removing_scratch` at the end."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=place))
    _SCRATCH.append(path)
    return path


def settled(place: Path, prefix: str = "qcflow-bench-") -> Path:
    """A scratch directory, after the files of the contenders before are written to disk
    (``sync``): each starts on an idle disk instead of paying for the writeback of the last."""
    os.sync()
    return scratch(place, prefix)


@contextmanager
def removing_scratch() -> Iterator[None]:
    try:
        yield
    finally:
        for path in _SCRATCH:
            shutil.rmtree(path, ignore_errors=True)


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


def create_cost(where: Path, n: int = 200) -> float:
    """Median microseconds to create an empty file in a new directory of ``where``.

    On this machine's ext4 (mounted with ``discard``) it swings between ~15 and ~500 us (low
    after a writeback, climbing within seconds as files come and go), and every contender that
    creates a task's two files pays it; printed with each row so that the disk's state of the
    moment can be read off the figures.
    """
    directory = settled(where, "qcflow-create-")
    costs = []
    for i in range(n):
        start = time.perf_counter()
        os.close(os.open(directory / f"f{i}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666))
        costs.append(time.perf_counter() - start)
    return 1e6 * statistics.median(costs)


def run_once(workdir: Path, tasks: list[dict[str, object]], **extra: object) -> dict[str, float]:
    wf = workdir / "wf.json"
    wf.write_text(json.dumps({"stages": tasks, "meta": {}}))
    options = RunOptions(workdir=workdir, cpu_limit=2, mem_limit=8000, progress="none")
    for key, value in extra.items():
        setattr(options, key, value)
    here = Path.cwd()
    os.chdir(workdir)  # as `qcflow run` is started, so plain commands run directly
    try:
        cpu0, t0 = time.process_time(), time.perf_counter()
        plan = prepare(wf, options)
        t_plan, cpu_plan = time.perf_counter() - t0, time.process_time() - cpu0
        result = run_plan(plan, options)
        wall = time.perf_counter() - t0
    finally:
        os.chdir(here)
    if not result.ok:  # say which tasks and why: a lost start must not pass as noise
        failed = [f"{r.name}: {r.reason}" for r in result.records if r.status != "done"]
        sys.exit(f"run in {workdir} failed ({len(failed)} tasks): " + "; ".join(failed[:5]))
    cpu = time.process_time() - cpu0
    return {"wall": wall, "cpu": cpu, "plan": t_plan, "plan_cpu": cpu_plan}


def run_command(argv: list[str], workdir: Path, tasks: list[dict[str, object]]) -> float:
    """Wall seconds of a runner started as a command on ``wf.json`` in ``workdir``."""
    (workdir / "wf.json").write_text(json.dumps({"stages": tasks, "meta": {}}))
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=workdir, capture_output=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace")[-500:]
        sys.exit(f"{argv[0]} {argv[1]} failed ({done.returncode}): {tail}")
    return wall


LIMITS = ["-f", "wf.json", "--cpu-limit", "2", "--mem-limit", "8000"]


def cli_argv(*extra: str) -> list[str]:
    return [sys.executable, "-m", "qcflow", "run", *LIMITS, *extra]


def peer_argv(path: Path) -> list[str]:
    """O2DPG's new runner: ``path`` is a checkout or the script itself."""
    script = path
    if path.is_dir():
        script = path / "MC" / "workflow_runner" / "o2dpg_workflow_runner.py"
    if not script.is_file():
        sys.exit(f"--peer: no O2DPG runner at {script}")
    return [sys.executable, str(script), *LIMITS]


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def bench_shapes(
    sizes: list[int], repeat: int, places: list[Path], peer: Path | None
) -> dict[tuple[str, int, str], dict[str, float]]:
    head = f"{'workload':<22}{'where':<7}{'runner s':>9}{'CPU/task ms':>12}{'plan s':>8}"
    head += f"{'command s':>10}{'floor s':>8}{'x floor':>8}{'floor+files s':>14}{'x f+f':>6}"
    head += f"{'bash s':>8}{'x f+f':>6}{'create us':>10}"
    print(head + (f"{'O2DPG new s':>12}{'x O2DPG':>8}" if peer else ""))
    rows = {}
    for n in sizes:
        for shape in ("fan", "layered"):
            for place in places:
                row = measure(shape, n, repeat if n <= 1000 else 1, place, peer)
                rows[shape, n, str(place)] = row
                label = f"{shape} {n:,} `true`"
                line = (
                    f"{label:<22}{place.name or '/':<7}{row['wall']:>9.2f}"
                    f"{1000 * row['cpu'] / n:>12.2f}{row['plan']:>8.3f}{row['command']:>10.2f}"
                    f"{row['floor']:>8.2f}{row['command'] / row['floor']:>8.2f}"
                    f"{row['floor_files']:>14.2f}{row['command'] / row['floor_files']:>6.2f}"
                    f"{row['bash']:>8.2f}{row['bash'] / row['floor_files']:>6.2f}"
                    f"{row['create']:>10.0f}"
                )
                if peer:
                    line += f"{row['peer']:>12.2f}{row['command'] / row['peer']:>8.2f}"
                print(line, flush=True)
    return rows


def measure(shape: str, n: int, repeat: int, place: Path, peer: Path | None) -> dict[str, float]:
    """Medians of ``repeat`` rounds; in each, every contender runs once, so they share the load."""
    runs, commands, bashes, peers, floors, floors_files, creates = [], [], [], [], [], [], []
    tasks = make_tasks(shape, n)
    for _ in range(repeat):
        runs.append(run_once(settled(place), tasks))
        commands.append(run_command(cli_argv(), settled(place), tasks))
        bashes.append(run_command(cli_argv("--always-bash"), settled(place), tasks))
        if peer is not None:
            peers.append(run_command(peer_argv(peer), settled(place, "o2dpg-bench-"), tasks))
        floors.append(floor(n, settled(place, "qcflow-floor-")))
        floors_files.append(floor(n, settled(place, "qcflow-floor-"), files=True))
        creates.append(create_cost(place))
    keys = ("wall", "cpu", "plan", "plan_cpu")
    row = {key: statistics.median(r[key] for r in runs) for key in keys}
    row["command"] = statistics.median(commands)
    row["bash"] = statistics.median(bashes)
    row["floor"] = statistics.median(floors)
    row["floor_files"] = statistics.median(floors_files)
    row["create"] = statistics.median(creates)
    if peers:
        row["peer"] = statistics.median(peers)
    return row


def scaling(rows: dict[tuple[str, int, str], dict[str, float]]) -> None:
    """10,000 tasks against 1,000: plan time and per-task runner CPU (no super-linear step)."""
    for (shape, n, place), big in rows.items():
        small = rows.get((shape, 1000, place))
        if n != 10000 or small is None:
            continue
        ratio = (big["cpu"] / n) / (small["cpu"] / 1000)
        print(
            f"{shape} 10,000 in {place}: plan {big['plan']:.3f} s, {big['plan_cpu']:.3f} s of CPU"
            f" (goal < 0.5 s); runner CPU per task {ratio:.2f}x the 1,000-task one (goal <= 1.3x)"
        )


def bench_idle(seconds: float) -> None:
    tasks = make_tasks("fan", 2)
    for t in tasks:
        t["cmd"] = f"sleep {seconds}"
    default = RunOptions().monitor_interval
    got = run_once(scratch(Path(tempfile.gettempdir())), tasks)
    share = 100 * got["cpu"] / got["wall"]
    print(
        f"two `sleep {seconds:g}` tasks: runner CPU {got['cpu']:.3f} s over {got['wall']:.2f} s"
        f" = {share:.2f} % of a core (default monitoring, every {default:g} s while the trees"
        " change; goal < 1 %)"
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
    parser.add_argument(
        "--peer", type=Path, help="an O2DPG checkout (or its new runner's script) to run alike"
    )
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, {load()}")
    print(f"medians of {args.repeat} runs (1 at 10,000 tasks); --cpu-limit 2, one-core tasks")
    print("floor: `seq N | xargs -P2 -I{} bash -c true`; floor+files: the same, each shell also")
    print("creating the two files a runner task has (its log and its completion marker);")
    print("command: `qcflow run -f wf.json` as a process, start-up included; x: command / other")
    print("bash: the command with --always-bash (every task a bash -c, as in the floors)")
    print("create us: median cost of creating a file there, same rounds (the disk's state)")
    # As installed: with PYTHONDONTWRITEBYTECODE set (as in some shells), an editable install
    # would otherwise compile qcflow's modules anew in every `qcflow run` (~50 ms here).
    compileall.compile_dir(Path(qcflow.__file__).parent, quiet=1)
    with removing_scratch():
        rows = bench_shapes(args.sizes, args.repeat, args.where, args.peer)
        scaling(rows)
        bench_idle(args.idle_seconds)
    print(load())
    if args.peer is None:
        print()
        print(QUOTED, end="")


if __name__ == "__main__":
    main()
