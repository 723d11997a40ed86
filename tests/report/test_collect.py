"""``collect``'s two ways to a verdict: decoded payloads (the report) or the listing's
``qc_quality`` metadata with payloads decoded on demand (the UI's matrix), and the fallback to
the payload for objects whose metadata names no verdict (older stores, other writers)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcflow.objects.activity import Activity
from qcflow.objects.metadata import QC_QUALITY
from qcflow.objects.quality import Quality, QualityObject, listed_quality
from qcflow.qcdb.local import LocalRepository
from qcflow.qcdb.model import ObjectInfo
from qcflow.report.collect import ReportData, collect

PERIOD, PASS = "LHC24ab", "apass1"
T0 = 1_714_521_600_000
HOUR = 3_600_000


def _qo(run: int, quality: Quality) -> QualityObject:
    activity = Activity(run, "PHYSICS", PERIOD, PASS, "qc_async")
    return QualityObject(quality, "RecCheck", "ZDC", inputs=("Rec",), activity=activity)


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[LocalRepository]:
    """Runs 1-2 stored as QC stores them; run 3 without ``qc_quality`` (an older store), run 4
    with a level QC does not know."""
    store = LocalRepository(tmp_path / "qcdb", fsync=False)
    stored = {
        1: (_qo(1, Quality.BAD.with_flag("BadPID", "too few")), None),
        2: (_qo(2, Quality.GOOD), None),
        3: (_qo(3, Quality.MEDIUM), ""),
        4: (_qo(4, Quality.BAD), "7"),
    }
    for run, (qo, listed) in stored.items():
        metadata = qo.metadata()
        if listed == "":
            del metadata[QC_QUALITY]
        elif listed is not None:
            metadata[QC_QUALITY] = listed
        store.store(
            qo.path,
            qo.encode(),
            valid_from=T0 + run * HOUR,
            valid_until=T0 + (run + 1) * HOUR,
            metadata=metadata,
        )
    yield store
    store.close()


def _verdicts(data: ReportData) -> dict[int, str]:
    return {run: entries[0].quality.name for (run, _), entries in data.qualities.items()}


def test_listed_verdicts_read_only_the_payloads_the_listing_cannot_tell(
    repo: LocalRepository,
) -> None:
    read: list[int] = []

    def fetch(info: ObjectInfo) -> bytes:
        read.append(int(info.metadata["RunNumber"]))
        return repo.download(info.id).data

    listed = collect(repo, PERIOD, PASS, read=fetch, decode=False)
    assert _verdicts(listed) == {1: "Bad", 2: "Good", 3: "Medium", 4: "Bad"}
    assert sorted(read) == [3, 4]  # no qc_quality, an unknown level: decoded
    entry = listed.cell(1, "ZDC")[0]
    assert entry.quality.flags == ()  # the listing has the level only...
    assert entry.qo.quality.flags[0].comment == "too few"  # ...the payload, read when asked
    assert entry.qo.inputs == ("Rec",) and sorted(read) == [1, 3, 4]
    assert entry.qo is entry.qo and sorted(read) == [1, 3, 4]  # read once

    read.clear()
    decoded = collect(repo, PERIOD, PASS, read=fetch)
    assert sorted(read) == [1, 2, 3, 4]
    assert _verdicts(decoded) == _verdicts(listed)
    assert decoded.cell(1, "ZDC")[0].quality.flags == entry.qo.quality.flags
    assert (decoded.runs, decoded.detectors, decoded.checked) == (
        listed.runs,
        listed.detectors,
        listed.checked,
    )


@pytest.mark.parametrize("quality", [Quality.GOOD, Quality.MEDIUM, Quality.BAD, Quality.NULL])
def test_the_listing_names_the_verdict_qc_stores(quality: Quality) -> None:
    assert listed_quality(_qo(1, quality).metadata()) == quality
    assert listed_quality({QC_QUALITY: quality.name}) == quality


@given(st.text(max_size=12))
def test_any_other_qc_quality_names_no_verdict(text: str) -> None:
    found = listed_quality({QC_QUALITY: text})
    known = {"1", "2", "3", "10", "Good", "Medium", "Bad", "Null"}
    assert (found is None) == (text.strip() not in known)
