"""The client's object reads over keep-alive ``http.client`` (:mod:`qcflow.qcdb.plainget`).

Against real servers on 127.0.0.1: qcflow's app (wrapped to count the connections it sees) and,
for a connection the server drops while idle, a raw socket server that closes after each answer
without saying so.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from qcflow.errors import InvalidInput
from qcflow.qcdb import Query, fetch_many
from qcflow.qcdb.client import HttpRepository
from qcflow.qcdb.errors import QcdbUnavailable
from qcflow.qcdb.local import LocalRepository
from qcflow.qcdb.model import ObjectInfo
from qcflow.qcdb.plainget import PlainGet, usable
from qcflow.qcdb.server import create_app
from tests._wait import DEADLINE
from tests.qcdb.conftest import running_server_app

P = "qc/TST/MO/Task/h"


class Counting:
    """An ASGI app noting the client port (one per connection) of every request."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.ports: list[int] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.ports.append(scope["client"][1])
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await self.app(scope, receive, send)
        finally:
            if scope["type"] == "http":
                self.in_flight -= 1


def _fill(store: LocalRepository, runs: int) -> None:
    for run in range(runs):
        store.store(
            P,
            f"content of run {run}".encode(),
            valid_from=1000 + 10 * run,
            valid_until=1010 + 10 * run,
            metadata={"RunNumber": str(run), "Detector": "ZDC é→ü"},
        )


def _key(info: ObjectInfo) -> tuple[object, ...]:
    return (info.id, info.path, info.valid_from, info.valid_until, info.size, info.metadata)


def test_reads_reuse_one_connection_and_keep_names_and_utf8(store: LocalRepository) -> None:
    _fill(store, 3)
    counting = Counting(create_app(store))
    with running_server_app(counting) as url:
        client = HttpRepository(url)
        got = [client.get(P, 1000 + 10 * run, {"RunNumber": str(run)}) for run in range(3)]
        head = client.info(P, 1015)
        client.close()
    assert [f.data for f in got] == [f"content of run {run}".encode() for run in range(3)]
    assert [_key(f.info) for f in got] == [_key(store.info(P, 1000 + 10 * r)) for r in range(3)]
    assert got[2].info.metadata["Detector"] == "ZDC é→ü"  # UTF-8 header values, unmangled
    assert _key(head) == _key(store.info(P, 1015))
    assert len(set(counting.ports)) == 1  # keep-alive: four reads, one connection


def test_fetch_many_bounded_in_flight_equals_serial(store: LocalRepository) -> None:
    _fill(store, 40)
    queries = [Query(P, 1000 + 10 * run, {"RunNumber": str(run)}) for run in range(40)]
    queries.append(Query(P, 5, {}))  # matches nothing: None, in its place
    counting = Counting(create_app(store))
    with running_server_app(counting) as url:
        client = HttpRepository(url)
        serial = fetch_many(client, queries, max_workers=1)
        concurrent = fetch_many(client, queries, max_workers=4)
        client.close()
    assert serial == concurrent
    assert serial[-1] is None
    assert [f.data for f in serial[:-1] if f] == [f"content of run {r}".encode() for r in range(40)]
    assert counting.most_in_flight <= 4
    assert len(set(counting.ports)) <= 4 + 1  # pooled: one connection per thread at most


def test_usable_only_for_plain_http_without_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    assert usable("http://127.0.0.1:8080")
    assert not usable("https://ccdb.example:8443")
    monkeypatch.setenv("http_proxy", "http://proxy.example:3128")
    assert not usable("http://ccdb.example:8080")  # httpx would go through the proxy
    # no_proxy is httpx's to read (its suffix rules differ from urllib's): httpx keeps it all
    monkeypatch.setenv("no_proxy", ".example")
    assert not usable("http://ccdb.example:8080")


@contextmanager
def scripted(
    answers: list[list[bytes]],
    family: int = socket.AF_INET,
    sent: threading.Semaphore | None = None,
) -> Iterator[tuple[str, list[bytes]]]:
    """A raw HTTP server on loopback: for its n-th connection it reads a request, sends the
    segments of ``answers[n]`` one by one (a short pause between them, so each is a segment of
    its own) and closes the connection, then releases ``sent``; yields its URL and the requests
    it read."""
    listener = socket.socket(family)
    listener.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", 0))
    listener.listen(8)
    address = listener.getsockname()
    seen: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        for segments in answers:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            if stop.is_set():
                conn.close()
                return
            with conn, contextlib.suppress(OSError):
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    request += chunk
                seen.append(request)
                for segment in segments:
                    conn.sendall(segment)
                    time.sleep(0.05)
            if sent is not None:
                sent.release()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    host = "[::1]" if family == socket.AF_INET6 else "127.0.0.1"
    try:
        yield f"http://{host}:{address[1]}", seen
    finally:
        stop.set()
        with contextlib.suppress(OSError):  # wakes a waiting accept (closing it does not)
            socket.create_connection(address[:2], timeout=5).close()
        listener.close()
        thread.join(timeout=10)


def test_a_connection_closed_while_idle_is_replaced() -> None:
    # each answer has a length and no "Connection: close", then the server closes the
    # connection (as one whose keep-alive timeout passed): the next read opens a new one
    answers = [[b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nanswer %d" % n] for n in (1, 2, 3)]
    with scripted(answers) as (url, seen):
        plain = PlainGet(url, timeout=10, connect_timeout=5, headers={})
        got = [plain.request("GET", "/x") for _ in range(3)]
        plain.close()
        connections = len(seen)
    assert [a.status for a in got] == [200, 200, 200]
    assert [a.content for a in got] == [b"answer 1", b"answer 2", b"answer 3"]
    assert connections == 3


def test_a_body_that_ends_with_the_connection_is_read_whole() -> None:
    # HTTP/1.0, and HTTP/1.1 with Connection: close: no length, the end of the body is the end
    # of the connection (the old code took that end for a dead connection and failed)
    answers = [
        [b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nold-", b"server"],
        [b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nbody-", b"until-close"],
    ]
    with scripted(answers) as (url, _):
        plain = PlainGet(url, timeout=10, connect_timeout=5, headers={})
        got = [plain.request("GET", f"/x{i}") for i in range(2)]
        plain.close()
    assert [(a.status, a.content) for a in got] == [
        (200, b"old-server"),
        (200, b"body-until-close"),
    ]


def test_an_interim_answer_is_skipped_and_never_shifts_the_next_read() -> None:
    # 103 Early Hints in a segment of its own, then the answer, then bytes the server should
    # not have sent: the answer is the 200, and the connection is not used again
    first = [
        b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nobjAAA",
        b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nobjXXX",
    ]
    second = [b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nobjBBB"]
    sent = threading.Semaphore(0)
    with scripted([first, second], sent=sent) as (url, _):
        plain = PlainGet(url, timeout=10, connect_timeout=5, headers={})
        a = plain.request("GET", "/a")
        assert sent.acquire(timeout=DEADLINE)  # the stray answer is in the socket, then its end
        b = plain.request("GET", "/b")
        plain.close()
    assert (a.status, a.content, dict(a.headers).get("Link")) == (200, b"objAAA", None)
    assert (b.status, b.content) == (200, b"objBBB")


def test_an_ipv6_literal_is_reached_and_named_in_brackets() -> None:
    answer = [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nv6"]
    with scripted([answer], socket.AF_INET6) as (url, seen):
        plain = PlainGet(url, timeout=10, connect_timeout=5, headers={})
        got = plain.request("GET", "/x")
        plain.close()
    port = url.rsplit(":", 1)[1]
    assert got.content == b"v6"
    assert f"Host: [::1]:{port}\r\n".encode() in seen[0]


def test_a_malformed_answer_is_a_transport_error_named_in_one_line() -> None:
    with scripted([[b"HTTP/1.1 2x0 Nonsense\r\n\r\n"]]) as (url, _):
        client = HttpRepository(url, retries=0)
        with pytest.raises(QcdbUnavailable, match="malformed HTTP answer") as err:
            client.get(P, 1000)
        client.close()
    assert "\n" not in str(err.value)


def test_a_token_with_a_line_break_is_refused() -> None:
    with pytest.raises(InvalidInput, match="line break"):
        HttpRepository("http://127.0.0.1:9", token="abc\r\nX-Evil: 1")


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_request_header_replaces_the_default_of_the_same_name(method: str) -> None:
    answer = [b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"]
    with scripted([answer]) as (url, seen):
        plain = PlainGet(url, timeout=10, connect_timeout=5, headers={"User-Agent": "default"})
        plain.request(method, "/x", {"User-Agent": "mine", "If-Not-Before": "5"})
        plain.close()
    lines = seen[0].decode().split("\r\n")
    assert [line for line in lines if line.lower().startswith("user-agent:")] == [
        "User-Agent: mine"
    ]
    assert "If-Not-Before: 5" in lines


def test_a_request_header_with_a_line_break_is_refused() -> None:
    plain = PlainGet("http://127.0.0.1:9", timeout=10, connect_timeout=5, headers={})
    with pytest.raises(InvalidInput, match="line break"):
        plain.request("GET", "/x", {"If-Not-Before": "5\r\nX-Evil: 1"})
