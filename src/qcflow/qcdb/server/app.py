"""The ASGI application: dispatch on the URL's first element, errors to statuses, guards.

:func:`create_app` wraps any :class:`~qcflow.qcdb.repository.Repository` into a CCDB server::

    /browse/...  /latest/...  /download/<uuid>  /truncate/...  /openapi.json  /<object path>...

The URL path is taken raw (``raw_path``) and split before percent-decoding, as the CCDB grammar
requires. Every :class:`~qcflow.errors.QcflowError` becomes a one-line ``text/plain`` reply with
the status :func:`~qcflow.qcdb.errors.http_status` gives it; anything else is a 500 whose
traceback goes to the server log, never to the client.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Hashable

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from qcflow.errors import QcflowError
from qcflow.qcdb.repository import Repository
from qcflow.qcdb.server import routes
from qcflow.qcdb.server.cache import ResponseCache
from qcflow.qcdb.server.guards import BodyLimit, WriteGuard, send_reply
from qcflow.qcdb.server.http import Reply, error_reply, split_target
from qcflow.qcdb.server.openapi import openapi

__all__ = ["QcdbApp", "create_app"]

log = logging.getLogger("qcflow.qcdb.server")
Handler = Callable[[routes.Context, Request, str], Awaitable[Reply]]
#: Request headers that make an answer depend on more than the URL: never replayed.
_CONDITIONAL = frozenset({b"if-none-match", b"if-not-before", b"if-not-after", b"range"})

_OBJECT_HANDLERS: dict[str, Handler] = {
    "GET": routes.get_object,
    "HEAD": routes.get_object,
    "POST": routes.post_object,
    "PUT": routes.put_object,
    "DELETE": routes.delete_object,
    "MOVE": routes.move_object,
}


async def _browse(ctx: routes.Context, request: Request, rest: str) -> Reply:
    return await routes.listing(ctx, request, rest, latest=False)


async def _latest(ctx: routes.Context, request: Request, rest: str) -> Reply:
    return await routes.listing(ctx, request, rest, latest=True)


#: Endpoints under a reserved first element: name -> (handler, methods it answers).
_ENDPOINTS: dict[str, tuple[Handler, frozenset[str]]] = {
    "browse": (_browse, frozenset({"GET", "HEAD"})),
    "latest": (_latest, frozenset({"GET", "HEAD"})),
    "download": (routes.download, frozenset({"GET", "HEAD"})),
    "truncate": (routes.truncate, frozenset({"GET", "DELETE"})),
}


def _method_not_allowed(method: str, allowed: str) -> Reply:
    body = f"method {method} is not allowed here; allowed: {allowed}\n".encode()
    return Reply(405, {"Allow": allowed, "Content-Type": "text/plain; charset=utf-8"}, body)


class QcdbApp:
    """The bare CCDB application (no guards); see :func:`create_app`."""

    def __init__(self, repo: Repository, options: routes.ServerOptions) -> None:
        self.ctx = routes.Context(repo, options)
        version = getattr(repo, "version", None)
        self._version: Callable[[], Hashable] | None = version if callable(version) else None
        enabled = options.cache_bytes > 0 and self._version is not None
        self.cache = ResponseCache(options.cache_bytes) if enabled else None
        self._openapi = json.dumps(openapi()).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        key, version = self._cache_key(scope)
        if version is not None and self.cache is not None:
            cached = self.cache.get(key, version)
            if cached is not None:
                await send_reply(send, cached, head=scope["method"] == "HEAD")
                return
        reply = await self._reply(Request(scope, receive))
        if version is not None and self.cache is not None and reply.cacheable:
            self.cache.put(key, version, reply)
        await send_reply(send, reply, head=scope["method"] == "HEAD")

    def _cache_key(self, scope: Scope) -> tuple[Hashable, Hashable | None]:
        """The replay-cache key and the store's version, or no version when not cacheable."""
        if self.cache is None or self._version is None or scope["method"] not in ("GET", "HEAD"):
            return None, None
        if any(name in _CONDITIONAL for name, _ in scope["headers"]):
            return None, None
        return (scope["method"], scope.get("raw_path"), scope["query_string"]), self._version()

    async def _reply(self, request: Request) -> Reply:
        try:
            return await self.dispatch(request)
        except QcflowError as err:
            return error_reply(err)
        except Exception as err:  # a bug of ours: log it, tell the client one line
            log.exception("internal error on %s %s", request.method, request.url.path)
            body = f"internal server error: {type(err).__name__}\n".encode()
            return Reply(500, {"Content-Type": "text/plain; charset=utf-8"}, body)

    async def dispatch(self, request: Request) -> Reply:  # noqa: PLR0911 -- a routing table
        method = request.method
        path, first, rest = split_target(request.scope)
        if method == "OPTIONS":
            return Reply(200, {"Allow": routes.ALLOW, "Access-Control-Allow-Methods": routes.ALLOW})
        if first in _ENDPOINTS:
            handler, methods = _ENDPOINTS[first]
            if method not in methods:
                return _method_not_allowed(method, ", ".join(sorted(methods)))
            return await handler(self.ctx, request, rest)
        if first == "openapi.json" and not rest:
            return Reply(200, {"Content-Type": "application/json"}, self._openapi)
        if not first:
            text = f"qcflow QCDB over {self.ctx.repo.url}; API description: /openapi.json\n"
            return Reply(200, {"Content-Type": "text/plain; charset=utf-8"}, text.encode())
        object_handler = _OBJECT_HANDLERS.get(method)
        if object_handler is None:
            return _method_not_allowed(method, routes.ALLOW)
        return await object_handler(self.ctx, request, path)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def create_app(
    repo: Repository,
    *,
    read_only: bool = False,
    token: str | None = None,
    max_body: int = routes.DEFAULT_MAX_BODY,
    redirect: bool = False,
    inline_reads: bool | None = None,
    cache_bytes: int = routes.DEFAULT_CACHE_BYTES,
) -> ASGIApp:
    """A CCDB-compatible ASGI app over ``repo``.

    ``inline_reads`` defaults to True for the embedded store (whose reads never wait on locks).
    """
    if inline_reads is None:
        from qcflow.qcdb.local import LocalRepository

        inline_reads = isinstance(repo, LocalRepository)
    options = routes.ServerOptions(read_only, token, max_body, redirect, inline_reads, cache_bytes)
    app: ASGIApp = QcdbApp(repo, options)
    app = WriteGuard(app, read_only=read_only, token=token)
    return BodyLimit(app, max_body=max_body)
