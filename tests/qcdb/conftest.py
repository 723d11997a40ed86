"""Fixtures of the QCDB tests: an embedded store, a live server, and the conformance ``repo``.

``repo`` is parametrized over every Repository implementation (STYLE.md 13): the embedded store
used directly, and the HTTP client talking to a real uvicorn server on 127.0.0.1 (a free port)
that serves another embedded store; then the same two with the index in PostgreSQL (a cluster
the session starts, :mod:`tests.qcdb.pgcluster`; skipped with the reason when PostgreSQL is
absent). Every conformance test runs against all four.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from qcflow.qcdb.client import HttpRepository
from qcflow.qcdb.local import LocalRepository
from qcflow.qcdb.repository import Repository
from qcflow.qcdb.server import create_app
from qcflow.qcdb.server.protocol import uvicorn_options
from tests._wait import DEADLINE
from tests.qcdb import pgcluster


@contextmanager
def running_server(repo: Repository, **options: Any) -> Iterator[str]:
    """Serve ``repo`` on 127.0.0.1 at a free port in a thread; yield the base URL."""
    with running_server_app(create_app(repo, **options)) as url:
        yield url


@contextmanager
def running_server_app(app: Any, http: Any = None) -> Iterator[str]:
    """Serve an ASGI app on 127.0.0.1 at a free port in a thread; yield the base URL.

    ``http`` is uvicorn's HTTP implementation; by default the one ``qcflow qcdb serve`` uses."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    options = uvicorn_options()
    if http is not None:
        options["http"] = http
    config = uvicorn.Config(app, log_level="error", access_log=False, lifespan="off", **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + DEADLINE
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.005)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


class Switch:
    """An ASGI app that forwards to whatever app a test installs (one server per session)."""

    def __init__(self) -> None:
        self.app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


class LiveServer:
    """A uvicorn server shared by the session; :meth:`serve` installs a repository's app."""

    def __init__(self, url: str, switch: Switch) -> None:
        self.url = url
        self.switch = switch

    def serve(self, repo: Repository, **options: Any) -> str:
        self.switch.app = create_app(repo, **options)
        return self.url


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    switch = Switch()
    with running_server_app(switch) as url:
        yield LiveServer(url, switch)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LocalRepository]:
    repo = LocalRepository(tmp_path / "qcdb", fsync=False)
    yield repo
    repo.close()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[pgcluster.Cluster]:
    """A PostgreSQL cluster for the whole session (skips, with the reason, when there is none)."""
    reason = pgcluster.unavailable()
    if reason is not None:
        pytest.skip(reason)
    with pgcluster.running_cluster() as cluster:
        yield cluster


@pytest.fixture
def pg_url(pg_cluster: pgcluster.Cluster) -> Iterator[str]:
    """The URL of an empty database of its own (no QCDB schema yet)."""
    name = pg_cluster.new_database()
    yield pg_cluster.url(name)
    pg_cluster.drop_database(name)


@pytest.fixture
def pg_index(pg_cluster: pgcluster.Cluster) -> Iterator[str]:
    """The URL of a database of its own holding the QCDB schema (and no objects)."""
    name = pg_cluster.new_database(schema=True)
    yield pg_cluster.url(name)
    pg_cluster.drop_database(name)


@pytest.fixture
def pg_store(pg_index: str, tmp_path: Path) -> Iterator[Any]:
    """A PostgreSQL-indexed store with contents under ``tmp_path / "objects"``."""
    from qcflow.qcdb.postgres import PostgresRepository, make_url

    repo = PostgresRepository(make_url(pg_index, tmp_path / "objects"), fsync=False)
    yield repo
    repo.close()


@pytest.fixture(params=["embedded", "http", "postgres", "http-postgres"])
def repo(
    request: pytest.FixtureRequest, tmp_path: Path, live_server: LiveServer
) -> Iterator[Repository]:
    if request.param.endswith("postgres"):
        backing: Repository = request.getfixturevalue("pg_store")
    else:
        backing = LocalRepository(tmp_path / "qcdb", fsync=False)
    if request.param in ("embedded", "postgres"):
        yield backing
    else:
        client = HttpRepository(live_server.serve(backing), retries=0)
        yield client
        client.close()
    backing.close()
