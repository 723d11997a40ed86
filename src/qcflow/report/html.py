"""The report's HTML, built with plain strings and :func:`html.escape` (no template engine).

``index.html`` holds, in order: a header (period, pass, QCDB, when), the legend, the run x
detector quality table (``id="quality-table"``; a cell per detector: the worst quality as its
colour, one line per quality object with its flags in a ``<details>`` and as a tooltip, links to
the object's JSON copy and, for a server, to the QCDB), then per detector its plots (``<img>``
of the PNG copies, each linking to the copy and naming its QCDB path; where the detector's
checks found Bad or Medium runs, the copy with those runs marked, and which they are).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from html import escape

from qcflow.report.collect import PlotEntry, QualityEntry, ReportData, worst

__all__ = ["LEVEL_CLASS", "index_page"]

#: CSS class of each quality name.
LEVEL_CLASS = {"Good": "good", "Medium": "medium", "Bad": "bad", "Null": "null"}
Link = Callable[[QualityEntry | PlotEntry], str]
Marked = Mapping[str, tuple[str, str]]  # plot path -> (marked copy, what is marked)


def _time(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M")


def _quality_line(entry: QualityEntry, local: str, remote: str) -> str:
    quality = entry.qo.quality  # with its flags (a listed verdict has none)
    flags = [f"{f.type.name}: {f.comment}" if f.comment else f.type.name for f in quality.flags]
    tooltip = escape(" | ".join(flags) or quality.name, quote=True)
    links = f'<a href="{escape(local, quote=True)}">json</a>'
    if remote:
        links += f' <a href="{escape(remote, quote=True)}">qcdb</a>'
    line = (
        f'<div class="qo {LEVEL_CLASS.get(quality.name, "null")}" title="{tooltip}">'
        f'<span class="qo-name">{escape(entry.name)}</span> '
        f'<span class="level">{escape(quality.name)}</span> {links}'
    )
    if flags:
        items = "".join(f"<li>{escape(text)}</li>" for text in flags)
        line += f"<details><summary>{len(flags)} flag(s)</summary><ul>{items}</ul></details>"
    return line + "</div>"


def _cell(data: ReportData, run: int, detector: str, local: Link, remote: Link) -> str:
    entries = data.cell(run, detector)
    if not entries:
        text = "no check" if detector not in data.checked else "missing"
        return f'<td class="none">{text}</td>'
    level = worst([e.quality for e in entries])
    lines = "".join(_quality_line(e, local(e), remote(e)) for e in entries)
    css = LEVEL_CLASS.get(level.name, "null")
    return f'<td class="cell {css}" data-quality="{escape(level.name)}">{lines}</td>'


def _table(data: ReportData, local: Link, remote: Link) -> str:
    head = "".join(f"<th>{escape(d)}</th>" for d in data.detectors)
    rows = []
    period_row = any(data.cell(0, d) for d in data.detectors)
    for run in ([0] if period_row else []) + list(data.runs):
        sor = data.runs.get(run, (0, 0))[0]
        label = f"{run}<br><small>{_time(sor)}</small>" if run else "period"
        cells = "".join(_cell(data, run, d, local, remote) for d in data.detectors)
        rows.append(f'<tr data-run="{run}"><th scope="row">{label}</th>{cells}</tr>')
    return (
        f'<table id="quality-table"><thead><tr><th>run</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _legend() -> str:
    items = "".join(f'<span class="badge {css}">{name}</span>' for name, css in LEVEL_CLASS.items())
    return (
        f'<p class="legend">Legend: {items} <span class="badge none">no check</span> '
        "(a cell's colour is the worst quality of the detector's checks for the run; "
        "hover or open the details for flags)</p>"
    )


def _plots(data: ReportData, local: Link, remote: Link, marked: Marked) -> str:
    out = []
    for detector in data.detectors:
        plots = [p for p in data.plots if p.detector == detector]
        figures = "".join(_figure(p, local(p), remote(p), marked.get(p.info.path)) for p in plots)
        body = figures or "<p>no plots</p>"
        head = f'<section class="detector" id="det-{escape(detector)}"><h2>{escape(detector)}</h2>'
        out.append(f'{head}<div class="plots">{body}</div></section>')
    return "".join(out)


def _figure(plot: PlotEntry, local: str, remote: str, marked: tuple[str, str] | None) -> str:
    src = escape(local, quote=True)
    shown = escape(marked[0], quote=True) if marked else src
    extra = f' <a href="{escape(remote, quote=True)}">qcdb</a>' if remote else ""
    if marked:
        extra += f' <a href="{src}">unmarked</a><br><span class="marks">{escape(marked[1])}</span>'
    return (
        f'<figure><a href="{shown}"><img src="{shown}" alt="{escape(plot.name, quote=True)}" '
        f"></a><figcaption>{escape(plot.name)}<br><code>"
        f"{escape(plot.info.path)}</code>{extra}</figcaption></figure>"
    )


def _summary(data: ReportData) -> str:
    counts: dict[str, int] = {}
    for entries in data.qualities.values():
        for entry in entries:
            counts[entry.quality.name] = counts.get(entry.quality.name, 0) + 1
    parts = ", ".join(f"{n} {name}" for name, n in sorted(counts.items()))
    counted = f"{len(data.runs)} runs, {len(data.detectors)} detectors"
    return f"<p>{counted}; quality objects: {escape(parts or 'none')}</p>"


def _header(data: ReportData, title: str, generated: str, nav: str) -> str:
    where = f"provenance {escape(data.provenance)}, QCDB <code>{escape(data.qcdb)}</code>"
    return (
        f"<header><h1>{escape(title)}</h1><p>{where}, generated {escape(generated)}</p>"
        f"<nav>Plots: {nav}</nav></header>"
    )


def index_page(
    data: ReportData, *, local: Link, remote: Link, generated: str, marked: Marked | None = None
) -> str:
    """The whole ``index.html``; ``local``/``remote`` give an object's copy and QCDB URL,
    ``marked`` a plot's (by QCDB path) marked copy and what it marks."""
    title = f"QC report: {data.period} {data.pass_name}"
    nav = " ".join(f'<a href="#det-{escape(d)}">{escape(d)}</a>' for d in data.detectors)
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{escape(title)}</title>",
            '<link rel="icon" href="data:,">',
            '<link rel="stylesheet" href="assets/report.css"></head><body>',
            _header(data, title, generated, nav),
            _summary(data),
            _legend(),
            _table(data, local, remote),
            _plots(data, local, remote, marked or {}),
            "</body></html>",
        ]
    )
