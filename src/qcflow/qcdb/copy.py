"""``qcflow qcdb copy``: every version under a pattern from one QCDB to another, resumable.

Any two QCDBs: embedded, PostgreSQL-indexed, or a CCDB server (qcflow's or ALICE's). Versions
are copied oldest first with their validity (current and initial end), metadata and content,
never cutting anyone's validity. Each keeps its UUID and creation time (so the copy selects
exactly as the original) through the destination's ``restore``
(:class:`~qcflow.qcdb.repository.Restoring`): a store writes it as described
(:meth:`LocalRepository.restore`); the HTTP client uploads it with qcflow's ``Qcflow-Id``
request headers, which a qcflow server applies through its store's ``restore``. A server
without that extension (ALICE's CCDB) ignores them: the answer's UUID and creation time then
differ, the copy says so once (``notice``) and goes on as a plain upload (new UUIDs and creation
times in the copy's order: the newest created still wins the same way).

Resuming: a version is skipped when the destination has it already: a version with the same UUID,
or -- where an earlier copy could not keep UUIDs -- a version of the same path, start of validity
and MD5 whose UUID is none of the source's (each such version stands for one source version).
An interrupted copy run again thus goes on where it stopped and copies nothing twice.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from qcflow.errors import InvalidInput
from qcflow.qcdb.local import LocalRepository
from qcflow.qcdb.model import ObjectInfo, order_key
from qcflow.qcdb.repository import Repository, Restoring

__all__ = ["CopyReport", "copy_versions"]

#: ``progress(done, total, report)`` is called after each version.
Progress = Callable[[int, int, "CopyReport"], None]


@dataclass
class CopyReport:
    """What a copy did: versions copied, already there (skipped), bytes copied, and how many of
    the copied versions got a new UUID and creation time (a destination that cannot keep them)."""

    copied: int = 0
    skipped: int = 0
    bytes: int = 0
    new_ids: int = 0


def _resume_key(info: ObjectInfo) -> tuple[str, int, str]:
    return (info.path, info.valid_from, info.md5)


class _Present:
    """Which source versions a destination (listed once) has already."""

    def __init__(self, there: list[ObjectInfo], copying: list[ObjectInfo]) -> None:
        self.ids = {i.id for i in there}
        ours = {i.id for i in copying}
        # Versions an earlier copy stored under new UUIDs: matched by path, start and MD5.
        self.renamed = Counter(_resume_key(i) for i in there if i.id not in ours)

    def take(self, info: ObjectInfo) -> bool:
        if info.id in self.ids:
            return True
        key = _resume_key(info)
        if self.renamed[key] > 0:
            self.renamed[key] -= 1
            return True
        return False


def _upload(destination: Repository, info: ObjectInfo, data: bytes) -> ObjectInfo | None:
    """Store ``data`` as ``info`` in ``destination``, keeping its identity where it can."""
    if isinstance(destination, Restoring):
        return destination.restore(info, data)
    return destination.store(
        info.path,
        data,
        valid_from=info.valid_from,
        valid_until=info.valid_until,
        metadata=info.metadata,
        content_type=info.content_type,
        file_name=info.file_name,
        adjust_eov=False,
    )


def copy_versions(
    source: Repository,
    destination: Repository,
    pattern: str = ".*",
    *,
    progress: Progress | None = None,
    notice: Callable[[str], None] | None = None,
) -> CopyReport:
    """Copy every version matching ``pattern`` from ``source`` to ``destination``.

    ``notice`` is told once when the destination gives copies new UUIDs and creation times."""
    versions = sorted(source.browse(pattern), key=order_key)  # oldest first
    # A store skips a UUID it has by itself (restore); anything else is listed once.
    present = None
    if not isinstance(destination, LocalRepository):
        present = _Present(destination.browse(pattern), versions)
    report = CopyReport()
    for done, info in enumerate(versions, 1):
        stored, data = None, b""
        if present is None or not present.take(info):
            data = source.download(info.id).data
            if info.md5 and hashlib.md5(data, usedforsecurity=False).hexdigest() != info.md5:
                msg = f"{info.path} ({info.id}): content from {source.url} does not have its MD5"
                raise InvalidInput(msg)
            stored = _upload(destination, info, data)
        if stored is None:
            report.skipped += 1
        else:
            report.copied += 1
            report.bytes += len(data)
            if (stored.id, stored.created) != (info.id, info.created):
                report.new_ids += 1
                if report.new_ids == 1 and notice is not None:
                    notice(
                        f"{destination.url} does not keep UUIDs and creation times (not a "
                        "qcflow server, or an older one): copies get new ones; run again, "
                        "versions are then recognised by path, start of validity and MD5"
                    )
        if progress is not None:
            progress(done, len(versions), report)
    return report
