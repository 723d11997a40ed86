"""A throw-away PostgreSQL cluster for tests: ``initdb`` + ``pg_ctl`` in a temporary directory.

PostgreSQL refuses to run as root, so under root the cluster belongs to the ``postgres`` system
user (Debian's package creates it) and commands run through ``runuser``. The server listens on
127.0.0.1 at a free port with ``trust`` authentication, durability off (a test cluster is thrown
away: ``fsync=off`` makes ``CREATE DATABASE`` per test cheap). :func:`available` says why not
when the binaries or psycopg are missing, so tests skip with the reason.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

_CANDIDATES = ("/usr/lib/postgresql/*/bin",)


def bin_dir() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl`` (``$QCFLOW_PG_BIN``, Debian's, or PATH)."""
    if env := os.environ.get("QCFLOW_PG_BIN"):
        return Path(env)
    for pattern in _CANDIDATES:
        found = sorted(Path("/").glob(pattern.lstrip("/")), reverse=True)
        for directory in found:
            if (directory / "initdb").is_file():
                return directory
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def unavailable() -> str | None:
    """Why a cluster cannot be started here, or None."""
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError as err:
        return f"psycopg/psycopg_pool not installed ({err}): pip install 'qcflow[postgres]'"
    directory = bin_dir()
    if directory is None or not (directory / "pg_ctl").is_file():
        return "PostgreSQL binaries (initdb, pg_ctl) not found: apt-get install postgresql"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser: cannot start PostgreSQL as another user"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Cluster:
    """A running cluster; :meth:`new_database` gives each test its own database."""

    def __init__(self, root: Path, port: int, as_user: list[str]) -> None:
        self.root = root
        self.port = port
        self._as_user = as_user
        self._names = itertools.count()
        self._template: str | None = None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://qcflow@127.0.0.1:{self.port}/{database}"

    def new_database(self, *, schema: bool = False) -> str:
        """A new database's URL: empty, or with the QCDB schema (copied from a template)."""
        import psycopg

        from qcflow.qcdb.postgres import migrate

        if schema and self._template is None:
            self._template = self.new_database()
            migrate(self.url(self._template))
        name = f"t{os.getpid()}_{next(self._names)}"
        template = f" TEMPLATE {self._template}" if schema else ""
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}{template}")
        return name

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def run(self, tool: str, *args: str) -> None:
        command = [*self._as_user, str(_bin(tool)), *args]
        subprocess.run(command, check=True, capture_output=True, timeout=120)


def _bin(tool: str) -> Path:
    directory = bin_dir()
    assert directory is not None
    return directory / tool


@contextlib.contextmanager
def running_cluster() -> Iterator[Cluster]:
    """Start a cluster on a free port; stop it and remove its files at the end."""
    root = Path(tempfile.mkdtemp(prefix="qcflow-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data = root / "data"
    cluster = Cluster(root, _free_port(), as_user)
    try:
        cluster.run(
            "initdb",
            "-D",
            str(data),
            "-U",
            "qcflow",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={cluster.port} "
            f"-c unix_socket_directories={root} -c fsync=off -c full_page_writes=off "
            "-c synchronous_commit=off -c max_connections=200"
        )
        cluster.run(
            "pg_ctl",
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(root / "log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        try:
            yield cluster
        finally:
            cluster.run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)
