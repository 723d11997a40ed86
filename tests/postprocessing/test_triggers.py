"""Trigger strings, read in o2-qc's order."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcflow.errors import InvalidInput
from qcflow.postprocessing.triggers.trigger import TriggerType, parse_trigger


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("once", TriggerType.ONCE),
        ("Always", TriggerType.ALWAYS),
        ("SOR", TriggerType.START_OF_RUN),
        ("endofrun", TriggerType.END_OF_RUN),
        ("sof", TriggerType.START_OF_FILL),
        ("EndOfFill", TriggerType.END_OF_FILL),
        ("userorcontrol", TriggerType.USER_OR_CONTROL),
        ("user", TriggerType.USER_OR_CONTROL),
        ("control", TriggerType.USER_OR_CONTROL),
    ],
)
def test_named_triggers(text: str, kind: TriggerType) -> None:
    assert parse_trigger(text).type is kind


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("10 seconds", 10.0),
        ("5min", 300.0),
        ("0.001 seconds", 0.001),
        ("2hours", 7200.0),
        ("1e1 sec", 10.0),
        ("0 sec", 0.0),
    ],
)
def test_periodic(text: str, seconds: float) -> None:
    spec = parse_trigger(text)
    assert (spec.type, spec.seconds, spec.note) == (TriggerType.PERIODIC, seconds, "")


def test_60s_is_accepted_with_a_note() -> None:
    spec = parse_trigger("60s")
    assert (spec.type, spec.seconds) == (TriggerType.PERIODIC, 60.0)
    assert "rejected by o2-qc" in spec.note


def test_database_triggers_keep_the_path_spelling() -> None:
    spec = parse_trigger("ForEachLatest:QCDB:GLO/MO/Vertexing/beamSpot")
    assert (spec.type, spec.database, spec.path) == (
        TriggerType.FOR_EACH_LATEST,
        "qcdb",
        "GLO/MO/Vertexing/beamSpot",
    )
    assert parse_trigger("newobject:ccdb:GLO/Calib/MeanVertex").type is TriggerType.NEW_OBJECT
    assert parse_trigger("foreachobject:qcdb:a/b").type is TriggerType.FOR_EACH_OBJECT


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("foreachlatest:qcdb", "three ':'-separated parts"),
        ("newobject:qcdb:a:b", "three ':'-separated parts"),
        ("foreachobject:mydb:a", "should be qcdb or ccdb"),
        ("foreachlatest:qcdb:", "object path, is empty"),
        ("-5 sec", "negative period"),
        ("1 hour 30 sec", "expected a number before 'sec'"),
        ("every minute", "expected a number before 'min'"),
        ("whenever", "unknown trigger 'whenever'; use one of once, always"),
        ("60ms", "unknown trigger"),
    ],
)
def test_errors_name_the_trigger(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_trigger(text)


@given(st.text(max_size=40))
def test_any_string_is_a_trigger_or_one_error(text: str) -> None:
    try:
        spec = parse_trigger(text)
    except InvalidInput as err:
        message = str(err)
    else:
        assert spec.text == text
        return
    assert "\n" not in message.replace(text, "")
