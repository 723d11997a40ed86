"""``DigitsCheck`` and ``PreclustersCheck`` (QC's 2024 versions) and their common verdict over
detection elements (QC's ``QualityChecker``).

Each checked per-DE plot gives every DE a quality: Good if its value passes, else Bad. Results of
several plots merge per DE: Bad sticks, Good only fills DEs still Null. The verdict:

- Null if no DE has a quality; otherwise Good, unless
- two Bad DEs *face each other* -- same side (half-chamber), different chambers, both in
  stations 1-2, or both in the same station 3-5, at the same position (slats: also +-1) -- which
  leaves a hole in the acceptance: Bad;
- more Bad DEs than ``MaxBadDE_ST12`` in stations 1-2 or than ``MaxBadDE_ST345`` in 3-5: Medium.

DigitsCheck parameters (defaults): ``MeanRateHistName`` (``RatesSignal/LastCycle/MeanRate``),
``MeanRateRatioHistName`` (``…/MeanRateRefRatio``), ``GoodChanFracHistName``
(``…/GoodChannelsFraction``), ``GoodChanFracRatioHistName`` (``…RefRatio``), ``MinRate``
(0.001), ``MaxRate`` (10) kHz, ``MaxRateDelta`` (0.2), ``MinGoodFraction`` (0.9),
``MaxGoodFractionDelta`` (0.2), ``MaxBadDE_ST12`` (2), ``MaxBadDE_ST345`` (3). A plot is chosen
when its name *ends with* the parameter; a DE passes when MinRate <= rate <= MaxRate, fraction
>= MinGoodFraction, |ratio - 1| <= delta (ratio plots only when they have entries).

PreclustersCheck: ``MeanEffHistNameB``/``NB`` (``Efficiency/LastCycle/MeanEfficiencyB``/``NB``),
``MeanEffRatioHistNameB``/``NB`` (``…RefRatioB``/``NB``), ``MinEfficiency`` (0.8),
``MaxEfficiencyDelta`` (0.2), ``MaxBadDE_*``: efficiency >= MinEfficiency on each cathode.

``beautify`` fills ``QualityFlagPerDE`` (y bin 3 Good, 2 Medium, 1 Bad) as QC does, and gives
each checked plot its thresholds as overlay lines (blue, dashed, as QC draws them: MinRate and
MaxRate, MinGoodFraction, MinEfficiency, 1 +- delta on ratios), which the check runner records
with the histogram. qcflow adds flags (type ``Unknown``) naming the bad DEs and why the verdict
is not Good (QC writes the bad DEs on the plot only); plot ranges and fill colours are not
reproduced: the objects are histograms, not canvases.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from qcflow.checks.check import Check
from qcflow.modules.mch.mapping import NUM_DE, de_position, load_mapping
from qcflow.modules.mch.plots import unread_reason
from qcflow.objects.activity import Activity
from qcflow.objects.quality import Quality
from qcflow.objects.root import Histogram
from qcflow.postprocessing import HLine

__all__ = ["DigitsCheck", "PreclustersCheck", "QualityChecker", "Rule", "Verdict"]

Predicate = Callable[[float], bool]
#: ROOT's kBlue and dashed line style: QC's threshold lines.
_LINE_COLOR, _LINE_STYLE = 600, 2


@dataclass(frozen=True)
class Rule:
    """A checked plot: its name suffix, the per-DE test, whether it is a ratio plot (checked
    only when filled), and the thresholds to draw."""

    suffix: str
    passes: Predicate
    ratio: bool = False
    lines: tuple[float, ...] = ()


@dataclass(frozen=True)
class Verdict:
    quality: Quality
    reasons: tuple[str, ...] = ()


class QualityChecker:
    """Per-DE qualities merged over plots, and the verdict (see the module docstring)."""

    def __init__(self, max_bad_st12: int, max_bad_st345: int) -> None:
        self.max_bad = (max_bad_st12, max_bad_st345)
        mapping = load_mapping()
        self.des = [d.id for d in mapping.de_by_index()]
        self.qualities = [Quality.NULL] * NUM_DE

    def add(self, results: Sequence[Quality]) -> None:
        for i, result in enumerate(results):
            if self.qualities[i] == Quality.NULL or result == Quality.BAD:
                self.qualities[i] = result

    def bad_des(self) -> list[int]:
        return [de for de, q in zip(self.des, self.qualities, strict=True) if q == Quality.BAD]

    def verdict(self) -> Verdict:
        if all(q == Quality.NULL for q in self.qualities):
            return Verdict(Quality.NULL, ("no detection element was checked",))
        bad = self.bad_des()
        for i, first in enumerate(bad):
            for second in bad[i + 1 :]:
                if _facing(first, second):
                    return Verdict(Quality.BAD, (f"DE{first} and DE{second} face each other",))
        counts = [sum(1 for de in bad if (de // 100 > 4) == group) for group in (False, True)]
        reasons = tuple(
            f"{n} bad DEs in {where} (more than {limit})"
            for n, limit, where in zip(counts, self.max_bad, ("ST1-2", "ST3-5"), strict=True)
            if n > limit
        )
        return Verdict(Quality.MEDIUM if reasons else Quality.GOOD, reasons)


def _facing(first: int, second: int) -> bool:
    """Two DEs whose failures overlap in the acceptance (QC's QualityChecker rule)."""
    ch1, ch2 = first // 100, second // 100
    (pos1, side1), (pos2, side2) = de_position(first), de_position(second)
    if ch1 == ch2 or side1 != side2:
        return False
    st1, st2 = (ch1 + 1) // 2, (ch2 + 1) // 2
    if st1 <= 2:
        return st2 <= 2 and pos1 == pos2
    return st2 == st1 and abs(pos1 - pos2) <= 1


def _values(obj: Any) -> np.ndarray | None:
    """The per-DE values as QC judges them: a TH1F's stored float32 contents (so the engine's
    in-memory plot and the same plot read back from the QCDB get one verdict)."""
    if isinstance(obj, Histogram) and obj.ndim == 1 and obj.inner().size == NUM_DE:
        values = obj.inner()
        if obj.class_name.endswith("F"):
            return np.asarray(values.astype(np.float32), dtype=np.float64)
        return values
    return None


def judge(values: np.ndarray, passes: Predicate) -> list[Quality]:
    return [Quality.GOOD if passes(float(v)) else Quality.BAD for v in values]


class _DeCheck(Check):
    """A check of per-DE plots: subclasses list (name parameter, default, predicate, ratio?)."""

    def rules(self, activity: Activity) -> list[Rule]:
        raise NotImplementedError

    def check(self, objects: Mapping[str, Any], activity: Activity) -> Quality:
        params = self.parameters
        checker = QualityChecker(
            params.get_int("MaxBadDE_ST12", 2, activity),
            params.get_int("MaxBadDE_ST345", 3, activity),
        )
        rules = self.rules(activity)
        unread: list[str] = []
        for key, obj in sorted(objects.items()):
            reason = unread_reason(obj)
            if reason is not None and any(r.suffix and key.endswith(r.suffix) for r in rules):
                unread.append(f"{key}: {reason}")
                continue
            values = _values(obj)
            if values is None:
                continue
            for rule in rules:
                if rule.suffix and key.endswith(rule.suffix) and (not rule.ratio or obj.entries):
                    checker.add(judge(values, rule.passes))
        self.de_qualities = list(checker.qualities)
        self.checked_rules = rules
        verdict = checker.verdict()
        quality = verdict.quality
        bad = checker.bad_des()
        if bad:
            quality = quality.with_flag("Unknown", "Bad DEs: " + " ".join(map(str, bad)))
        for reason in verdict.reasons if quality != Quality.GOOD else ():
            if not (unread and quality == Quality.NULL):
                quality = quality.with_flag("Unknown", reason)
        for reason in unread:  # a plot left empty: its input map did not fit the mapping
            quality = quality.with_flag("Unknown", reason)
        return quality

    def beautify(self, name: str, obj: Any, quality: Quality) -> Any:
        if not isinstance(obj, Histogram):
            return None
        for rule in getattr(self, "checked_rules", []):
            if rule.suffix and name.endswith(rule.suffix) and rule.lines:
                return [HLine(y, _LINE_COLOR, _LINE_STYLE) for y in rule.lines]
        if not name.endswith("QualityFlagPerDE"):
            return None
        qualities = getattr(self, "de_qualities", [Quality.NULL] * NUM_DE)
        rows = {Quality.BAD: 1, Quality.MEDIUM: 2, Quality.GOOD: 3}
        values = np.zeros_like(obj.values)
        for index, q in enumerate(qualities):
            row = rows.get(q)
            if row is not None:
                values[index + 1, row] = 1.0
        return replace(obj, values=values, entries=float(values.sum()))


def _ratio_rule(suffix: str, delta: float) -> Rule:
    return Rule(suffix, lambda v: abs(v - 1.0) <= delta, True, (1 - delta, 1 + delta))


class DigitsCheck(_DeCheck):
    """QC's ``o2::quality_control_modules::muonchambers::DigitsCheck`` (2024)."""

    def rules(self, activity: Activity) -> list[Rule]:
        p = self.parameters

        def name(key: str, default: str) -> str:
            return p.get(key, activity, f"RatesSignal/LastCycle/{default}") or ""

        low, high = p.get_float("MinRate", 0.001, activity), p.get_float("MaxRate", 10, activity)
        fraction = p.get_float("MinGoodFraction", 0.9, activity)
        return [
            Rule(
                name("MeanRateHistName", "MeanRate"), lambda v: low <= v <= high, False, (low, high)
            ),
            _ratio_rule(
                name("MeanRateRatioHistName", "MeanRateRefRatio"),
                p.get_float("MaxRateDelta", 0.2, activity),
            ),
            Rule(
                name("GoodChanFracHistName", "GoodChannelsFraction"),
                lambda v: v >= fraction,
                False,
                (fraction,),
            ),
            _ratio_rule(
                name("GoodChanFracRatioHistName", "GoodChannelsFractionRefRatio"),
                p.get_float("MaxGoodFractionDelta", 0.2, activity),
            ),
        ]


class PreclustersCheck(_DeCheck):
    """QC's ``o2::quality_control_modules::muonchambers::PreclustersCheck`` (2024)."""

    def rules(self, activity: Activity) -> list[Rule]:
        p = self.parameters
        minimum = p.get_float("MinEfficiency", 0.8, activity)
        delta = p.get_float("MaxEfficiencyDelta", 0.2, activity)
        out = []
        for c in ("B", "NB"):
            plot = p.get(f"MeanEffHistName{c}", activity, f"Efficiency/LastCycle/MeanEfficiency{c}")
            ratio = p.get(
                f"MeanEffRatioHistName{c}",
                activity,
                f"Efficiency/LastCycle/MeanEfficiencyRefRatio{c}",
            )
            out.append(Rule(plot or "", lambda v: v >= minimum, False, (minimum,)))
            out.append(_ratio_rule(ratio or "", delta))
        return out
