"""The ``qcflow`` command: a thin face over the library.

Each sub-command lives in its own module with a ``register(subparsers)`` function that adds its
parser and sets ``handler``; handlers call the library and return an exit code. Errors derived from
:class:`qcflow.errors.QcflowError` become one line on stderr and their exit code (2 for bad input),
never a traceback. Library packages never import this one.

Modules: ``generate`` (workflow generators), ``workflow`` (validate / inspect workflow files),
``run`` (the runner), ``qc`` (the post-processing engine), ``qcdb`` (the object store),
``demo`` (the end-to-end demonstration), ``report`` (the HTML report), ``ui`` (the web UI).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from qcflow import __version__
from qcflow.errors import QcflowError

__all__ = ["build_parser", "main"]

#: Sub-command modules in the order ``qcflow --help`` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "generate",
    "workflow",
    "run",
    "qc",
    "qcdb",
    "demo",
    "report",
    "ui",
)

_DESCRIPTION = """\
qcflow does ALICE-style asynchronous Quality Control post-processing end to end:
it generates O2DPG workflows, runs them under CPU and memory limits, trends monitor
objects from a QCDB (a CCDB object store, embedded or remote), judges quality and
writes plots, trend tables and reports. No O2 or ROOT installation is needed.
"""

_EPILOG = """\
typical session:
  qcflow generate qc-postproc --periodName LHC24ab --passName apass1 -o wf.json
  qcflow workflow validate wf.json
  qcflow run -f wf.json --cpu-limit 4

Run 'qcflow COMMAND --help' for the options of each command.
"""


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser, every sub-command registered, or only the command ``only``.

    Registering a command imports its module: all of them cost ~30 ms of every start-up, as
    much again as the runner's own imports. When the first argument names a command, that one
    is enough to parse the rest; the top-level help and a misspelt command get the full parser.
    """
    parser = argparse.ArgumentParser(
        prog="qcflow",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"qcflow {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in (only,) if only in COMMAND_MODULES else COMMAND_MODULES:
        module = importlib.import_module(f"qcflow.cli.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``qcflow`` console script; returns the process exit code."""
    words = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(words[0] if words else None)
    args = parser.parse_args(words)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        code: int = handler(args)
    except QcflowError as err:
        print(f"qcflow: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("qcflow: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `qcflow ... | head` closed our stdout: not an error of ours.
        return 0
    return code
