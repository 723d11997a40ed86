"""The modules' "fetch only if new" retrieval (``SourceHelper``): a version is skipped only
when it is the very version fetched last, even if a newer one was created in the same
millisecond (QC compares creation times and would skip it)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from qcflow.modules._sources import NamedSource, SourceHelper
from qcflow.objects.activity import Activity
from qcflow.postprocessing.engine.services import Services
from qcflow.postprocessing.triggers.trigger import Trigger, TriggerType
from qcflow.qcdb.local import LocalRepository
from qcflow.qcdb.repository import Fetched

T0 = 1_714_521_600_000
PATH = "qc_async/ZDC/MO/Rec/h_ADC_ZNAC"


class _SameMillisecond(LocalRepository):
    """A store whose versions were all created in one millisecond, as on a fast machine."""

    def get(self, *args: Any, **kwargs: Any) -> Fetched:
        got = super().get(*args, **kwargs)
        return got._replace(info=dataclasses.replace(got.info, created=T0))


def test_a_new_version_created_in_the_same_millisecond_is_fetched(tmp_path: Path) -> None:
    repo = _SameMillisecond(tmp_path / "qcdb", fsync=False)
    services = Services(source=lambda: repo, destination=lambda: repo, conditions=lambda: repo)
    helper = SourceHelper(NamedSource("ADC", "ZDC/MO/Rec", "h_ADC_ZNAC"))
    trigger = Trigger(
        TriggerType.ALWAYS, activity=Activity(provenance="qc_async"), timestamp=T0 + 10
    )

    def store(payload: bytes) -> None:
        repo.store(PATH, payload, valid_from=T0, valid_until=T0 + 1000)

    store(b"first")
    first = helper.fetch_if_new(trigger, services)
    assert first is not None
    assert helper.fetch_if_new(trigger, services) is None  # the same version: unchanged
    store(b"second")
    second = helper.fetch_if_new(trigger, services)
    assert second is not None and second.info.created == first.info.created
    assert second.info.id != first.info.id
    assert helper.fetch_if_new(trigger, services) is None
    helper.reset()
    assert helper.fetch_if_new(trigger, services) is not None  # a new run: fetched again
