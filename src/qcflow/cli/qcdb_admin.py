"""``qcflow qcdb migrate | check | copy``: looking after stores rather than their objects."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from typing import Any

from qcflow.cli._common import add_command
from qcflow.errors import InvalidInput

_STORE_HELP = "a store: a directory, file: URL or postgresql://...?objects=DIR"


def register(sub: Any) -> None:
    migrate = add_command(
        sub,
        "migrate",
        help="create or upgrade a PostgreSQL QCDB index",
        description="Create the QCDB schema in a PostgreSQL database, or "
        "upgrade it to this qcflow's version (safe while servers run).\n\n"
        "example:\n  qcflow qcdb migrate "
        "postgresql://qcdb@dbhost/qcdb",
    )
    migrate.add_argument("index", help="postgresql://user@host[:port]/dbname (objects= ignored)")
    migrate.set_defaults(handler=_migrate)
    check = add_command(
        sub,
        "check",
        help="compare a store's index with its content files",
        description="Report versions whose content is missing or corrupt and "
        "content files no version names (orphans, left by a crash); --repair "
        "removes the orphans. Exit code 1 when content is missing or corrupt.\n\n"
        "example:\n  qcflow qcdb check --qcdb ./qcdb --repair",
    )
    check.add_argument("--qcdb", default=None, metavar="URL", help=_STORE_HELP)
    check.add_argument("--repair", action="store_true", help="remove orphan content files")
    check.add_argument(
        "--grace",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="leave orphans younger than this alone: a server may be about to "
        "commit their version (default 3600; 0 when no one writes)",
    )
    check.add_argument("--no-md5", action="store_true", help="do not read contents to check MD5s")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.set_defaults(handler=_check)
    copy = add_command(
        sub,
        "copy",
        help="copy every version under a pattern to another QCDB",
        description="Copy versions (content, validity, metadata, UUID and "
        "creation time) from SRC to DST, oldest first. A server other than "
        "qcflow's (ALICE's CCDB) gives the copies new UUIDs and creation times: "
        "said once on stderr. Run it again after an interruption: versions DST "
        "has already are skipped.\n\n"
        "examples:\n  qcflow qcdb copy ./qcdb 'postgresql://qcdb@db/qcdb?objects="
        "/shared/qcdb'\n  qcflow qcdb copy http://ccdb-test.cern.ch:8080 ./mirror "
        "--pattern 'qc/TPC/MO/Clusters/.*'",
    )
    copy.add_argument("source", help="QCDB to read: directory, postgresql://, host:port, URL")
    copy.add_argument("destination", help="QCDB to write (a store is created if missing)")
    copy.add_argument("--pattern", default=".*", help="which paths (default: everything)")
    copy.add_argument("--quiet", action="store_true", help="no progress on stderr")
    copy.add_argument("--json", action="store_true", help="print the result as JSON")
    copy.set_defaults(handler=_copy)


def _migrate(args: argparse.Namespace) -> int:
    from qcflow.qcdb.postgres import is_postgres_url, migrate, redact, strip_objects

    if not is_postgres_url(args.index):
        msg = f"migrate {args.index!r}: only PostgreSQL indexes (postgresql://...) need it"
        raise InvalidInput(msg)
    before, after = migrate(strip_objects(args.index))
    what = "up to date" if before == after else f"migrated from version {before}"
    print(f"{redact(args.index)}: QCDB schema version {after} ({what})")
    return 0


def _check(args: argparse.Namespace) -> int:
    from qcflow.qcdb import open_repository
    from qcflow.qcdb.local import LocalRepository

    if args.grace < 0:
        msg = f"--grace {args.grace} must be >= 0 seconds"
        raise InvalidInput(msg)
    with contextlib.closing(open_repository(args.qcdb, create=False)) as repo:
        if not isinstance(repo, LocalRepository):
            msg = f"check {repo.url}: a server checks its own store (run check where it runs)"
            raise InvalidInput(msg)
        report = repo.check(
            verify_md5=not args.no_md5, remove_orphans=args.repair, grace=args.grace
        )
    if args.json:
        print(
            json.dumps(
                {
                    "objects": report.objects,
                    "missing_content": report.missing_content,
                    "bad_md5": report.bad_md5,
                    "orphan_files": report.orphan_files,
                    "orphans_removed": args.repair,
                }
            )
        )
    else:
        orphans = f"{len(report.orphan_files)} orphan file(s)"
        orphans += (
            " removed" if args.repair else (" (--repair removes them)" * bool(report.orphan_files))
        )
        print(
            f"{report.objects} version(s); {len(report.missing_content)} missing content, "
            f"{len(report.bad_md5)} bad MD5; {orphans}"
        )
        for ident in report.missing_content:
            print(f"missing content: {ident}")
        for ident in report.bad_md5:
            print(f"bad MD5: {ident}")
    return 0 if report.ok else 1


def _copy(args: argparse.Namespace) -> int:
    from qcflow.qcdb import open_repository
    from qcflow.qcdb.copy import CopyReport, copy_versions

    last = [0.0]

    def progress(done: int, total: int, report: CopyReport) -> None:
        now = time.monotonic()
        if args.quiet or (now - last[0] < 1.0 and done < total):
            return
        last[0] = now
        print(
            f"{done}/{total} version(s): {report.copied} copied, {report.skipped} already "
            f"there, {report.bytes / 1e6:.1f} MB",
            file=sys.stderr,
        )

    with (
        contextlib.closing(open_repository(args.source, create=False)) as source,
        contextlib.closing(open_repository(args.destination, create=True)) as destination,
    ):
        report = copy_versions(
            source,
            destination,
            args.pattern,
            progress=progress,
            notice=lambda text: print(f"note: {text}", file=sys.stderr),
        )
    if args.json:
        result = {"copied": report.copied, "skipped": report.skipped, "bytes": report.bytes}
        print(json.dumps({**result, "new_ids": report.new_ids}))
    else:
        renamed = f" ({report.new_ids} with new UUIDs)" if report.new_ids else ""
        print(f"copied {report.copied} version(s){renamed}, {report.skipped} already there")
    return 0
