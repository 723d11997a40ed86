"""Run the UI: ``qcflow ui`` (the UI alone over a QCDB) and ``qcflow qcdb serve --ui`` (the CCDB
server with the UI under ``/ui``).

``qcflow ui`` runs one uvicorn server in this process; it prints its URL once listening, opens a
browser tab when asked and stops cleanly on Ctrl-C (uvicorn's signal handling). For
``qcdb serve --ui``, :func:`qcdb_app_with_ui` is the worker factory the server's configuration
names: each worker builds the CCDB app as ``qcdb serve`` does and puts the UI in front of it,
with the server's write rules (read-only, token) for layouts.
"""

from __future__ import annotations

import sys
import threading
import time
import webbrowser
from dataclasses import dataclass, field

from starlette.types import ASGIApp

from qcflow.qcdb.repository import Repository
from qcflow.ui.api import ApiOptions
from qcflow.ui.app import create_ui_app, mount

__all__ = ["UI_FACTORY", "UiConfig", "qcdb_app_with_ui", "serve_ui"]

#: The worker factory of ``qcflow qcdb serve --ui``.
UI_FACTORY = "qcflow.ui.serve:qcdb_app_with_ui"


@dataclass(frozen=True)
class UiConfig:
    """What ``qcflow ui`` can set."""

    host: str = "127.0.0.1"
    port: int = 8088
    open_browser: bool = False
    options: ApiOptions = field(default_factory=ApiOptions)


def qcdb_app_with_ui() -> ASGIApp:
    """The CCDB server of ``qcflow qcdb serve`` with the UI under ``/ui`` (a worker factory)."""
    from qcflow.qcdb.open import open_repository
    from qcflow.qcdb.server.run import app_from_environment, config_from_environment

    config = config_from_environment()
    options = ApiOptions(read_only=config.read_only, token=config.token)
    return mount(open_repository(config.qcdb), app_from_environment(), options)


def _announce(server: object, url: str, open_browser: bool) -> None:
    # uvicorn sets `started` once the socket listens; only then is the URL worth printing.
    while not getattr(server, "started", False):
        if getattr(server, "should_exit", False):
            return
        time.sleep(0.05)
    print(f"qcflow ui: {url} (Ctrl-C stops)", file=sys.stderr, flush=True)
    if open_browser:
        webbrowser.open(url)


def serve_ui(repo: Repository, config: UiConfig) -> None:
    """Serve the UI over ``repo`` until interrupted."""
    import uvicorn

    app = create_ui_app(repo, config.options)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=config.host,
            port=config.port,
            log_level="warning",
            access_log=False,
            server_header=False,
            lifespan="off",
        )
    )
    host = f"[{config.host}]" if ":" in config.host else config.host
    url = f"http://{host}:{config.port}/ui/"
    threading.Thread(target=_announce, args=(server, url, config.open_browser), daemon=True).start()
    server.run()
