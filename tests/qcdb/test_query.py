"""The selection rules as pure functions, and QC's validity rules."""

from __future__ import annotations

import pytest

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
