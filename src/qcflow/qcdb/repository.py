"""The Repository protocol: the seam everything above the QCDB uses.

Every backend -- the embedded store (:mod:`~qcflow.qcdb.local`), the HTTP client
(:mod:`~qcflow.qcdb.client`) -- implements :class:`Repository` with the CCDB's semantics
(spec/ccdb-api.md); the server exposes any Repository over the CCDB API. Paths are
``/``-separated names (``qc/TST/MO/Task/h1``), times are ms since the epoch, metadata values are
strings. Contents are bytes: decoding payloads is :mod:`qcflow.objects`' job.

Selection rules (see :mod:`~qcflow.qcdb.query`): ``get`` returns, among the versions of one path
valid at the timestamp (default: now) whose metadata equal every filter, the most recently
created; ``browse`` lists every matching version newest first; ``latest`` the newest per path.

:func:`fetch_many` gets many objects concurrently (threads; both backends are thread-safe);
:func:`fetch_one` is its one query, for callers that run their own threads.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple, Protocol, runtime_checkable

from qcflow._types import ObjectPath, TimestampMs
from qcflow.qcdb.errors import ObjectNotFound
from qcflow.qcdb.model import ObjectInfo
from qcflow.qcdb.query import Query

__all__ = ["Fetched", "Repository", "Restoring", "fetch_many", "fetch_one"]


class Fetched(NamedTuple):
    """An object's description and its content."""

    info: ObjectInfo
    data: bytes


@runtime_checkable
class Repository(Protocol):
    """A versioned object store with CCDB semantics.

    Errors: :class:`~qcflow.errors.InvalidInput` for bad paths, metadata or validity;
    :class:`~qcflow.qcdb.errors.ObjectNotFound` when nothing matches (with near-miss hints);
    :class:`~qcflow.qcdb.errors.QcdbUnavailable` when a remote store cannot be reached.
    """

    #: Where the repository lives (a directory or server URLs), for messages.
    url: str

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
        """Store a new version valid in [valid_from, valid_until) (QC's validity rules apply).

        With ``adjustableEOV`` in ``metadata`` and ``adjust_eov``, the version valid just before
        ``valid_from`` with the same ``adjustableEOV`` value gets its end cut to ``valid_from``.
        """
        ...

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
        """The object a CCDB ``GET`` returns, with its content."""
        ...

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
        """Like :meth:`get` without the content (a ``HEAD``)."""
        ...

    def download(self, uuid: str) -> Fetched:
        """The object with this id, whatever its path (``/download/<uuid>``)."""
        ...

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
        """Every matching version, newest creation first (at most ``limit``)."""
        ...

    def latest(
        self,
        pattern: ObjectPath,
        filters: Mapping[str, str] | None = None,
        *,
        timestamp: TimestampMs | None = None,
        not_before: TimestampMs | None = None,
        not_after: TimestampMs | None = None,
    ) -> list[ObjectInfo]:
        """The newest matching version of each matching path, in path order."""
        ...

    def subfolders(self, path: ObjectPath) -> list[str]:
        """The folders directly under ``path`` that hold objects (full paths, sorted)."""
        ...

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
        """Change the resolved object's metadata (an empty value deletes the key) and/or end of
        validity (must be after its start); True if anything changed."""
        ...

    def delete(
        self,
        path: ObjectPath,
        timestamp: TimestampMs | None = None,
        *,
        uuid: str | None = None,
        filters: Mapping[str, str] | None = None,
    ) -> ObjectInfo:
        """Delete the one resolved object and return what it was."""
        ...

    def move(
        self, path: ObjectPath, timestamp: TimestampMs, *, uuid: str, destination: ObjectPath
    ) -> ObjectInfo:
        """Give the resolved object a new path (the CCDB's ``MOVE``)."""
        ...

    def truncate(self, pattern: ObjectPath) -> int:
        """Delete every version of every matching path; return how many were deleted."""
        ...

    def close(self) -> None:
        """Release connections and files."""
        ...


@runtime_checkable
class Restoring(Protocol):
    """A repository that can add a version keeping its identity (``qcflow qcdb copy``): the
    stores (:meth:`.LocalRepository.restore`) and the HTTP client (which asks the server to)."""

    def restore(self, info: ObjectInfo, data: bytes) -> ObjectInfo | None:
        """Add ``data`` as the version ``info`` describes (UUID, creation time, validity,
        metadata); return what was stored -- with another UUID and creation time where the
        destination cannot keep them -- or None when a version with this UUID is there."""
        ...


def fetch_one(repo: Repository, query: Query) -> Fetched | None:
    """The object ``query`` selects (a CCDB ``GET``), None where nothing matches."""
    try:
        return repo.get(
            query.path,
            query.timestamp,
            query.filters,
            not_before=query.not_before,
            not_after=query.not_after,
            uuid=query.uuid,
        )
    except ObjectNotFound:
        return None


def fetch_many(
    repo: Repository, queries: Sequence[Query], *, max_workers: int = 8
) -> list[Fetched | None]:
    """Get many objects concurrently, in the order of ``queries``; None where nothing matches."""
    if len(queries) <= 1 or max_workers <= 1:
        return [fetch_one(repo, q) for q in queries]
    with ThreadPoolExecutor(max_workers=min(max_workers, len(queries))) as pool:
        return list(pool.map(functools.partial(fetch_one, repo), queries))
