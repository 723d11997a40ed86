"""Qualities, flags and the quality object payload (qcflow.objects.quality)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcflow.errors import InvalidInput
from qcflow.objects.activity import Activity
from qcflow.objects.quality import FLAG_TYPES, Flag, Quality, QualityObject, flag_type


def test_levels_and_order() -> None:
    order = [Quality.GOOD, Quality.MEDIUM, Quality.BAD, Quality.NULL]
    assert [q.level for q in order] == [1, 2, 3, 10]
    for better, worse in itertools.pairwise(order):
        assert worse.is_worse_than(better) and better.is_better_than(worse)
    assert Quality.from_name("Medium") == Quality.MEDIUM
    assert Quality.from_name("whatever") == Quality.NULL
    assert Quality.from_level(3) == Quality.BAD and Quality.from_level(7) == Quality.NULL


def test_equality_ignores_flags_and_metadata() -> None:
    flagged = Quality.BAD.with_flag("BadPID", "too many fakes").with_metadata("k", "v")
    assert flagged == Quality.BAD
    assert flagged.flags[0].type.name == "Bad PID"
    assert Quality.BAD.flags == ()  # the shared constant is untouched
    assert flagged.as_level(Quality.GOOD).flags == flagged.flags


def test_unknown_flag_has_a_hint() -> None:
    with pytest.raises(InvalidInput, match="did you mean 'BadPID'"):
        flag_type("BadPid")
    assert flag_type("Bad Tracking") == FLAG_TYPES["BadTracking"]


def test_paths_follow_qc() -> None:
    act = Activity(1, "PHYSICS", provenance="qc_async")
    qo = QualityObject(Quality.GOOD, "RecCheck", "ZDC", "OnAny", ("RecPP",), ("h1",), act)
    assert qo.path == "qc_async/ZDC/QO/RecCheck"
    each = QualityObject(
        Quality.GOOD, "RecCheck", "ZDC", "OnEachSeparately", mo_names=("RecPP/h1",), activity=act
    )
    assert each.name == "RecCheck/RecPP/h1" and each.path == "qc_async/ZDC/QO/RecCheck/RecPP/h1"
    assert qo.metadata()["qc_quality"] == "1"


qualities = st.builds(
    lambda name, flags, meta: Quality(
        Quality.from_name(name).level, name, tuple(Flag(FLAG_TYPES[f], c) for f, c in flags), meta
    ),
    st.sampled_from(["Good", "Medium", "Bad", "Null"]),
    st.lists(st.tuples(st.sampled_from(sorted(FLAG_TYPES)), st.text(max_size=20)), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
)


@given(qualities, st.text(min_size=1, max_size=10), st.lists(st.text(max_size=8), max_size=3))
def test_payload_round_trip(quality: Quality, check: str, mos: list[str]) -> None:
    qo = QualityObject(
        quality, check, "TST", "OnAll", ("a",), tuple(mos), Activity(7, provenance="qc_mc")
    )
    back = QualityObject.decode(qo.encode())
    assert back == qo
    assert back.quality.flags == quality.flags and dict(back.quality.metadata) == dict(
        quality.metadata
    )


def test_malformed_payload_is_named() -> None:
    with pytest.raises(InvalidInput, match="qc/X/QO/c: not a qcflow quality object payload"):
        QualityObject.decode(b'{"quality": {}}', "qc/X/QO/c")
