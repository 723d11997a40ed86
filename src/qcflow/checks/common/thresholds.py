"""Threshold and range parameters of QC's common checks (QC's ``CheckerThresholdsConfig``).

``thresholdsBad`` / ``thresholdsMedium`` (or, for one plot, ``thresholdsBad:<plotName>``): a
``;``-separated list of ``min,max`` pairs, each optionally preceded by the interaction rate it is
meant for, in kHz: ``"500:0.9,1.1;1000:0.8,1.2"``. For a given rate the pair of the closest
rates below and above are interpolated; with only one of them, it is used; with no rated pair,
the first pair. A plot-specific value wins over the generic one.

``rangeX`` / ``rangeY`` (``rangeX:<plotName>``): ``"min,max"``, where a comparison is restricted.

Values are looked up with the activity's run and beam type (``extendedCheckParameters``), then
``default``. A malformed number is logged and read as 0, as QC does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from qcflow.objects.activity import Activity
from qcflow.postprocessing import CustomParameters, parse_float

__all__ = ["Band", "Thresholds", "plot_range", "thresholds_for"]

log = logging.getLogger("qcflow.checks")
Band = tuple[float, float]


def _number(text: str, what: str) -> float:
    value = parse_float(text)
    if value is None:
        log.error("cannot convert %r to a number (%s); 0 is used, as in QC", text, what)
        return 0.0
    return value


@dataclass(frozen=True)
class Thresholds:
    """The ``(min, max, rate in Hz or None)`` entries of one threshold parameter."""

    entries: tuple[tuple[float, float, float | None], ...] = ()

    @classmethod
    def parse(cls, text: str, what: str = "thresholds") -> Thresholds:
        entries = []
        for point in (p.strip() for p in text.split(";") if p.strip()):
            rate_text, colon, values = point.partition(":")
            rate = _number(rate_text, what) * 1000 if colon else None
            pair = [v.strip() for v in (values if colon else rate_text).split(",") if v.strip()]
            low, high = (_number(v, what) for v in pair) if len(pair) == 2 else (0.0, 0.0)
            entries.append((low, high, rate))
        return cls(tuple(entries))

    def at_rate(self, rate: float) -> Band | None:
        """The thresholds for an interaction rate (Hz), interpolated between the nearest."""
        rated = [(r, i) for i, (_, _, r) in enumerate(self.entries) if r is not None]
        below = max((x for x in rated if x[0] <= rate), default=None)
        above = min((x for x in rated if x[0] >= rate), default=None)
        if below and above and below[1] != above[1]:
            fraction = (rate - below[0]) / (above[0] - below[0])
            (a0, a1, _), (b0, b1, _) = self.entries[below[1]], self.entries[above[1]]
            return a0 * (1 - fraction) + b0 * fraction, a1 * (1 - fraction) + b1 * fraction
        chosen = below or above
        if chosen is not None:
            return self.entries[chosen[1]][:2]
        return self.entries[0][:2] if self.entries else None


def _value(parameters: CustomParameters, key: str, plot: str, activity: Activity) -> str:
    return parameters.get(f"{key}:{plot}", activity) or parameters.get(key, activity) or ""


def thresholds_for(
    parameters: CustomParameters, plot: str, level: str, activity: Activity, rate: float
) -> Band | None:
    """``thresholds<level>[:<plot>]`` at ``rate`` (Hz): plot-specific first, then generic."""
    for key in (f"thresholds{level}:{plot}", f"thresholds{level}"):
        text = parameters.get(key, activity)
        if text:
            found = Thresholds.parse(text, f"{key} of {plot}").at_rate(rate)
            if found is not None:
                return found
    return None


def plot_range(
    parameters: CustomParameters, plot: str, axis: str, activity: Activity
) -> Band | None:
    """``range<axis>[:<plot>]``: ``"min,max"``, or None."""
    text = _value(parameters, f"range{axis}", plot, activity)
    if not text:
        return None
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if len(parts) != 2:
        log.error('cannot parse the %s axis range of plot "%s": %r', axis, plot, text)
        return None
    low, high = (parse_float(p) for p in parts)
    if low is None or high is None:
        log.error('cannot convert the %s axis range of plot "%s": %r', axis, plot, text)
        return None
    return low, high
