"""``qcflow report``: the HTML report of a period and pass, from any QCDB."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from qcflow.cli._common import add_command

_HELP = """\
Write a self-contained HTML report of one period and pass: a run x detector table of the
quality objects (colour-coded, with their flags and links to the objects) and, per
detector, its trend plots. The folder opens from disk: no network, no script.

The QCDB is an embedded store (a directory) or a server (host:port or http://...).
The folder -o is written beside as <folder>.tmp and renamed into place; it may be new, empty
or an earlier report (nothing else is replaced). A period and pass the QCDB holds nothing of
is an error (exit 2) naming the periods and passes it does hold; no report is written then.

example:
  qcflow report --qcdb demo-output/qcdb --period LHC24ab --pass apass1 -o report
  qcflow report --qcdb localhost:8080 --period LHC24ab --pass apass1
  xdg-open report/index.html
"""


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers, "report", help="write the HTML report of a period and pass", description=_HELP
    )
    parser.add_argument("--qcdb", default=None, help="QCDB URL (default: $QCFLOW_QCDB or ./qcdb)")
    parser.add_argument("--period", required=True, help="period name, e.g. LHC24ab")
    parser.add_argument("--pass", dest="pass_name", required=True, help="pass name, e.g. apass1")
    parser.add_argument("--provenance", default="qc_async", help="qc, qc_async or qc_mc")
    parser.add_argument("-o", "--output", default="report", help="folder (default: report)")
    parser.set_defaults(handler=_report)


def _report(args: argparse.Namespace) -> int:
    from qcflow.qcdb.open import open_repository
    from qcflow.report import build_report

    repo = open_repository(args.qcdb, create=False)  # a report reads: "no QCDB at ..."
    try:
        with _sigterm_as_exit():
            result = build_report(
                repo, args.period, args.pass_name, args.output, provenance=args.provenance
            )
    finally:
        repo.close()
    data = result.data
    print(f"qcflow report: {len(data.runs)} runs, detectors: {', '.join(data.detectors) or 'none'}")
    print(f"qcflow report: {result.url}")
    return 0


@contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """SIGTERM ends the report as Ctrl-C does, through the clean-up of its staging folder."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, _frame: object) -> None:
        sys.exit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
