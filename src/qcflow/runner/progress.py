"""What a person watching the run sees: a live rich display on a terminal, plain lines otherwise.

The live display shows counts (done, running, failed, pending, …), a progress bar and the CPU
and memory booked against the limits, refreshed twice a second by rich's own thread from the last
:class:`Snapshot` the engine handed over. Plain mode prints one line per task that ends (and one
per retry), which suits log files and CI. ``none`` prints nothing (library use).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from qcflow.runner.options import ProgressMode
from qcflow.runner.wakeup import sigchld_blocked

if TYPE_CHECKING:  # rich is imported by the live panel only: plain lines need none of it
    from rich.table import Table

__all__ = ["Progress", "Snapshot", "make_progress"]


@dataclass(frozen=True)
class Snapshot:
    counts: Mapping[str, int] = field(default_factory=dict)
    total: int = 0
    cpu: float = 0.0
    cpu_limit: float = 0.0
    mem: float = 0.0
    mem_limit: float = 0.0

    @property
    def finished(self) -> int:
        return sum(self.counts.get(s, 0) for s in ("done", "cached", "failed", "blocked", "killed"))


class Progress(Protocol):
    def update(self, snapshot: Snapshot) -> None: ...

    def line(self, text: str, style: str = "") -> None: ...

    def close(self) -> None: ...


class NullProgress:
    def update(self, snapshot: Snapshot) -> None:
        return None

    def line(self, text: str, style: str = "") -> None:
        return None

    def close(self) -> None:
        return None


class PlainProgress:
    """One line per event on stdout."""

    def update(self, snapshot: Snapshot) -> None:
        return None

    def line(self, text: str, style: str = "") -> None:
        sys.stdout.write(text + "\n")  # one write: print() writes the text and its newline apart
        sys.stdout.flush()

    def close(self) -> None:
        return None


class RichProgress:
    """A live panel on stderr; event lines scroll above it."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.live import Live

        self._snapshot = Snapshot()
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self.console = Console(stderr=True)
        self._live = Live(
            get_renderable=self._render, console=self.console, refresh_per_second=2, transient=False
        )
        with sigchld_blocked():  # its refresh thread: each task's SIGCHLD is the main thread's
            self._live.start()

    def update(self, snapshot: Snapshot) -> None:
        with self._lock:
            self._snapshot = snapshot

    def line(self, text: str, style: str = "") -> None:
        from rich.text import Text

        self.console.print(Text(text, style=style))

    def close(self) -> None:
        self._live.refresh()
        self._live.stop()

    def _render(self) -> Table:
        from rich.progress_bar import ProgressBar
        from rich.table import Table
        from rich.text import Text

        with self._lock:
            snap = self._snapshot
        counts = snap.counts
        head = Text.assemble(
            ("done ", "bold"),
            (f"{counts.get('done', 0) + counts.get('cached', 0)}", "green"),
            ("  running ", "bold"),
            (f"{counts.get('running', 0)}", "cyan"),
            ("  failed ", "bold"),
            (f"{counts.get('failed', 0) + counts.get('killed', 0)}", "red"),
            ("  pending ", "bold"),
            (f"{counts.get('pending', 0) + counts.get('ready', 0) + counts.get('retry-wait', 0)}"),
            (f"  of {snap.total}   {time.monotonic() - self._started:.0f} s", "dim"),
        )
        cpu = f"cpu {snap.cpu:g}/{snap.cpu_limit:g} cores"
        booked = Text(f"{cpu}   mem {snap.mem:.0f}/{snap.mem_limit:.0f} MB", style="dim")
        bar = ProgressBar(total=max(snap.total, 1), completed=snap.finished, width=40)
        grid = Table.grid()
        grid.add_row(head)
        line = Table.grid(padding=(0, 2))
        line.add_row(bar, booked)
        grid.add_row(line)
        return grid


def make_progress(mode: ProgressMode) -> Progress:
    """``auto``: rich on a terminal, plain lines otherwise."""
    if mode == "auto":
        mode = "rich" if sys.stderr.isatty() else "plain"
    if mode == "rich":
        return RichProgress()
    if mode == "plain":
        return PlainProgress()
    return NullProgress()
