"""Fixtures of the UI tests: the UI served over the judged demo store on a free port, and a
headless Chromium driven by Playwright (Debian's chromium; skipped with the reason without it)."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qcflow.qcdb.local import LocalRepository
from qcflow.ui.api import ApiOptions
from qcflow.ui.app import create_ui_app, jsroot_missing


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Served:
    """A uvicorn server in a thread of this process."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        while not self.server.started:  # readiness, not a timing assumption
            if not self.thread.is_alive():
                raise RuntimeError("the UI server did not start")
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join()


@pytest.fixture(scope="module")
def ui_store(judged: tuple[Path, list[Any]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the judged store (layout tests write to it)."""
    root = tmp_path_factory.mktemp("ui") / "qcdb"
    shutil.copytree(judged[0], root)
    return root


@pytest.fixture(scope="module")
def ui_server(ui_store: Path) -> Iterator[str]:
    """The base URL of a writable UI over the demo store."""
    repo = LocalRepository(ui_store)
    served = Served(create_ui_app(repo, ApiOptions(read_only=False)))
    yield served.url
    served.stop()
    repo.close()


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[Any]:
    """Debian's Chromium under Playwright; skipped (with the reason) when either is missing."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("headless Chromium is not installed (apt-get install chromium; make browser)")
    if jsroot_missing():
        pytest.skip("JSROOT is not in the ui package: run 'make jsroot'")
    playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield browser
        browser.close()


class Page:
    """A page with every console message, page error and request URL it produced."""

    def __init__(self, browser: Any, base: str) -> None:
        self.base = base
        self.page = browser.new_page(viewport={"width": 1400, "height": 900})
        self.console: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        self.page.on("request", lambda r: self.requests.append(r.url))

    def open(self, path: str) -> Any:
        self.page.goto(self.base + path)
        self.ready()
        return self.page

    def ready(self) -> None:
        self.page.wait_for_selector("body[data-ready='1']", timeout=60_000)

    def problems(self) -> list[str]:
        """Console errors and warnings (JSROOT logs its source folder at level 'log')."""
        return [m for m in self.console if not m.startswith(("log:", "info:", "debug:"))]

    def foreign_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith((self.base, "data:", "blob:"))]


@pytest.fixture
def page(chromium_browser: Any, ui_server: str) -> Iterator[Page]:
    opened = Page(chromium_browser, ui_server)
    yield opened
    opened.page.close()
