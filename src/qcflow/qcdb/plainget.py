"""Keep-alive ``GET``/``HEAD`` over plain ``http://`` without httpx: the client's object reads.

:class:`~qcflow.qcdb.client.HttpRepository` reads objects one request each (a trend of 1,000 runs
is 3,000 ``GET``). httpx spends ~0.45 ms of CPU on each (URL parsing and validation, a
``http.cookiejar`` pass over every response's headers, h11's header checks), more than the
server spends answering (~0.4 ms) and three times ``http.client``'s ~0.15 ms, measured on the
2-core machine against ``qcflow qcdb serve``. :class:`PlainGet` sends those reads over pooled
keep-alive connections instead: a ``GET`` is written as one request block and its answer parsed
with httptools (the C parser uvicorn uses; ``http.client`` would spend as much again parsing
the headers with :mod:`email`), a ``HEAD`` goes through ``http.client`` (whose parser knows a
``HEAD`` answer has no body). Everything else (writes, listings, redirect targets,
``https://``, proxies) stays with httpx.

A connection is taken from the idle pool (or opened: connect timeout at most 5 s, then the read
timeout, ``TCP_NODELAY``), used for one request and put back once its response is read to the
end, so threads never share one. A reused connection the server closed meanwhile (keep-alive
timeout) fails before any answer: that request is sent once more on a new connection (``GET``
and ``HEAD`` are safe to repeat). Other failures are raised as :data:`TRANSPORT_ERRORS` for the
client's fail-over and retries. Header values are returned as the UTF-8 text the server sent
(``http.client`` decodes them as Latin-1).
"""

from __future__ import annotations

import http.client
import select
import socket
import threading
import urllib.request
from collections.abc import Mapping
from typing import NamedTuple
from urllib.parse import urlsplit

import httptools

from qcflow.errors import InvalidInput

__all__ = ["TRANSPORT_ERRORS", "ConnectError", "PlainAnswer", "PlainGet", "ReadTimeout", "usable"]

#: What a failed exchange raises (connection refused, reset, timeout, malformed answer).
TRANSPORT_ERRORS = (OSError, http.client.HTTPException)
#: Failures of a reused connection that mean the server closed it while it was idle.
_STALE = (
    http.client.RemoteDisconnected,
    ConnectionResetError,
    BrokenPipeError,
    ConnectionAbortedError,
)


class ConnectError(ConnectionError):
    """The server could not be reached (refused, unreachable, connect timeout): named as
    httpx names it, so the client's messages read the same whichever transport failed."""


class ReadTimeout(TimeoutError):
    """The server did not answer within the timeout (httpx's name for it, as above)."""


class _Parsed:
    """httptools callbacks collecting one answer: interim ``1xx`` answers are skipped, and
    anything after the final answer (which the parser would begin to read as the next one) is
    only noted, so that connection is not reused."""

    __slots__ = ("body", "done", "framed", "head", "headers", "keep_alive", "overflow", "parser")

    def __init__(self) -> None:
        self.headers: list[tuple[str, str]] = []
        self.body: list[bytes] = []
        self.done = False
        self.head = False  # the final answer's headers are complete
        self.framed = False  # its body has a length or chunks (else it ends when the socket does)
        self.overflow = False
        self.keep_alive = False
        self.parser = httptools.HttpResponseParser(self)

    def on_message_begin(self) -> None:
        self.overflow = self.done

    def on_headers_complete(self) -> None:
        if self.done:
            return
        # Asked here: once the message is complete the parser has forgotten it.
        self.keep_alive = self.parser.should_keep_alive()
        self.head = not _interim(self.parser.get_status_code())
        names = {name.lower(): value.lower() for name, value in self.headers}
        self.framed = "content-length" in names or "chunked" in names.get("transfer-encoding", "")

    def on_header(self, name: bytes, value: bytes) -> None:
        if not self.done:
            self.headers.append((name.decode("latin-1"), value.decode("utf-8", "replace")))

    def on_body(self, body: bytes) -> None:
        if not self.done:
            self.body.append(body)

    def on_message_complete(self) -> None:
        if self.done:
            return
        if _interim(self.parser.get_status_code()):  # 100 Continue, 103 Early Hints: not it
            self.headers.clear()
            self.body.clear()
            return
        self.done = True

    def ended_by_close(self) -> bool:
        """The socket ended the answer: its headers are in and its body had no length (an
        HTTP/1.0 server's, or one sent with ``Connection: close``), so the end is its end."""
        if self.head and not self.framed:
            self.done = True
        return self.done


def _header_lines(headers: Mapping[str, str]) -> str:
    """``headers`` as request lines; :class:`InvalidInput` for one that would break the
    request (a line break or NUL in its name or value)."""
    for name, value in headers.items():
        if any(c in name + value for c in "\r\n\0"):
            msg = f"HTTP header {name} holds a line break or NUL: not sent"
            raise InvalidInput(msg)
    return "".join(f"{name}: {value}\r\n" for name, value in headers.items())


def _interim(status: int) -> bool:
    return 100 <= status < 200


def _readable(sock: socket.socket) -> bool:
    ready, _, _ = select.select([sock], [], [], 0)
    return bool(ready)


class PlainAnswer(NamedTuple):
    """A complete response: status, header pairs (names as sent, values UTF-8) and body."""

    status: int
    headers: list[tuple[str, str]]
    content: bytes


def usable(url: str) -> bool:
    """Whether ``url`` (a server URL) can be read with :class:`PlainGet`: ``http://`` and no
    HTTP proxy configured at all (``http_proxy``/``all_proxy``). With one, httpx decides what
    goes through it (its ``no_proxy`` rules are its own), so every request stays with httpx."""
    if urlsplit(url).scheme != "http":
        return False
    proxies = urllib.request.getproxies()
    return not (proxies.get("http") or proxies.get("all"))


class _Connection(http.client.HTTPConnection):
    """An HTTP/1.1 connection with a short connect timeout and Nagle's delay off."""

    def __init__(self, host: str, port: int | None, connect_timeout: float, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.connect_timeout = connect_timeout

    def connect(self) -> None:
        try:
            self.sock = socket.create_connection((self.host, self.port), self.connect_timeout)
        except OSError as err:
            raise ConnectError(str(err) or type(err).__name__) from err
        self.sock.settimeout(self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class PlainGet:
    """Pooled keep-alive ``GET``/``HEAD`` to one ``http://host:port[/prefix]`` server."""

    def __init__(
        self,
        server: str,
        *,
        timeout: float,
        connect_timeout: float,
        headers: Mapping[str, str],
        max_idle: int = 32,
    ) -> None:
        parts = urlsplit(server)
        self.host = parts.hostname or ""
        self.port = parts.port
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.headers = dict(headers)
        default_port = self.port is None or self.port == http.client.HTTP_PORT
        named = f"[{self.host}]" if ":" in self.host else self.host  # an IPv6 literal
        where = named if default_port else f"{named}:{self.port}"
        self._host = f"Host: {where}\r\n"
        #: The header lines of a request without headers of its own.
        self._fixed = self._host + _header_lines(self.headers)
        self.max_idle = max_idle
        self._idle: list[_Connection] = []
        self._lock = threading.Lock()
        self._closed = False

    def request(
        self, method: str, target: str, headers: Mapping[str, str] | None = None
    ) -> PlainAnswer:
        """Send ``method target`` (a path on the server, starting with ``/``) with ``headers``
        over the defaults (one of the same name replaces its default); the full answer."""
        sent = {**self.headers, **headers} if headers else self.headers
        lines = self._host + _header_lines(sent) if headers else self._fixed
        conn = self._take()
        fresh = conn.sock is None
        try:
            answer = self._exchange(conn, method, self.prefix + target, sent, lines)
        except _STALE:
            conn.close()
            if fresh:
                raise
            conn = self._new()  # the server closed the idle connection: once more, anew
            try:
                answer = self._exchange(conn, method, self.prefix + target, sent, lines)
            except BaseException:
                conn.close()
                raise
        except BaseException:
            conn.close()
            raise
        self._give_back(conn)
        return answer

    def _exchange(
        self, conn: _Connection, method: str, url: str, headers: Mapping[str, str], lines: str
    ) -> PlainAnswer:
        """One request on ``conn``: ``headers``, and the same as ``lines`` (with ``Host``)."""
        if method == "GET":
            return self._get(conn, url, lines)
        conn.request(method, url, headers=headers)
        try:
            response = conn.getresponse()
            body = response.read()
        except TimeoutError as err:
            raise ReadTimeout(str(err) or "timed out") from err
        pairs = [
            (name, value.encode("latin-1", "replace").decode("utf-8", "replace"))
            for name, value in response.getheaders()
        ]
        if response.will_close:
            conn.close()
        if _interim(response.status):  # http.client skips only 100: the final answer is unread
            conn.close()
            msg = f"an interim answer ({response.status}) to HEAD {url}"
            raise http.client.HTTPException(msg)
        return PlainAnswer(response.status, pairs, body)

    def _get(self, conn: _Connection, url: str, lines: str) -> PlainAnswer:
        """One ``GET`` on ``conn``'s socket (``lines``: its header lines): the request in one
        write, the answer through httptools until it is complete."""
        if conn.sock is None:
            conn.connect()
        sock = conn.sock
        block = f"GET {url} HTTP/1.1\r\n{lines}\r\n"
        parsed = _Parsed()
        parser = parsed.parser
        try:
            sock.sendall(block.encode("latin-1"))
            while not parsed.done:
                data = sock.recv(1 << 18)
                if not data:
                    if parsed.ended_by_close():
                        break
                    msg = "the server closed the connection before answering in full"
                    raise http.client.RemoteDisconnected(msg)
                parser.feed_data(data)
        except TimeoutError as err:
            raise ReadTimeout(str(err) or "timed out") from err
        except httptools.HttpParserError as err:
            msg = f"malformed HTTP answer: {err}"
            raise http.client.HTTPException(msg) from err
        if not parsed.keep_alive or parsed.overflow or not parsed.framed:
            conn.close()
        return PlainAnswer(parser.get_status_code(), parsed.headers, b"".join(parsed.body))

    def _new(self) -> _Connection:
        # the port always given: http.client would read "::1" as host ":" and port 1
        port = self.port or http.client.HTTP_PORT
        return _Connection(self.host, port, self.connect_timeout, self.timeout)

    def _take(self) -> _Connection:
        while True:
            with self._lock:
                if not self._idle:
                    return self._new()
                conn = self._idle.pop()
            if conn.sock is not None and not _readable(conn.sock):
                return conn
            # An idle connection with something to read has either been closed by the server
            # or holds bytes no request asked for (a stray answer): either way not reusable.
            conn.close()

    def _give_back(self, conn: _Connection) -> None:
        if conn.sock is None:
            return
        with self._lock:
            if not self._closed and len(self._idle) < self.max_idle:
                self._idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        """Close the idle connections; one still in use is closed when its request ends."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
