"""``o2::quality_control_modules::zdc::ZDCRecDataCheck``: each summary bin against an expected
value with absolute warning and error bands.

Parameters (``checkParameters``, run/beam type aware): one per channel, ``"<expected>;<warning>;
<error>"`` -- e.g. ``"ADC_ZNAC": "40.2;10;20"``: outside [30.2, 50.2] is a warning, outside
[20.2, 60.2] an error. Bands keep their sign as in QC (``expected - band`` and ``expected +
band``, so a negative band swaps its ends). Channels are fixed, in bin order, in the table the
post-processing task uses too (:data:`.families.FAMILIES`): ``ADC_*`` (26), ``TDC_*`` (10),
``TDCA_*`` (10), ``PEAK1N_*`` (4), ``PEAK1P_*`` (4). ``<F>_POS_MSG_X/Y`` place each family's
message on its plot (NDC, default 0.15/0.92 for ADC, 0.01/0.92 for the others) and are kept in
the quality's metadata.

Per summary (``h_summary_ADC``, ``_TDC``, ``_TDCA``, ``_Peak1n``, ``_Peak1p``): a bin is an
*error* below ``expected - error`` or above ``expected + error``, a *warning* below
``expected - warning`` or above ``expected + warning`` otherwise (QC's comparisons, boundary
asymmetry included). The family's state is OK, warning or error. A summary whose bin count
differs from its channel list makes the whole check Null, as in QC.

Verdict (QC's, including the precedence of its condition): Good if all five families are OK;
Bad if ADC or TDC has an error, or TDCA, Peak1n and Peak1p all have one; Medium otherwise (so an
error in TDCA alone is Medium, and a family not checked prevents Good). Flags (type
``Unknown``) say which channels are in the bad or medium range.

``beautify`` gives each summary QC's message as an overlay label (``ADC OK`` in green, ``Error ADC
value in the channels: ADC_ZNAC is not correct. Call the expert`` in red, ``Warning …. Send mail
to the expert`` in orange) at its family's ``<F>_POS_MSG_X/Y``; the check runner records it with
the histogram (``qc_annotations``).

Where qcflow differs from QC (see docs/modules.md): flag texts give the right count and channel
list for every family (QC prints the warning count in its "bad" texts and loses the lists of
TDC, Peak1n and Peak1p); a missing channel parameter means "not checked" (QC reads
uninitialised limits); each family's state comes from this call's objects (QC keeps the state of
a family absent from the call); a missing summary adds a flag; each message sits at its own
family's position (QC uses the ADC one for all) and has no time stamp.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from qcflow.checks.check import Check
from qcflow.modules.zdc.families import BY_NAME, BY_PREFIX, FAMILIES, Family
from qcflow.objects.activity import Activity
from qcflow.objects.quality import Quality
from qcflow.objects.root import Histogram
from qcflow.postprocessing import Label

__all__ = ["ChannelLimits", "FamilyResult", "RecDataCheck", "classify", "parse_limits"]

OK, WARNING, ERROR, NOT_CHECKED = 1, 2, 3, 0


@dataclass(frozen=True)
class ChannelLimits:
    """One channel's expected value and absolute bands; infinite bands: not checked."""

    channel: str
    expected: float = 0.0
    warning: float = np.inf
    error: float = np.inf

    def flags(self, value: float) -> tuple[bool, bool]:
        """``(warning, error)`` with QC's comparisons, in single precision: a warning below
        ``expected - warning`` (not below ``expected - error``) or above ``expected + warning``
        (below ``expected + error``); an error below ``expected - error`` or above
        ``expected + error``. Bands keep their sign, as in QC: a negative band swaps its ends,
        and a channel may then be both."""
        v = np.float32(value)
        min_w = np.float32(self.expected - self.warning)
        max_w = np.float32(self.expected + self.warning)
        min_e = np.float32(self.expected - self.error)
        max_e = np.float32(self.expected + self.error)
        warning = bool((min_e <= v < min_w) or (max_w < v < max_e))
        error = bool(v < min_e or v > max_e)
        return warning, error

    def classify(self, value: float) -> int:
        """ERROR, WARNING or OK (an error wins)."""
        warning, error = self.flags(value)
        return ERROR if error else WARNING if warning else OK


def parse_limits(channel: str, text: str | None) -> ChannelLimits:
    """``"expected;warning;error"`` -> :class:`ChannelLimits`; missing or unreadable: unchecked."""
    if not text:
        return ChannelLimits(channel)
    try:
        expected, warning, error = (float(part) for part in text.split(";")[:3])
    except ValueError:
        return ChannelLimits(channel)
    return ChannelLimits(channel, expected, warning, error)


@dataclass(frozen=True)
class FamilyResult:
    """A family's state and the channels in the warning and error ranges."""

    family: Family
    state: int
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


def classify(
    family: Family, values: Sequence[float], limits: Sequence[ChannelLimits]
) -> FamilyResult:
    """The state of one summary's bins against its channels' limits."""
    flags = [lim.flags(v) for v, lim in zip(values, limits, strict=True)]
    warnings = tuple(lim.channel for lim, (w, _) in zip(limits, flags, strict=True) if w)
    errors = tuple(lim.channel for lim, (_, e) in zip(limits, flags, strict=True) if e)
    state = ERROR if errors else WARNING if warnings else OK
    return FamilyResult(family, state, warnings, errors)


class RecDataCheck(Check):
    """QC's ``ZDCRecDataCheck`` (see the module docstring)."""

    def limits(self, family: Family, activity: Activity | None) -> list[ChannelLimits]:
        names = [f"{family.prefix}_{c}" for c in family.channels]
        return [parse_limits(name, self.parameters.get(name, activity)) for name in names]

    def check(self, objects: Mapping[str, Any], activity: Activity) -> Quality:
        by_name = {key.rsplit("/", 1)[-1]: obj for key, obj in objects.items()}
        results: dict[str, FamilyResult] = {}
        for family in FAMILIES:
            h = by_name.get(family.name)
            if h is None:
                results[family.prefix] = FamilyResult(family, NOT_CHECKED)
                continue
            limits = self.limits(family, activity)
            if not isinstance(h, Histogram) or h.ndim != 1 or h.inner().size != len(limits):
                return Quality.NULL
            results[family.prefix] = classify(family, [float(v) for v in h.inner()], limits)
        self.results = results
        self.activity = activity
        return self._verdict(results, activity)

    def _verdict(self, results: Mapping[str, FamilyResult], activity: Activity) -> Quality:
        state = {f: r.state for f, r in results.items()}
        if all(s == OK for s in state.values()):
            quality = Quality.GOOD
        elif ERROR in (state["ADC"], state["TDC"]) or all(
            state[f] == ERROR for f in ("TDCA", "PEAK1N", "PEAK1P")
        ):
            quality = Quality.BAD
        else:
            quality = Quality.MEDIUM
        for result in results.values():
            text = _flag_text(result, quality)
            if text:
                quality = quality.with_flag("Unknown", text)
        return self._positions(quality, activity)

    def beautify(self, name: str, obj: Any, quality: Quality) -> list[Label] | None:
        """QC's message for the summary ``name`` (see the module docstring)."""
        family = BY_NAME.get(name.rsplit("/", 1)[-1])
        result = None if family is None else getattr(self, "results", {}).get(family.prefix)
        if family is None or result is None or result.state == NOT_CHECKED:
            return None
        text, color = _message(result)
        x_default = 0.15 if family.prefix == "ADC" else 0.01
        x = self.parameters.get_float(f"{family.prefix}_POS_MSG_X", x_default, self.activity)
        y = self.parameters.get_float(f"{family.prefix}_POS_MSG_Y", 0.92, self.activity)
        return [Label(text, color, x, y, size=10.0)]

    def _positions(self, quality: Quality, activity: Activity) -> Quality:
        for family in FAMILIES:
            for axis in ("X", "Y"):
                key = f"{family.prefix}_POS_MSG_{axis}"
                value = self.parameters.get(key, activity)
                if value is not None:
                    quality = quality.with_metadata(key, value)
        return quality


#: ROOT's kGreen, kOrange and kRed, the colours QC's ZDC check uses.
_COLORS = {OK: 416, WARNING: 800, ERROR: 632}


def _message(result: FamilyResult) -> tuple[str, int]:
    title = result.family.message
    if result.state == OK:
        # QC labels a good Peak1p summary "TDC Amplitude OK" (its TDCA text): kept, so the
        # plot reads as in QCG.
        ok_title = BY_PREFIX["TDCA"].message if result.family.prefix == "PEAK1P" else title
        return f"{ok_title} OK", _COLORS[OK]
    names = " ".join(result.errors if result.state == ERROR else result.warnings)
    what = f"{title} value in the channels: {names} is not correct."
    if result.state == ERROR:
        return f"Error {what} Call the expert", _COLORS[ERROR]
    return f"Warning {what} Send mail to the expert", _COLORS[WARNING]


def _flag_text(result: FamilyResult, quality: Quality) -> str:
    title = result.family.message
    if result.state == NOT_CHECKED:
        return f"{title} Summary not checked: {result.family.name} is missing"
    if quality == Quality.BAD and result.state == ERROR:
        names, what = result.errors, "bad"
    elif quality == Quality.MEDIUM and result.state in (WARNING, ERROR):
        names = result.errors + result.warnings
        what = "bad" if result.errors else "medium"
    else:
        return ""
    # QC: "Task quality is bad because in ADC ...", but "It is medium because in ADC ...".
    lead = "Task quality is" if result.family.prefix == "ADC" and what == "bad" else "It is"
    return (
        f"{lead} {quality.name.lower()} because in {title} Summary {len(names)} channels: "
        f"{' '.join(names)} have a value in the {what} range"
    )
