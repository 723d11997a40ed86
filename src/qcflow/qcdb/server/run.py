"""Run the server with uvicorn: ``qcflow qcdb serve`` ends up here.

With ``workers > 1`` worker processes each build the app; they receive the configuration
through the ``QCFLOW_QCDB_SERVE`` environment variable (JSON) and :func:`app_from_environment`.
Every worker opens the store itself (the embedded store is safe for several processes).
uvloop and httptools are used when installed (``uvicorn[standard]``).

Workers and connections: uvicorn's own supervisor hands one listening socket to every worker,
and the worker woken first by a burst of connections accepts all that are waiting (asyncio
accepts up to 100 per wake-up). Clients keep their connections open (HTTP keep-alive: ``wrk``,
QC's pollers, a load balancer's pool), so the split made then lasts: 32 connections were
measured landing 24/8 on two workers and 17/8/4/3 or 16/10/6/0 on four, one worker idle while
another queued. On Linux (:data:`BALANCED_WORKERS`), :func:`serve` supervises the workers
itself instead: each listens on a socket of its own bound to the same
port, and the kernel spreads connections over them (by a hash of the client's address and
port). The supervisor holds the port with a bound socket that never listens (so port 0 works
and a port in use fails before any worker starts), restarts a worker that dies, and on
SIGINT/SIGTERM stops the workers the way uvicorn stops one (requests in flight finish); a
worker whose supervisor is gone (killed with -9) stops itself rather than serve unsupervised
(uvicorn's workers went on serving, holding the port and the store).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from typing import Any

from starlette.types import ASGIApp

from qcflow.errors import QcflowError
from qcflow.qcdb.server.protocol import uvicorn_options
from qcflow.qcdb.server.routes import DEFAULT_CACHE_BYTES, DEFAULT_MAX_BODY

__all__ = [
    "BALANCED_WORKERS",
    "ServeConfig",
    "app_from_environment",
    "config_from_environment",
    "serve",
]

_ENV = "QCFLOW_QCDB_SERVE"
#: Whether the kernel spreads connections over sockets sharing a port (Linux's SO_REUSEPORT;
#: on macOS and the BSDs the option exists but one socket gets every connection).
BALANCED_WORKERS = sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")
log = logging.getLogger("qcflow.qcdb.server")
#: uvicorn's exit code when the app cannot be built (uvicorn.config.STARTUP_FAILURE).
_STARTUP_FAILURE = 3
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: Seconds a stopping worker has to finish its requests before it is killed.
_GRACE = 30


@dataclass(frozen=True)
class ServeConfig:
    """Everything ``qcflow qcdb serve`` can set."""

    qcdb: str = "qcdb"
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    read_only: bool = False
    token: str | None = None
    max_body: int = DEFAULT_MAX_BODY
    redirect: bool = False
    access_log: bool = False
    cache_bytes: int = DEFAULT_CACHE_BYTES
    #: The app factory each worker calls (``qcflow qcdb serve --ui`` names the UI's).
    factory: str = "qcflow.qcdb.server.run:app_from_environment"


def config_from_environment() -> ServeConfig:
    """The configuration :func:`serve` passed to its workers."""
    return ServeConfig(**json.loads(os.environ[_ENV]))


def app_from_environment() -> ASGIApp:
    """The app for a uvicorn worker, configured by :func:`serve` through the environment."""
    from qcflow.qcdb.open import open_repository
    from qcflow.qcdb.server.app import create_app

    config = config_from_environment()
    return create_app(
        open_repository(config.qcdb),
        read_only=config.read_only,
        token=config.token,
        max_body=config.max_body,
        redirect=config.redirect,
        cache_bytes=config.cache_bytes,
    )


def serve(config: ServeConfig) -> None:
    """Serve until interrupted."""
    import uvicorn

    os.environ[_ENV] = json.dumps(dataclasses.asdict(config))
    if config.workers > 1 and BALANCED_WORKERS:
        _supervise(config)
        return
    uvicorn.run(
        config.factory,
        host=config.host,
        port=config.port,
        workers=config.workers if config.workers > 1 else None,
        **_uvicorn_settings(config),
    )


def _uvicorn_settings(config: ServeConfig) -> dict[str, Any]:
    return {
        "factory": True,
        "access_log": config.access_log,
        "proxy_headers": False,
        "log_level": "warning",
        "lifespan": "on",
        **uvicorn_options(),  # header names exactly as the app spells them (C++ clients)
    }


def _port_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` with ``SO_REUSEPORT`` (not listening yet)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _worker(config: ServeConfig) -> None:
    """One worker process: its own listening socket on the shared port, one uvicorn server."""
    import uvicorn

    supervisor = multiprocessing.parent_process()
    if supervisor is not None:  # the supervisor killed (-9): stop too, not serve unsupervised
        threading.Thread(target=_stop_after, args=(supervisor,), daemon=True).start()
    # Bound, not listening: uvicorn listens once the app is built, so no connection waits in
    # the queue of a worker still importing and opening its store while others serve.
    sock = _port_socket(config.host, config.port)
    server = uvicorn.Server(uvicorn.Config(config.factory, **_uvicorn_settings(config)))
    server.run(sockets=[sock])
    if not server.started:  # the app could not be built: the supervisor must not retry
        sys.exit(_STARTUP_FAILURE)


def _stop_after(process: BaseProcess) -> None:
    process.join()  # waits on the process's sentinel: returns when it has ended
    os.kill(os.getpid(), signal.SIGTERM)  # uvicorn's graceful stop


def _supervise(config: ServeConfig) -> None:
    """Run ``config.workers`` :func:`_worker` processes until SIGINT or SIGTERM."""
    holder = _port_socket(config.host, config.port)  # holds the port; never listens
    config = dataclasses.replace(config, port=holder.getsockname()[1])
    spawn = multiprocessing.get_context("spawn")
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in _STOP_SIGNALS}

    def start() -> BaseProcess:
        process = spawn.Process(target=_worker, args=(config,), name="qcflow-qcdb-worker")
        process.start()
        return process

    workers = [start() for _ in range(config.workers)]
    try:
        while not stop.wait(0.5):
            for i, process in enumerate(workers):
                if process.is_alive():
                    continue
                if process.exitcode == _STARTUP_FAILURE:
                    msg = "a QCDB server worker could not start (its error is above)"
                    raise QcflowError(msg)
                log.warning(
                    "worker %s exited (%s); starting another", process.pid, process.exitcode
                )
                workers[i] = start()
    finally:
        for process in workers:
            process.terminate()  # SIGTERM: uvicorn lets requests in flight finish
        for process in workers:
            process.join(timeout=_GRACE)
            if process.is_alive():
                process.kill()
                process.join()
        holder.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
