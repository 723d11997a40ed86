"""The QCDB with its index in PostgreSQL: several servers, on several hosts, share one store.

Selected by a URL (``open_repository``, every ``--qcdb`` option)::

    postgresql://user[:password]@host[:port]/dbname?objects=/shared/qcdb[&other libpq options]

``objects`` names the directory holding the contents (``objects/<id[:2]>/<id>``, ``tmp/``),
laid out and written exactly as by the embedded store (:class:`~qcflow.qcdb.local.LocalRepository`,
whose code this backend runs): only the index differs. Every server must see the same directory
(a shared filesystem). Other query parameters go to libpq unchanged.

Schema (created and upgraded by :func:`migrate`, ``qcflow qcdb migrate``; its version is in
``qcdb_schema``), all names prefixed ``qcdb_`` so the database may hold other things:

- ``qcdb_objects``: one row per version, metadata as ``jsonb``; a B-tree on
  ``(path, ticks DESC, id DESC, valid_from, valid_until)`` serves "newest valid version of this
  path" (walked newest first, validity checked in the index) and "newest per path" (one such
  probe per path of ``qcdb_paths``, a ``LATERAL`` join); a GIN index (``jsonb_path_ops``)
  serves metadata filters (``@>``) over whole folders. Paths use the "C" collation: byte
  order, as the embedded store, and prefix ranges.
- ``qcdb_paths``: each path with its number of versions (folders, similar-path hints and regex
  patterns read this, not the versions).
- ``qcdb_keys``: every metadata key ever stored (listings ignore filters on unknown keys).
- ``qcdb_version``: one counter every write transaction bumps. Writers take its row lock first,
  so writes are serialised as in SQLite (no lost update between resolve and write), and the
  server's replay cache compares it: a write through any process invalidates every process.

Regex patterns are matched by RE2 in Python (never PostgreSQL's backtracking engine) on the
paths under the pattern's literal prefix, then the versions are selected by ``path = ANY(...)``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from qcflow.errors import InvalidInput
from qcflow.qcdb._index import (
    CONTESTED,
    PATH_WORD,
    _matcher,
    contest_start,
    prefix_range,
    query_conditions,
    row_to_info,
)
from qcflow.qcdb.errors import QcdbUnavailable, WouldTakeLong, in_a_hurry
from qcflow.qcdb.local import LocalRepository, make_object_directory
from qcflow.qcdb.model import INDEX_COLUMNS, ObjectInfo, index_row
from qcflow.qcdb.query import Query

__all__ = [
    "SCHEMA_VERSION",
    "PgIndex",
    "PostgresRepository",
    "is_postgres_url",
    "migrate",
    "parse_url",
    "redact",
    "strip_objects",
]

_SCHEMES = ("postgresql://", "postgres://")

#: Statements bringing the schema from version i to i + 1 (append; never edit a released one).
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE qcdb_objects (
            id text PRIMARY KEY,
            ticks bigint NOT NULL,
            path text COLLATE "C" NOT NULL,
            valid_from bigint NOT NULL,
            valid_until bigint NOT NULL,
            initial_valid_until bigint NOT NULL,
            created bigint NOT NULL,
            last_modified bigint NOT NULL,
            md5 text NOT NULL,
            size bigint NOT NULL,
            content_type text NOT NULL,
            file_name text NOT NULL,
            metadata jsonb NOT NULL)""",
        """CREATE INDEX qcdb_objects_order ON qcdb_objects
            (path, ticks DESC, id DESC, valid_from, valid_until)""",
        "CREATE INDEX qcdb_objects_newest ON qcdb_objects (ticks DESC, id DESC)",
        "CREATE INDEX qcdb_objects_metadata ON qcdb_objects USING gin (metadata jsonb_path_ops)",
        """CREATE TABLE qcdb_paths (path text COLLATE "C" PRIMARY KEY,
            versions bigint NOT NULL)""",
        "CREATE TABLE qcdb_keys (key text PRIMARY KEY)",
        "CREATE TABLE qcdb_version (id int PRIMARY KEY CHECK (id = 0), n bigint NOT NULL)",
        "INSERT INTO qcdb_version VALUES (0, 0)",
    ),
)
SCHEMA_VERSION = len(_MIGRATIONS)
#: Any constant: the advisory lock that serialises migrations of one database.
_MIGRATION_LOCK = 0x71CDB
#: Seconds a request on the event loop waits for a pooled connection before moving to a thread.
_NO_WAIT = 0.001

_COLUMNS = (
    "id, path, valid_from, valid_until, initial_valid_until, created, last_modified, "
    "md5, size, content_type, file_name, metadata::text"
)
_ORDER = "ticks DESC, id DESC"
_VERSION = "SELECT n FROM qcdb_version WHERE id = 0"
_INSERT = f"INSERT INTO qcdb_objects ({INDEX_COLUMNS}) VALUES ({', '.join(['%s'] * 13)})"  # noqa: S608


def is_postgres_url(url: str) -> bool:
    """True when ``url`` names a PostgreSQL-indexed store."""
    return url.strip().startswith(_SCHEMES)


def parse_url(url: str) -> tuple[str, Path]:
    """``(libpq connection URL, objects directory)`` of a ``postgresql://...?objects=DIR`` URL."""
    parts = urlsplit(url.strip())
    query = parse_qsl(parts.query, keep_blank_values=True)
    objects = [v for k, v in query if k == "objects"]
    if len(objects) != 1 or not objects[0]:
        msg = f"QCDB URL {redact(url)!r}: name the shared content directory once, ?objects=DIR"
        raise InvalidInput(msg)
    conninfo = strip_objects(url)
    try:
        directory = Path(objects[0]).expanduser()
    except RuntimeError as err:  # ~nosuchuser
        msg = f"QCDB URL {redact(url)!r}: {err}"
        raise InvalidInput(msg) from err
    return conninfo, directory


def strip_objects(url: str) -> str:
    """The libpq URL of a store URL (``objects=`` removed, if any)."""
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "objects"]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, safe="/"), ""))


def make_url(conninfo: str, objects: str | os.PathLike[str]) -> str:
    """The store URL of an index URL and a content directory (made absolute)."""
    parts = urlsplit(strip_objects(conninfo))
    query = parse_qsl(parts.query, keep_blank_values=True)
    query.append(("objects", str(Path(objects).expanduser().absolute())))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, safe="/"), ""))


def redact(url: str) -> str:
    """``url`` without its password (for messages and logs)."""
    parts = urlsplit(url.strip())
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _connect_error(conninfo: str, err: Exception) -> InvalidInput:
    reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return InvalidInput(f"cannot use the PostgreSQL QCDB index {redact(conninfo)}: {reason}")


def schema_version(conn: Any) -> int:
    """The schema version of the database ``conn`` is connected to (0: none)."""
    exists = conn.execute("SELECT to_regclass('qcdb_schema') IS NOT NULL").fetchone()[0]
    if not exists:
        return 0
    row = conn.execute("SELECT version FROM qcdb_schema").fetchone()
    return int(row[0]) if row else 0


def migrate(conninfo: str) -> tuple[int, int]:
    """Create or upgrade the schema at ``conninfo``; ``(version before, version after)``.

    Safe to run from several processes at once (an advisory lock serialises them) and while
    servers run (each migration is one transaction).
    """
    import psycopg

    try:
        with psycopg.connect(conninfo, autocommit=True) as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            before = schema_version(conn)
            if before > SCHEMA_VERSION:
                msg = (
                    f"the QCDB index {redact(conninfo)} has schema version {before}, newer than "
                    f"this qcflow's {SCHEMA_VERSION}: upgrade qcflow"
                )
                raise InvalidInput(msg)
            if before == 0:
                conn.execute("CREATE TABLE IF NOT EXISTS qcdb_schema (version int NOT NULL)")
                conn.execute("INSERT INTO qcdb_schema VALUES (0)")
            for statements in _MIGRATIONS[before:]:
                for statement in statements:
                    conn.execute(statement)
            conn.execute("UPDATE qcdb_schema SET version = %s", (SCHEMA_VERSION,))
    except psycopg.Error as err:
        raise _connect_error(conninfo, err) from err
    return before, SCHEMA_VERSION


class PgIndex:
    """The index in PostgreSQL: a pool of connections (autocommit; writes in transactions)."""

    def __init__(self, conninfo: str, *, create: bool = True, pool_size: int = 10) -> None:
        import psycopg
        from psycopg_pool import ConnectionPool

        self._errors: tuple[type[Exception], ...] = (psycopg.OperationalError,)
        self.conninfo = conninfo
        self._version_lock = threading.Lock()
        self._version_conn: Any = None
        if create:
            migrate(conninfo)
        self.pool = ConnectionPool(
            conninfo,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True},
            open=False,
            name="qcflow-qcdb",
        )
        try:
            self.pool.open(wait=True, timeout=30)
            with self.pool.connection() as conn:
                found = schema_version(conn)
        except Exception as err:
            self.pool.close()
            if isinstance(err, InvalidInput):
                raise
            raise _connect_error(conninfo, err) from err
        if found != SCHEMA_VERSION:
            self.pool.close()
            what = "no QCDB" if found == 0 else f"QCDB schema version {found}"
            msg = (
                f"{what} at {redact(conninfo)} (this qcflow needs {SCHEMA_VERSION}): "
                "run `qcflow qcdb migrate` first"
            )
            raise InvalidInput(msg)

    @contextmanager
    def _connection(self, timeout: float | None = None) -> Iterator[Any]:
        from psycopg_pool import PoolTimeout

        try:
            with self.pool.connection(timeout=timeout) as conn:
                yield conn
        except PoolTimeout as err:
            if timeout == _NO_WAIT:
                msg = "waiting for a free database connection"
                raise WouldTakeLong(msg) from err
            raise self._unavailable(err) from err
        except self._errors as err:  # the database went away: a 503, not a 500
            raise self._unavailable(err) from err

    def _unavailable(self, err: Exception) -> QcdbUnavailable:
        msg = f"the QCDB index {redact(self.conninfo)} is unavailable: {err}"
        return QcdbUnavailable(msg.strip())

    @contextmanager
    def reading(self) -> Iterator[Any]:
        # On the server's event loop (in a hurry) never wait for a pooled connection: every
        # one may be busy with listings in worker threads; the request moves to a thread.
        with self._connection(_NO_WAIT if in_a_hurry() else None) as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[Any]:
        """One transaction; the counter's row lock, taken first, queues it behind other writers."""
        with self._connection() as conn, conn.transaction():
            conn.execute("UPDATE qcdb_version SET n = n + 1 WHERE id = 0")
            yield conn

    def version(self) -> int:
        """The write counter, on a connection of its own: the server asks it on its event loop
        for every cacheable request, which must never queue behind the pool."""
        with self._version_lock:
            try:
                return self._read_version()
            except self._errors:  # a dropped connection: one fresh try
                self._version_conn = None
            try:
                return self._read_version()
            except self._errors as err:
                self._version_conn = None
                raise self._unavailable(err) from err

    def _read_version(self) -> int:
        import psycopg

        if self._version_conn is None or self._version_conn.closed:
            self._version_conn = psycopg.connect(self.conninfo, autocommit=True)
        row = self._version_conn.execute(_VERSION).fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        self.pool.close()
        with self._version_lock:
            if self._version_conn is not None:
                self._version_conn.close()
                self._version_conn = None

    # --- queries ------------------------------------------------------------------------

    def known_keys(self, conn: Any) -> set[str]:
        return {k for (k,) in conn.execute("SELECT key FROM qcdb_keys")}

    def resolve(self, conn: Any, query: Query) -> ObjectInfo | None:
        where, args = _conditions(query, query.filters)
        cond = " AND ".join(["path = %s", *where])
        sql = f"SELECT {_COLUMNS} FROM qcdb_objects WHERE {cond} ORDER BY {_ORDER} LIMIT 1"  # noqa: S608
        row = conn.execute(sql, [query.path, *args]).fetchone()
        return None if row is None else row_to_info(row)

    def resolve_contested(self, conn: Any, query: Query) -> tuple[ObjectInfo, bool] | None:
        where, args = _conditions(query, query.filters)
        cond = " AND ".join(["path = %s", *where])
        contested = CONTESTED.format(table="qcdb_objects", p="%s")
        sql = (
            f"SELECT {_COLUMNS}, {contested} FROM qcdb_objects WHERE {cond} "  # noqa: S608
            f"ORDER BY {_ORDER} LIMIT 1"
        )
        row = conn.execute(sql, [contest_start(query), query.path, *args]).fetchone()
        return None if row is None else (row_to_info(row[:-1]), bool(row[-1]))

    def listing(
        self, conn: Any, query: Query, *, latest: bool, limit: int | None
    ) -> list[ObjectInfo]:
        known = self.known_keys(conn) if query.filters else set()
        filters = {k: v for k, v in query.filters.items() if k in known}
        where, args = _conditions(query, filters)
        path_where, path_args = self._path_condition(conn, query.path)
        if path_where is None:
            return []
        cond = " AND ".join(path_where + where) or "true"
        if latest:
            # One index probe per path of qcdb_paths (newest first, LIMIT 1): the cost follows
            # the number of paths, not of versions (DISTINCT ON would read and sort them all).
            outer = " AND ".join(PATH_WORD.sub("p.path", w) for w in path_where) or "true"
            inner = " AND ".join(["path = p.path", *where])
            sql = (
                f"SELECT o.* FROM qcdb_paths p CROSS JOIN LATERAL (SELECT {_COLUMNS} "  # noqa: S608
                f"FROM qcdb_objects WHERE {inner} ORDER BY {_ORDER} LIMIT 1) o "
                f"WHERE {outer} ORDER BY p.path"
            )
            return [row_to_info(r) for r in conn.execute(sql, args + path_args)]
        sql = f"SELECT {_COLUMNS} FROM qcdb_objects WHERE {cond} ORDER BY {_ORDER}"  # noqa: S608
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [row_to_info(r) for r in conn.execute(sql, path_args + args)]

    def _path_condition(self, conn: Any, pattern: str) -> tuple[list[str] | None, list[Any]]:
        """SQL selecting the paths ``pattern`` matches; None when it matches none."""
        matcher = _matcher(pattern)
        if matcher.exact:
            return ["path = %s"], [pattern]
        where, args = _pg(prefix_range(matcher.prefix))
        if matcher.prefix_only:
            return where, args
        if matcher.folder is not None:
            under, under_args = _pg(prefix_range(matcher.folder + "/"))
            return [f"(path = %s OR ({' AND '.join(under)}))"], [matcher.folder, *under_args]
        paths = [p for p in self.paths_under(conn, matcher.prefix) if matcher(p)]
        return (["path = ANY(%s)"], [paths]) if paths else (None, [])

    def paths_under(self, conn: Any, prefix: str) -> list[str]:
        where, args = _pg(prefix_range(prefix))
        cond = " AND ".join(where) or "true"
        sql = f"SELECT path FROM qcdb_paths WHERE {cond} ORDER BY path"  # noqa: S608
        return [p for (p,) in conn.execute(sql, args)]

    def by_id(self, conn: Any, ident: str) -> ObjectInfo | None:
        sql = f"SELECT {_COLUMNS} FROM qcdb_objects WHERE id = %s"  # noqa: S608
        row = conn.execute(sql, (ident,)).fetchone()
        return None if row is None else row_to_info(row)

    def contents(self, conn: Any) -> list[tuple[str, str]]:
        return [(i, m) for i, m in conn.execute("SELECT id, md5 FROM qcdb_objects")]

    # --- writes (inside :meth:`write`) --------------------------------------------------------

    def insert(self, db: Any, info: ObjectInfo, ticks: int) -> None:
        from psycopg.types.json import Jsonb

        db.execute(_INSERT, index_row(info, ticks, Jsonb(info.metadata)))
        _count_path(db, info.path, 1)
        _remember_keys(db, info.metadata)

    def set_metadata(
        self, db: Any, ident: str, metadata: dict[str, str], valid_until: int, modified: int
    ) -> None:
        from psycopg.types.json import Jsonb

        db.execute(
            "UPDATE qcdb_objects SET metadata = %s, valid_until = %s, last_modified = %s "
            "WHERE id = %s",
            (Jsonb(metadata), valid_until, modified, ident),
        )
        _remember_keys(db, metadata)

    def set_path(self, db: Any, ident: str, path: str, modified: int) -> None:
        row = db.execute(
            "UPDATE qcdb_objects o SET path = %s, last_modified = %s FROM qcdb_objects prev "
            "WHERE o.id = %s AND prev.id = o.id RETURNING prev.path",
            (path, modified, ident),
        ).fetchone()
        if row is not None and row[0] != path:
            _count_path(db, row[0], -1)
            _count_path(db, path, 1)

    def delete(self, db: Any, infos: list[ObjectInfo]) -> None:
        if not infos:
            return
        db.execute("DELETE FROM qcdb_objects WHERE id = ANY(%s)", ([i.id for i in infos],))
        counts: dict[str, int] = {}
        for info in infos:
            counts[info.path] = counts.get(info.path, 0) + 1
        for path, count in sorted(counts.items()):
            _count_path(db, path, -count)


def _pg(condition: tuple[list[str], list[Any]]) -> tuple[list[str], list[Any]]:
    """SQLite's ``?`` placeholders as psycopg's ``%s`` (the fragments hold no other ``?``)."""
    where, args = condition
    return [w.replace("?", "%s") for w in where], args


def _conditions(query: Query, filters: Mapping[str, str]) -> tuple[list[str], list[Any]]:
    from psycopg.types.json import Jsonb

    where, args = _pg(query_conditions(query))
    if filters:  # string values: containment is equality of every key
        where.append("metadata @> %s")
        args.append(Jsonb(dict(filters)))
    return where, args


def _count_path(db: Any, path: str, change: int) -> None:
    db.execute(
        "INSERT INTO qcdb_paths VALUES (%s, %s) "
        "ON CONFLICT (path) DO UPDATE SET versions = qcdb_paths.versions + EXCLUDED.versions",
        (path, change),
    )
    if change < 0:
        db.execute("DELETE FROM qcdb_paths WHERE path = %s AND versions <= 0", (path,))


def _remember_keys(db: Any, metadata: dict[str, str]) -> None:
    if metadata:
        db.execute(
            "INSERT INTO qcdb_keys SELECT unnest(%s::text[]) ON CONFLICT DO NOTHING",
            (sorted(metadata),),
        )


class PostgresRepository(LocalRepository):
    """A QCDB whose index is in PostgreSQL and whose contents are in a (shared) directory.

    ``create=False`` (readers): the schema must exist and the directory must hold ``objects/``.
    ``pool_size``: connections per process (the server's worker threads share them).
    """

    def __init__(
        self, url: str, *, fsync: bool = True, create: bool = True, pool_size: int = 10
    ) -> None:
        conninfo, objects = parse_url(url)
        directory = objects.absolute()
        index = PgIndex(conninfo, create=create, pool_size=pool_size)
        try:
            if not create and not (directory / "objects").is_dir():
                msg = f"no QCDB contents at {directory} (objects= of {redact(url)})"
                raise InvalidInput(msg)
            make_object_directory(directory)
        except OSError as err:
            index.close()
            msg = f"cannot use {directory} for QCDB contents: {err}"
            raise InvalidInput(msg) from err
        except InvalidInput:
            index.close()
            raise
        self.conninfo = conninfo
        self._attach(directory, index, make_url(conninfo, directory), fsync=fsync)

    def __repr__(self) -> str:
        return f"PostgresRepository({redact(self.url)!r})"
