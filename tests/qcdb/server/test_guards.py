"""Write protection (read-only, token) and the request body limit."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest

from qcflow.qcdb.local import LocalRepository
from tests.qcdb.conftest import LiveServer
from tests.qcdb.server.conftest import ClientFactory, upload

P = "qc/TST/MO/Task/h1"


def test_token_guards_writes_only(make_client: ClientFactory, store: LocalRepository) -> None:
    client = make_client(token="s3cret")
    missing = upload(client, f"/{P}/1000/2000")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = upload(client, f"/{P}/1000/2000", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    assert client.get("/truncate/qc/.*").status_code == 401
    assert store.latest(".*") == []
    ok = upload(client, f"/{P}/1000/2000", headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 201
    assert client.get(f"/{P}/1500").status_code == 200
    assert client.get("/browse/qc/.*").status_code == 200


def test_read_only(make_client: ClientFactory, store: LocalRepository) -> None:
    store.store(P, b"x", valid_from=1000, valid_until=2000)
    client = make_client(read_only=True)
    assert upload(client, f"/{P}/1000/2000").status_code == 403
    assert client.delete(f"/{P}/1500").status_code == 403
    assert client.put(f"/{P}/1500?a=b").status_code == 403
    assert client.get("/truncate/qc/.*").status_code == 403
    assert client.get(f"/{P}/1500").content == b"x"
    assert len(store.browse(P)) == 1


def test_body_limit_declared(make_client: ClientFactory, store: LocalRepository) -> None:
    client = make_client(max_body=1000)
    response = upload(client, f"/{P}/1000/2000", data=b"x" * 2000)
    assert response.status_code == 413
    assert "over the limit of 1000" in response.text
    assert upload(client, f"/{P}/1000/2000", data=b"x" * 100).status_code == 201


def test_body_limit_streamed(make_client: ClientFactory, store: LocalRepository) -> None:
    client = make_client(max_body=1000)
    body = (
        b"--b\r\nContent-Disposition: form-data; name=send; filename=x\r\n\r\n"
        + b"x" * 5000
        + b"\r\n--b--\r\n"
    )

    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer
        for i in range(0, len(body), 512):
            yield body[i : i + 512]

    response = client.post(
        f"/{P}/1000/2000",
        content=chunks(),
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    assert response.status_code == 413
    assert store.latest(".*") == []


def raw_get(url: str, target: str) -> str:
    """GET ``target`` exactly as written (HTTP clients would normalise ``//``); the status line."""
    where = urlparse(url)
    with socket.create_connection((where.hostname, where.port)) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        reply = b""
        while chunk := sock.recv(4096):
            reply += chunk
    return reply.decode().split("\r\n", 1)[0]


@pytest.mark.parametrize("options", [{"read_only": True}, {"token": "s3cret"}])
@pytest.mark.parametrize("target", ["/truncate/qc/.*", "//truncate/qc/.*", "///truncate/qc"])
def test_no_spelling_of_truncate_passes_the_guard(
    live_server: LiveServer, store: LocalRepository, options: dict[str, object], target: str
) -> None:
    store.store(P, b"x", valid_from=1000, valid_until=2000)
    status = raw_get(live_server.serve(store, **options), target)
    assert status.split()[1] in ("401", "403")
    assert len(store.browse(P)) == 1
