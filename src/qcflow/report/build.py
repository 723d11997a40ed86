"""Writing a report folder: ``index.html``, ``assets/report.css``, and copies of the objects.

Layout (everything relative, so the folder opens from disk and can be moved or zipped)::

    <out>/index.html
    <out>/assets/report.css
    <out>/objects/<QCDB path>/<run>.json      one per quality object shown
    <out>/objects/<QCDB path>.png             one per plot (a ROOT graph published without its
                                              PNG companion: drawn from the graph)
    <out>/objects/<QCDB path>.marked.png      the plot with the detector's Bad/Medium runs
                                              marked (:mod:`.marks`), shown instead of it

No network, no CDN, no script: the page is plain HTML and CSS. The folder is written as
``<out>.tmp`` and renamed into place; an error or an interrupt removes ``<out>.tmp``, so the
previous report stays whole. Only an earlier report or an empty folder is replaced.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from qcflow._io import atomic_write_bytes, atomic_write_text, writable_dir
from qcflow.errors import InvalidInput
from qcflow.objects.metadata import DRAW_OPTIONS
from qcflow.objects.paths import PNG_COMPANION
from qcflow.qcdb.open import is_remote
from qcflow.qcdb.repository import Repository
from qcflow.report.collect import (
    PlotEntry,
    QualityEntry,
    ReportData,
    collect,
    nothing_found,
    worst,
)
from qcflow.report.html import index_page
from qcflow.report.marks import MARKED, RunMark, mark_runs
from qcflow.report.style import CSS

__all__ = ["ReportResult", "build_report", "run_marks"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportResult:
    index: Path
    data: ReportData

    @property
    def url(self) -> str:
        return self.index.resolve().as_uri()


def _json_name(entry: QualityEntry) -> str:
    return f"objects/{entry.info.path}/{entry.run}.json"


def _png_name(entry: PlotEntry) -> str:
    return f"objects/{entry.info.path.removesuffix(PNG_COMPANION)}.png"  # a companion: once


def _write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        atomic_write_text(path, data)
    else:
        atomic_write_bytes(path, data)


def run_marks(data: ReportData, detector: str) -> list[RunMark]:
    """The runs whose worst verdict of ``detector``'s checks is Bad or Medium."""
    out = []
    for run, (start, end) in data.runs.items():
        entries = data.cell(run, detector)
        verdict = worst([e.quality for e in entries]).name if entries else ""
        if verdict in MARKED:
            out.append(RunMark(run, start, end, verdict))
    return out


def _caption(marks: list[RunMark]) -> str:
    parts = []
    for verdict in MARKED:
        runs = [str(m.run) for m in marks if m.verdict == verdict]
        if runs:
            parts.append(
                f"{verdict} ({'red' if verdict == 'Bad' else 'orange'}): {', '.join(runs)}"
            )
    return "marked: " + "; ".join(parts)


def _copy_name(entry: QualityEntry | PlotEntry) -> str:
    return _json_name(entry) if isinstance(entry, QualityEntry) else _png_name(entry)


def _remote(repo: Repository) -> str:
    return repo.url.split(",", 1)[0].rstrip("/") if is_remote(repo.url) else ""


def build_report(
    repo: Repository,
    period: str,
    pass_name: str,
    out: str | os.PathLike[str],
    *,
    provenance: str = "qc_async",
) -> ReportResult:
    """Collect from ``repo`` and write the report folder ``out`` (a previous report there is
    replaced). :class:`InvalidInput` when ``out`` cannot hold a report or the store has nothing
    for the period and pass (nothing is written then)."""
    folder = _target(out)
    data = collect(repo, period, pass_name, provenance=provenance)
    if not data.runs and not data.detectors:
        raise InvalidInput(nothing_found(repo, data))
    staging = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        _write_folder(repo, data, staging)
        with _writing(folder):
            shutil.rmtree(folder, ignore_errors=True)
            staging.rename(folder)
    except BaseException:
        # Interrupted or failed: leave the previous report, and no half-written staging folder.
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return ReportResult(folder / "index.html", data)


def _target(out: str | os.PathLike[str]) -> Path:
    """The report folder: a new path, an empty folder or a previous report, in a folder one can
    write in. Anything else is refused rather than replaced."""
    given = os.fspath(out)
    if "\0" in given:
        msg = f"cannot write a report to {given!r}: a path has no NUL character"
        raise InvalidInput(msg)
    try:
        folder = Path(out).resolve()
        if not folder.name:
            msg = f"cannot write a report to {given}: name a folder for it"
            raise InvalidInput(msg)
        writable_dir(folder.parent, f"the folder of report {given}")
        if folder.exists() and not folder.is_dir():
            msg = f"cannot write a report to {given}: it exists and is not a folder"
            raise InvalidInput(msg)
        if folder.is_dir() and any(folder.iterdir()) and not _is_report(folder):
            msg = (
                f"cannot write a report to {given}: it is a folder holding other files "
                "(a report replaces only an earlier report or an empty folder)"
            )
            raise InvalidInput(msg)
    except (OSError, RuntimeError) as err:  # RuntimeError: a symbolic link loop
        msg = f"cannot write a report to {given}: {getattr(err, 'strerror', None) or err}"
        raise InvalidInput(msg) from None
    return folder


def _is_report(folder: Path) -> bool:
    return (folder / "index.html").is_file() and (folder / "assets" / "report.css").is_file()


@contextmanager
def _writing(folder: Path) -> Iterator[None]:
    """Failing to write the report's files is the user's input (where they asked for it)."""
    try:
        yield
    except OSError as err:
        msg = f"cannot write the report {folder}: {err.strerror or err}"
        raise InvalidInput(msg) from None


def _plot_png(repo: Repository, plot: PlotEntry) -> bytes | None:
    """The plot's PNG: its object, or drawn from its ROOT graph (as the task that published it
    would have drawn it, :mod:`qcflow.postprocessing.plotting.graphs`); None, with a warning,
    for a graph qcflow cannot read (another writer's)."""
    data = repo.download(plot.info.id).data
    if not plot.from_graph:
        return data
    from qcflow.postprocessing.plotting.graphs import graph_object_png

    try:
        return graph_object_png(data, plot.info.metadata.get(DRAW_OPTIONS, ""))
    except Exception as err:  # any reader error of a foreign object: the report goes on
        log.warning("plot %s not shown: cannot draw its graph: %s", plot.info.path, err)
        return None


def _write_folder(repo: Repository, data: ReportData, staging: Path) -> None:
    with _writing(staging):
        _write(staging / "assets" / "report.css", CSS)
    for entries in data.qualities.values():
        for entry in entries:
            encoded = entry.qo.to_json_bytes()
            with _writing(staging):
                _write(staging / _json_name(entry), encoded)
    shown: dict[str, tuple[str, str]] = {}
    drawn = []
    for plot in data.plots:
        image = _plot_png(repo, plot)
        if image is None:
            continue
        drawn.append(plot)
        marks = run_marks(data, plot.detector)
        marked = mark_runs(image, marks) if marks else None
        with _writing(staging):
            _write(staging / _png_name(plot), image)
            if marked is not None:
                name = _png_name(plot).removesuffix(".png") + ".marked.png"
                _write(staging / name, marked)
                shown[plot.info.path] = (name, _caption(marks))
    data.plots = drawn
    server = _remote(repo)

    def remote(entry: QualityEntry | PlotEntry) -> str:
        return f"{server}/download/{entry.info.id}" if server else ""

    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    page = index_page(data, local=_copy_name, remote=remote, generated=generated, marked=shown)
    with _writing(staging):
        _write(staging / "index.html", page)
