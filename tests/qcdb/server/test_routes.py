"""Every endpoint of the server with its status codes and headers (spec/ccdb-api.md)."""

from __future__ import annotations

import hashlib
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from qcflow.qcdb.local import LocalRepository
from qcflow.qcdb.model import ObjectInfo
from qcflow.qcdb.server import create_app
from tests._wait import DEADLINE
from tests.qcdb.server.conftest import ClientFactory, upload

P = "qc/TST/MO/Task/h1"


def test_post_returns_201_with_object_headers(client: TestClient, store: LocalRepository) -> None:
    response = upload(client, f"/{P}/1000/2000/RunNumber=5/PassName=apass1")
    assert response.status_code == 201
    uuid = response.headers["etag"].strip('"')
    assert response.headers["content-location"] == f"/download/{uuid}"
    assert response.headers["location"] == f"/{P}/1000/{uuid}"
    assert response.headers["valid-from"] == "1000"
    assert response.headers["valid-until"] == "2000"
    assert response.headers["content-md5"] == hashlib.md5(b"payload").hexdigest()
    info = store.info(P, 1500)
    assert info.id == uuid
    assert info.metadata == {"RunNumber": "5", "PassName": "apass1"}
    assert (info.content_type, info.file_name) == ("application/root", "TH1F_1000.root")


def test_get_returns_content_and_ccdb_headers(client: TestClient) -> None:
    upload(client, f"/{P}/1000/2000/RunNumber=5/ObjectType=TH1F")
    response = client.get(f"/{P}/1500/RunNumber=5")
    assert response.status_code == 200
    assert response.content == b"payload"
    h = response.headers
    assert (h["valid-from"], h["valid-until"]) == ("1000", "2000")
    assert h["etag"].startswith('"')
    assert h["cache-control"] == "no-cache"
    assert h["content-type"] == "application/root"
    assert h["content-disposition"] == 'inline;filename="TH1F_1000.root"'
    assert h["runnumber"] == "5"
    assert h["objecttype"] == "TH1F"
    assert h["content-length"] == "7"
    assert int(h["created"]) > 0
    assert h["last-modified"].endswith("GMT")


def test_get_misses(client: TestClient) -> None:
    upload(client, f"/{P}/1000/2000/RunNumber=5")
    missing = client.get(f"/{P}/2500")
    assert missing.status_code == 404
    assert missing.text.startswith("no object matches qc/TST/MO/Task/h1 at 2500")
    assert client.get(f"/{P}/1500/RunNumber=6").status_code == 404
    assert client.get(f"/{P}/1500/Unknown=1").status_code == 404


def test_head_has_headers_only(client: TestClient) -> None:
    upload(client, f"/{P}/1000/2000")
    response = client.head(f"/{P}/1500")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == "7"


def test_if_none_match_gives_304(client: TestClient) -> None:
    etag = upload(client, f"/{P}/1000/2000").headers["etag"]
    assert client.get(f"/{P}/1500", headers={"If-None-Match": etag}).status_code == 304
    assert client.get(f"/{P}/1500", headers={"If-None-Match": '"other"'}).status_code == 200


def test_creation_bound_headers(client: TestClient) -> None:
    created = int(upload(client, f"/{P}/1000/2000").headers["created"])
    assert client.get(f"/{P}/1500", headers={"If-Not-After": str(created - 1)}).status_code == 404
    assert client.get(f"/{P}/1500", headers={"If-Not-Before": str(created)}).status_code == 200
    huge = client.get(f"/{P}/1500", headers={"If-Not-After": "9" * 19})
    assert huge.status_code == 400
    bad = client.get(f"/{P}/1500", headers={"If-Not-Before": "yesterday"})
    assert bad.status_code == 400
    assert "If-Not-Before" in bad.text


def test_redirect_mode_answers_303(make_client: ClientFactory) -> None:
    client = make_client(redirect=True)
    uuid = upload(client, f"/{P}/1000/2000").headers["etag"].strip('"')
    response = client.get(f"/{P}/1500", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/download/{uuid}"
    assert client.get(response.headers["location"]).content == b"payload"


def test_download_and_ranges(client: TestClient) -> None:
    uuid = upload(client, f"/{P}/1000/2000", data=b"0123456789").headers["etag"].strip('"')
    full = client.get(f"/download/{uuid}")
    assert full.content == b"0123456789"
    assert full.headers["accept-ranges"] == "bytes"
    part = client.get(f"/download/{uuid}", headers={"Range": "bytes=2-4"})
    assert part.status_code == 206
    assert part.content == b"234"
    assert part.headers["content-range"] == "bytes 2-4/10"
    assert client.get(f"/download/{uuid}", headers={"Range": "bytes=-3"}).content == b"789"
    assert client.get(f"/download/{uuid}", headers={"Range": "bytes=7-"}).content == b"789"
    assert client.get(f"/download/{uuid}", headers={"Range": "bytes=20-"}).status_code == 416
    assert client.get("/download/not-a-uuid").status_code == 400
    etag = full.headers["etag"]
    assert client.get(f"/download/{uuid}", headers={"If-None-Match": etag}).status_code == 304
    head = client.head(f"/download/{uuid}", headers={"Range": "bytes=0-3"})
    assert (head.status_code, head.content, head.headers["content-length"]) == (206, b"", "4")
    assert client.get("/download/6f4e1f19-e97d-11f1-ae51-7d14c8e75821").status_code == 404


def test_put_changes_metadata_and_validity(client: TestClient, store: LocalRepository) -> None:
    uuid = upload(client, f"/{P}/1000/9000/RunNumber=5").headers["etag"].strip('"')
    assert client.put(f"/{P}/1500?qc_quality=3&RunNumber=").status_code == 204
    assert store.info(P, 1500).metadata == {"qc_quality": "3"}
    assert client.put(f"/{P}/1500?qc_quality=3").status_code == 304
    assert client.put(f"/{P}/1500/4000/{uuid}").status_code == 204
    assert store.info(P, 1500).valid_until == 4000
    assert client.put(f"/{P}/1500/500").status_code == 400
    assert client.put(f"/{P}").status_code == 400
    assert client.put(f"/{P}/99999?a=b").status_code == 404


def test_delete(client: TestClient) -> None:
    upload(client, f"/{P}/1000/2000")
    assert client.delete(f"/{P}/1500").status_code == 204
    assert client.get(f"/{P}/1500").status_code == 404
    assert client.delete(f"/{P}/1500").status_code == 404


def test_move(client: TestClient, store: LocalRepository) -> None:
    uuid = upload(client, f"/{P}/1000/2000").headers["etag"].strip('"')
    moved = client.request("MOVE", f"/{P}/1000/{uuid}", headers={"Destination": "/qc/new/h"})
    assert moved.status_code == 200
    assert store.get("qc/new/h", 1500).data == b"payload"
    assert client.request("MOVE", f"/{P}/1000/{uuid}").status_code == 400


def test_truncate(client: TestClient) -> None:
    upload(client, f"/{P}/1000/2000")
    upload(client, "/qc/TST/MO/Task/h2/1000/2000")
    response = client.get("/truncate/qc/TST/.*")
    assert response.status_code == 204
    assert response.headers["deleted"] == "2 objects"
    assert client.get("/truncate/qc/TST/.*").status_code == 304


def test_options_and_method_not_allowed(client: TestClient) -> None:
    response = client.options(f"/{P}")
    assert response.status_code == 200
    assert {"GET", "POST", "PUT", "DELETE", "OPTIONS"} <= set(response.headers["allow"].split(", "))
    assert client.post("/browse/qc").status_code == 405
    assert client.request("PATCH", f"/{P}/1").status_code == 405


def test_openapi_and_root(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert {"/{rest}", "/browse/{rest}", "/latest/{rest}", "/download/{rest}"} <= set(spec["paths"])
    assert set(spec["paths"]["/{rest}"]) == {"get", "head", "post", "put", "delete", "options"}
    assert {"200", "206", "304", "400", "404", "416"} <= set(
        spec["paths"]["/download/{rest}"]["get"]["responses"]
    )
    assert "MOVE" in spec["info"]["description"]
    assert "openapi.json" in client.get("/").text


# --- bad input: 4xx, one line, nothing stored -----------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"/{P}/2000/1000",  # from > until
        f"/{P}/1000/2000/3000",  # a third timestamp
        f"/{P}/1000/2000/not-a-uuid",
        f"/{P}/1000/2e3",  # a non-numeric validUntil
        f"/{P}/1000/1.5",
        f"/{P}/1000/-",
        f"/{P}/1000/2000/{'0' * 8}-0000-1000-8000-{'0' * 12}",  # a UUID in a POST
        "/qc/%2E%2E/etc/1000/2000",
        "/qc/..%2F..%2Fetc/1000/2000",
        "/qc/%2Fabs/1000/2000",
        "/qc/%ff/1000/2000",
        "/1000/2000",
        "/browse/x/1000/2000",
        f"/{P}/1000/2000/bad%20key=1",
        f"/{P}/1000/9999999999999999999",  # beyond 64 bits
    ],
)
def test_bad_post_urls(client: TestClient, store: LocalRepository, url: str) -> None:
    response = upload(client, url)
    assert 400 <= response.status_code < 500, response.text
    assert response.text.count("\n") == 1
    assert store.latest(".*") == []


def test_upload_needs_exactly_one_part(client: TestClient, store: LocalRepository) -> None:
    none = client.post(f"/{P}/1000/2000", data={"field": "x"})
    assert none.status_code == 400
    assert "one file part" in none.text
    files = [("send", ("a.root", b"1")), ("send", ("b.root", b"2"))]
    assert client.post(f"/{P}/1000/2000", files=files).status_code == 400
    raw = client.post(f"/{P}/1000/2000", content=b"raw", headers={"content-type": "text/plain"})
    assert raw.status_code == 400
    broken = client.post(
        f"/{P}/1000/2000",
        content=b"--xx\r\nnot a part",
        headers={"content-type": "multipart/form-data; boundary=xx"},
    )
    assert broken.status_code == 400
    assert store.latest(".*") == []


def test_literal_dot_dot_over_a_socket(live_server: object, store: LocalRepository) -> None:
    """HTTP clients remove ``..`` segments; a raw socket sends them as they are."""
    url = live_server.serve(store)  # type: ignore[attr-defined]
    host = urlparse(url)
    with socket.create_connection((host.hostname, host.port)) as sock:
        body = b"--b\r\nContent-Disposition: form-data; name=send; filename=x\r\n\r\nx\r\n--b--\r\n"
        request = (
            b"POST /qc/../../etc/passwd/1000/2000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            b"Content-Type: multipart/form-data; boundary=b\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(4096):
            chunks.append(chunk)
        reply = b"".join(chunks).decode()
    assert reply.startswith("HTTP/1.1 400")
    assert "'..' element" in reply
    assert store.latest(".*") == []


_HALF_UPLOAD = """
import socket, sys, time
host, port = sys.argv[1], int(sys.argv[2])
head = b"--b\\r\\nContent-Disposition: form-data; name=send; filename=x.root\\r\\n\\r\\n"
sock = socket.create_connection((host, port))
sock.sendall(b"POST /qc/K/h/1000/2000 HTTP/1.1\\r\\nHost: x\\r\\n"
             b"Content-Type: multipart/form-data; boundary=b\\r\\n"
             b"Content-Length: 10000000\\r\\n\\r\\n" + head + b"x" * 500_000)
print("sent", flush=True)
time.sleep(60)
"""


def test_client_killed_mid_upload_stores_nothing(
    live_server: object, store: LocalRepository
) -> None:
    """SIGKILL a client half-way through its body: nothing stored, the server keeps serving."""
    url = urlparse(live_server.serve(store))  # type: ignore[attr-defined]
    proc = subprocess.Popen(
        [sys.executable, "-c", _HALF_UPLOAD, str(url.hostname), str(url.port)],
        stdout=subprocess.PIPE,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"sent\n"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    with httpx.Client(base_url=url.geturl()) as http:
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:  # the server notices the dead connection
            files = {"send": ("x.root", b"whole", "application/root")}
            if http.post("/qc/K/h2/1000/2000", files=files).status_code == 201:
                break
            time.sleep(0.05)
        assert http.get("/qc/K/h2/1500").content == b"whole"
        assert http.get("/qc/K/h/1500").status_code == 404
    assert [i.path for i in store.browse("qc/.*")] == ["qc/K/h2"]
    assert list((store.root / "tmp").iterdir()) == []
    assert store.check().ok


_URL_TEXT = st.text(st.characters(codec="utf-8", blacklist_categories=("Cs",)), max_size=60)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=_URL_TEXT, method=st.sampled_from(["GET", "HEAD", "PUT", "DELETE", "POST", "MOVE"]))
def test_no_url_makes_a_server_error(client: TestClient, text: str, method: str) -> None:
    url = "/" + quote(text, safe="/=%*.-_")
    response = client.request(method, url, headers={"Destination": quote(text)})
    assert response.status_code < 500, (url, response.text)


class CountedListings(LocalRepository):
    """The embedded store, counting the listings it is asked for."""

    listings = 0

    def browse(self, *args: Any, **kwargs: Any) -> list[ObjectInfo]:
        self.listings += 1
        return super().browse(*args, **kwargs)


def test_cache_valid_until_needs_no_listing_when_nothing_can_take_over(tmp_path: Path) -> None:
    """Every GET listed its path's newer versions for ``Cache-Valid-Until`` (a second query,
    ~20 % of the server's uncached throughput). Runs following each other (QC's objects, the
    benchmark's) cannot cut each other short: the header is then the version's own end,
    answered by the resolving query alone. A version starting inside another's validity still
    lists, and cuts it."""
    store = CountedListings(tmp_path / "qcdb", fsync=False)
    for run in range(3):
        store.store(
            P,
            b"x",
            valid_from=1000 * (run + 1),
            valid_until=1000 * (run + 2),
            metadata={"RunNumber": str(run)},
        )
    client = TestClient(create_app(store, cache_bytes=0))
    for url in (f"/{P}/1500/RunNumber=0", f"/{P}/2500", f"/{P}/3999/RunNumber=2"):
        for method in ("GET", "HEAD"):
            response = client.request(method, url)
            assert response.status_code == 200
            expected = int(response.headers["valid-until"])
            assert int(response.headers["cache-valid-until"]) == expected
    assert store.listings == 0
    store.store(P, b"late", valid_from=1200, valid_until=1800, metadata={"RunNumber": "9"})
    assert client.get(f"/{P}/1100").headers["cache-valid-until"] == "1200"
    assert store.listings == 1
    client.close()
    store.close()
