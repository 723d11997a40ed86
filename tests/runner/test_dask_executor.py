"""Workflows on a local Dask cluster of two worker processes (CPU=2, MEM=2000 each), through
``--executor dask``: the local executor's semantics, Dask's placement, workers that die."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sys
import threading
from collections import defaultdict
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from qcflow.errors import InvalidInput
from qcflow.runner import Job, run_workflow
from qcflow.runner.dask._workers import shipped_env
from qcflow.runner.dask.executor import DaskExecutor
from tests._wait import DEADLINE, wait_until_dead

from .conftest import task, wait_outcomes, write_workflow
from .test_resume import wait_for

#: Every task records ``<worker pid> <start> <end> <cpu> <mem> <semaphore>`` in timeline/.
RECORD = (
    "s=$(date +%s.%N); sleep {sleep}; "
    'echo "$PPID $s $(date +%s.%N) {cpu} {mem} {sem}" > {base}/timeline/{name}'
)


def mixed_workflow(base: Path) -> list[dict]:
    """36 tasks: two layers of 12 with mixed bookings (0.5 to 2 cores, 100 to 1500 MB), where
    each task of layer 1 needs two of layer 0; 8 tasks sharing a semaphore, each needing a
    layer-1 task; a task failing once (then succeeding), a failing task and one it blocks.

        g0 .. g11  ──>  h0 .. h11  ──>  s0 .. s7 (semaphore "sem")
        flaky (fails at its first attempt)       bad ──> after_bad
    """
    (base / "timeline").mkdir(parents=True, exist_ok=True)
    tasks = []

    def add(name, needs=(), cpu=1.0, mem=100, sem="-", sleep=0.1, **extra):
        cmd = RECORD.format(sleep=sleep, cpu=cpu, mem=mem, sem=sem, base=base, name=name)
        tasks.append(task(name, cmd, needs, cpu=cpu, mem=mem, cwd=f"dir{len(tasks) % 3}", **extra))

    for i in range(12):
        add(f"g{i}", cpu=(0.5, 1.0, 2.0)[i % 3], mem=(100, 800, 1500)[i % 3], sleep=0.2)
    for i in range(12):
        add(f"h{i}", [f"g{i}", f"g{(i + 5) % 12}"], cpu=(2.0, 0.5, 1.0)[i % 3], mem=600)
    for i in range(8):
        add(f"s{i}", [f"h{i}"], cpu=0.5, sem="sem", semaphore="sem", sleep=0.05)
    tasks.append(task("flaky", "test -f ../flag || { touch ../flag; exit 1; }", cwd="dir0"))
    tasks.append(task("bad", "exit 5"))
    tasks.append(task("after_bad", "true", ["bad"]))
    return tasks


def run_mixed(base: Path, options):
    base.mkdir(parents=True, exist_ok=True)
    wf = write_workflow(base / "wf.json", mixed_workflow(base))
    changes = {"workdir": base, "keep_going": True, "retry_on_failure": 1}
    changes |= {"action_logfile": base / "actions.log", "metric_logfile": base / "metrics.log"}
    return run_workflow(wf, dataclasses.replace(options, **changes))


def timeline(base: Path) -> list[tuple[int, float, float, float, float, str]]:
    rows = []
    for path in (base / "timeline").iterdir():
        pid, start, end, cpu, mem, sem = path.read_text().split()
        rows.append((int(pid), float(start), float(end), float(cpu), float(mem), sem))
    return rows


def peak(intervals: list[tuple[float, float, float]]) -> float:
    """The largest sum of weights of intervals ``(start, end, weight)`` open at one time."""
    events = sorted([(s, w) for s, _, w in intervals] + [(e, -w) for _, e, w in intervals])
    level = top = 0.0
    for _, change in events:
        level += change
        top = max(top, level)
    return top


def statuses(summary: dict) -> dict[str, tuple[str, int]]:
    return {t["name"]: (t["status"], t["retries"]) for t in summary["tasks"]}


def test_a_mixed_workflow_ends_as_on_the_local_executor(tmp_path, options, dask_options):
    local = run_mixed(tmp_path / "local", options)
    dask = run_mixed(tmp_path / "dask", dask_options)
    assert dask.exit_code == local.exit_code == 1
    on_disk = json.loads((tmp_path / "dask" / "summary.json").read_text())
    assert statuses(on_disk) == statuses(local.summary)
    assert statuses(on_disk)["flaky"] == ("done", 1)
    assert statuses(on_disk)["after_bad"] == ("blocked", 0)
    for name in ("g0", "h5", "s7", "flaky"):
        cwd = Path(next(t["log"] for t in on_disk["tasks"] if t["name"] == name)).parent
        assert (cwd / f"{name}.log_done").exists()
    assert "--- qcflow: attempt 2 ---" in (tmp_path / "dask" / "dir0" / "flaky.log").read_text()


def test_dask_places_tasks_within_each_workers_resources(tmp_path, dask_options):
    result = run_mixed(tmp_path, dask_options)
    assert result.summary["limits"]["cpu"] == 4  # the two workers' total
    assert result.summary["limits"]["n_backfill"] == 0  # a worker's resources are hard
    rows = timeline(tmp_path)
    by_worker: dict[int, list] = defaultdict(list)
    for pid, start, end, cpu, mem, _ in rows:
        by_worker[pid].append((start, end, cpu, mem))
    assert len(by_worker) == 2, "both workers ran tasks"
    for spans in by_worker.values():
        assert peak([(s, e, c) for s, e, c, _ in spans]) <= 2 + 1e-9
        assert peak([(s, e, m) for s, e, _, m in spans]) <= 2000
    semaphore = [(s, e, 1.0) for _, s, e, _, _, sem in rows if sem == "sem"]
    assert len(semaphore) == 8
    assert peak(semaphore) == 1


def test_a_worker_killed_mid_task_is_retried_elsewhere(tmp_path, dask_options):
    victim = task(
        "victim",
        "echo $$ > victim.pid; echo $PPID > victim.ppid; "
        "while [ ! -f go ]; do sleep 0.05; done; echo finished",
    )
    tasks = [victim, task("after", "echo after", ["victim"]), task("other", "sleep 0.2")]
    wf = write_workflow(tmp_path / "wf.json", tasks)
    options = dataclasses.replace(dask_options, retry_on_failure=1)
    results = []
    runner = threading.Thread(target=lambda: results.append(run_workflow(wf, options)))
    runner.start()
    try:
        wait_for(tmp_path / "victim.ppid")
        first = int((tmp_path / "victim.pid").read_text())
        (tmp_path / "victim.pid").unlink()
        os.kill(int((tmp_path / "victim.ppid").read_text()), signal.SIGKILL)  # its worker
        wait_until_dead([first])
        wait_for(tmp_path / "victim.pid")  # the second attempt started
        (tmp_path / "go").touch()
    finally:
        (tmp_path / "go").touch()
        runner.join(DEADLINE)
    assert results, "the run did not end"
    result = results[0]
    assert result.exit_code == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert statuses(summary) == {"victim": ("done", 1), "after": ("done", 0), "other": ("done", 0)}
    actions = [json.loads(line) for line in (tmp_path / "actions.log").read_text().splitlines()]
    failed = [a for a in actions if a["event"] == "failed"]
    assert [a["task"] for a in failed] == ["victim"]
    assert "its Dask worker died" in failed[0]["reason"]
    log = (tmp_path / "victim.log").read_text()
    assert "--- qcflow: attempt 2 ---" in log
    assert log.rstrip().endswith("finished")


#: Fails once "long" has written its pid (a fixed sleep could end first on a busy worker).
FAIL_WHEN_LONG_RUNS = "while [ ! -s long.pid ]; do sleep 0.02; done; exit 1"


def test_a_failure_stops_the_run_and_kills_tasks_on_the_workers(tmp_path, dask_options):
    tasks = [task("long", "echo $$ > long.pid; sleep 300"), task("fail", FAIL_WHEN_LONG_RUNS)]
    wf = write_workflow(tmp_path / "wf.json", tasks)
    result = run_workflow(wf, dask_options)
    assert result.exit_code == 1
    assert {r.name: r.status for r in result.records} == {"long": "killed", "fail": "failed"}
    wait_until_dead([int((tmp_path / "long.pid").read_text())])


def test_a_task_timeout_is_enforced_on_the_worker(tmp_path, dask_options):
    wf = write_workflow(tmp_path / "wf.json", [task("slow", "sleep 30")])
    result = run_workflow(wf, dataclasses.replace(dask_options, task_timeout=0.5))
    assert result.status("slow") == "failed"
    assert result.records[0].reason == "timeout after 0.5 s"


def test_a_task_no_worker_can_hold_is_refused_before_anything_runs(tmp_path, dask_options):
    tasks = [task("first", "echo ran > ran.txt"), task("wide", cpu=3, mem=100)]
    wf = write_workflow(tmp_path / "wf.json", tasks)
    with pytest.raises(InvalidInput, match="'wide' books 3 cores and 100 MB but no worker"):
        run_workflow(wf, dask_options)
    assert not (tmp_path / "ran.txt").exists()
    result = run_workflow(wf, dataclasses.replace(dask_options, optimistic_resources=True))
    assert result.ok
    assert any("clamped to 2 cores and 100 MB" in w for w in result.warnings)


def job(tmp_path: Path, name: str, command: str, cpu: float = 1.0) -> Job:
    return Job(1, name, command, tmp_path, {}, tmp_path / f"{name}.log", cpu=cpu, mem=100)


def test_a_job_no_worker_can_hold_any_more_fails_after_the_timeout(tmp_path, dask_cluster):
    from distributed import Client

    with Client(dask_cluster, set_as_default=False) as client:
        executor = DaskExecutor(client, no_worker_timeout=0.3, check_every=0.1)
        try:
            executor.start(job(tmp_path, "huge", "true", cpu=100))
            outcomes = wait_outcomes(executor, 1)
        finally:
            executor.close()
    assert [o.rc for o in outcomes] == [None]
    assert outcomes[0].reason.startswith("no Dask worker could hold 100 cores and 100 MB for")
    assert not (tmp_path / "huge.log").exists()


def test_killing_a_job_still_waiting_for_room_reports_it_at_once(tmp_path, dask_cluster):
    from distributed import Client

    with Client(dask_cluster, set_as_default=False) as client:
        executor = DaskExecutor(client)
        try:
            executor.start(job(tmp_path, "queued", "true", cpu=3))
            executor.kill(1, "stopped")
            outcomes = wait_outcomes(executor, 1)
        finally:
            executor.close()
    assert [(o.rc, o.reason) for o in outcomes] == [(None, "stopped")]
    assert not (tmp_path / "queued.log").exists()


@pytest.mark.parametrize("events", [True, False])
def test_results_come_as_events_or_are_fetched(tmp_path, dask_cluster, events):
    from distributed import Client

    with Client(dask_cluster, set_as_default=False) as client:
        executor = DaskExecutor(client, events=events)
        try:
            executor.start(job(tmp_path, "ok", "echo out"))
            executor.start(dataclasses.replace(job(tmp_path, "ko", "exit 4"), key=2))
            outcomes = wait_outcomes(executor, 2)
        finally:
            executor.close()
    assert sorted((o.key, o.rc, o.reason) for o in outcomes) == [(1, 0, ""), (2, 4, "exit code 4")]
    assert "cpu_mean_percent" in outcomes[0].extra
    assert (tmp_path / "ok.log").read_text() == "out\n"


def test_only_the_runners_host_variables_stay_behind():
    runner = {"HOSTNAME": "login1", "SLURM_JOB_ID": "7", "PATH": "/p", "ALIEN": "x"}
    job_env = {**runner, "TMPDIR": "/scratch/mine", "RUN": "5"}
    shipped = shipped_env(job_env, runner)
    assert shipped == {"PATH": "/p", "ALIEN": "x", "TMPDIR": "/scratch/mine", "RUN": "5"}


def test_the_workers_measure_their_tasks_for_the_summary(tmp_path, dask_options):
    """The resource monitor cannot see remote processes: each worker samples its tasks (the
    peak is held for 3 s, 30 sampling periods, so a busy worker still sees it)."""
    hog = f"{sys.executable} -c 'import time; x = bytearray(60_000_000); time.sleep(3)'"
    wf = write_workflow(tmp_path / "wf.json", [task("hog", hog)])
    result = run_workflow(wf, dataclasses.replace(dask_options, monitor_interval=0.1))
    assert result.ok
    record = json.loads((tmp_path / "summary.json").read_text())["tasks"][0]
    assert record["peak_pss_mb"] >= 55
    assert record["peak_uss_mb"] >= 55
    assert 0 <= record["cpu_mean_percent"] <= 100
