"""Range headers (hypothesis) and reply encoding."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcflow.qcdb.errors import RangeNotSatisfiable
from qcflow.qcdb.server.http import Reply, parse_range

_BOUND = st.integers(0, 300).map(str) | st.just("")
_HEADERS = st.one_of(
    st.none(),
    st.text(max_size=20),
    st.builds(lambda a, b: f"bytes={a}-{b}", _BOUND, _BOUND),
)


@given(header=_HEADERS, size=st.integers(1, 200))
def test_a_range_is_inside_the_object_or_refused(header: str | None, size: int) -> None:
    try:
        span = parse_range(header, size)
    except RangeNotSatisfiable:
        return
    if span is not None:
        first, last = span
        assert 0 <= first <= last < size


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-0", (0, 0)),
        ("bytes=5-", (5, 9)),
        ("bytes=-4", (6, 9)),
        ("bytes=8-100", (8, 9)),
        ("bytes=0-1,3-4", None),
        ("items=0-1", None),
        (None, None),
    ],
)
def test_ranges(header: str | None, expected: tuple[int, int] | None) -> None:
    assert parse_range(header, 10) == expected


def test_reply_headers_are_utf8_and_have_a_length() -> None:
    reply = Reply(200, {"PassName": "é"}, b"abc")
    assert (b"PassName", "é".encode()) in reply.raw_headers()
    assert (b"Content-Length", b"3") in reply.raw_headers()
    assert all(name != b"content-length" for name, _ in Reply(204).raw_headers())
