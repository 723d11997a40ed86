"""The end of a run, for machines (``summary.json``) and for people (a table).

``summary.json`` (written atomically)::

    {"qcflow": "0.1.0", "workflow": "wf.json", "ok": false, "exit_code": 1,
     "started": "...Z", "ended": "...Z", "duration": 12.3,
     "limits": {"cpu": 4, "mem": 21000, "n_backfill": 1, "max_jobs": 100},
     "counts": {"done": 3, "failed": 1, "cancelled": 2},
     "tasks": [{"name": "a", "status": "done", "attempts": 1, "retries": 0, "rc": 0,
                "start": "...Z", "end": "...Z", "duration": 0.4, "lane": "normal",
                "peak_pss_mb": 12.5, "peak_uss_mb": 9.1, "cpu_mean_percent": 97.0,
                "reason": "", "log": "/abs/QC/a.log", "notes": [],
                "booked_mem_mb": 100, "warnings": []}, ...],
     "not_run": [{"name": "c", "status": "cancelled", "reason": "task b failed"}, ...]}

Every task of the run is in ``tasks``; those that never started (cached, blocked, cancelled,
excluded for a missing need) are also in ``not_run`` with the reason. Statuses are the
scheduler's (:mod:`~qcflow.runner.scheduler`) plus ``excluded``.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qcflow import __version__
from qcflow._io import atomic_write_text
from qcflow._types import JSONObject
from qcflow.runner.logs import iso_time
from qcflow.runner.resources import ResourceLimits

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["TaskRecord", "build_summary", "dumps_by_line", "print_table", "write_summary"]

_NEVER_RAN = {"cached", "blocked", "cancelled", "excluded", "pending", "ready"}
_TABLE_ALL_UP_TO = 30
_TABLE_MAX_ROWS = 50


@dataclass
class TaskRecord:
    """What happened to one task; filled by the engine as the run goes."""

    name: str
    status: str = "pending"
    attempts: int = 0
    rc: int | None = None
    start: float | None = None
    end: float | None = None
    lane: str | None = None
    reason: str = ""
    peak_pss_mb: float | None = None
    peak_uss_mb: float | None = None
    cpu_mean_percent: float | None = None
    log: str | None = None
    #: What the task's last attempt wrote to its notes file (:mod:`~qcflow.runner.notes`).
    notes: list[str] = field(default_factory=list)
    #: The memory the last attempt booked, MB.
    booked_mem_mb: float | None = None
    #: The last attempt was ended by --enforce-memory.
    out_of_memory: bool = False
    #: What went wrong without failing the task (a peak over the booking).
    warnings: list[str] = field(default_factory=list)

    @property
    def duration(self) -> float | None:
        if self.start is None or self.end is None:
            return None
        return round(self.end - self.start, 3)

    def to_json(self) -> JSONObject:
        return {
            "name": self.name,
            "status": self.status,
            "attempts": self.attempts,
            "retries": max(self.attempts - 1, 0),
            "rc": self.rc,
            "start": None if self.start is None else iso_time(self.start),
            "end": None if self.end is None else iso_time(self.end),
            "duration": self.duration,
            "lane": self.lane,
            "peak_pss_mb": _round(self.peak_pss_mb),
            "peak_uss_mb": _round(self.peak_uss_mb),
            "cpu_mean_percent": _round(self.cpu_mean_percent),
            "reason": self.reason,
            "log": self.log,
            "notes": list(self.notes),
            "booked_mem_mb": _round(self.booked_mem_mb),
            "warnings": list(self.warnings),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def build_summary(
    source: str,
    records: Sequence[TaskRecord],
    limits: ResourceLimits,
    started: float,
    ended: float,
    exit_code: int,
) -> JSONObject:
    counts = Counter(r.status for r in records)
    return {
        "qcflow": __version__,
        "workflow": source,
        "ok": exit_code == 0,
        "exit_code": exit_code,
        "started": iso_time(started),
        "ended": iso_time(ended),
        "duration": round(ended - started, 3),
        "limits": {
            "cpu": limits.cpu,
            "mem": round(limits.mem, 1),
            "n_backfill": limits.n_backfill,
            "max_jobs": limits.max_jobs,
        },
        "counts": dict(sorted(counts.items())),
        "tasks": [r.to_json() for r in records],
        "not_run": [
            {"name": r.name, "status": r.status, "reason": r.reason}
            for r in records
            if r.status in _NEVER_RAN
        ],
    }


def write_summary(path: Path, summary: JSONObject) -> None:
    """Write the summary atomically, one task per line (readable, and fast to encode)."""
    atomic_write_text(path, dumps_by_line(summary), fsync=False)


def dumps_by_line(summary: JSONObject) -> str:
    """JSON text with every top-level key, and every element of a list, on its own line.

    ``json.dumps(indent=...)`` falls back to the pure-Python encoder, 10x slower at 10,000 tasks.
    """
    lines = []
    for key, value in summary.items():
        if isinstance(value, list) and value:
            items = ",\n  ".join(json.dumps(item) for item in value)
            lines.append(f"{json.dumps(key)}: [\n  {items}\n ]")
        else:
            lines.append(f"{json.dumps(key)}: {json.dumps(value)}")
    return "{\n " + ",\n ".join(lines) + "\n}\n"


_STYLE = {
    "done": "green",
    "cached": "green",
    "failed": "bold red",
    "killed": "red",
    "out-of-memory": "bold red",
}


def _worth_a_row(row: Any) -> bool:
    """A task that succeeded is still shown in a large run when it left notes or a warning."""
    return bool(row.get("notes") or row.get("warnings"))


def print_table(summary: JSONObject, console: Console | None = None) -> None:
    """The end-of-run table: every task of a small run, else those that did not succeed or left
    notes or a warning; a "notes" column when a task left some."""
    rows: list[Any] = summary["tasks"]
    if len(rows) > _TABLE_ALL_UP_TO:
        rows = [r for r in rows if r["status"] not in {"done", "cached"} or _worth_a_row(r)]
    counts = ", ".join(f"{n} {status}" for status, n in summary["counts"].items())
    last = f"{len(summary['tasks'])} tasks: {counts}; {summary['duration']:.2f} s"
    if not rows and console is None and not sys.stdout.isatty():
        # Nothing to draw or colour: rich is not even imported (~10 ms of every start-up,
        # for scripts and batch jobs that run many small workflows).
        print(last)
        return
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    shown = rows[:_TABLE_MAX_ROWS]
    with_notes = any(row.get("notes") for row in shown)
    table = Table(title=f"qcflow run: {summary['workflow']}", title_justify="left")
    columns = ["task", "status", "tries", "time s", "rc", "PSS MB", "reason"]
    for column in columns + (["notes"] if with_notes else []):
        table.add_column(column, justify="right" if column in {"tries", "time s", "rc"} else "left")
    for row in shown:
        extra = ["\n".join(row.get("notes") or [])] if with_notes else []
        table.add_row(
            row["name"],
            f"[{_STYLE.get(row['status'], 'yellow')}]{row['status']}[/]",
            str(row["attempts"]),
            "" if row["duration"] is None else f"{row['duration']:.2f}",
            "" if row["rc"] is None else str(row["rc"]),
            "" if row["peak_pss_mb"] is None else f"{row['peak_pss_mb']:.0f}",
            "; ".join(filter(None, [row["reason"], *(row.get("warnings") or [])])),
            *extra,
        )
    if rows:
        console.print(table)
    if len(rows) > _TABLE_MAX_ROWS:
        console.print(f"… and {len(rows) - _TABLE_MAX_ROWS} more (see the summary file)")
    console.print(last)
