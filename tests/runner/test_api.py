"""End to end through :func:`run_workflow` with real processes (echo, sleep, false)."""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import sysconfig

import pytest

from qcflow.errors import InvalidInput, QcflowError, WorkflowInvalid
from qcflow.runner import run_workflow
from qcflow.runner.lock import RunLock
from tests._wait import wait_until_dead

from .conftest import task, write_workflow


def run(tmp_path, tasks, options, global_env=None, **changes):
    wf = write_workflow(tmp_path / "wf.json", tasks, global_env)
    return run_workflow(wf, dataclasses.replace(options, **changes))


def statuses(result):
    return {r.name: r.status for r in result.records}


DIAMOND = [
    task("a", "echo a > out.txt", cwd="A"),
    task("b", "cat ../A/out.txt > b.txt; echo b >> b.txt", ["a"], cwd="B"),
    task("c", "echo c", ["a"]),
    task("d", "cat B/b.txt", ["b", "c"]),
]


def test_diamond_runs_with_logs_markers_and_summary(tmp_path, options):
    result = run(tmp_path, DIAMOND, options)
    assert result.exit_code == 0
    assert statuses(result) == dict.fromkeys("abcd", "done")
    assert result.order.index("a") < result.order.index("b") < result.order.index("d")
    assert (tmp_path / "d.log").read_text().split() == ["a", "b"]
    for name, cwd in (("a", "A"), ("b", "B"), ("c", "."), ("d", ".")):
        marker = json.loads((tmp_path / cwd / f"{name}.log_done").read_text())
        assert marker["task"] == name
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["counts"] == {"done": 4}
    assert [t["name"] for t in summary["tasks"]] == ["a", "b", "c", "d"]
    actions = [json.loads(line) for line in (tmp_path / "actions.log").read_text().splitlines()]
    assert [a["event"] for a in actions].count("start") == 4


def test_environment_is_layered_and_qcflow_is_on_path(tmp_path, options, monkeypatch):
    monkeypatch.setenv("LAYER_A", "os")
    monkeypatch.setenv("LAYER_B", "os")
    monkeypatch.setenv("LAYER_C", "os")
    cmd = 'echo "$LAYER_A $LAYER_B $LAYER_C $WHERE"; echo "$PATH"'
    t = task("env", cmd, env={"LAYER_C": "task"})
    result = run(
        tmp_path,
        [t],
        options,
        global_env={"LAYER_B": "global", "LAYER_C": "global", "WHERE": "$PWD/ccdb"},
    )
    assert result.ok
    values, path = (tmp_path / "env.log").read_text().splitlines()
    assert values == f"os global task {tmp_path}/ccdb"
    assert sysconfig.get_path("scripts") in path.split(os.pathsep)


def test_rerun_skips_done_tasks_and_a_changed_command_reruns_downstream(tmp_path, options):
    assert run(tmp_path, DIAMOND, options).ok
    again = run(tmp_path, DIAMOND, options)
    assert statuses(again) == dict.fromkeys("abcd", "cached")
    assert again.order == []
    changed = [dict(t) for t in DIAMOND]
    changed[1]["cmd"] = "cat ../A/out.txt > b.txt; echo B >> b.txt"
    third = run(tmp_path, changed, options)
    assert statuses(third) == {"a": "cached", "b": "done", "c": "cached", "d": "done"}
    assert (tmp_path / "d.log").read_text().split() == ["a", "B"]


def test_rerun_from_invalidates_the_task_and_everything_below(tmp_path, options):
    assert run(tmp_path, DIAMOND, options).ok
    result = run(tmp_path, DIAMOND, options, rerun_from="b")
    assert statuses(result) == {"a": "cached", "b": "done", "c": "cached", "d": "done"}
    # and the downstream marker now records b's new stamp, so a plain rerun is all cached
    assert set(statuses(run(tmp_path, DIAMOND, options)).values()) == {"cached"}


def test_an_upstream_rerun_invalidates_downstream_markers(tmp_path, options):
    """Rerunning b alone (targets) gives it a new stamp: d, which consumed the old one, reruns."""
    assert run(tmp_path, DIAMOND, options).ok
    assert statuses(run(tmp_path, DIAMOND, options, rerun_from="b", target_tasks=("b",))) == {
        "a": "cached",
        "b": "done",
    }
    assert statuses(run(tmp_path, DIAMOND, options))["d"] == "done"


def test_rerun_from_matching_nothing_is_invalid_input(tmp_path, options):
    with pytest.raises(InvalidInput, match="matches no task"):
        run(tmp_path, DIAMOND, options, rerun_from="zzz")


def _tree_pids(tmp_path):
    return [int(p.read_text()) for p in tmp_path.glob("*.pid")]


def test_failure_kills_running_trees_and_cancels_the_rest(tmp_path, options):
    tasks = [
        task("slow", "sleep 300 & echo $! > slow-child.pid; echo $$ > slow.pid; wait"),
        task("bad", "while [ ! -e slow.pid ]; do sleep 0.02; done; exit 7"),  # slow is up
        task("after", "true", ["bad"]),
        task("later", "true", ["slow"]),
    ]
    result = run(tmp_path, tasks, options)
    assert result.exit_code == 1
    assert statuses(result) == {
        "slow": "killed",
        "bad": "failed",
        "after": "cancelled",
        "later": "cancelled",
    }
    assert result.records[1].reason == "exit code 7"
    pids = _tree_pids(tmp_path)
    assert len(pids) == 2
    wait_until_dead(pids)  # signalled: they end a moment after the run
    assert not (tmp_path / "after.log").exists()
    assert not (tmp_path / "slow.log_done").exists()


def test_keep_going_runs_independent_work_and_blocks_descendants(tmp_path, options):
    tasks = [task("bad", "false"), task("child", "true", ["bad"]), task("other", "sleep 0.3")]
    result = run(tmp_path, tasks, options, keep_going=True)
    assert result.exit_code == 1
    assert statuses(result) == {"bad": "failed", "child": "blocked", "other": "done"}
    not_run = {r["name"]: r["reason"] for r in result.summary["not_run"]}
    assert not_run == {"child": "upstream task bad failed"}


FLAKY = "n=$(cat count 2>/dev/null || echo 0); echo $((n+1)) > count; [ $n -ge {} ]"


def test_retry_on_failure_retries_until_success(tmp_path, options):
    result = run(tmp_path, [task("flaky", FLAKY.format(2))], options, retry_on_failure=2)
    assert result.ok
    assert result.records[0].attempts == 3
    log = (tmp_path / "flaky.log").read_text()
    assert "attempt 3" in log


def test_per_task_retry_count_is_honoured(tmp_path, options):
    result = run(tmp_path, [task("flaky", FLAKY.format(1), retry_count=1)], options)
    assert result.ok
    assert result.summary["tasks"][0]["retries"] == 1


def test_retries_exhausted_fail(tmp_path, options):
    result = run(tmp_path, [task("bad", "false")], options, retry_on_failure=1)
    assert result.exit_code == 1
    assert result.records[0].attempts == 2


def test_semaphore_tasks_never_overlap(tmp_path, options):
    cmd = "date +%s.%N > {0}.start; sleep 0.3; date +%s.%N > {0}.end"
    tasks = [task(n, cmd.format(n), cpu=0.1, semaphore="merge") for n in ("s1", "s2", "s3")]
    result = run(tmp_path, tasks, options, cpu_limit=4)
    assert result.ok
    spans = sorted(
        (float((tmp_path / f"{n}.start").read_text()), float((tmp_path / f"{n}.end").read_text()))
        for n in ("s1", "s2", "s3")
    )
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end <= start


def test_targets_pull_in_transitive_needs_only(tmp_path, options):
    tasks = [
        task("gen"),
        task("EMC_reco", needs=["gen"], labels=["EMC"]),
        task("EMC_qc", needs=["EMC_reco"], labels=["QC"]),
        task("MCH_qc", needs=["gen"], labels=["QC"]),
    ]
    result = run(tmp_path, tasks, options, target_tasks=("EMC",))
    assert sorted(statuses(result)) == ["EMC_qc", "EMC_reco", "gen"]
    result = run(tmp_path, tasks, options, target_labels=("QC",), target_tasks=("MCH.*",))
    assert sorted(statuses(result)) == ["MCH_qc", "gen"]


def test_timeout_fails_the_task(tmp_path, options):
    result = run(tmp_path, [task("hang", "sleep 60")], options, task_timeout=0.3)
    assert result.exit_code == 1
    assert result.records[0].reason == "timeout after 0.3 s"


def test_dangling_need_is_refused_before_anything_starts(tmp_path, options):
    tasks = [task("a", "touch ran"), task("b", needs=["missing"])]
    with pytest.raises(WorkflowInvalid, match="missing"):
        run(tmp_path, tasks, options)
    assert not (tmp_path / "ran").exists()


def test_allow_dangling_leaves_the_affected_tasks_out(tmp_path, options):
    tasks = [task("a"), task("b", needs=["missing"]), task("c", needs=["b"])]
    result = run(tmp_path, tasks, options, allow_dangling=True)
    assert result.exit_code == 0
    assert statuses(result) == {"a": "done", "b": "excluded", "c": "excluded"}
    assert "missing" in result.records[1].reason
    assert result.warnings == [
        "task 'b': needs 'missing', which is not a task of this workflow (might be added later)"
    ]


def test_cycle_is_refused(tmp_path, options):
    with pytest.raises(WorkflowInvalid, match="cycle"):
        run(tmp_path, [task("a", needs=["b"]), task("b", needs=["a"])], options)


def test_task_larger_than_the_limits_is_refused_unless_optimistic(tmp_path, options):
    tasks = [task("big", "touch ran", cpu=8, mem=100)]
    with pytest.raises(InvalidInput, match="'big' books 8 cores"):
        run(tmp_path, tasks, options)
    assert not (tmp_path / "ran").exists()
    assert run(tmp_path, tasks, options, optimistic_resources=True).ok


def test_dry_run_touches_nothing(tmp_path, options):
    result = run(tmp_path, DIAMOND, options, dry_run=True)
    assert result.ok
    assert result.order[0] == "a"
    assert result.order[-1] == "d"
    assert not list(tmp_path.rglob("*.log*"))


def test_a_second_runner_on_the_same_directory_is_refused(tmp_path, options):
    lock = RunLock(tmp_path)
    lock.acquire()
    try:
        with pytest.raises(QcflowError, match="another qcflow run"):
            run(tmp_path, DIAMOND, options)
    finally:
        lock.release()
    assert run(tmp_path, DIAMOND, options).ok


def test_production_mode_archives_logs(tmp_path, options):
    import tarfile

    assert run(tmp_path, DIAMOND, options, production_mode=True).ok
    with tarfile.open(tmp_path / "pipeline_log_archive.log.tar") as tar:
        assert sorted(tar.getnames()) == ["A/a.log", "B/b.log", "c.log", "d.log"]
    assert not (tmp_path / "d.log").exists()
    assert (tmp_path / "d.log_done").exists()


def test_taskwrapper_is_unwrapped_without_o2_root(tmp_path, options, monkeypatch):
    monkeypatch.delenv("O2_ROOT", raising=False)
    cmd = ". ${O2_ROOT}/share/scripts/jobutils2.sh; taskwrapper w.log 'echo \"it'\\''s inner\"'"
    result = run(tmp_path, [task("w", cmd)], options)
    assert result.ok
    assert (tmp_path / "w.log").read_text() == "it's inner\n"
    assert any("O2_ROOT is not set" in w for w in result.warnings)


def test_taskwrapper_runs_as_is_with_o2_root(tmp_path, options, monkeypatch):
    scripts = tmp_path / "o2" / "share" / "scripts"
    scripts.mkdir(parents=True)
    (scripts / "jobutils2.sh").write_text(
        'taskwrapper() { eval "$2" > "$1" 2>&1 && touch "$1_done"; }\n'
    )
    monkeypatch.setenv("O2_ROOT", str(tmp_path / "o2"))
    cmd = ". ${O2_ROOT}/share/scripts/jobutils2.sh; taskwrapper w.log 'echo via wrapper'"
    result = run(tmp_path, [task("w", cmd)], options)
    assert result.ok
    assert (tmp_path / "w.log").read_text() == "via wrapper\n"
    assert (tmp_path / "w.wrapper.log").exists()
    assert json.loads((tmp_path / "w.log_done").read_text())["task"] == "w"


@pytest.mark.parametrize("cmd", ["exit 0", "exec true", "echo trailing \\", "set -e; true"])
def test_marker_is_written_however_the_command_ends(tmp_path, options, cmd):
    result = run(tmp_path, [task("t", cmd)], options)
    assert result.ok
    marker = json.loads((tmp_path / "t.log_done").read_text())
    assert marker["stamp"]
    assert run(tmp_path, [task("t", cmd)], options).status("t") == "cached"


@pytest.mark.parametrize("cmd", ["exit 3", "set -e; false; true", "kill -TERM $$"])
def test_no_marker_unless_the_command_succeeded(tmp_path, options, cmd):
    result = run(tmp_path, [task("t", cmd)], options)
    assert result.exit_code == 1
    assert not (tmp_path / "t.log_done").exists()


def test_a_task_that_cannot_start_fails_with_the_reason(tmp_path, options):
    (tmp_path / "blocker").write_text("")
    result = run(tmp_path, [task("t", "true", cwd="blocker/sub")], options)
    assert result.exit_code == 1
    assert result.records[0].reason.startswith("cannot start")
