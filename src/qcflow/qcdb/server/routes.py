"""The CCDB endpoints, one small async function each, over any Repository.

Each handler takes the :class:`Context` (repository and options), the request and the rest of
the URL path after the endpoint prefix (still percent-encoded), and returns a
:class:`~qcflow.qcdb.server.http.Reply`. Errors are raised as :mod:`qcflow` exceptions; the app
turns them into status codes in one place (:func:`~qcflow.qcdb.errors.http_status`).

Reads of one object run on the event loop when the repository says they are cheap (the embedded
store: an indexed SQLite query), otherwise -- or when the store finds the answer would take long
(a miss to explain, a content over 1 MB: :class:`~qcflow.qcdb.errors.WouldTakeLong`) -- in a
worker thread; listings (pattern matching, long
answers) and writes always run in a worker thread, so no request holds the event loop for long.
At most :data:`LISTING_SLOTS` listings run at once per server process (the others wait their
turn without a thread): costly listings in flight can then neither take every worker thread
(writes and explained misses would wait for them) nor crowd the event loop out of the GIL.
"""

from __future__ import annotations

import asyncio
import functools
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request

from qcflow._types import TimestampMs
from qcflow.errors import InvalidInput
from qcflow.qcdb.base import RepositoryBase, listed_valid_until
from qcflow.qcdb.errors import VersionExists, WouldTakeLong, quick_only
from qcflow.qcdb.model import (
    KEEP_CREATED_HEADER,
    KEEP_ID_HEADER,
    KEEP_INITIAL_HEADER,
    KEEP_MODIFIED_HEADER,
    ObjectInfo,
    uuid_time_ms,
)
from qcflow.qcdb.query import Query, now_ms
from qcflow.qcdb.repository import Repository, Restoring
from qcflow.qcdb.server.http import Reply, int_header, object_headers, parse_range
from qcflow.qcdb.server.listing import FORMATS, negotiate, render
from qcflow.qcdb.urls import ParsedUrl, build, check_count, check_uuid, is_pattern, parse

__all__ = ["ALLOW", "DEFAULT_MAX_BODY", "LISTING_SLOTS", "Context", "ServerOptions"]

T = TypeVar("T")
ALLOW = "GET, HEAD, POST, PUT, DELETE, OPTIONS, MOVE"
DEFAULT_MAX_BODY = 256 * 1024 * 1024
DEFAULT_CACHE_BYTES = 64 * 1024 * 1024
#: Listings (browse, latest) one server process runs at once; starlette's pool has 40 threads.
LISTING_SLOTS = 4
_UPLOAD_HINT = "expected multipart/form-data with exactly one file part (named 'send')"


@dataclass(frozen=True, slots=True)
class ServerOptions:
    """How a server behaves: write protection, limits, and whether GET redirects."""

    read_only: bool = False
    token: str | None = None
    max_body: int = DEFAULT_MAX_BODY
    #: Answer ``GET <object>`` with 303 to ``/download/<uuid>`` instead of the content.
    redirect: bool = False
    #: Run reads on the event loop (cheap, non-blocking repositories only).
    inline_reads: bool = False
    #: Bytes of object replies kept for replay (0: off); needs a repository with ``version()``.
    cache_bytes: int = DEFAULT_CACHE_BYTES


@dataclass(frozen=True, slots=True)
class Context:
    repo: Repository
    options: ServerOptions
    #: Turns for listings (see the module docstring); asyncio binds it to the loop of first use.
    listings: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(LISTING_SLOTS))

    async def read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self.options.inline_reads:
            try:
                with quick_only():
                    return fn(*args, **kwargs)
            except WouldTakeLong:
                pass  # a miss to explain or a large content: again in a worker thread
        return await run_in_threadpool(functools.partial(fn, *args, **kwargs))

    async def write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await run_in_threadpool(functools.partial(fn, *args, **kwargs))


def _bounds(request: Request) -> dict[str, int | None]:
    headers = request.headers
    return {
        "not_before": int_header(headers, "If-Not-Before"),
        "not_after": int_header(headers, "If-Not-After"),
    }


def _etag_matches(request: Request, info: ObjectInfo) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    tags = {t.strip().removeprefix("W/").strip('"') for t in header.split(",")}
    return info.id in tags or "*" in tags


def _object_reply(info: ObjectInfo, body: bytes = b"", *, status: int = 200) -> Reply:
    return Reply(status, {}, body, base=object_headers(info))


# --- objects ----------------------------------------------------------------------------------


async def get_object(ctx: Context, request: Request, rest: str) -> Reply:
    """``GET|HEAD /<path>[/<ts>][/<k>=<v>...][/<uuid>]``: resolve one object."""
    url = parse(rest, max_timestamps=1)
    head = request.method == "HEAD" or ctx.options.redirect
    kwargs: dict[str, Any] = {"uuid": url.uuid, **_bounds(request)}
    info, data, valid_until = await ctx.read(_resolve, ctx.repo, url, kwargs, content=not head)
    until = str(valid_until)
    if _etag_matches(request, info):
        reply = _object_reply(info, status=304)
        reply.headers["Cache-Valid-Until"] = until
        return reply
    if ctx.options.redirect:
        reply = _object_reply(info, status=303)
        reply.headers["Cache-Valid-Until"] = until
        reply.headers["Location"] = info.download_url
        return reply
    reply = _object_reply(info, data)
    reply.headers["Cache-Valid-Until"] = until
    reply.cacheable = url.timestamp is not None  # "now" moves: never replay it
    if request.method == "HEAD":
        reply.length = info.size
    return reply


def _resolve(
    repo: Repository, url: ParsedUrl, bounds: dict[str, Any], *, content: bool
) -> tuple[ObjectInfo, bytes, TimestampMs]:
    """The object (and its content if asked) and its ``Cache-Valid-Until``
    (:meth:`.RepositoryBase.get_until`: for the embedded store, one index lookup unless another
    version could take over; for any other Repository a listing of the newer versions)."""
    if isinstance(repo, RepositoryBase):
        fetched, until = repo.get_until(
            url.path, url.timestamp, url.filters, content=content, **bounds
        )
        return fetched.info, fetched.data, until
    at = now_ms() if url.timestamp is None else url.timestamp
    if content:
        info, data = repo.get(url.path, at, url.filters, **bounds)
    else:
        info, data = repo.info(url.path, at, url.filters, **bounds), b""
    query = Query(
        url.path, at, url.filters, bounds["not_before"], bounds["not_after"], bounds["uuid"]
    )
    return info, data, listed_valid_until(repo, info, query)


async def _single_upload(request: Request) -> UploadFile:
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise InvalidInput(_UPLOAD_HINT)
    try:
        form = await request.form(max_files=8, max_fields=64)
    except InvalidInput:
        raise
    except Exception as err:  # starlette raises its own exception types for bad multipart
        msg = f"{_UPLOAD_HINT}: {err}"
        raise InvalidInput(msg) from err
    files = [v for _, v in form.multi_items() if isinstance(v, UploadFile)]
    if len(files) != 1:
        msg = f"{_UPLOAD_HINT}; got {len(files)} file part(s)"
        raise InvalidInput(msg)
    return files[0]


@dataclass(frozen=True, slots=True)
class _Kept:
    """What a ``POST`` with qcflow's ``Qcflow-Id`` extension asks to keep of a copied version."""

    id: str
    created: TimestampMs
    initial_valid_until: TimestampMs | None
    last_modified: TimestampMs | None


def _kept(request: Request) -> _Kept | None:
    """The identity the upload asks to keep (:func:`.model.restore_headers`), None without the
    extension's headers; InvalidInput when they are malformed or incomplete."""
    headers = request.headers
    named = [
        h for h in (KEEP_CREATED_HEADER, KEEP_INITIAL_HEADER, KEEP_MODIFIED_HEADER) if h in headers
    ]
    given = headers.get(KEEP_ID_HEADER)
    if given is None:
        if named:
            msg = f"header {named[0]} needs {KEEP_ID_HEADER} (the UUID of the version to keep)"
            raise InvalidInput(msg)
        return None
    ident = check_uuid(given.strip(), f"header {KEEP_ID_HEADER}:") or ""
    clock = uuid_time_ms(ident)
    if clock is None:
        msg = f"header {KEEP_ID_HEADER}: {given!r} is not a time-based (version 1) UUID"
        raise InvalidInput(msg)
    created = int_header(headers, KEEP_CREATED_HEADER)
    return _Kept(
        ident,
        clock if created is None else created,
        int_header(headers, KEEP_INITIAL_HEADER),
        int_header(headers, KEEP_MODIFIED_HEADER),
    )


def _restore(repo: Restoring, info: ObjectInfo, data: bytes) -> ObjectInfo:
    stored = repo.restore(info, data)
    if stored is None:
        msg = f"version {info.id} exists already in this QCDB: nothing stored"
        raise VersionExists(msg)
    return stored


async def post_object(ctx: Context, request: Request, rest: str) -> Reply:
    """``POST /<path>/<validFrom>/<validUntil>[/<k>=<v>...]``: store an uploaded file.

    With qcflow's ``Qcflow-Id`` (and ``Qcflow-Created``...) request headers the version keeps
    that UUID and creation time, through the store's ``restore`` (409 if the UUID is taken);
    a repository that cannot restore ignores them, as other CCDB servers do."""
    url = parse(rest, max_timestamps=2)
    if url.uuid:
        msg = f"POST URL {rest!r} must not name a UUID"
        raise InvalidInput(msg)
    kept = _kept(request)
    validity = (url.timestamp, url.valid_until)
    if kept is not None and None in validity:
        msg = f"POST URL {rest!r} with {KEEP_ID_HEADER} needs /<validFrom>/<validUntil>"
        raise InvalidInput(msg)
    part = await _single_upload(request)
    data = await part.read()
    metadata = {**url.filters, **dict(request.query_params.multi_items())}
    content_type = part.content_type or "application/octet-stream"
    if kept is not None and isinstance(ctx.repo, Restoring):
        described = ObjectInfo(
            path=url.path,
            id=kept.id,
            valid_from=url.timestamp or 0,  # both set: checked above
            valid_until=url.valid_until or 0,
            created=kept.created,
            last_modified=kept.last_modified or kept.created,
            content_type=content_type,
            file_name=part.filename or url.path.rsplit("/", 1)[-1],
            metadata=metadata,
            initial_valid_until=kept.initial_valid_until,
        )
        info = await ctx.write(_restore, ctx.repo, described, data)
    else:
        info = await ctx.write(
            ctx.repo.store,
            url.path,
            data,
            valid_from=url.timestamp,
            valid_until=url.valid_until,
            metadata=metadata,
            content_type=content_type,
            file_name=part.filename,
            adjust_eov=False,  # a CCDB server leaves adjustableEOV to its clients
        )
    reply = _object_reply(info, status=201)
    reply.headers["Location"] = build(info.path, (info.valid_from,), ident=info.id)
    return reply


def _require_timestamp(url: ParsedUrl, rest: str, method: str) -> int:
    if url.timestamp is None:
        msg = f"{method} URL {rest!r} needs a timestamp after the path"
        raise InvalidInput(msg)
    return url.timestamp


async def put_object(ctx: Context, request: Request, rest: str) -> Reply:
    """``PUT /<path>/<ts>[/<newValidUntil>][/<uuid>]?k=v``: change metadata or validity end."""
    url = parse(rest, max_timestamps=2)
    at = _require_timestamp(url, rest, "PUT")
    changed = await ctx.write(
        ctx.repo.update,
        url.path,
        at,
        uuid=url.uuid,
        filters=url.filters,
        metadata=dict(request.query_params.multi_items()),
        valid_until=url.valid_until,
    )
    return Reply(204 if changed else 304)


async def delete_object(ctx: Context, request: Request, rest: str) -> Reply:
    """``DELETE /<path>/<ts>[/<uuid>]``: delete the one resolved object."""
    url = parse(rest, max_timestamps=1)
    info = await ctx.write(
        ctx.repo.delete, url.path, url.timestamp, uuid=url.uuid, filters=url.filters
    )
    return Reply(204, {"ETag": f'"{info.id}"'})


async def move_object(ctx: Context, request: Request, rest: str) -> Reply:
    """``MOVE /<path>/<validFrom>/<uuid>`` with ``Destination: <new path>``."""
    url = parse(rest, max_timestamps=1)
    at = _require_timestamp(url, rest, "MOVE")
    destination = request.headers.get("destination", "")
    if "://" in destination:
        destination = "/" + destination.split("://", 1)[1].partition("/")[2]
    if not url.uuid or not destination.strip("/"):
        msg = "MOVE needs /<path>/<validFrom>/<uuid> and a Destination header"
        raise InvalidInput(msg)
    target = parse(destination, max_timestamps=0).path
    info = await ctx.write(ctx.repo.move, url.path, at, uuid=url.uuid, destination=target)
    return _object_reply(info, status=200)


# --- other endpoints --------------------------------------------------------------------------


async def download(ctx: Context, request: Request, rest: str) -> Reply:
    """``GET|HEAD /download/<uuid>``: the content, with ``Range`` support."""
    try:
        ident = str(uuidlib.UUID(rest.strip("/")))
    except ValueError as err:
        msg = f"/download/{rest}: not a UUID"
        raise InvalidInput(msg) from err
    info, data = await ctx.read(ctx.repo.download, ident)
    if _etag_matches(request, info):
        return _object_reply(info, status=304)
    reply = _object_reply(info, data)
    reply.cacheable = True  # by id: only a change of the store changes it
    reply.headers["Accept-Ranges"] = "bytes"
    span = parse_range(request.headers.get("range"), len(data))
    if span is not None:
        first, last = span
        reply.status, reply.body = 206, data[first : last + 1]
        reply.headers["Content-Range"] = f"bytes {first}-{last}/{len(data)}"
    if request.method == "HEAD":
        reply.length, reply.body = len(reply.body), b""
    return reply


async def listing(ctx: Context, request: Request, rest: str, *, latest: bool) -> Reply:
    """``GET /browse/<pattern>...`` and ``GET /latest/<pattern>...`` in four formats.

    Always in a worker thread, whatever the repository: a pattern is matched against every path
    under its literal prefix and a listing may be long, so this is never done on the event loop.
    """
    fmt = negotiate(request.query_params.get("Accept") or request.headers.get("accept"))
    fields = [f.strip() for f in request.headers.get("x-filter-fields", "").split(",") if f.strip()]
    limit = None if latest else int_header(request.headers, "Browse-Limit", check_count)
    bounds = _bounds(request)

    def build_listing() -> bytes:
        url = parse(rest, pattern=True, max_timestamps=1) if rest.strip("/") else ParsedUrl(".*")
        kwargs: dict[str, Any] = {"timestamp": url.timestamp, **bounds}
        if latest:
            found = ctx.repo.latest(url.path, url.filters, **kwargs)
        else:
            found = ctx.repo.browse(url.path, url.filters, limit=limit, **kwargs)
        folders = [] if is_pattern(url.path) else ctx.repo.subfolders(url.path)
        return render(found, folders, fmt, fields=fields)

    async with ctx.listings:
        body = await run_in_threadpool(build_listing)
    return Reply(200, {"Content-Type": FORMATS[fmt], "Cache-Control": "no-cache"}, body)


async def truncate(ctx: Context, request: Request, rest: str) -> Reply:
    """``GET /truncate/<pattern>``: delete every match; ``Deleted: N objects``."""
    url = parse(rest, pattern=True, max_timestamps=0)
    count = await ctx.write(ctx.repo.truncate, url.path)
    return Reply(204 if count else 304, {"Deleted": f"{count} objects"})
