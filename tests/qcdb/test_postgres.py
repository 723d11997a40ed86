"""The PostgreSQL-indexed store beyond the conformance suite: URLs, schema, many processes,
servers sharing one index, crashes, ``check --repair`` and ``copy``.

(The conformance suite, ``test_repository.py``, runs on it through the ``repo`` fixture.)
"""

from __future__ import annotations

import hashlib
import multiprocessing
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qcflow.cli import main
from qcflow.errors import InvalidInput
from qcflow.qcdb import HttpRepository, LocalRepository, open_repository
from qcflow.qcdb.copy import copy_versions
from qcflow.qcdb.open import absolute_url
from qcflow.qcdb.postgres import (
    SCHEMA_VERSION,
    PostgresRepository,
    make_url,
    migrate,
    parse_url,
    redact,
)

P = "qc/TST/MO/Task/h1"


# --- URLs -----------------------------------------------------------------------------------


def test_a_url_without_objects_is_one_line_input_error() -> None:
    with pytest.raises(InvalidInput, match=r"\?objects=DIR"):
        open_repository("postgresql://qcdb:secret@db.example/qcdb")
    with pytest.raises(InvalidInput) as err:
        parse_url("postgresql://qcdb:secret@db/qcdb?objects=a&objects=b")
    assert "secret" not in str(err.value)


def test_urls_keep_libpq_options_and_make_objects_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = absolute_url("postgresql://u@h:5433/db?sslmode=require&objects=rel/dir")
    conninfo, objects = parse_url(url)
    assert conninfo == "postgresql://u@h:5433/db?sslmode=require"
    assert objects == tmp_path / "rel" / "dir"
    assert redact("postgresql://u:pw@h/db") == "postgresql://u:***@h/db"


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(exclude_categories=["Cs", "Cc"]), min_size=1).filter(str.strip))
def test_any_objects_directory_survives_the_url(name: str) -> None:
    directory = Path("/srv") / name.strip().lstrip("/~")
    conninfo, objects = parse_url(make_url("postgresql://u@h/db?application_name=x", directory))
    assert objects == directory.absolute()
    assert conninfo == "postgresql://u@h/db?application_name=x"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--index", "mysql://h/db", "--objects", "d"], "expected postgresql://user@host/dbname"),
        (["--index", "postgresql://u@h/db"], "needs --objects DIR"),
        (["--objects", "d"], "--objects goes with --index postgresql://"),
        (["--root", "r", "--index", "postgresql://u@h/db", "--objects", "d"], "not both"),
    ],
)
def test_serve_index_options_are_checked_first(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["qcdb", "serve", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1


# --- schema ---------------------------------------------------------------------------------


def test_migrate_creates_the_schema_once_and_readers_never_do(
    pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = make_url(pg_url, tmp_path / "objects")
    (tmp_path / "objects" / "objects").mkdir(parents=True)
    with pytest.raises(InvalidInput, match=r"no QCDB at .*run `qcflow qcdb migrate`"):
        open_repository(url, create=False)
    assert main(["qcdb", "migrate", pg_url]) == 0
    assert f"QCDB schema version {SCHEMA_VERSION} (migrated from version 0)" in (
        capsys.readouterr().out
    )
    assert migrate(pg_url) == (SCHEMA_VERSION, SCHEMA_VERSION)
    open_repository(url, create=False).close()


def test_a_newer_schema_is_refused(pg_index: str, tmp_path: Path) -> None:
    import psycopg

    with psycopg.connect(pg_index, autocommit=True) as conn:
        conn.execute("UPDATE qcdb_schema SET version = 99")
    with pytest.raises(InvalidInput, match=r"schema version 99, newer .* upgrade qcflow"):
        PostgresRepository(make_url(pg_index, tmp_path))


def test_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = make_url(f"postgresql://u:pw@127.0.0.1:{port}/db?connect_timeout=2", tmp_path)
    with pytest.raises(InvalidInput, match="cannot use the PostgreSQL QCDB index") as err:
        PostgresRepository(url)
    assert "pw" not in str(err.value)


def test_the_plan_of_a_get_uses_the_path_index(pg_store: PostgresRepository) -> None:
    for i in range(300):
        pg_store.store(
            f"qc/P/h{i % 30}",
            b"x",
            valid_from=1000 + i,
            valid_until=10**12,
            metadata={"RunNumber": str(i)},
        )
    with pg_store.index.reading() as conn:
        conn.execute("ANALYZE qcdb_objects")
        conn.execute("SET enable_seqscan = off")  # 300 rows: a scan would be cheaper still
        plan = "\n".join(
            r[0]
            for r in conn.execute(
                "EXPLAIN SELECT id FROM qcdb_objects WHERE path = 'qc/P/h3' AND valid_from <= 1200 "
                'AND valid_until > 1200 AND metadata @> \'{"RunNumber": "3"}\' '
                "ORDER BY ticks DESC, id DESC LIMIT 1"
            )
        )
    assert "qcdb_objects_order" in plan, plan


def test_on_the_event_loop_a_busy_pool_moves_the_request_to_a_thread(
    pg_index: str, tmp_path: Path
) -> None:
    from qcflow.qcdb.errors import WouldTakeLong, quick_only

    repo = PostgresRepository(make_url(pg_index, tmp_path), fsync=False, pool_size=1)
    repo.store(P, b"x", valid_from=1, valid_until=10)
    with repo.index.pool.connection():  # the only connection, busy (a listing, say)
        with quick_only(), pytest.raises(WouldTakeLong, match="free database connection"):
            repo.get(P, 5)
        assert isinstance(repo.version(), int)  # the cache's counter has its own connection
    with quick_only():
        assert repo.get(P, 5).data == b"x"
    repo.close()


def test_the_change_counter_survives_a_dropped_connection(pg_store: PostgresRepository) -> None:
    before = pg_store.version()
    with pg_store.index.reading() as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> "
            "pg_backend_pid() AND datname = current_database() AND state = 'idle' "
            "AND query LIKE '%qcdb_version%'"
        )
    pg_store.store(P, b"x", valid_from=1, valid_until=10)
    assert pg_store.version() == before + 1


# --- many processes -------------------------------------------------------------------------

N_WRITERS, N_PER_WRITER = 4, 25


def _writer(url: str, writer: int) -> list[str]:
    repo = open_repository(url)
    ids = []
    for i in range(N_PER_WRITER):
        info = repo.store(
            f"qc/W/h{i % 5}",
            f"{writer}:{i}".encode(),
            valid_from=1000 + i,
            valid_until=10**12,
            metadata={"RunNumber": str(i), "Writer": str(writer)},
        )
        ids.append(info.id)
    repo.close()
    return ids


def test_writer_processes_on_one_index_lose_and_duplicate_nothing(
    pg_store: PostgresRepository,
) -> None:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(N_WRITERS) as pool:
        jobs = [pool.apply_async(_writer, (pg_store.url, w)) for w in range(N_WRITERS)]
        written = [i for job in jobs for i in job.get(timeout=300)]
    listed = pg_store.browse("qc/W/.*")
    assert sorted(i.id for i in listed) == sorted(written)
    assert len(set(written)) == N_WRITERS * N_PER_WRITER
    for writer in range(N_WRITERS):
        for i in range(N_PER_WRITER):
            filters = {"RunNumber": str(i), "Writer": str(writer)}
            assert pg_store.get(f"qc/W/h{i % 5}", 2000, filters).data == f"{writer}:{i}".encode()
    assert pg_store.check().ok


@contextmanager
def _server(qcflow_cmd: list[str], pg_index: str, objects: Path, *extra: str) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [
            *qcflow_cmd,
            "qcdb",
            "serve",
            "--index",
            pg_index,
            "--objects",
            str(objects),
            "--port",
            str(port),
            *extra,
        ],
        stderr=subprocess.DEVNULL,
    )
    try:
        probe = HttpRepository(f"127.0.0.1:{port}", retries=100, backoff=0.05)
        probe.subfolders("")  # retried until the server listens
        probe.close()
        yield f"127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)


def test_two_servers_share_one_index_and_their_caches_follow_each_other(
    pg_index: str, tmp_path: Path, qcflow_cmd: list[str]
) -> None:
    objects = tmp_path / "shared"
    with (
        _server(qcflow_cmd, pg_index, objects, "--workers", "2") as a,
        _server(qcflow_cmd, pg_index, objects) as b,
    ):
        one, two = HttpRepository(a, retries=0), HttpRepository(b, retries=0)
        first = one.store(P, b"v1", valid_from=1000, valid_until=5000, metadata={"R": "1"})
        assert two.get(P, 2000).data == b"v1"  # at once, through the other "host"
        for _ in range(4):  # into both workers' replay caches, most likely
            assert two.get(P, 2000).info.metadata["R"] == "1"
            assert one.get(P, 2000).info.metadata["R"] == "1"
        assert one.update(P, 2000, metadata={"R": "2"})  # a write through A ...
        for _ in range(4):  # ... is seen by every worker of both servers
            assert two.get(P, 2000).info.metadata["R"] == "2"
            assert one.get(P, 2000).info.metadata["R"] == "2"
        two.delete(P, 2000)
        assert one.browse(P) == []

        def write(repo: HttpRepository, n: int) -> None:
            for i in range(10):
                repo.store(f"qc/C/h{i}", f"{n}".encode(), valid_from=1000, valid_until=5000)

        threads = [
            threading.Thread(target=write, args=(r, n)) for n, r in enumerate([one, two, one, two])
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(one.browse("qc/C/.*")) == 40
        assert len({i.id for i in two.browse("qc/C/.*")}) == 40
        one.close()
        two.close()
    with PostgresRepository(make_url(pg_index, objects)) as direct:
        assert first.id not in {i.id for i in direct.browse(".*")}
        assert len(direct.browse("qc/C/.*")) == 40


# --- crashes --------------------------------------------------------------------------------


def test_sigkill_of_a_server_mid_upload_leaves_old_or_new(
    pg_index: str, tmp_path: Path, qcflow_cmd: list[str]
) -> None:
    objects = tmp_path / "shared"
    blob = bytes(range(256)) * 8192  # 2 MiB: the kill lands mid-upload most of the time
    watcher = PostgresRepository(make_url(pg_index, objects), fsync=False)
    stop = threading.Event()

    def upload(url: str) -> None:
        client = HttpRepository(url, retries=0)
        i = 0
        while not stop.is_set():
            try:
                client.store(
                    f"qc/K/h{i % 3}", blob + str(i).encode(), valid_from=1, valid_until=10**12
                )
            except Exception:  # the server was killed under it
                return
            i += 1

    for delay in (0.0, 0.017):
        with _server(qcflow_cmd, pg_index, objects) as url:
            before = len(watcher.browse("qc/.*"))
            thread = threading.Thread(target=upload, args=(url,))
            thread.start()
            deadline = time.monotonic() + 60
            while len(watcher.browse("qc/.*")) < before + 2 and time.monotonic() < deadline:
                time.sleep(0.005)
            time.sleep(delay)
        # (the server is SIGKILLed on leaving the block)
        stop.set()
        thread.join(timeout=30)
        stop.clear()
    report = watcher.check(remove_orphans=True)
    assert report.ok, report
    assert report.objects >= 4
    assert watcher.check().orphan_files == []
    for info in watcher.browse("qc/.*"):
        assert hashlib.md5(watcher.download(info.id).data).hexdigest() == info.md5
    watcher.close()


def test_check_repair_removes_old_orphans_only(
    pg_store: PostgresRepository, capsys: pytest.CaptureFixture[str]
) -> None:
    kept = pg_store.store(P, b"kept", valid_from=1, valid_until=2)
    orphan = str(uuid.uuid1())
    file = pg_store.root / "objects" / orphan[:2] / orphan
    file.parent.mkdir(exist_ok=True)
    file.write_bytes(b"no row names me")
    assert main(["qcdb", "check", "--qcdb", pg_store.url, "--repair"]) == 0  # too young
    assert "0 orphan file(s) removed" in capsys.readouterr().out
    assert file.exists()
    assert main(["qcdb", "check", "--qcdb", pg_store.url, "--repair", "--grace", "0"]) == 0
    assert "1 orphan file(s) removed" in capsys.readouterr().out
    assert not file.exists()
    (pg_store.root / "objects" / kept.id[:2] / kept.id).unlink()
    assert main(["qcdb", "check", "--qcdb", pg_store.url]) == 1
    assert f"missing content: {kept.id}" in capsys.readouterr().out


def test_check_of_a_server_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["qcdb", "check", "--qcdb", "127.0.0.1:9"]) == 2
    assert "a server checks its own store" in capsys.readouterr().err


# --- copy -----------------------------------------------------------------------------------


def _fill(repo: LocalRepository) -> None:
    for i in range(6):
        repo.store(
            f"qc/A/h{i % 2}",
            f"c{i}".encode(),
            valid_from=1000 + 100 * i,
            metadata={"RunNumber": str(i), "adjustableEOV": "1"},
        )
    repo.store("qc/B/other", b"not copied", valid_from=1, valid_until=2)
    repo.update("qc/A/h0", 1000, metadata={"Quality": "good"})


def _described(repo: object, pattern: str) -> list[tuple[object, ...]]:
    infos = repo.browse(pattern)  # type: ignore[attr-defined]
    return sorted(
        (
            i.id,
            i.path,
            i.valid_from,
            i.valid_until,
            i.initial_valid_until,
            i.created,
            i.md5,
            tuple(sorted(i.metadata.items())),
        )
        for i in infos
    )


def test_copy_embedded_to_postgres_and_back_keeps_everything_and_resumes(
    pg_store: PostgresRepository, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    laptop = LocalRepository(tmp_path / "laptop", fsync=False)
    _fill(laptop)
    argv = ["qcdb", "copy", str(laptop.root), pg_store.url, "--pattern", "qc/A/.*"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "copied 6 version(s), 0 already there" in out
    assert "6/6 version(s)" in err
    assert _described(pg_store, ".*") == _described(laptop, "qc/A/.*")
    assert main(argv) == 0  # resumed: nothing left to copy
    assert "copied 0 version(s), 6 already there" in capsys.readouterr().out
    back = LocalRepository(tmp_path / "back", fsync=False)
    report = copy_versions(pg_store, back)
    assert (report.copied, report.skipped) == (6, 0)
    assert _described(back, ".*") == _described(laptop, "qc/A/.*")
    for at in (1050, 1250, 1550):
        assert back.get("qc/A/h0", at).info.id == laptop.get("qc/A/h0", at).info.id


def test_copy_to_a_server_keeps_validity_and_metadata_and_resumes(
    tmp_path: Path, live_server: object
) -> None:
    laptop = LocalRepository(tmp_path / "laptop", fsync=False)
    _fill(laptop)
    served = LocalRepository(tmp_path / "served", fsync=False)
    client = HttpRepository(live_server.serve(served), retries=0)  # type: ignore[attr-defined]
    copy_versions(laptop, client, "qc/A/.*")
    got = sorted(
        (i.path, i.valid_from, i.valid_until, i.md5, tuple(sorted(i.metadata.items())))
        for i in client.browse(".*")
    )
    want = sorted(
        (i.path, i.valid_from, i.valid_until, i.md5, tuple(sorted(i.metadata.items())))
        for i in laptop.browse("qc/A/.*")
    )
    assert got == want
    report = copy_versions(laptop, client, "qc/A/.*")
    assert (report.copied, report.skipped) == (0, 6)
    client.close()


def test_restore_refuses_content_that_does_not_match(tmp_path: Path) -> None:
    source = LocalRepository(tmp_path / "a", fsync=False)
    info = source.store(P, b"right", valid_from=1, valid_until=2)
    target = LocalRepository(tmp_path / "b", fsync=False)
    with pytest.raises(InvalidInput, match="does not have the MD5"):
        target.restore(info, b"wrong")
    assert target.browse(".*") == []
    assert list((tmp_path / "b" / "objects").glob("*/*")) == []
    assert target.restore(info, b"right")
    assert not target.restore(info, b"right")


def test_a_store_url_works_in_every_qcdb_option(
    pg_store: PostgresRepository, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "h.txt"
    file.write_bytes(b"hello")
    assert main(["qcdb", "put", P, str(file), "--qcdb", pg_store.url, "--valid-from", "5"]) == 0
    assert main(["qcdb", "ls", "qc", "--qcdb", pg_store.url, "--json"]) == 0
    assert P in capsys.readouterr().out
    assert pg_store.get(P, 6).data == b"hello"
