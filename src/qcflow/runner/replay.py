"""``python -m qcflow.runner.replay LOG``: replay a ``--stimulus-log`` on a fresh scheduler.

Prints each decision that did something (``seq  start a (normal, attempt 1), …``), then the
verdict. Exit 0: every decision the same as recorded; 1: the first that differs (one line);
2: not a stimulus log. What a replay is: :mod:`~qcflow.runner.stimuli`. (A module of its own, not
imported by the package, so that ``python -m`` runs it without importing it twice.)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from qcflow.errors import QcflowError
from qcflow.runner import scheduler as sch
from qcflow.runner.stimuli import replay

__all__ = ["main"]


def _describe(action: sch.Action, names: Sequence[str]) -> str:
    name = names[action.task]
    if isinstance(action, sch.Start):
        return f"start {name} ({action.lane}, attempt {action.attempt})"
    if isinstance(action, sch.Kill):
        return f"kill {name}"
    return f"retry {name} in {action.delay:g} s (attempt {action.attempt})"


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m qcflow.runner.replay LOG``: replay; print each decision unless ``-q``."""
    parser = argparse.ArgumentParser(
        prog="python -m qcflow.runner.replay",
        description="Replay a runner's --stimulus-log on a fresh scheduler and check that it "
        "takes the same decisions (exit 0), or say where it does not (exit 1).",
    )
    parser.add_argument("log", type=Path, help="the JSON-lines file --stimulus-log wrote")
    parser.add_argument("-q", "--quiet", action="store_true", help="only the verdict")
    args = parser.parse_args(argv)
    try:
        result = replay(args.log)
    except QcflowError as err:
        print(f"qcflow: error: {err}", file=sys.stderr)
        return err.exit_code
    names = result.state.names
    if not args.quiet:
        for seq, actions in result.decisions:
            if actions:
                print(f"{seq:>6}  " + ", ".join(_describe(a, names) for a in actions))
    tail = ""
    if result.undecided is not None:
        done = ", ".join(_describe(a, names) for a in result.undecided) or "nothing"
        tail = f"; the last batch was never decided in the log, replayed: {done}"
    if result.torn:
        tail += "; its torn last line was dropped"
    print(
        f"{args.log}: {result.stimuli} stimuli and {len(result.decisions)} decisions replayed, "
        f"every decision the same{tail}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
