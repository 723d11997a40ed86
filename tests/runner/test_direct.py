"""Plain commands run without bash (qcflow.runner.direct), and everything else as before.

The decision is checked against bash itself (the words it would pass), the runs on real
processes: which program is the task's main process, what it sees, what its log and marker hold,
and that whatever cannot start directly still runs, through bash, with bash's messages.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import string
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qcflow.runner.direct import PlainCommands, kernel_runs
from qcflow.runner.executor import Job
from qcflow.runner.local import LocalExecutor
from tests._wait import wait_for_file, wait_until

from .conftest import job, task, wait_outcomes, write_workflow

SAFE = string.ascii_letters + string.digits + "_@%+=:,./-"
TRUE = shutil.which("true")


@pytest.fixture
def here(tmp_path, monkeypatch) -> Path:
    """Run from ``tmp_path``: the tasks' directory is the runner's own."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def script(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


def decide(command: str, cwd: Path, env: dict[str, str] | None = None) -> list[str] | None:
    return PlainCommands().argv(command, os.environ if env is None else env, cwd)


def test_a_plain_command_runs_the_program_bash_would_find(here):
    assert decide("true", here) == [TRUE, "true"]
    assert decide("  ls  -l\t--color=never ./x  ", here) == [
        shutil.which("ls"),
        "ls",
        "-l",
        "--color=never",
        "./x",
    ]
    assert decide("./tool a", here) == ["./tool", "./tool", "a"]


@pytest.mark.parametrize(
    "command",
    [
        "echo hi",  # a builtin that is not exactly its program
        "cd x",
        "exit 0",
        "export A=1",
        "A=1 true",  # an assignment
        "%1",  # fg %1
        "true; true",
        "true && false",
        "true | cat",
        "true > out",
        "ls *.json",
        "ls ~",
        "ls {a,b}",
        "echo $HOME",
        "ls 'a b'",
        'ls "a"',
        "ls a\\ b",
        "true # comment",
        "true\ntrue",
        "(true)",
        "! true",
        "if",
        "",
        "   ",
        "no-such-program-qcflow-test",
    ],
)
def test_anything_with_shell_syntax_or_a_builtin_goes_to_bash(here, command):
    assert decide(command, here) is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BASH_ENV", "/dev/null"),  # read by bash first
        ("BASH_FUNC_ls%%", "() { echo no; }"),  # a function bash would call instead
        ("SHELLOPTS", "xtrace"),
        ("BASHOPTS", "extglob"),
        ("IFS", "x"),  # reset by bash for what it runs
        ("PS4", "zz"),
    ],
)
def test_the_environment_can_send_a_command_to_bash(here, name, value):
    base = {k: v for k, v in os.environ.items() if k not in {name, "BASH_ENV", "IFS", "PS4"}}
    assert decide("ls", here, base) is not None
    assert decide("ls", here, {**base, name: value}) is None
    assert decide("true", here, {**base, name: value}) is None


@pytest.mark.parametrize("path", ["", "/usr/bin::/bin", "~/bin:/usr/bin:/bin"])
def test_a_path_bash_reads_otherwise_than_which_sends_a_command_to_bash(here, path):
    # bash reads "" as the current directory and expands ~; shutil.which does neither
    assert decide("ls", here, {**os.environ, "PATH": path}) is None


def test_true_and_false_are_bash_builtins_whatever_path_holds(here):
    bindir = here / "bin"
    bindir.mkdir()
    script(bindir / "true", "#!/bin/sh\necho custom-true\n")
    env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}"}
    assert decide("true", here, env) == [TRUE, "true"]  # the system's, as the builtin
    assert decide("false", here, {k: v for k, v in env.items() if k != "PATH"}) is not None
    assert decide("true --version", here, env) is None  # the builtin ignores arguments


def test_another_directory_than_the_runners_goes_to_bash(here):
    assert decide("true", here / "sub") is None


def test_a_program_found_is_remembered_for_the_run_and_a_missing_one_is_not(here):
    bindir = here / "bin"
    bindir.mkdir()
    env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}"}
    plain = PlainCommands()
    assert plain.argv("qcflow-test-tool", env, here) is None
    tool = script(bindir / "qcflow-test-tool", "#!/bin/sh\nexit 0\n")
    assert plain.argv("qcflow-test-tool", env, here) is None  # as bash's hash: looked up once
    assert PlainCommands().argv("qcflow-test-tool", env, here) == [str(tool), "qcflow-test-tool"]


words = st.lists(st.text(SAFE, min_size=1, max_size=8), min_size=1, max_size=5)
blanks = st.lists(st.sampled_from([" ", "\t", "  "]), min_size=5, max_size=5)


@settings(max_examples=40, deadline=None)
@given(rest=words, gaps=blanks)
def test_the_words_are_the_ones_bash_passes(rest, gaps):
    text = "ls" + "".join(gap + word for gap, word in zip(gaps, rest, strict=False))
    argv = PlainCommands().argv(text, os.environ, Path.cwd())
    assert argv is not None
    assert argv[:2] == [shutil.which("ls"), "ls"]
    script = "set --" + text[2:] + '; printf "%s\\0" "$@"'
    said = subprocess.run(["/bin/bash", "-c", script], capture_output=True, check=True).stdout
    assert argv[2:] == said.decode().split("\0")[:-1]


@settings(max_examples=200)
@given(rest=words, bad=st.characters(blacklist_characters=SAFE + " \t"), at=st.integers(0, 60))
def test_a_character_outside_the_plain_ones_goes_to_bash(rest, bad, at):
    text = "ls " + " ".join(rest)
    at %= len(text) + 1
    assert PlainCommands().argv(text[:at] + bad + text[at:], os.environ, Path.cwd()) is None


# -- running them ------------------------------------------------------------------------------


@pytest.fixture
def executor():
    made = LocalExecutor(grace=0.5)
    yield made
    made.close()


def comm(pid: int | str) -> str:
    return Path(f"/proc/{pid}/comm").read_text().strip()


def started(executor: LocalExecutor, job: Job) -> str:
    """Start ``job``; the name of the program its main process runs.

    ``posix_spawn`` returns once the child has its new memory, a moment before the kernel names
    it after its program; a zombie keeps that name until it is reaped.
    """
    executor.start(job)
    pid, ours = executor.pids()[job.key], comm("self")
    wait_until(lambda: comm(pid) != ours, f"{job.command!r} named after its program")
    return comm(pid)


def test_a_plain_command_is_the_tasks_main_process_and_the_rest_a_shell(here, executor):
    assert started(executor, job(here, "true", 0)) == "true"
    assert started(executor, job(here, "true; true", 1)) == "bash"
    assert started(executor, job(here, "true", 2, cwd=here / "sub")) == "bash"
    assert started(executor, job(here, "true", 3, attempt=2)) == "bash"  # the log's header
    assert {o.key: o.rc for o in wait_outcomes(executor, 4)} == {0: 0, 1: 0, 2: 0, 3: 0}
    always = LocalExecutor(grace=0.5, direct=False)
    try:
        assert started(always, job(here, "true", 4)) == "bash"
        assert wait_outcomes(always, 1)[0].rc == 0
    finally:
        always.close()


def test_its_log_has_both_streams_its_marker_only_success_its_environment_the_task(here, executor):
    (here / "present").write_text("")
    marked = {"marker_text": "stamp"}
    assert (
        started(executor, job(here, "ls present absent", 0, marker=here / "t0.done", **marked))
        == "ls"
    )
    command = "printenv PWD QCFLOW_TASK_ID"
    assert started(executor, job(here, command, 1, marker=here / "t1.done", **marked)) == "printenv"
    outcomes = {o.key: o for o in wait_outcomes(executor, 2)}
    assert (outcomes[0].rc, outcomes[0].reason) == (2, "exit code 2")
    log = (here / "t0.log").read_text()
    assert "present" in log
    assert "absent" in log  # ls's complaint, from its standard error
    assert not (here / "t0.done").exists()
    assert outcomes[1].rc == 0
    pwd, tag = (here / "t1.log").read_text().splitlines()
    assert pwd == str(here)
    assert tag.endswith(":1")
    assert (here / "t1.done").read_text() == "stamp\n"


def test_a_command_killed_by_its_own_signal_says_which(here, executor):
    boom = script(here / "boom", "#!/bin/sh\nkill -SEGV $$\n")
    assert started(executor, job(here, "./boom", 0, marker=here / "t0.done")) == "boom"
    [direct] = wait_outcomes(executor, 1)
    assert (direct.rc, direct.reason) == (None, "killed by signal SIGSEGV")
    # bash, which has the marker line to run after the command, reports 128 + the signal
    always = LocalExecutor(grace=0.5, direct=False)
    try:
        always.start(job(here, f"{boom}", 1, marker=here / "t1.done"))
        [through_bash] = wait_outcomes(always, 1)
    finally:
        always.close()
    assert (through_bash.rc, through_bash.reason) == (139, "exit code 139")


def test_what_cannot_start_directly_runs_through_bash_with_its_messages(here, executor):
    script(here / "no-hash-bang", "echo from-bash\n")  # bash runs it as a script
    assert started(executor, job(here, "./no-hash-bang", 0, marker=here / "t0.done")) == "bash"
    assert started(executor, job(here, "no-such-program-qcflow-test", 1)) == "bash"
    assert started(executor, job(here, "true", 2, log=here / "missing" / "t2.log")) == "bash"
    outcomes = {o.key: o for o in wait_outcomes(executor, 3)}
    assert outcomes[0].rc == 0
    assert (here / "t0.log").read_text() == "from-bash\n"
    assert (here / "t0.done").exists()
    assert outcomes[1].rc == 127
    assert "command not found" in (here / "t1.log").read_text()
    assert (outcomes[2].rc, outcomes[2].reason) == (1, "exit code 1")  # bash's `exec >log`


def test_a_backfill_task_runs_directly_after_nice_as_its_own_path(here, executor):
    # `nice` runs the program bash would have found: by its path, whatever `nice` finds first
    decoy = script(here / "bin" / "prog", "#!/bin/sh\necho decoy\n")
    script(here / "real" / "prog", '#!/bin/sh\necho "$0 $1 $(nice)" > out\nexec sleep 300\n')
    env = {"PATH": f"{here / 'real'}:{decoy.parent}:/usr/bin:/bin"}
    executor.start(job(here, "prog arg", nice=7, env=env, marker=here / "t0.done"))
    pid = executor.pids()[0]
    wait_until(lambda: comm(pid) not in {"nice", comm("self")}, "the program, after nice")
    assert comm(pid) in {"prog", "sleep"}  # not bash
    wait_until(lambda: (here / "out").exists() and (here / "out").read_text(), "its output")
    wanted = min(19, os.nice(0) + 7)
    assert (here / "out").read_text().split() == [str(here / "real" / "prog"), "arg", str(wanted)]
    executor.kill(0)
    assert wait_outcomes(executor, 1)[0].reason == "killed"
    assert not (here / "t0.done").exists()


def test_a_backfill_program_that_cannot_run_goes_to_bash_for_its_message(here, executor):
    (here / "not-executable").write_text("#!/bin/sh\ntrue\n")
    executor.start(job(here, "./not-executable", nice=5))
    assert wait_outcomes(executor, 1)[0].rc == 126
    assert "bash" in (here / "t0.log").read_text()  # bash's message, not nice's


def elf_for_another_machine(path: Path) -> Path:
    data = bytearray(Path(TRUE).read_bytes())
    data[18:20] = b"\xb7\x00" if data[18:20] != b"\xb7\x00" else b"\x3e\x00"  # aarch64/x86-64
    path.write_bytes(bytes(data))
    path.chmod(0o755)
    return path


def test_nice_is_given_only_what_the_kernel_runs_as_it_is(here):
    # nice would word the failure itself, or have /bin/sh run what the kernel refuses
    assert kernel_runs(TRUE)
    assert kernel_runs(str(script(here / "ok", "#!/bin/sh\ntrue\n")))
    assert kernel_runs(str(script(here / "ok-arg", "#! /usr/bin/env  -S true\n")))
    refused = {
        "no-hash-bang": script(here / "no-hash-bang", "true\n"),
        "missing interpreter": script(here / "gone", "#!/nonexistent/sh\ntrue\n"),
        "CRLF": script(here / "crlf", "#!/bin/sh\r\ntrue\r\n"),
        "empty #!": script(here / "empty", "#!\ntrue\n"),
        "interpreter a script": script(here / "nested", f"#!{here / 'ok'}\ntrue\n"),
        "relative interpreter": script(here / "relative", "#!bin/sh\ntrue\n"),
        "no line end": script(here / "long", "#!/bin/sh " + "x" * 300),
        "another machine": elf_for_another_machine(here / "foreign"),
    }
    (here / "not-exec").write_text("#!/bin/sh\ntrue\n")
    refused["not executable"] = here / "not-exec"
    os.mkfifo(here / "fifo")
    (here / "fifo").chmod(0o755)
    refused["FIFO"] = here / "fifo"  # (and no hang opening it)
    refused["missing"] = here / "missing"
    assert [why for why, path in refused.items() if kernel_runs(str(path))] == []


def test_a_backfill_program_removed_during_the_run_goes_to_bash_which_finds_another(here, executor):
    # The PATH lookup is remembered; the check before nice is not.
    first = script(here / "a" / "prog", "#!/bin/sh\necho a\n")
    script(here / "b" / "prog", "#!/bin/sh\necho b\n")
    env = {"PATH": f"{here / 'a'}:{here / 'b'}:/usr/bin:/bin"}
    executor.start(job(here, "prog", 0, nice=5, env=env))
    assert wait_outcomes(executor, 1)[0].rc == 0
    first.unlink()
    executor.start(job(here, "prog", 1, nice=5, env=env))
    assert wait_outcomes(executor, 1)[0].rc == 0
    assert [(here / f"t{k}.log").read_text() for k in (0, 1)] == ["a\n", "b\n"]


def test_a_backfill_binary_for_another_machine_goes_to_bash(here, executor):
    elf_for_another_machine(here / "foreign")
    executor.start(job(here, "./foreign", nice=5))
    assert wait_outcomes(executor, 1)[0].rc == 126
    assert "bash" in (here / "t0.log").read_text()  # "cannot execute binary file"


def test_a_backfill_script_without_hash_bang_runs_through_bash(here, executor):
    # `nice` would have /bin/sh run it; bash runs it itself, as for any other task
    script(here / "no-hash-bang", "echo $BASH_VERSION > out\n")
    executor.start(job(here, "./no-hash-bang", nice=5, marker=here / "t0.done"))
    assert wait_outcomes(executor, 1)[0].rc == 0
    assert (here / "out").read_text().strip()  # bash's version: bash ran it
    assert (here / "t0.done").exists()


def test_a_backfill_retry_runs_through_bash_niced(here, executor):
    executor.start(job(here, "sleep 300", nice=19, attempt=2, marker=here / "t0.done"))
    pid = executor.pids()[0]
    wait_until(lambda: comm(pid) == "bash", "bash, after nice")  # (its marker line: it stays)
    assert os.getpriority(os.PRIO_PROCESS, pid) == min(19, os.nice(0) + 19)
    executor.kill(0)
    assert wait_outcomes(executor, 1)[0].reason == "killed"


def test_a_task_the_runner_ends_has_no_exit_code_even_if_its_program_exits_0(here, executor):
    script(here / "term-ok", "#!/bin/sh\ntrap 'exit 0' TERM\necho > ready\nsleep 300 & wait\n")
    marker = here / "t0.done"
    assert started(executor, job(here, "./term-ok", marker=marker, marker_text="x")) == "term-ok"
    wait_for_file(here / "ready")
    executor.kill(0)
    [outcome] = wait_outcomes(executor, 1)
    assert (outcome.rc, outcome.reason, outcome.ok) == (None, "killed", False)
    assert not marker.exists()


def test_a_log_that_would_block_leaves_the_wait_to_the_task(here, executor):
    # A FIFO nobody reads: bash's task waits for a reader, the runner does not
    os.mkfifo(here / "t0.log")
    assert started(executor, job(here, "true")) == "bash"
    reader = os.open(here / "t0.log", os.O_RDONLY | os.O_NONBLOCK)
    try:
        assert wait_outcomes(executor, 1)[0].rc == 0
    finally:
        os.close(reader)


def test_a_run_from_the_tasks_directory_resumes_and_always_bash_is_a_flag(here):
    # bash adds 1 to SHLVL for the command it runs; run directly, the command sees the value
    write_workflow(here / "wf.json", [task("a", "printenv SHLVL")], global_env={"SHLVL": "5"})
    qcflow = [sys.executable, "-m", "qcflow", "run", "-f", "wf.json", "--progress", "none"]
    first = subprocess.run(qcflow, cwd=here, capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stderr
    assert (here / "a.log").read_text() == "5\n"
    again = subprocess.run(qcflow, cwd=here, capture_output=True, text=True, check=False)
    assert again.returncode == 0
    assert json.loads((here / "summary.json").read_text())["counts"] == {"cached": 1}
    forced = [*qcflow, "--always-bash", "--rerun-from", "a"]
    bash = subprocess.run(forced, cwd=here, capture_output=True, text=True, check=False)
    assert bash.returncode == 0, bash.stderr
    assert (here / "a.log").read_text() == "6\n"


def test_a_fifo_log_with_a_slow_reader_gets_all_the_output(here, executor):
    # Opened by the new process for a direct start, the log was O_NONBLOCK: the program's
    # writes failed once the pipe was full (EAGAIN). A FIFO goes through bash, which blocks.
    os.mkfifo(here / "t0.log")
    reader = os.open(here / "t0.log", os.O_RDONLY | os.O_NONBLOCK)
    expected = "".join(f"{i}\n" for i in range(1, 300001)).encode()
    data = bytearray()

    def read_all() -> bool:
        select.select([reader], [], [], 0.05)  # (no writer yet: nothing to read, no EOF)
        with contextlib.suppress(BlockingIOError):
            data.extend(os.read(reader, 1 << 16))
        return len(data) >= len(expected)

    try:
        # (a marker line after the command: bash stays, rather than becoming seq)
        assert started(executor, job(here, "seq 1 300000", marker=here / "t0.done")) == "bash"
        wait_until(read_all, "all of seq's output")
    finally:
        os.close(reader)
    assert wait_outcomes(executor, 1)[0].rc == 0
    assert bytes(data) == expected
