"""Open a QCDB from a URL: the one place that decides which backend a string names.

- ``host:port``, ``http://...``, ``https://...``, or several of them comma-separated
  -> :class:`~qcflow.qcdb.client.HttpRepository` (fail-over in order);
- a filesystem path or a ``file:`` URL -> :class:`~qcflow.qcdb.local.LocalRepository`;
- ``postgresql://user@host/db?objects=DIR`` -> :class:`~qcflow.qcdb.postgres.PostgresRepository`
  (index in PostgreSQL, contents in the shared directory ``DIR``);
- nothing, or an empty string -> the ``QCFLOW_QCDB`` environment variable, else ``./qcdb``.

A relative store path is relative to the current directory: workflow generators make it absolute
with :func:`absolute_url`, because tasks run in their own directories.

Reading never creates a store: readers open with ``create=False`` and a directory that holds no
store is "no QCDB at ..." (a typo must not leave an empty store behind); writers may create one.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

from qcflow.errors import InvalidInput
from qcflow.qcdb.postgres import is_postgres_url, make_url, parse_url
from qcflow.qcdb.repository import Repository

__all__ = [
    "DEFAULT_QCDB",
    "ENV_VAR",
    "absolute_url",
    "default_url",
    "is_remote",
    "local_path",
    "open_repository",
]

ENV_VAR = "QCFLOW_QCDB"
DEFAULT_QCDB = "qcdb"
#: ``scheme://`` at the start: a URL, never a directory name (``ftp://x`` must not create ``ftp:``).
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_HOST_PORT = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?:[0-9]{1,5}")


def default_url() -> str:
    """The QCDB used when none is named: ``$QCFLOW_QCDB`` or ``./qcdb``."""
    return os.environ.get(ENV_VAR) or DEFAULT_QCDB


def is_remote(url: str) -> bool:
    """True when ``url`` names one or more servers rather than a local store."""
    first = url.split(",", 1)[0].strip()
    return first.startswith(("http://", "https://")) or bool(_HOST_PORT.fullmatch(first))


def local_path(url: str) -> Path:
    """The directory a local QCDB URL (path or ``file:`` URL) names."""
    if url.startswith("file:"):
        parsed = urlparse(url)
        if parsed.netloc not in ("", "localhost"):
            msg = f"QCDB URL {url!r}: file URLs must not name a host"
            raise InvalidInput(msg)
        return Path(unquote(parsed.path or url.removeprefix("file:")))
    if _SCHEME.match(url):
        msg = (
            f"QCDB URL {url!r}: only http://, https:// and file: URLs, "
            "postgresql://...?objects=DIR, host:port or a path"
        )
        raise InvalidInput(msg)
    try:
        return Path(url).expanduser()
    except RuntimeError as err:  # "~nosuchuser/x": no such user, no home directory
        msg = f"QCDB URL {url!r}: {err}"
        raise InvalidInput(msg) from err


def absolute_url(url: str | None = None) -> str:
    """``url`` (or the default) in a form that means the same from any working directory."""
    text = (url or "").strip() or default_url()
    if is_remote(text):
        return text
    if is_postgres_url(text):
        conninfo, objects = parse_url(text)
        return make_url(conninfo, objects.resolve())
    return str(local_path(text).resolve())


def open_repository(
    url: str | os.PathLike[str] | None = None, *, create: bool = True, **options: object
) -> Repository:
    """The repository ``url`` names (see the module docstring); ``options`` go to its class.

    ``create=False`` (for readers): a local store must exist already, else InvalidInput.
    """
    text = os.fspath(url).strip() if url is not None else ""
    text = text or default_url()
    if is_remote(text):
        from qcflow.qcdb.client import HttpRepository

        return HttpRepository(text, **options)  # type: ignore[arg-type]
    if is_postgres_url(text):
        from qcflow.qcdb.postgres import PostgresRepository

        return PostgresRepository(text, create=create, **options)  # type: ignore[arg-type]
    from qcflow.qcdb.local import LocalRepository

    return LocalRepository(local_path(text), create=create, **options)  # type: ignore[arg-type]
