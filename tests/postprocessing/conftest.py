"""Fixtures: an embedded QCDB per test, and helpers to fill it the way QC would."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from qcflow.objects.activity import Activity
from qcflow.qcdb.local import LocalRepository

from ._histograms import th1


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[LocalRepository]:
    store = LocalRepository(tmp_path / "qcdb", fsync=False)
    yield store
    store.close()


def put_th1(
    repo: LocalRepository,
    path: str,
    fills: np.ndarray,
    activity: Activity,
    sor: int,
    eor: int,
    **metadata: str,
) -> None:
    """A TH1D of ``fills`` at ``path``, valid [sor, eor), with QC's MO metadata."""
    meta = {**activity.metadata(), "ObjectType": "TH1D", "qc_version": "1.195.0", **metadata}
    repo.store(
        path,
        th1(fills, bins=200, lo=-1.0, hi=1.0),
        valid_from=sor,
        valid_until=eor,
        metadata=meta,
        content_type="application/root",
    )
