"""``qcflow ui``: browse, draw and judge a QCDB in the browser (docs/ui.md)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from qcflow.cli._common import add_command, warn
from qcflow.errors import InvalidInput

_HELP = """\
Serve a web UI over a QCDB (an embedded store or any CCDB-compatible server): the object
tree, objects drawn by JSROOT, their versions, the run x detector quality matrix and layouts.
Read-only by default: --token (or $QCFLOW_QCDB_TOKEN) lets holders of the token save layouts,
--writable lets anyone who can reach the port save them. Binds 127.0.0.1 unless --host says
otherwise.

examples:
  qcflow ui --qcdb demo-output/qcdb --open
  qcflow ui --qcdb localhost:8080 --port 8090
  open http://127.0.0.1:8088/ui/matrix?period=LHC24ab&pass=apass1
"""


def register(subparsers: Any) -> None:
    parser = add_command(subparsers, "ui", help="browse a QCDB in the browser", description=_HELP)
    parser.add_argument(
        "--qcdb",
        default=None,
        metavar="STORE|URL",
        help="QCDB: a directory or host:port / http(s):// URL (default: $QCFLOW_QCDB or ./qcdb)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8088, help="TCP port (default 8088)")
    parser.add_argument("--open", action="store_true", help="open a browser tab")
    parser.add_argument(
        "--token",
        default=os.environ.get("QCFLOW_QCDB_TOKEN"),
        help="saving layouts needs 'Authorization: Bearer TOKEN'",
    )
    parser.add_argument(
        "--writable", action="store_true", help="allow saving layouts without a token"
    )
    parser.add_argument(
        "--provenance", default="qc_async", help="matrix default: qc, qc_async, qc_mc"
    )
    parser.set_defaults(handler=_ui)


def _ui(args: argparse.Namespace) -> int:
    from qcflow.cli.qcdb import _check_can_listen
    from qcflow.qcdb.open import default_url, open_repository
    from qcflow.ui.api import ApiOptions
    from qcflow.ui.app import jsroot_missing
    from qcflow.ui.serve import UiConfig, serve_ui

    if not 1 <= args.port <= 65535:
        msg = f"--port {args.port} is not a TCP port (1-65535)"
        raise InvalidInput(msg)
    repo = open_repository(args.qcdb or default_url(), create=False)  # the UI only reads
    try:
        _check_can_listen(args.host, args.port)
    except InvalidInput:
        repo.close()
        raise
    missing = jsroot_missing()
    if missing:
        warn(missing)
    read_only = args.token is None and not args.writable
    options = ApiOptions(read_only=read_only, token=args.token, provenance=args.provenance)
    mode = "read-only" if read_only else ("token-protected layouts" if args.token else "writable")
    print(f"qcflow ui over {repo.url} ({mode})", file=sys.stderr)
    try:
        serve_ui(repo, UiConfig(args.host, args.port, args.open, options))
    except KeyboardInterrupt:  # Ctrl-C is how the UI is meant to stop: uvicorn re-raises it
        print("qcflow ui: stopped", file=sys.stderr)
    finally:
        repo.close()
    return 0
