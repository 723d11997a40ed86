"""The embedded store: same answers as the pure rules, many writers, crashes, layout."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qcflow.qcdb import query as q
from qcflow.qcdb.errors import ObjectNotFound, WouldTakeLong, quick_only
from qcflow.qcdb.local import QUICK_CONTENT_BYTES, LocalRepository
from qcflow.qcdb.model import ObjectInfo, cache_valid_until
from tests._wait import DEADLINE

PATHS = ["qc/A/h1", "qc/A/h2", "qc/B/sub/h3"]
_VERSIONS = st.lists(
    st.tuples(
        st.sampled_from(PATHS),
        st.integers(1, 50),
        st.integers(1, 50),
        st.dictionaries(
            st.sampled_from(["RunNumber", "PassName"]), st.sampled_from("123"), max_size=2
        ),
    ),
    min_size=1,
    max_size=12,
)
_QUERIES = st.tuples(
    st.sampled_from([*PATHS, "qc/.*", "qc/A/*", "qc/%/h3"]),
    st.none() | st.integers(0, 100),
    st.dictionaries(
        st.sampled_from(["RunNumber", "PassName", "Other"]), st.sampled_from("123"), max_size=2
    ),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(versions=_VERSIONS, queries=st.lists(_QUERIES, min_size=1, max_size=6))
def test_store_agrees_with_the_pure_rules(
    versions: list[tuple[str, int, int, dict[str, str]]],
    queries: list[tuple[str, int | None, dict[str, str]]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = LocalRepository(tmp, fsync=False)
        stored: list[ObjectInfo] = []
        for path, a, b, meta in versions:
            stored.append(
                repo.store(
                    path, b"x", valid_from=min(a, b), valid_until=max(a, b) + 1, metadata=meta
                )
            )
        for pattern, ts, filters in queries:
            query = q.Query(pattern, ts, filters)
            ids = [i.id for i in repo.browse(pattern, filters, timestamp=ts)]
            assert ids == [i.id for i in q.browse(stored, query)]
            ids = [i.id for i in repo.latest(pattern, filters, timestamp=ts)]
            assert ids == [i.id for i in q.latest(stored, query)]
            if "*" not in pattern and "%" not in pattern and ts is not None:
                expected = q.select(stored, query)
                found = repo.browse(pattern, filters, timestamp=ts, limit=None)
                got = None if expected is None else repo.info(pattern, ts, filters)
                assert (got.id if got else None) == (expected.id if expected else None)
                assert found or expected is None
        repo.close()


# --- many processes -------------------------------------------------------------------------

N_WRITERS, N_PER_WRITER = 8, 40


def _writer(root: str, writer: int) -> None:
    repo = LocalRepository(root)
    for i in range(N_PER_WRITER):
        data = f"{writer}:{i}".encode() * 50
        repo.store(
            f"qc/W{writer}/h{i % 5}",
            data,
            valid_from=1000 + i,
            valid_until=10**12,
            metadata={"RunNumber": str(i), "Writer": str(writer)},
        )
    repo.close()


def _reader(root: str, rounds: int) -> int:
    repo = LocalRepository(root)
    seen = 0
    for _ in range(rounds):
        for info in repo.latest("qc/.*"):
            data = repo.download(info.id).data
            assert hashlib.md5(data).hexdigest() == info.md5
            seen += 1
    repo.close()
    return seen


def test_eight_writer_processes_and_readers_lose_nothing(tmp_path: Path) -> None:
    root = str(tmp_path / "qcdb")
    LocalRepository(root).close()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(N_WRITERS + 2) as pool:
        writers = [pool.apply_async(_writer, (root, w)) for w in range(N_WRITERS)]
        readers = [pool.apply_async(_reader, (root, 20)) for _ in range(2)]
        for job in writers:
            job.get(timeout=DEADLINE)
        for job in readers:
            job.get(timeout=DEADLINE)
    repo = LocalRepository(root)
    everything = repo.browse("qc/.*")
    assert len(everything) == N_WRITERS * N_PER_WRITER
    for writer in range(N_WRITERS):
        for i in range(N_PER_WRITER):
            _, data = repo.get(f"qc/W{writer}/h{i % 5}", 2000, {"RunNumber": str(i)})
            assert data == f"{writer}:{i}".encode() * 50
    assert repo.check().ok


# --- crashes --------------------------------------------------------------------------------

_KILLED_WRITER = """
import sys
from qcflow.qcdb.errors import ObjectNotFound, WouldTakeLong, quick_only
from qcflow.qcdb.local import QUICK_CONTENT_BYTES, LocalRepository
repo = LocalRepository(sys.argv[1])
blob = bytes(range(256)) * 8192  # 2 MiB: the kill lands mid-write most of the time
i = 0
while True:
    repo.store(f"qc/K/h{i % 3}", blob + str(i).encode(), valid_from=1, valid_until=10**12)
    i += 1
"""


def test_sigkill_mid_store_leaves_a_consistent_store(tmp_path: Path) -> None:
    import subprocess

    root = tmp_path / "qcdb"
    watcher = LocalRepository(root)
    for delay in (0.0, 0.013, 0.031):
        before = len(watcher.browse("qc/.*"))
        proc = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(root)])
        deadline = time.monotonic() + DEADLINE
        while len(watcher.browse("qc/.*")) < before + 2 and time.monotonic() < deadline:
            time.sleep(0.005)  # wait until it is storing in a loop, then kill it somewhere
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    watcher.close()
    repo = LocalRepository(root)  # opening cleans the dead writer's temporary files
    assert list((root / "tmp").iterdir()) == []
    report = repo.check(remove_orphans=True)
    assert report.ok, report
    assert report.objects > 0
    assert repo.check().orphan_files == []
    for info in repo.browse("qc/.*"):
        assert hashlib.md5(repo.download(info.id).data).hexdigest() == info.md5
    repo.store("qc/K/after", b"still works", valid_from=1, valid_until=2)
    assert repo.get("qc/K/after", 1).data == b"still works"


def test_check_finds_missing_and_corrupt_content(store: LocalRepository) -> None:
    a = store.store("qc/a", b"aaa", valid_from=1, valid_until=2)
    b = store.store("qc/b", b"bbb", valid_from=1, valid_until=2)
    store._content_file(a.id).unlink()
    store._content_file(b.id).write_bytes(b"changed")
    (store.root / "objects" / "zz").mkdir()
    (store.root / "objects" / "zz" / "stray").write_bytes(b"")
    report = store.check()
    assert report.missing_content == [a.id]
    assert report.bad_md5 == [b.id]
    assert report.orphan_files == ["stray"]
    assert not report.ok


def test_contents_are_named_by_id_never_by_path(store: LocalRepository) -> None:
    info = store.store("qc/..hidden/ü name", b"x", valid_from=1, valid_until=2)
    files = [p for p in store.root.rglob("*") if p.is_file()]
    assert store._content_file(info.id) in files
    assert all(p.parent.parent.name == "objects" or p.parent == store.root for p in files)


def test_in_a_hurry_long_answers_are_deferred(store: LocalRepository) -> None:
    """The server's event loop reads within quick_only(): what would take long (a miss to
    explain by comparing paths, a large content) raises WouldTakeLong, to be asked again in a
    worker thread; outside, the same calls answer in full."""
    big = b"x" * (QUICK_CONTENT_BYTES + 1)
    store.store("qc/a/big", big, valid_from=1, valid_until=10)
    store.store("qc/a/small", b"s", valid_from=1, valid_until=10)
    with quick_only():
        assert store.get("qc/a/small", 5).data == b"s"
        assert store.info("qc/a/big", 5).size == len(big)  # no content: quick
        with pytest.raises(WouldTakeLong):
            store.get("qc/a/big", 5)
        with pytest.raises(WouldTakeLong):
            store.get("qc/a/smal", 5)
    assert store.get("qc/a/big", 5).data == big
    with pytest.raises(ObjectNotFound, match="close paths: qc/a/small"):
        store.get("qc/a/smal", 5)


def test_opening_removes_only_this_hosts_dead_temporaries(tmp_path: Path) -> None:
    import socket
    import subprocess

    root = tmp_path / "qcdb"
    LocalRepository(root).close()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host = socket.gethostname()
    names = [
        f"a.{dead.pid}.{host}.tmp",
        f"b.{dead.pid}.tmp",
        f"c.{dead.pid}.other.host.tmp",
        f"d.{os.getpid()}.{host}.tmp",
    ]
    for name in names:
        (root / "tmp" / name).write_bytes(b"partial")
    LocalRepository(root).close()
    left = sorted(p.name for p in (root / "tmp").iterdir())
    # another host's process ids mean nothing here (a shared object directory); live ones stay
    assert left == [f"c.{dead.pid}.other.host.tmp", f"d.{os.getpid()}.{host}.tmp"]


# --- Cache-Valid-Until from the resolving statement -----------------------------------------

_TIMED_VERSIONS = st.lists(
    st.tuples(
        st.integers(1, 30),
        st.integers(1, 30),
        st.sampled_from([{}, {"RunNumber": "1"}, {"RunNumber": "2"}]),
    ),
    min_size=1,
    max_size=10,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    versions=_TIMED_VERSIONS,
    at=st.integers(0, 32),
    filters=st.sampled_from([{}, {"RunNumber": "1"}, {"RunNumber": "2"}]),
    bounded=st.booleans(),
    by_id=st.booleans(),
)
def test_get_until_agrees_with_the_listing_rule(
    versions: list[tuple[int, int, dict[str, str]]],
    at: int,
    filters: dict[str, str],
    bounded: bool,
    by_id: bool,
) -> None:
    """``get_until`` skips the listing of newer versions when the resolving statement finds no
    version starting inside the resolved one's validity; its answer must still be exactly the
    rule's (:func:`model.cache_valid_until` over every version the query could return)."""
    with tempfile.TemporaryDirectory() as tmp:
        repo = LocalRepository(tmp, fsync=False)
        stored = [
            repo.store(
                "qc/A/h", b"x", valid_from=min(a, b), valid_until=max(a, b) + 1, metadata=meta
            )
            for a, b, meta in versions
        ]
        not_before = stored[len(stored) // 2].created if bounded else None
        info = q.select(stored, q.Query("qc/A/h", at, filters, not_before))
        if info is None:
            with pytest.raises(ObjectNotFound):
                repo.get_until("qc/A/h", at, filters, not_before=not_before)
            repo.close()
            return
        uuid = info.id if by_id else None
        (got, data), until = repo.get_until("qc/A/h", at, filters, not_before=not_before, uuid=uuid)
        assert (got.id, data) == (info.id, b"x")
        candidates = q.browse(stored, q.Query("qc/A/h", None, filters, not_before))
        assert until == (info.valid_until if by_id else cache_valid_until(info, at, candidates))
        (_, data), until_head = repo.get_until(
            "qc/A/h", at, filters, not_before=not_before, uuid=uuid, content=False
        )
        assert (data, until_head) == (b"", until)
        repo.close()


def _vm_steps(repo: LocalRepository, call: Any) -> int:
    """SQLite virtual-machine steps (in thousands) ``call`` makes on this thread's connection:
    work counted, not timed."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0  # go on

    conn = repo.index.connection
    conn.set_progress_handler(count, 1000)
    try:
        call()
    finally:
        conn.set_progress_handler(None, 0)
    return steps


def test_latest_costs_per_path_not_per_version(tmp_path: Path) -> None:
    """``latest`` numbered every version under the pattern (a window function) to keep the
    newest of each path: 85-360 ms for a task folder at 10M versions. It probes the path index
    once per path now, so a path's history does not add to its cost."""
    costs = []
    for versions in (10, 2000):
        repo = LocalRepository(tmp_path / str(versions), fsync=False)
        with repo.index.write() as db:  # many versions quickly: rows only, as the bench fills
            for v in range(versions):
                for h in range(5):
                    info = ObjectInfo(
                        path=f"qc/A/h{h}",
                        id=str(uuid.uuid1()),
                        valid_from=v,
                        valid_until=v + 1,
                        created=v,
                        last_modified=v,
                        md5="",
                        size=0,
                        content_type="",
                        file_name="h",
                        metadata={},
                        initial_valid_until=v + 1,
                    )
                    repo.index.insert(db, info, uuid.UUID(info.id).time)
        latest = repo.latest("qc/A/.*")
        assert [(i.path, i.valid_from) for i in latest] == [
            (f"qc/A/h{h}", versions - 1) for h in range(5)
        ]
        costs.append(_vm_steps(repo, lambda r=repo: r.latest("qc/A/.*")))
        repo.close()
    assert costs[1] <= costs[0] + 2, costs  # 200 times the versions, the same work
