"""What only the HTTP client does: fail-over, retries, timeouts, redirects, auth errors."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcflow.errors import InvalidInput
from qcflow.qcdb import Query, fetch_many
from qcflow.qcdb.client import HttpRepository, server_urls
from qcflow.qcdb.errors import AccessDenied, ObjectNotFound, QcdbUnavailable
from qcflow.qcdb.local import LocalRepository
from qcflow.qcdb.server import create_app
from tests._wait import DEADLINE
from tests.qcdb.conftest import LiveServer, running_server_app

P = "qc/TST/MO/Task/h1"


def dead_url() -> str:
    """A URL on 127.0.0.1 where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def unavailable(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 503, "headers": []})
    await send({"type": "http.response.body", "body": b"down for maintenance"})


async def slow(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await asyncio.sleep(2)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def test_dead_server_gives_a_clear_error_after_retries() -> None:
    url = dead_url()
    client = HttpRepository(url, retries=2, backoff=0.1)
    start = time.monotonic()
    with pytest.raises(
        QcdbUnavailable, match=r"cannot reach the QCDB at .* after 3 attempt"
    ) as err:
        client.get(P, 1000)
    assert url in str(err.value)
    assert "ConnectError" in str(err.value)
    assert time.monotonic() - start >= 0.1 + 0.2  # backoff doubles between rounds
    client.close()


class Recorder:
    """An ASGI app answering 404 once ``together`` requests are in flight (from then on, at
    once), noting client ports and requests in flight. Waiting for the others, not for a
    time, makes "the client sends concurrently" a fact however slow the machine."""

    def __init__(self, together: int = 1) -> None:
        self.together = together
        self.ports: set[int] = set()
        self.in_flight = 0
        self.most_in_flight = 0
        self._enough = asyncio.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        self.ports.add(scope["client"][1])
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        if self.in_flight >= self.together:
            self._enough.set()
        with contextlib.suppress(TimeoutError):  # a client that never sends them together
            await asyncio.wait_for(self._enough.wait(), DEADLINE)
        self.in_flight -= 1
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b"No matching objects found"})


def test_connections_are_pooled() -> None:
    recorder = Recorder()
    with running_server_app(recorder) as url:
        client = HttpRepository(url, retries=0)
        for at in range(5):
            with pytest.raises(ObjectNotFound, match="No matching objects found"):
                client.get(P, at)
        client.close()
    assert len(recorder.ports) == 1  # one kept-alive connection for sequential requests


def test_fetch_many_is_concurrent() -> None:
    recorder = Recorder(together=2)
    with running_server_app(recorder) as url:
        client = HttpRepository(url, retries=0)
        found = fetch_many(client, [Query(P, at) for at in range(8)], max_workers=8)
        client.close()
    assert found == [None] * 8
    assert recorder.most_in_flight > 1


def test_fail_over_to_the_next_server(live_server: LiveServer, store: LocalRepository) -> None:
    store.store(P, b"here", valid_from=1000, valid_until=2000)
    url = live_server.serve(store)
    client = HttpRepository(f"{dead_url()},{url}", retries=0)
    assert client.get(P, 1500).data == b"here"
    assert client._preferred == 1  # the next request goes to the live server first
    client.close()


def test_fail_over_on_503(live_server: LiveServer, store: LocalRepository) -> None:
    store.store(P, b"here", valid_from=1000, valid_until=2000)
    url = live_server.serve(store)
    with running_server_app(unavailable) as down:
        client = HttpRepository([down, url], retries=0)
        assert client.get(P, 1500).data == b"here"
        client.close()


def test_timeout_is_reported() -> None:
    with running_server_app(slow) as url:
        client = HttpRepository(url, timeout=0.2, retries=0)
        with pytest.raises(QcdbUnavailable, match="ReadTimeout"):
            client.info(P, 1)
        client.close()


def test_follows_303_to_download(live_server: LiveServer, store: LocalRepository) -> None:
    stored = store.store(P, b"redirected", valid_from=1000, valid_until=2000)
    client = HttpRepository(live_server.serve(store, redirect=True), retries=0)
    info, data = client.get(P, 1500)
    assert data == b"redirected"
    assert (info.id, info.size) == (stored.id, 10)
    assert client.info(P, 1500).size == 10
    client.close()


def test_skips_replicas_it_cannot_fetch(store: LocalRepository) -> None:
    """ALICE's CCDB may name an ``alien://`` replica first; the HTTP one is taken."""
    stored = store.store(P, b"on a replica", valid_from=1000, valid_until=2000)
    inner = create_app(store, redirect=True)

    async def alien_first(scope: Any, receive: Any, send: Any) -> None:
        async def rewrite(message: Any) -> None:
            if message["type"] == "http.response.start" and message["status"] == 303:
                kept = [
                    (k, v)
                    for k, v in message["headers"]
                    if k not in (b"location", b"content-location")
                ]
                alien = f"alien:///alice/data/CCDB/{stored.id}".encode()
                kept += [
                    (b"location", alien),
                    (b"content-location", alien),
                    (b"content-location", f"/download/{stored.id}".encode()),
                ]
                message = {**message, "headers": kept}
            await send(message)

        await inner(scope, receive, rewrite)

    with running_server_app(alien_first) as url:
        client = HttpRepository(url, retries=0)
        assert client.get(P, 1500).data == b"on a replica"
        client.close()


def test_write_refusals(live_server: LiveServer, store: LocalRepository) -> None:
    url = live_server.serve(store, token="t0k")
    anonymous = HttpRepository(url, retries=0)
    with pytest.raises(AccessDenied, match="Bearer"):
        anonymous.store(P, b"x", valid_from=1, valid_until=2)
    authorised = HttpRepository(url, retries=0, token="t0k")
    assert authorised.store(P, b"x", valid_from=1, valid_until=2).size == 1
    live_server.serve(store, read_only=True)
    with pytest.raises(AccessDenied, match="read-only"):
        authorised.truncate("qc/.*")
    assert anonymous.get(P, 1).data == b"x"
    anonymous.close()
    authorised.close()


def test_body_limit_is_bad_input(live_server: LiveServer, store: LocalRepository) -> None:
    client = HttpRepository(live_server.serve(store, max_body=100), retries=0)
    with pytest.raises(InvalidInput, match="over the limit"):
        client.store(P, b"x" * 1000, valid_from=1, valid_until=2)
    client.close()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("localhost:8080", ["http://localhost:8080"]),
        ("http://a:1, https://b/", ["http://a:1", "https://b"]),
        (["a:1", "b:2"], ["http://a:1", "http://b:2"]),
        ("http://[::1]:8080,10.0.0.1:80", ["http://[::1]:8080", "http://10.0.0.1:80"]),
        ("alice-ccdb.cern.ch:8080/prefix/", ["http://alice-ccdb.cern.ch:8080/prefix"]),
    ],
)
def test_server_urls(given: Any, expected: list[str]) -> None:
    assert server_urls(given) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "",
        " , ",
        "ftp://x:1",
        "http://",
        "http://[::1",
        "http://a:99999",
        "localhost:99999",
        "http://a b:1",
        "a:0",
        "http://a:x",
    ],
)
def test_bad_server_urls(bad: str) -> None:
    with pytest.raises(InvalidInput, match="QCDB server"):
        server_urls(bad)


@given(st.text(max_size=40) | st.from_regex(r"(https?://)?[a-z0-9.:\[\]-]{0,20}(:[0-9]{0,6})?"))
def test_any_server_text_is_urls_or_a_one_line_reason(text: str) -> None:
    try:
        urls = server_urls(text)
    except InvalidInput as err:
        message = str(err)
    else:
        assert all(httpx.URL(u).scheme in ("http", "https") and httpx.URL(u).host for u in urls)
        return
    assert message.startswith(("QCDB server", "no QCDB server"))
    assert "\n" not in message
