"""Bad and Medium runs marked on a detector's trend plots, drawn onto copies of their PNGs.

The plots in the QCDB were drawn by the tasks, which do not know the checks' verdicts; the
report does. qcflow's plots describe each pad whose x is a run number or a time in the PNG's
``qcflow:x-axes`` text chunk (:func:`qcflow.postprocessing.plotting.images.x_axes`): its pixel
box and x range. On such a pad a marked run gets a translucent vertical band (red: Bad, orange:
Medium) over the run -- at its run number, or from its start to its end on a time axis, at least
:data:`MIN_WIDTH` pixels wide -- and a solid tab along the pad's top edge. Plots without that
chunk (other tools', or an x that is neither) are left as they are.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

from qcflow.postprocessing.plotting.images import X_AXES_KEY

__all__ = ["MARKED", "MIN_WIDTH", "RunMark", "mark_runs"]

#: The verdicts marked, with their colours (the report's Bad and Medium, darker).
MARKED = {"Bad": (214, 39, 40), "Medium": (245, 150, 0)}
MIN_WIDTH = 6  # pixels: a run among hundreds on a time axis is still seen
_BAND_ALPHA, _TAB_HEIGHT = 60, 5


@dataclass(frozen=True)
class RunMark:
    """A run to mark: its number, start and end (ms) and verdict (a key of :data:`MARKED`)."""

    run: int
    start: int
    end: int
    verdict: str


def _pads(image: Any) -> list[dict[str, Any]]:
    text = getattr(image, "text", {}).get(X_AXES_KEY, "")
    try:
        pads = json.loads(text) if text else []
    except ValueError:
        return []
    return [p for p in pads if isinstance(p, dict) and p.get("kind") in ("run", "time")]


def _span(pad: dict[str, Any], mark: RunMark) -> tuple[float, float] | None:
    """The mark's left and right pixel on ``pad``, or None when it is outside."""
    left, _, right, _ = pad["box"]
    low, high = pad["xlim"]
    if high <= low:
        return None
    first, last = (
        (mark.run, mark.run) if pad["kind"] == "run" else (mark.start / 1000, mark.end / 1000)
    )
    if last < low or first > high:
        return None
    scale = (right - left) / (high - low)
    x0, x1 = left + (first - low) * scale, left + (last - low) * scale
    if x1 - x0 < MIN_WIDTH:
        centre = (x0 + x1) / 2
        x0, x1 = centre - MIN_WIDTH / 2, centre + MIN_WIDTH / 2
    return max(x0, left), min(x1, right)


def mark_runs(data: bytes, marks: list[RunMark]) -> bytes | None:
    """``data`` (a PNG) with ``marks`` drawn on its run and time pads; None when nothing was
    drawn (no such pad, no mark inside one, or not a PNG qcflow can read)."""
    from PIL import Image, ImageDraw, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    pads = _pads(image)
    if not pads or not marks:
        return None
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    drawn = 0
    for pad in pads:
        _, top, _, bottom = pad["box"]
        for mark in sorted(marks, key=lambda m: m.verdict == "Bad"):  # Bad drawn over Medium
            span = _span(pad, mark)
            if span is None:
                continue
            colour = MARKED[mark.verdict]
            draw.rectangle((span[0], top, span[1], bottom), fill=(*colour, _BAND_ALPHA))
            draw.rectangle((span[0], top, span[1], top + _TAB_HEIGHT), fill=(*colour, 255))
            drawn += 1
    if not drawn:
        return None
    out = io.BytesIO()
    Image.alpha_composite(image.convert("RGBA"), layer).save(out, format="PNG")
    return out.getvalue()
