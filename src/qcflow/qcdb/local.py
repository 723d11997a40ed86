"""The embedded QCDB: a directory holding a SQLite index and one content file per object.

Layout of a store (default ``./qcdb``)::

    qcdb/index.sqlite            the index (WAL mode; see :mod:`~qcflow.qcdb._index`)
    qcdb/objects/<id[:2]>/<id>   contents, named by the object's UUID, never by its path
    qcdb/tmp/<id>.<pid>.<host>.tmp  contents being written

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
import dataclasses
import hashlib
import os
import socket
import sqlite3
import time
import uuid
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from qcflow._types import ObjectPath, TimestampMs
from qcflow.errors import InvalidInput, QcflowError
from qcflow.qcdb._index import Index
from qcflow.qcdb.base import (
    RepositoryBase,
    apply_metadata,
    checked_copy,
    listed_valid_until,
    new_validity_end,
)
from qcflow.qcdb.errors import ObjectNotFound, WouldTakeLong, in_a_hurry, near_misses
from qcflow.qcdb.model import ObjectInfo, ms_ticks, new_id, ticks_ms
from qcflow.qcdb.query import Query, now_ms
from qcflow.qcdb.repository import Fetched

__all__ = ["QUICK_CONTENT_BYTES", "CheckReport", "IndexBackend", "LocalRepository"]

#: Contents read "quickly" (:func:`~qcflow.qcdb.errors.quick_only`): ~0.1 ms from the page cache.
QUICK_CONTENT_BYTES = 1024 * 1024

#: This host's name in temporary file names: a shared object directory (several servers on
#: several hosts, see docs/deployment.md) must only clean up after its own host's dead processes.
_HOST = socket.gethostname().replace("/", "_")


class IndexBackend(Protocol):
    """What the store needs from its index: SQLite (:class:`~qcflow.qcdb._index.Index`) or
    PostgreSQL (:class:`~qcflow.qcdb.postgres.PgIndex`). ``conn``/``db`` are the backend's own
    connection objects, opaque here; every write happens inside :meth:`write` (one
    transaction, serialised with every other writer of the index, committed on success)."""

    def reading(self) -> AbstractContextManager[Any]: ...
    def write(self) -> AbstractContextManager[Any]: ...
    def version(self) -> int: ...
    def close(self) -> None: ...
    def resolve(self, conn: Any, query: Query) -> ObjectInfo | None: ...
    def resolve_contested(self, conn: Any, query: Query) -> tuple[ObjectInfo, bool] | None: ...
    def listing(
        self, conn: Any, query: Query, *, latest: bool, limit: int | None
    ) -> list[ObjectInfo]: ...
    def paths_under(self, conn: Any, prefix: str) -> list[str]: ...
    def by_id(self, conn: Any, ident: str) -> ObjectInfo | None: ...
    def contents(self, conn: Any) -> list[tuple[str, str]]: ...
    def insert(self, db: Any, info: ObjectInfo, ticks: int) -> None: ...
    def set_metadata(
        self, db: Any, ident: str, metadata: dict[str, str], valid_until: int, modified: int
    ) -> None: ...
    def set_path(self, db: Any, ident: str, path: str, modified: int) -> None: ...
    def delete(self, db: Any, infos: list[ObjectInfo]) -> None: ...


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
        directory = Path(root).absolute()
        if not create and not (directory / "index.sqlite").is_file():
            msg = f"no QCDB at {directory}"
            raise InvalidInput(msg)
        try:
            make_object_directory(directory)
            index = Index(directory / "index.sqlite")
        except (OSError, sqlite3.Error) as err:
            msg = f"cannot open the QCDB at {directory}: {err}"
            raise InvalidInput(msg) from err
        self._attach(directory, index, str(directory), fsync=fsync)

    def _attach(self, root: Path, index: IndexBackend, url: str, *, fsync: bool) -> None:
        """Use ``root`` for contents (``objects/``, ``tmp/``) and ``index`` for rows."""
        self.root = root
        self.url = url
        self.fsync = fsync
        self.index = index
        self._objects = str(self.root / "objects")
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
        tmp = self.root / "tmp" / f"{ident}.{os.getpid()}.{_HOST}.tmp"
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
        # <id>.<pid>.<host>.tmp (older stores: <id>.<pid>.tmp, this host). Another host's
        # process ids mean nothing here: its files are left to that host.
        for tmp in (self.root / "tmp").glob("*.tmp"):
            _, pid, *host = tmp.name.removesuffix(".tmp").split(".", 2)
            mine = not host or host[0] == _HOST
            if mine and pid.isdigit() and not _alive(int(pid)):
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
        self._write_content(ident, data)  # durable before the row that names it commits
        try:
            with self.index.write() as db:
                self.index.insert(db, info, uid.time)
        except BaseException:
            self._unlink(ident)
            raise
        return info

    def restore(self, info: ObjectInfo, data: bytes) -> ObjectInfo | None:
        """Add a version exactly as described -- its UUID, validity, creation time, metadata --
        as ``qcflow qcdb copy`` (and a server's ``POST`` with ``Qcflow-Id``) does; return what
        was stored, or None (nothing written) when the UUID is here already.

        The description must be valid for a store (:func:`.base.checked_copy`) and ``data``
        must have its MD5, else InvalidInput and nothing is stored.
        """
        info = checked_copy(info)
        ident = info.id
        if info.md5 and _md5(data) != info.md5:
            msg = f"{info.path} ({ident}): content does not have the MD5 {info.md5} described"
            raise InvalidInput(msg)
        with self.index.reading() as conn:
            if self.index.by_id(conn, ident) is not None:
                return None
        uid = uuid.UUID(ident)
        # Creation order is the UUID's clock; a UUID that has none sorts by its creation time.
        ticks = uid.time if uid.version == 1 else ms_ticks(info.created)
        kept = dataclasses.replace(
            info,
            md5=_md5(data),
            size=len(data),
            initial_valid_until=info.initial_valid_until or info.valid_until,
            last_modified=info.last_modified or info.created,
        )
        written = False
        try:
            with self.index.write() as db:
                # Checked again under the writers' lock, and the content written only then: a
                # version restored meanwhile by another writer keeps its own content file.
                if self.index.by_id(db, ident) is not None:
                    return None
                written = True
                self._write_content(ident, data)  # durable before the row that names it
                self.index.insert(db, kept, ticks)
        except BaseException:
            if written:
                self._unlink(ident)
            raise
        return kept

    def _resolve(self, conn: Any, query: Query) -> ObjectInfo:
        info = self.index.resolve(conn, query)
        if info is None:
            raise self._not_found(conn, query)
        return info

    def _not_found(self, conn: Any, query: Query) -> QcflowError:
        if in_a_hurry():  # the hints below may compare the path with a whole folder
            return WouldTakeLong(f"explaining why nothing matches {query.describe()}")
        versions = self.index.listing(conn, Query(query.path), latest=False, limit=200)
        parent = query.path.rsplit("/", 1)[0] if "/" in query.path else ""
        nearby = [] if versions else self.index.paths_under(conn, parent)
        return ObjectNotFound(query, near_misses(query, versions, nearby))

    def _find(self, query: Query) -> ObjectInfo | None:
        with self.index.reading() as conn:
            return self.index.resolve(conn, query)

    def _get(self, query: Query, *, content: bool) -> Fetched:
        with self.index.reading() as conn:
            info = self._resolve(conn, query)
        return Fetched(info, self._read_content(info) if content else b"")

    def _get_until(self, query: Query, *, content: bool) -> tuple[Fetched, TimestampMs]:
        # The resolving statement also tells whether any version could cut the validity short:
        # in the common case (none can) no listing is needed.
        with self.index.reading() as conn:
            found = self.index.resolve_contested(conn, query)
            if found is None:
                raise self._not_found(conn, query)
        info, contested = found
        until = listed_valid_until(self, info, query) if contested else info.valid_until
        return Fetched(info, self._read_content(info) if content else b""), until

    def _download(self, uuid: str) -> Fetched:
        with self.index.reading() as conn:
            info = self.index.by_id(conn, uuid)
        if info is None:
            raise ObjectNotFound(Query("download", uuid=uuid))
        return Fetched(info, self._read_content(info))

    def _list(self, query: Query, *, latest: bool, limit: int | None) -> list[ObjectInfo]:
        with self.index.reading() as conn:
            return self.index.listing(conn, query, latest=latest, limit=limit)

    def _subfolders(self, path: ObjectPath) -> list[str]:
        prefix = f"{path}/" if path else ""
        folders = set()
        with self.index.reading() as conn:
            paths = self.index.paths_under(conn, prefix)
        for found in paths:
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
            self.index.set_metadata(db, info.id, merged, end or info.valid_until, now_ms())
        return True

    def _delete(self, query: Query) -> ObjectInfo:
        with self.index.write() as db:
            info = self._resolve(db, query)
            self.index.delete(db, [info])
        self._unlink(info.id)
        return info

    def _move(self, query: Query, destination: ObjectPath) -> ObjectInfo:
        with self.index.write() as db:
            info = self._resolve(db, query)
            self.index.set_path(db, info.id, destination, now_ms())
        return self.download(info.id).info

    def _truncate(self, pattern: ObjectPath) -> int:
        with self.index.write() as db:
            found = self.index.listing(db, Query(pattern), latest=False, limit=None)
            self.index.delete(db, found)
        for info in found:
            self._unlink(info.id)
        return len(found)

    # --- maintenance ----------------------------------------------------------------------

    def check(
        self, *, verify_md5: bool = True, remove_orphans: bool = False, grace: float = 0.0
    ) -> CheckReport:
        """Compare index and content files; optionally delete content no row names.

        A file renamed into place whose row is about to commit looks like an orphan for a
        moment: with other writers running, give ``grace`` seconds (files modified more
        recently are neither reported nor removed), else run it when no one writes.
        """
        report = CheckReport()
        # Files first, then rows: a file whose row commits in between is then known.
        files = list((self.root / "objects").glob("*/*"))
        with self.index.reading() as conn:
            rows = self.index.contents(conn)
        report.objects = len(rows)
        for ident, md5 in rows:
            file = self._content_file(ident)
            if not file.exists():
                report.missing_content.append(ident)
            elif verify_md5 and _md5(file.read_bytes()) != md5:
                report.bad_md5.append(ident)
        known = {ident for ident, _ in rows}
        young = time.time() - grace
        for file in files:
            if file.name not in known and _modified(file) < young:
                report.orphan_files.append(file.name)
                if remove_orphans:
                    file.unlink(missing_ok=True)
        return report


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def make_object_directory(root: Path) -> None:
    """Create the content directories of a store (``objects/``, ``tmp/``) under ``root``."""
    for sub in ("objects", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)


def _modified(file: Path) -> float:
    try:
        return file.stat().st_mtime
    except FileNotFoundError:  # removed meanwhile (a delete): not an orphan any more
        return time.time()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
