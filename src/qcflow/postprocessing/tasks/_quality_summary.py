"""What QualityTask found in one update, and its three forms: text lines, JSON and images.

:class:`Finding` is one quality object of one group: found or not (missing, too old), its
quality, message and flags. :func:`summary_lines` turns the findings into QC's summary text
(per group its title, then per object ``"<title> : <Quality>"``, the configured message, one
``"→ Flag: <flag>[: <comment>]"`` line per flag unless the group ignores that quality's details,
``"<title> : quality missing!"`` when no usable object was found), each line with QC's colour.

:class:`SummaryJSON` is the ``QualitySummaryJSON`` payload the HTML report reads (see
docs/quality.md for the layout), :func:`summary_image` the ``QualitySummary`` PNG,
:func:`trend_image` the ``Trends/<group>/<name>`` plot (quality against time).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qcflow.objects.activity import Activity
from qcflow.objects.codec import Payload
from qcflow.objects.plots import Frame, Style
from qcflow.objects.quality import Quality
from qcflow.postprocessing.plotting import root_style
from qcflow.postprocessing.plotting.draw import date_axis
from qcflow.postprocessing.plotting.images import GraphData, PlotImage, new_figure, png
from qcflow.postprocessing.plotting.overlays import QUALITY_COLORS
from qcflow.postprocessing.tasks._quality_config import QualityGroup, QualityInput

__all__ = [
    "SUMMARY_TYPE",
    "Finding",
    "Line",
    "SummaryJSON",
    "summary_image",
    "summary_lines",
    "trend_image",
]

SUMMARY_TYPE = "qcflow::QualitySummary"
MISSING_COLOR, FLAG_COLOR, TEXT_COLOR = 602, 922, 1
#: Where each quality sits on the trend's y axis (QC: Null 0.5 … Good 3.5).
TREND_Y = {"Null": 0.5, "Bad": 1.5, "Medium": 2.5, "Good": 3.5}


@dataclass(frozen=True)
class Finding:
    """One input of one group after an update."""

    group: QualityGroup
    item: QualityInput
    path: str
    quality: Quality | None = None
    reason: str = ""  # why there is no quality: "missing", "too old"
    activity: Activity | None = None

    @property
    def key(self) -> str:
        return f"{self.group.name}/{self.item.name}"

    @property
    def shows_flags(self) -> bool:
        return self.quality is not None and self.quality.name not in self.group.ignore_details

    def to_json(self) -> dict[str, Any]:
        quality = self.quality
        out: dict[str, Any] = {
            "name": self.item.name,
            "title": self.item.display,
            "path": self.path,
            "found": quality is not None,
            "reason": self.reason,
            "quality": quality.name if quality else None,
            "level": quality.level if quality else None,
            "message": self.item.messages.get(quality.name, "") if quality else "",
            "flagsShown": self.shows_flags,
            "flags": [
                {"type": f.type.name, "id": f.type.id, "comment": f.comment} for f in quality.flags
            ]
            if quality
            else [],
        }
        if self.activity is not None:
            a = self.activity
            out["activity"] = {
                "runNumber": a.number,
                "periodName": a.period_name,
                "passName": a.pass_name,
                "validFrom": a.valid_from,
                "validUntil": a.valid_until,
            }
        return out


@dataclass(frozen=True)
class Line:
    """One line of the summary: its text (ROOT TLatex), colour, and what it is."""

    text: str
    color: int = TEXT_COLOR
    kind: str = "text"  # title, quality, message, flag, missing, separator


def _object_lines(finding: Finding) -> list[Line]:
    title, quality = finding.item.display, finding.quality
    if quality is None:
        return [Line(f"{title} : quality missing!", MISSING_COLOR, "missing")]
    color = QUALITY_COLORS.get(quality.name, QUALITY_COLORS["Null"])
    lines = [Line(f"{title} : {quality.name}", color, "quality")]
    if message := finding.item.messages.get(quality.name):
        lines.append(Line(message, color, "message"))
    if finding.shows_flags:
        for flag in quality.flags:
            text = f"#rightarrow Flag: {flag.type.name}" + (
                f": {flag.comment}" if flag.comment else ""
            )
            lines.append(Line(text, FLAG_COLOR, "flag"))
    return lines


def summary_lines(findings: Sequence[Finding]) -> list[Line]:
    """QC's summary text, group by group, a separator between groups."""
    lines: list[Line] = []
    groups = list(dict.fromkeys(f.group for f in findings))
    for index, group in enumerate(groups):
        if index:
            lines.append(Line("", TEXT_COLOR, "separator"))
        if group.title:
            lines.append(Line(group.title, TEXT_COLOR, "title"))
        for finding in (f for f in findings if f.group == group):
            lines.extend(_object_lines(finding))
    return lines


@dataclass
class SummaryJSON:
    """The ``QualitySummaryJSON`` object: the latest update in full, and every update in short."""

    task: str
    detector: str
    max_age_seconds: int
    current: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)

    def record(self, activity: Activity, timestamp: int, findings: Sequence[Finding]) -> None:
        a = activity
        trigger = {
            "runNumber": a.number,
            "runType": a.type,
            "periodName": a.period_name,
            "passName": a.pass_name,
            "provenance": a.provenance,
            "timestamp": timestamp,
        }
        groups = []
        for group in dict.fromkeys(f.group for f in findings):
            objects = [f.to_json() for f in findings if f.group == group]
            groups.append(
                {"name": group.name, "title": group.title, "path": group.path, "objects": objects}
            )
        lines = [
            {"text": line.text, "color": line.color, "kind": line.kind}
            for line in summary_lines(findings)
        ]
        self.current = {"trigger": trigger, "groups": groups, "lines": lines}
        qualities = {f.key: f.quality.name if f.quality else None for f in findings}
        self.history.append({**trigger, "qualities": qualities})

    def encode(self) -> Payload:
        document = {
            "_typename": SUMMARY_TYPE,
            "version": 1,
            "task": self.task,
            "detector": self.detector,
            "maxObjectAgeSeconds": self.max_age_seconds,
            **self.current,
            "history": self.history,
        }
        data = json.dumps(document, indent=1, sort_keys=True).encode()
        return Payload(data, SUMMARY_TYPE, "application/json", "json")


def summary_image(lines: Sequence[Line]) -> PlotImage:
    """The summary as a picture (QC's ``QualitySummary`` canvas, 800×600)."""
    figure = new_figure(8.0, 6.0)
    axes = figure.add_axes((0.05, 0.05, 0.9, 0.9))
    axes.axis("off")
    step = 0.9 / max(len(lines), 12)
    for index, line in enumerate(lines):
        y = 0.95 - (index + 0.5) * step
        if line.kind == "separator":
            axes.axhline(y, color="black", linestyle=(0, (8, 4)), linewidth=2)
            continue
        centre = line.kind == "title"
        axes.text(
            0.5 if centre else 0.02,
            y,
            root_style.mathtext(line.text),
            color=root_style.color(line.color),
            fontsize=12 if centre else 11,
            horizontalalignment="center" if centre else "left",
            verticalalignment="center",
            fontweight="bold" if centre else "normal",
        )
    return PlotImage("QualitySummary", png(figure))


def trend_image(name: str, title: str, points: Sequence[tuple[float, str]]) -> PlotImage:
    """Quality against time (s): Null, Bad, Medium, Good from bottom to top."""

    def draw() -> Any:
        figure = new_figure()
        axes = figure.add_subplot()
        x = [p[0] for p in points]
        y = [TREND_Y.get(p[1], TREND_Y["Null"]) for p in points]
        axes.plot(x, y, marker="o", color="black", linewidth=1)
        axes.set_ylim(0, 4)
        axes.set_yticks(list(TREND_Y.values()), list(TREND_Y))
        axes.yaxis.grid(True, linestyle=":")
        axes.set_title(root_style.mathtext(title))
        axes.set_xlabel("time")
        date_axis(axes)
        figure.subplots_adjust(left=0.12, right=0.96, bottom=0.18, top=0.9)
        return figure

    graph = GraphData(
        title,
        np.asarray([p[0] for p in points]),
        np.asarray([TREND_Y.get(p[1], TREND_Y["Null"]) for p in points]),
        title=title,
        style=Style(line_color=1, marker_style=20),
        option="PL",
    )
    # the ROOT graph holds QC's own values (QualityTrendGraph: y = 0.5 Null, 1.5 Bad, 2.5 Medium,
    # 3.5 Good on [0, 4], drawn "APL"), and QC's display hint "gridy"
    axis = "quality (0.5 Null, 1.5 Bad, 2.5 Medium, 3.5 Good)"
    frame = Frame(title, "time", axis, time_axis=True, y_range=(0.0, 4.0))
    return PlotImage(
        name, png(draw()), (graph,), draw, frame, draw_options="APL", display_hints="gridy"
    )
