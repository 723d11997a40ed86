"""The five ZDC summaries, described once: what the post-processing task fills and publishes
(:mod:`.postprocessing`) and what the check judges (:mod:`.check`) come from :data:`FAMILIES`.

A family is one summary histogram (``h_summary_ADC`` …): the config key listing its sources,
its title, what a bin holds (the source's mean, or the position of its peak), the check's
parameter prefix (``ADC`` in ``ADC_ZNAC``), the channels its bins stand for in bin order (QC's
check has them fixed; the shipped ``zdc.json`` lists its sources in the same order) and the name
the check's messages give it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = ["BY_NAME", "BY_PREFIX", "FAMILIES", "Family", "Statistic"]

Statistic = Literal["mean", "peak"]

_ZN = ("ZNAC", "ZNAS", "ZPAC", "ZPAS", "ZEM1", "ZEM2", "ZNCC", "ZNCS", "ZPCC", "ZPCS")
_ADC = (
    *(f"ZNA{c}" for c in ("C", "1", "2", "3", "4", "S")),
    *(f"ZPA{c}" for c in ("C", "1", "2", "3", "4", "S")),
    "ZEM1",
    "ZEM2",
    *(f"ZNC{c}" for c in ("C", "1", "2", "3", "4", "S")),
    *(f"ZPC{c}" for c in ("C", "1", "2", "3", "4", "S")),
)


@dataclass(frozen=True)
class Family:
    """One summary histogram and how it is filled and judged."""

    #: The check's parameter prefix (``<prefix>_<channel>``), also the family's short name.
    prefix: str
    #: The post-processing config key listing the family's sources.
    key: str
    #: The summary's object name and title.
    name: str
    title: str
    #: What a bin holds: the source's mean (with its error) or the centre of its highest bin.
    statistic: Statistic
    #: The channels the bins stand for, in bin order (what the check's parameters name).
    channels: tuple[str, ...]
    #: What the check's messages and flags call the family (``Error <message> value …``).
    message: str
    #: A peak family's fixed search range; ``None``: from ``minBin1p``/``maxBin1p``.
    peak_range: tuple[float, float] | None = None


FAMILIES: tuple[Family, ...] = (
    Family("ADC", "dataSourcesADC", "h_summary_ADC", "Summary ADC", "mean", _ADC, "ADC"),
    Family("TDC", "dataSourcesTDC", "h_summary_TDC", "Summary TDC", "mean", _ZN, "TDC"),
    Family(
        "TDCA",
        "dataSourcesTDCA",
        "h_summary_TDCA",
        "Summary TDC Amplitude",
        "mean",
        _ZN,
        "TDC Amplitude",
    ),
    Family(
        "PEAK1N",
        "dataSourcesPeak1n",
        "h_summary_Peak1n",
        "Summary TDC Amplitude Peak 1n",
        "peak",
        ("ZNAC", "ZNAS", "ZNCC", "ZNCS"),
        "TDC Amplitude Peak1n",
        peak_range=(1.0, 200.0),
    ),
    Family(
        "PEAK1P",
        "dataSourcesPeak1p",
        "h_summary_Peak1p",
        "Summary TDC Amplitude Peak 1p",
        "peak",
        ("ZPAC", "ZPAS", "ZPCC", "ZPCS"),
        "TDC Amplitude Peak1p",
    ),
)
#: The families by check prefix (``"ADC"``) and by summary name (``"h_summary_ADC"``).
BY_PREFIX: Mapping[str, Family] = {f.prefix: f for f in FAMILIES}
BY_NAME: Mapping[str, Family] = {f.name: f for f in FAMILIES}
