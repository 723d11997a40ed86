"""Publishing: paths, metadata, policies, payloads, listeners."""

from __future__ import annotations

import hist
import pytest

from qcflow.errors import InvalidInput
from qcflow.objects.activity import Activity
from qcflow.objects.codec import Payload, decode, encode_object
from qcflow.objects.quality import Quality, QualityObject
from qcflow.postprocessing.config.schema import TaskConfig
from qcflow.postprocessing.engine.object_manager import (
    ObjectManager,
    Publication,
    PublicationPolicy,
)
from qcflow.postprocessing.triggers.trigger import Trigger, TriggerType
from qcflow.postprocessing.triggers.validity import Validity
from qcflow.qcdb.local import LocalRepository

TASK = TaskConfig("id", "MyTask", "mylab::MyTask", "m", detector_name="TST")
ACTIVITY = Activity(0, "PHYSICS", "LHC24ab", "apass1", "qc_async")
TRIGGER = Trigger(TriggerType.ONCE)


def test_paths_metadata_and_validity(repo: LocalRepository) -> None:
    manager = ObjectManager(TASK, lambda: repo)
    manager.start_publishing(
        Payload(b"x", "bytes"), "sub/folder/obj", metadata={"drawOptions": "colz"}
    )
    publication = manager.publish(TRIGGER, ACTIVITY, Validity(1000, 2000))
    info = publication.objects[0].info
    assert publication.objects[0].name == "MyTask/sub/folder/obj"
    assert info.path == "qc_async/TST/MO/MyTask/sub/folder/obj"
    assert (info.valid_from, info.valid_until) == (1000, 2000)
    assert {k: v for k, v in info.metadata.items() if k != "qcflow_version"} == {
        "RunType": "PHYSICS",
        "RunNumber": "0",
        "PassName": "apass1",
        "PeriodName": "LHC24ab",
        "ObjectType": "bytes",
        "qc_detector_name": "TST",
        "qc_task_name": "MyTask",
        "qc_task_class": "mylab::MyTask",
        "qc_version": "1.195.0",
        "adjustableEOV": "1",
        "drawOptions": "colz",
    }


def test_policies(repo: LocalRepository) -> None:
    manager = ObjectManager(TASK, lambda: repo)
    for name, policy in (
        ("f", PublicationPolicy.FOREVER),
        ("o", PublicationPolicy.ONCE),
        ("t", PublicationPolicy.THROUGH_STOP),
    ):
        manager.start_publishing(Payload(b"x", "bytes"), name, policy)
    manager.stop_publishing(PublicationPolicy.ONCE)
    assert manager.names == ["f", "t"]
    manager.stop_publishing("f")
    assert manager.names == ["t"]
    with pytest.raises(InvalidInput, match="empty or has spaces"):
        manager.start_publishing(Payload(b"x", "bytes"), "has space")


def test_listeners_get_the_stored_objects(repo: LocalRepository) -> None:
    seen: list[Publication] = []
    manager = ObjectManager(TASK, lambda: repo, [seen.append])
    manager.start_publishing(Payload(b"x", "bytes"), "a")
    manager.publish(TRIGGER, ACTIVITY, Validity(10, 20))
    assert [p.objects[0].path for p in seen] == ["qc_async/TST/MO/MyTask/a"]
    assert seen[0].task is TASK


def test_payloads_of_histograms_and_quality_objects(repo: LocalRepository) -> None:
    h = hist.Hist.new.Reg(4, 0, 4).Double()
    h.fill([0.5, 1.5, 1.5])
    payload = encode_object(h)
    assert (payload.object_type, payload.content_type) == ("TH1D", "application/root")
    qo = QualityObject(Quality.BAD, "Check", "TST", activity=ACTIVITY)
    qo_payload = encode_object(qo)
    assert qo_payload.content_type == "application/root"  # QC's ROOT QualityObject
    assert qo_payload.data.startswith(b"root")
    with pytest.raises(InvalidInput, match="cannot publish a dict"):
        encode_object({"a": 1})
    manager = ObjectManager(TASK, lambda: repo)
    manager.start_publishing(h, "h")
    info = manager.publish(TRIGGER, ACTIVITY, Validity(10, 20)).objects[0].info
    decoded = decode(repo.get(info.path, 15).data, info)
    assert list(decoded.inner()) == [1.0, 2.0, 0.0, 0.0]


def test_objects_over_max_object_size_are_not_stored(
    repo: LocalRepository, caplog: pytest.LogCaptureFixture
) -> None:
    from dataclasses import replace

    from qcflow.postprocessing.config.schema import CommonConfig, DatabaseConfig

    task = replace(TASK, common=CommonConfig(database=DatabaseConfig(max_object_size=10)))
    manager = ObjectManager(task, lambda: repo)
    manager.start_publishing(Payload(b"small", "bytes"), "small")
    manager.start_publishing(Payload(b"x" * 11, "bytes"), "big")
    stored = manager.publish(TRIGGER, ACTIVITY, Validity(10, 20)).objects
    assert [p.name for p in stored] == ["MyTask/small"]
    assert "exceed maxObjectSize (10)" in caplog.text
