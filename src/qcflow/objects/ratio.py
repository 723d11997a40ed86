"""QC's mergeable ratio histograms (``TH2FRatio``, ``TH1FRatio``...) as QCDB payloads.

QC's ``o2::quality_control_modules::common::TH2Ratio<T>`` is a histogram whose content is
``numerator / denominator`` and which carries both, so that merging adds numerators and
denominators and the ratio is recomputed. Two modes:

- *uniform scaling*: the denominator is one number (a 1x1 histogram over [-1, 1]); the ratio is
  ``num / den`` everywhere (0 when ``den <= 0``) -- MCH's rate maps, where it is the number of
  orbits times the orbit length, so that ratio = rate in kHz;
- *per cell*: the denominator has the numerator's binning; the ratio is ``num / den`` cell by
  cell (0 where ``den == 0``) -- MCH's pseudo-efficiency maps.

Written (:func:`encode_ratio`) as QC's C++ writes them: a ROOT file whose ``ccdb_object`` is
``o2::quality_control_modules::common::TH2Ratio<TH2F>`` (or ``<TH2D>``, ``TH1Ratio<TH1F>``...),
class version 3 -- the histogram base (the ratio itself), ``mHistoNum``, ``mHistoDen``
(pointers to histograms of the base's class), ``mUniformScaling``, ``mBinominalErrors``,
``mSumw2Enabled``, ``mTreatMeAs``; the second base ``o2::mergers::MergeInterface`` has class
version 0 and streams nothing (:mod:`qcflow.objects.rootwrite.ratio`, with the class's streamer
infos, so ROOT reads it with or without QC's classes).

Two payloads are read (:func:`decode_ratio`):

- QC's own (above), through the streamer infos the file carries (uproot), whatever the map's
  size;
- qcflow's earlier one (stores written before qcflow wrote QC's class): a ROOT file with the
  ratio under ``ccdb_object`` (a plain TH1F/TH2F), the numerator under ``ccdb_object_num`` and
  the denominator under ``ccdb_object_den``; the ``ObjectType`` metadata names QC's typedef
  (``…::TH2FRatio``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from qcflow.errors import InvalidInput, first_line
from qcflow.objects.root import (
    CCDB_KEY,
    Axis,
    FloatArray,
    Histogram,
    _MemorySink,
    compression,
    histogram_base,
    histogram_from_file,
    histogram_from_model,
    histogram_to_uproot,
    read_histogram,
    read_root,
)
from qcflow.objects.rootwrite.ratio import ratio_class, write_ratio

__all__ = ["HistogramRatio", "decode_ratio", "encode_ratio", "is_ratio_class", "ratio_class"]

#: The keys of qcflow's earlier payload (read, no longer written).
NUM_KEY = f"{CCDB_KEY}_num"
DEN_KEY = f"{CCDB_KEY}_den"


def is_ratio_class(object_type: str) -> bool:
    """True for QC's ratio class names, with or without namespace: the typedefs
    (``TH2FRatio``) and the templates as ROOT names them (``TH2Ratio<TH2F>``)."""
    short = object_type.partition("<")[0].rsplit("::", 1)[-1]
    return short.startswith(("TH1", "TH2")) and short.endswith("Ratio")


@dataclass
class HistogramRatio:
    """A ratio histogram with its numerator and denominator (see the module docstring)."""

    ratio: Histogram
    num: Histogram
    den: Histogram
    #: QC's ``mUniformScaling`` (None: from the shapes, for qcflow's earlier payload).
    uniform_scaling: bool | None = None
    #: The ROOT class of a payload read (``…::TH2Ratio<TH2F>``), empty for qcflow's earlier one.
    qc_class: str = ""
    #: QC's ``mBinominalErrors`` and ``mSumw2Enabled``, written as they are.
    binomial_errors: bool = False
    sumw2: bool = True

    @property
    def uniform(self) -> bool:
        """True when the denominator is one number for every cell (QC: bin (1, 1) of a
        histogram over [-1, 1])."""
        if self.uniform_scaling is not None:
            return self.uniform_scaling
        return self.den.inner().size == 1 and self.num.inner().size != 1

    def denominators(self) -> FloatArray:
        """The denominator of every cell (no flow bins), the numerator's shape."""
        inner = self.num.inner()
        if self.uniform:
            return np.full(inner.shape, float(self.den.inner().ravel()[0]))
        return np.asarray(self.den.inner(), dtype=np.float64)

    @property
    def object_type(self) -> str:
        """The ROOT class (``ObjectType``): the one read, else the one :func:`encode_ratio`
        writes (``…::TH2Ratio<TH2F>``, as QC names it)."""
        return self.qc_class or ratio_class(self.ratio.class_name)

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
        return cls(ratio, numerator, denominator, uniform_scaling=not per_cell)


def _histogram(
    class_name: str, name: str, title: str, axes: tuple[Axis, ...], inner: FloatArray
) -> Histogram:
    return Histogram.from_counts(class_name, name, title, axes, inner)


def encode_ratio(r: HistogramRatio, compress: str = "zlib") -> bytes:
    """ROOT file bytes holding QC's ratio class under ``ccdb_object`` (the module docstring;
    ``compress``: one of :data:`~qcflow.objects.root.COMPRESSIONS`); ValueError when the three
    histograms are not of one class QC has a ratio of."""
    import uproot

    models = [histogram_to_uproot(h) for h in (r.ratio, r.num, r.den)]
    sink = _MemorySink()
    with uproot.recreate(sink, compression=compression(compress)) as file:
        write_ratio(
            file,
            CCDB_KEY,
            *models,
            uniform_scaling=r.uniform,
            binomial_errors=r.binomial_errors,
            sumw2=r.sumw2,
        )
    return sink.getvalue()


def decode_ratio(data: bytes) -> HistogramRatio:
    """The ratio, numerator and denominator of QC's ratio class or of :func:`encode_ratio`'s
    payload (see the module docstring)."""
    from qcflow.objects.rootread import RootFile, Unsupported

    try:  # qcflow's payload: three plain histograms, read directly when their layout allows
        direct = RootFile(data)
        return HistogramRatio(
            read_histogram(direct, CCDB_KEY),
            read_histogram(direct, NUM_KEY),
            read_histogram(direct, DEN_KEY),
        )
    except Unsupported:
        pass
    file = read_root(data)
    kind = next((c for k, c in file.classnames().items() if k.split(";")[0] == CCDB_KEY), "")
    if "<" in kind and is_ratio_class(kind):
        return _from_qc_class(file, kind)
    try:
        return HistogramRatio(
            histogram_from_file(file, CCDB_KEY),
            histogram_from_file(file, NUM_KEY),
            histogram_from_file(file, DEN_KEY),
        )
    except InvalidInput as err:
        msg = f"not a qcflow ratio histogram payload: {err}"
        raise InvalidInput(msg) from err


def _from_qc_class(file: Any, kind: str) -> HistogramRatio:
    """QC's ``TH2Ratio<T>``/``TH1Ratio<T>`` read through the file's streamer infos."""
    try:
        obj = file[CCDB_KEY]
        base = histogram_base(obj)
        members = {m: obj.member(m) for m in ("mHistoNum", "mHistoDen", "mUniformScaling")}
    except Exception as err:  # uproot raises many types for what it cannot read
        msg = f"{kind}: not readable through the file's streamer infos: {first_line(err)}"
        raise InvalidInput(msg) from err
    flags = {m: obj.member(m) for m in ("mBinominalErrors", "mSumw2Enabled") if obj.has_member(m)}
    if members["mHistoNum"] is None or members["mHistoDen"] is None:
        msg = f"{kind}: the numerator or the denominator is missing (a null pointer)"
        raise InvalidInput(msg)
    return HistogramRatio(
        histogram_from_model(base, kind),
        histogram_from_model(members["mHistoNum"], f"{kind}.mHistoNum"),
        histogram_from_model(members["mHistoDen"], f"{kind}.mHistoDen"),
        uniform_scaling=bool(members["mUniformScaling"]),
        qc_class=kind,
        binomial_errors=bool(flags.get("mBinominalErrors", False)),
        sumw2=bool(flags.get("mSumw2Enabled", True)),
    )
