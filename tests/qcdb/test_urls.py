"""The CCDB URL grammar: round trips and robustness on arbitrary input (hypothesis)."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from qcflow.errors import InvalidInput
from qcflow.qcdb.urls import ParsedUrl, build, check_path, parse

_ELEMENT = st.text(
    st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="/=*%\\"),
    min_size=1,
    max_size=12,
).filter(lambda e: e not in (".", "..") and not e.lstrip("-").isdigit())
_PATHS = (
    st.lists(_ELEMENT, min_size=1, max_size=10)
    .map("/".join)
    .filter(
        lambda p: (
            p.split("/")[0] not in ("browse", "latest", "download", "truncate", "openapi.json")
        )
    )
)
_KEYS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,15}", fullmatch=True)
_VALUES = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=20)
_TIMES = st.integers(min_value=0, max_value=2**62)


@given(
    path=_PATHS,
    times=st.lists(_TIMES, max_size=2).map(tuple),
    filters=st.dictionaries(_KEYS, _VALUES, max_size=4),
    ident=st.none() | st.uuids(version=1).map(str),
)
def test_build_then_parse_round_trips(
    path: str, times: tuple[int, ...], filters: dict[str, str], ident: str | None
) -> None:
    # A UUID is only recognised after the path has ended (at a number or a k=v token).
    assume(ident is None or times or filters)
    assert parse(build(path, times, filters, ident)) == ParsedUrl(path, times, filters, ident)


@given(st.text(max_size=80))
def test_arbitrary_text_parses_or_says_why(raw: str) -> None:
    try:
        parsed = parse(raw)
    except InvalidInput as err:
        message = str(err)
    else:
        check_path(parsed.path)
        return
    assert message
    assert "\n" not in message.replace("\\n", "")


def test_grammar_pieces() -> None:
    u = str(uuid.uuid1())
    parsed = parse(f"/qc/TPC/h/1000/2000/RunNumber=5/PassName=a%2Fb%3D/{u}")
    assert parsed == ParsedUrl("qc/TPC/h", (1000, 2000), {"RunNumber": "5", "PassName": "a/b="}, u)


def test_filters_may_come_before_the_timestamp() -> None:
    assert parse("qc/h/RunNumber=5/1000") == ParsedUrl("qc/h", (1000,), {"RunNumber": "5"})


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "names no object path"),
        ("/1000", "names no object path"),
        ("qc/../x", "'..' element"),
        ("qc/%2e%2e/x", "'..' element"),
        ("qc/a%2Fb", "encoded '/'"),
        ("qc/h/1/2/3", "3 timestamps"),
        ("qc/h/1/nonsense", "neither a number"),
        ("qc/h/%ff", "percent-encoded UTF-8"),
        ("qc/h/1/a b=1", "bad key"),
        ("qc/h/1/k=%0a", "control characters"),
        ("//etc/passwd/1000/2000", "absolute"),
        ("/qc/12345678901234567890/1000", "not a time in ms"),
        ("qc/h/1000/" + "9" * 5000, "not a time in ms"),
        ("qc/h/1000/%D0%BA=v", "bad key"),
        ("qc/" + "x" * 600 + "/1000", "at most 512"),
        ("qc/x/1000" + "/k=v" * 3000, "at most 8192"),
        ("qc/x/1000" + "/k=v" * 2000 + "/a b=1", "bad key 'a b'"),
    ],
)
def test_malformed_urls(raw: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        parse(raw)


def test_patterns_only_where_allowed() -> None:
    assert parse("qc/TPC/.*", pattern=True).path == "qc/TPC/.*"
    with pytest.raises(InvalidInput, match="wildcard"):
        parse("qc/TPC/.*")
