"""Aggregators (qcflow.checks.aggregators)."""

from __future__ import annotations

import pytest

from qcflow.checks.aggregators import BestOfAll, Majority, WorstOfAll
from qcflow.objects.quality import Quality, QualityObject


def qo(name: str, quality: Quality) -> QualityObject:
    return QualityObject(quality, name)


INPUTS = {
    "testCheckNull": qo("testCheckNull", Quality.NULL.with_flag("BadTracking", "t")),
    "testCheckBad": qo("testCheckBad", Quality.BAD),
    "testCheckGood": qo("testCheckGood", Quality.GOOD),
    "testCheckMedium": qo("testCheckMedium", Quality.MEDIUM.with_flag("BadPID", "p")),
}


def names(q: Quality) -> list[str]:
    return [f.type.name for f in q.flags]


def test_worst_of_all_as_qc() -> None:
    """QC's own unit test sequence: Good; +Medium(BadPID); +Bad; +Null(BadTracking)."""
    agg = WorstOfAll("agg")
    steps = [
        ("testCheckGood", Quality.GOOD, []),
        ("testCheckMedium", Quality.MEDIUM, ["Bad PID"]),
        ("testCheckBad", Quality.BAD, ["Bad PID"]),
        ("testCheckNull", Quality.NULL, ["Bad PID", "Bad Tracking"]),
    ]
    given: dict[str, QualityObject] = {}
    for key, expected, flags in steps:
        given[key] = INPUTS[key]
        result = agg.aggregate(given)["agg"]
        assert result == expected
        assert names(result) == flags


@pytest.mark.parametrize("cls", [WorstOfAll, BestOfAll, Majority])
def test_empty_input_is_null_with_a_flag(cls: type[WorstOfAll]) -> None:
    (result,) = cls("ZDCQuality").aggregate({}).values()
    assert result == Quality.NULL
    assert result.flags[0].type.name == "Unknown Quality"
    assert result.flags[0].comment == "QO map given to the aggregator 'ZDCQuality' is empty."


def test_best_of_and_majority_keep_all_flags() -> None:
    assert BestOfAll("a").aggregate(INPUTS)["a"] == Quality.GOOD
    assert names(BestOfAll("a").aggregate(INPUTS)["a"]) == [
        "Bad PID",
        "Bad Tracking",
    ]  # sorted by QO name
    mixed = {
        f"c{i}": qo(f"c{i}", q)
        for i, q in enumerate(
            [Quality.GOOD, Quality.BAD, Quality.BAD, Quality.GOOD, Quality.MEDIUM]
        )
    }
    assert Majority("m").aggregate(mixed)["m"] == Quality.BAD  # tie Good/Bad goes to the worse
    mixed["c5"] = qo("c5", Quality.GOOD)
    assert Majority("m").aggregate(mixed)["m"] == Quality.GOOD
