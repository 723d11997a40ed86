"""The part of a repository every backend shares: argument checking, defaults, adjustable EOV.

:class:`RepositoryBase` implements the public :class:`~qcflow.qcdb.repository.Repository` methods
once -- validating paths and metadata, applying QC's validity rules, defaulting the timestamp to
now, cutting the previous version's validity for ``adjustableEOV`` -- and hands a checked
:class:`~qcflow.qcdb.query.Query` to a few primitives each backend writes (``_get``, ``_list``,
``_store``, ...). A backend thus states only how it stores and finds things, never the rules.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Mapping

from qcflow._types import ObjectPath, TimestampMs
from qcflow.errors import InvalidInput
from qcflow.qcdb.errors import ObjectNotFound
from qcflow.qcdb.model import ObjectInfo, cache_valid_until
from qcflow.qcdb.query import Query, normalize_validity, now_ms
from qcflow.qcdb.repository import Fetched, Repository
from qcflow.qcdb.urls import (
    check_count,
    check_header_text,
    check_metadata,
    check_path,
    check_time,
    check_uuid,
)

__all__ = ["ADJUSTABLE_EOV", "RepositoryBase", "checked_copy", "listed_valid_until"]

#: The last ms an HTTP date can name (9999-12-31 23:59:59.999 UTC).
LAST_HTTP_DATE = 253_402_300_799_999
#: Metadata key asking that the previous version's end of validity be cut at a new one's start.
ADJUSTABLE_EOV = "adjustableEOV"


class RepositoryBase(ABC):
    """Public Repository methods over a handful of backend primitives."""

    url: str = ""

    # --- primitives a backend implements (arguments already checked) ----------------------

    @abstractmethod
    def _store(
        self,
        path: ObjectPath,
        data: bytes,
        validity: tuple[TimestampMs, TimestampMs],
        metadata: dict[str, str],
        content_type: str,
        file_name: str,
    ) -> ObjectInfo: ...

    @abstractmethod
    def _get(self, query: Query, *, content: bool) -> Fetched:
        """Resolve ``query`` (timestamp set) or raise ObjectNotFound; b"" unless ``content``."""

    @abstractmethod
    def _download(self, uuid: str) -> Fetched: ...

    @abstractmethod
    def _list(self, query: Query, *, latest: bool, limit: int | None) -> list[ObjectInfo]: ...

    @abstractmethod
    def _subfolders(self, path: ObjectPath) -> list[str]: ...

    @abstractmethod
    def _update(
        self, query: Query, metadata: dict[str, str], valid_until: TimestampMs | None
    ) -> bool: ...

    @abstractmethod
    def _delete(self, query: Query) -> ObjectInfo: ...

    @abstractmethod
    def _move(self, query: Query, destination: ObjectPath) -> ObjectInfo: ...

    @abstractmethod
    def _truncate(self, pattern: ObjectPath) -> int: ...

    def _find(self, query: Query) -> ObjectInfo | None:
        """Resolve ``query`` without content, None if nothing matches (no near-miss hints:
        backends override it when building hints costs more than the lookup)."""
        try:
            return self._get(query, content=False).info
        except ObjectNotFound:
            return None

    def _get_until(self, query: Query, *, content: bool) -> tuple[Fetched, TimestampMs]:
        """:meth:`_get` and the resolved object's ``Cache-Valid-Until`` (backends that can tell
        more cheaply when no listing is needed override it)."""
        fetched = self._get(query, content=content)
        return fetched, listed_valid_until(self, fetched.info, query)

    def close(self) -> None:  # noqa: B027 -- optional hook, not abstract
        """Release connections and files (nothing by default)."""

    # --- the Repository protocol ------------------------------------------------------------

    def store(
        self,
        path: ObjectPath,
        data: bytes,
        *,
        valid_from: TimestampMs | None = None,
        valid_until: TimestampMs | None = None,
        metadata: Mapping[str, str] | None = None,
        content_type: str = "application/octet-stream",
        file_name: str | None = None,
        adjust_eov: bool = True,
    ) -> ObjectInfo:
        check_path(path)
        meta = check_metadata(metadata or {}, of=path)
        if not isinstance(data, bytes | bytearray | memoryview):  # callers outside mypy's reach
            msg = f"content of {path} must be bytes, not {type(data).__name__}"  # type: ignore[unreachable]
            raise InvalidInput(msg)
        check_time(valid_from, f"{path}: valid_from")
        check_time(valid_until, f"{path}: valid_until")
        validity = normalize_validity(valid_from, valid_until, now=now_ms())
        # Both become response headers: refused now rather than stored and never served.
        ctype = check_header_text(content_type or "", f"{path}: content type")
        name = check_header_text(file_name or path.rsplit("/", 1)[-1], f"{path}: file name")
        info = self._store(path, bytes(data), validity, meta, ctype, name)
        if adjust_eov and ADJUSTABLE_EOV in meta:
            self._adjust_previous(info)
        return info

    def _adjust_previous(self, info: ObjectInfo) -> None:
        """Cut the end of validity of the version valid just before ``info`` starts."""
        before = info.valid_from - 1
        match = {ADJUSTABLE_EOV: info.metadata[ADJUSTABLE_EOV]}
        previous = self._find(Query(info.path, before, match))
        if previous is None:
            return
        if previous.id != info.id and previous.valid_until > info.valid_from:
            self._update(Query(info.path, before, uuid=previous.id), {}, info.valid_from)

    def _query(
        self,
        path: ObjectPath,
        timestamp: TimestampMs | None,
        filters: Mapping[str, str] | None,
        not_before: TimestampMs | None = None,
        not_after: TimestampMs | None = None,
        uuid: str | None = None,
        *,
        pattern: bool = False,
    ) -> Query:
        check_path(path, pattern=pattern)
        checked = check_metadata(filters or {}, what="filters", of=path)
        for value, what in (
            (timestamp, "timestamp"),
            (not_before, "not_before"),
            (not_after, "not_after"),
        ):
            check_time(value, f"{path}: {what}")
        ident = check_uuid(uuid, f"{path}: id")
        return Query(path, timestamp, checked, not_before, not_after, ident)

    def get(
        self,
        path: ObjectPath,
        timestamp: TimestampMs | None = None,
        filters: Mapping[str, str] | None = None,
        *,
        not_before: TimestampMs | None = None,
        not_after: TimestampMs | None = None,
        uuid: str | None = None,
    ) -> Fetched:
        at = now_ms() if timestamp is None else timestamp
        query = self._query(path, at, filters, not_before, not_after, uuid)
        return self._get(query, content=True)

    def info(
        self,
        path: ObjectPath,
        timestamp: TimestampMs | None = None,
        filters: Mapping[str, str] | None = None,
        *,
        not_before: TimestampMs | None = None,
        not_after: TimestampMs | None = None,
        uuid: str | None = None,
    ) -> ObjectInfo:
        at = now_ms() if timestamp is None else timestamp
        query = self._query(path, at, filters, not_before, not_after, uuid)
        return self._get(query, content=False).info

    def get_until(
        self,
        path: ObjectPath,
        timestamp: TimestampMs | None = None,
        filters: Mapping[str, str] | None = None,
        *,
        not_before: TimestampMs | None = None,
        not_after: TimestampMs | None = None,
        uuid: str | None = None,
        content: bool = True,
    ) -> tuple[Fetched, TimestampMs]:
        """:meth:`get` (or :meth:`info` without ``content``) and until when (ms, exclusive) the
        same request at a later time still returns this object: the server's
        ``Cache-Valid-Until`` (:func:`.model.cache_valid_until`)."""
        at = now_ms() if timestamp is None else timestamp
        query = self._query(path, at, filters, not_before, not_after, uuid)
        return self._get_until(query, content=content)

    def download(self, uuid: str) -> Fetched:
        return self._download(check_uuid(uuid, "download: id") or "")

    def browse(
        self,
        pattern: ObjectPath,
        filters: Mapping[str, str] | None = None,
        *,
        timestamp: TimestampMs | None = None,
        not_before: TimestampMs | None = None,
        not_after: TimestampMs | None = None,
        limit: int | None = None,
    ) -> list[ObjectInfo]:
        check_count(limit, f"browse {pattern}: limit")
        query = self._query(pattern, timestamp, filters, not_before, not_after, pattern=True)
        return self._list(query, latest=False, limit=limit)

    def latest(
        self,
        pattern: ObjectPath,
        filters: Mapping[str, str] | None = None,
        *,
        timestamp: TimestampMs | None = None,
        not_before: TimestampMs | None = None,
        not_after: TimestampMs | None = None,
    ) -> list[ObjectInfo]:
        query = self._query(pattern, timestamp, filters, not_before, not_after, pattern=True)
        return self._list(query, latest=True, limit=None)

    def subfolders(self, path: ObjectPath) -> list[str]:
        if path:
            check_path(path, pattern=True)
        return self._subfolders(path)

    def update(
        self,
        path: ObjectPath,
        timestamp: TimestampMs,
        *,
        uuid: str | None = None,
        filters: Mapping[str, str] | None = None,
        metadata: Mapping[str, str] | None = None,
        valid_until: TimestampMs | None = None,
    ) -> bool:
        query = self._query(path, timestamp, filters, uuid=uuid)
        check_time(valid_until, f"{path}: valid_until")
        changes = check_metadata(metadata or {}, what="new metadata", of=path)
        return self._update(query, changes, valid_until)

    def delete(
        self,
        path: ObjectPath,
        timestamp: TimestampMs | None = None,
        *,
        uuid: str | None = None,
        filters: Mapping[str, str] | None = None,
    ) -> ObjectInfo:
        at = now_ms() if timestamp is None else timestamp
        return self._delete(self._query(path, at, filters, uuid=uuid))

    def move(
        self, path: ObjectPath, timestamp: TimestampMs, *, uuid: str, destination: ObjectPath
    ) -> ObjectInfo:
        check_path(destination)
        return self._move(self._query(path, timestamp, None, uuid=uuid), destination)

    def truncate(self, pattern: ObjectPath) -> int:
        check_path(pattern, pattern=True)
        return self._truncate(pattern)

    def __enter__(self) -> RepositoryBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def checked_copy(info: ObjectInfo) -> ObjectInfo:
    """``info`` -- a version to be copied as it is, UUID and validity included (``restore``) --
    with its id canonical and its metadata checked; InvalidInput when a store could not hold it
    (bad path, metadata, id, times, an empty validity, a content type or file name that cannot
    be a header). QC's validity defaults are not applied: the copy keeps the source's."""
    check_path(info.path)
    meta = check_metadata(info.metadata, of=info.path)
    ident = check_uuid(info.id, f"{info.path}: id") or ""
    for value, what in ((info.valid_from, "valid_from"), (info.valid_until, "valid_until")):
        check_time(value, f"{info.path}: {what}")
    if info.valid_until <= info.valid_from:
        msg = f"{info.path} ({ident}): validity [{info.valid_from}, {info.valid_until}) is empty"
        raise InvalidInput(msg)
    for value, what in ((info.created, "creation time"), (info.last_modified, "last change")):
        if not 0 <= value <= LAST_HTTP_DATE:  # also sent as an HTTP date (Last-Modified)
            msg = f"{info.path} ({ident}): {what} {value} is not between 1970 and 9999"
            raise InvalidInput(msg)
    check_time(info.initial_valid_until, f"{info.path}: initial validity")
    check_header_text(info.content_type or "", f"{info.path}: content type")
    check_header_text(info.file_name or "", f"{info.path}: file name")
    return dataclasses.replace(info, id=ident, metadata=meta)


def new_validity_end(info: ObjectInfo, valid_until: TimestampMs | None) -> TimestampMs | None:
    """Check a requested end of validity against the object's start; None means unchanged."""
    if valid_until is None or valid_until == info.valid_until:
        return None
    if valid_until <= info.valid_from:
        msg = (
            f"new end of validity {valid_until} of {info.path} ({info.id}) "
            f"is not after its start {info.valid_from}"
        )
        raise InvalidInput(msg)
    return valid_until


def apply_metadata(current: Mapping[str, str], changes: Mapping[str, str]) -> dict[str, str]:
    """``current`` with ``changes`` applied: an empty value deletes the key."""
    merged = dict(current)
    for key, value in changes.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def listed_valid_until(repo: Repository, info: ObjectInfo, query: Query) -> TimestampMs:
    """``Cache-Valid-Until`` of ``info``, which ``query`` (timestamp set) resolved to
    (:func:`.model.cache_valid_until`), from a listing of the versions the same query could
    return that were created since ``info`` (the listing stays short)."""
    if query.uuid is not None:  # a version named by id never changes
        return info.valid_until
    at = query.timestamp if query.timestamp is not None else now_ms()
    since = max(info.created, query.not_before or 0)
    newer = repo.browse(query.path, query.filters, not_before=since, not_after=query.not_after)
    return cache_valid_until(info, at, newer)
