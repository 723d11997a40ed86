"""The CCDB's rules for which objects a query returns, as pure functions over :class:`ObjectInfo`.

A ``GET`` of one object (spec/ccdb-api.md, "Which object a GET returns"):

1. the exact path; 2. the timestamp in **[validFrom, validUntil)**; 3. the creation time within
   ``If-Not-Before`` / ``If-Not-After``; 4. every ``key=value`` filter equal to the stored metadata
   string (a missing key never matches); 5. among those, **the most recently created** wins.

Listings (``browse``: every match, newest creation first; ``latest``: the newest per path) use the
same filters but select paths by pattern, apply validity only when a timestamp is given, and
ignore filters on metadata keys no object has ever had (the CCDB drops unknown keys).

Path patterns: a ``*`` makes the path a regular expression matched at the start of object paths
(QC lists ``qc/TPC/.*``; a bare ``*`` means ``.*``); a ``%`` makes it an SQL ``LIKE`` pattern.
Patterns come from anyone who can reach a server, so they are compiled with RE2 (``google-re2``),
whose matching time is linear in the path: Python's backtracking ``re`` takes exponential time on
``(.+)+#`` and would stall a server. Syntax RE2 lacks (back-references, look-around) and patterns
that would need more than :data:`PATTERN_MEMORY` bytes of automaton are refused (InvalidInput).
The local store evaluates the same rules in SQL; these functions are the reference the tests
compare it with, and serve any in-memory repository.

:func:`normalize_validity` applies QC's rules for the validity of a new object.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import re2

from qcflow._types import ObjectPath, TimestampMs
from qcflow.errors import InvalidInput
from qcflow.qcdb.model import ObjectInfo, iso_time, order_key
from qcflow.qcdb.urls import MAX_TIME, is_pattern

__all__ = [
    "TEN_YEARS_MS",
    "PathMatcher",
    "Query",
    "browse",
    "latest",
    "matches",
    "normalize_validity",
    "now_ms",
    "select",
]

TEN_YEARS_MS: TimestampMs = 10 * 365 * 24 * 3600 * 1000
_REGEX_META = frozenset(".^$*+?{}[]\\|()")


def now_ms() -> TimestampMs:
    """The current time in ms since the epoch."""
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, slots=True)
class Query:
    """What to select: a path (or pattern for listings) and the CCDB's optional constraints."""

    path: ObjectPath
    timestamp: TimestampMs | None = None
    filters: Mapping[str, str] = field(default_factory=dict)
    not_before: TimestampMs | None = None
    not_after: TimestampMs | None = None
    uuid: str | None = None

    def describe(self) -> str:
        """One line for error messages: path, timestamp, filters, bounds."""
        parts = [self.path]
        if self.timestamp is not None:
            parts.append(f"at {self.timestamp} ({iso_time(self.timestamp)} UTC)")
        if self.filters:
            parts.append("with " + ", ".join(f"{k}={v}" for k, v in self.filters.items()))
        if self.not_before is not None or self.not_after is not None:
            first, last = (
                "-" if t is None else iso_time(t) for t in (self.not_before, self.not_after)
            )
            parts.append(f"created in [{first}, {last}] UTC")
        if self.uuid:
            parts.append(f"id {self.uuid}")
        return " ".join(parts)


class PathMatcher:
    """Selects object paths: exact, regex prefix (``*``) or SQL ``LIKE`` (``%``), in linear time.

    The commonest patterns -- a literal folder then ``.*`` (``qc/TPC/.*``), ``qc/TPC%``, and
    ``qc/TPC(/.*)?$`` (``qcdb ls``) -- are string comparisons: RE2 through its Python binding
    costs ~20 us a path, 20 times Python's re, and a listing may test every path of a store.
    ``prefix_only`` tells a store that the literal :attr:`prefix` alone decides.
    """

    def __init__(self, pattern: ObjectPath) -> None:
        self.pattern = pattern
        self.regex: Any = None  # an RE2 regexp (google-re2 has no type hints)
        self.prefix = pattern
        self.exact = not is_pattern(pattern)
        self.prefix_only = False
        #: Set when the pattern selects exactly this path and the paths under it.
        self.folder: str | None = None
        if "%" in pattern:
            self.prefix = re.split(r"[%_]", pattern, maxsplit=1)[0]
            if pattern == self.prefix + "%":
                self.prefix_only = True
            else:
                body = "".join(_like_char(c) for c in pattern)
                self.regex = _compile(body + r"\z", pattern)
        elif "*" in pattern:
            body = regex_body(pattern)
            self.prefix = _literal_prefix(body)
            if body == self.prefix + ".*":
                self.prefix_only = True
            elif body == self.prefix + "(/.*)?$":
                self.folder = self.prefix
            else:
                self.regex = _compile(body, pattern)

    def __call__(self, path: ObjectPath) -> bool:
        if self.exact:
            return path == self.pattern
        if self.prefix_only:
            return path.startswith(self.prefix)
        if self.folder is not None:
            return path == self.folder or path.startswith(self.folder + "/")
        return self.regex.match(path) is not None


def regex_body(pattern: str) -> str:
    """The regular expression a ``*`` pattern means: a ``*`` after no atom stands for ``.*``."""
    return re.sub(r"(?<![.\])}])\*", ".*", pattern)


def _like_char(c: str) -> str:
    return ".*" if c == "%" else "." if c == "_" else re2.escape(c)


#: Memory RE2 may use for one pattern's automaton (compiling more is refused, not attempted).
PATTERN_MEMORY = 1 << 20


def _options() -> Any:
    options = re2.Options()
    options.max_mem = PATTERN_MEMORY
    options.log_errors = False  # a refused pattern is the client's error, not a server log line
    return options


_OPTIONS = _options()


def _compile(body: str, pattern: str) -> Any:
    try:
        return re2.compile(body, _OPTIONS)
    except (re2.error, UnicodeError) as err:
        reason = err.args[0] if err.args else err
        if isinstance(reason, bytes):
            reason = reason.decode(errors="replace")
        msg = f"bad path pattern {pattern!r}: {reason} (patterns are RE2 syntax)"
        raise InvalidInput(msg) from err


def _literal_prefix(regex: str) -> str:
    """The literal text every match starts with (possibly empty)."""
    for i, c in enumerate(regex):
        if c in _REGEX_META:
            optional = c in "*?{" and i > 0
            return regex[: i - 1] if optional else regex[:i]
    return regex


def _filters_match(info: ObjectInfo, filters: Mapping[str, str]) -> bool:
    return all(info.metadata.get(k) == v for k, v in filters.items())


def _created_ok(info: ObjectInfo, query: Query) -> bool:
    if query.not_before is not None and info.created < query.not_before:
        return False
    return query.not_after is None or info.created <= query.not_after


def matches(info: ObjectInfo, query: Query, *, path: PathMatcher | None = None) -> bool:
    """True when ``info`` satisfies every constraint of ``query`` (path by ``path`` if given)."""
    path_ok = path(info.path) if path is not None else info.path == query.path
    if not path_ok or not _created_ok(info, query):
        return False
    if query.timestamp is not None and not info.is_valid_at(query.timestamp):
        return False
    if query.uuid is not None and info.id != query.uuid:
        return False
    return _filters_match(info, query.filters)


def select(objects: Iterable[ObjectInfo], query: Query) -> ObjectInfo | None:
    """The object a ``GET`` returns: the most recently created exact match (timestamp = now)."""
    at = query.timestamp if query.timestamp is not None else now_ms()
    resolved = Query(query.path, at, query.filters, query.not_before, query.not_after, query.uuid)
    candidates = [o for o in objects if matches(o, resolved)]
    return max(candidates, key=order_key, default=None)


def _known_filters(objects: list[ObjectInfo], query: Query) -> Query:
    seen = {k for o in objects for k in o.metadata}
    kept = {k: v for k, v in query.filters.items() if k in seen}
    return Query(query.path, query.timestamp, kept, query.not_before, query.not_after, query.uuid)


def browse(objects: Iterable[ObjectInfo], query: Query) -> list[ObjectInfo]:
    """Every version matching ``query`` (path may be a pattern), newest creation first."""
    everything = list(objects)
    listing_query = _known_filters(everything, query)
    matcher = PathMatcher(query.path)
    found = [o for o in everything if matches(o, listing_query, path=matcher)]
    return sorted(found, key=order_key, reverse=True)


def latest(objects: Iterable[ObjectInfo], query: Query) -> list[ObjectInfo]:
    """The newest matching version of each matching path, in path order."""
    newest: dict[str, ObjectInfo] = {}
    for info in browse(objects, query):
        newest.setdefault(info.path, info)
    return [newest[p] for p in sorted(newest)]


def normalize_validity(
    valid_from: TimestampMs | None, valid_until: TimestampMs | None, *, now: TimestampMs
) -> tuple[TimestampMs, TimestampMs]:
    """QC's validity rules for a new object (spec/qc-postprocessing.md, section 7).

    An unset, zero or negative start becomes ``now``; an unset or non-positive end becomes
    start + 10 years; an end equal to the start becomes start + 1 ms; a start after the end, or
    an end past the largest 64-bit time, is an error.
    """
    start = valid_from if valid_from is not None and valid_from > 0 else now
    end = valid_until if valid_until is not None and valid_until > 0 else start + TEN_YEARS_MS
    if end == start:
        end = start + 1
    if start > end:
        msg = f"validity start {start} is after its end {end}"
        raise InvalidInput(msg)
    if end > MAX_TIME:  # the start was near the 64-bit limit: its default end does not fit
        msg = f"validity [{start}, {end}) ends after the largest time {MAX_TIME}: give an end"
        raise InvalidInput(msg)
    return start, end
