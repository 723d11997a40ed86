"""The QCDB's errors, and the one table that maps them to HTTP status codes.

Hierarchy (the bases are in :mod:`qcflow.errors`)::

    QcflowError
    +-- InvalidInput                 bad path, URL, timestamp, metadata, upload      -> 400
    |   +-- PayloadTooLarge          request body over the server's limit             -> 413
    |   +-- RangeNotSatisfiable      a Range header selecting no byte                 -> 416
    +-- NotFound
    |   +-- ObjectNotFound           no object matches; says path, time, filters and
    |                                what is close                                    -> 404
    +-- QcdbUnavailable              no server answered after the client's retries    -> 503
    +-- AccessDenied                 read-only server, or missing/wrong token         -> 401/403

The server turns these into responses with :func:`http_status`; the client turns responses back
into them, so a repository behaves the same embedded or remote.

Some answers take long: explaining a miss (comparing a path with every path of a large folder)
or reading a large content. A caller that must answer quickly -- the server's event loop -- asks
within :func:`quick_only`; a repository then raises :class:`WouldTakeLong` instead, and the
caller asks again in a worker thread.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

from qcflow.errors import InvalidInput, NotFound, QcflowError
from qcflow.qcdb.model import ObjectInfo, iso_time
from qcflow.qcdb.query import Query

__all__ = [
    "AccessDenied",
    "ObjectNotFound",
    "PayloadTooLarge",
    "QcdbUnavailable",
    "RangeNotSatisfiable",
    "VersionExists",
    "WouldTakeLong",
    "http_status",
    "in_a_hurry",
    "near_misses",
    "quick_only",
]

_QUICK: ContextVar[bool] = ContextVar("qcflow_qcdb_quick", default=False)


class WouldTakeLong(QcflowError):
    """Raised within :func:`quick_only` when an answer would take long: ask again elsewhere."""


@contextmanager
def quick_only() -> Iterator[None]:
    """Within this block, repositories answer only what is quick (else :class:`WouldTakeLong`)."""
    token = _QUICK.set(True)
    try:
        yield
    finally:
        _QUICK.reset(token)


def in_a_hurry() -> bool:
    """True within :func:`quick_only`."""
    return _QUICK.get()


class ObjectNotFound(NotFound):
    """No stored object matches a query; the message names the query and near misses."""

    def __init__(self, query: Query, hints: Iterable[str] = (), *, message: str = "") -> None:
        self.query = query
        self.hints = list(hints)
        text = message or f"no object matches {query.describe()}"
        if self.hints:
            text += "; " + "; ".join(self.hints)
        super().__init__(text)


class PayloadTooLarge(InvalidInput):
    """A request body is larger than the server accepts."""


class VersionExists(InvalidInput):
    """An upload asked to keep a UUID that a version in the store has already (409)."""


class RangeNotSatisfiable(InvalidInput):
    """A ``Range`` header selects no byte of the object."""


class QcdbUnavailable(QcflowError):
    """No QCDB server could be reached (after retries and fail-over)."""


class AccessDenied(QcflowError):
    """A write was refused: the server is read-only, or the token is missing or wrong."""

    def __init__(self, message: str, *, status: int = 403) -> None:
        self.status = status
        super().__init__(message)


#: Error class -> HTTP status, most specific first.
_STATUS: tuple[tuple[type[QcflowError], int], ...] = (
    (PayloadTooLarge, 413),
    (RangeNotSatisfiable, 416),
    (VersionExists, 409),
    (InvalidInput, 400),
    (NotFound, 404),
    (QcdbUnavailable, 503),
)


def http_status(error: QcflowError) -> int:
    """The HTTP status code that reports ``error``."""
    if isinstance(error, AccessDenied):
        return error.status
    return next((status for cls, status in _STATUS if isinstance(error, cls)), 500)


def near_misses(query: Query, versions: list[ObjectInfo], nearby_paths: Iterable[str]) -> list[str]:
    """Hints for an :class:`ObjectNotFound`: close paths, or why the path's versions missed.

    Versions whose metadata match the filters come first: when some exist but none is valid at
    the time asked, the hint names the nearest of those (as dates), not of any version.
    """
    if not versions:
        close = difflib.get_close_matches(query.path, list(nearby_paths), n=3, cutoff=0.6)
        return [f"no version of this path; close paths: {', '.join(close)}"] if close else []
    hints = [f"{len(versions)} version(s) of this path exist"]
    matching = [v for v in versions if _has(v, query.filters)]
    at = query.timestamp
    if at is not None and matching and not any(v.is_valid_at(at) for v in matching):
        nearest = min(matching, key=lambda v: _distance(v, at))
        with_filters = " with " + _filters(query.filters) if query.filters else ""
        start, end = nearest.valid_from, nearest.valid_until
        hints.append(
            f"none{with_filters} valid then; nearest valid [{iso_time(start)}, "
            f"{iso_time(end)}) UTC ({start}, {end})"
        )
        return hints
    if query.timestamp is not None:
        valid = [v for v in versions if v.is_valid_at(query.timestamp)]
        if valid:
            versions = valid  # the filters' hints: the values of the versions valid then
        else:
            hints.append("none valid then")
    for key, wanted in query.filters.items():
        seen = sorted({v.metadata[key] for v in versions if key in v.metadata})
        if wanted not in seen:
            shown = ", ".join(seen[:8]) + (", ..." if len(seen) > 8 else "")
            hints.append(f"{key} has values {shown}" if seen else f"no version has key {key}")
    return hints


def _has(info: ObjectInfo, filters: Mapping[str, str]) -> bool:
    return all(info.metadata.get(key) == value for key, value in filters.items())


def _filters(filters: Mapping[str, str]) -> str:
    return ", ".join(f"{key}={value}" for key, value in filters.items())


def _distance(info: ObjectInfo, timestamp: int) -> int:
    if timestamp < info.valid_from:
        return info.valid_from - timestamp
    return max(0, timestamp - info.valid_until + 1)
