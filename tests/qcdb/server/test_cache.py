"""The replay cache: exact while the store is unchanged, bypassed when it must be."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from qcflow.qcdb.local import LocalRepository
from qcflow.qcdb.server import create_app
from qcflow.qcdb.server.cache import ResponseCache
from qcflow.qcdb.server.http import Reply

P = "qc/TST/MO/Task/h1"


def _app_cache(client: TestClient) -> ResponseCache:
    app = client.app
    while not hasattr(app, "cache"):  # unwrap the guards
        app = app.app  # type: ignore[attr-defined]
    cache = app.cache
    assert cache is not None
    return cache


def test_replays_until_another_process_writes(store: LocalRepository, tmp_path: Path) -> None:
    store.store(P, b"first", valid_from=1000, valid_until=9000)
    client = TestClient(create_app(store))
    cache = _app_cache(client)
    assert client.get(f"/{P}/1500").content == b"first"
    assert len(cache) == 1
    assert client.get(f"/{P}/1500").content == b"first"
    # Another connection (as another process would) stores a newer version.
    other = LocalRepository(store.root)
    other.store(P, b"second", valid_from=1000, valid_until=9000)
    other.close()
    assert client.get(f"/{P}/1500").content == b"second"
    client.close()


def test_own_writes_invalidate(store: LocalRepository) -> None:
    store.store(P, b"first", valid_from=1000, valid_until=9000)
    client = TestClient(create_app(store))
    assert client.get(f"/{P}/1500").content == b"first"
    assert client.put(f"/{P}/1500?RunNumber=7").status_code == 204
    assert client.get(f"/{P}/1500").headers["runnumber"] == "7"
    assert client.delete(f"/{P}/1500").status_code == 204
    assert client.get(f"/{P}/1500").status_code == 404
    client.close()


def test_now_and_conditional_requests_are_not_replayed(store: LocalRepository) -> None:
    store.store(P, b"x", valid_from=1000, valid_until=None)
    client = TestClient(create_app(store))
    cache = _app_cache(client)
    client.get(f"/{P}")
    client.get(f"/{P}/1500", headers={"If-Not-Before": "0"})
    assert len(cache) == 0
    client.get(f"/{P}/1500")
    assert len(cache) == 1
    client.close()


def test_disabled(store: LocalRepository) -> None:
    client = TestClient(create_app(store, cache_bytes=0))
    assert getattr(client.app.app.app, "cache", "missing") is None  # type: ignore[attr-defined]
    client.close()


def test_bounded_in_bytes() -> None:
    cache = ResponseCache(max_bytes=8 * 1024)
    for i in range(20):
        cache.put(i, 1, Reply(200, body=b"x" * 500))
    assert len(cache) < 20
    assert cache.get(19, 1) is not None
    assert cache.get(0, 1) is None
    assert cache.get(19, 2) is None  # another version: stale, dropped
    assert cache.get(19, 1) is None
