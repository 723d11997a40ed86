"""QCDB at scale: millions of versions in the embedded store and in PostgreSQL.

    python bench/qcdb_scale.py [--versions 1000000] [--queries 2000] [--pg URL]
                               [--backends sqlite,postgres] [--workers 1,2,4] [--duration 8]
                               [--store DIR]

1. Fills each backend with VERSIONS versions shaped like QC's: 100,000 objects
   (``qc/<10 detectors>/MO/<100 tasks>/h<100>``), one version per run and object (run r valid
   for one hour, QC's activity metadata: RunNumber, PassName, PeriodName, ...), created run after
   run. SQLite: a bulk load into the store's own schema (one transaction, journal off, the
   path index built after the rows; :func:`fill_sqlite`), kept with ``--store DIR`` and reused;
   PostgreSQL: ``COPY`` (same columns, then the path counts and keys). Content files are
   written only for the versions the benchmark reads (every row names a UUID file; ten million
   2 kB files would measure the filesystem, not the index): the store reads like any other,
   but ``qcflow qcdb check`` would report the other contents missing.
2. p50/p99 latency, embedded (``get`` needs the content file and reads it):
   GET by time + RunNumber of a random object, ``latest`` under a task folder (100 objects),
   ``browse`` of one object (all its versions) and of a detector (newest 100).
3. PostgreSQL: the plans of those queries (``EXPLAIN``), printed for docs/qcdb.md.
4. Server throughput on the PostgreSQL store with 1, 2 and 4 workers under ``wrk -t2 -c32``
   (random GET URLs), next to nginx serving a static 2 kB file in the same run.

Without --pg a throw-away cluster is started (tests/qcdb/pgcluster.py: Debian's binaries).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import qcdb as small_bench  # bench/qcdb.py: nginx, wrk, load
from qcflow.qcdb import LocalRepository
from qcflow.qcdb._index import _create as _create_schema
from qcflow.qcdb.model import INDEX_COLUMNS, ObjectInfo, index_row, ms_ticks, ticks_ms
from qcflow.qcdb.postgres import PostgresRepository, make_url
from qcflow.qcdb.urls import build

T0 = 1_700_000_000_000
RUN_MS = 3_600_000
OBJECTS = 100_000
DETECTORS = ["TPC", "ITS", "TOF", "MCH", "MID", "EMC", "FT0", "FV0", "ZDC", "TRD"]
PAYLOAD = bytes(range(256)) * 8  # 2 kB
MD5 = hashlib.md5(PAYLOAD, usedforsecurity=False).hexdigest()


def path_of(i: int) -> str:
    return f"qc/{DETECTORS[i % 10]}/MO/Task{(i // 10) % 100}/h{i // 1000}"


def metadata(v: int) -> dict[str, str]:
    return {
        "RunNumber": str(500_000 + v),
        "PassName": "apass1",
        "PeriodName": "LHC24ab",
        "RunType": "PHYSICS",
        "ObjectType": "TH1F",
        "qc_task_name": "Task",
        "adjustableEOV": "1",
    }


#: Version ids are made, not drawn: version-1 UUIDs whose clock starts at a multiple of 2**32
#: ticks, so the clock's low word -- the UUID's first field -- grows with every version and the
#: ids sort in creation order (the ``id`` column's unique index is then filled by appending),
#: and the same ``--versions`` gives the same ids (a filled ``--store`` is reused).
_FIRST_TICKS = ms_ticks(T0) >> 32 << 32
_NODE = 0x0A11CE0C0FFE


def version_id(n: int, total: int) -> tuple[str, int]:
    """The id and clock (100 ns ticks) of the ``n``-th version created."""
    ticks = _FIRST_TICKS + n * max(1, min(400, 2**32 // max(total, 1)))
    low, mid, high = ticks & 0xFFFFFFFF, (ticks >> 32) & 0xFFFF, (ticks >> 48) & 0x0FFF
    return f"{low:08x}-{mid:04x}-{high | 0x1000:04x}-8000-{_NODE:012x}", ticks


def versions(total: int) -> Iterator[tuple[int, int, ObjectInfo, int]]:
    """``(object, run, info, ticks)`` for every version, in creation order (run after run)."""
    objects = min(OBJECTS, total)
    n = 0
    for v in range(max(1, total // objects)):
        start = T0 + v * RUN_MS
        meta = metadata(v)
        for i in range(objects):
            ident, ticks = version_id(n, total)
            n += 1
            created = ticks_ms(ticks)
            yield (
                i,
                v,
                ObjectInfo(
                    path=path_of(i),
                    id=ident,
                    valid_from=start,
                    valid_until=start + RUN_MS,
                    created=created,
                    last_modified=created,
                    md5=MD5,
                    size=len(PAYLOAD),
                    content_type="application/root",
                    file_name="TH1F.root",
                    metadata=meta,
                    initial_valid_until=start + RUN_MS,
                ),
                ticks,
            )


def pick_queries(total: int, n: int) -> set[tuple[int, int]]:
    objects = min(OBJECTS, total)
    runs = max(1, total // objects)
    rng = random.Random(1)
    return {(rng.randrange(objects), rng.randrange(runs)) for _ in range(n)}


def fill_sqlite(root: Path, total: int, wanted: set[tuple[int, int]]) -> LocalRepository:
    """An embedded store at ``root`` with ``total`` versions (reused when already filled).

    A bulk load, then the store as qcflow opens it: the store's schema is created by
    :class:`LocalRepository`, then one connection drops the ``(path, ticks, ...)`` index,
    turns the journal off and inserts every row in one transaction (``executemany``; ids in
    ascending order, so the unique ``id`` index only grows at its end), and recreates the index
    with the store's own schema statements, sorted once. Inserting through the index instead
    slowed to ~3,500 rows/s past 2M rows (a random B-tree insert per row). Content files are
    written for the versions the benchmark reads only (see the module docstring).
    """
    marker = root / f"filled-{total}"
    if marker.exists():
        print(f"embedded: reusing {root} ({total:,} versions)")
    else:
        _bulk_load(root, total)
        marker.touch()
    repo = LocalRepository(root, fsync=False)
    objects = min(OBJECTS, total)
    for i, v in wanted:
        repo._write_content(version_id(v * objects + i, total)[0], PAYLOAD)
    return repo


def _bulk_load(root: Path, total: int) -> None:
    if root.exists():
        shutil.rmtree(root)
    repo = LocalRepository(root, fsync=False)  # the schema, the directories
    index_file = repo.index.file
    repo.close()
    meta_json: dict[int, str] = {}

    def rows() -> Iterator[tuple[Any, ...]]:
        for _, v, info, ticks in versions(total):
            text = meta_json.get(v) or meta_json.setdefault(v, json.dumps(info.metadata))
            yield index_row(info, ticks, text)

    db = sqlite3.connect(index_file, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode = OFF")  # leaves WAL: nobody else has it open
        db.execute("PRAGMA synchronous = OFF")
        db.execute("PRAGMA cache_size = -1000000")  # 1 GB for the index sort
        db.execute("DROP INDEX objects_order")
        db.execute("BEGIN")
        db.executemany(
            f"INSERT INTO objects ({INDEX_COLUMNS}) VALUES ({', '.join('?' * 13)})", rows()
        )
        db.executemany("INSERT OR IGNORE INTO meta_keys VALUES (?)", [(k,) for k in metadata(0)])
        db.execute("UPDATE version SET n = n + 1 WHERE id = 0")
        db.execute("COMMIT")
        _create_schema(db)  # the dropped index, exactly as the store declares it
        db.execute("PRAGMA journal_mode = WAL")
    finally:
        db.close()


def fill_postgres(repo: PostgresRepository, total: int, wanted: set[tuple[int, int]]) -> None:
    from psycopg.types.json import Jsonb

    with repo.index.write() as db:
        with db.cursor().copy(f"COPY qcdb_objects ({INDEX_COLUMNS}) FROM STDIN") as copy:
            for i, v, info, ticks in versions(total):
                copy.write_row(index_row(info, ticks, Jsonb(info.metadata)))
                if (i, v) in wanted:
                    repo._write_content(info.id, PAYLOAD)
        db.execute("INSERT INTO qcdb_paths SELECT path, count(*) FROM qcdb_objects GROUP BY path")
        db.execute("INSERT INTO qcdb_keys SELECT unnest(%s::text[])", (sorted(metadata(0)),))
    with repo.index.reading() as conn:
        conn.execute("VACUUM ANALYZE qcdb_objects")
        conn.execute("VACUUM ANALYZE qcdb_paths")


def percentiles(call: Callable[[Any], object], args: list[Any]) -> tuple[float, float]:
    times = []
    for arg in args:
        start = time.perf_counter()
        call(arg)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def measure(name: str, repo: LocalRepository, total: int, wanted: set[tuple[int, int]]) -> None:
    gets = [
        (path_of(i), T0 + v * RUN_MS + RUN_MS // 2, {"RunNumber": str(500_000 + v)})
        for i, v in sorted(wanted)
    ]
    random.Random(2).shuffle(gets)
    rng = random.Random(3)
    folders = [f"qc/{rng.choice(DETECTORS)}/MO/Task{rng.randrange(100)}/.*" for _ in range(100)]
    objects = [path_of(rng.randrange(min(OBJECTS, total))) for _ in range(200)]
    detectors = [f"qc/{d}/.*" for d in DETECTORS] * 5
    percentiles(lambda q: repo.get(*q), gets[:200])  # warm the caches
    for what, call, args in (
        ("GET by time + RunNumber", lambda q: repo.get(*q), gets),
        ("latest under a task folder (100 objects)", repo.latest, folders),
        ("browse one object (every version)", repo.browse, objects),
        ("browse a detector, newest 100", lambda p: repo.browse(p, limit=100), detectors),
    ):
        p50, p99 = percentiles(call, args)
        print(f"  {name:9s} {what:42s} p50 {p50:8.3f} ms  p99 {p99:8.3f} ms  (n={len(args)})")


def explain(repo: PostgresRepository) -> None:
    queries = {
        "GET by time + metadata": (
            "SELECT id FROM qcdb_objects WHERE path = 'qc/TPC/MO/Task3/h5' AND valid_from <= "
            f"{T0 + RUN_MS // 2} AND valid_until > {T0 + RUN_MS // 2} AND metadata @> "
            '\'{"RunNumber": "500000"}\' ORDER BY ticks DESC, id DESC LIMIT 1'
        ),
        "latest under a folder": (
            "SELECT o.* FROM qcdb_paths p CROSS JOIN LATERAL (SELECT id FROM qcdb_objects "
            "WHERE path = p.path ORDER BY ticks DESC, id DESC LIMIT 1) o "
            "WHERE p.path >= 'qc/TPC/MO/Task3/' AND p.path < 'qc/TPC/MO/Task30' ORDER BY p.path"
        ),
        "browse newest 100": (
            "SELECT id FROM qcdb_objects WHERE path >= 'qc/TPC/' AND path < 'qc/TPC0' "
            "ORDER BY ticks DESC, id DESC LIMIT 100"
        ),
    }
    with repo.index.reading() as conn:
        for what, sql in queries.items():
            print(f"  EXPLAIN ({what}):")
            for (line,) in conn.execute("EXPLAIN " + sql):
                print(f"    {line}")


def serve_throughput(
    url: str, wanted: set[tuple[int, int]], workers: list[int], duration: int
) -> None:
    use_wrk = small_bench.ensure_tools()
    urls = [
        build(path_of(i), (T0 + v * RUN_MS + 1,), {"RunNumber": str(500_000 + v)})
        for i, v in sorted(wanted)
    ][:2000]
    with tempfile.TemporaryDirectory(prefix="qcflow-scale-") as tmp_name:
        tmp = Path(tmp_name)
        nginx, nginx_url = small_bench.start_nginx(tmp, 2)
        try:
            for n in workers:
                proc, base = small_bench.start_qcdb(url, n, timeout=60)
                try:
                    # Each worker has its own replay cache: warm every one (2 s each)
                    small_bench.load(base, urls, 2 * n, tmp, use_wrk)
                    ours = small_bench.load(base, urls, duration, tmp, use_wrk)
                    ceiling = small_bench.load(nginx_url, ["/static"], duration, tmp, use_wrk)
                finally:
                    proc.terminate()
                    proc.wait(timeout=30)
                print(
                    f"  server on PostgreSQL, {n} worker(s): {ours:8,.0f} requests/s; nginx "
                    f"static 2 kB in the same run: {ceiling:8,.0f} ({ours / ceiling:.0%})"
                )
        finally:
            nginx.terminate()
            nginx.wait(timeout=20)


@contextmanager
def postgres(url: str | None) -> Iterator[str]:
    if url is not None:
        yield url
        return
    from tests.qcdb.pgcluster import running_cluster, unavailable

    reason = unavailable()
    if reason is not None:
        raise SystemExit(f"no PostgreSQL: {reason}")
    with running_cluster() as cluster:
        name = cluster.new_database()
        yield cluster.url(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--versions", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--pg", default=None, help="an empty PostgreSQL database to fill")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--workers", default="1,2,4", help="server workers to measure ('' none)")
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument(
        "--store",
        type=Path,
        default=None,
        help="keep the embedded store here (reused when filled with --versions)",
    )
    args = parser.parse_args()
    backends = args.backends.split(",")
    wanted = pick_queries(args.versions, args.queries)
    with tempfile.TemporaryDirectory(prefix="qcflow-scale-") as tmp_name:
        tmp = Path(tmp_name)
        if "sqlite" in backends:
            start = time.perf_counter()
            repo = fill_sqlite(args.store or tmp / "sqlite", args.versions, wanted)
            print(
                f"embedded: {args.versions:,} versions ready (filled or reused) in "
                f"{time.perf_counter() - start:.0f} s"
            )
            measure("embedded", repo, args.versions, wanted)
            repo.close()
        if "postgres" in backends:
            with postgres(args.pg) as pg:
                url = make_url(pg, tmp / "pg-objects")
                repo = PostgresRepository(url, fsync=False)
                start = time.perf_counter()
                fill_postgres(repo, args.versions, wanted)
                print(
                    f"postgres: filled {args.versions:,} versions in "
                    f"{time.perf_counter() - start:.0f} s"
                )
                measure("postgres", repo, args.versions, wanted)
                explain(repo)
                repo.close()
                if args.workers:
                    workers = [int(w) for w in args.workers.split(",")]
                    serve_throughput(url, wanted, workers, args.duration)


if __name__ == "__main__":
    main()
