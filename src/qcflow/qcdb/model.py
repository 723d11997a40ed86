"""What the QCDB knows about one stored object, and its two wire forms: listing entries and headers.

:class:`ObjectInfo` is the record every repository returns. A CCDB describes an object twice:

- in JSON listings (``/browse``, ``/latest``) with **both** key styles -- ``validFrom`` and
  ``Valid-From``, ``createTime`` and ``Created`` -- because real clients read one or the other;
  older servers send numbers as strings, so :func:`from_listing_entry` parses leniently;
- in the response headers of ``GET``/``HEAD``/``POST`` (:func:`to_headers`, :func:`from_headers`),
  where every metadata key is a header of its own, named exactly as the key (qcflow also sends
  them as JSON in ``Qcflow-Object``: a proxy or HTTP/2 may lower-case header names on the way).

Object ids are time-based UUIDs (version 1), as the CCDB's: the creation time can be read back from
the id, and its 100 ns ticks break ties between objects created in the same millisecond.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import re
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from qcflow._types import JSONObject, ObjectPath, TimestampMs
from qcflow.errors import InvalidInput

__all__ = [
    "INDEX_COLUMNS",
    "ObjectInfo",
    "from_headers",
    "from_listing_entry",
    "http_date",
    "index_row",
    "iso_time",
    "ms_ticks",
    "new_id",
    "order_key",
    "restore_headers",
    "ticks_ms",
    "to_headers",
    "to_listing_entry",
    "uuid_time_ms",
]

#: 100 ns ticks between the UUID epoch (1582-10-15) and the Unix epoch.
_UUID_EPOCH_OFFSET = 0x01B21DD213814000
#: A random node per process (multicast bit set, as RFC 4122 asks for non-MAC nodes).
_NODE = secrets.randbits(48) | (1 << 40)


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """One stored version of an object: where, valid when, created when, and its metadata."""

    path: ObjectPath
    id: str
    valid_from: TimestampMs
    valid_until: TimestampMs
    created: TimestampMs
    last_modified: TimestampMs
    md5: str = ""
    size: int = 0
    content_type: str = "application/octet-stream"
    file_name: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    initial_valid_until: TimestampMs | None = None
    uploaded_from: str | None = None
    replicas: tuple[str, ...] = ()

    def is_valid_at(self, timestamp: TimestampMs) -> bool:
        """True when ``timestamp`` lies in [valid_from, valid_until)."""
        return self.valid_from <= timestamp < self.valid_until

    @property
    def download_url(self) -> str:
        """The server-relative URL of the object's content."""
        return f"/download/{self.id}"


def new_id() -> uuid.UUID:
    """A fresh time-based UUID (v1) stamped with the current time; monotonic within a process."""
    return uuid.uuid1(node=_NODE)


def ticks_ms(ticks: int) -> TimestampMs:
    """Ms since the Unix epoch for a UUID's 100 ns ticks since 1582."""
    return (ticks - _UUID_EPOCH_OFFSET) // 10_000


def ms_ticks(ms: TimestampMs) -> int:
    """A UUID's 100 ns ticks since 1582 for ms since the Unix epoch (:func:`ticks_ms` reversed)."""
    return ms * 10_000 + _UUID_EPOCH_OFFSET


def uuid_time_ms(value: str) -> TimestampMs | None:
    """The creation time (ms since the Unix epoch) inside a version-1 UUID, else None."""
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return None
    if parsed.version != 1:
        return None
    return ticks_ms(parsed.time)


def _uuid_ticks(value: str) -> int:
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return 0
    return parsed.time if parsed.version == 1 else 0


def order_key(info: ObjectInfo) -> tuple[int, int, str]:
    """Sort key for "most recently created": creation ms, then the UUID's 100 ns ticks."""
    return (info.created, _uuid_ticks(info.id), info.id)


def cache_valid_until(
    info: ObjectInfo, timestamp: TimestampMs, candidates: Iterable[ObjectInfo]
) -> TimestampMs:
    """Until when (ms, exclusive) the same request at a later time still resolves to ``info``
    (the ``Cache-Valid-Until`` header; O2's ``CCDBDownloader`` skips asking again before it):
    ``info``'s ``Valid-Until``, cut at the ``Valid-From`` of any object created after it that
    the request could also match (``candidates``: the same path, filters and creation bounds)
    and that becomes valid after ``timestamp``."""
    until = info.valid_until
    key = order_key(info)
    for other in candidates:
        if timestamp < other.valid_from < until and order_key(other) > key:
            until = other.valid_from
    return until


def http_date(ms: TimestampMs) -> str:
    """An HTTP date (RFC 9110) for a time in ms."""
    return email.utils.formatdate(ms / 1000, usegmt=True)


def iso_time(ms: TimestampMs) -> str:
    """``2024-05-07 03:44:23`` (UTC) for a time in ms; the number itself when out of the
    calendar's range (validities run to 2**63 - 1 ms)."""
    try:
        moment = dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        return str(ms)
    # strftime's %Y drops the leading zeros of years before 1000 on glibc: format it ourselves.
    return f"{moment.year:04d}-{moment:%m-%d %H:%M:%S}"


def _parse_http_date(text: str) -> TimestampMs:
    try:
        return int(email.utils.parsedate_to_datetime(text).timestamp() * 1000)
    except (TypeError, ValueError) as err:
        msg = f"bad HTTP date {text!r}"
        raise InvalidInput(msg) from err


# --- listing entries ------------------------------------------------------------------------

#: Keys of a listing entry that are not metadata (both key styles).
LISTING_KEYS = frozenset(
    {
        "path",
        "createTime",
        "lastModified",
        "Created",
        "Last-Modified",
        "id",
        "validFrom",
        "validUntil",
        "initialValidity",
        "MD5",
        "fileName",
        "contentType",
        "size",
        "ETag",
        "Valid-From",
        "Valid-Until",
        "InitialValidityLimit",
        "Content-MD5",
        "Content-Type",
        "Content-Length",
        "UploadedFrom",
        "replicas",
        "Content-Disposition",
    }
)
#: (the key qcflow reads a field from, its header-style twin the CCDB writes too). A metadata
#: key spelled like the twin replaces it in the listing (see :func:`to_listing_entry`), so a twin
#: that disagrees with its key is that metadata's value.
_TWINS = (
    ("createTime", "Created"),
    ("lastModified", "Last-Modified"),
    ("validFrom", "Valid-From"),
    ("validUntil", "Valid-Until"),
    ("initialValidity", "InitialValidityLimit"),
    ("MD5", "Content-MD5"),
    ("contentType", "Content-Type"),
    ("size", "Content-Length"),
)


def to_listing_entry(info: ObjectInfo) -> JSONObject:
    """The JSON listing entry of ``info``, as the CCDB builds it: the fixed fields in both key
    styles, then every metadata key -- **replacing** a fixed field of the same name (metadata
    ``Created=<ms>`` lists as ``"Created": "<ms>"``; QC's repository cleaner and its tests rely
    on it) -- then ``replicas``. The object's real creation time stays in ``createTime``, in the
    ``Created`` response header, and in the order of versions."""
    initial = info.initial_valid_until or info.valid_until
    entry: JSONObject = {
        "path": info.path,
        "createTime": info.created,
        "lastModified": info.last_modified,
        "Created": info.created,
        "Last-Modified": info.last_modified,
        "id": info.id,
        "validFrom": info.valid_from,
        "validUntil": info.valid_until,
        "initialValidity": initial,
        "MD5": info.md5,
        "fileName": info.file_name,
        "contentType": info.content_type,
        "size": info.size,
        "ETag": f'"{info.id}"',
        "Valid-From": info.valid_from,
        "Valid-Until": info.valid_until,
        "InitialValidityLimit": initial,
        "Content-MD5": info.md5,
        "Content-Disposition": f'inline;filename="{info.file_name}"',
        "Content-Type": info.content_type,
        "Content-Length": info.size,
        "UploadedFrom": info.uploaded_from or "",
    }
    entry.update(info.metadata)
    entry["replicas"] = list(info.replicas) or [info.download_url]
    return entry


def _same(a: Any, b: Any) -> bool:
    """Equal as text or as numbers (older servers send numbers as strings)."""
    if str(a) == str(b):
        return True
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return False


def _listing_metadata(entry: Mapping[str, Any]) -> dict[str, str]:
    """The metadata of a listing entry: keys that are no field, and twins that disagree."""
    metadata = {k: str(v) for k, v in entry.items() if k not in LISTING_KEYS}
    for key, twin in _TWINS:
        if key in entry and twin in entry and not _same(entry[key], entry[twin]):
            metadata[twin] = str(entry[twin])
    ident = str(entry.get("id", ""))
    if ident and "ETag" in entry and str(entry["ETag"]).strip('"') != ident:
        metadata["ETag"] = str(entry["ETag"])
    return metadata


def _first(entry: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if key in entry and entry[key] not in (None, ""):
            return entry[key]
    return None


def _int(entry: Mapping[str, Any], *keys: str, default: int | None = None) -> int:
    value = _first(entry, *keys)
    if value is None:
        if default is not None:
            return default
        msg = f"listing entry has none of {', '.join(keys)}: {dict(entry)!r:.200}"
        raise InvalidInput(msg)
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError) as err:
            msg = f"listing entry key {keys[0]} is not a number: {value!r}"
            raise InvalidInput(msg) from err


def from_listing_entry(entry: Mapping[str, Any]) -> ObjectInfo:
    """Parse a listing entry written in either key style; numbers may be strings.

    Fields are read from the camelCase keys first (``createTime``, ``validFrom``...): metadata
    spelled like a header-style field (``Created``) replaces that one in CCDB listings, and is
    given back as metadata when it differs from its twin."""
    ident = str(_first(entry, "id", "ETag") or "").strip('"')
    created = _int(entry, "createTime", "Created", default=uuid_time_ms(ident) or 0)
    replicas = entry.get("replicas") or ()
    initial = _first(entry, "initialValidity", "InitialValidityLimit")
    return ObjectInfo(
        path=str(entry.get("path", "")),
        id=ident,
        valid_from=_int(entry, "validFrom", "Valid-From"),
        valid_until=_int(entry, "validUntil", "Valid-Until"),
        created=created,
        last_modified=_int(entry, "lastModified", "Last-Modified", default=created),
        md5=str(_first(entry, "MD5", "Content-MD5") or ""),
        size=_int(entry, "size", "Content-Length", default=0),
        content_type=str(_first(entry, "contentType", "Content-Type") or ""),
        file_name=str(_first(entry, "fileName") or ""),
        metadata=_listing_metadata(entry),
        initial_valid_until=None if initial is None else int(initial),
        uploaded_from=str(_first(entry, "UploadedFrom") or "") or None,
        replicas=tuple(str(r) for r in replicas),
    )


# --- headers --------------------------------------------------------------------------------

#: qcflow's server adds one header with what other headers cannot carry exactly, as JSON:
#: ``{"path", "initialValidity", "metadata"}`` -- HTTP header names are case-insensitive
#: (HTTP/2 and some proxies lower-case them) but metadata keys are not.
EXTRA_HEADER = "Qcflow-Object"
#: qcflow's extension of the upload (``POST``): request headers asking a qcflow server to keep a
#: copied version's identity (``qcflow qcdb copy``). Another server (ALICE's CCDB, an older
#: qcflow) ignores them and gives the version a new UUID and creation time: the uploader tells
#: from the answer's ``ETag`` and ``Created`` whether they were kept.
KEEP_ID_HEADER = "Qcflow-Id"
KEEP_CREATED_HEADER = "Qcflow-Created"
KEEP_INITIAL_HEADER = "Qcflow-Initial-Validity"
KEEP_MODIFIED_HEADER = "Qcflow-Last-Modified"


def restore_headers(info: ObjectInfo) -> dict[str, str]:
    """The request headers (:data:`KEEP_ID_HEADER`...) asking to keep ``info``'s UUID, creation
    time, initial end of validity and last modification time on upload."""
    headers = {KEEP_ID_HEADER: info.id, KEEP_CREATED_HEADER: str(info.created)}
    if info.initial_valid_until:
        headers[KEEP_INITIAL_HEADER] = str(info.initial_valid_until)
    if info.last_modified:
        headers[KEEP_MODIFIED_HEADER] = str(info.last_modified)
    return headers


#: Response headers that are never metadata (lower case).
STANDARD_HEADERS = frozenset(
    {
        "valid-from",
        "valid-until",
        "created",
        "etag",
        "last-modified",
        "content-md5",
        "cache-control",
        "content-type",
        "content-disposition",
        "content-location",
        "location",
        "content-length",
        "accept-ranges",
        "content-range",
        "date",
        "server",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "vary",
        "access-control-allow-origin",
        "allow",
        "initialvalidity",
        "uploadedfrom",
        "path",
        "file-name",
        "x-powered-by",
        "expires",
        "pragma",
        "content-encoding",
        "set-cookie",
        "strict-transport-security",
        "via",
        "age",
        "deleted",
        "replicas",
        "qcflow-object",
        "cache-valid-until",
    }
)


#: What an HTTP header name may be (RFC 9110 ``token``). Metadata keys outside it (``键``,
#: ``Läufe``) travel in :data:`EXTRA_HEADER` only: uvicorn's h11 refuses them, and a name that
#: is not Latin-1 cannot be written at all.
_HTTP_TOKEN = re.compile(r"[-!#$%&'*+.^_`|~0-9A-Za-z]+")


def to_headers(info: ObjectInfo) -> dict[str, str]:
    """The CCDB object response headers of ``info`` (metadata keys as headers of their own,
    spelled as uploaded, where they can be header names)."""
    headers = {
        "Valid-From": str(info.valid_from),
        "Valid-Until": str(info.valid_until),
        "Created": str(info.created),
        "ETag": f'"{info.id}"',
        "Last-Modified": http_date(info.last_modified),
        "Content-MD5": info.md5,
        "Cache-Control": "no-cache",
        "Content-Type": info.content_type,
        "Content-Disposition": f'inline;filename="{info.file_name}"',
        "Content-Location": info.download_url,
    }
    headers.update(
        {
            k: v
            for k, v in info.metadata.items()
            if k.lower() not in STANDARD_HEADERS and _HTTP_TOKEN.fullmatch(k)
        }
    )
    extra = {
        "path": info.path,
        "initialValidity": info.initial_valid_until or info.valid_until,
        "metadata": info.metadata,
    }
    headers[EXTRA_HEADER] = json.dumps(extra, separators=(",", ":"))
    return headers


def _file_name(disposition: str) -> str:
    _, _, rest = disposition.partition("filename=")
    return rest.strip().strip('"')


def _extra(text: str | None) -> dict[str, Any]:
    """The parsed :data:`EXTRA_HEADER` (empty when absent or malformed: other servers)."""
    try:
        parsed = json.loads(text) if text else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def from_headers(path: ObjectPath, headers: Iterable[tuple[str, str]]) -> ObjectInfo:
    """Rebuild an :class:`ObjectInfo` from response headers (names in any case)."""
    pairs = list(headers)
    lower = {name.lower(): value for name, value in pairs}
    ident = lower.get("etag", "").strip().removeprefix("W/").strip('"')
    created = _int(lower, "created", default=uuid_time_ms(ident) or 0)
    modified = lower.get("last-modified")
    extra = _extra(lower.get(EXTRA_HEADER.lower()))
    metadata = extra.get("metadata")
    if not isinstance(metadata, dict):
        metadata = {name: value for name, value in pairs if name.lower() not in STANDARD_HEADERS}
    initial = extra.get("initialValidity")
    return ObjectInfo(
        path=str(extra.get("path") or path),
        id=ident,
        valid_from=_int(lower, "valid-from"),
        valid_until=_int(lower, "valid-until"),
        created=created,
        last_modified=_parse_http_date(modified) if modified else created,
        md5=lower.get("content-md5", ""),
        size=_int(lower, "content-length", default=0),
        content_type=lower.get("content-type", ""),
        file_name=_file_name(lower.get("content-disposition", "")),
        metadata={str(k): str(v) for k, v in metadata.items()},
        initial_valid_until=int(initial) if isinstance(initial, int) else None,
        replicas=tuple(v for n, v in pairs if n.lower() == "content-location"),
    )


#: The columns of a version's index row (SQLite and PostgreSQL alike), in :func:`index_row`'s order.
INDEX_COLUMNS = (
    "id, ticks, path, valid_from, valid_until, initial_valid_until, created, last_modified, md5, "
    "size, content_type, file_name, metadata"
)


def index_row(info: ObjectInfo, ticks: int, metadata: object) -> tuple[object, ...]:
    """The values of ``info``'s index row in :data:`INDEX_COLUMNS` order (``ticks``: its UUID's
    100 ns clock; ``metadata``: the metadata as the index stores it, JSON text or JSONB)."""
    return (
        info.id,
        ticks,
        info.path,
        info.valid_from,
        info.valid_until,
        info.initial_valid_until,
        info.created,
        info.last_modified,
        info.md5,
        info.size,
        info.content_type,
        info.file_name,
        metadata,
    )
