"""The UI's starlette application: the single-page app, its static files, JSROOT and the API.

URLs (all under ``/ui``; stable, for logbooks -- docs/ui.md):

- pages (one ``index.html``; the page reads the URL): ``/ui/`` (tree),
  ``/ui/folder/<path>``, ``/ui/object/<QCDB path>?<filters>&at=<ms>&id=<uuid>``,
  ``/ui/matrix?period=P&pass=A``, ``/ui/layout/<key>?tab=N``, ``/ui/search?q=Q``;
- ``/ui/static/...``: the front end; ``/ui/static/jsroot/...``: JSROOT, fetched at build time
  (``make jsroot``), served from the package: no CDN, works offline;
- ``/ui/api/...``: :mod:`qcflow.ui.api`.

Errors of the API are one line of JSON (``{"error": ...}``) with the status
:func:`~qcflow.qcdb.errors.http_status` gives. Writes (layouts) are refused on a read-only UI
(403) and, when a token is set, without ``Authorization: Bearer <token>`` (401/403). No CORS
headers are sent: other origins cannot read the API.

:func:`mount` puts the UI in front of another ASGI app (``qcflow qcdb serve --ui``): requests
under ``/ui`` go to the UI, everything else to the CCDB server.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from qcflow.errors import QcflowError, first_line
from qcflow.qcdb.errors import AccessDenied, http_status
from qcflow.qcdb.repository import Repository
from qcflow.ui.api import Api, ApiOptions

__all__ = ["JSROOT_DIR", "STATIC_DIR", "UiMount", "create_ui_app", "jsroot_missing", "mount"]

log = logging.getLogger("qcflow.ui")
STATIC_DIR = Path(__file__).resolve().parent / "static"
JSROOT_DIR = STATIC_DIR / "jsroot"
Endpoint = Callable[[Request], Awaitable[Response]]


def jsroot_missing() -> str | None:
    """Why JSROOT cannot be served (a sentence), or None when it is in place."""
    if (JSROOT_DIR / "modules" / "main.mjs").is_file():
        return None
    return (
        f"JSROOT is missing from {JSROOT_DIR}: run 'make jsroot' in the qcflow checkout "
        "(npm pack jsroot); ROOT objects will not be drawn"
    )


def _guarded(endpoint: Endpoint, options: ApiOptions, *, write: bool = False) -> Endpoint:
    """``endpoint`` with QCDB errors as one-line JSON and, for writes, the write check."""

    async def handler(request: Request) -> Response:
        try:
            if write:
                _check_write(request, options)
            return await endpoint(request)
        except QcflowError as err:
            return JSONResponse({"error": first_line(err)}, status_code=http_status(err))
        except Exception as err:  # a bug of ours: log it, tell the page one line
            log.exception("internal error on %s %s", request.method, request.url.path)
            return JSONResponse({"error": f"internal error: {type(err).__name__}"}, 500)

    return handler


def _check_write(request: Request, options: ApiOptions) -> None:
    if options.read_only:
        msg = "this UI is read-only: start it with --token (or --writable) to edit layouts"
        raise AccessDenied(msg, status=403)
    if options.token is None:
        return
    given = request.headers.get("authorization", "")
    if not given.lower().startswith("bearer "):
        msg = "editing layouts needs the write token"
        raise AccessDenied(msg, status=401)
    if not hmac.compare_digest(given[7:].strip().encode(), options.token.encode()):
        msg = "wrong write token"
        raise AccessDenied(msg, status=403)


def _index(request: Request) -> Response:
    return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


async def _page(request: Request) -> Response:
    return _index(request)


async def _to_ui(request: Request) -> Response:
    return RedirectResponse("/ui/", status_code=307)


def create_ui_app(repo: Repository, options: ApiOptions | None = None) -> ASGIApp:
    """The UI over ``repo``, answering ``/`` (a redirect) and everything under ``/ui``."""
    options = options or ApiOptions()
    api = Api(repo, options)

    def read(path: str, endpoint: Endpoint) -> Route:
        return Route(path, _guarded(endpoint, options), methods=["GET", "HEAD"])

    api_routes = [
        read("/info", api.info),
        read("/tree", api.tree),
        read("/count", api.count),
        read("/search", api.search),
        read("/versions", api.versions),
        read("/object", api.object),
        read("/download/{ident}", api.download),
        read("/runs", api.runs),
        read("/matrix", api.matrix),
        read("/layouts", api.layout_list),
        read("/layouts/{key}", api.layout_get),
        Route("/layouts", _guarded(api.layout_put, options, write=True), methods=["POST"]),
        Route(
            "/layouts/{key}", _guarded(api.layout_delete, options, write=True), methods=["DELETE"]
        ),
    ]
    routes = [
        Route("/", _to_ui),
        Route("/ui", _to_ui),
        Mount("/ui/api", routes=api_routes),
        Mount("/ui/static", app=StaticFiles(directory=STATIC_DIR, check_dir=False)),
        Route("/ui/{rest:path}", _page),
    ]
    return Starlette(routes=routes)


class UiMount:
    """Requests under ``/ui`` to the UI, the rest to ``other`` (the CCDB server)."""

    def __init__(self, ui: ASGIApp, other: ASGIApp) -> None:
        self.ui = ui
        self.other = other

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            if path == "/ui" or path.startswith("/ui/"):
                await self.ui(scope, receive, send)
                return
        await self.other(scope, receive, send)


def mount(repo: Repository, other: ASGIApp, options: ApiOptions) -> ASGIApp:
    """``other`` with the UI over ``repo`` answering under ``/ui``."""
    return UiMount(create_ui_app(repo, options), other)
