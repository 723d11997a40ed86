"""Object comparators: a current histogram against a reference (QC's ``ObjectComparator*``).

Named in ReferenceComparatorCheck's parameters (``comparatorName``) by their O2 names
(``o2::quality_control_modules::common::ObjectComparatorChi2``) or short names.

Parameters (plot-specific ``threshold:<plot>`` first): ``threshold``, ``rangeX``/``rangeY``
(``"min,max"``: the comparison is restricted to bins ``FindBin(min)`` … ``FindBin(max - 1e-6)``).
Common refusals (Null with a message): ``missing objects``, ``objects are not TH1``,
``incompatible objects`` (different classes), ``empty reference plot`` (no entries),
``incompatible number of bins`` (different or fewer than 3 cells, flow bins included).

- **Chi2** -- ROOT's ``Chi2Test(ref, "UU NORM")`` p-value: each bin's effective count
  ``round(c²/σ²)`` (undoing a scaling of the reference), χ² = Σ (S₂n₁ − S₁n₂)² / (S₁S₂(n₁+n₂))
  over bins with data, ndf = bins − 1 − bins empty in both; Bad if p < threshold
  (``"chi2 test failed: p < thr"``).
- **Kolmogorov** -- the Kolmogorov-Smirnov probability (1-D; under- and overflow included, the
  normalisation term combined, as ROOT's options ``U``, ``O``, ``N`` do); Bad if p < threshold.
  QC passes ``"UU NORM"``, whose letter ``M`` makes ROOT return the maximum distance instead of
  the probability -- so QC calls identical histograms Bad. qcflow returns the probability;
  ``kolmogorovMode: distance`` compares the maximum distance instead (Bad if above threshold).
- **Deviation** -- the mean over the bins of ``|c − r| / r`` (0 where r = 0); Bad if above.
- **BinByBinDeviation** -- how many bins have ``|c − r| / r`` above the threshold; Bad if more
  than ``maxAllowedBadBins`` (0). Its ranges use the same ``max - 1e-6`` as the others (QC
  includes the bin starting exactly at ``max`` here).
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from qcflow.checks.common.statistics import chi2_probability, kolmogorov_probability
from qcflow.checks.common.thresholds import Band, plot_range
from qcflow.errors import InvalidInput
from qcflow.objects.activity import Activity
from qcflow.objects.quality import Quality
from qcflow.objects.root import Histogram
from qcflow.postprocessing import CustomParameters, find_bin, parse_float, parse_int

__all__ = ["COMPARATORS", "Comparison", "ObjectComparator", "comparator_class"]

FloatArray = npt.NDArray[np.float64]
Comparison = tuple[Quality, str]
_PREFIX = "o2::quality_control_modules::common::"


class ObjectComparator:
    """Base: parameters and the checks every comparator makes first."""

    name: ClassVar[str] = ""

    def __init__(self) -> None:
        self.threshold = 0.0
        self.ranges: list[Band | None] = [None, None]
        self.parameters = CustomParameters()
        self.activity = Activity()
        self.plot = ""

    def configure(self, parameters: CustomParameters, plot: str, activity: Activity) -> None:
        self.parameters, self.plot, self.activity = parameters, plot, activity
        text = parameters.get(f"threshold:{plot}", activity) or parameters.get(
            "threshold", activity
        )
        if text is None:
            msg = f'reference comparator threshold not found for plot "{plot}"'
            raise InvalidInput(msg)
        value = parse_float(text)
        if value is None:
            msg = f'cannot convert reference comparator threshold for plot "{plot}": {text!r}'
            raise InvalidInput(msg)
        self.threshold = value
        self.ranges = [plot_range(parameters, plot, axis, activity) for axis in "XY"]

    def compare(self, current: object, reference: object) -> Comparison:
        problem = _refusal(current, reference)
        if problem:
            return Quality.NULL, problem
        assert isinstance(current, Histogram)
        assert isinstance(reference, Histogram)
        return self._compare(current, reference)

    def _compare(self, current: Histogram, reference: Histogram) -> Comparison:
        raise NotImplementedError

    def _window(self, h: Histogram, epsilon: float = 1e-6) -> tuple[slice, ...]:
        """The bins (indices into ``values``, flow bins at 0 and n+1) being compared."""
        out = []
        for axis, limits in enumerate(self.ranges[: h.ndim]):
            edges = h.axes[axis].edges
            if limits is None:
                out.append(slice(1, len(edges)))
            else:
                out.append(
                    slice(find_bin(edges, limits[0]), find_bin(edges, limits[1] - epsilon) + 1)
                )
        return tuple(out)


def _refusal(current: object, reference: object) -> str:
    if current is None or reference is None:
        return "missing objects"
    if not isinstance(current, Histogram) or not isinstance(reference, Histogram):
        return "objects are not TH1"
    if current.class_name != reference.class_name:
        return "incompatible objects"
    if reference.entries < 1:
        return "empty reference plot"
    if current.values.size < 3 or current.values.size != reference.values.size:
        return "incompatible number of bins"
    return ""


def _errors2(h: Histogram) -> FloatArray:
    return np.abs(h.values) if h.variances is None else h.variances


class ObjectComparatorChi2(ObjectComparator):
    name = f"{_PREFIX}ObjectComparatorChi2"

    def _compare(self, current: Histogram, reference: Histogram) -> Comparison:
        window = self._window(current)
        p = chi2_test(
            current.values[window],
            _errors2(current)[window],
            reference.values[window],
            _errors2(reference)[window],
        )
        if p < self.threshold:
            return Quality.BAD, f"chi2 test failed: {p:.2f} < {self.threshold:.2f}"
        return Quality.GOOD, ""


def chi2_test(c1: FloatArray, e1: FloatArray, c2: FloatArray, e2: FloatArray) -> float:
    """ROOT's ``Chi2Test`` "UU NORM" p-value of two binned distributions (errors squared)."""
    if e1.sum() <= 0 or e2.sum() <= 0:
        return 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        n1 = np.where(e1 > 0, np.floor(c1 * c1 / e1 + 0.5), 0.0).ravel()
        n2 = np.where(e2 > 0, np.floor(c2 * c2 / e2 + 0.5), 0.0).ravel()
    s1, s2 = n1.sum(), n2.sum()
    if s1 == 0 or s2 == 0:
        return 0.0
    data = (n1 + n2) > 0
    ndf = int(n1.size - 1 - np.count_nonzero(~data))
    chi2 = float(((s2 * n1[data] - s1 * n2[data]) ** 2 / (n1[data] + n2[data])).sum()) / (s1 * s2)
    return chi2_probability(chi2, ndf)


class ObjectComparatorKolmogorov(ObjectComparator):
    name = f"{_PREFIX}ObjectComparatorKolmogorov"

    def _compare(self, current: Histogram, reference: Histogram) -> Comparison:
        if current.ndim != 1:
            return Quality.NULL, "objects are not TH1"
        distance, p = kolmogorov_test(
            current.values, _errors2(current), reference.values, _errors2(reference)
        )
        mode = (self.parameters.get("kolmogorovMode", self.activity) or "probability").strip()
        if mode == "distance":
            if distance > self.threshold:
                text = f"Kolmogorov distance too large: {distance:.2f} > {self.threshold:.2f}"
                return Quality.BAD, text
            return Quality.GOOD, ""
        if p < self.threshold:
            return Quality.BAD, f"Kolmogorov test failed: {p:.2f} < {self.threshold:.2f}"
        return Quality.GOOD, ""


def kolmogorov_test(
    c1: FloatArray, e1: FloatArray, c2: FloatArray, e2: FloatArray
) -> tuple[float, float]:
    """Maximum distance of the normalised cumulative sums and the KS probability (with the
    normalisation term) of two 1-D distributions, flow bins included."""
    sum1, sum2 = float(c1.sum()), float(c2.sum())
    w1, w2 = float(e1.sum()), float(e2.sum())
    if sum1 == 0 or sum2 == 0 or (w1 <= 0 and w2 <= 0):
        return 0.0, 0.0
    distance = float(np.max(np.abs(np.cumsum(c1) / sum1 - np.cumsum(c2) / sum2)))
    n1 = sum1 * sum1 / w1 if w1 > 0 else None
    n2 = sum2 * sum2 / w2 if w2 > 0 else None
    if n1 is None or n2 is None:  # one side exact: compare to it as to a function
        return distance, kolmogorov_probability(distance * math.sqrt(n1 or n2 or 0.0))
    p = kolmogorov_probability(distance * math.sqrt(n1 * n2 / (n1 + n2)))
    p_norm = chi2_probability((n1 - n2) ** 2 / (n1 + n2), 1)
    combined = p * p_norm * (1 - math.log(p * p_norm)) if p > 0 and p_norm > 0 else 0.0
    return distance, combined


def _deviations(current: Histogram, reference: Histogram, window: tuple[slice, ...]) -> FloatArray:
    c, r = current.values[window], reference.values[window]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(r != 0, np.abs((c - r) / r), 0.0)


class ObjectComparatorDeviation(ObjectComparator):
    name = f"{_PREFIX}ObjectComparatorDeviation"

    def _compare(self, current: Histogram, reference: Histogram) -> Comparison:
        deviations = _deviations(current, reference, self._window(current))
        average = float(deviations.mean()) if deviations.size else 0.0
        if average > self.threshold:
            return Quality.BAD, f"large deviation: {average:.2f} > {self.threshold:.2f}"
        return Quality.GOOD, ""


class ObjectComparatorBinByBinDeviation(ObjectComparator):
    name = f"{_PREFIX}ObjectComparatorBinByBinDeviation"

    def _compare(self, current: Histogram, reference: Histogram) -> Comparison:
        key = f"maxAllowedBadBins:{self.plot}"
        text = self.parameters.get(key, self.activity) or self.parameters.get(
            "maxAllowedBadBins", self.activity, "0"
        )
        allowed = parse_int(text or "0")
        if allowed is None:
            msg = f'cannot convert maxAllowedBadBins for plot "{self.plot}": {text!r}'
            raise InvalidInput(msg)
        count = int(
            np.count_nonzero(
                _deviations(current, reference, self._window(current)) > self.threshold
            )
        )
        if count > allowed:
            return Quality.BAD, f"bins above {self.threshold:.2f}: {count} > {allowed}"
        return Quality.GOOD, ""


#: Comparators by O2 name.
COMPARATORS: dict[str, type[ObjectComparator]] = {
    c.name: c
    for c in (
        ObjectComparatorChi2,
        ObjectComparatorKolmogorov,
        ObjectComparatorDeviation,
        ObjectComparatorBinByBinDeviation,
    )
}


def comparator_class(name: str) -> type[ObjectComparator] | None:
    """A comparator by O2 name or short name (``ObjectComparatorChi2``)."""
    short = {k.rsplit("::", 1)[-1]: v for k, v in COMPARATORS.items()}
    return COMPARATORS.get(name) or short.get(name.rsplit("::", 1)[-1])
