"""Write QC's mergeable ratio histograms as QC's C++ writes them: ``TH2FRatio``, ``TH2DRatio``
(``o2::quality_control_modules::common::TH2Ratio<TH2F>``/``<TH2D>``) and the ``TH1Ratio``
twins, class version 3.

The persistent layout, as ROOT streams it by the class's streamer info::

    TH2Ratio<TH2F> v3 : TH2F (the ratio itself), o2::mergers::MergeInterface (an empty v0
                                                                       record: no members)
        TH2F* mHistoNum       [byte count][new class tag]"TH2F\\0" + a TH2F record
        TH2F* mHistoDen       [byte count][reference to that class tag] + a TH2F record
        bool  mUniformScaling, mBinominalErrors, mSumw2Enabled (Bool_t)
        string mTreatMeAs     [byte count][version 10] + the string ("TH2F")

A class reference counts from the start of the key (whose length uproot's key layout fixes,
:func:`key_length`) plus ROOT's ``kMapOffset`` (2). The histograms are uproot's writable models
(``uproot.writing.identify.to_TH2x``...), serialised by uproot; the file carries their
streamer infos (uproot's) and those of ``TH2Ratio<T>`` and ``MergeInterface``, built with
ROOT's checksums (:mod:`.streamerinfo`), so ROOT reads the file with QC's classes loaded --
silently -- or without them. The object is compressed (a 16,820 x 64 map is 4 MB a histogram).

Like the rest of :mod:`qcflow.objects.rootwrite`, nothing here imports qcflow's own modules.
"""

from __future__ import annotations

import struct
from functools import cache
from typing import Any

from qcflow.objects.rootwrite.stream import (
    BYTECOUNT,
    CLASS_REFERENCE,
    MAP_OFFSET,
    NEW_CLASS,
    put_object,
    string,
    versioned,
)
from qcflow.objects.rootwrite.streamerinfo import (
    BASE,
    Catalog,
    StreamedClass,
    base,
    basic,
    object_pointer,
    recorded_checksum,
    std_string,
)

__all__ = ["MERGE_INTERFACE", "RATIO_NAMESPACE", "key_length", "ratio_class", "write_ratio"]

RATIO_NAMESPACE = "o2::quality_control_modules::common::"
MERGE_INTERFACE = "o2::mergers::MergeInterface"
RATIO_VERSION = 3
_STRING_VERSION = 10  # what ROOT writes as the "version" of a std::string member
_BIG_KEY = 34  # TKey with 64-bit seeks: fNbytes, fVersion, fObjlen, fDatime, fKeylen, fCycle...
_TOBJECT_BITS = 0x03000000  # kNotDeleted | kIsOnHeap, as ROOT writes objects made with new
#: The titles ROOT gives the histogram bases in their TStreamerBase.
_BASE_TITLES = {
    "TH1F": "1-Dim histograms (one float per channel)",
    "TH1D": "1-Dim histograms (one double per channel)",
    "TH2F": "2-Dim histograms (one float per channel)",
    "TH2D": "2-Dim histograms (one double per channel)",
}


def ratio_class(histogram_class: str) -> str:
    """QC's ratio class over ``histogram_class`` (``TH2F`` -> ``…::TH2Ratio<TH2F>``)."""
    if histogram_class not in _BASE_TITLES:
        msg = f"QC has no ratio class over {histogram_class!r} (TH1F, TH1D, TH2F or TH2D)"
        raise ValueError(msg)
    return f"{RATIO_NAMESPACE}TH{histogram_class[2]}Ratio<{histogram_class}>"


@cache
def _catalog(record: bytes, version: int) -> tuple[Catalog, str]:
    """The streamer records of ``TH?Ratio<T>`` and ``MergeInterface``, and ``T``'s name, from
    ``T``'s own streamer record (uproot's, last of its model's ``class_rawstreamers``) and class
    version; ``T``'s checksum is the one its record states."""
    histogram, checksum = recorded_checksum(record)
    name = ratio_class(histogram)
    classes = (
        StreamedClass(
            name,
            RATIO_VERSION,
            (
                base(histogram, _BASE_TITLES[histogram], version, BASE),
                base(MERGE_INTERFACE, "", 0, BASE),
                object_pointer("mHistoNum", f"{histogram}*"),
                object_pointer("mHistoDen", f"{histogram}*"),
                basic("mUniformScaling", 18, 1, "bool"),
                basic("mBinominalErrors", 18, 1, "bool"),
                basic("mSumw2Enabled", 18, 1, "bool"),
                std_string("mTreatMeAs"),
            ),
        ),
        StreamedClass(MERGE_INTERFACE, 0, ()),
    )
    return Catalog(classes, {histogram: checksum}), histogram


def key_length(class_name: str, key: str, title: str) -> int:
    """The length of the key :func:`~.stream.put_object` writes (a big TKey and three
    strings): object references count from the key's first byte."""
    return _BIG_KEY + sum(len(string(s)) for s in (class_name, key, title))


def _histogram(model: Any, name: str) -> bytes:
    pieces: list[bytes] = []
    model._serialize(pieces, True, name, _TOBJECT_BITS)
    return b"".join(pieces)


def write_ratio(
    directory: Any,
    key: str,
    ratio: Any,
    num: Any,
    den: Any,
    *,
    uniform_scaling: bool,
    binomial_errors: bool = False,
    sumw2: bool = True,
) -> str:
    """Write ``TH?Ratio<T>`` under ``key`` in an ``uproot.recreate`` file (or directory): the
    ratio, numerator and denominator are uproot models of one class ``T`` (their own names
    are kept); returns the class written. ``mTreatMeAs`` is ``T``, as QC's constructor sets it."""
    kinds = {type(m) for m in (ratio, num, den)}
    if len(kinds) != 1:
        msg = "the ratio, numerator and denominator must be histograms of one class"
        raise ValueError(msg)
    _, record, _, version = type(ratio).class_rawstreamers[-1]
    catalog, histogram = _catalog(record, int(version))
    class_name = ratio_class(histogram)
    title = str(ratio.member("fTitle"))
    body = bytearray(_histogram(ratio, str(ratio.member("fName"))))
    body += versioned(0, b"")  # MergeInterface: a header, no members
    # then mHistoNum with a new class tag ...
    numerator = _histogram(num, str(num.member("fName")))
    tag = histogram.encode() + b"\0"
    record_start = 6  # the TH2Ratio record's byte count and version come first
    tag_position = record_start + len(body) + 4
    body += struct.pack(">II", (len(numerator) + len(tag) + 4) | BYTECOUNT, NEW_CLASS) + tag
    body += numerator
    # ... and mHistoDen with a reference to that tag (ROOT writes a class once per buffer)
    reference = key_length(class_name, key, title) + tag_position + MAP_OFFSET
    denominator = _histogram(den, str(den.member("fName")))
    body += struct.pack(">II", (len(denominator) + 4) | BYTECOUNT, CLASS_REFERENCE | reference)
    body += denominator
    body += struct.pack(">???", uniform_scaling, binomial_errors, sumw2)
    body += versioned(_STRING_VERSION, string(histogram))
    raw = versioned(RATIO_VERSION, bytes(body))
    extra = catalog.raw_streamers()
    put_object(directory, class_name, key, title, raw, (type(ratio),), extra, compress=True)
    return class_name
