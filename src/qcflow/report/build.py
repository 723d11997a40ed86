"""Writing a report folder: ``index.html``, ``assets/report.css``, and copies of the objects.

Layout (everything relative, so the folder opens from disk and can be moved or zipped)::

    <out>/index.html
    <out>/assets/report.css
    <out>/objects/<QCDB path>/<run>.json      one per quality object shown
    <out>/objects/<QCDB path>.png             one per plot

No network, no CDN, no script: the page is plain HTML and CSS.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from qcflow._io import atomic_write_bytes, atomic_write_text
from qcflow.objects.paths import PNG_COMPANION
from qcflow.qcdb.open import is_remote
from qcflow.qcdb.repository import Repository
from qcflow.report.collect import PlotEntry, QualityEntry, ReportData, collect
from qcflow.report.html import index_page
from qcflow.report.style import CSS

__all__ = ["ReportResult", "build_report"]


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
    """Collect from ``repo`` and write the report folder ``out`` (replaced if it exists)."""
    data = collect(repo, period, pass_name, provenance=provenance)
    folder = Path(out)
    staging = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    _write(staging / "assets" / "report.css", CSS)
    for entries in data.qualities.values():
        for entry in entries:
            _write(staging / _json_name(entry), entry.qo.encode())
    for plot in data.plots:
        _write(staging / _png_name(plot), repo.download(plot.info.id).data)
    server = _remote(repo)

    def remote(entry: QualityEntry | PlotEntry) -> str:
        return f"{server}/download/{entry.info.id}" if server else ""

    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    page = index_page(data, local=_copy_name, remote=remote, generated=generated)
    _write(staging / "index.html", page)
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)
    return ReportResult(folder / "index.html", data)
