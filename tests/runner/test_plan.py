"""Planning: up-front checks, resource estimates, environment and command composition."""

from __future__ import annotations

import dataclasses
import json
import os
import sysconfig

import psutil
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcflow.errors import InvalidInput
from qcflow.runner import RunOptions, prepare
from qcflow.runner.estimates import group_of

from .conftest import task, write_workflow


def plan_of(tmp_path, tasks, options, global_env=None, **changes):
    wf = write_workflow(tmp_path / "wf.json", tasks, global_env)
    return prepare(wf, dataclasses.replace(options, **changes))


def test_update_resources_uses_o2dpg_rules(tmp_path, options):
    estimates = tmp_path / "res.json"
    estimates.write_text(json.dumps({"digi": {"cpu": 2, "mem": 3000}, "qc_1": {"mem": 100}}))
    tasks = [
        task("digi_1", timeframe=1),
        task("digi_2", timeframe=2, resources={"cpu": 1, "relative_cpu": 0.5, "mem": 10}),
        task("qc_1", timeframe=1),
        task("digi_3", timeframe=-1),  # timeframe < 1: looked up by its full name only
    ]
    plan = plan_of(tmp_path, tasks, options, update_resources=estimates)
    demands = {t.name: (t.demand.cpu, t.demand.mem) for t in plan.tasks}
    assert demands == {
        "digi_1": (2, 3000),
        "digi_2": (1.0, 3000),
        "qc_1": (1, 100),
        "digi_3": (1, 100),
    }


def test_update_resources_reads_a_qcflow_summary(tmp_path, options):
    summary = {
        "tasks": [
            {
                "name": "a",
                "status": "done",
                "cpu_mean_percent": 150.0,
                "peak_pss_mb": 1234.5,
                "duration": 3.0,
            }
        ]
    }
    path = tmp_path / "summary-old.json"
    path.write_text(json.dumps(summary))
    (planned,) = plan_of(tmp_path, [task("a")], options, update_resources=path).tasks
    assert (planned.demand.cpu, planned.demand.mem) == (1.5, 1234.5)


def test_bad_resource_file_is_invalid_input(tmp_path, options):
    path = tmp_path / "res.json"
    path.write_text(json.dumps({"a": {"mem": "lots"}}))
    with pytest.raises(InvalidInput, match=r"a\.mem: expected a number, got 'lots'"):
        plan_of(tmp_path, [task("a")], options, update_resources=path)


def test_every_oversized_task_is_listed(tmp_path, options):
    tasks = [task("x", cpu=3), task("y", mem=99999), task("ok")]
    with pytest.raises(InvalidInput) as err:
        plan_of(tmp_path, tasks, options)
    assert "'x' books 3 cores" in str(err.value)
    assert "'y' books 1 cores and 99999 MB" in str(err.value)


def test_optimistic_resources_clamps_with_a_warning(tmp_path, options):
    plan = plan_of(tmp_path, [task("x", cpu=3, mem=99999)], options, optimistic_resources=True)
    assert (plan.tasks[0].demand.cpu, plan.tasks[0].demand.mem) == (2, 4000)
    assert any("clamped" in w for w in plan.warnings)


@pytest.mark.parametrize(("field", "value"), [("cpu_limit", 0), ("mem_limit", -1), ("max_jobs", 0)])
def test_bad_limits_are_invalid_input(tmp_path, options, field, value):
    with pytest.raises(InvalidInput, match="must be"):
        plan_of(tmp_path, [task("a")], options, **{field: value})


def test_default_limits_follow_the_machine(tmp_path):
    wf = write_workflow(tmp_path / "wf.json", [task("a")])
    plan = prepare(wf, RunOptions(workdir=tmp_path))
    assert plan.limits.cpu == len(os.sched_getaffinity(0))
    # 0.9 x the memory psutil reports (O2DPG's default), read without importing psutil
    assert plan.limits.mem == pytest.approx(0.9 * psutil.virtual_memory().total / 1024 / 1024)


def test_shell_values_are_exported_by_bash_and_task_env_wins(tmp_path, options):
    g = {"CACHE": "$PWD/ccdb", "MODE": "global", "CHECK": '${CACHE:+"ON"}'}
    plan = plan_of(tmp_path, [task("a", "run", env={"MODE": "task", "CACHE": "/x"})], options, g)
    (planned,) = plan.tasks
    assert planned.env == {"MODE": "task", "CACHE": "/x"}
    assert planned.exports == 'export CHECK=${CACHE:+"ON"}\n'
    assert planned.shell_text.endswith("run")


def test_scripts_dir_is_put_on_path_once(tmp_path, options, monkeypatch):
    scripts = sysconfig.get_path("scripts")
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    plan = plan_of(tmp_path, [task("a")], options)
    assert plan.environ["PATH"] == f"{scripts}:/usr/bin:/bin"
    monkeypatch.setenv("PATH", f"/bin:{scripts}")
    assert plan_of(tmp_path, [task("a")], options).environ["PATH"] == f"/bin:{scripts}"


def test_alternative_alienv_package_warns(tmp_path, options):
    plan = plan_of(tmp_path, [task("a", alternative_alienv_package="O2::v1")], options)
    assert any("alienv" in w for w in plan.warnings)


def test_retry_attempts_take_the_larger_of_global_and_task(tmp_path, options):
    tasks = [task("a"), task("b", retry_count=3)]
    plan = plan_of(tmp_path, tasks, options, retry_on_failure=1)
    assert [t.max_attempts for t in plan.tasks] == [2, 4]


@given(st.text(min_size=1, max_size=12), st.integers(0, 10_000))
def test_group_of_strips_only_a_trailing_integer(stem, n):
    assert group_of(f"{stem}_{n}") == stem
    assert group_of(f"{stem}_{n}x") is None


def test_a_task_no_host_can_hold_is_refused_even_within_the_total(tmp_path, options):
    tasks = [task("wide", cpu=3, mem=100), task("fat", cpu=1, mem=3000), task("ok", cpu=2)]
    wf = write_workflow(tmp_path / "wf.json", tasks)
    many = dataclasses.replace(options, cpu_limit=4, mem_limit=4000)
    with pytest.raises(InvalidInput) as err:
        prepare(wf, many, hosts=[(2, 2000), (2, 2000)])
    text = str(err.value)
    assert "'wide' books 3 cores and 100 MB but no worker can hold that much" in text
    assert "'fat' books 1 cores and 3000 MB" in text
    assert "workers: 2 cores + 2000 MB" in text
    assert "'ok'" not in text
    assert prepare(wf, many, hosts=[(2, 2000), (3, 3000)]).limits.hosts == ((2, 2000), (3, 3000))


def test_optimistic_resources_clamps_to_the_host_keeping_most(tmp_path, options):
    wf = write_workflow(tmp_path / "wf.json", [task("x", cpu=4, mem=3000)])
    many = dataclasses.replace(options, cpu_limit=8, mem_limit=8000, optimistic_resources=True)
    # (4, 1000) keeps 4/4 + 1000/3000 of the demand, (2, 3000) keeps 2/4 + 3000/3000: more.
    plan = prepare(wf, many, hosts=[(4, 1000), (2, 3000), (1, 500)])
    assert (plan.tasks[0].demand.cpu, plan.tasks[0].demand.mem) == (2, 3000)
    assert any("clamped to 2 cores and 3000 MB" in w for w in plan.warnings)
