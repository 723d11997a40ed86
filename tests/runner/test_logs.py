"""The JSON-lines logs' time stamps: ISO 8601, UTC, milliseconds, whatever the moment."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from qcflow.runner.logs import iso_time


@given(st.integers(min_value=0, max_value=4_102_444_800_000))
def test_iso_time_is_utc_to_the_millisecond(ms):
    """Formatted once per second and cached: the same text as datetime's for every moment."""
    moment = datetime.fromtimestamp(ms / 1000, UTC).replace(microsecond=(ms % 1000) * 1000)
    expected = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert iso_time(ms / 1000 + 0.0002) == expected


def test_iso_time_without_a_moment_is_now():
    before = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "")
    assert iso_time()[:19] >= before
