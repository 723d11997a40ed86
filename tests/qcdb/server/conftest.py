"""Server tests drive the ASGI app in-process through starlette's TestClient."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from qcflow.qcdb.local import LocalRepository
from qcflow.qcdb.server import create_app

ClientFactory = Callable[..., TestClient]


@pytest.fixture
def make_client(store: LocalRepository) -> Iterator[ClientFactory]:
    clients: list[TestClient] = []

    def factory(**options: Any) -> TestClient:
        client = TestClient(create_app(store, **options), raise_server_exceptions=True)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: ClientFactory) -> TestClient:
    return make_client()


def upload(client: TestClient, url: str, data: bytes = b"payload", **kwargs: Any) -> Any:
    """POST ``data`` as the one multipart part ``send``, as CCDB clients do."""
    files = {"send": ("TH1F_1000.root", data, "application/root")}
    return client.post(url, files=files, **kwargs)
