"""Run the server with uvicorn: ``qcflow qcdb serve`` ends up here.

With ``workers > 1`` uvicorn starts worker processes that each build the app; they receive the
configuration through the ``QCFLOW_QCDB_SERVE`` environment variable (JSON) and
:func:`app_from_environment`. Every worker opens the store itself (the embedded store is safe
for several processes). uvloop and httptools are used when installed (``uvicorn[standard]``).
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass

from starlette.types import ASGIApp

from qcflow.qcdb.server.protocol import uvicorn_options
from qcflow.qcdb.server.routes import DEFAULT_CACHE_BYTES, DEFAULT_MAX_BODY

__all__ = ["ServeConfig", "app_from_environment", "serve"]

_ENV = "QCFLOW_QCDB_SERVE"


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


def app_from_environment() -> ASGIApp:
    """The app for a uvicorn worker, configured by :func:`serve` through the environment."""
    from qcflow.qcdb.open import open_repository
    from qcflow.qcdb.server.app import create_app

    config = ServeConfig(**json.loads(os.environ[_ENV]))
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
    uvicorn.run(
        "qcflow.qcdb.server.run:app_from_environment",
        factory=True,
        host=config.host,
        port=config.port,
        workers=config.workers if config.workers > 1 else None,
        access_log=config.access_log,
        proxy_headers=False,
        log_level="warning",
        lifespan="on",
        **uvicorn_options(),  # header names exactly as the app spells them (C++ clients)
    )
