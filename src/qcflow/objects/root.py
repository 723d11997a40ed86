"""ROOT histograms as QCDB payloads: a ROOT file holding the object under ``ccdb_object``.

:func:`decode_histogram` reads TH1*/TH2* from the bytes of a QCDB object into a
:class:`Histogram` -- values and sumw2 *with* under/overflow, bin edges, titles, bin labels, and
the statistics ROOT stores (``fEntries``, ``fTsumw``, ``fTsumw2``, ``fTsumwx``, ``fTsumwx2`` and for
2D ``fTsumwy``, ``fTsumwy2``, ``fTsumwxy``) -- so reductors can use ROOT's own mean and RMS.
:func:`encode_histogram` writes one back (TH1F/TH1D/TH2F/TH2D; the class follows the dtype).
:meth:`Histogram.to_hist` / :meth:`Histogram.from_hist` convert to and from ``hist.Hist``.

Histograms of the classes' current versions in zlib-compressed or uncompressed files (what
ROOT and uproot write) are read member by member without uproot (:func:`read_histogram` on
:mod:`.rootread`: ~0.1 ms instead of ~1.5 ms); anything else, and all writing, goes through uproot.
Bin labels are read and written (a ``THashList`` of ``TObjString`` whose unique ids are the bin
numbers, as ``TAxis::SetBinLabel`` makes them).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from qcflow.errors import InvalidInput, first_line

if TYPE_CHECKING:
    from qcflow.objects.rootread import Cursor, RootFile

__all__ = [
    "CCDB_KEY",
    "COMPRESSIONS",
    "ROOT_MAGIC",
    "Axis",
    "Histogram",
    "compression",
    "decode_histogram",
    "encode_histogram",
    "histogram_base",
    "histogram_from_file",
    "histogram_from_model",
    "histogram_to_uproot",
    "object_class",
    "read_root",
    "stats_from_bins",
    "upload_file_name",
    "write_root",
]

#: The first bytes of every ROOT file (what tells a ROOT payload from JSON or text).
ROOT_MAGIC = b"root"
#: The key under which CCDB/QCDB ROOT files hold their object.
CCDB_KEY = "ccdb_object"
FloatArray = npt.NDArray[np.float64]
_STATS_1D = ("fTsumw", "fTsumw2", "fTsumwx", "fTsumwx2")
_STATS_2D = (*_STATS_1D, "fTsumwy", "fTsumwy2", "fTsumwxy")


class _MemorySink(io.BytesIO):
    """A BytesIO that survives uproot closing it."""

    def close(self) -> None:
        pass


#: The compressions a payload can be written with: uproot's default (ZLIB, level 1), and ZSTD
#: (level 3, zstd's default: on MCH's 16,820 x 64 maps as fast as ZLIB 1 and a third smaller;
#: ROOT reads it since 6.20).
COMPRESSIONS = ("zlib", "zstd")


def compression(name: str = "zlib") -> Any:
    """The uproot compression of one of :data:`COMPRESSIONS`."""
    import uproot

    if name not in COMPRESSIONS:
        msg = f"compression {name!r}: one of {', '.join(COMPRESSIONS)}"
        raise ValueError(msg)
    return uproot.ZSTD(3) if name == "zstd" else uproot.ZLIB(1)


def write_root(objects: Mapping[str, Any], compress: str = "zlib") -> bytes:
    """A ROOT file (bytes) holding each uproot-writable object under its key."""
    import uproot

    sink = _MemorySink()
    with uproot.recreate(sink, compression=compression(compress)) as file:
        for key, obj in objects.items():
            file[key] = obj
    return sink.getvalue()


def read_root(data: bytes) -> Any:
    """The ``uproot`` file object of ROOT file bytes; InvalidInput when they are not ROOT."""
    import uproot

    try:
        # The bytes are in memory: no reader thread, and the whole file as the first chunk
        # (halves the cost of opening a histogram, ~2.5 ms -> ~1.2 ms).
        size = max(len(data), 403)
        return uproot.open(io.BytesIO(data), use_threads=False, begin_chunk_size=size)
    except Exception as err:  # uproot raises many types for corrupt input
        msg = f"not a readable ROOT file ({len(data)} bytes): {first_line(err)}"
        raise InvalidInput(msg) from err


def object_class(data: bytes, key: str = CCDB_KEY) -> str | None:
    """The ROOT class name stored under ``key`` (``TH1F``...), None if absent or not ROOT."""
    from qcflow.objects.rootread import RootFile, Unsupported

    try:
        found = RootFile(data).keys.get(key)
        if found is not None:
            return found.class_name
    except Unsupported:
        pass
    try:
        classes = read_root(data).classnames()
    except InvalidInput:
        return None
    return next((c for k, c in classes.items() if k.split(";")[0] == key), None)


def upload_file_name(class_name: str, timestamp_ms: int) -> str:
    """The CCDB client's upload file name: the class with ``::`` -> ``-``, then ``_<ms>.root``."""
    return f"{class_name.replace('::', '-')}_{timestamp_ms}.root"


@dataclass
class Axis:
    """One axis: bin edges (no flow), title, and bin labels when the axis has them."""

    edges: FloatArray
    title: str = ""
    labels: list[str] | None = None

    @property
    def centers(self) -> FloatArray:
        return np.asarray((self.edges[1:] + self.edges[:-1]) / 2, dtype=np.float64)

    @property
    def uniform(self) -> bool:
        widths = np.diff(self.edges)
        return bool(np.allclose(widths, widths[0], rtol=1e-9, atol=0))


@dataclass
class Histogram:
    """A 1D or 2D ROOT histogram; ``values``/``variances`` include under- and overflow bins."""

    class_name: str
    name: str
    title: str
    axes: tuple[Axis, ...]
    values: FloatArray
    variances: FloatArray | None = None
    entries: float = 0.0
    stats: dict[str, float] = field(default_factory=dict)
    #: the value range drawn (``SetMinimum``/``SetMaximum``: a map's colour scale), and the
    #: histogram's own draw option (``SetOption``), as written for ROOT; not read back
    limits: tuple[float, float] | None = None
    option: str = ""

    @property
    def ndim(self) -> int:
        return len(self.axes)

    def inner(self, array: FloatArray | None = None) -> FloatArray:
        """``values`` (or ``array``) without the flow bins."""
        a = self.values if array is None else array
        return a[(slice(1, -1),) * self.ndim]

    def mean(self, axis: int = 0) -> float:
        """ROOT's mean from the stored statistics (``GetMean``)."""
        letter = "xy"[axis]
        sumw = self.stats.get("fTsumw", 0.0)
        return self.stats.get(f"fTsumw{letter}", 0.0) / sumw if sumw else 0.0

    def std(self, axis: int = 0) -> float:
        """ROOT's standard deviation from the stored statistics (``GetStdDev``)."""
        letter = "xy"[axis]
        sumw = self.stats.get("fTsumw", 0.0)
        if not sumw:
            return 0.0
        mean = self.mean(axis)
        return float(np.sqrt(max(0.0, self.stats.get(f"fTsumw{letter}2", 0.0) / sumw - mean**2)))

    def summary(self) -> dict[str, Any]:
        """A JSON-friendly description (class, title, bins, entries, integral, mean, std)."""
        out: dict[str, Any] = {"class": self.class_name, "name": self.name, "title": self.title}
        for i, axis in enumerate(self.axes):
            letter = "xy"[i]
            out[f"{letter} bins"] = f"{len(axis.edges) - 1} in [{axis.edges[0]}, {axis.edges[-1]}]"
            out[f"{letter} mean"] = self.mean(i)
            out[f"{letter} std"] = self.std(i)
        out["entries"] = self.entries
        out["integral"] = float(self.inner().sum())
        return out

    @classmethod
    def from_counts(
        cls, class_name: str, name: str, title: str, axes: tuple[Axis, ...], inner: FloatArray
    ) -> Histogram:
        """From in-range contents (no flow bins): one entry per non-empty bin, statistics
        from the bin centres (as ROOT leaves a histogram filled with ``SetBinContent``)."""
        inner = np.asarray(inner, dtype=np.float64)
        values = np.zeros(tuple(n + 2 for n in inner.shape))  # flow bins empty
        values[(slice(1, -1),) * inner.ndim] = inner
        h = cls(class_name, name, title, axes, values, entries=float(np.count_nonzero(inner)))
        h.stats = stats_from_bins(h)
        return h

    # --- hist conversion --------------------------------------------------------------------

    def to_hist(self) -> Any:
        """A ``hist.Hist`` (Weight storage when sumw2 is stored) with flow bins filled."""
        import hist

        axes = [_hist_axis(a, "xy"[i]) for i, a in enumerate(self.axes)]
        storage = hist.storage.Weight() if self.variances is not None else hist.storage.Double()
        out = hist.Hist(*axes, storage=storage, name=self.name, label=self.title)
        view: Any = out.view(flow=True)
        if self.variances is not None:
            view.value = self.values
            view.variance = self.variances
        else:
            view[...] = self.values
        return out

    @classmethod
    def from_hist(
        cls, h: Any, *, name: str = "", title: str = "", class_name: str | None = None
    ) -> Histogram:
        """From a ``hist.Hist``/boost-histogram; statistics from bin centres (no flow)."""
        ndim = len(h.axes)
        if ndim not in (1, 2):
            msg = f"only 1D and 2D histograms can be stored, not {ndim}D"
            raise InvalidInput(msg)
        axes = tuple(
            Axis(np.asarray(a.edges, dtype=np.float64), str(getattr(a, "label", "") or ""))
            for a in h.axes
        )
        values = _with_flow(h, np.asarray(h.values(flow=True), dtype=np.float64))
        raw_var = h.variances(flow=True)
        variances = None if raw_var is None else _with_flow(h, np.asarray(raw_var, np.float64))
        name = name or str(getattr(h, "name", "") or "h")
        title = title or str(getattr(h, "label", "") or "")
        hist_out = cls(class_name or f"TH{ndim}D", name, title, axes, values, variances)
        hist_out.entries = float(values.sum())
        hist_out.stats = stats_from_bins(hist_out)
        return hist_out


def _hist_axis(axis: Axis, letter: str) -> Any:
    import hist

    label = axis.title or letter
    if axis.labels:
        return hist.axis.StrCategory(axis.labels, name=letter, label=label)
    if axis.uniform:
        n = len(axis.edges) - 1
        return hist.axis.Regular(n, axis.edges[0], axis.edges[-1], name=letter, label=label)
    return hist.axis.Variable(axis.edges, name=letter, label=label)


def _with_flow(h: Any, array: FloatArray) -> FloatArray:
    """Pad axes that have no under/overflow so every axis has n + 2 bins."""
    pads = []
    for axis in h.axes:
        traits = axis.traits
        pads.append((0 if traits.underflow else 1, 0 if traits.overflow else 1))
    return np.pad(array, pads)


def stats_from_bins(h: Histogram) -> dict[str, float]:
    """ROOT's stored sums (``fTsumw``…) as the bin contents and centres give them."""
    w = h.inner()
    x = h.axes[0].centers
    if h.ndim == 1:
        stats = {
            "fTsumw": float(w.sum()),
            "fTsumwx": float((w * x).sum()),
            "fTsumwx2": float((w * x * x).sum()),
        }
    else:
        y = h.axes[1].centers
        # Sums over one axis first: a 16,820 x 64 map costs three passes, not five (x, y) grids;
        # einsum, not a matrix product: BLAS would start threads on a machine others share.
        per_x, per_y = w.sum(axis=1), w.sum(axis=0)
        stats = {
            "fTsumw": float(per_x.sum()),
            "fTsumwx": float((per_x * x).sum()),
            "fTsumwx2": float((per_x * x * x).sum()),
            "fTsumwy": float((per_y * y).sum()),
            "fTsumwy2": float((per_y * y * y).sum()),
            "fTsumwxy": float((x * np.einsum("ij,j->i", w, y)).sum()),
        }
    w2 = stats["fTsumw"] if h.variances is None else float(h.inner(h.variances).sum())
    return {"fTsumw": stats["fTsumw"], "fTsumw2": w2} | stats


# --- ROOT I/O ---------------------------------------------------------------------------------


def decode_histogram(data: bytes, key: str = CCDB_KEY) -> Histogram:
    """The TH1*/TH2* stored under ``key`` in ROOT file bytes.

    Read directly (:func:`read_histogram`) when the file is in a layout qcflow knows (the
    histogram classes' current versions, zlib or no compression: what ROOT and uproot write),
    else through uproot: the same values either way.
    """
    from qcflow.objects.rootread import RootFile, Unsupported

    try:
        return read_histogram(RootFile(data), key)
    except Unsupported:
        return histogram_from_file(read_root(data), key)


def histogram_from_file(file: Any, key: str = CCDB_KEY) -> Histogram:
    """The TH1*/TH2* stored under ``key`` in an open uproot file; of an object deriving from
    one (QC's ``TH2Ratio<TH2F>`` is a TH2F: the ratio), that histogram."""
    try:
        obj = file[key]
    except Exception as err:
        msg = f"ROOT file has no {key!r} (keys: {', '.join(file.keys()) or 'none'})"
        raise InvalidInput(msg) from err
    return histogram_from_model(histogram_base(obj), repr(key))


def _is_histogram_class(name: str) -> bool:
    return name.startswith(("TH1", "TH2")) and name[3:4] in ("F", "D", "I", "S", "C")


def histogram_base(obj: Any) -> Any:
    """``obj`` if it is a TH1*/TH2* (as uproot read it), else its first TH1*/TH2* base, else
    ``obj`` (which :func:`histogram_from_model` then refuses, naming its class)."""
    if _is_histogram_class(str(obj.classname)):
        return obj
    bases = getattr(obj, "bases", ())
    return next((b for b in bases if _is_histogram_class(str(b.classname))), obj)


def histogram_from_model(obj: Any, where: str = "object") -> Histogram:
    """A TH1*/TH2* that uproot read (a key's object, or a member or base of another object)."""
    name = obj.classname
    if not _is_histogram_class(name):
        msg = f"{where} is a {name}, not a TH1 or TH2 histogram"
        raise InvalidInput(msg)
    ndim = int(name[2])
    axes = tuple(_read_axis(obj.member(f"f{c}axis")) for c in "XY"[:ndim])
    sumw2 = np.asarray(obj.member("fSumw2"), dtype=np.float64)
    values = np.asarray(obj.values(flow=True), dtype=np.float64)
    stats_keys = _STATS_2D if ndim == 2 else _STATS_1D
    return Histogram(
        class_name=name,
        name=str(obj.member("fName")),
        title=str(obj.member("fTitle")),
        axes=axes,
        values=values,
        variances=sumw2.reshape(values.shape, order="F").copy() if sumw2.size else None,
        entries=float(obj.member("fEntries")),
        stats={k: float(obj.member(k)) for k in stats_keys},
    )


# The classes read directly: their array's type, and the versions whose layout is known
# (ROOT 6.x and uproot write these; another version goes through uproot).
_ARRAY_TYPES = {"F": "f4", "D": "f8", "I": "i4", "S": "i2", "C": "i1"}
_TH1X_VERSIONS, _TH2X_VERSIONS = (3,), (4,)
_TH1_VERSIONS, _TH2_VERSIONS, _TAXIS_VERSIONS, _TNAMED_VERSIONS = (8,), (5,), (10,), (1,)


def read_histogram(file: RootFile, key: str = CCDB_KEY) -> Histogram:
    """The TH1*/TH2* under ``key`` read member by member in ROOT's layout of the classes'
    current versions, without uproot (~30x faster); :class:`~.rootread.Unsupported` for any
    other class, version or layout (read it with uproot then)."""
    from qcflow.objects.rootread import Cursor, Unsupported

    found = file.keys.get(key)
    name = found.class_name if found is not None else ""
    if found is None or len(name) != 4 or name[:3] not in ("TH1", "TH2"):
        raise Unsupported(name)
    dtype = _ARRAY_TYPES.get(name[3])
    if dtype is None:
        raise Unsupported(name)
    ndim = int(name[2])
    buffer = Cursor(file.object_bytes(found), found.key_length)
    end = buffer.expect(_TH1X_VERSIONS if ndim == 1 else _TH2X_VERSIONS)
    th2_end = buffer.expect(_TH2_VERSIONS) if ndim == 2 else None
    h = _read_th1(buffer, name, ndim)
    if ndim == 2:
        h.stats |= dict(zip(_STATS_2D[4:], buffer.read("4d")[1:], strict=True))
        buffer.ends_at(th2_end)
    (count,) = buffer.read("i")
    cells = buffer.array(dtype, count, "f8")
    buffer.ends_at(end)
    shape = tuple(len(axis.edges) + 1 for axis in h.axes)  # the bins and two flow bins
    sumw2 = h.variances
    if cells.size != int(np.prod(shape)) or (sumw2 is not None and sumw2.size != cells.size):
        msg = "the cell arrays do not match the axes"
        raise Unsupported(msg)
    h.values = cells.reshape(shape, order="F")
    if h.variances is not None:
        h.variances = h.variances.reshape(shape, order="F")
    return h


def _read_th1(buffer: Cursor, class_name: str, ndim: int) -> Histogram:
    """TH1's members (version 8); the caller reads the derived class's."""
    end = buffer.expect(_TH1_VERSIONS)
    name, title = _read_tnamed(buffer)
    for _ in range(3):  # TAttLine, TAttFill, TAttMarker: drawing attributes
        buffer.skip_versioned()
    buffer.read("i")  # fNcells
    axes = tuple(_read_taxis(buffer, used=i < ndim) for i in range(3))
    buffer.read("hh")  # fBarOffset, fBarWidth
    entries, *sums = buffer.read("8d")  # then fMaximum, fMinimum, fNormFactor
    (contours,) = buffer.read("i")
    buffer.skip(8 * contours)
    (count,) = buffer.read("i")
    sumw2 = buffer.array("f8", count)
    buffer.tstring()  # fOption
    buffer.skip_versioned()  # fFunctions: a TList streamed in place (`->`)
    (buffered,) = buffer.read("i")
    buffer.skip(1 + 8 * buffered)  # fBuffer: a flag, then fBufferSize numbers
    buffer.read("ii")  # fBinStatErrOpt, fStatOverflows
    buffer.ends_at(end)
    stats = dict(zip(_STATS_1D, sums[:4], strict=True))
    return Histogram(
        class_name,
        name,
        title,
        tuple(a for a in axes if a is not None),
        np.zeros(0),
        sumw2 if sumw2.size else None,
        float(entries),
        stats,
    )


def _read_tnamed(buffer: Cursor) -> tuple[str, str]:
    end = buffer.expect(_TNAMED_VERSIONS)
    buffer.tobject()
    name, title = buffer.tstring(), buffer.tstring()
    buffer.ends_at(end)
    return name, title


def _read_taxis(buffer: Cursor, *, used: bool) -> Axis | None:
    """A TAxis (version 10): edges, title and bin labels as uproot gives them (None: read
    past an axis the histogram does not have)."""
    end = buffer.expect(_TAXIS_VERSIONS)
    _, title = _read_tnamed(buffer)
    buffer.skip_versioned()  # TAttAxis
    nbins, low, high, count = buffer.read("iddi")
    bins = buffer.array("f8", count)
    buffer.read("iiH?")  # fFirst, fLast, fBits2, fTimeDisplay
    buffer.tstring()  # fTimeFormat
    labels = _read_labels(buffer)
    buffer.skip_pointer()  # fModLabs
    buffer.ends_at(end)
    if not used:
        return None
    edges = bins if len(bins) == nbins + 1 else np.linspace(low, high, nbins + 1)
    return Axis(
        np.asarray(edges, dtype=np.float64),
        title,
        labels if labels and len(labels) == nbins else None,
    )


def _read_labels(buffer: Cursor) -> list[str] | None:
    """An axis's ``fLabels``: a THashList of TObjString (None: no list)."""
    from qcflow.objects.rootread import Unsupported

    kind, end = buffer.pointer()
    if kind is None:
        return None
    if kind != "THashList":
        raise Unsupported(kind)
    buffer.expect((4, 5))
    buffer.tobject()
    buffer.tstring()  # fName
    (count,) = buffer.read("i")
    labels = []
    for _ in range(count):
        item, item_end = buffer.pointer()
        if item != "TObjString":
            raise Unsupported(str(item))
        string_end = buffer.expect((1,))
        buffer.tobject()
        labels.append(buffer.tstring())
        buffer.ends_at(string_end)
        buffer.ends_at(item_end)
        buffer.tstring()  # the item's option
    buffer.ends_at(end)
    return labels


def _read_axis(axis: Any) -> Axis:
    labels = axis.labels()
    return Axis(
        edges=np.asarray(axis.edges(), dtype=np.float64),
        title=str(axis.member("fTitle")),
        labels=[str(label) for label in labels] if labels else None,
    )


def _write_axis(axis: Axis, name: str) -> Any:
    from uproot.writing import identify

    n = len(axis.edges) - 1
    bins = None if axis.uniform else np.asarray(axis.edges, dtype=np.float64)
    labels = _write_labels(axis.labels) if axis.labels else None
    return identify.to_TAxis(
        name,
        axis.title,
        n,
        float(axis.edges[0]),
        float(axis.edges[-1]),
        fXbins=bins,
        fLabels=labels,
    )


def _write_labels(labels: list[str]) -> Any:
    from uproot.writing import identify

    strings = []
    for number, label in enumerate(labels, start=1):
        string = identify.to_TObjString(label)
        string._bases[0]._members["@fUniqueID"] = number  # ROOT finds a label by its bin
        strings.append(string)
    return identify.to_THashList(strings)


def encode_histogram(h: Histogram, key: str = CCDB_KEY, compress: str = "zlib") -> bytes:
    """ROOT file bytes holding ``h`` under ``key``; ``F`` classes are written as float32;
    ``compress``: one of :data:`COMPRESSIONS`."""
    return write_root({key: histogram_to_uproot(h)}, compress)


def histogram_to_uproot(h: Histogram) -> Any:
    """The uproot-writable TH1/TH2 of ``h`` (for files holding several objects)."""
    from uproot.writing import identify

    dtype = np.float32 if h.class_name.endswith("F") else np.float64
    # ROOT stores 2D bins x-fastest (Fortran order), with flow bins.
    data = np.asarray(h.values, dtype=dtype).ravel(order="F")
    sumw2 = np.zeros(0) if h.variances is None else np.asarray(h.variances).ravel(order="F")
    s = {k: h.stats.get(k, 0.0) for k in _STATS_2D}
    x = _write_axis(h.axes[0], "xaxis")
    y = _write_axis(h.axes[1], "yaxis") if h.ndim == 2 else identify.to_TAxis("yaxis", "", 1, 0, 1)
    z = identify.to_TAxis("zaxis", "", 1, 0.0, 1.0)
    common = (
        h.name,
        h.title,
        data,
        h.entries,
        s["fTsumw"],
        s["fTsumw2"],
        s["fTsumwx"],
        s["fTsumwx2"],
    )
    low, high = h.limits if h.limits is not None else (-1111.0, -1111.0)  # ROOT's "unset"
    drawn = {"fMinimum": low, "fMaximum": high, "fOption": h.option}
    if h.ndim == 1:
        return identify.to_TH1x(*common, sumw2, x, y, z, **drawn)
    return identify.to_TH2x(
        *common, s["fTsumwy"], s["fTsumwy2"], s["fTsumwxy"], sumw2, x, y, z, **drawn
    )
