"""``qcflow qcdb serve --workers N``: connections spread over the workers, and the workers'
lifetime follows their supervisor's (qcflow.qcdb.server.run)."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest

from qcflow.qcdb.local import LocalRepository
from qcflow.qcdb.server.run import BALANCED_WORKERS
from tests._wait import alive, wait_until, wait_until_dead

PATH = "qc/TST/MO/Task/h1"

pytestmark = pytest.mark.skipif(not BALANCED_WORKERS, reason="not Linux: uvicorn's supervisor")


def _listening(pid: int, port: int) -> set[str]:
    """The listening sockets of process ``pid`` on ``port``, as ``socket:[inode]`` names."""
    try:
        process = psutil.Process(pid)
        fds = {
            c.fd
            for c in process.net_connections("tcp")
            if c.status == psutil.CONN_LISTEN and c.laddr.port == port
        }
        return {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in fds}
    except (psutil.NoSuchProcess, FileNotFoundError):  # it ended meanwhile (a killed worker)
        return set()


def _workers(proc: subprocess.Popen[bytes], port: int) -> dict[int, set[str]]:
    """The supervisor's children that listen on ``port``, with their listening sockets."""
    children = psutil.Process(proc.pid).children()
    found = {child.pid: _listening(child.pid, port) for child in children}
    return {pid: names for pid, names in found.items() if names}


@contextmanager
def _serving(
    tmp_path: Path, qcflow_cmd: list[str], env: dict[str, str], workers: int
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    root = tmp_path / "served"
    LocalRepository(root).store(PATH, b"x", valid_from=1000, valid_until=2000)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [
        *qcflow_cmd,
        "qcdb",
        "serve",
        "--root",
        str(root),
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    proc = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    started: set[int] = set()
    try:
        wait_until(lambda: len(_workers(proc, port)) == workers, f"{workers} workers listen")
        started = {c.pid for c in psutil.Process(proc.pid).children(recursive=True)}
        yield proc, port
    finally:
        if proc.poll() is None:
            started |= {c.pid for c in psutil.Process(proc.pid).children(recursive=True)}
            proc.kill()
            proc.wait()
        for pid in started:  # nothing of the server may outlive a test
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_each_worker_listens_on_its_own_socket_and_gets_connections(
    tmp_path: Path, qcflow_cmd: list[str], subprocess_env: dict[str, str]
) -> None:
    """With one socket shared by every worker (uvicorn's supervisor), the worker woken first
    by a burst of connections accepted all that were waiting: keep-alive clients then stayed
    on it (24/8 measured on two workers, one idle worker of four). Each worker has a socket of
    its own now and the kernel spreads connections over them."""
    with _serving(tmp_path, qcflow_cmd, subprocess_env, 2) as (proc, port):
        sockets = _workers(proc, port)
        assert len(set.union(*sockets.values())) == 2, sockets  # not one shared socket
        connections = [http.client.HTTPConnection("127.0.0.1", port) for _ in range(64)]
        for conn in connections:  # 64 keep-alive connections, all opened, each used once
            conn.request("GET", f"/{PATH}/1500")
            response = conn.getresponse()
            assert (response.status, response.read()) == (200, b"x")
        holding = {}
        for pid in sockets:
            holding[pid] = sum(
                c.status == psutil.CONN_ESTABLISHED and c.laddr.port == port
                for c in psutil.Process(pid).net_connections("tcp")
            )
        for conn in connections:
            conn.close()
    assert sum(holding.values()) == 64
    assert all(holding.values()), holding  # all 64 on one worker: chance 2**-63 if spread


def test_workers_stop_with_their_supervisor_even_when_it_is_killed(
    tmp_path: Path, qcflow_cmd: list[str], subprocess_env: dict[str, str]
) -> None:
    """uvicorn's workers went on serving after their supervisor was killed with -9 (found as
    orphans of a test that does so), holding the port and the store."""
    with _serving(tmp_path, qcflow_cmd, subprocess_env, 2) as (proc, port):
        workers = list(_workers(proc, port))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        wait_until_dead(workers)
    with _serving(tmp_path, qcflow_cmd, subprocess_env, 2) as (proc, port):
        workers = list(_workers(proc, port))
        proc.terminate()
        assert proc.wait() == 0
        wait_until_dead(workers)


def test_a_worker_that_dies_is_replaced(
    tmp_path: Path, qcflow_cmd: list[str], subprocess_env: dict[str, str]
) -> None:
    with _serving(tmp_path, qcflow_cmd, subprocess_env, 2) as (proc, port):
        first, second = _workers(proc, port)
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: len(set(_workers(proc, port)) - {first}) == 2, "a new worker")
        assert second in _workers(proc, port)
        conn = http.client.HTTPConnection("127.0.0.1", port)
        for _ in range(8):
            conn.request("GET", f"/{PATH}/1500")
            assert conn.getresponse().read() == b"x"
        conn.close()
