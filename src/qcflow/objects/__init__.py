"""Payload codecs: what the bytes of QCDB objects mean. The QCDB itself stores bytes only.

- :mod:`~qcflow.objects.root` -- ROOT files with the object under ``ccdb_object`` (uproot):
  TH1*/TH2* to and from :class:`Histogram` and ``hist.Hist``, ROOT's stored statistics, the
  upload file name convention.
- :mod:`~qcflow.objects.tree` -- trend tables as TTrees (``meta.runNumber``, ``vertex_X.mean``).
- :mod:`~qcflow.objects.activity` -- :class:`Activity` (run, type, period, pass, provenance),
  matching and filters; O2's run types.
- :mod:`~qcflow.objects.quality` -- :class:`Quality`, flags, :class:`QualityObject` and its JSON
  payload.
- :mod:`~qcflow.objects.metadata` -- QC's metadata keys and MO/QO metadata builders.
- :mod:`~qcflow.objects.paths` -- MO/QO paths (``<prov>/<DET>/MO/<task>/<name>``).

Quality objects are JSON payloads (uproot cannot write ``QualityObject``), see
:mod:`~qcflow.objects.quality`.
"""

from __future__ import annotations

from qcflow.objects.activity import Activity, run_type_name
from qcflow.objects.metadata import mo_metadata, qo_metadata
from qcflow.objects.paths import mo_path, qo_path, split_mo_path
from qcflow.objects.root import (
    CCDB_KEY,
    Axis,
    Histogram,
    decode_histogram,
    encode_histogram,
    object_class,
    upload_file_name,
)
from qcflow.objects.tree import read_tree, write_tree

__all__ = [
    "CCDB_KEY",
    "Activity",
    "Axis",
    "Histogram",
    "decode_histogram",
    "encode_histogram",
    "mo_metadata",
    "mo_path",
    "object_class",
    "qo_metadata",
    "qo_path",
    "read_tree",
    "run_type_name",
    "split_mo_path",
    "upload_file_name",
    "write_tree",
]
