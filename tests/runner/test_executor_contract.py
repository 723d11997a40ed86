"""The executor contract (:mod:`qcflow.runner.executor`), on every executor.

Each test runs on the local executor and on the Dask executor over a real
``distributed.LocalCluster`` of worker processes on 127.0.0.1 (``dask_cluster`` in conftest,
started once and closed after the session), as the QCDB's conformance suite runs on every
repository. What an executor must do whatever runs the job: report a failed start as an
outcome, end the whole process tree with the reason given (a second kill without grace),
enforce timeouts, leave nothing behind, return a blocked ``wait`` on ``wake``, append a retry
to the log, write the completion marker only on exit code 0.

Nothing here waits for time: a test waits for a file, a process's end or an outcome, up to the
shared deadline (tests/_wait.py).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from qcflow.runner.executor import Executor, Job, Outcome
from qcflow.runner.local import LocalExecutor
from tests._wait import DEADLINE, alive, wait_for_file, wait_until, wait_until_dead

from .conftest import job, wait_outcomes

#: Seconds between SIGTERM and SIGKILL, unless a test needs a grace it can never wait out.
GRACE = 0.5
Make = Callable[..., Executor]


@pytest.fixture(scope="module")
def dask_client(dask_cluster):
    distributed = pytest.importorskip("distributed")
    with distributed.Client(dask_cluster, set_as_default=False) as client:
        yield client


@pytest.fixture(params=["local", "local-here", "dask"])
def make(request: pytest.FixtureRequest) -> Iterator[Make]:
    """Makes executors of one kind (``make(grace=...)``) and closes them after, unless
    ``closed_by_the_test``. ``local-here``: run from the jobs' directory, where the local
    executor starts plain commands without bash (qcflow.runner.direct)."""
    made: list[Executor] = []
    if request.param == "local-here":
        request.getfixturevalue("monkeypatch").chdir(request.getfixturevalue("tmp_path"))

    def build(grace: float = GRACE, closed_by_the_test: bool = False) -> Executor:
        executor: Executor
        if request.param.startswith("local"):
            executor = LocalExecutor(grace=grace)
        else:
            from qcflow.runner.dask.executor import DaskExecutor

            client = request.getfixturevalue("dask_client")
            executor = DaskExecutor(client, grace=grace, monitor_interval=0)
        if not closed_by_the_test:
            made.append(executor)
        return executor

    yield build
    for executor in made:
        executor.close()


@pytest.fixture
def executor(make: Make) -> Executor:
    return make()


def pids(tmp_path: Path, *names: str) -> list[int]:
    return [int((tmp_path / name).read_text()) for name in names]


def wait_while_running(executor: Executor, condition: Callable[[], bool]) -> list[Outcome]:
    """Let ``executor`` work (a Dask executor sends kills from ``wait``) until ``condition``."""
    seen: list[Outcome] = []

    def done() -> bool:
        seen.extend(executor.wait(0.05))
        return condition()

    wait_until(done, "the condition")
    return seen


def test_output_goes_to_the_log_and_the_exit_code_is_reported(executor, tmp_path):
    executor.start(job(tmp_path, "echo out; echo err >&2", 0))
    executor.start(job(tmp_path, "exit 3", 1))
    outcomes = {o.key: o for o in wait_outcomes(executor, 2)}
    assert (outcomes[0].rc, outcomes[0].reason, outcomes[0].ok) == (0, "", True)
    assert (outcomes[1].rc, outcomes[1].reason, outcomes[1].ok) == (3, "exit code 3", False)
    assert (tmp_path / "t0.log").read_text().split() == ["out", "err"]


def test_the_job_runs_in_its_directory_made_for_it_with_its_variables(executor, tmp_path):
    where = tmp_path / "a" / "b"
    env = {**os.environ, "FROM_THE_JOB": "yes"}
    executor.start(
        job(tmp_path, 'echo "$FROM_THE_JOB" > out.txt; pwd >> out.txt', cwd=where, env=env)
    )
    assert wait_outcomes(executor, 1)[0].ok
    value, cwd = (where / "out.txt").read_text().splitlines()
    assert value == "yes"
    assert Path(cwd) == where


def test_the_job_starts_with_no_signal_ignored_or_blocked_by_python(executor, tmp_path):
    # Python ignores SIGPIPE and SIGXFSZ for itself; a shell that inherited that would make
    # `yes | head -1` fail on a broken pipe instead of ending quietly (subprocess restores them)
    executor.start(job(tmp_path, "grep -E '^Sig(Ign|Blk):' /proc/self/status > sig.txt"))
    assert wait_outcomes(executor, 1)[0].ok
    masks = dict(line.split(":") for line in (tmp_path / "sig.txt").read_text().splitlines())
    ignored, blocked = int(masks["SigIgn"], 16), int(masks["SigBlk"], 16)
    for number in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGCHLD):
        assert not ignored & (1 << (number - 1)), signal.Signals(number).name
    assert blocked == 0


def test_the_done_marker_is_written_only_on_exit_code_0(executor, tmp_path):
    def marked(key: int, command: str) -> Job:
        return job(tmp_path, command, key, marker=tmp_path / f"t{key}.done", marker_text="stamp")

    executor.start(marked(0, "true"))
    executor.start(marked(1, "exit 3"))
    executor.start(marked(2, "echo $$ > t2.pid; sleep 300"))
    wait_for_file(tmp_path / "t2.pid")
    executor.kill(2)
    outcomes = {o.key: o.rc for o in wait_outcomes(executor, 3)}
    assert outcomes == {0: 0, 1: 3, 2: None}
    assert (tmp_path / "t0.done").read_text() == "stamp\n"
    assert not (tmp_path / "t1.done").exists()
    assert not (tmp_path / "t2.done").exists()


def test_a_log_that_cannot_be_opened_fails_the_job(executor, tmp_path):
    executor.start(job(tmp_path, "true", log=tmp_path / "no-such-directory" / "t0.log"))
    assert wait_outcomes(executor, 1)[0].rc == 1


def test_attempt_2_appends_to_the_log(executor, tmp_path):
    executor.start(job(tmp_path, "echo first"))
    wait_outcomes(executor, 1)
    executor.start(job(tmp_path, "echo second", attempt=2))
    wait_outcomes(executor, 1)
    text = (tmp_path / "t0.log").read_text()
    assert text.index("first") < text.index("--- qcflow: attempt 2 ---") < text.index("second")


#: A tree: two children, a grandchild, and a child in a session of its own (left the group).
TREE = (
    "sleep 300 & echo $! > a.pid; "
    "bash -c 'sleep 300 & echo $! > inner.pid; wait' & echo $! > b.pid; "
    "setsid sleep 300 & echo $! > esc.pid; "
    "while [ ! -s inner.pid ]; do sleep 0.05; done; echo $$ > leader.pid; wait"
)
TREE_PIDS = ("a.pid", "b.pid", "inner.pid", "esc.pid", "leader.pid")


def test_kill_ends_the_whole_process_tree_with_its_reason(executor, tmp_path):
    executor.start(job(tmp_path, TREE))
    wait_for_file(tmp_path / "leader.pid")
    tree = pids(tmp_path, *TREE_PIDS)
    assert all(alive(p) for p in tree)
    executor.kill(0, "stopping")
    (outcome,) = wait_outcomes(executor, 1)
    assert (outcome.rc, outcome.reason) == (None, "stopping")
    wait_while_running(executor, lambda: not any(alive(p) for p in tree))


def test_sigterm_ignored_is_followed_by_sigkill_after_the_grace(executor, tmp_path):
    executor.start(job(tmp_path, "trap '' TERM; echo $$ > t.pid; while true; do sleep 0.1; done"))
    wait_for_file(tmp_path / "t.pid")
    executor.kill(0)
    (outcome,) = wait_outcomes(executor, 1)
    assert (outcome.rc, outcome.reason) == (None, "killed")
    wait_until_dead(pids(tmp_path, "t.pid"))


def test_a_second_kill_does_not_wait_for_the_grace(make, tmp_path):
    executor = make(grace=10 * DEADLINE)  # only the second kill can end it before the deadline
    command = "trap 'echo term > term.txt' TERM; echo $$ > t.pid; while true; do sleep 0.05; done"
    executor.start(job(tmp_path, command))
    wait_for_file(tmp_path / "t.pid")
    executor.kill(0, "first")
    seen = wait_while_running(executor, (tmp_path / "term.txt").exists)  # it shrugged SIGTERM
    assert seen == []
    executor.kill(0, "second")
    (outcome,) = wait_outcomes(executor, 1)
    assert (outcome.rc, outcome.reason) == (None, "first")
    wait_until_dead(pids(tmp_path, "t.pid"))


def test_the_first_sigterm_reaches_what_left_the_group_at_once(make, tmp_path):
    """A leader holding out its grace period does not shield what it started in a session of
    its own: before, the Dask worker looked for those only once the leader had ended."""
    executor = make(grace=10 * DEADLINE)
    command = (
        "trap 'echo term > term.txt' TERM; setsid sleep 300 & echo $! > esc.pid; "
        "echo $$ > t.pid; while true; do sleep 0.05; done"
    )
    executor.start(job(tmp_path, command))
    wait_for_file(tmp_path / "t.pid")
    escaped = pids(tmp_path, "esc.pid")
    executor.kill(0, "stopping")
    seen = wait_while_running(executor, lambda: not alive(escaped[0]))
    assert seen == []  # the leader still runs
    executor.kill(0)
    (outcome,) = wait_outcomes(executor, 1)
    assert (outcome.rc, outcome.reason) == (None, "stopping")


def test_a_timeout_ends_the_job_and_its_tree(executor, tmp_path):
    # 2.5 s: time for bash to start and write bg.pid even on a busy (Dask) worker
    executor.start(job(tmp_path, "sleep 300 & echo $! > bg.pid; wait", timeout=2.5))
    (outcome,) = wait_outcomes(executor, 1)
    assert (outcome.rc, outcome.reason) == (None, "timeout after 2.5 s")
    wait_while_running(executor, lambda: not alive(pids(tmp_path, "bg.pid")[0]))


def test_what_a_finished_job_leaves_running_is_ended(executor, tmp_path):
    command = "sleep 300 & echo $! > bg.pid; setsid sleep 300 & echo $! > esc.pid; exit 1"
    executor.start(job(tmp_path, command))
    (outcome,) = wait_outcomes(executor, 1)
    assert (outcome.rc, outcome.reason) == (1, "exit code 1")
    left = pids(tmp_path, "bg.pid", "esc.pid")
    wait_while_running(executor, lambda: not any(alive(p) for p in left))


@pytest.mark.parametrize(
    ("where", "env", "why"),
    [
        ("file/below", {}, "Not a directory: "),
        (".", {"BAD": "a\0b"}, "embedded null byte"),
    ],
    ids=["cwd-below-a-file", "nul-in-env"],
)
def test_a_job_that_cannot_start_is_a_failed_outcome(executor, tmp_path, where, env, why):
    (tmp_path / "file").write_text("")
    executor.start(job(tmp_path, "true", cwd=tmp_path / where, env={**os.environ, **env}))
    (outcome,) = wait_outcomes(executor, 1)
    assert outcome.rc is None
    assert outcome.reason.startswith("cannot start: ")
    assert why in outcome.reason


def test_wake_returns_a_blocked_wait(executor, tmp_path):
    executor.start(job(tmp_path, "echo $$ > t.pid; sleep 300"))
    wait_for_file(tmp_path / "t.pid")
    returned: list[list[Outcome]] = []
    waiter = threading.Thread(target=lambda: returned.append(executor.wait(None)))
    waiter.start()
    executor.wake()  # before or during the wait: either way the wait returns
    waiter.join(DEADLINE)
    assert returned == [[]]
    executor.kill(0)
    wait_outcomes(executor, 1)


@pytest.mark.parametrize("shift", [0, 1])
def test_a_wake_after_close_writes_nowhere(make, shift):
    """A signal handler or a Dask thread may wake a closed executor: its pipe's descriptor
    numbers now name other files, which must not get its byte (before, the local one wrote).

    New pipes take the lowest free numbers, the closed ones among them; ``shift`` opens one
    descriptor first, so that the old write end is a new pipe's write end in one of the cases.
    """
    executor = make(closed_by_the_test=True)
    executor.close()
    fds = [os.open(os.devnull, os.O_RDONLY) for _ in range(shift)]
    pipes = [os.pipe() for _ in range(16)]
    fds += [fd for pipe in pipes for fd in pipe]
    try:
        executor.wake()
        for read, _ in pipes:
            os.set_blocking(read, False)
            with pytest.raises(BlockingIOError):
                os.read(read, 1)
    finally:
        for fd in fds:
            os.close(fd)


def test_close_leaves_nothing_running(make, tmp_path):
    executor = make(closed_by_the_test=True)
    try:
        for k in range(3):
            executor.start(job(tmp_path / f"j{k}", TREE, k))
        for k in range(3):  # each job has its whole tree up
            wait_for_file(tmp_path / f"j{k}" / "leader.pid")
        tree = [p for k in range(3) for p in pids(tmp_path / f"j{k}", *TREE_PIDS)]
    finally:
        executor.close()
    wait_until_dead(tree)


def test_backfill_jobs_run_niced(executor, tmp_path):
    executor.start(job(tmp_path, "nice", nice=19))
    assert wait_outcomes(executor, 1)[0].ok
    assert (tmp_path / "t0.log").read_text().strip() == str(min(19, os.nice(0) + 19))
