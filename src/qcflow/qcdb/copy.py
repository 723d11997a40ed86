"""``qcflow qcdb copy``: every version under a pattern from one QCDB to another, resumable.

Any two QCDBs: embedded, PostgreSQL-indexed, or a CCDB server (qcflow's or ALICE's). Versions
are copied oldest first with their validity (current and initial end), metadata and content,
never cutting anyone's validity (``adjust_eov=False``). Into a store (embedded or PostgreSQL)
they keep their UUID and creation time (:meth:`LocalRepository.restore`), so the copy selects
exactly as the original; a server's REST API cannot set those, so there a version gets a new
UUID and creation time (in the copy's order: still newest-created wins the same way).

Resuming: a version is skipped when the destination has it already -- the same UUID in a store;
the same path, start of validity and MD5 on a server -- so an interrupted copy run again goes on
where it stopped and copies nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from qcflow.qcdb.local import LocalRepository
from qcflow.qcdb.model import ObjectInfo, order_key
from qcflow.qcdb.repository import Repository

__all__ = ["CopyReport", "copy_versions"]

#: ``progress(done, total, report)`` is called after each version.
Progress = Callable[[int, int, "CopyReport"], None]


@dataclass
class CopyReport:
    """What a copy did: versions copied, already there (skipped), and bytes copied."""

    copied: int = 0
    skipped: int = 0
    bytes: int = 0


def _resume_key(info: ObjectInfo) -> tuple[str, int, str]:
    return (info.path, info.valid_from, info.md5)


def copy_versions(
    source: Repository,
    destination: Repository,
    pattern: str = ".*",
    *,
    progress: Progress | None = None,
) -> CopyReport:
    """Copy every version matching ``pattern`` from ``source`` to ``destination``."""
    versions = sorted(source.browse(pattern), key=order_key)  # oldest first
    store = destination if isinstance(destination, LocalRepository) else None
    present: set[tuple[str, int, str]] = set()
    if store is None:
        present = {_resume_key(i) for i in destination.browse(pattern)}
    report = CopyReport()
    for done, info in enumerate(versions, 1):
        if store is None and _resume_key(info) in present:
            report.skipped += 1
        else:
            data = source.download(info.id).data
            if store is not None:
                copied = store.restore(info, data)
            else:
                destination.store(
                    info.path,
                    data,
                    valid_from=info.valid_from,
                    valid_until=info.valid_until,
                    metadata=info.metadata,
                    content_type=info.content_type,
                    file_name=info.file_name,
                    adjust_eov=False,
                )
                copied = True
            report.copied += copied
            report.skipped += not copied
            report.bytes += len(data) if copied else 0
        if progress is not None:
            progress(done, len(versions), report)
    return report
