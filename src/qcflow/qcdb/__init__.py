"""The QCDB: a versioned object store with CCDB semantics -- embedded, HTTP server and client.

It stores bytes and string metadata; payload codecs live in :mod:`qcflow.objects`. Map::

    urls  ->  model  ->  query  ->  repository (protocol)  <-  base  <-  local   (embedded)
                                                                     <-  client  (HTTP)
    server/ exposes any Repository over the CCDB REST API; open picks a backend from a URL.

- :mod:`~qcflow.qcdb.urls` -- the CCDB URL grammar (path, timestamps, ``k=v`` filters, UUID)
  and the rules for object paths and metadata keys.
- :mod:`~qcflow.qcdb.model` -- :class:`ObjectInfo`; JSON listing entries (both key styles) and
  response headers; time-based UUIDs.
- :mod:`~qcflow.qcdb.query` -- :class:`Query` and the selection rules as pure functions; QC's
  validity rules (:func:`normalize_validity`); path patterns.
- :mod:`~qcflow.qcdb.repository` -- the :class:`Repository` protocol and :func:`fetch_many`.
- :mod:`~qcflow.qcdb.base` -- argument checks, defaults and ``adjustableEOV`` shared by backends.
- :mod:`~qcflow.qcdb.local` -- :class:`LocalRepository`: SQLite index (WAL) + content files;
  atomic, multi-process safe.
- :mod:`~qcflow.qcdb.client` -- :class:`HttpRepository`: any CCDB server, fail-over, retries.
- :mod:`~qcflow.qcdb.server` -- the CCDB HTTP server (``qcflow qcdb serve``).
- :mod:`~qcflow.qcdb.open` -- :func:`open_repository`: ``host:port``/URL -> client, path -> store.
- :mod:`~qcflow.qcdb.errors` -- :class:`ObjectNotFound` and friends, mapped to HTTP statuses.

The Repository seam (what the post-processing engine and the report use)::

    repo = open_repository("qcdb")                      # or "localhost:8080", "http://a,http://b"
    info = repo.store(path, data, valid_from=sor, valid_until=eor, metadata={...},
                      content_type="application/root", file_name="TH1F_1700000000000.root")
    info, data = repo.get(path, timestamp, {"RunNumber": "523897", "PassName": "apass1"})
    infos = repo.latest("qc/TPC/MO/.*", {"PassName": "apass1"})   # newest per path
    infos = repo.browse(path, {"RunNumber": "523897"})            # all versions, newest first
    results = fetch_many(repo, [Query(path, ts, filters), ...])   # concurrent gets

Rules (spec/ccdb-api.md): a get returns, among the versions of the path valid at the timestamp
([validFrom, validUntil)) created within If-Not-Before/After and whose metadata equal every
filter, the most recently created. Listings take ``.*``/``*`` regex-prefix or ``%`` LIKE
patterns, apply validity only with a timestamp and ignore filters on never-seen keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qcflow.qcdb.errors import AccessDenied, ObjectNotFound, PayloadTooLarge, QcdbUnavailable
from qcflow.qcdb.local import LocalRepository
from qcflow.qcdb.model import ObjectInfo
from qcflow.qcdb.open import default_url, open_repository
from qcflow.qcdb.query import Query, normalize_validity
from qcflow.qcdb.repository import Fetched, Repository, Restoring, fetch_many

if TYPE_CHECKING:
    from qcflow.qcdb.client import HttpRepository

__all__ = [
    "AccessDenied",
    "Fetched",
    "HttpRepository",
    "LocalRepository",
    "ObjectInfo",
    "ObjectNotFound",
    "PayloadTooLarge",
    "QcdbUnavailable",
    "Query",
    "Repository",
    "Restoring",
    "default_url",
    "fetch_many",
    "normalize_validity",
    "open_repository",
]


def __getattr__(name: str) -> Any:
    # The HTTP client pulls in httpx (and with it asyncio, ssl, click, rich): a third of a second
    # that a run on an embedded store never needs, so it is imported when first asked for.
    if name == "HttpRepository":
        from qcflow.qcdb.client import HttpRepository

        return HttpRepository
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
