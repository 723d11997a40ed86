"""Response header names on the wire exactly as the app spells them, whichever uvicorn protocol.

HTTP header names are case-insensitive, but O2's C++ CCDB client fills a
``std::map<std::string, std::string>`` from the raw header lines and looks names up exactly
(``ETag``, ``Valid-From``, ``Created``, ``Location``, ``RunNumber``...). A server that sends
``etag`` or ``runnumber`` breaks it silently (no activity on retrieved objects, every quality
"missing", no 304s, lost redirects).

uvicorn's two HTTP/1.1 implementations differ here: the h11 one writes the names the ASGI app
gives (h11 keeps each name's raw spelling), the httptools one lower-cases every name before
writing the header block. :class:`CaseKeepingHttpToolsProtocol` is uvicorn's httptools protocol
with one addition: each connection's transport puts the app's spelling back into the header
block, at the start of the line uvicorn made of each of the app's headers (where a line does not
look as expected, it stays as uvicorn wrote it: a uvicorn that writes headers differently
degrades to lower case, never to wrong headers; ``test_wire.py`` would fail).

The same transport also sends each response's header block together with the first piece of
its body (uvicorn writes them separately): one ``send`` and one TCP segment per small answer
instead of two, so the client wakes once per object it reads (a trend reads thousands). The
block is held only until the body's first write, the end of the response (a ``HEAD``, a
``304``: no body to write) or the connection's close, whichever comes first.

:func:`http_protocol` is what ``qcflow qcdb serve`` and the tests hand to uvicorn: this class when
httptools is installed (fast), else ``"h11"`` (correct as it is).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any, cast

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "CaseKeepingHttpToolsProtocol",
    "http_protocol",
    "restore",
    "restore_names",
    "uvicorn_options",
]


def restore_names(block: bytes, names: list[bytes]) -> bytes:
    """``block`` (a status line and header lines) with the ``i``-th header line's name replaced
    by ``names[i]`` where that line's name is ``names[i]`` lower-cased; other lines unchanged."""
    lines = block.split(b"\r\n")
    for index, name in enumerate(names, start=1):
        if index >= len(lines):
            break
        written, colon, value = lines[index].partition(b":")
        if colon and written != name and written == name.lower():
            lines[index] = name + colon + value
    return b"\r\n".join(lines)


@functools.lru_cache(maxsize=4096)
def _replacements(names: tuple[bytes, ...]) -> tuple[tuple[bytes, bytes], ...] | None:
    """``(b"\\r\\nname:", b"\\r\\nName:")`` for each name that is not lower case; None when two
    names are equal but for case (then only the line-by-line :func:`restore_names` is exact)."""
    lowered = [name.lower() for name in names]
    if len(set(lowered)) != len(lowered):
        return None
    return tuple(
        (b"\r\n" + low + b":", b"\r\n" + name + b":")
        for name, low in zip(names, lowered, strict=True)
        if name != low
    )


def restore(block: bytes, names: list[bytes]) -> bytes:
    """:func:`restore_names`, faster: a line-anchored ``bytes.replace`` per name (a value
    never holds ``\\r\\n``, so ``\\r\\nname:`` only matches the start of that header's line);
    the plan is cached by the tuple of names (the same objects are served again and again)."""
    plan = _replacements(tuple(names))
    if plan is None:
        return restore_names(block, names)
    for lowered, spelled in plan:
        block = block.replace(lowered, spelled, 1)
    return block


class _Pending:
    """The header names of the response a connection is about to start (one at a time), and
    its header block while it waits for the body."""

    __slots__ = ("held", "names", "transport")

    def __init__(self) -> None:
        self.names: list[bytes] | None = None
        self.held = b""
        self.transport: asyncio.Transport | None = None

    def flush(self) -> None:
        """Write the held header block now (the response has no body to carry it)."""
        if self.held and self.transport is not None:
            held, self.held = self.held, b""
            self.transport.write(held)


class _CaseKeepingTransport:
    """A transport whose next header block after :class:`_Pending` is set gets its names back."""

    def __init__(self, transport: asyncio.Transport, pending: _Pending) -> None:
        self._transport = transport
        self._pending = pending

    def write(self, data: bytes | bytearray | memoryview) -> None:
        pending = self._pending
        names = pending.names
        if names is not None and bytes(data[:5]) == b"HTTP/":
            pending.names = None
            head, sep, rest = bytes(data).partition(b"\r\n\r\n")
            pending.held = restore(head, names) + sep + rest  # sent with the body
            return
        if pending.held:
            data, pending.held = pending.held + bytes(data), b""
        self._transport.write(data)

    def close(self) -> None:
        self._pending.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:  # everything else is the real transport's
        return getattr(self._transport, name)


def _recording(
    app: ASGIApp, pending: _Pending, defaults: Callable[[], list[tuple[bytes, bytes]]]
) -> ASGIApp:
    """``app`` telling ``pending`` the names of each response it starts, after uvicorn's
    default headers (``date``; uvicorn writes them first and refreshes them every second)."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_recording(message: Message) -> None:
            if message["type"] != "http.response.start":
                try:
                    await send(message)
                finally:
                    if not message.get("more_body", False):
                        pending.flush()  # no body written (HEAD, 304...): the headers alone
                return
            given = [name for name, _ in message.get("headers", ())]
            pending.names = [name for name, _ in defaults()] + given
            try:
                await send(message)
            finally:
                pending.names = None

        await app(scope, receive, send_recording)

    return wrapped


def _build() -> type[asyncio.Protocol] | None:
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # no httptools: uvicorn uses h11, which keeps the names as given
        return None

    class CaseKeepingHttpToolsProtocol(HttpToolsProtocol):
        """uvicorn's httptools protocol, writing header names as the app spells them."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pending = _Pending()
            state = self.server_state
            self.app = _recording(self.app, self._pending, lambda: state.default_headers)

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self._pending.transport = cast("asyncio.Transport", transport)
            shim = _CaseKeepingTransport(cast("asyncio.Transport", transport), self._pending)
            super().connection_made(cast("asyncio.Transport", shim))

    # Importable by this name (uvicorn's worker processes receive the class by pickling).
    CaseKeepingHttpToolsProtocol.__qualname__ = "CaseKeepingHttpToolsProtocol"
    return CaseKeepingHttpToolsProtocol


#: uvicorn's httptools protocol keeping header names' case; None without httptools.
CaseKeepingHttpToolsProtocol = _build()


def http_protocol() -> type[asyncio.Protocol] | str:
    """The ``http`` setting for uvicorn: case-keeping httptools if installed, else h11."""
    return CaseKeepingHttpToolsProtocol or "h11"


def uvicorn_options() -> dict[str, Any]:
    """uvicorn settings every qcflow server uses: :func:`http_protocol`, and no ``date`` or
    ``server`` lines of uvicorn's own (lower case with h11; the app sends ``Date`` itself)."""
    return {"http": http_protocol(), "date_header": False, "server_header": False}
