"""The embedded QCDB: a directory holding a SQLite index and one content file per object.

Layout of a store (default ``./qcdb``)::

    qcdb/index.sqlite            the index (WAL mode; see :mod:`~qcflow.qcdb._index`)
    qcdb/objects/<id[:2]>/<id>   contents, named by the object's UUID, never by its path
    qcdb/tmp/<id>.<pid>.tmp      contents being written

Atomicity: a content file is written under ``tmp/``, flushed to disk and renamed into
``objects/`` *before* the index row commits; a delete commits first and unlinks after. So a crash
at any moment leaves either the old state or the new one: at worst an orphan content file that no
row names, which :meth:`LocalRepository.check` reports and removes. Temporary files of dead
processes are removed when a store is opened.

Concurrency: any number of threads and processes may read and write one store at once; each
thread has its own SQLite connection and writers queue on SQLite's lock.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from qcflow._types import ObjectPath, TimestampMs
from qcflow.errors import InvalidInput, QcflowError
from qcflow.qcdb._index import COLUMNS, Index, row_to_info
from qcflow.qcdb.base import RepositoryBase, apply_metadata, new_validity_end
from qcflow.qcdb.errors import ObjectNotFound, WouldTakeLong, in_a_hurry, near_misses
from qcflow.qcdb.model import ObjectInfo, new_id, ticks_ms
from qcflow.qcdb.query import Query, now_ms
from qcflow.qcdb.repository import Fetched

__all__ = ["QUICK_CONTENT_BYTES", "CheckReport", "LocalRepository"]

#: Contents read "quickly" (:func:`~qcflow.qcdb.errors.quick_only`): ~0.1 ms from the page cache.
QUICK_CONTENT_BYTES = 1024 * 1024

_INSERT = (
    "INSERT INTO objects (id, ticks, path, valid_from, valid_until, initial_valid_until, "
    "created, last_modified, md5, size, content_type, file_name, metadata) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@dataclass
class CheckReport:
    """What :meth:`LocalRepository.check` found: problems are lists of object ids or file names."""

    objects: int = 0
    missing_content: list[str] = field(default_factory=list)
    bad_md5: list[str] = field(default_factory=list)
    orphan_files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing_content or self.bad_md5)


class LocalRepository(RepositoryBase):
    """A QCDB in a local directory; safe for many threads and processes at once.

    ``fsync=False`` skips flushing contents to disk: still atomic against a crashed process,
    not against a power cut (useful to fill large test stores quickly). ``create=False`` opens
    an existing store only (readers: a mistyped path is an error, not a new empty store).
    """

    def __init__(
        self, root: str | os.PathLike[str], *, fsync: bool = True, create: bool = True
    ) -> None:
        self.root = Path(root).absolute()
        self.url = str(self.root)
        self.fsync = fsync
        self._objects = str(self.root / "objects")
        if not create and not (self.root / "index.sqlite").is_file():
            msg = f"no QCDB at {self.root}"
            raise InvalidInput(msg)
        try:
            for sub in ("objects", "tmp"):
                (self.root / sub).mkdir(parents=True, exist_ok=True)
            self.index = Index(self.root / "index.sqlite")
        except (OSError, sqlite3.Error) as err:
            msg = f"cannot open the QCDB at {self.root}: {err}"
            raise InvalidInput(msg) from err
        self._remove_stale_temporaries()

    def __repr__(self) -> str:
        return f"LocalRepository({str(self.root)!r})"

    def close(self) -> None:
        self.index.close()

    def version(self) -> int:
        """Changes whenever the store changes, whichever process or thread wrote."""
        return self.index.version()

    # --- files ------------------------------------------------------------------------------

    def _content_file(self, ident: str) -> Path:
        return self.root / "objects" / ident[:2] / ident

    def _content_name(self, ident: str) -> str:
        # A plain string: pathlib costs more than the read itself on the hot path.
        return f"{self._objects}/{ident[:2]}/{ident}"

    def _write_content(self, ident: str, data: bytes) -> None:
        tmp = self.root / "tmp" / f"{ident}.{os.getpid()}.tmp"
        target = self._content_file(ident)
        target.parent.mkdir(exist_ok=True)
        try:
            with tmp.open("wb") as handle:
                handle.write(data)
                if self.fsync:
                    handle.flush()
                    os.fsync(handle.fileno())
            tmp.replace(target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def _read_content(self, info: ObjectInfo) -> bytes:
        if info.size > QUICK_CONTENT_BYTES and in_a_hurry():
            msg = f"reading {info.size} bytes of {info.path}"
            raise WouldTakeLong(msg)
        try:
            fd = os.open(self._content_name(info.id), os.O_RDONLY)
        except FileNotFoundError as err:
            msg = f"content of {info.path} ({info.id}) is missing from {self.root}"
            raise ObjectNotFound(Query(info.path, uuid=info.id), [msg]) from err
        try:  # raw reads of the known size: one system call for a small object
            data = os.read(fd, info.size)
            while len(data) < info.size and (more := os.read(fd, info.size - len(data))):
                data += more
        finally:
            os.close(fd)
        return data

    def _unlink(self, ident: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._content_file(ident).unlink()

    def _remove_stale_temporaries(self) -> None:
        for tmp in (self.root / "tmp").glob("*.tmp"):
            pid = tmp.name.rsplit(".", 2)[-2]
            if pid.isdigit() and not _alive(int(pid)):
                tmp.unlink(missing_ok=True)

    # --- primitives -----------------------------------------------------------------------

    def _store(
        self,
        path: ObjectPath,
        data: bytes,
        validity: tuple[TimestampMs, TimestampMs],
        metadata: dict[str, str],
        content_type: str,
        file_name: str,
    ) -> ObjectInfo:
        uid = new_id()
        ident = str(uid)
        info = ObjectInfo(
            path=path,
            id=ident,
            valid_from=validity[0],
            valid_until=validity[1],
            created=ticks_ms(uid.time),
            last_modified=ticks_ms(uid.time),
            md5=_md5(data),
            size=len(data),
            content_type=content_type,
            file_name=file_name,
            metadata=metadata,
            initial_valid_until=validity[1],
        )
        self._write_content(ident, data)
        row = (ident, uid.time, path, *validity, validity[1], info.created, info.last_modified,
               info.md5, info.size, content_type, file_name, json.dumps(metadata))  # fmt: skip
        try:
            with self.index.write() as db:
                db.execute(_INSERT, row)
                _remember_keys(db, metadata)
        except BaseException:
            self._unlink(ident)
            raise
        return info

    def _resolve(self, conn: sqlite3.Connection, query: Query) -> ObjectInfo:
        info = self.index.resolve(conn, query)
        if info is None:
            raise self._not_found(conn, query)
        return info

    def _not_found(self, conn: sqlite3.Connection, query: Query) -> QcflowError:
        if in_a_hurry():  # the hints below may compare the path with a whole folder
            return WouldTakeLong(f"explaining why nothing matches {query.describe()}")
        versions = self.index.listing(conn, Query(query.path), latest=False, limit=200)
        parent = query.path.rsplit("/", 1)[0] if "/" in query.path else ""
        nearby = [] if versions else self.index.paths_under(conn, parent)
        return ObjectNotFound(query, near_misses(query, versions, nearby))

    def _find(self, query: Query) -> ObjectInfo | None:
        return self.index.resolve(self.index.connection, query)

    def _get(self, query: Query, *, content: bool) -> Fetched:
        info = self._resolve(self.index.connection, query)
        return Fetched(info, self._read_content(info) if content else b"")

    def _download(self, uuid: str) -> Fetched:
        sql = f"SELECT {COLUMNS} FROM objects WHERE id = ?"  # noqa: S608
        row = self.index.connection.execute(sql, (uuid,)).fetchone()
        if row is None:
            raise ObjectNotFound(Query("download", uuid=uuid))
        info = row_to_info(row)
        return Fetched(info, self._read_content(info))

    def _list(self, query: Query, *, latest: bool, limit: int | None) -> list[ObjectInfo]:
        return self.index.listing(self.index.connection, query, latest=latest, limit=limit)

    def _subfolders(self, path: ObjectPath) -> list[str]:
        prefix = f"{path}/" if path else ""
        folders = set()
        for found in self.index.paths_under(self.index.connection, prefix):
            rest = found[len(prefix) :]
            if "/" in rest:
                folders.add(prefix + rest.split("/", 1)[0])
        return sorted(folders)

    def _update(
        self, query: Query, metadata: dict[str, str], valid_until: TimestampMs | None
    ) -> bool:
        with self.index.write() as db:
            info = self._resolve(db, query)
            end = new_validity_end(info, valid_until)
            merged = apply_metadata(info.metadata, metadata)
            if end is None and merged == info.metadata:
                return False
            db.execute(
                "UPDATE objects SET metadata = ?, valid_until = ?, last_modified = ? WHERE id = ?",
                (json.dumps(merged), end or info.valid_until, now_ms(), info.id),
            )
            _remember_keys(db, merged)
        return True

    def _delete(self, query: Query) -> ObjectInfo:
        with self.index.write() as db:
            info = self._resolve(db, query)
            db.execute("DELETE FROM objects WHERE id = ?", (info.id,))
        self._unlink(info.id)
        return info

    def _move(self, query: Query, destination: ObjectPath) -> ObjectInfo:
        with self.index.write() as db:
            info = self._resolve(db, query)
            db.execute(
                "UPDATE objects SET path = ?, last_modified = ? WHERE id = ?",
                (destination, now_ms(), info.id),
            )
        return self.download(info.id).info

    def _truncate(self, pattern: ObjectPath) -> int:
        with self.index.write() as db:
            found = self.index.listing(db, Query(pattern), latest=False, limit=None)
            db.executemany("DELETE FROM objects WHERE id = ?", [(i.id,) for i in found])
        for info in found:
            self._unlink(info.id)
        return len(found)

    # --- maintenance ----------------------------------------------------------------------

    def check(self, *, verify_md5: bool = True, remove_orphans: bool = False) -> CheckReport:
        """Compare index and content files; optionally delete content no row names.

        Only run ``remove_orphans`` when no other process is writing: a file renamed into place
        whose row is about to commit looks like an orphan for a moment.
        """
        report = CheckReport()
        rows = self.index.connection.execute("SELECT id, md5 FROM objects").fetchall()
        report.objects = len(rows)
        for ident, md5 in rows:
            file = self._content_file(ident)
            if not file.exists():
                report.missing_content.append(ident)
            elif verify_md5 and _md5(file.read_bytes()) != md5:
                report.bad_md5.append(ident)
        known = {ident for ident, _ in rows}
        for file in (self.root / "objects").glob("*/*"):
            if file.name not in known:
                report.orphan_files.append(file.name)
                if remove_orphans:
                    file.unlink(missing_ok=True)
        return report


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _remember_keys(db: sqlite3.Connection, metadata: dict[str, str]) -> None:
    db.executemany("INSERT OR IGNORE INTO meta_keys VALUES (?)", [(k,) for k in metadata])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
