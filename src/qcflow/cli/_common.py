"""Helpers shared by the sub-command modules: help formatting and warning output."""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["add_command", "warn"]


def add_command(
    subparsers: Any, name: str, *, help: str, description: str, epilog: str | None = None
) -> argparse.ArgumentParser:
    """Add a sub-command whose help keeps the layout of its description and examples."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name,
        help=help,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser


def warn(message: str) -> None:
    """Print a one-line warning on stderr."""
    print(f"qcflow: warning: {message}", file=sys.stderr)
