"""ASGI middleware guarding the server: write protection (read-only, token) and body size.

- :class:`WriteGuard` refuses write requests (``POST``, ``PUT``, ``DELETE``, ``MOVE`` and
  ``GET /truncate/...``) on a read-only server (403), and, when a token is set, those without
  ``Authorization: Bearer <token>`` (401) or with another token (403). Reads stay open.
- :class:`BodyLimit` refuses bodies over a size limit: at once from ``Content-Length`` (413),
  or, for chunked uploads, as soon as the counted bytes pass the limit -- nothing is stored.
"""

from __future__ import annotations

import hmac

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qcflow.qcdb.errors import AccessDenied, PayloadTooLarge
from qcflow.qcdb.server.http import Reply, date_header, error_reply, split_target

__all__ = ["BodyLimit", "WriteGuard", "is_write", "send_reply"]

_WRITE_METHODS = frozenset({"POST", "PUT", "DELETE", "MOVE", "PATCH"})


def is_write(scope: Scope) -> bool:
    """True for requests that change the store (``/truncate`` read exactly as the router does)."""
    return scope["method"] in _WRITE_METHODS or split_target(scope)[1] == "truncate"


async def send_reply(send: Send, reply: Reply, *, head: bool = False) -> None:
    """Send ``reply`` as two ASGI messages (no body for HEAD), with today's ``Date``."""
    headers = [*reply.raw_headers(), date_header()]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else reply.body})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


class WriteGuard:
    """Refuse writes on a read-only server or without the right token."""

    def __init__(self, app: ASGIApp, *, read_only: bool = False, token: str | None = None) -> None:
        self.app = app
        self.read_only = read_only
        self.token = token

    def _refusal(self, scope: Scope) -> AccessDenied | None:
        if self.read_only:
            return AccessDenied("this QCDB server is read-only", status=403)
        if self.token is None:
            return None
        given = _header(scope, b"authorization") or ""
        if not given.lower().startswith("bearer "):
            return AccessDenied("writing needs 'Authorization: Bearer <token>'", status=401)
        if not hmac.compare_digest(given[7:].strip().encode(), self.token.encode()):
            return AccessDenied("wrong token for writing", status=403)
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_write(scope):
            refusal = self._refusal(scope)
            if refusal is not None:
                await send_reply(send, error_reply(refusal))
                return
        await self.app(scope, receive, send)


class BodyLimit:
    """Refuse request bodies over ``max_body`` bytes."""

    def __init__(self, app: ASGIApp, *, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    def _too_large(self, size: int) -> PayloadTooLarge:
        return PayloadTooLarge(f"request body of {size} bytes is over the limit of {self.max_body}")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared and declared.isdigit() and int(declared) > self.max_body:
            await send_reply(send, error_reply(self._too_large(int(declared))))
            return
        if scope["method"] in ("GET", "HEAD", "OPTIONS") and not declared:
            await self.app(scope, receive, send)  # no body to count
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body:
                raise self._too_large(received)
            return message

        await self.app(scope, counting_receive, send)
