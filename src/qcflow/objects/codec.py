"""Payload codecs in one place: a Python object to QCDB bytes and back.

Encoding (:func:`encode_object`, what the post-processing publishes): anything with
``encode() -> Payload`` (trend tables, plots), a :class:`Payload` (with its companions, stored at
its path plus their suffix), qcflow's ROOT ``Histogram`` or a ``hist.Hist`` (a ROOT file), a
:class:`~qcflow.objects.quality.QualityObject` (its JSON), or raw ``bytes``.

Decoding (:func:`decode`), what a fetched QCDB object holds, the value a task or reductor receives:

- a quality object (``ObjectType`` QC's QualityObject, or a ROOT file holding one, or qcflow's
  earlier JSON payload) -> :class:`QualityObject`;
- a ROOT file with a TH1*/TH2* under ``ccdb_object`` -> :class:`qcflow.objects.root.Histogram`
  (with ROOT's stored statistics);
- QC's ratio histograms (``ObjectType`` ``…::TH2FRatio`` etc.) ->
  :class:`qcflow.objects.ratio.HistogramRatio` (ratio, numerator, denominator);
- a ROOT file with a TTree -> its columns (``{"vertex_X.mean": array, ...}``);
- another ROOT object -> the uproot object;
- anything else -> the bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from qcflow.errors import InvalidInput
from qcflow.objects.metadata import OBJECT_TYPE
from qcflow.objects.quality import QUALITY_OBJECT_CLASS, QualityObject
from qcflow.objects.root import ROOT_MAGIC

if TYPE_CHECKING:
    from qcflow.qcdb.model import ObjectInfo

__all__ = ["Encodable", "Payload", "decode", "encode_object"]


@dataclass(frozen=True)
class Payload:
    """Bytes ready for the QCDB, with the class they hold (``ObjectType``) and content type."""

    data: bytes
    object_type: str
    content_type: str = "application/octet-stream"
    extension: str = "root"
    #: other objects stored with this one, each at this one's path plus its suffix (a plot's
    #: PNG rendering next to its ROOT graph)
    companions: tuple[tuple[str, Payload], ...] = ()
    #: QCG's ``drawOptions`` and ``displayHints`` metadata (QC's ``setDefaultDrawOptions``,
    #: ``setDisplayHint``); a task's own calls for the object win
    draw_options: str = ""
    display_hints: str = ""


class Encodable(Protocol):
    def encode(self) -> Payload: ...


def encode_object(obj: Any) -> Payload:
    """The payload of a publishable object (see the module docstring)."""
    if isinstance(obj, Payload):
        return obj
    if callable(getattr(obj, "encode", None)) and not isinstance(obj, QualityObject | str):
        payload = obj.encode()
        if isinstance(payload, Payload):
            return payload
    if isinstance(obj, QualityObject):
        return Payload(obj.encode(), QUALITY_OBJECT_CLASS, "application/root")
    if isinstance(obj, bytes):
        return Payload(obj, "bytes")
    return _encode_histogram(obj)


def _encode_histogram(obj: Any) -> Payload:
    from qcflow.objects.root import Histogram, encode_histogram

    if not isinstance(obj, Histogram):
        if not hasattr(obj, "axes") or not callable(getattr(obj, "values", None)):
            msg = f"cannot publish a {type(obj).__name__}: give it an encode() -> Payload method"
            raise InvalidInput(msg)
        obj = Histogram.from_hist(obj)
    return Payload(encode_histogram(obj), obj.class_name, "application/root")


def decode(data: bytes, info: ObjectInfo) -> Any:
    """The value of an object's bytes, by its ``ObjectType`` and content."""
    object_type = info.metadata.get(OBJECT_TYPE, "")
    if object_type == QUALITY_OBJECT_CLASS or (
        info.content_type.startswith("application/json") and b'"quality"' in data[:4096]
    ):
        return QualityObject.decode(data, info.path)
    if not data.startswith(ROOT_MAGIC):
        return data
    return _decode_root(data, object_type)


def _decode_root(data: bytes, object_type: str) -> Any:
    from qcflow.objects.ratio import decode_ratio, is_ratio_class
    from qcflow.objects.root import CCDB_KEY, decode_histogram, object_class, read_root
    from qcflow.objects.tree import read_tree

    kind = object_type or object_class(data) or ""
    if kind == QUALITY_OBJECT_CLASS:
        return QualityObject.decode(data)
    if is_ratio_class(kind):
        return decode_ratio(data)
    if kind.startswith(("TH1", "TH2")):
        return decode_histogram(data)
    if kind == "TTree":
        return read_tree(data)
    return read_root(data)[CCDB_KEY]
