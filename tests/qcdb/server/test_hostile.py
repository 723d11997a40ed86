"""A hostile client on 127.0.0.1: it can neither stall the server for others nor make it store
what it cannot serve (issue 12, items 1-7). Each test runs in-process and over a real socket."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qcflow.qcdb.local import QUICK_CONTENT_BYTES, LocalRepository
from qcflow.qcdb.model import ObjectInfo
from qcflow.qcdb.server import create_app
from qcflow.qcdb.server.routes import LISTING_SLOTS
from qcflow.qcdb.urls import MAX_PATH_LENGTH, is_pattern
from tests._wait import wait_until
from tests.qcdb.conftest import LiveServer, running_server_app
from tests.qcdb.server.conftest import ClientFactory, upload

P = "qc_async/TPC/MO/Clusters/hChargeQ"
#: Generous: the machine may be busy; the point is that an answer comes at all.
PATIENCE = 120.0


def raw_request(base_url: str, request: bytes) -> bytes:
    """Send ``request`` as it is (HTTP clients would normalize ``//`` or ``..``); the reply."""
    host = urlparse(base_url)
    with socket.create_connection((host.hostname, host.port), timeout=PATIENCE) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def multipart(filename: bytes = b"h.root", content_type: bytes = b"application/root") -> bytes:
    """One part ``send``, built by hand: httpx escapes control characters in file names."""
    return (
        b'--b\r\nContent-Disposition: form-data; name="send"; filename="' + filename + b'"\r\n'
        b"Content-Type: " + content_type + b"\r\n\r\npayload\r\n--b--\r\n"
    )


def post_raw_multipart(client: httpx.Client, url: str, body: bytes) -> httpx.Response:
    return client.post(
        url, content=body, headers={"content-type": "multipart/form-data; boundary=b"}
    )


# --- item 1: no request stalls the server --------------------------------------------------------


def test_a_catastrophic_pattern_does_not_stall_other_clients(
    tmp_path: Path, qcflow_cmd: list[str], subprocess_env: dict[str, str]
) -> None:
    """``(.+)+#.*`` backtracked for ever on the event loop (holding the GIL): every other client
    waited. The server runs as ``qcflow qcdb serve`` in its own process, so a stalled server
    fails this test instead of freezing the test process."""
    store = LocalRepository(tmp_path / "qcdb", fsync=False)
    store.store(P, b"x", valid_from=1000, valid_until=2000)
    store.close()
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    argv = [*qcflow_cmd, "qcdb", "serve", "--root", str(tmp_path / "qcdb"), "--port", str(port)]
    proc = subprocess.Popen(argv, env=subprocess_env, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=PATIENCE) as client:
            _wait_until_serving(client, proc)
            hostile = socket.create_connection(("127.0.0.1", port), timeout=PATIENCE)
            hostile.sendall(
                b"GET /latest/(.+)+%23.* HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            replies: list[bytes] = []
            reader = threading.Thread(
                target=lambda: replies.append(_read_all(hostile)), daemon=True
            )
            reader.start()
            for _ in range(3):  # by the second request the server has read the hostile one
                assert client.get(f"/{P}/1500").content == b"x"
            reader.join(PATIENCE)
            hostile.close()
    finally:
        proc.kill()
        proc.wait(timeout=PATIENCE)
    assert replies, "the hostile request got no answer"
    assert replies[0].startswith(b"HTTP/1.1 200")


def _wait_until_serving(client: httpx.Client, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(int(PATIENCE * 10)):
        try:
            client.get("/")
            return
        except httpx.TransportError:
            assert proc.poll() is None, "the server exited"
            time.sleep(0.1)
    pytest.fail("the server did not start")


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


class HeldListings(LocalRepository):
    """A store whose pattern listings wait until the test lets them go (a costly pattern over a
    large store, held). Listings of one exact path stay quick, as an index makes them: a GET
    whose version another could cut short lists its path's newer versions for
    ``Cache-Valid-Until``."""

    def __init__(self, root: Path) -> None:
        super().__init__(root, fsync=False)
        self.release = threading.Event()
        self.held = 0
        self._lock = threading.Lock()

    def browse(self, *args: Any, **kwargs: Any) -> list[ObjectInfo]:
        if is_pattern(args[0]):
            with self._lock:
                self.held += 1
            self.release.wait(3 * PATIENCE)  # longer than a client waits: a stall fails the test
        return super().browse(*args, **kwargs)


class CountListings:
    """ASGI wrapper counting the listing requests that reached the app."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.arrived = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/browse/"):
            self.arrived += 1
        await self.app(scope, receive, send)


def test_listings_in_flight_leave_the_server_to_others(tmp_path: Path) -> None:
    """45 slow listings in flight (held here; a costly pattern over a large store is one) took
    all 40 of the server's worker threads: every write and explained miss of every other
    client waited for them. Listings now take turns, LISTING_SLOTS at a time."""
    store = HeldListings(tmp_path / "qcdb")
    app = CountListings(create_app(store))
    n = 45
    with running_server_app(app) as url, httpx.Client(base_url=url, timeout=PATIENCE) as client:
        hostile = [
            threading.Thread(target=httpx.get, args=(f"{url}/browse/qc/.*",), daemon=True)
            for _ in range(n)
        ]
        try:
            for thread in hostile:
                thread.start()
            wait_until(lambda: app.arrived == n, "every listing reached the server")
            wait_until(lambda: store.held >= LISTING_SLOTS, "listings running")
            assert upload(client, f"/{P}/1000/2000").status_code == 201
            assert client.get(f"/{P}/1500").content == b"payload"
            missing = client.get(f"/{P[:-1]}/1500")  # explained in a worker thread
            assert missing.status_code == 404
            assert store.held == LISTING_SLOTS
        finally:
            store.release.set()
            for thread in hostile:
                thread.join(PATIENCE)
    assert store.held == n
    store.close()


@pytest.mark.parametrize(
    "pattern",
    ["(.%2B)%2B%23.*", "(a|aa)%2B$*", "qc/a%7B9999999999%7D.*", "qc/" + "(a*)*" * 40 + "b*"],
)
def test_pathological_patterns_are_answered(client: httpx.Client, pattern: str) -> None:
    upload(client, f"/{P}/1000/2000")
    for endpoint in ("browse", "latest"):
        response = client.get(f"/{endpoint}/{pattern}")
        assert response.status_code in (200, 400), response.text


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("qc/(%3F!a).*", "bad path pattern"),  # look-ahead
        ("qc/a%7B1000%7D%7B1000%7D*", "bad path pattern"),  # repeated repetition
        ("qc/(a)%5C1.*", "backslash"),  # back-references need one
        ("(.*a.%7B0,999%7Dc)%7C(.*b.%7B0,999%7Dc)*", "too costly"),  # 17 ms a path
        ("qc/" + "a" * MAX_PATH_LENGTH + ".*", f"at most {MAX_PATH_LENGTH}"),
    ],
)
def test_refused_patterns_are_a_400_with_a_reason(
    client: httpx.Client, pattern: str, reason: str
) -> None:
    for endpoint in ("browse", "latest", "truncate"):
        response = client.get(f"/{endpoint}/{pattern}")
        assert response.status_code == 400
        assert reason in response.text


# --- items 2, 3: nothing is stored that cannot be served -----------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"/{P}/1000/2000/%D0%BA%D0%BB=v",  # non-ASCII key as a URL token
        f"/{P}/1000/2000?%D0%BA%D0%BB=v",  # ... as a query parameter
        f"/{P}/1000/2000/K%C3%A9y=v",
    ],
)
def test_non_ascii_metadata_keys_are_refused(
    client: httpx.Client, store: LocalRepository, url: str
) -> None:
    response = upload(client, url)
    assert response.status_code == 400
    assert "bad key" in response.text
    assert store.browse(".*") == []


def test_non_ascii_metadata_values_are_stored_and_served(
    live_server: LiveServer, store: LocalRepository
) -> None:
    """Values are sent as UTF-8 header values (only over a socket: starlette's TestClient
    decodes header values as ASCII)."""
    client = httpx.Client(base_url=live_server.serve(store), timeout=PATIENCE)
    assert upload(client, f"/{P}/1000/2000/Note={quote('ключ é')}").status_code == 201
    response = client.get(f"/{P}/1500")
    client.close()
    assert response.status_code == 200
    assert response.content == b"payload"
    assert store.info(P, 1500).metadata["Note"] == "ключ é"


@pytest.mark.parametrize(
    ("filename", "content_type"),
    [
        (b"a\x00b.root", b"application/root"),
        (b"a\x01b.root", b"application/root"),
        (b"a\x7fb.root", b"application/root"),
        (b"h.root", b"application/\x01root"),
        (b"h.root", b"application/root\x7f"),
        (b"h.root", b"app\x00lication/root"),
    ],
)
def test_control_characters_in_file_name_or_type_are_refused(
    client: httpx.Client, store: LocalRepository, filename: bytes, content_type: bytes
) -> None:
    response = post_raw_multipart(client, f"/{P}/1000/2000", multipart(filename, content_type))
    assert response.status_code == 400
    assert "control characters" in response.text
    assert store.browse(".*") == []
    assert client.get(f"/{P}/1500").status_code == 404  # and the server still answers


_counter = iter(range(10**9))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    key=st.text(max_size=6),
    value=st.text(max_size=6),
    filename=st.binary(max_size=8),
    content_type=st.binary(max_size=8),
)
def test_whatever_is_stored_can_be_served(
    live_server: LiveServer,
    store: LocalRepository,
    key: str,
    value: str,
    filename: bytes,
    content_type: bytes,
) -> None:
    """Over a real socket: any upload the server accepts (201) is then served (200), and no
    upload is a 5xx. (Non-ASCII keys were stored then a 500; control characters in the file
    name or type were stored then no reply at all.)"""
    path = f"qc/fz/h{next(_counter)}"
    meta = f"/{quote(key, safe='')}={quote(value, safe='')}" if key else ""
    with httpx.Client(base_url=live_server.serve(store), timeout=PATIENCE) as client:
        posted = post_raw_multipart(
            client, f"/{path}/1000/2000{meta}", multipart(filename, content_type)
        )
        assert posted.status_code in (201, 400), posted.text
        if posted.status_code == 201:
            got = client.get(f"/{path}/1500")
            assert got.status_code == 200
            # what was stored, byte for byte (a type holding a blank line ends the part's
            # headers early: the part's body then starts with what followed it)
            assert got.content == store.get(path, 1500).data
            assert got.content.endswith(b"payload")
            assert client.head(f"/{path}/1500").status_code == 200
            assert client.get(f"/browse/{path}", headers={"Accept": "application/json"}).is_success


# --- items 4-7: validity, paths and destinations out of range are a 400 --------------------------


@pytest.mark.parametrize(
    "validity",
    [
        "9223372036854775807",
        "9223372036854775807/9223372036854775807",  # until == from
        "9223372036854775807/-1",
        "9223372036854775808/9223372036854775809",
        "1000/" + "9" * 5000,  # not converted at all: int() of 5,000 digits is refused
    ],
)
def test_validity_out_of_range_is_a_400(
    client: httpx.Client, store: LocalRepository, validity: str
) -> None:
    response = upload(client, f"/{P}/{validity}")
    assert response.status_code == 400
    assert "time" in response.text
    assert store.browse(".*") == []


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("//etc/passwd/1000/2000", "absolute"),
        ("///qc/x/1000/2000", "absolute"),
        ("/qc/12345678901234567890/1000/2000", "not a time"),
        ("/qc/x//1000/2000", "empty element"),
    ],
)
def test_double_slashes_and_long_numbers_are_refused(
    make_client: ClientFactory,
    live_server: LiveServer,
    store: LocalRepository,
    target: str,
    reason: str,
) -> None:
    body = multipart()
    base = str(make_client().base_url).rstrip("/")
    if base.startswith("http://testserver"):  # in-process: an absolute URL keeps the '//'
        response = post_raw_multipart(make_client(), base + target, body)
        status, text = response.status_code, response.text
    else:  # over the socket: raw, as no HTTP client sends '//' at the start
        reply = raw_request(
            base,
            f"POST {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            f"Content-Type: multipart/form-data; boundary=b\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body,
        ).decode()
        status, text = int(reply.split()[1]), reply
    assert status == 400, text
    assert reason in text
    assert store.browse(".*") == []


def test_move_to_an_overlong_destination_is_refused(
    client: httpx.Client, store: LocalRepository
) -> None:
    uuid = upload(client, f"/{P}/1000/2000").headers["etag"].strip('"')
    long_path = "/".join(["qc", *["x" * 100] * 9])  # 10 elements, 900+ characters
    response = client.request("MOVE", f"/{P}/1000/{uuid}", headers={"Destination": long_path})
    assert response.status_code == 400
    assert f"at most {MAX_PATH_LENGTH}" in response.text
    assert store.info(P, 1500).path == P
    fits = "/".join(["qc", *["x" * 50] * 9])
    assert len(fits) <= MAX_PATH_LENGTH
    assert client.request("MOVE", f"/{P}/1000/{uuid}", headers={"Destination": fits}).is_success
    assert client.get(f"/{fits}/1500").content == b"payload"


def test_large_contents_and_explained_misses_are_served(client: httpx.Client) -> None:
    """Both are computed in a worker thread (the event loop would wait on them)."""
    big = bytes(range(256)) * (QUICK_CONTENT_BYTES // 256 + 1)
    uuid = upload(client, f"/{P}/1000/2000", data=big).headers["etag"].strip('"')
    assert client.get(f"/{P}/1500").content == big
    assert client.get(f"/download/{uuid}").content == big
    assert client.head(f"/{P}/1500").headers["content-length"] == str(len(big))
    missing = client.get(f"/{P[:-1]}/1500")
    assert missing.status_code == 404
    assert f"close paths: {P}" in missing.text


@pytest.mark.parametrize("tail", ["/k=v" * 15_000, "/1" * 30_000, "/a" * 30_000, "/%41" * 15_000])
def test_a_huge_url_is_refused_at_once(
    client: httpx.Client, store: LocalRepository, tail: str
) -> None:
    """Parsing was quadratic (every filter's error context held the whole URL: 100,000
    ``k=v`` tokens kept the event loop busy for minutes); now over 8192 characters is a 400.
    (httpx sends at most 64 kB of URL.)"""
    for method in ("GET", "POST"):
        response = client.request(method, f"/qc/x/1000{tail}")
        assert response.status_code in (400, 414, 431), response.text[:200]
    assert store.browse(".*") == []
    assert client.get("/browse/qc/x.*").status_code == 200


@pytest.mark.parametrize("digits", [30, 5000])
def test_ranges_with_huge_numbers(client: httpx.Client, digits: int) -> None:
    """int() of more than 4,300 digits raises ValueError: a 500 before."""
    uuid = upload(client, f"/{P}/1000/2000", data=b"0123456789").headers["etag"].strip('"')
    huge = "9" * digits
    for url in (f"/download/{uuid}", f"/{P}/1500"):
        assert client.get(url, headers={"Range": f"bytes={huge}-"}).status_code in (200, 416)
        assert client.get(url, headers={"Range": f"bytes=-{huge}"}).status_code in (200, 206)
        full = client.get(url, headers={"Range": f"bytes=2-{huge}"})
        assert full.status_code in (200, 206)
        assert full.content in (b"0123456789", b"23456789")
