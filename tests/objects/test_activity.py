"""Activities: matching, run types, metadata (qcflow.objects.activity)."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from qcflow.objects.activity import RUN_TYPES, Activity, run_type_name


@pytest.mark.parametrize(
    ("given_", "expected"),
    [
        ("0", "NONE"),
        ("1", "PHYSICS"),
        ("2", "TECHNICAL"),
        ("18", "CALIBRATION_VRESETD"),
        ("34", "NONE"),
        ("-134", "-134"),
        ("²", "²"),  # a digit to str.isdigit(), not to int(): a name, not a code
        ("PHYSICS", "PHYSICS"),
        ("", "NONE"),
        (None, "NONE"),
        (14, "COSMICS"),
    ],
)
def test_run_type_names(given_: str | int | None, expected: str) -> None:
    assert run_type_name(given_) == expected


def test_wildcards_match_anything_but_provenance() -> None:
    obj = Activity(550123, "PHYSICS", "LHC24ab", "apass1", "qc_async", 1000, 2000)
    assert Activity(provenance="qc_async").matches(obj)
    assert Activity(550123, "PHYSICS", "LHC24ab", "apass1", "qc_async").matches(obj)
    assert not Activity(provenance="qc").matches(obj)
    assert not Activity(1, provenance="qc_async").matches(obj)
    assert not Activity(type="COSMICS", provenance="qc_async").matches(obj)
    assert not Activity(pass_name="apass2", provenance="qc_async").matches(obj)
    assert not Activity(provenance="qc_async", valid_from=1500).matches(obj)


activities = st.builds(
    Activity,
    number=st.integers(0, 10**6),
    type=st.sampled_from(RUN_TYPES),
    period_name=st.sampled_from(["", "LHC24ab", "LHC23zz"]),
    pass_name=st.sampled_from(["", "apass1", "cpass0"]),
    provenance=st.sampled_from(["qc", "qc_async"]),
)


@given(activities)
def test_metadata_round_trip_and_filters(activity: Activity) -> None:
    back = Activity.from_metadata(activity.metadata(), activity.provenance)
    assert back.same(activity)
    assert set(activity.metadata()) == {"RunType", "RunNumber", "PassName", "PeriodName"}
    filters = activity.filters()
    # a filter built from an activity selects exactly the metadata that activity matches
    assert all(activity.metadata()[k] == v for k, v in filters.items())
    assert Activity.from_metadata(filters, activity.provenance).matches(activity)


@example("²")
@given(st.text(max_size=6))
def test_any_metadata_text_reads_as_an_activity(text: str) -> None:
    """Stored metadata is anybody's text: an unreadable run number is "any run", never an error."""
    found = Activity.from_metadata({"RunNumber": text, "RunType": text}, "qc")
    digits = re.fullmatch(r"\s*([0-9]+)\s*", text)
    assert found.number == (int(digits[1]) if digits else 0)
