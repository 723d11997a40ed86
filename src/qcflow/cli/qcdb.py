"""``qcflow qcdb``: list, read, write and serve a QCDB (embedded store or any CCDB server)."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

from qcflow.cli import qcdb_admin
from qcflow.cli._common import add_command
from qcflow.errors import InvalidInput

_QCDB_HELP = (
    "QCDB: a directory, file: URL, postgresql://...?objects=DIR, host:port or http(s):// URL "
    "(default: $QCFLOW_QCDB or ./qcdb)"
)
_EXAMPLES = """\
examples:
  qcflow qcdb put qc/TST/MO/Task/h1 h1.root --valid-from 1700000000000 -m RunNumber=523897
  qcflow qcdb ls qc/TST
  qcflow qcdb browse qc/TST/MO/Task/h1 -m RunNumber=523897 --json
  qcflow qcdb get qc/TST/MO/Task/h1 --at 1700000000001 -o h1.root
  qcflow qcdb get qc/TST/MO/Task/h1 --hist
  qcflow qcdb serve --root ./qcdb --port 8080
  qcflow qcdb ls qc/TST --qcdb localhost:8080
"""
_CONTENT_TYPES = {
    ".root": "application/root",
    ".json": "application/json",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".txt": "text/plain",
}


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "qcdb",
        help="list, read, write and serve a QCDB",
        description="Work with a QCDB: the embedded store or any CCDB-compatible server.",
        epilog=_EXAMPLES,
    )
    sub = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    _register_listings(sub)
    _register_get(sub)
    _register_put(sub)
    _register_removals(sub)
    _register_serve(sub)
    qcdb_admin.register(sub)


def _common(parser: argparse.ArgumentParser, *, filters: bool = True) -> None:
    parser.add_argument("--qcdb", default=None, metavar="URL", help=_QCDB_HELP)
    if filters:
        parser.add_argument(
            "-m",
            "--metadata",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="metadata filter (repeatable), e.g. -m RunNumber=523897",
        )
        parser.add_argument("--at", metavar="TIME", help="timestamp: ms since epoch or ISO date")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _register_listings(sub: Any) -> None:
    ls = add_command(
        sub,
        "ls",
        help="newest version of each object under a folder",
        description="List the newest version of every object under PATH (a folder "
        "or a pattern: '.*' regex prefix, '%%' LIKE).\n\n"
        "example:\n  qcflow qcdb ls qc/TST/MO -m PassName=apass1",
    )
    ls.add_argument("path", nargs="?", default="", help="folder or pattern (default: everything)")
    _common(ls)
    ls.set_defaults(handler=_ls)
    browse = add_command(
        sub,
        "browse",
        help="every version of an object or pattern",
        description="List every version of PATH (or pattern), newest first.\n\n"
        "example:\n  qcflow qcdb browse qc/TST/MO/Task/h1 --limit 10",
    )
    browse.add_argument("path", help="object path or pattern")
    browse.add_argument("--limit", type=int, default=None, help="at most N versions")
    _common(browse)
    browse.set_defaults(handler=_browse)


def _register_get(sub: Any) -> None:
    get = add_command(
        sub,
        "get",
        help="fetch the object valid at a time",
        description="Fetch the object valid at --at (default now) whose metadata "
        "match every -m filter; the most recently created match wins. With -m "
        "and no --at: the most recently created match, whenever it is valid.\n\n"
        "examples:\n  qcflow qcdb get qc/TST/MO/Task/h1 -o h1.root\n"
        "  qcflow qcdb get qc/TST/MO/Task/h1 --info --json",
    )
    get.add_argument("path", help="object path")
    get.add_argument("--id", default=None, help="the object's UUID")
    get.add_argument("-o", "--output", default=None, help="write the content to this file")
    get.add_argument("--info", action="store_true", help="print the description only")
    get.add_argument("--hist", action="store_true", help="decode a ROOT histogram and describe it")
    _common(get)
    get.set_defaults(handler=_get)


def _register_put(sub: Any) -> None:
    put = add_command(
        sub,
        "put",
        help="store a file as a new version",
        description="Store FILE under PATH valid in [--valid-from, --valid-until) "
        "(unset start = now, unset end = start + 10 years).\n\n"
        "example:\n  qcflow qcdb put qc/TST/MO/Task/h1 h1.root "
        "--valid-from 1700000000000 -m RunNumber=523897",
    )
    put.add_argument("path", help="object path")
    put.add_argument("file", help="the file to store")
    put.add_argument("--valid-from", default=None, metavar="TIME", help="start of validity")
    put.add_argument("--valid-until", default=None, metavar="TIME", help="end of validity")
    put.add_argument(
        "-m",
        "--metadata",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="metadata (repeatable)",
    )
    put.add_argument("--content-type", default=None, help="default: from the file extension")
    put.add_argument("--qcdb", default=None, metavar="URL", help=_QCDB_HELP)
    put.add_argument("--json", action="store_true", help="print the stored object as JSON")
    put.set_defaults(handler=_put)


def _register_removals(sub: Any) -> None:
    rm = add_command(
        sub,
        "rm",
        help="delete the object valid at a time",
        description="Delete the one object a get would return.\n\n"
        "example:\n  qcflow qcdb rm qc/TST/MO/Task/h1 --at 1700000000001",
    )
    rm.add_argument("path", help="object path")
    rm.add_argument("--id", default=None, help="the object's UUID")
    _common(rm)
    rm.set_defaults(handler=_rm)
    truncate = add_command(
        sub,
        "truncate",
        help="delete every version under a pattern",
        description="Delete every version of every object matching PATTERN.\n\n"
        "example:\n  qcflow qcdb truncate 'qc/TST/.*' --yes",
    )
    truncate.add_argument("pattern", help="object path or pattern")
    truncate.add_argument("--yes", action="store_true", help="really delete")
    _common(truncate, filters=False)
    truncate.set_defaults(handler=_truncate)


def _register_serve(sub: Any) -> None:
    serve = add_command(
        sub,
        "serve",
        help="serve a QCDB over the CCDB REST API",
        description="Serve a QCDB over the CCDB REST API (real CCDB clients work "
        "against it). Binds 127.0.0.1 unless --host says otherwise; set a token "
        "(--token or $QCFLOW_QCDB_TOKEN) before exposing it.\n\n"
        "examples:\n  qcflow qcdb serve --root ./qcdb --port 8080\n"
        "  qcflow qcdb serve --root /data/qcdb --host 0.0.0.0 --workers 2 "
        "--read-only\n"
        "  qcflow qcdb serve --index postgresql://qcdb@dbhost/qcdb "
        "--objects /shared/qcdb --workers 4",
    )
    serve.add_argument(
        "--root",
        "--qcdb",
        dest="qcdb",
        default=None,
        metavar="DIR",
        help="the store to serve (default: $QCFLOW_QCDB or ./qcdb)",
    )
    serve.add_argument(
        "--index",
        default=None,
        metavar="URL",
        help="keep the index in PostgreSQL (postgresql://user@host/db); with "
        "--objects, the content directory every server shares",
    )
    serve.add_argument(
        "--objects",
        default=None,
        metavar="DIR",
        help="content directory of a PostgreSQL-indexed store (with --index)",
    )
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only; "
        "0.0.0.0 or :: listens on every interface, set --token or --read-only "
        "first)",
    )
    serve.add_argument(
        "--port",
        type=int,
        default=8080,
        help="TCP port to listen on, 1-65535 (default 8080); clients then use --qcdb HOST:PORT",
    )
    serve.add_argument("--workers", type=int, default=1, help="worker processes")
    serve.add_argument("--read-only", action="store_true", help="refuse every write")
    serve.add_argument(
        "--token",
        default=os.environ.get("QCFLOW_QCDB_TOKEN"),
        help="writes need 'Authorization: Bearer TOKEN'",
    )
    serve.add_argument("--max-body-mb", type=float, default=256.0, help="request body limit")
    serve.add_argument("--redirect", action="store_true", help="answer GET with 303 to /download")
    serve.add_argument("--access-log", action="store_true", help="log every request")
    serve.add_argument(
        "--ui", action="store_true", help="also serve the web UI under /ui/ (qcflow ui; docs/ui.md)"
    )
    serve.add_argument(
        "--cache-mb",
        type=float,
        default=64.0,
        help="replay cache for object GETs with a timestamp (0: off)",
    )
    serve.set_defaults(handler=_serve)


# --- helpers ------------------------------------------------------------------------------------


def parse_time(text: str | None, *, option: str) -> int | None:
    """A time from the command line: ms since the epoch or an ISO date (UTC unless stated)."""
    if text is None:
        return None
    digits = text.removeprefix("-")
    if digits.isascii() and digits.isdigit():  # isdigit() alone takes '²'; int() does not
        return int(text)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as err:
        msg = f"{option} {text!r} is neither ms since the epoch nor an ISO date"
        raise InvalidInput(msg) from err
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp() * 1000)


def parse_metadata(items: list[str]) -> dict[str, str]:
    """``KEY=VALUE`` arguments as a dict."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            msg = f"-m {item!r}: expected KEY=VALUE"
            raise InvalidInput(msg)
        out[key] = value
    return out


def _open(args: argparse.Namespace, *, create: bool = False) -> Any:
    """The store ``--qcdb`` names; only writers that add objects (``put``) may create it."""
    from qcflow.qcdb import open_repository

    return open_repository(args.qcdb, create=create)


#: What a listing table needs beside its path column: three dates, a size, some metadata.
_TABLE_COLUMNS_WIDTH = 3 * 13 + 8 + 16 + 6 * 3


def _print_infos(infos: list[Any], *, as_json: bool, title: str) -> None:
    """JSON; at a terminal a table whose paths stay whole; else one tab-separated line per
    object (path, valid from, valid until, created, size, metadata) and the title on stderr."""
    from qcflow.qcdb.model import iso_time, to_listing_entry

    if as_json:
        print(json.dumps([to_listing_entry(i) for i in infos], indent=2))
        return
    rows = [
        (
            info.path,
            iso_time(info.valid_from),
            iso_time(info.valid_until),
            iso_time(info.created),
            str(info.size),
            ",".join(f"{k}={v}" for k, v in sorted(info.metadata.items())),
        )
        for info in infos
    ]
    if not sys.stdout.isatty():  # for grep, cut and awk: nothing wrapped, no frame
        print(title, file=sys.stderr)
        for row in rows:
            print("\t".join(row))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    longest = max((len(r[0]) for r in rows), default=4)
    if longest + _TABLE_COLUMNS_WIDTH > console.width:  # a table would fold the dates to bits
        console.print(title, style="italic", highlight=False)
        for path, start, end, created, size, meta in rows:
            console.print(path, highlight=False, soft_wrap=True)  # whole, for copying
            console.print(
                f"    valid [{start}, {end}) UTC, created {created}, {size} bytes", highlight=False
            )
            console.print(f"    {meta.replace(',', ', ')}", highlight=False)
        return
    table = Table(title=title, title_justify="left")
    # The path is what users copy: never folded; the other columns give way to it.
    table.add_column("path", no_wrap=True, min_width=longest)
    for column in ("valid from (UTC)", "valid until (UTC)", "created (UTC)", "size", "metadata"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row[:5], row[5].replace(",", ", "))
    console.print(table)


# --- handlers -----------------------------------------------------------------------------------


def _ls(args: argparse.Namespace) -> int:
    from qcflow.qcdb.urls import is_pattern

    path = args.path.strip("/")
    pattern = path if is_pattern(path) else (f"{path}(/.*)?$" if path else ".*")
    with _open(args) as repo:
        infos = repo.latest(
            pattern, parse_metadata(args.metadata), timestamp=parse_time(args.at, option="--at")
        )
    _print_infos(infos, as_json=args.json, title=f"{len(infos)} object(s) under {path or '/'}")
    return 0


def _browse(args: argparse.Namespace) -> int:
    with _open(args) as repo:
        at = parse_time(args.at, option="--at")
        infos = repo.browse(
            args.path, parse_metadata(args.metadata), timestamp=at, limit=args.limit
        )
    _print_infos(infos, as_json=args.json, title=f"{len(infos)} version(s) of {args.path}")
    return 0


def _get(args: argparse.Namespace) -> int:
    at = parse_time(args.at, option="--at")
    filters = parse_metadata(args.metadata)
    with _open(args) as repo:
        if at is None and filters and args.id is None:
            at = _newest_match_time(repo, args.path, filters)
        info, data = repo.get(args.path, at, filters, uuid=args.id)
    if args.output:
        from qcflow._io import atomic_write_bytes

        atomic_write_bytes(args.output, data)
        print(f"{args.path} ({info.id}, {len(data)} bytes) -> {args.output}", file=sys.stderr)
    if args.hist:
        _describe_histogram(data, as_json=args.json)
    elif args.info or (not args.output and sys.stdout.isatty()):
        _print_infos([info], as_json=args.json, title=f"{args.path} {info.id}")
    elif not args.output:
        sys.stdout.buffer.write(data)
    return 0


def _newest_match_time(repo: Any, path: str, filters: dict[str, str]) -> int | None:
    """A time at which the newest version of ``path`` matching ``filters`` is valid, or None
    (then "now", as without filters): a filter names a run, which is rarely valid now."""
    from qcflow.qcdb.urls import is_pattern

    if is_pattern(path):
        return None  # get refuses it with its own message
    for info in repo.browse(path, filters, limit=1):
        # browse ignores filters on keys no version has: check that this one really matches
        if info.path == path and all(info.metadata.get(k) == v for k, v in filters.items()):
            return int(info.valid_from)
    return None


def _describe_histogram(data: bytes, *, as_json: bool) -> None:
    from qcflow.objects.root import decode_histogram

    summary = decode_histogram(data).summary()
    if as_json:
        print(json.dumps(summary, indent=2))
    else:
        for key, value in summary.items():
            print(f"{key:>12}: {value}")


def _put(args: argparse.Namespace) -> int:
    file = Path(args.file)
    try:
        data = file.read_bytes()
    except OSError as err:
        msg = f"cannot read {file}: {err.strerror or err}"
        raise InvalidInput(msg) from err
    metadata = parse_metadata(args.metadata)
    content_type = args.content_type or _CONTENT_TYPES.get(file.suffix, "application/octet-stream")
    if file.suffix == ".root":
        from qcflow.objects.metadata import OBJECT_TYPE
        from qcflow.objects.root import object_class

        metadata.setdefault(OBJECT_TYPE, object_class(data) or "TObject")
    with _open(args, create=True) as repo:
        info = repo.store(
            args.path,
            data,
            metadata=metadata,
            content_type=content_type,
            valid_from=parse_time(args.valid_from, option="--valid-from"),
            valid_until=parse_time(args.valid_until, option="--valid-until"),
            file_name=file.name,
        )
    _print_infos([info], as_json=args.json, title=f"stored {info.path} {info.id}")
    return 0


def _rm(args: argparse.Namespace) -> int:
    at = parse_time(args.at, option="--at")
    with _open(args) as repo:
        info = repo.delete(args.path, at, uuid=args.id, filters=parse_metadata(args.metadata))
    _print_infos([info], as_json=args.json, title=f"deleted {info.path} {info.id}")
    return 0


def _truncate(args: argparse.Namespace) -> int:
    with _open(args) as repo:
        if not args.yes:
            count = len(repo.browse(args.pattern))
            msg = f"truncate would delete {count} version(s) matching {args.pattern!r}; add --yes"
            raise InvalidInput(msg)
        count = repo.truncate(args.pattern)
    print(json.dumps({"deleted": count}) if args.json else f"deleted {count} version(s)")
    return 0


def _check_serve_options(args: argparse.Namespace) -> None:
    """Refuse values uvicorn would misread (a port over 65535 wraps round) or ignore."""
    problems = [
        (not 1 <= args.port <= 65535, f"--port {args.port} is not a TCP port (1-65535)"),
        (args.workers < 1, f"--workers {args.workers} must be at least 1"),
        (
            not 0 < args.max_body_mb < math.inf,
            f"--max-body-mb {args.max_body_mb} must be a positive number of MB",
        ),
        (
            not 0 <= args.cache_mb < math.inf,
            f"--cache-mb {args.cache_mb} must be a number of MB >= 0",
        ),
    ]
    for bad, msg in problems:
        if bad:
            raise InvalidInput(msg)


def _serve_url(args: argparse.Namespace) -> str | None:
    """The store ``--root``/``--qcdb`` or ``--index`` + ``--objects`` names."""
    if args.index is None and args.objects is None:
        return str(args.qcdb) if args.qcdb is not None else None
    from qcflow.qcdb.postgres import is_postgres_url, make_url

    if args.qcdb is not None:
        msg = "serve: give either --root/--qcdb or --index with --objects, not both"
        raise InvalidInput(msg)
    if args.index is None:
        msg = "serve --objects goes with --index postgresql://user@host/dbname"
        raise InvalidInput(msg)
    if not is_postgres_url(args.index):
        msg = f"serve --index {args.index!r}: expected postgresql://user@host/dbname"
        raise InvalidInput(msg)
    if args.objects is None:
        msg = "serve --index needs --objects DIR (the content directory all servers share)"
        raise InvalidInput(msg)
    return make_url(args.index, args.objects)


def _check_can_listen(host: str, port: int) -> None:
    """Fail with one line now rather than with uvicorn's log lines and exit code 3."""
    import socket

    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
    except OSError as err:  # in use, not an address of this machine, unknown host
        msg = f"cannot listen on {host}:{port}: {err.strerror or err}"
        raise InvalidInput(msg) from err


def _serve(args: argparse.Namespace) -> int:
    from qcflow.qcdb.open import absolute_url, open_repository
    from qcflow.qcdb.postgres import redact
    from qcflow.qcdb.server import ServeConfig, serve

    _check_serve_options(args)
    qcdb = absolute_url(_serve_url(args))
    # A bad store fails here, before "serving ..."; a read-only server never creates one.
    open_repository(qcdb, create=not args.read_only).close()
    _check_can_listen(args.host, args.port)
    config = ServeConfig(
        qcdb=qcdb,
        host=args.host,
        port=args.port,
        workers=args.workers,
        read_only=args.read_only,
        token=args.token,
        max_body=int(args.max_body_mb * 1024 * 1024),
        redirect=args.redirect,
        access_log=args.access_log,
        cache_bytes=int(args.cache_mb * 1024 * 1024),
    )
    if args.ui:
        from qcflow.ui.serve import UI_FACTORY

        config = dataclasses.replace(config, factory=UI_FACTORY)
    mode = "read-only" if args.read_only else ("token-protected writes" if args.token else "open")
    print(
        f"serving {redact(qcdb)} on http://{args.host}:{args.port} ({mode}); Ctrl-C stops",
        file=sys.stderr,
    )
    serve(config)
    return 0
