"""The engine's progress lines: one counter step per task, whatever its retries."""

from __future__ import annotations

import dataclasses
import re

from qcflow.runner import prepare, run_plan
from qcflow.runner.options import planning_options
from qcflow.runner.progress import Snapshot

from .conftest import task, write_workflow

# Fails the first two times it runs in a directory, then succeeds.
FLAKY = "n=$(cat count 2>/dev/null || echo 0); echo $((n+1)) > count; [ $n -ge 2 ]"


class Lines:
    """A progress display that keeps the lines it is given."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def update(self, snapshot: Snapshot) -> None:
        return None

    def line(self, text: str, style: str = "") -> None:
        self.lines.append(text)

    def close(self) -> None:
        return None


def run(tmp_path, options, tasks, **changes):
    options = dataclasses.replace(options, **changes)
    plan = prepare(write_workflow(tmp_path / "wf.json", tasks), planning_options(options))
    shown = Lines()
    result = run_plan(plan, options, progress=shown)
    return result, shown.lines


def counters(lines):
    return [m.group(1, 2) for m in map(re.compile(r"\[(\d+)/(\d+)\] ").match, lines) if m]


def test_retried_attempts_do_not_move_the_counter(tmp_path, options):
    tasks = [task("flaky", FLAKY), task("after", "true", ["flaky"])]
    result, lines = run(tmp_path, options, tasks, retry_on_failure=2)
    assert result.ok
    assert result.summary["tasks"][0]["retries"] == 2
    assert counters(lines) == [("1", "2"), ("2", "2")]
    retried = [line for line in lines if "to be retried" in line]
    assert [line.split(":")[0] for line in retried] == [
        "FAILED flaky (attempt 1, to be retried)",
        "FAILED flaky (attempt 2, to be retried)",
    ]


def test_the_last_failed_attempt_moves_the_counter(tmp_path, options):
    result, lines = run(tmp_path, options, [task("bad", "exit 3")], retry_on_failure=1)
    assert result.exit_code == 1
    assert counters(lines) == [("1", "1")]
    assert "[1/1] FAILED bad: exit code 3" in lines


def test_cached_tasks_count_as_finished(tmp_path, options):
    tasks = [task("a"), task("b", "true", ["a"]), task("c", "true", ["b"])]
    assert run(tmp_path, options, tasks)[0].ok
    result, lines = run(tmp_path, options, tasks, rerun_from="b")
    assert result.ok
    assert counters(lines) == [("2", "3"), ("3", "3")]
