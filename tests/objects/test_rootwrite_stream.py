"""ROOT's streaming primitives have one home (qcflow.objects.rootwrite.stream): the byte forms
QC's QualityObject writer composes are the records the graph and tree writers build."""

from __future__ import annotations

import struct

from hypothesis import given
from hypothesis import strategies as st

from qcflow.objects import root_quality
from qcflow.objects.rootwrite.stream import (
    BYTECOUNT,
    NEW_CLASS,
    Buffer,
    object_any,
    string,
    tobject,
    versioned,
)
from qcflow.objects.streamed import BYTECOUNT as READ_BYTECOUNT


@given(st.integers(0, 0x3FFF), st.binary(max_size=600))
def test_versioned_is_a_buffer_record(version: int, payload: bytes) -> None:
    out = Buffer(0)
    start = out.begin(version)
    out.data += payload
    out.end(start)
    assert versioned(version, payload) == bytes(out.data)


@given(st.text(max_size=300), st.text(max_size=300), st.integers(0, 2**32 - 1))
def test_named_and_object_any_match_the_buffer(name: str, title: str, bits: int) -> None:
    out = Buffer(0)
    start, _ = out.begin_object("TNamed")
    out.named(name, title, bits)
    out.end(start)
    named = versioned(1, tobject(bits) + string(name) + string(title))
    assert object_any("TNamed", named) == bytes(out.data)


def test_one_set_of_constants_and_strings() -> None:
    assert READ_BYTECOUNT == BYTECOUNT == 0x40000000
    assert struct.unpack(">I", object_any("X", b"")[4:8]) == (NEW_CLASS,)
    assert string("a" * 255)[:5] == b"\xff\x00\x00\x00\xff"
    # QC's writer uses these helpers rather than copies of its own
    for copy in ("_versioned", "_object_any", "_tobject"):
        assert not hasattr(root_quality, copy)
    assert string("\ud800", errors="replace") == b"\x01?"
