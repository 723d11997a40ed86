"""Reaching a Dask cluster: the install hint, flags that do not go together, a scheduler out of
reach, workers without resources or threads, and Dask's own retries kept off during a run."""

from __future__ import annotations

import dataclasses
import logging
import socket
import subprocess
import sys

import pytest

pytest.importorskip("distributed")

from qcflow.cli import main
from qcflow.errors import InvalidInput, QcflowError
from qcflow.runner import run_workflow
from qcflow.runner.dask.cluster import _probe, import_distributed
from tests._wait import DEADLINE

from .conftest import task, write_workflow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_without_distributed_the_error_says_what_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if not installed
    with pytest.raises(InvalidInput, match=r"pip install 'qcflow\[dask\]'"):
        import_distributed()
    wf = write_workflow(tmp_path / "wf.json", [task("a")])
    assert main(["run", "-f", str(wf), "--executor", "dask-local", "--workdir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "pip install 'qcflow[dask]'" in err
    assert "Traceback" not in err
    assert not (tmp_path / "a.log").exists()


def test_a_local_run_never_imports_dask(tmp_path, subprocess_env):
    """The extra is optional: only ``--executor dask…`` imports it (installed or not)."""
    write_workflow(tmp_path / "wf.json", [task("a", "touch ran")])
    script = (
        "import sys\n"
        "from qcflow.cli import main\n"
        "code = main(['run', '-f', 'wf.json', '--progress', 'none', '--dry-run'])\n"
        "code = code or main(['run', '-f', 'wf.json', '--progress', 'none'])\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed'))\n"
        "print(code, loaded)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )
    assert done.stdout.splitlines()[-1] == "0 []", done.stdout + done.stderr
    assert (tmp_path / "ran").exists()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--executor", "dask"], "--executor dask needs --scheduler-address"),
        (["--scheduler-address", "tcp://h:1"], "--scheduler-address goes with --executor dask"),
        (["--workers", "2"], "--workers goes with --executor dask or dask-local"),
    ],
)
def test_executor_flags_that_do_not_go_together_exit_2(tmp_path, capsys, flags, message):
    wf = write_workflow(tmp_path / "wf.json", [task("a")])
    assert main(["run", "-f", str(wf), "--workdir", str(tmp_path), *flags]) == 2
    assert message in capsys.readouterr().err


def test_a_scheduler_out_of_reach_is_one_clear_error(tmp_path, options):
    wf = write_workflow(tmp_path / "wf.json", [task("a")])
    address = f"tcp://127.0.0.1:{free_port()}"
    unreachable = dataclasses.replace(
        options, executor="dask", scheduler_address=address, dask_timeout=1.0
    )
    with pytest.raises(QcflowError, match=f"cannot reach the Dask scheduler at {address}"):
        run_workflow(wf, unreachable)


def test_a_bad_address_is_invalid_input(tmp_path, options):
    wf = write_workflow(tmp_path / "wf.json", [task("a")])
    bad = dataclasses.replace(options, executor="dask", scheduler_address="nowhere://x")
    with pytest.raises(InvalidInput, match="--scheduler-address 'nowhere://x'"):
        run_workflow(wf, bad)


@pytest.mark.parametrize("address", ["host:port", "tcp://host"])
def test_a_malformed_address_is_one_line_and_nothing_lingers(tmp_path, subprocess_env, address):
    """No half-made Dask client left to print a traceback when it is collected at exit."""
    write_workflow(tmp_path / "wf.json", [task("a", "touch ran")])
    argv = [sys.executable, "-m", "qcflow", "run", "-f", "wf.json", "--executor", "dask"]
    done = subprocess.run(
        [*argv, "--scheduler-address", address],
        cwd=tmp_path,
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )
    assert done.returncode == 2
    assert done.stderr.startswith(f"qcflow: error: --scheduler-address {address!r} is not a Dask")
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert not (tmp_path / "ran").exists()


@pytest.fixture
def thread_cluster():
    """An in-process cluster (worker threads) whose only worker declares no resources."""
    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        dashboard_address=":0",
        host="127.0.0.1",
        protocol="tcp",
        silence_logs=logging.CRITICAL,
    )
    try:
        yield cluster
    finally:
        cluster.close()


def test_workers_must_declare_cpu_and_mem(tmp_path, options, thread_cluster):
    wf = write_workflow(tmp_path / "wf.json", [task("a", "echo ran > ran.txt")])
    remote = dataclasses.replace(
        options,
        cpu_limit=None,
        mem_limit=None,
        executor="dask",
        scheduler_address=thread_cluster.scheduler_address,
    )
    with pytest.raises(InvalidInput, match='start workers with --resources "CPU=4,MEM=16000"'):
        run_workflow(wf, remote)
    assert not (tmp_path / "ran.txt").exists()


READ_ALLOWED_FAILURES = """
import sys
from distributed import Client
with Client(sys.argv[1], timeout=60, set_as_default=False) as client:
    print(client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.allowed_failures))
"""


def test_a_run_keeps_dask_from_retrying_and_gives_the_setting_back(tmp_path, dask_options):
    """During the run the scheduler lets no task be re-run after its worker died (a task of
    the run reads the setting); afterwards the scheduler has its own setting back."""
    from distributed import Client

    def allowed_failures(dask_scheduler):
        return dask_scheduler.allowed_failures

    address = dask_options.scheduler_address
    (tmp_path / "read.py").write_text(READ_ALLOWED_FAILURES)
    wf = write_workflow(tmp_path / "wf.json", [task("a", f"{sys.executable} read.py {address}")])
    with Client(address, set_as_default=False) as client:
        before = client.run_on_scheduler(allowed_failures)
        result = run_workflow(wf, dask_options)
        after = client.run_on_scheduler(allowed_failures)
    assert result.ok, result.records
    assert (tmp_path / "a.log").read_text().strip() == "0"
    assert before == after == 3


def test_few_threads_for_the_cpu_declared_is_a_warning(tmp_path, options):
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        resources={"CPU": 3, "MEM": 1000},
        dashboard_address=":0",
        host="127.0.0.1",
        protocol="tcp",
        silence_logs=logging.CRITICAL,
    ) as cluster:
        wf = write_workflow(tmp_path / "wf.json", [task("a")])
        remote = dataclasses.replace(
            options,
            cpu_limit=None,
            mem_limit=None,
            executor="dask",
            scheduler_address=cluster.scheduler_address,
        )
        result = run_workflow(wf, remote)
    assert result.ok
    assert any("has 1 threads for CPU=3" in w for w in result.warnings)
    assert result.summary["limits"]["cpu"] == 3


def test_the_probe_tells_a_worker_that_cannot_see_the_directory(tmp_path):
    path = tmp_path / "probe"
    assert _probe(str(path), "x").startswith(f"cannot read {path}")
    path.write_text("y")
    assert _probe(str(path), "x") == f"{path} holds something else"
    assert _probe(str(path), "y") == ""


def test_help_shows_the_dask_flags(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = capsys.readouterr().out
    for flag in ("--executor", "--scheduler-address", "--workers", "--dask-timeout"):
        assert flag in text
    assert "--executor dask-local --workers 2" in text
