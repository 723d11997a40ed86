"""What a fetched QCDB object holds: the decoded value a task or reductor receives.

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

from typing import TYPE_CHECKING, Any

from qcflow.objects.metadata import OBJECT_TYPE
from qcflow.objects.quality import QUALITY_OBJECT_CLASS, QualityObject
from qcflow.objects.root import ROOT_MAGIC

if TYPE_CHECKING:
    from qcflow.qcdb.model import ObjectInfo

__all__ = ["decode"]


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
