"""What every synthetic data set needs: histograms filled as ``TH1::Fill`` fills them, and
storing an object the way a QC task of an asynchronous pass stores it (path, validity
[SOR, EOR], QC's metadata)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from qcflow.objects.activity import Activity
from qcflow.objects.metadata import mo_metadata
from qcflow.objects.paths import mo_path
from qcflow.objects.root import Axis, Histogram, upload_file_name
from qcflow.qcdb.repository import Repository

__all__ = ["MoWriter", "th1_from_values"]

FloatArray = npt.NDArray[np.float64]


def th1_from_values(name: str, title: str, values: FloatArray, bins: int, low: float,
                    high: float, x_title: str = "") -> Histogram:  # fmt: skip
    """A TH1F filled with ``values`` as ROOT fills it: flow bins, sums of the true values."""
    edges = np.linspace(low, high, bins + 1)
    inside = values[(values >= low) & (values < high)]
    counts, _ = np.histogram(inside, bins=edges)  # ROOT: x == high is overflow
    contents = np.concatenate(([np.sum(values < low)], counts, [np.sum(values >= high)]))
    contents = contents.astype(np.float64)
    stats = {"fTsumw": float(inside.size), "fTsumw2": float(inside.size),
             "fTsumwx": float(inside.sum()), "fTsumwx2": float((inside**2).sum())}  # fmt: skip
    axis = Axis(edges, x_title)
    return Histogram("TH1F", name, title, (axis,), contents, contents.copy(), float(values.size),
                     stats)  # fmt: skip


@dataclass(frozen=True)
class MoWriter:
    """Stores the monitor objects of one QC task (detector, task name and class)."""

    repo: Repository
    detector: str
    task: str
    task_class: str

    def store(self, activity: Activity, name: str, data: bytes, object_type: str) -> None:
        """Store ``data`` as ``<prov>/<DET>/MO/<task>/<name>`` valid for the activity's run."""
        meta = mo_metadata(activity, detector=self.detector, task_name=self.task,
                           task_class=self.task_class, object_type=object_type,
                           cycle=1)  # fmt: skip
        self.repo.store(
            mo_path(activity.provenance, self.detector, self.task, name),
            data,
            valid_from=activity.valid_from,
            valid_until=activity.valid_until,
            metadata=meta,
            content_type="application/root",
            file_name=upload_file_name(object_type, activity.valid_from),
        )
