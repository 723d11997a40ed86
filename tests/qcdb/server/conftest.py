"""Server tests run twice: on the ASGI app in-process (starlette's TestClient) and on a real
uvicorn server over a socket on 127.0.0.1 (httpx), so every endpoint, status and header is
checked as a remote client sees it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from qcflow.qcdb.local import LocalRepository
from qcflow.qcdb.server import create_app
from tests.qcdb.conftest import LiveServer

ClientFactory = Callable[..., httpx.Client]


@pytest.fixture(params=["in-process", "socket"])
def make_client(
    request: pytest.FixtureRequest, store: LocalRepository, live_server: LiveServer
) -> Iterator[ClientFactory]:
    clients: list[httpx.Client] = []

    def factory(**options: Any) -> httpx.Client:
        if request.param == "in-process":
            client: httpx.Client = TestClient(
                create_app(store, **options), raise_server_exceptions=True
            )
        else:  # TestClient follows redirects by default: so does this one
            client = httpx.Client(
                base_url=live_server.serve(store, **options), follow_redirects=True
            )
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: ClientFactory) -> httpx.Client:
    return make_client()


def upload(client: httpx.Client, url: str, data: bytes = b"payload", **kwargs: Any) -> Any:
    """POST ``data`` as the one multipart part ``send``, as CCDB clients do."""
    files = {"send": ("TH1F_1000.root", data, "application/root")}
    return client.post(url, files=files, **kwargs)
