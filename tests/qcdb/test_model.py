"""ObjectInfo's wire forms: listing entries in both key styles, and response headers."""

from __future__ import annotations

from qcflow.qcdb.model import (
    ObjectInfo,
    from_headers,
    from_listing_entry,
    new_id,
    to_headers,
    to_listing_entry,
    uuid_time_ms,
)
from qcflow.qcdb.query import now_ms

INFO = ObjectInfo(
    path="qc/TST/MO/T/h",
    id=str(new_id()),
    valid_from=1000,
    valid_until=2000,
    created=1_700_000_000_123,
    last_modified=1_700_000_000_456,
    md5="abc",
    size=12,
    content_type="application/root",
    file_name="TH1F_1.root",
    metadata={"RunNumber": "5", "PassName": "apass1 é"},
    initial_valid_until=3000,
)


def test_listing_entry_round_trip() -> None:
    assert from_listing_entry(to_listing_entry(INFO)) == INFO.__class__(
        **{**{s: getattr(INFO, s) for s in INFO.__slots__}, "replicas": (INFO.download_url,)}  # type: ignore[attr-defined]
    )


def test_qc_cpp_style_entry_with_string_numbers() -> None:
    """Only the keys QC's C++ reads, numbers as strings (older servers)."""
    entry = {
        "path": "p/h",
        "ETag": '"u"',
        "Valid-From": "10",
        "Valid-Until": "20",
        "Created": "5",
        "lastModified": "6",
        "RunNumber": "7",
    }
    info = from_listing_entry(entry)
    assert (info.valid_from, info.valid_until, info.created, info.last_modified) == (10, 20, 5, 6)
    assert info.id == "u"
    assert info.metadata == {"RunNumber": "7"}


def test_python_cleaner_style_entry() -> None:
    entry = {"path": "p/h", "id": "u", "validFrom": 10, "validUntil": 20.0, "createTime": 5}
    info = from_listing_entry(entry)
    assert (info.valid_from, info.valid_until, info.created) == (10, 20, 5)


def test_headers_round_trip_keeps_metadata_case() -> None:
    headers = to_headers(INFO)
    lowered = [(k.lower(), v) for k, v in headers.items()]  # as uvicorn sends them
    back = from_headers(INFO.path, lowered)
    assert back.metadata == INFO.metadata
    assert (back.id, back.valid_from, back.valid_until, back.md5) == (INFO.id, 1000, 2000, "abc")
    assert back.last_modified == 1_700_000_000_000  # HTTP dates have seconds only
    assert back.file_name == "TH1F_1.root"


def test_headers_without_qcflow_metadata_header() -> None:
    pairs = [
        ("Valid-From", "1"),
        ("Valid-Until", "2"),
        ("ETag", '"x"'),
        ("Created", "3"),
        ("RunNumber", "9"),
        ("Date", "whatever"),
        ("Server", "Tomcat"),
        ("Cache-Valid-Until", "2"),
    ]
    assert from_headers("p", pairs).metadata == {"RunNumber": "9"}


def test_ids_carry_their_creation_time() -> None:
    before = now_ms()
    ident = new_id()
    assert before - 1 <= (uuid_time_ms(str(ident)) or 0) <= now_ms() + 1
    assert uuid_time_ms("not-a-uuid") is None


def test_metadata_named_like_a_field_replaces_it_and_reads_back() -> None:
    info = INFO.__class__(
        **{
            **{s: getattr(INFO, s) for s in INFO.__slots__},  # type: ignore[attr-defined]
            "metadata": {"Created": "1600000000000", "RunNumber": "5"},
        }
    )
    entry = to_listing_entry(info)
    assert entry["Created"] == "1600000000000"
    assert entry["createTime"] == INFO.created
    assert list(entry)[-1] == "replicas"
    back = from_listing_entry(entry)
    assert back.created == INFO.created
    assert back.metadata == info.metadata


def test_twins_that_agree_are_no_metadata() -> None:
    entry = {
        "path": "p/h",
        "id": "u",
        "validFrom": 10,
        "Valid-From": "10",
        "validUntil": 20.0,
        "Valid-Until": 20,
        "createTime": 5,
        "Created": "5",
    }
    assert from_listing_entry(entry).metadata == {}
