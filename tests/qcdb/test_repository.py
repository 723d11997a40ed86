"""The Repository conformance suite: every test runs on the embedded store and on client->server.

The rules under test are spec/ccdb-api.md's "Which object a GET returns" and QC's validity
rules (spec/qc-postprocessing.md section 7).
"""

from __future__ import annotations

import hashlib
import time
import uuid

import pytest

from qcflow.errors import InvalidInput, NotFound
from qcflow.qcdb import Query, Repository, fetch_many
from qcflow.qcdb.base import RepositoryBase
from qcflow.qcdb.model import uuid_time_ms
from qcflow.qcdb.query import TEN_YEARS_MS, now_ms

P = "qc/TST/MO/Task/h1"


def put(repo: Repository, data: bytes, start: int, end: int, path: str = P, **meta: str):
    return repo.store(path, data, valid_from=start, valid_until=end, metadata=meta)


# --- store ------------------------------------------------------------------------------------


def test_store_describes_the_object(repo: Repository) -> None:
    before = now_ms()
    info = put(repo, b"payload", 1000, 2000, RunNumber="5")
    assert info.path == P
    assert (info.valid_from, info.valid_until) == (1000, 2000)
    assert info.md5 == hashlib.md5(b"payload").hexdigest()
    assert info.size == 7
    assert info.metadata == {"RunNumber": "5"}
    assert uuid.UUID(info.id).version == 1
    assert before - 5 <= info.created <= now_ms() + 5
    assert uuid_time_ms(info.id) == info.created


def test_get_returns_content_and_same_description(repo: Repository) -> None:
    stored = put(repo, b"abc", 1000, 2000, RunNumber="5", PassName="apass1")
    info, data = repo.get(P, 1500)
    assert data == b"abc"
    assert (info.id, info.md5, info.size, info.metadata) == (
        stored.id,
        stored.md5,
        3,
        {"RunNumber": "5", "PassName": "apass1"},
    )
    assert repo.info(P, 1500).id == stored.id


def test_validity_is_half_open(repo: Repository) -> None:
    put(repo, b"a", 1000, 2000)
    assert repo.get(P, 1000).data == b"a"
    assert repo.get(P, 1999).data == b"a"
    with pytest.raises(NotFound):
        repo.get(P, 2000)
    with pytest.raises(NotFound):
        repo.get(P, 999)


def test_most_recently_created_wins_not_highest_start(repo: Repository) -> None:
    put(repo, b"later-start", 1500, 3000)
    put(repo, b"created-last", 1000, 3000)
    assert repo.get(P, 2000).data == b"created-last"
    assert repo.get(P, 1200).data == b"created-last"


def test_filters_must_all_match_exactly(repo: Repository) -> None:
    put(repo, b"run5", 1000, 9000, RunNumber="5", PassName="apass1")
    put(repo, b"run6", 1000, 9000, RunNumber="6", PassName="apass1")
    assert repo.get(P, 2000, {"RunNumber": "5"}).data == b"run5"
    assert repo.get(P, 2000, {"RunNumber": "6", "PassName": "apass1"}).data == b"run6"
    assert repo.get(P, 2000).data == b"run6"
    with pytest.raises(NotFound):
        repo.get(P, 2000, {"RunNumber": "05"})
    with pytest.raises(NotFound):  # a key no object has never matches a GET
        repo.get(P, 2000, {"Unknown": "x"})


def test_filter_values_may_hold_slashes_and_unicode(repo: Repository) -> None:
    put(repo, b"x", 1000, 9000, PassName="apass1/x é=1")
    assert repo.get(P, 2000, {"PassName": "apass1/x é=1"}).data == b"x"


def test_creation_bounds(repo: Repository) -> None:
    first = put(repo, b"1", 1000, 9000)
    time.sleep(0.002)  # creation times are in ms: make them differ
    second = put(repo, b"2", 1000, 9000)
    assert repo.get(P, 2000, not_after=first.created).info.id == first.id
    assert repo.get(P, 2000, not_before=second.created).info.id == second.id
    with pytest.raises(NotFound):
        repo.get(P, 2000, not_after=first.created - 1)


def test_get_until_ends_where_a_newer_version_takes_over(repo: Repository) -> None:
    """The server's ``Cache-Valid-Until``, on every backend: the version's end, cut where a
    version created later (and matching the same filters) becomes valid."""
    assert isinstance(repo, RepositoryBase)
    runs = [put(repo, b"r", 1000 * r, 1000 * (r + 1), RunNumber=str(r)) for r in range(1, 4)]
    # back to back (QC's runs): nothing starts inside another's validity
    (info, data), until = repo.get_until(P, 2500)
    assert (info.id, data, until) == (runs[1].id, b"r", 3000)
    assert repo.get_until(P, 1500, {"RunNumber": "1"}, content=False)[1] == 2000
    time.sleep(0.002)  # creation times are in ms: make them differ
    late = put(repo, b"late", 1500, 2000, RunNumber="9")  # newer, starts inside run 1
    assert repo.get_until(P, 1200)[1] == 1500
    assert repo.get_until(P, 1200, {"RunNumber": "1"})[1] == 2000  # another run's: no cut
    assert repo.get_until(P, 1600)[0].info.id == late.id
    assert repo.get_until(P, 1200, uuid=runs[0].id)[1] == 2000  # by id: never replaced
    assert repo.get_until(P, 1200, not_after=runs[2].created)[1] == 2000


def test_uuid_selects_one_version(repo: Repository) -> None:
    first = put(repo, b"1", 1000, 9000)
    put(repo, b"2", 1000, 9000)
    assert repo.get(P, 2000, uuid=first.id).data == b"1"
    assert repo.download(first.id).data == b"1"
    with pytest.raises(NotFound):
        repo.download(str(uuid.uuid1()))
    assert repo.get(P, 2000, uuid=first.id.upper()).data == b"1"  # any spelling of the UUID


@pytest.mark.parametrize("bad", ["not-a-uuid", "", "1234"])
def test_ids_must_be_uuids(repo: Repository, bad: str) -> None:
    put(repo, b"1", 1000, 9000)
    with pytest.raises(InvalidInput, match="UUID"):
        repo.get(P, 2000, uuid=bad)
    with pytest.raises(InvalidInput, match="UUID"):
        repo.download(bad)


def test_default_timestamp_is_now(repo: Repository) -> None:
    repo.store(P, b"now")
    assert repo.get(P).data == b"now"


def test_not_found_names_query_and_near_misses(repo: Repository) -> None:
    put(repo, b"x", 1000, 2000, RunNumber="5")
    with pytest.raises(NotFound) as err:
        repo.get(P, 1500, {"RunNumber": "7"})
    text = str(err.value)
    assert P in text
    assert "1500" in text
    assert "RunNumber=7" in text
    assert "RunNumber has values 5" in text
    with pytest.raises(NotFound, match="none valid then"):
        repo.get(P, 5000)
    with pytest.raises(NotFound, match="close paths: qc/TST/MO/Task/h1"):
        repo.get("qc/TST/MO/Task/h2", 1500)


# --- validity rules ---------------------------------------------------------------------------


@pytest.mark.parametrize("start", [None, 0, -1])
def test_unset_start_means_now(repo: Repository, start: int | None) -> None:
    before = now_ms()
    info = repo.store(P, b"x", valid_from=start, valid_until=None)
    assert before <= info.valid_from <= now_ms()
    assert info.valid_until == info.valid_from + TEN_YEARS_MS


def test_equal_bounds_get_one_ms(repo: Repository) -> None:
    info = repo.store(P, b"x", valid_from=5000, valid_until=5000)
    assert (info.valid_from, info.valid_until) == (5000, 5001)


def test_start_after_end_is_rejected_and_nothing_stored(repo: Repository) -> None:
    with pytest.raises(InvalidInput, match="after its end"):
        repo.store(P, b"x", valid_from=5000, valid_until=4000)
    assert repo.browse(P) == []


def test_adjustable_eov_cuts_the_previous_version(repo: Repository) -> None:
    first = put(repo, b"1", 1000, 9000, adjustableEOV="1")
    second = put(repo, b"2", 4000, 9000, adjustableEOV="1")
    assert repo.get(P, 3999).info.id == first.id
    assert repo.info(P, 3999).valid_until == 4000
    assert repo.get(P, 4000).info.id == second.id
    assert repo.info(P, 3999).metadata == {"adjustableEOV": "1"}


def test_without_adjustable_eov_validity_stays(repo: Repository) -> None:
    put(repo, b"1", 1000, 9000)
    put(repo, b"2", 4000, 9000)
    assert repo.info(P, 3999).valid_until == 9000


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/qc/abs",
        "qc/../etc",
        "qc//h",
        "qc/./h",
        "qc/123/h",
        "qc/a=b",
        "browse/x",
        "qc/h*",
        "a/b/c/d/e/f/g/h/i/j/k",
        "qc/12345678901234567890/h",
        "qc/" + "x" * 510,
    ],
)
def test_bad_paths_are_rejected_and_nothing_stored(repo: Repository, path: str) -> None:
    with pytest.raises(InvalidInput):
        repo.store(path, b"x", valid_from=1, valid_until=2)
    assert repo.latest(".*") == []


@pytest.mark.parametrize("time_", [2**63, -(2**63), 1.5, "5"])
def test_times_must_be_64_bit_integers(repo: Repository, time_: object) -> None:
    with pytest.raises(InvalidInput, match="not a time in ms"):
        repo.store(P, b"x", valid_from=time_, valid_until=None)
    with pytest.raises(InvalidInput, match="not a time in ms"):
        repo.get(P, time_)
    assert repo.latest(".*") == []


@pytest.mark.parametrize("key", ["", "a b", "a/b", "a=b", "a.b", 'a"b', "кл", "Kéy", "a\u00a0"])
def test_bad_metadata_keys_are_rejected(repo: Repository, key: str) -> None:
    """Keys become header names, which are ASCII: a non-ASCII key was stored, then a 500.
    (A ValueError for Python callers, InvalidInput -- exit 2 -- for the command line.)"""
    with pytest.raises(InvalidInput) as refused:
        repo.store(P, b"x", valid_from=1, valid_until=2, metadata={key: "v"})
    assert isinstance(refused.value, ValueError)
    assert repo.latest(".*") == []


@pytest.mark.parametrize("bad", ["a\x00b", "a\x01", "\x7f", "a\r\nX-Evil: 1"])
def test_file_names_and_content_types_must_be_header_text(repo: Repository, bad: str) -> None:
    """Both become response headers: stored with a control character, no reply was ever sent."""
    for field in ("file_name", "content_type"):
        with pytest.raises(InvalidInput, match="control characters") as refused:
            repo.store(P, b"x", valid_from=1, valid_until=2, **{field: bad})
        assert isinstance(refused.value, ValueError), field
    assert repo.latest(".*") == []


@pytest.mark.parametrize(
    ("start", "end"), [(2**63 - 1, None), (2**63 - 1, 2**63 - 1), (2**63 - 1, -1)]
)
def test_validity_past_the_largest_time_is_rejected(
    repo: Repository, start: int, end: int | None
) -> None:
    with pytest.raises(InvalidInput, match="largest time"):
        repo.store(P, b"x", valid_from=start, valid_until=end)
    assert repo.latest(".*") == []


# --- listings ---------------------------------------------------------------------------------


def _fill(repo: Repository) -> None:
    put(repo, b"1", 1000, 2000, "qc/TPC/MO/A/h1", RunNumber="1")
    put(repo, b"2", 2000, 3000, "qc/TPC/MO/A/h1", RunNumber="2")
    put(repo, b"3", 1000, 3000, "qc/TPC/MO/A/sub/h2", RunNumber="1")
    put(repo, b"4", 1000, 3000, "qc/TOF/MO/B/h3", RunNumber="2")


def test_browse_lists_versions_newest_first(repo: Repository) -> None:
    _fill(repo)
    found = repo.browse("qc/TPC/MO/A/h1")
    assert [i.metadata["RunNumber"] for i in found] == ["2", "1"]
    assert [i.created for i in found] == sorted((i.created for i in found), reverse=True)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("qc/TPC/.*", {"qc/TPC/MO/A/h1", "qc/TPC/MO/A/sub/h2"}),
        ("qc/TPC/*", {"qc/TPC/MO/A/h1", "qc/TPC/MO/A/sub/h2"}),
        ("qc/.*/h[13]", {"qc/TPC/MO/A/h1", "qc/TOF/MO/B/h3"}),
        ("qc/%/h1", {"qc/TPC/MO/A/h1"}),
        ("qc/TOF%", {"qc/TOF/MO/B/h3"}),
        ("qc/TPC/MO/A/h1", {"qc/TPC/MO/A/h1"}),
        ("qc/TPC", set()),
    ],
)
def test_patterns(repo: Repository, pattern: str, expected: set[str]) -> None:
    _fill(repo)
    assert {i.path for i in repo.browse(pattern)} == expected


def test_latest_is_newest_per_path_in_path_order(repo: Repository) -> None:
    _fill(repo)
    found = repo.latest("qc/.*")
    assert [i.path for i in found] == sorted(i.path for i in found)
    assert len(found) == 3
    assert next(i for i in found if i.path == "qc/TPC/MO/A/h1").metadata["RunNumber"] == "2"


def test_listing_filters_timestamp_and_limit(repo: Repository) -> None:
    _fill(repo)
    assert {i.path for i in repo.latest("qc/.*", {"RunNumber": "1"})} == {
        "qc/TPC/MO/A/h1",
        "qc/TPC/MO/A/sub/h2",
    }
    at_1500 = repo.browse("qc/TPC/MO/A/h1", timestamp=1500)
    assert [i.metadata["RunNumber"] for i in at_1500] == ["1"]
    assert len(repo.browse("qc/.*", limit=2)) == 2
    assert repo.browse("qc/.*", limit=0) == []
    with pytest.raises(InvalidInput, match="limit -1"):
        repo.browse("qc/.*", limit=-1)
    assert len(repo.browse("qc/.*", limit=2**63 - 1)) == 4
    with pytest.raises(InvalidInput, match="is not a count"):  # was sqlite's IntegrityError
        repo.browse("qc/.*", limit=10**30)
    # Listings ignore filters on keys no object has (the CCDB drops unknown keys).
    assert len(repo.browse("qc/.*", {"NeverSeen": "x"})) == 4


def test_listing_creation_bounds(repo: Repository) -> None:
    first = put(repo, b"1", 1000, 2000)
    time.sleep(0.002)
    put(repo, b"2", 1000, 2000)
    assert [i.id for i in repo.browse(P, not_after=first.created)] == [first.id]


def test_subfolders(repo: Repository) -> None:
    _fill(repo)
    assert repo.subfolders("qc") == ["qc/TOF", "qc/TPC"]
    assert repo.subfolders("qc/TPC/MO/A") == ["qc/TPC/MO/A/sub"]
    assert repo.subfolders("qc/TPC/MO/A/sub") == []


# --- changes ----------------------------------------------------------------------------------


def test_update_metadata_and_validity(repo: Repository) -> None:
    stored = put(repo, b"x", 1000, 9000, RunNumber="5", drop="me")
    assert repo.update(P, 2000, metadata={"qc_quality": "3", "drop": ""}) is True
    info = repo.info(P, 2000)
    assert info.metadata == {"RunNumber": "5", "qc_quality": "3"}
    assert repo.update(P, 2000, metadata={"qc_quality": "3"}) is False
    assert repo.update(P, 2000, uuid=stored.id, valid_until=5000) is True
    assert repo.info(P, 4999).valid_until == 5000
    with pytest.raises(NotFound):
        repo.info(P, 5000)
    with pytest.raises(InvalidInput, match="not after its start"):
        repo.update(P, 2000, valid_until=1000)
    with pytest.raises(NotFound):
        repo.update(P, 99_999, metadata={"a": "b"})


def test_delete_resolved_object(repo: Repository) -> None:
    first = put(repo, b"1", 1000, 9000)
    second = put(repo, b"2", 1000, 9000)
    assert repo.delete(P, 2000).id == second.id
    assert repo.get(P, 2000).info.id == first.id
    repo.delete(P, 2000, uuid=first.id)
    with pytest.raises(NotFound):
        repo.get(P, 2000)
    with pytest.raises(NotFound):
        repo.delete(P, 2000)


def test_move(repo: Repository) -> None:
    stored = put(repo, b"1", 1000, 9000, RunNumber="3")
    moved = repo.move(P, 1000, uuid=stored.id, destination="qc/TST/MO/Other/h1")
    assert moved.path == "qc/TST/MO/Other/h1"
    assert repo.get("qc/TST/MO/Other/h1", 2000).data == b"1"
    with pytest.raises(NotFound):
        repo.get(P, 2000)


def test_move_to_an_overlong_path_is_rejected(repo: Repository) -> None:
    stored = put(repo, b"1", 1000, 9000)
    with pytest.raises(InvalidInput, match="at most 512"):
        repo.move(P, 1000, uuid=stored.id, destination="qc/" + "x" * 510)
    assert repo.get(P, 2000).info.path == P


def test_truncate(repo: Repository) -> None:
    _fill(repo)
    assert repo.truncate("qc/TPC/.*") == 3
    assert [i.path for i in repo.latest("qc/.*")] == ["qc/TOF/MO/B/h3"]
    assert repo.truncate("qc/TPC/.*") == 0


# --- concurrency helper -----------------------------------------------------------------------


def test_fetch_many_in_order_with_missing_as_none(repo: Repository) -> None:
    for run in range(20):
        put(repo, str(run).encode(), 1000, 9000, f"qc/TST/MO/T/h{run}", RunNumber=str(run))
    queries = [Query(f"qc/TST/MO/T/h{r}", 2000, {"RunNumber": str(r)}) for r in range(20)]
    queries.append(Query("qc/TST/MO/T/missing", 2000))
    results = fetch_many(repo, queries, max_workers=8)
    assert [r.data for r in results[:-1] if r is not None] == [str(r).encode() for r in range(20)]
    assert results[-1] is None
