"""Where a QCDB is: an HTTP server (``host:port``, ``http(s)://…``) or an embedded store (a path).

This is the one place that decides how a ``--qcdbUrl`` / ``qc.config.database.host`` string is
read. Rules:

- ``http://…`` and ``https://…`` -> HTTP; ``host:port`` (a numeric port) -> HTTP;
  a comma-separated list of those -> HTTP with fail-over;
- ``file:PATH`` / ``file://PATH`` or anything else -> the embedded store at that path;
- empty -> the default, ``$QCFLOW_QCDB`` or ``./qcdb``.

Relative store paths are made absolute by :func:`absolute_location`, because workflow tasks run
in their own ``cwd`` (``QC/``) and must find the same store.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["DEFAULT_QCDB", "ENV_VAR", "Location", "absolute_location", "parse_location"]

ENV_VAR = "QCFLOW_QCDB"
DEFAULT_QCDB = "./qcdb"

_HOST_PORT = re.compile(r"^[A-Za-z0-9._\-\[\]:]*[A-Za-z0-9.\-\]]:\d{1,5}$")


@dataclass(frozen=True)
class Location:
    """A parsed QCDB location: ``kind`` is ``"http"`` (``urls``) or ``"local"`` (``path``)."""

    kind: Literal["http", "local"]
    urls: tuple[str, ...] = ()
    path: Path | None = None

    def __str__(self) -> str:
        return ",".join(self.urls) if self.kind == "http" else str(self.path)


def _is_http(item: str) -> bool:
    return item.startswith(("http://", "https://")) or bool(_HOST_PORT.match(item))


def _given_or_default(text: str | None) -> str:
    return (text or "").strip() or os.environ.get(ENV_VAR, "").strip() or DEFAULT_QCDB


def parse_location(text: str | None) -> Location:
    """Read a QCDB location string (``None`` or ``""`` means the default)."""
    value = _given_or_default(text)
    items = [item.strip() for item in value.split(",") if item.strip()]
    if items and all(_is_http(item) for item in items):
        urls = tuple(item if "://" in item else f"http://{item}" for item in items)
        return Location("http", urls=urls)
    if value.startswith("file://"):
        value = value[len("file://") :]
    elif value.startswith("file:"):
        value = value[len("file:") :]
    return Location("local", path=Path(value).expanduser())


def absolute_location(text: str | None) -> str:
    """The location as a string that means the same from any working directory."""
    location = parse_location(text)
    if location.kind == "http":
        return _given_or_default(text)
    assert location.path is not None
    return str(location.path.resolve())
