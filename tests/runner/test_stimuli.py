"""The stimulus log (``--stimulus-log``): a real run recorded, replayed on a fresh scheduler."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qcflow.cli import main
from qcflow.errors import InvalidInput
from qcflow.runner import replay as replay_command
from qcflow.runner import run_workflow, stimuli
from qcflow.runner import scheduler as sch
from qcflow.runner.resources import Demand, ResourceLimits
from qcflow.runner.stimuli import ReplayMismatch, StimulusLog, read_log, replay
from tests.cli.test_run import QUIET

from .conftest import task, write_workflow
from .test_contain import subreaper_flag

# Fails the first two times it runs in a directory, then succeeds.
FLAKY = "n=$(cat count 2>/dev/null || echo 0); echo $((n+1)) > count; [ $n -ge 2 ]"
TASKS = [
    task("a"),
    task("big", needs=["a"], cpu=2),
    *(task(f"b{i}", needs=["a"]) for i in range(3)),
    task("flaky", FLAKY, cwd="F"),
    task("bad", "exit 3"),
    task("after_bad", needs=["bad"]),
]


def recorded_run(tmp_path: Path, options, **changes):
    log = tmp_path / "stimuli.jsonl"
    wf = write_workflow(tmp_path / "wf.json", TASKS)
    changes = {"keep_going": True, "retry_on_failure": 2, "stimulus_log": log, **changes}
    return run_workflow(wf, dataclasses.replace(options, **changes)), log


@pytest.fixture
def recorded(tmp_path, options):
    return recorded_run(tmp_path, options)


def test_a_real_run_replays_to_the_same_decisions(recorded):
    result, log = recorded
    assert result.exit_code == 1  # bad failed; after_bad blocked
    records, torn = read_log(log)
    assert not torn
    assert [r["seq"] for r in records] == list(range(len(records)))
    again = replay(log)
    assert again.undecided is None
    # the same starts, in the same order, attempts included, as the run itself took
    assert again.starts() == result.order
    assert again.starts().count("flaky") == 3 and again.starts().count("bad") == 3
    assert {again.state.names[i]: s for i, s in enumerate(again.state.status)} == {
        r.name: r.status for r in result.records
    }
    failed = [r for r in records if r["kind"] == "failed"]
    assert {(r["name"], r["rc"]) for r in failed} == {("flaky", 1), ("bad", 3)}
    assert any(r["kind"] == "decide" and r["actions"] for r in records)


def test_a_changed_log_is_a_mismatch_not_a_replay(recorded, tmp_path, capsys):
    """One perturbed stimulus (a failure turned into a success) changes a decision."""
    _, log = recorded
    lines = log.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if '"kind":"failed"' in line)
    record = json.loads(lines[index])
    record.update(kind="finished", rc=0, reason="")
    lines[index] = json.dumps(record)
    changed = tmp_path / "changed.jsonl"
    changed.write_text("\n".join(lines) + "\n")
    with pytest.raises(ReplayMismatch) as err:
        replay(changed)
    assert err.value.seq > record["seq"]
    assert replay_command.main([str(changed)]) == 1
    assert "differs" in capsys.readouterr().err


def test_the_replay_command_prints_the_decisions(recorded, capsys):
    _, log = recorded
    assert replay_command.main([str(log)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "start a (normal, attempt 1)" in out[0]
    assert out[-1].endswith("every decision the same")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cut=st.floats(0.0, 1.0))
def test_a_crash_leaves_a_prefix_that_replays(recorded, tmp_path, cut):
    """Cut anywhere (a runner killed mid-write): the complete lines replay to the same first
    decisions, a torn last line is dropped; cut inside the first line, it is not a log."""
    _, log = recorded
    data = log.read_bytes()
    full = replay(log).decisions
    prefix = tmp_path / "prefix.jsonl"
    prefix.write_bytes(data[: int(cut * len(data))])
    first_line = data.index(b"\n") + 1
    if len(prefix.read_bytes()) < first_line:
        with pytest.raises(InvalidInput, match="not a stimulus log"):
            replay(prefix)
        return
    again = replay(prefix)
    assert again.decisions == full[: len(again.decisions)]
    assert again.torn == (not prefix.read_bytes().endswith(b"\n"))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    junk=st.lists(
        st.one_of(
            st.text(max_size=30),
            st.fixed_dictionaries(
                {
                    "kind": st.sampled_from(
                        [
                            "finished",
                            "failed",
                            "retry-due",
                            "stop",
                            "estimate",
                            "decide",
                            "wake",
                            "other",
                        ]
                    )
                },
                optional={
                    "task": st.one_of(st.integers(-2, 10), st.text(max_size=3), st.none()),
                    "rc": st.one_of(st.integers(-9, 9), st.none(), st.text(max_size=2)),
                    "reason": st.text(max_size=5),
                    "cpu": st.one_of(st.floats(0, 8), st.text(max_size=2)),
                    "mem": st.floats(1, 1e4),
                    "semaphore": st.one_of(st.none(), st.text(max_size=3)),
                    "seq": st.integers(0, 99),
                    "actions": st.lists(
                        st.dictionaries(
                            st.sampled_from(["kind", "task", "lane", "attempt"]), st.integers(0, 3)
                        ),
                        max_size=2,
                    ),
                },
            ).map(json.dumps),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_a_damaged_log_is_one_clear_error(recorded, tmp_path, junk):
    """Whatever follows the recorded start: a replay, a mismatch, or InvalidInput naming the
    line; never another exception."""
    _, log = recorded
    first = log.read_text().splitlines()[0]
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_text("\n".join([first, *junk]) + "\n")
    message = f"{damaged} line (replayed)"
    try:
        replay(damaged)
    except InvalidInput as err:
        message = str(err)
    except ReplayMismatch:
        pass
    assert message.startswith(f"{damaged} line ")


def test_every_stimulus_kind_round_trips(tmp_path):
    """Stop, Reestimated and RetryDue (rare in a short real run) replay like the rest."""
    path = tmp_path / "s.jsonl"
    log = StimulusLog(path)
    limits = ResourceLimits(cpu=2, mem=1000)
    state = log.start_state(
        [[], [0], [0], []],
        [Demand(), Demand(), Demand(2, 100, "gpu"), Demand()],
        [(0, 0, 0), (0, 0, 1), (0, 0, 2), (1, 0, 3)],
        [2, 1, 1, 1],
        sch.Settings(limits, retry_backoff=0.5),
        names=["a", "b", "c", "d"],
    )
    log.handle(state, [])
    log.handle(state, [sch.Finished(0, ok=False, reason="exit 1", rc=1)])
    log.handle(state, [sch.Reestimated(2, Demand(1, 100, "gpu")), sch.RetryDue(0)])
    log.note("wake")
    log.handle(state, [sch.Finished(0, ok=True, rc=0)])
    log.handle(state, [sch.Stop("interrupted by SIGINT")])
    log.close()
    again = replay(path)
    kinds = [r["kind"] for r in read_log(path)[0]]
    assert {"estimate", "retry-due", "stop", "wake", "failed", "finished"} <= set(kinds)
    assert [a for _, acts in again.decisions for a in acts if isinstance(a, sch.Kill)]
    assert again.state.status == state.status


def test_the_environment_variable_turns_it_on(tmp_path, options, monkeypatch):
    log = tmp_path / "from-env.jsonl"
    monkeypatch.setenv(stimuli.ENV, str(log))
    wf = write_workflow(tmp_path / "wf.json", [task("a"), task("b", needs=["a"])])
    assert run_workflow(wf, options).ok
    assert replay(log).starts() == ["a", "b"]
    assert run_workflow(wf, options).ok  # resumed: both done already
    assert read_log(log)[0][0]["cached"] == [0, 1]
    assert replay(log).state.status == ["cached", "cached"]


def test_off_nothing_is_recorded_or_even_created(tmp_path, options, monkeypatch):
    monkeypatch.delenv(stimuli.ENV, raising=False)

    def refuse(*args, **kwargs):
        raise AssertionError("a stimulus log was made")

    monkeypatch.setattr(StimulusLog, "__init__", refuse)
    wf = write_workflow(tmp_path / "wf.json", [task("a"), task("bad", "exit 1")])
    assert run_workflow(wf, dataclasses.replace(options, keep_going=True)).exit_code == 1


def test_the_run_command_takes_the_flag_and_refuses_an_unwritable_file(tmp_path, capsys):
    wf = write_workflow(tmp_path / "wf.json", [task("a")])
    log = tmp_path / "logs" / "stimuli.jsonl"
    args = ["run", "-f", str(wf), "--workdir", str(tmp_path), *QUIET]
    assert main([*args, "--stimulus-log", str(log)]) == 0
    assert replay(log).starts() == ["a"]
    (tmp_path / "file").write_text("")
    capsys.readouterr()
    assert main([*args, "--stimulus-log", str(tmp_path / "file" / "s.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qcflow: error: cannot write the stimulus log")
    assert len(err.splitlines()) == 1
    assert subreaper_flag() == 0  # the executor made for the run was closed all the same


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not a stimulus log"),
        ('{"seq":0,"kind":"decide","actions":[]}\n', "not a stimulus log"),
        ("not json\n", "line 1: not JSON"),
        ('{"seq":0,"kind":"init","version":99}\n', "line 1: not a valid stimulus-log record"),
    ],
)
def test_not_a_log_is_invalid_input(tmp_path, capsys, text, message):
    path = tmp_path / "x.jsonl"
    path.write_text(text)
    with pytest.raises(InvalidInput, match=message):
        replay(path)
    assert replay_command.main([str(path)]) == 2
    assert replay_command.main([str(tmp_path / "missing.jsonl")]) == 2
    assert "cannot read the stimulus log" in capsys.readouterr().err


def test_a_run_on_dask_is_recorded_and_replayed_the_same_way(tmp_path, dask_options):
    """The log is the engine's: on a Dask cluster too, with the workers' hosts in the limits."""
    wf = write_workflow(
        tmp_path / "wf.json", [task("a"), task("bad", "exit 4"), task("c", needs=["a"])]
    )
    log = tmp_path / "dask.jsonl"
    options = dataclasses.replace(
        dask_options, stimulus_log=log, keep_going=True, retry_on_failure=1
    )
    result = run_workflow(wf, options)
    assert result.exit_code == 1
    again = replay(log)
    assert again.starts() == result.order
    assert again.starts().count("bad") == 2
    init = read_log(log)[0][0]
    assert len(init["settings"]["limits"]["hosts"]) == 2
