"""The CCDB client: the Repository protocol over HTTP, against qcflow's server or ALICE's CCDB.

``HttpRepository("ccdb-test.cern.ch:8080")`` or ``HttpRepository("http://a:8080,http://b:8080")``:
several comma-separated servers are tried in order (fail-over); a connection error moves on to
the next server, and whole rounds are retried with exponential backoff before
:class:`~qcflow.qcdb.errors.QcdbUnavailable` says which servers failed and how. Requests that
may already have reached a server (a ``POST`` that timed out while reading) are not repeated.

Object ``GET`` answered with ``303 See Other`` (the CCDB's redirect to ``/download/<uuid>`` or a
replica) is followed by hand to the first HTTP replica (``Location``, then ``Content-Location``;
``alien://`` ones are skipped), keeping the object headers of the 303. Object reads
(``GET``/``HEAD`` of one object, the hot path: a trend reads thousands) go over pooled
keep-alive ``http.client`` connections on plain ``http://`` servers without a proxy
(:mod:`~qcflow.qcdb.plainget`: a third of httpx's CPU per request); everything else goes
through one pooled ``httpx.Client``. Both are shared by all threads, so
:func:`~qcflow.qcdb.repository.fetch_many` fetches concurrently. Writes send
``Authorization: Bearer <token>`` when a token is given or ``$QCFLOW_QCDB_TOKEN`` is set.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from qcflow import __version__
from qcflow._types import ObjectPath, TimestampMs
from qcflow.errors import InvalidInput, QcflowError
from qcflow.qcdb.base import RepositoryBase, checked_copy
from qcflow.qcdb.errors import (
    AccessDenied,
    ObjectNotFound,
    PayloadTooLarge,
    QcdbUnavailable,
    VersionExists,
)
from qcflow.qcdb.model import (
    ObjectInfo,
    from_headers,
    from_listing_entry,
    order_key,
    restore_headers,
)
from qcflow.qcdb.plainget import TRANSPORT_ERRORS, ConnectError, PlainAnswer, PlainGet, usable
from qcflow.qcdb.query import Query
from qcflow.qcdb.repository import Fetched
from qcflow.qcdb.urls import build

__all__ = ["HttpRepository", "server_urls"]

R = TypeVar("R")

#: A host name, IPv4 or (bracket-less, as urlsplit gives it) IPv6 address.
_HOST = re.compile(r"[A-Za-z0-9_.-]+|[0-9A-Fa-f:.]+")
_REDIRECTS = (301, 302, 303, 307, 308)
_UNAVAILABLE = (502, 503, 504)
_MAX_BACKOFF = 5.0
#: Environment variable holding the token for writes (``Authorization: Bearer``).
TOKEN_ENV = "QCFLOW_QCDB_TOKEN"  # noqa: S105 -- the variable's name, not a secret
#: Transport errors after which the request surely did not reach the server.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, ConnectError)


def _server_url(item: str) -> str:
    """One ``host:port`` or URL as ``http(s)://host:port[/prefix]``; InvalidInput if malformed."""
    url = item if "://" in item else f"http://{item}"
    problem = ""
    try:
        parsed = urlsplit(url)
        port = parsed.port  # ValueError: not a number or outside 0-65535
        httpx.URL(url)
    except (ValueError, httpx.InvalidURL) as err:
        problem = f": {err}"
    else:
        if (
            parsed.scheme in ("http", "https")
            and _HOST.fullmatch(parsed.hostname or "")
            and port != 0
        ):
            return url.rstrip("/")
    msg = f"QCDB server {item!r} is not host:port or an http(s):// URL{problem}"
    raise InvalidInput(msg)


def server_urls(servers: str | Sequence[str]) -> list[str]:
    """Normalise ``host:port`` / URLs (comma-separated or a list) to ``http(s)://host:port``."""
    items = servers.split(",") if isinstance(servers, str) else list(servers)
    urls = [_server_url(item) for item in (s.strip() for s in items) if item]
    if not urls:
        msg = f"no QCDB server in {servers!r}"
        raise InvalidInput(msg)
    return urls


def _headers_of(response: httpx.Response) -> list[tuple[str, str]]:
    # The raw items keep the case of metadata keys (``RunNumber``); values are UTF-8.
    return [(k.decode("latin-1"), v.decode("utf-8", "replace")) for k, v in response.headers.raw]


def _reason(response: httpx.Response) -> str:
    return _first_line(response.text, response.status_code)


def _first_line(text: str, status: int) -> str:
    lines = text.strip().splitlines()
    return lines[0] if lines else f"HTTP {status}"


def _replica(headers: list[tuple[str, str]], info: ObjectInfo) -> str:
    """Where a redirect's content can be fetched over HTTP: ``Location``, then each
    ``Content-Location`` (the CCDB lists ``alien://`` and ``file://`` replicas there too)."""
    named = [(k.lower(), v) for k, v in headers]
    candidates = [v for k, v in named if k == "location"] + [
        part for k, v in named if k == "content-location" for part in v.split(",")
    ]
    for url in (c.strip() for c in candidates):
        if url.startswith(("/", "http://", "https://")):
            return url
    return info.download_url


class HttpRepository(RepositoryBase):
    """A Repository on one or more CCDB servers (fail-over in the given order)."""

    def __init__(
        self,
        servers: str | Sequence[str],
        *,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.2,
        token: str | None = None,
        max_connections: int = 32,
    ) -> None:
        self.servers = server_urls(servers)
        self.url = ",".join(self.servers)
        self.retries = retries
        self.backoff = backoff
        headers = {"User-Agent": f"qcflow/{__version__}"}
        token = token or os.environ.get(TOKEN_ENV)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            headers=headers,
            follow_redirects=False,
        )
        self._preferred = 0
        # Object reads: http.client over keep-alive connections where httpx is not needed.
        self._plain = {
            server: PlainGet(
                server, timeout=timeout, connect_timeout=min(timeout, 5.0), headers=headers
            )
            for server in self.servers
            if usable(server)
        }

    def __repr__(self) -> str:
        return f"HttpRepository({self.url!r})"

    def close(self) -> None:
        self._http.close()
        for plain in self._plain.values():
            plain.close()

    # --- transport ------------------------------------------------------------------------

    def _request(self, method: str, target: str, **kwargs: Any) -> httpx.Response:
        """Send with httpx to the first server that answers (see :meth:`_failover`)."""

        def send(server: str) -> httpx.Response:
            url = target if "://" in target else server + target
            return self._http.request(method, url, **kwargs)

        return self._failover(method, send, lambda response: response.status_code)

    def _read(self, method: str, target: str, headers: dict[str, str]) -> PlainAnswer:
        """``GET``/``HEAD`` of one object: over :mod:`.plainget` where the server allows it."""

        def send(server: str) -> PlainAnswer:
            plain = self._plain.get(server)
            if plain is not None:
                return plain.request(method, target, headers)
            response = self._http.request(method, server + target, headers=headers)
            return PlainAnswer(response.status_code, _headers_of(response), response.content)

        return self._failover(method, send, lambda answer: answer.status)

    def _failover(self, method: str, send: Callable[[str], R], status: Callable[[R], int]) -> R:
        """``send`` to the first server that answers; retry rounds with backoff; fail clearly."""
        failures: list[str] = []
        order = self.servers[self._preferred :] + self.servers[: self._preferred]
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(min(self.backoff * 2 ** (attempt - 1), _MAX_BACKOFF))
            for server in order:
                try:
                    response = send(server)
                except (httpx.TransportError, *TRANSPORT_ERRORS) as err:
                    failures.append(f"{server}: {type(err).__name__}: {err}")
                    if method == "POST" and not isinstance(err, _NOT_SENT):
                        raise self._unavailable(failures, attempt + 1) from err
                    continue
                if status(response) in _UNAVAILABLE:
                    failures.append(f"{server}: HTTP {status(response)}")
                    continue
                self._preferred = self.servers.index(server)
                return response
        raise self._unavailable(failures, self.retries + 1)

    def _unavailable(self, failures: list[str], attempts: int) -> QcdbUnavailable:
        last = failures[-1] if failures else "no answer"
        msg = f"cannot reach the QCDB at {self.url} after {attempts} attempt(s); last error: {last}"
        return QcdbUnavailable(msg)

    def _check(self, response: httpx.Response, query: Query, *ok: int) -> httpx.Response:
        """Return ``response`` if its status is in ``ok``; raise the matching error otherwise."""
        status = response.status_code
        if status not in ok:
            method = response.request.method
            reason = _reason(response) if method != "HEAD" else f"HTTP {status}"
            self._refuse(status, f"{method} {response.request.url}", reason, query)
        return response

    def _refuse(self, status: int, where: str, reason: str, query: Query) -> None:
        """Raise the error an unexpected ``status`` means (``reason``: the answer's first line)."""
        if status == 404:
            if reason.startswith("no object matches"):  # qcflow's server: already complete
                raise ObjectNotFound(query, message=f"{reason} (at {self.url})")
            raise ObjectNotFound(query, [f"{self.url} said: {reason}"])
        msg = f"{where}: {reason}"
        if status == 413:
            raise PayloadTooLarge(msg)
        if status == 409:
            raise VersionExists(msg)
        if status in (401, 403):
            raise AccessDenied(msg, status=status)
        if 400 <= status < 500:
            raise InvalidInput(msg)
        msg = f"{where}: unexpected HTTP {status}: {reason}"
        raise QcflowError(msg)

    @staticmethod
    def _bound_headers(query: Query) -> dict[str, str]:
        headers = {}
        if query.not_before is not None:
            headers["If-Not-Before"] = str(query.not_before)
        if query.not_after is not None:
            headers["If-Not-After"] = str(query.not_after)
        return headers

    # --- primitives -----------------------------------------------------------------------

    def _store(
        self,
        path: ObjectPath,
        data: bytes,
        validity: tuple[TimestampMs, TimestampMs],
        metadata: dict[str, str],
        content_type: str,
        file_name: str,
        headers: dict[str, str] | None = None,
    ) -> ObjectInfo:
        target = build(path, validity, metadata)
        files = {"send": (file_name, data, content_type)}
        response = self._request("POST", target, files=files, headers=headers)
        self._check(response, Query(path, validity[0], metadata), 200, 201)
        try:
            return dataclasses.replace(from_headers(path, _headers_of(response)), size=len(data))
        except InvalidInput:  # a server that sends only Location: ask for the object itself
            ident = response.headers.get("content-location", "").rsplit("/", 1)[-1]
            return self._get(Query(path, validity[0], uuid=ident or None), content=False).info

    def restore(self, info: ObjectInfo, data: bytes) -> ObjectInfo | None:
        """Upload ``data`` as the version ``info`` describes, asking the server to keep its UUID,
        creation time and initial end of validity (qcflow's ``Qcflow-Id`` extension, see
        :func:`.model.restore_headers`); None when the server has a version with this UUID
        (409). A server without the extension (ALICE's CCDB) ignores the request headers and
        stores a new version: the returned id and creation time then differ from ``info``'s."""
        info = checked_copy(info)
        validity = (info.valid_from, info.valid_until)
        name = info.file_name or info.path.rsplit("/", 1)[-1]
        try:
            return self._store(
                info.path,
                data,
                validity,
                info.metadata,
                info.content_type or "application/octet-stream",
                name,
                restore_headers(info),
            )
        except VersionExists:
            return None

    def _get(self, query: Query, *, content: bool) -> Fetched:
        target = build(
            query.path,
            (query.timestamp,) if query.timestamp is not None else (),
            query.filters,
            query.uuid,
        )
        method = "GET" if content else "HEAD"
        answer = self._read(method, target, self._bound_headers(query))
        status = answer.status
        if status != 200 and status not in _REDIRECTS:
            text = answer.content.decode("utf-8", "replace") if content else ""
            where = f"{method} {self.servers[self._preferred]}{target}"
            self._refuse(status, where, _first_line(text, status), query)
        info = from_headers(query.path, answer.headers)
        if status in _REDIRECTS:
            return self._follow(answer.headers, info, content=content)
        return Fetched(info, answer.content if content else b"")

    def _follow(
        self, headers: list[tuple[str, str]], info: ObjectInfo, *, content: bool
    ) -> Fetched:
        reply = self._request("GET" if content else "HEAD", _replica(headers, info))
        self._check(reply, Query(info.path, uuid=info.id), 200)
        size = len(reply.content) if content else int(reply.headers.get("content-length", 0))
        info = dataclasses.replace(info, size=size)
        return Fetched(info, reply.content if content else b"")

    def _download(self, uuid: str) -> Fetched:
        response = self._request("GET", f"/download/{uuid}")
        self._check(response, Query("download", uuid=uuid), 200)
        return Fetched(from_headers("", _headers_of(response)), response.content)

    def _list(self, query: Query, *, latest: bool, limit: int | None) -> list[ObjectInfo]:
        stamps = (query.timestamp,) if query.timestamp is not None else ()
        target = ("/latest" if latest else "/browse") + build(query.path, stamps, query.filters)
        headers = {"Accept": "application/json", **self._bound_headers(query)}
        if limit is not None:
            headers["Browse-Limit"] = str(limit)
        listing = self._listing(target, headers, query)
        found = [from_listing_entry(e) for e in listing.get("objects", [])]
        if latest:
            return sorted(found, key=lambda i: i.path)
        return sorted(found, key=order_key, reverse=True)[:limit]

    def _listing(self, target: str, headers: dict[str, str], query: Query) -> dict[str, Any]:
        response = self._check(self._request("GET", target, headers=headers), query, 200)
        try:
            listing = json.loads(response.content)
        except ValueError as err:
            msg = f"GET {target}: the server's listing is not JSON: {response.text[:80]!r}"
            raise QcflowError(msg) from err
        if not isinstance(listing, dict):
            msg = f"GET {target}: unexpected listing {response.text[:80]!r}"
            raise QcflowError(msg)
        return listing

    def _subfolders(self, path: ObjectPath) -> list[str]:
        target = "/browse" + (build(path) if path else "/")
        headers = {"Accept": "application/json", "Browse-Limit": "1"}
        listing = self._listing(target, headers, Query(path or "/"))
        return sorted(str(f).strip("/") for f in listing.get("subfolders", []))

    def _update(
        self, query: Query, metadata: dict[str, str], valid_until: TimestampMs | None
    ) -> bool:
        assert query.timestamp is not None
        stamps = (query.timestamp,) if valid_until is None else (query.timestamp, valid_until)
        target = build(query.path, stamps, query.filters, query.uuid)
        response = self._request("PUT", target, params=metadata)
        return self._check(response, query, 204, 304, 200).status_code != 304

    def _delete(self, query: Query) -> ObjectInfo:
        info = self._get(query, content=False).info
        assert query.timestamp is not None
        target = build(query.path, (query.timestamp,), query.filters, info.id)
        self._check(self._request("DELETE", target), query, 200, 204)
        return info

    def _move(self, query: Query, destination: ObjectPath) -> ObjectInfo:
        assert query.timestamp is not None
        target = build(query.path, (query.timestamp,), ident=query.uuid)
        response = self._request("MOVE", target, headers={"Destination": "/" + destination})
        self._check(response, query, 200, 201, 204)
        return self._download_info(query.uuid or "")

    def _download_info(self, uuid: str) -> ObjectInfo:
        response = self._request("HEAD", f"/download/{uuid}")
        self._check(response, Query("download", uuid=uuid), 200)
        return from_headers("", _headers_of(response))

    def _truncate(self, pattern: ObjectPath) -> int:
        response = self._request("GET", "/truncate" + build(pattern))
        self._check(response, Query(pattern), 200, 204, 304)
        if response.status_code == 304:
            return 0
        deleted = response.headers.get("deleted", "0").split()[0]
        return int(deleted) if deleted.isdigit() else 0
