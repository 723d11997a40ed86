"""BigScreen: one coloured box per quality object, on a grid -- the shift's overview screen.

QC's ``o2::quality_control_modules::common::BigScreen``. Parameters (``extendedTaskParameters``,
by run and beam type): ``nRows``, ``nCols`` (1), ``labels`` (comma-separated, one box each, left
to right and top to bottom; an empty label leaves its cell empty), ``maxObjectTimeShift`` (s,
600; -1: no limit), ``ignoreActivity`` (false), ``borderWidth`` (5), ``foregroundColor`` (1),
``backgroundColor`` (0). ``dataSources[].names`` (or ``name``): ``"LABEL:QO_PATH"``.

Per update each label's box shows the latest quality object at its path (for the trigger's
activity, or any with ``ignoreActivity``): its quality's colour and name, yellow "Old" when the
object's validity ended more than ``maxObjectTimeShift`` before the trigger, grey "NF" when
there is none. Published as the PNG ``BigScreen``.

Differences from QC: ``ignoreActivity`` keeps the provenance (QC's empty activity looks under
``qc/`` whatever the config says); ``maxObjectTimeShift: -1`` means no limit, as documented (QC's
code compares with -1 s); malformed sources are warned about (QC ignores them silently).
"""

from __future__ import annotations

import math
from typing import Any

from qcflow.objects.activity import Activity
from qcflow.postprocessing.config.schema import TaskConfig
from qcflow.postprocessing.config.values import Node
from qcflow.postprocessing.engine.object_manager import PublicationPolicy
from qcflow.postprocessing.engine.services import Services
from qcflow.postprocessing.engine.task import Task, task_reads
from qcflow.postprocessing.plotting import root_style
from qcflow.postprocessing.plotting.images import PlotImage, new_figure, png
from qcflow.postprocessing.plotting.overlays import QUALITY_COLORS
from qcflow.postprocessing.trending.config import source_names
from qcflow.postprocessing.triggers.trigger import Trigger

__all__ = ["BigScreen", "Box"]

NOT_FOUND, OLD = (920, " NF "), (400, " Old ")
Box = tuple[str, int, str]  # label, ROOT colour, text


def _sources(node: Node) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in node.items("dataSources"):
        for index, text in enumerate(source_names(item)):
            parts = [p for p in text.split(":") if p]
            if len(parts) != 2:
                item.warn(f"names[{index}]", f"{text!r} is not 'LABEL:QO_PATH'; ignored")
                continue
            out[parts[0]] = parts[1]
        item.finish()
    return out


class BigScreen(Task[dict[str, str]]):
    """See the module docstring."""

    @classmethod
    def parse_options(cls, node: Node, config: TaskConfig[None]) -> dict[str, str]:
        return _sources(node)

    @classmethod
    def reads(cls, config: TaskConfig[dict[str, str]]) -> list[tuple[str, str]]:
        paths = [(f"{config.path}.dataSources", path) for path in config.options.values()]
        return task_reads(config) + paths

    def initialize(self, trigger: Trigger, services: Services) -> None:
        p, a = self.config.parameters, trigger.activity
        self.rows, self.columns = p.get_int("nRows", 1, a), p.get_int("nCols", 1, a)
        self.labels = (p.get("labels", a) or "").split(",")
        if len(self.labels) > self.rows * self.columns:
            self.log.warning(
                "Number of labels larger than nRows*nCols, some labels will not "
                "be displayed correctly"
            )
        self.max_shift = p.get_int("maxObjectTimeShift", 600, a)
        self.ignore_activity = p.get_bool("ignoreActivity", False, a)
        self.colors = (
            p.get_int("foregroundColor", 1, a),
            p.get_int("backgroundColor", 0, a),
            p.get_int("borderWidth", 5, a),
        )
        self.boxes: list[Box] = []

    def update(self, trigger: Trigger, services: Services) -> None:
        activity = (
            Activity(provenance=trigger.activity.provenance)
            if self.ignore_activity
            else (trigger.activity)
        )
        self.boxes = [self._box(label, activity, trigger, services) for label in self.labels]
        image = PlotImage("BigScreen", png(self._draw()), redraw=self._draw)
        self.objects.start_publishing(image, "BigScreen", PublicationPolicy.THROUGH_STOP)

    def _box(self, label: str, activity: Activity, trigger: Trigger, services: Services) -> Box:
        path = self.options.get(label)
        found = services.retrieve_latest(path, activity) if path else None
        if found is None or not hasattr(found.obj, "quality"):
            return (label, *NOT_FOUND) if label else ("", 0, "")
        elapsed = trigger.timestamp - (found.info.valid_until - 1)
        if self.max_shift >= 0 and elapsed > self.max_shift * 1000:
            return (label, *OLD)
        name = found.obj.quality.name
        return label, QUALITY_COLORS.get(name, QUALITY_COLORS["Null"]), f" {name} "

    def _draw(self) -> Any:
        from matplotlib.patches import Rectangle

        foreground, background, border = self.colors
        figure = new_figure(8.0, 6.0)
        figure.set_facecolor(root_style.color(background))
        for index, (label, color, text) in enumerate(self.boxes[: self.rows * self.columns]):
            if not label:
                continue
            row, column = divmod(index, self.columns)
            axes = figure.add_axes(
                (column / self.columns, 1 - (row + 1) / self.rows, 1 / self.columns, 1 / self.rows)
            )
            axes.axis("off")
            axes.text(
                0.2,
                0.8,
                label,
                color=root_style.color(foreground),
                fontsize=_size(self),
                verticalalignment="bottom",
            )
            axes.add_patch(
                Rectangle(
                    (0.2, 0.2),
                    0.6,
                    0.55,
                    facecolor=root_style.color(color),
                    edgecolor="black",
                    linewidth=border,
                )
            )
            axes.text(0.5, 0.475, text.strip(), ha="center", va="center", fontsize=_size(self))
        return figure


def _size(screen: BigScreen) -> float:
    return max(6.0, 40.0 / math.sqrt(max(screen.rows * screen.columns, 1)))
