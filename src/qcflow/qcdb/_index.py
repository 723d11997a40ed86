"""The embedded store's SQLite index: schema, per-thread connections, and the selection SQL.

(SQL text is assembled from constant fragments only; every value is a bound parameter, hence
the ``noqa: S608`` marks.)

One row per object version. ``ticks`` (the 100 ns time inside the version-1 UUID) orders versions
by creation; the ``(path, ticks, id, valid_from, valid_until)`` index serves both "the newest
valid match of this path" (walked newest first, validity checked in the index) and "the newest
per path under this prefix". Metadata is a JSON object per row; filters compare
``json_extract(metadata, '$."Key"')`` in SQL, so nothing is decoded for rows that do not match.
Path patterns use a range on the pattern's literal prefix, then the :class:`PathMatcher` as an
SQL function.

A one-row ``version`` table counts write transactions, so readers (the server's replay cache)
can tell cheaply and exactly whether anything changed, whoever wrote.

The database runs in WAL mode (readers never block the writer, and a writer killed mid-transaction
leaves the last committed state); writers take ``BEGIN IMMEDIATE`` and wait up to
``busy_timeout`` for each other, which is what lets several processes store at once.
"""

from __future__ import annotations

import functools
import json
import re
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from qcflow.qcdb.model import INDEX_COLUMNS, ObjectInfo, index_row
from qcflow.qcdb.query import PathMatcher, Query

__all__ = [
    "COLUMNS",
    "CONTESTED",
    "PATH_WORD",
    "Index",
    "contest_start",
    "prefix_range",
    "query_conditions",
    "row_to_info",
]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    ticks INTEGER NOT NULL,
    path TEXT NOT NULL,
    valid_from INTEGER NOT NULL,
    valid_until INTEGER NOT NULL,
    initial_valid_until INTEGER NOT NULL,
    created INTEGER NOT NULL,
    last_modified INTEGER NOT NULL,
    md5 TEXT NOT NULL,
    size INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    file_name TEXT NOT NULL,
    metadata TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS objects_order ON objects (path, ticks, id, valid_from, valid_until);
CREATE TABLE IF NOT EXISTS meta_keys (key TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS version (id INTEGER PRIMARY KEY CHECK (id = 0), n INTEGER NOT NULL);
INSERT OR IGNORE INTO version VALUES (0, 0);
"""

COLUMNS = (
    "id, path, valid_from, valid_until, initial_valid_until, created, last_modified, "
    "md5, size, content_type, file_name, metadata"
)
_ORDER = "ticks DESC, id DESC"
BUSY_TIMEOUT_MS = 60_000
#: The column ``path`` in an SQL fragment (to apply a path condition to another table's path).
PATH_WORD = re.compile(r"\bpath\b")

#: SQL (both backends; ``table``: the resolved row's table, ``p``: the placeholder) true when
#: another version of the same path becomes valid after the query's timestamp and before the
#: resolved version's end. Only such a version, if also created later and matching the filters,
#: can cut ``Cache-Valid-Until``; when there is none (versions of one path rarely overlap:
#: QC's runs follow each other) the header is the version's own end, known without a listing.
#: Creation order and filters are left out on purpose: the test reads the columns of the
#: ``(path, ticks, id, valid_from, ...)`` index only, and a false "yes" costs only the listing.
CONTESTED = (
    "EXISTS (SELECT 1 FROM {table} AS rival WHERE rival.path = {table}.path "
    "AND rival.valid_from > {p} AND rival.valid_from < {table}.valid_until "
    "AND rival.id <> {table}.id)"
)


def contest_start(query: Query) -> int:
    """The time after which a rival's start counts (:data:`CONTESTED`): the query's timestamp."""
    return query.timestamp if query.timestamp is not None else -(2**63)


def row_to_info(row: tuple[Any, ...]) -> ObjectInfo:
    """An :class:`ObjectInfo` from a row selected with :data:`COLUMNS`."""
    ident, path, start, end, initial, created, modified, md5, size, ctype, name, meta = row
    return ObjectInfo(
        path=path,
        id=ident,
        valid_from=start,
        valid_until=end,
        created=created,
        last_modified=modified,
        md5=md5,
        size=size,
        content_type=ctype,
        file_name=name,
        metadata=json.loads(meta),
        initial_valid_until=initial,
    )


@functools.lru_cache(maxsize=256)
def _matcher(pattern: str) -> PathMatcher:
    return PathMatcher(pattern)


def _path_matches(pattern: str, path: str) -> int:
    return int(_matcher(pattern)(path))


class Index:
    """The SQLite index of one store; one connection per thread, shared by nobody else."""

    def __init__(self, file: Path) -> None:
        self.file = file
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._init_schema()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.file, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.create_function("qc_match", 2, _path_matches, deterministic=True)
        with self._lock:
            self._connections.append(conn)
        return conn

    def _init_schema(self) -> None:
        conn = self.connection
        for attempt in range(50):
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                with self.write() as db:
                    _create(db)
                return
            except sqlite3.OperationalError:
                if attempt == 49:
                    raise
                time.sleep(0.05)

    @property
    def connection(self) -> sqlite3.Connection:
        """This thread's connection (created on first use)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``): committed on success, else rolled back."""
        conn = self.connection
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("UPDATE version SET n = n + 1 WHERE id = 0")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A connection to read with (this thread's own; reads never wait for writers)."""
        yield self.connection

    def version(self) -> int:
        """A counter every write transaction increments (in the same transaction)."""
        row = self.connection.execute("SELECT n FROM version WHERE id = 0").fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    # --- queries ------------------------------------------------------------------------

    def known_keys(self, conn: sqlite3.Connection) -> set[str]:
        return {k for (k,) in conn.execute("SELECT key FROM meta_keys")}

    def resolve(self, conn: sqlite3.Connection, query: Query) -> ObjectInfo | None:
        """The newest version of ``query.path`` satisfying every constraint (timestamp set)."""
        where, args = _conditions(query, query.filters)
        where.insert(0, "path = ?")
        args.insert(0, query.path)
        cond = " AND ".join(where)
        sql = f"SELECT {COLUMNS} FROM objects WHERE {cond} ORDER BY {_ORDER} LIMIT 1"  # noqa: S608
        row = conn.execute(sql, args).fetchone()
        return None if row is None else row_to_info(row)

    def resolve_contested(
        self, conn: sqlite3.Connection, query: Query
    ) -> tuple[ObjectInfo, bool] | None:
        """:meth:`resolve`, and whether another version of the path becomes valid after
        ``query.timestamp`` and before the resolved one's end (:data:`CONTESTED`)."""
        where, args = _conditions(query, query.filters)
        cond = " AND ".join(["path = ?", *where])
        sql = (
            f"SELECT {COLUMNS}, {CONTESTED.format(table='objects', p='?')} "  # noqa: S608
            f"FROM objects WHERE {cond} ORDER BY {_ORDER} LIMIT 1"
        )
        row = conn.execute(sql, [contest_start(query), query.path, *args]).fetchone()
        return None if row is None else (row_to_info(row[:-1]), bool(row[-1]))

    def listing(
        self, conn: sqlite3.Connection, query: Query, *, latest: bool, limit: int | None
    ) -> list[ObjectInfo]:
        """Matching versions, newest first (``latest``: the newest per path, in path order)."""
        known = self.known_keys(conn) if query.filters else set()
        filters = {k: v for k, v in query.filters.items() if k in known}
        where, args = _conditions(query, filters)
        path_sql, path_args = _path_condition(query.path)
        if latest:
            return self._latest(conn, query.path, path_sql, path_args, where, args)
        cond = " AND ".join(path_sql + where) or "1"
        sql = f"SELECT {COLUMNS} FROM objects WHERE {cond} ORDER BY {_ORDER}"  # noqa: S608
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [row_to_info(r) for r in conn.execute(sql, path_args + args)]

    def _latest(
        self,
        conn: sqlite3.Connection,
        pattern: str,
        path_sql: list[str],
        path_args: list[Any],
        where: list[str],
        args: list[Any],
    ) -> list[ObjectInfo]:
        """The newest version matching ``where`` of each path matching ``path_sql``.

        The distinct paths under the pattern's literal prefix come from the path index by a
        skip scan (one seek to the next path, not a walk over every version), then one probe per
        path, newest first, ``LIMIT 1``: the cost follows the number of paths, not of versions.
        (A window numbering every version took 85-360 ms for a task folder at 10M versions.)
        """
        _, limits = prefix_range(_matcher(pattern).prefix)
        low, high = (limits[0], limits[1:]) if limits else ("", [])
        below = " AND path < ?" if high else ""
        on_p = " AND ".join(PATH_WORD.sub("p.path", w) for w in path_sql) or "1"
        inner = " AND ".join(["path = p.path", *where])
        sql = (
            "WITH RECURSIVE paths(path) AS ("  # noqa: S608
            f"SELECT (SELECT min(path) FROM objects WHERE path >= ?{below}) UNION ALL "
            f"SELECT (SELECT min(path) FROM objects WHERE path > paths.path{below}) "
            "FROM paths WHERE paths.path IS NOT NULL) "
            f"SELECT {COLUMNS} FROM objects WHERE seq IN (SELECT (SELECT seq FROM objects "
            f"WHERE {inner} ORDER BY {_ORDER} LIMIT 1) FROM paths AS p "
            f"WHERE p.path IS NOT NULL AND {on_p}) ORDER BY path"
        )
        values = [low, *high, *high, *args, *path_args]
        return [row_to_info(r) for r in conn.execute(sql, values)]

    def paths_under(self, conn: sqlite3.Connection, prefix: str) -> list[str]:
        """Distinct object paths starting with ``prefix``."""
        where, args = prefix_range(prefix)
        cond = " AND ".join(where) or "1"
        sql = f"SELECT DISTINCT path FROM objects WHERE {cond}"  # noqa: S608
        return [p for (p,) in conn.execute(sql, args)]

    def by_id(self, conn: sqlite3.Connection, ident: str) -> ObjectInfo | None:
        """The version with this UUID, whatever its path."""
        sql = f"SELECT {COLUMNS} FROM objects WHERE id = ?"  # noqa: S608
        row = conn.execute(sql, (ident,)).fetchone()
        return None if row is None else row_to_info(row)

    def contents(self, conn: sqlite3.Connection) -> list[tuple[str, str]]:
        """``(id, md5)`` of every version (what :meth:`LocalRepository.check` compares)."""
        return [(i, m) for i, m in conn.execute("SELECT id, md5 FROM objects")]

    # --- writes (inside :meth:`write`) --------------------------------------------------------

    def insert(self, db: sqlite3.Connection, info: ObjectInfo, ticks: int) -> None:
        """A new row for ``info`` (``ticks``: its UUID's 100 ns clock)."""
        db.execute(_INSERT, index_row(info, ticks, json.dumps(info.metadata)))
        _remember_keys(db, info.metadata)

    def set_metadata(
        self,
        db: sqlite3.Connection,
        ident: str,
        metadata: dict[str, str],
        valid_until: int,
        modified: int,
    ) -> None:
        db.execute(
            "UPDATE objects SET metadata = ?, valid_until = ?, last_modified = ? WHERE id = ?",
            (json.dumps(metadata), valid_until, modified, ident),
        )
        _remember_keys(db, metadata)

    def set_path(self, db: sqlite3.Connection, ident: str, path: str, modified: int) -> None:
        db.execute(
            "UPDATE objects SET path = ?, last_modified = ? WHERE id = ?", (path, modified, ident)
        )

    def delete(self, db: sqlite3.Connection, infos: list[ObjectInfo]) -> None:
        db.executemany("DELETE FROM objects WHERE id = ?", [(i.id,) for i in infos])


_INSERT = f"INSERT INTO objects ({INDEX_COLUMNS}) VALUES ({', '.join('?' * 13)})"  # noqa: S608


def _remember_keys(db: sqlite3.Connection, metadata: dict[str, str]) -> None:
    db.executemany("INSERT OR IGNORE INTO meta_keys VALUES (?)", [(k,) for k in metadata])


def _create(db: sqlite3.Connection) -> None:
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)


def query_conditions(query: Query) -> tuple[list[str], list[Any]]:
    """The time, creation-time and id conditions of ``query`` (``?`` placeholders), shared by
    every index; metadata filters are each index's own (JSON functions differ)."""
    where: list[str] = []
    args: list[Any] = []
    if query.timestamp is not None:
        where += ["valid_from <= ?", "valid_until > ?"]
        args += [query.timestamp, query.timestamp]
    if query.not_before is not None:
        where.append("created >= ?")
        args.append(query.not_before)
    if query.not_after is not None:
        where.append("created <= ?")
        args.append(query.not_after)
    if query.uuid is not None:
        where.append("id = ?")
        args.append(query.uuid)
    return where, args


def _conditions(query: Query, filters: Mapping[str, str]) -> tuple[list[str], list[Any]]:
    where, args = query_conditions(query)
    for key, value in filters.items():
        # Keys never contain '"' (urls.check_metadata), so the JSON path is well formed.
        where.append("json_extract(metadata, ?) = ?")
        args += [f'$."{key}"', value]
    return where, args


def prefix_range(prefix: str) -> tuple[list[str], list[Any]]:
    """``path >= prefix AND path < prefix'`` (nothing for the empty prefix)."""
    if not prefix:
        return [], []
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return ["path >= ?", "path < ?"], [prefix, upper]


def _path_condition(pattern: str) -> tuple[list[str], list[Any]]:
    matcher = _matcher(pattern)
    if matcher.exact:
        return ["path = ?"], [pattern]
    where, args = prefix_range(matcher.prefix)
    if matcher.prefix_only:  # the range on the literal prefix is the whole condition
        return where, args
    if matcher.folder is not None:  # the folder itself, or a range of the paths under it
        under, under_args = prefix_range(matcher.folder + "/")
        return [f"(path = ? OR ({' AND '.join(under)}))"], [matcher.folder, *under_args]
    return [*where, "qc_match(?, path)"], [*args, pattern]
