"""bench/qcdb_scale.py's bulk load makes a store qcflow reads like any other.

The benchmark fills SQLite around the store's own code (journal off, one transaction, the path
index built afterwards) to reach 10M versions in minutes; its figures mean something only if
the result is an ordinary store: same schema, WAL mode, same answers as the rules give."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import ModuleType

from qcflow.qcdb import query as q
from qcflow.qcdb.local import LocalRepository
from tests._bench import load_bench


def _bench() -> ModuleType:
    return load_bench("qcdb_scale")


def _schema(file: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(file) as db:
        return sorted(db.execute("SELECT name, coalesce(sql, '') FROM sqlite_master"))


def test_bulk_filled_store_is_an_ordinary_store(tmp_path: Path) -> None:
    bench = _bench()
    bench.OBJECTS = 50  # a small shape: 50 objects x 6 runs
    wanted = {(3, 0), (7, 5), (49, 2)}
    repo = bench.fill_sqlite(tmp_path / "bulk", 300, wanted)
    fresh = LocalRepository(tmp_path / "fresh", fsync=False)
    assert _schema(repo.index.file) == _schema(fresh.index.file)
    with sqlite3.connect(repo.index.file) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    stored = [info for _, _, info, _ in bench.versions(300)]
    ids = [info.id for info in stored]
    assert ids == sorted(ids)  # ids sort in creation order (appended to the id index)
    assert [i.id for i in repo.browse("qc/.*")] == [
        i.id for i in q.browse(stored, q.Query("qc/.*"))
    ]
    assert [i.id for i in repo.latest("qc/TPC/.*")] == [
        i.id for i in q.latest(stored, q.Query("qc/TPC/.*"))
    ]
    for i, v in wanted:
        at = bench.T0 + v * bench.RUN_MS + 5
        (info, data), until = repo.get_until(bench.path_of(i), at, {"RunNumber": str(500_000 + v)})
        assert (info.id, data, until) == (ids[v * 50 + i], bench.PAYLOAD, info.valid_until)
    assert repo.check(verify_md5=True).bad_md5 == []
    repo.close()
    again = bench.fill_sqlite(tmp_path / "bulk", 300, wanted)  # reused, not refilled
    assert len(again.browse("qc/.*")) == 300
    again.close()
    fresh.close()
