"""Storing synthetic monitor objects the way a QC task of an asynchronous pass stores them."""

from __future__ import annotations

from collections.abc import Mapping

from qcflow.objects.activity import Activity
from qcflow.objects.metadata import mo_metadata
from qcflow.objects.paths import mo_path
from qcflow.objects.root import Histogram, encode_histogram, upload_file_name
from qcflow.qcdb.repository import Repository

__all__ = ["store_histograms"]


def store_histograms(
    repo: Repository,
    activity: Activity,
    valid: tuple[int, int],
    *,
    detector: str,
    task: str,
    task_class: str,
    objects: Mapping[str, Histogram],
) -> int:
    """Store each histogram at ``<prov>/<DET>/MO/<task>/<name>``, valid ``valid`` (the run's
    [SOR, EOR]), with QC's metadata (cycle 1); return how many were stored."""
    for name, histogram in objects.items():
        meta = mo_metadata(activity, detector=detector, task_name=task, task_class=task_class,
                           object_type=histogram.class_name, cycle=1)  # fmt: skip
        repo.store(
            mo_path(activity.provenance, detector, task, name),
            encode_histogram(histogram),
            valid_from=valid[0],
            valid_until=valid[1],
            metadata=meta,
            content_type="application/root",
            file_name=upload_file_name(histogram.class_name, valid[0]),
        )
    return len(objects)
