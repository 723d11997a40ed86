"""QC's mergeable ratio histograms (``TH2FRatio``, ``TH1FRatio``...) as QCDB payloads.

QC's ``o2::quality_control_modules::common::TH2Ratio<T>`` is a histogram whose content is
``numerator / denominator`` and which carries both, so that merging adds numerators and
denominators and the ratio is recomputed. Two modes:

- *uniform scaling*: the denominator is one number (a 1x1 histogram over [-1, 1]); the ratio is
  ``num / den`` everywhere (0 when ``den <= 0``) -- MCH's rate maps, where it is the number of
  orbits times the orbit length, so that ratio = rate in kHz;
- *per cell*: the denominator has the numerator's binning; the ratio is ``num / den`` cell by
  cell (0 where ``den == 0``) -- MCH's pseudo-efficiency maps.

uproot cannot write QC's class, so qcflow's payload is a ROOT file with the ratio under
``ccdb_object`` (a plain TH1F/TH2F: ROOT, uproot and qcflow's reductors read it as a histogram),
the numerator under ``ccdb_object_num`` and the denominator under ``ccdb_object_den``; the
``ObjectType`` metadata names QC's class (:data:`RATIO_CLASSES`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qcflow.errors import InvalidInput
from qcflow.objects.root import (
    CCDB_KEY,
    Axis,
    FloatArray,
    Histogram,
    histogram_from_file,
    histogram_to_uproot,
    read_root,
    write_root,
)

__all__ = ["RATIO_CLASSES", "HistogramRatio", "decode_ratio", "encode_ratio", "is_ratio_class"]

_MODULE = "o2::quality_control_modules::common::"
#: QC's ratio classes, by the plain histogram class of their ratio.
RATIO_CLASSES = {
    f"TH{d}{t}": f"{_MODULE}TH{d}{t}Ratio" for d in (1, 2) for t in ("F", "D")
}  # fmt: skip
NUM_KEY = f"{CCDB_KEY}_num"
DEN_KEY = f"{CCDB_KEY}_den"


def is_ratio_class(object_type: str) -> bool:
    """True for QC's ratio class names (with or without namespace)."""
    short = object_type.rsplit("::", 1)[-1]
    return short.startswith(("TH1", "TH2")) and short.endswith("Ratio")


@dataclass
class HistogramRatio:
    """A ratio histogram with its numerator and denominator (see the module docstring)."""

    ratio: Histogram
    num: Histogram
    den: Histogram

    @property
    def uniform(self) -> bool:
        """True when the denominator is one number for every cell."""
        return self.den.inner().size == 1 and self.num.inner().size != 1

    def denominators(self) -> FloatArray:
        """The denominator of every cell (no flow bins), the numerator's shape."""
        inner = self.num.inner()
        if self.uniform:
            return np.full(inner.shape, float(self.den.inner().ravel()[0]))
        return np.asarray(self.den.inner(), dtype=np.float64)

    @property
    def object_type(self) -> str:
        return RATIO_CLASSES.get(self.ratio.class_name, f"{_MODULE}{self.ratio.class_name}Ratio")

    @classmethod
    def from_counts(
        cls,
        name: str,
        title: str,
        axes: tuple[Axis, ...],
        num: FloatArray,
        den: float | FloatArray,
        class_name: str = "TH2F",
    ) -> HistogramRatio:
        """From the in-range numerator counts and a uniform (number) or per-cell denominator."""
        counts = np.asarray(num, dtype=np.float64)
        per_cell = not np.isscalar(den)
        if per_cell:
            den_inner = np.asarray(den, dtype=np.float64)
            denominators = den_inner
        else:
            den_inner = np.full((1,) * counts.ndim, float(den))
            denominators = np.full(counts.shape, float(den))
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.where(denominators > 0, counts / denominators, 0.0)
        ratio = _histogram(class_name, name, title, axes, values)
        numerator = _histogram(class_name, f"{name}_num", title, axes, counts)
        den_axes = axes if per_cell else tuple(Axis(np.array([-1.0, 1.0])) for _ in axes)
        denominator = _histogram(class_name, f"{name}_den", title, den_axes, den_inner)
        return cls(ratio, numerator, denominator)


def _histogram(
    class_name: str, name: str, title: str, axes: tuple[Axis, ...], inner: FloatArray
) -> Histogram:
    return Histogram.from_counts(class_name, name, title, axes, inner)


def encode_ratio(r: HistogramRatio) -> bytes:
    """ROOT file bytes: ratio, numerator and denominator under their keys."""
    return write_root(
        {CCDB_KEY: histogram_to_uproot(r.ratio), NUM_KEY: histogram_to_uproot(r.num),
         DEN_KEY: histogram_to_uproot(r.den)}
    )  # fmt: skip


def decode_ratio(data: bytes) -> HistogramRatio:
    """The ratio, numerator and denominator of a payload written by :func:`encode_ratio`."""
    file = read_root(data)
    try:
        return HistogramRatio(
            histogram_from_file(file, CCDB_KEY), histogram_from_file(file, NUM_KEY),
            histogram_from_file(file, DEN_KEY),
        )  # fmt: skip
    except InvalidInput as err:
        msg = f"not a qcflow ratio histogram payload: {err}"
        raise InvalidInput(msg) from err
