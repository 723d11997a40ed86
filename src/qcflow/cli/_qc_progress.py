"""Progress of ``qcflow qc``: a rich progress bar per task on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["progress_handler"]

Handler = Callable[[str, Any, Any], None]
#: Plain mode prints a line every this many updates of a task.
PLAIN_EVERY = 100


@contextmanager
def progress_handler(*, quiet: bool = False) -> Iterator[Handler]:
    """An engine event handler showing progress; rich bars only on a terminal."""
    if quiet:
        yield lambda *_: None
    elif sys.stderr.isatty():
        with _rich() as handler:
            yield handler
    else:
        yield _plain


def _total(runner: Any) -> int:
    return int(runner.updates + len(runner.lookahead(10**9)))


def _plain(kind: str, runner: Any, trigger: Any) -> None:
    name = runner.config.task_name
    if kind == "update" and (runner.updates == 1 or runner.updates % PLAIN_EVERY == 0):
        print(f"qcflow qc: {name}: update {runner.updates}/{_total(runner)}", file=sys.stderr)


@contextmanager
def _rich() -> Iterator[Handler]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    bars: dict[str, Any] = {}
    with Progress(*columns, transient=False) as progress:

        def handle(kind: str, runner: Any, trigger: Any) -> None:
            name = runner.config.task_name
            if name not in bars:
                bars[name] = progress.add_task(name, total=None)
            if kind == "update":
                progress.update(bars[name], completed=runner.updates, total=_total(runner))
            elif kind == "finalize":
                progress.update(bars[name], total=runner.updates, completed=runner.updates)

        yield handle
