"""QC metadata and path helpers."""

from __future__ import annotations

import pytest

from qcflow.errors import InvalidInput
from qcflow.objects import metadata as md
from qcflow.objects.activity import Activity
from qcflow.objects.paths import mo_path, qo_path, split_mo_path


def test_mo_metadata_has_qc_keys() -> None:
    meta = md.mo_metadata(
        Activity(523897, pass_name="apass1"),
        detector="TPC",
        task_name="Clusters",
        task_class="o2::tpc::Clusters",
        object_type="TH1F",
        cycle=3,
    )
    assert meta["RunNumber"] == "523897"
    assert meta["PassName"] == "apass1"
    assert meta["PeriodName"] == ""
    assert meta["RunType"] == "NONE"
    assert meta["ObjectType"] == "TH1F"
    assert meta["qc_task_name"] == "Clusters"
    assert meta["CycleNumber"] == "3"
    assert meta["adjustableEOV"] == "1"
    assert all(isinstance(v, str) for v in meta.values())


def test_qo_metadata() -> None:
    activity = Activity(5, "PHYSICS", "p", "a")
    meta = md.qo_metadata(activity, detector="EMC", check_name="RecCheck", quality=1)
    assert meta["ObjectType"] == md.QUALITY_OBJECT_CLASS
    assert (meta["qc_quality"], meta["qc_check_name"], meta["RunType"]) == (
        "1",
        "RecCheck",
        "PHYSICS",
    )


def test_activity_filters_keep_non_default_fields() -> None:
    assert Activity(0, pass_name="apass1").filters() == {"PassName": "apass1"}


def test_paths() -> None:
    assert mo_path("qc_async", "TPC", "Clusters", "sub/h1") == "qc_async/TPC/MO/Clusters/sub/h1"
    assert qo_path("qc", "EMC", "RecCheck") == "qc/EMC/QO/RecCheck"
    assert qo_path("qc", "EMC", "RecCheck", "h1") == "qc/EMC/QO/RecCheck/h1"
    assert split_mo_path("qc/TPC/MO/Clusters/sub/h1") == ("qc", "TPC", "Clusters", "sub/h1")
    with pytest.raises(InvalidInput):
        mo_path("qc", "", "t", "h")
    with pytest.raises(InvalidInput):
        mo_path("qc", "TPC", "t", "../h")
    with pytest.raises(InvalidInput):
        split_mo_path("qc/TPC/QO/x")
