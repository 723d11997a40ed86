"""Storing synthetic monitor objects the way a QC task of an asynchronous pass stores them."""

from __future__ import annotations

from collections.abc import Mapping

from qcflow.objects.activity import Activity
from qcflow.objects.metadata import mo_metadata
from qcflow.objects.paths import mo_path
from qcflow.objects.root import Histogram, encode_histogram, upload_file_name
from qcflow.qcdb.repository import Repository

__all__ = ["store_histograms", "store_object"]


def store_object(
    repo: Repository,
    activity: Activity,
    valid: tuple[int, int],
    *,
    detector: str,
    task: str,
    task_class: str,
    name: str,
    data: bytes,
    object_type: str,
) -> None:
    """Store ``data`` (a ROOT file holding an ``object_type``) at
    ``<prov>/<DET>/MO/<task>/<name>``, valid ``valid`` (the run's [SOR, EOR]), with QC's
    metadata (cycle 1)."""
    meta = mo_metadata(
        activity,
        detector=detector,
        task_name=task,
        task_class=task_class,
        object_type=object_type,
        cycle=1,
    )
    repo.store(
        mo_path(activity.provenance, detector, task, name),
        data,
        valid_from=valid[0],
        valid_until=valid[1],
        metadata=meta,
        content_type="application/root",
        file_name=upload_file_name(object_type, valid[0]),
    )


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
    """Store each histogram (see :func:`store_object`); return how many were stored."""
    for name, histogram in objects.items():
        store_object(
            repo,
            activity,
            valid,
            detector=detector,
            task=task,
            task_class=task_class,
            name=name,
            data=encode_histogram(histogram),
            object_type=histogram.class_name,
        )
    return len(objects)
