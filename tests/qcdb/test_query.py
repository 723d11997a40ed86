"""The selection rules as pure functions, and QC's validity rules."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from qcflow.errors import InvalidInput
from qcflow.qcdb import query as q
from qcflow.qcdb.model import ObjectInfo


def info(path: str, start: int, end: int, created: int, **meta: str) -> ObjectInfo:
    return ObjectInfo(path, f"id-{created}", start, end, created, created, metadata=meta)


OBJECTS = [
    info("a/h", 0, 100, 1, RunNumber="1"),
    info("a/h", 50, 200, 2, RunNumber="2"),
    info("a/h", 0, 300, 3, RunNumber="1"),
    info("a/sub/g", 0, 100, 4),
]


def test_select_most_recently_created_valid_match() -> None:
    assert q.select(OBJECTS, q.Query("a/h", 60)).id == "id-3"  # type: ignore[union-attr]
    assert q.select(OBJECTS, q.Query("a/h", 60, {"RunNumber": "2"})).id == "id-2"  # type: ignore[union-attr]
    assert q.select(OBJECTS, q.Query("a/h", 60, not_after=2)).id == "id-2"  # type: ignore[union-attr]
    assert q.select(OBJECTS, q.Query("a/h", 250, {"RunNumber": "2"})) is None
    assert q.select(OBJECTS, q.Query("a/h", 60, {"Missing": "x"})) is None


def test_browse_and_latest() -> None:
    assert [i.id for i in q.browse(OBJECTS, q.Query("a/.*"))] == ["id-4", "id-3", "id-2", "id-1"]
    assert [i.id for i in q.latest(OBJECTS, q.Query("a/.*"))] == ["id-3", "id-4"]
    assert [i.id for i in q.browse(OBJECTS, q.Query("a/h", 150))] == ["id-3", "id-2"]
    # listings drop filters on keys no object has
    assert len(q.browse(OBJECTS, q.Query("a/.*", filters={"Nope": "1"}))) == 4


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("qc/TPC/.*", "qc/TPC/MO/h", True),
        ("qc/TPC/.*", "qc/TPCX", False),
        ("qc/TPC*", "qc/TPCX/h", True),
        ("qc/.*/h1", "qc/TPC/MO/h1", True),
        ("qc/.*/h1", "qc/TPC/MO/h1x", True),  # a regex prefix match, as the CCDB's
        ("qc/%/h1", "qc/TPC/h1", True),
        ("qc/%/h1", "qc/TPC/h1x", False),  # LIKE matches the whole path
        ("qc/T_C/h", "qc/TPC/h", False),  # no % -> exact, '_' is literal
        ("qc/T_C%", "qc/TPC/h", True),
        ("qc/h", "qc/h", True),
        ("qc/h", "qc/h2", False),
    ],
)
def test_path_patterns(pattern: str, path: str, expected: bool) -> None:
    assert q.PathMatcher(pattern)(path) is expected


@pytest.mark.parametrize(
    ("pattern", "prefix"),
    [
        ("qc/TPC/.*", "qc/TPC/"),
        ("qc/TP*", "qc/TP"),
        ("qc/TPx?.*", "qc/TP"),
        ("qc/a%", "qc/a"),
        ("x(y|z)*", "x"),
    ],
)
def test_literal_prefix_is_a_true_prefix(pattern: str, prefix: str) -> None:
    assert q.PathMatcher(pattern).prefix == prefix


def test_bad_regex() -> None:
    with pytest.raises(InvalidInput, match="bad path pattern"):
        q.PathMatcher("qc/[.*")


# --- patterns run in linear time (RE2), with the meaning Python's re gave them ------------------

_ATOMS = st.sampled_from(["a", "b", "c", "/", "_", "-", ".", "[ab]", "[^a/]", r"\d", r"\w", "0"])
_QUANTIFIERS = st.sampled_from(["", "*", "+", "?", "{1,2}", "{2}", "*?", "+?"])
_REGEXES = st.recursive(
    _ATOMS,
    lambda inner: st.one_of(
        st.tuples(inner, _QUANTIFIERS).map(lambda t: f"({t[0]}){t[1]}"),
        st.lists(inner, min_size=1, max_size=3).map("".join),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: "(" + "|".join(xs) + ")"),
    ),
    max_leaves=8,
)
_PATHS = st.text(alphabet="abc/_-0.x", max_size=12)


def _old_regex_match(pattern: str, path: str) -> bool:
    """What a ``*`` pattern meant before RE2: Python's re, matched at the start."""
    return re.match(re.sub(r"(?<![.\])}])\*", ".*", pattern), path) is not None


def _old_like_match(pattern: str, path: str) -> bool:
    body = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.match(body + r"\Z", path) is not None


@settings(max_examples=400, deadline=None)
@given(_REGEXES, st.sampled_from([".*", "*", "(/.*)?$*", "/*", "(/.*)?$"]), _PATHS)
def test_regex_patterns_mean_what_python_re_meant(body: str, tail: str, path: str) -> None:
    pattern = body + tail
    # '{1,2}*' (a repeated repetition) is no benign pattern: RE2 refuses it (tested below)
    assume(not pattern.endswith("}*"))
    assert q.PathMatcher(pattern)(path) is _old_regex_match(pattern, path)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab/_%.x-", max_size=8).filter(lambda p: "%" in p), _PATHS)
def test_like_patterns_mean_what_they_meant(pattern: str, path: str) -> None:
    assert q.PathMatcher(pattern)(path) is _old_like_match(pattern, path)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="abc/_-0.x", max_size=6), st.sampled_from([".*", "*", "(/.*)?$", "%"]), _PATHS
)
def test_literal_folder_patterns_are_string_comparisons(folder: str, tail: str, path: str) -> None:
    """``qc/TPC/.*``, ``qc/TPC%`` and ``qc/TPC(/.*)?$`` skip RE2 and mean what they meant."""
    pattern = folder + tail
    if tail == "%":
        assume("_" not in folder)
        expected = _old_like_match(pattern, path)
    else:
        assume("." not in folder)
        expected = _old_regex_match(pattern, path)
    matcher = q.PathMatcher(pattern)
    assert matcher.regex is None
    assert matcher(path) is expected
    if matcher.prefix_only:
        assert path.startswith(matcher.prefix) is expected


def test_catastrophic_backtracking_patterns_answer() -> None:
    """``(.+)+#`` takes Python's re longer than the universe's age on this path; RE2 is linear."""
    path = "qc_async/TPC/MO/Clusters/hChargeQ" * 10
    assert q.PathMatcher("(.+)+%23.*")(path) is False
    assert q.PathMatcher("(.+)+#.*")(path) is False
    assert q.PathMatcher("(a|aa)+$*")("a" * 200 + "b") is False


@pytest.mark.parametrize(
    "pattern",
    [
        "qc/(?=a).*",  # look-ahead: no linear-time engine has it
        r"qc/(a)\1.*",  # back-reference
        "qc/a{1000}{1000}*",  # nested repetition
        "qc/a{1,2}*",
        "qc/" + ".{1000}" * 20 + ".*",  # an automaton larger than PATTERN_MEMORY
        # 18,000 instructions: 10 ms a path where RE2 leaves its DFA (PATTERN_PROGRAM)
        "(.*[ab].{0,999}c)|(.*[ab].{1,999}c)*",
    ],
)
def test_patterns_refused_with_a_reason(pattern: str) -> None:
    with pytest.raises(InvalidInput, match="bad path pattern"):
        q.PathMatcher(pattern)


def test_costly_patterns_name_the_limit() -> None:
    with pytest.raises(InvalidInput, match=f"at most {q.PATTERN_PROGRAM}"):
        q.PathMatcher("qc/.{500}.*")
    assert q.PathMatcher("qc/.{200}.*")("qc/" + "x" * 200)


def test_huge_repetition_counts_are_no_overflow() -> None:
    """``a{9999999999}`` was an OverflowError from Python's re (a 500, a traceback)."""
    try:
        matcher = q.PathMatcher("qc/a{9999999999}.*")
    except InvalidInput:
        return
    assert matcher("qc/a") is False


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (None, None, (1000, 1000 + q.TEN_YEARS_MS)),
        (0, 5000, (1000, 5000)),
        (-1, -1, (1000, 1000 + q.TEN_YEARS_MS)),
        (2000, 0, (2000, 2000 + q.TEN_YEARS_MS)),
        (3000, 3000, (3000, 3001)),
        (3000, 4000, (3000, 4000)),
    ],
)
def test_validity_rules(start: int | None, end: int | None, expected: tuple[int, int]) -> None:
    assert q.normalize_validity(start, end, now=1000) == expected


def test_start_after_end() -> None:
    with pytest.raises(InvalidInput, match="after its end"):
        q.normalize_validity(5000, 4000, now=1)


@pytest.mark.parametrize(
    ("start", "end"),
    [(2**63 - 1, None), (2**63 - 1, 2**63 - 1), (2**63 - 1, -1), (2**63 - 10, 0)],
)
def test_validity_ending_past_the_largest_time(start: int, end: int | None) -> None:
    """The default end (start + 10 years, or + 1 ms) must fit a 64-bit time: else a 500."""
    with pytest.raises(InvalidInput, match="largest time"):
        q.normalize_validity(start, end, now=1)
