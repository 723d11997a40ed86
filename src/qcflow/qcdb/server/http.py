"""Small HTTP pieces of the server: the reply type, request header parsing, byte ranges.

:class:`Reply` is a status, raw header pairs and a body, sent with two ASGI messages: cheaper
than a general response class on the hot ``GET`` path. Header values are sent as UTF-8 bytes
(metadata may hold any text). :func:`parse_range` reads a ``Range`` header (one range; several
ranges are answered with the whole object, which RFC 9110 allows). :func:`split_target` is the one
place that reads which endpoint a request names: the router and the write guard must agree.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from qcflow._types import TimestampMs
from qcflow.errors import InvalidInput, QcflowError, first_line
from qcflow.qcdb.errors import RangeNotSatisfiable, http_status
from qcflow.qcdb.model import ObjectInfo, http_date, to_headers
from qcflow.qcdb.urls import check_time

__all__ = [
    "Reply",
    "date_header",
    "error_reply",
    "int_header",
    "object_headers",
    "parse_range",
    "split_target",
]

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def split_target(scope: Mapping[str, Any]) -> tuple[str, str, str]:
    """The raw URL path (still percent-encoded), its first element and the rest after it.

    Leading slashes are dropped (``//truncate/x`` names ``/truncate``, as for the router).
    """
    raw = scope.get("raw_path") or scope["path"].encode()
    path = raw.decode("latin-1").split("?", 1)[0]
    first, _, rest = path.lstrip("/").partition("/")
    return path, first, rest


@dataclass(slots=True)
class Reply:
    """A complete HTTP response: ``base`` (pre-encoded header pairs) plus ``headers``."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    #: For HEAD: the Content-Length to announce without sending a body.
    length: int | None = None
    base: list[tuple[bytes, bytes]] = field(default_factory=list)
    #: May be replayed to a later identical request while the store is unchanged.
    cacheable: bool = False
    _raw: list[tuple[bytes, bytes]] | None = field(default=None, repr=False)

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """The encoded headers (computed once: a cached reply is sent many times)."""
        if self._raw is None:
            raw = [*self.base, *_encode(self.headers)]
            if self.status >= 200 and self.status not in (204, 304):
                size = self.length if self.length is not None else len(self.body)
                raw.append((b"Content-Length", str(size).encode()))
            self._raw = raw
        return self._raw


def _encode(headers: Mapping[str, str]) -> list[tuple[bytes, bytes]]:
    # Values are UTF-8 (metadata may hold any text); names go out as spelled here (protocol.py).
    return [(k.encode("latin-1"), v.encode()) for k, v in headers.items()]


_DATE: dict[int, tuple[bytes, bytes]] = {}


def date_header() -> tuple[bytes, bytes]:
    """``Date: <now>``, spelled as the CCDB does (uvicorn's own ``date`` line is turned off:
    its name would be lower case); formatted once per second."""
    now = int(time.time())
    header = _DATE.get(now)
    if header is None:
        _DATE.clear()
        header = _DATE[now] = (b"Date", http_date(now * 1000).encode())
    return header


_HEADER_CACHE: dict[tuple[Any, ...], list[tuple[bytes, bytes]]] = {}
_HEADER_CACHE_SIZE = 50_000


def object_headers(info: ObjectInfo) -> list[tuple[bytes, bytes]]:
    """The encoded object headers of ``info``, cached: the hot ``GET`` path serves the same
    objects again and again, and building the headers costs more than finding the object."""
    key = (info.id, info.path, info.valid_until, info.last_modified, *info.metadata.items())
    cached = _HEADER_CACHE.get(key)
    if cached is None:
        if len(_HEADER_CACHE) >= _HEADER_CACHE_SIZE:
            _HEADER_CACHE.clear()
        cached = _HEADER_CACHE[key] = _encode(to_headers(info))
    return cached


def error_reply(error: QcflowError) -> Reply:
    """A one-line ``text/plain`` reply for ``error``, with the status the error maps to."""
    status = http_status(error)
    line = first_line(error)
    headers = {"Content-Type": "text/plain; charset=utf-8"}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return Reply(status, headers, (line + "\n").encode())


def int_header(headers: Mapping[str, str], name: str) -> TimestampMs | None:
    """An integer request header, None when absent; InvalidInput when not a number."""
    value = headers.get(name)
    if value is None or value.strip() == "":
        return None
    try:
        number = int(value.strip())
    except ValueError as err:
        msg = f"header {name}: {value!r} is not a number"
        raise InvalidInput(msg) from err
    return check_time(number, f"header {name}:")


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive byte range ``(first, last)`` a ``Range`` header asks for, None for all."""
    if not header or "," in header:
        return None
    match = _RANGE.fullmatch(header.strip().replace(" ", ""))
    if match is None:
        return None
    first_text, last_text = match.groups()
    if not first_text:
        if not last_text or _offset(last_text) == 0:
            msg = f"range {header[:60]!r} selects nothing of {size} bytes"
            raise RangeNotSatisfiable(msg)
        return max(0, size - _offset(last_text)), size - 1
    first = _offset(first_text)
    last = min(_offset(last_text), size - 1) if last_text else size - 1
    if first >= size or last < first:
        msg = f"range {header[:60]!r} is outside the object's {size} bytes"
        raise RangeNotSatisfiable(msg)
    return first, last


def _offset(digits: str) -> int:
    """A byte offset; past 18 digits it is beyond any object (and int() of 4,300 is refused)."""
    return int(digits) if len(digits) <= 18 else 10**18
