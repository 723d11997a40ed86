"""The CCDB URL grammar: object paths, timestamps, ``key=value`` filters and UUIDs.

A CCDB URL path such as ``/qc/TPC/MO/Task/h1/1700000000000/RunNumber=5/<uuid>`` is split on ``/``
and each piece percent-decoded (so ``%2F`` inside a value never splits it). Tokens up to the first
numeric or ``key=value`` token are the object path; then the first number is the timestamp (or
validFrom), the second validUntil; ``key=value`` tokens are metadata filters; any other token must
be a UUID. :func:`parse` does the splitting, :func:`build` the reverse (the client uses it).

The rules for names live here too: :func:`check_path` (no ``..``, no empty or numeric elements,
no absolute paths, 1-10 elements, at most :data:`MAX_PATH_LENGTH` characters, no reserved first
element) and :func:`check_metadata` (keys are ASCII header names), and of the other arguments a
repository takes (:func:`check_time`, :func:`check_count`, :func:`check_uuid`,
:func:`check_header_text` for the content type and file name). Object paths are names in an index,
never filesystem paths. Whatever is stored must be servable: every stored string that becomes a
response header is checked here, before anything is written.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

from qcflow._types import ObjectPath, TimestampMs
from qcflow.errors import BadValue, InvalidInput

__all__ = [
    "MAX_PATH_ELEMENTS",
    "MAX_PATH_LENGTH",
    "MAX_TIME",
    "MAX_URL_LENGTH",
    "RESERVED",
    "ParsedUrl",
    "build",
    "check_count",
    "check_header_text",
    "check_metadata",
    "check_path",
    "check_time",
    "check_uuid",
    "is_pattern",
    "parse",
]

MAX_PATH_ELEMENTS = 10
#: Characters in an object path or pattern: room for the rest of a URL within common 8 kB limits
#: even when every character is percent-encoded UTF-8 (4 bytes -> 12 characters).
MAX_PATH_LENGTH = 512
#: Characters in a URL path a server parses (common HTTP servers' limit).
MAX_URL_LENGTH = 8192
#: First path elements that name endpoints, so no object may live under them.
RESERVED = frozenset({"browse", "latest", "download", "truncate", "openapi.json"})
#: An all-numeric URL token (a timestamp, or a numeric path element, which is refused).
_NUMBER = re.compile(r"-?[0-9]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: Characters the CCDB C++ client refuses in metadata keys (plus quotes and controls); keys must
#: also be ASCII, since each becomes a response header name.
_BAD_KEY = re.compile(r"[\[\] :;.,\\/'\"?!(){}@<>=+*#$&`|~^%\x00-\x1f\x7f]|[^\x00-\x7f]")
_PATTERN_CHARS = frozenset("*%")


@dataclass(frozen=True, slots=True)
class ParsedUrl:
    """The pieces of a CCDB URL path."""

    path: ObjectPath
    timestamps: tuple[TimestampMs, ...] = ()
    filters: dict[str, str] = field(default_factory=dict)
    uuid: str | None = None

    @property
    def timestamp(self) -> TimestampMs | None:
        return self.timestamps[0] if self.timestamps else None

    @property
    def valid_until(self) -> TimestampMs | None:
        return self.timestamps[1] if len(self.timestamps) > 1 else None


def is_pattern(path: str) -> bool:
    """True when ``path`` selects several paths (``*`` regex prefix or ``%`` SQL LIKE)."""
    return any(c in _PATTERN_CHARS for c in path)


@functools.lru_cache(maxsize=16384)
def check_path(path: str, *, pattern: bool = False) -> ObjectPath:
    """Return ``path`` if it is a valid object path (or pattern); raise InvalidInput otherwise.

    (Cached: a server checks the same few thousand paths over and over.)
    """
    if not path:
        msg = "empty object path"
        raise InvalidInput(msg)
    if path.startswith("/"):
        msg = f"object path {path!r} is absolute: write it without the leading '/'"
        raise InvalidInput(msg)
    if len(path) > MAX_PATH_LENGTH:
        msg = f"object path {path[:40]!r}... has {len(path)} characters, at most {MAX_PATH_LENGTH}"
        raise InvalidInput(msg)
    elements = path.split("/")
    if len(elements) > MAX_PATH_ELEMENTS:
        msg = f"object path {path!r} has {len(elements)} elements, at most {MAX_PATH_ELEMENTS}"
        raise InvalidInput(msg)
    for element in elements:
        _check_element(path, element, pattern=pattern)
    if elements[0] in RESERVED and not pattern:
        msg = f"object path {path!r} starts with the reserved name {elements[0]!r}"
        raise InvalidInput(msg)
    return path


def _check_element(path: str, element: str, *, pattern: bool) -> None:
    problem = None
    if not element:
        problem = "has an empty element"
    elif element in (".", ".."):
        problem = f"has a {element!r} element"
    elif _NUMBER.fullmatch(element):
        problem = f"has a numeric element {element!r}"
    elif "=" in element:
        problem = f"has an element with '=' ({element!r})"
    elif _CONTROL.search(element) or "\\" in element:
        problem = f"has a control character or backslash in {element!r}"
    elif not pattern and is_pattern(element):
        problem = f"has a wildcard in {element!r} (patterns are for listings only)"
    if problem:
        msg = f"object path {path!r} {problem}"
        raise InvalidInput(msg)


#: Times are signed 64-bit integers (ms), as in the CCDB and SQLite.
MAX_TIME = 2**63 - 1


def check_header_text(value: str, what: str) -> str:
    """``value`` if it can be sent as a response header value; BadValue otherwise.

    (Control characters -- NUL, ``\\x01``, DEL, line breaks -- make HTTP servers drop the reply.)
    """
    if not isinstance(value, str) or _CONTROL.search(value):
        msg = f"{what} {value!r} must be text without control characters"
        raise BadValue(msg)
    return value


def check_time(value: int | None, what: str) -> int | None:
    """``value`` if it is None or an integer a 64-bit time can hold; InvalidInput otherwise."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not -MAX_TIME <= value <= MAX_TIME:
        msg = f"{what} {value!r} is not a time in ms (a 64-bit integer)"
        raise InvalidInput(msg)
    return value


def check_count(value: int | None, what: str) -> int | None:
    """``value`` if it is None or an integer >= 0; InvalidInput otherwise."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        msg = f"{what} {value!r} is not a count (an integer >= 0)"
        raise InvalidInput(msg)
    return value


def check_uuid(value: str | None, what: str) -> str | None:
    """``value`` as a canonical lower-case UUID (None stays None); InvalidInput otherwise."""
    if value is None:
        return None
    try:
        return str(uuid.UUID(value))
    except (ValueError, TypeError, AttributeError) as err:
        msg = f"{what} {value!r} is not a UUID"
        raise InvalidInput(msg) from err


def check_metadata(
    metadata: Mapping[str, str], *, what: str = "metadata", of: str = ""
) -> dict[str, str]:
    """Return ``metadata`` as a dict of strings if every key and value is acceptable.

    Errors read "<what> of <of>: ..." (built only on failure: this runs on every request).
    """
    out: dict[str, str] = {}
    for key, value in metadata.items():
        if not isinstance(key, str) or not key or _BAD_KEY.search(key):
            msg = f"{what} of {of}: bad key {key!r} (letters, digits, '_' and '-' only)"
            raise BadValue(msg)
        if not isinstance(value, str) or _CONTROL.search(value):
            msg = f"{what} of {of}: value of {key!r} must be a string without control characters"
            raise BadValue(msg)
        out[key] = value
    return out


def _decode(token: str, raw: str) -> str:
    if "%" not in token:
        return token
    try:
        return unquote(token, errors="strict")
    except UnicodeDecodeError as err:
        msg = f"URL {raw!r}: {token!r} is not valid percent-encoded UTF-8"
        raise InvalidInput(msg) from err


def parse(raw: str, *, pattern: bool = False, max_timestamps: int = 2) -> ParsedUrl:
    """Parse a percent-encoded URL path (without the endpoint prefix) into its pieces.

    One leading and trailing ``/`` are dropped; more (``//etc/passwd``) are an empty element.
    At most :data:`MAX_URL_LENGTH` characters; the work is linear in the length (the server
    parses on its event loop).
    """
    if len(raw) > MAX_URL_LENGTH:
        msg = f"URL {raw[:60]!r}... has {len(raw)} characters, at most {MAX_URL_LENGTH}"
        raise InvalidInput(msg)
    text = raw.removeprefix("/").removesuffix("/")
    tokens = [_decode(t, raw) for t in text.split("/")] if text else []
    n = 0
    while n < len(tokens) and not _NUMBER.fullmatch(tokens[n]) and "=" not in tokens[n]:
        n += 1
    path_elements, tokens = tokens[:n], tokens[n:]
    if not path_elements:
        msg = f"URL {raw!r} names no object path"
        raise InvalidInput(msg)
    if any("/" in e for e in path_elements):
        msg = f"URL {raw!r}: a path element holds an encoded '/'"
        raise InvalidInput(msg)
    path = check_path("/".join(path_elements), pattern=pattern)
    timestamps: list[int] = []
    filters: dict[str, str] = {}
    ident: str | None = None
    for token in tokens:
        if _NUMBER.fullmatch(token):
            timestamps.append(_timestamp(token, raw))
        elif "=" in token:
            key, _, value = token.partition("=")
            filters[key] = value
        elif ident is None:
            ident = _check_uuid(token, raw)
        else:
            msg = f"URL {raw!r}: unexpected token {token!r} after the UUID"
            raise InvalidInput(msg)
    if len(timestamps) > max_timestamps:
        msg = f"URL {raw!r} has {len(timestamps)} timestamps, at most {max_timestamps}"
        raise InvalidInput(msg)
    filters = check_metadata(filters, what="filter", of=f"URL {raw!r}")  # once: the text is long
    return ParsedUrl(path, tuple(timestamps), filters, ident)


def _timestamp(token: str, raw: str) -> int:
    value = int(token) if len(token) <= 20 else MAX_TIME + 1  # int() of 4,300 digits is refused
    if not -MAX_TIME <= value <= MAX_TIME:
        msg = f"URL {raw!r}: timestamp {token[:40]!r} is not a time in ms (a 64-bit integer)"
        raise InvalidInput(msg)
    return value


def _check_uuid(token: str, raw: str) -> str:
    try:
        return str(uuid.UUID(token))
    except ValueError as err:
        msg = f"URL {raw!r}: {token!r} is neither a number, key=value nor a UUID"
        raise InvalidInput(msg) from err


def build(
    path: ObjectPath,
    timestamps: tuple[TimestampMs, ...] = (),
    filters: Mapping[str, str] | None = None,
    ident: str | None = None,
) -> str:
    """The percent-encoded URL path (leading ``/``) for these pieces; inverse of :func:`parse`."""
    parts = [quote(e, safe="*") for e in path.split("/")]
    parts += [str(t) for t in timestamps]
    parts += [f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in (filters or {}).items()]
    if ident:
        parts.append(quote(ident, safe=""))
    return "/" + "/".join(parts)
