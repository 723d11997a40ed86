"""A response cache for object ``GET``/``HEAD`` with an explicit timestamp, checked on every use.

The answer to ``GET /<path>/<timestamp>/<filters>`` changes only when the store changes, so a
server may replay it as long as the store's change counter is the one seen when the answer was
computed. The embedded store provides the counter (:meth:`LocalRepository.version`, bumped in
every write transaction), so the cache is exact across processes and threads; repositories
without one are never cached. URLs without a timestamp ("now") and
conditional requests (``If-None-Match``, ``If-Not-Before``/``After``) always go to the store.

CCDB clients ask for the same objects again and again (QC's triggers poll, the QCG refreshes),
which is what this is for; the size is bounded in bytes, oldest entries leave first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

from qcflow.qcdb.server.http import Reply

__all__ = ["ResponseCache"]


class ResponseCache:
    """Replies keyed by request, valid while the repository's version is unchanged."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, tuple[Hashable, Reply]] = OrderedDict()
        self._bytes = 0

    def get(self, key: Hashable, version: Hashable) -> Reply | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] != version:
            self._drop(key)
            return None
        return entry[1]

    def put(self, key: Hashable, version: Hashable, reply: Reply) -> None:
        size = len(reply.body) + 512
        if size > self.max_bytes // 8:
            return
        if key in self._entries:
            self._drop(key)
        self._entries[key] = (version, reply)
        self._bytes += size
        while self._bytes > self.max_bytes:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: Hashable) -> None:
        _, reply = self._entries.pop(key)
        self._bytes -= len(reply.body) + 512

    def __len__(self) -> int:
        return len(self._entries)
