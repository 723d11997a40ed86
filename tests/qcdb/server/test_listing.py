"""Listings of /browse and /latest in JSON (both key styles), XML, HTML and text."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from starlette.testclient import TestClient

from qcflow.qcdb.local import LocalRepository
from qcflow.qcdb.model import from_listing_entry
from tests.qcdb.server.conftest import upload


@pytest.fixture
def filled(client: TestClient) -> TestClient:
    upload(client, "/qc/TPC/MO/A/h1/1000/2000/RunNumber=1")
    upload(client, "/qc/TPC/MO/A/h1/2000/3000/RunNumber=2")
    upload(client, "/qc/TPC/MO/A/sub/h2/1000/3000/RunNumber=1")
    return client


def test_json_has_both_key_styles(filled: TestClient) -> None:
    listing = filled.get("/browse/qc/TPC/MO/A/h1", headers={"Accept": "application/json"}).json()
    assert listing["subfolders"] == []
    first = listing["objects"][0]
    for key in (
        "path",
        "id",
        "validFrom",
        "validUntil",
        "createTime",
        "lastModified",
        "MD5",
        "fileName",
        "contentType",
        "size",
        "Valid-From",
        "Valid-Until",
        "Created",
        "Last-Modified",
        "ETag",
        "Content-MD5",
        "Content-Type",
        "Content-Length",
        "initialValidity",
        "replicas",
        "UploadedFrom",
    ):
        assert key in first, key
    assert first["RunNumber"] == "2"
    assert first["Valid-From"] == first["validFrom"] == 2000
    assert first["ETag"] == f'"{first["id"]}"'
    assert first["replicas"] == [f"/download/{first['id']}"]
    assert from_listing_entry(first).metadata == {"RunNumber": "2"}


def test_accept_is_case_insensitive_and_a_query_parameter(filled: TestClient) -> None:
    qc_style = filled.get("/latest/qc/TPC/.*", headers={"Accept": "Application/JSON"})
    assert qc_style.headers["content-type"] == "application/json"
    assert len(qc_style.json()["objects"]) == 2
    assert filled.get("/latest/qc/TPC/.*?Accept=application/json").json()["objects"]


def test_subfolders_of_an_exact_path(filled: TestClient) -> None:
    listing = filled.get("/browse/qc/TPC/MO/A", headers={"Accept": "application/json"}).json()
    assert listing == {"objects": [], "subfolders": ["qc/TPC/MO/A/sub"]}


def test_filter_fields_and_browse_limit(filled: TestClient) -> None:
    headers = {
        "Accept": "application/json",
        "X-Filter-Fields": "path,RunNumber",
        "Browse-Limit": "2",
    }
    objects = filled.get("/browse/qc/.*", headers=headers).json()["objects"]
    assert len(objects) == 2
    assert all(set(o) == {"path", "RunNumber"} for o in objects)


def test_listing_filters_in_the_url(filled: TestClient) -> None:
    url = "/latest/qc/TPC/.*/RunNumber=1"
    objects = filled.get(url, headers={"Accept": "application/json"}).json()["objects"]
    assert {o["path"] for o in objects} == {"qc/TPC/MO/A/h1", "qc/TPC/MO/A/sub/h2"}
    at = filled.get("/browse/qc/TPC/MO/A/h1/2500", headers={"Accept": "application/json"})
    assert [o["RunNumber"] for o in at.json()["objects"]] == ["2"]


def test_xml(filled: TestClient) -> None:
    response = filled.get("/browse/qc/TPC/MO/A", headers={"Accept": "text/xml"})
    assert response.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(response.content)
    assert [f.get("name") for f in root.iter("folder")] == ["qc/TPC/MO/A/sub"]
    objects = ET.fromstring(filled.get("/browse/qc/.*", headers={"Accept": "text/xml"}).content)
    entries = list(objects.iter("object"))
    assert len(entries) == 3
    assert entries[0].find("metadata").get("key") == "RunNumber"  # type: ignore[union-attr]


def test_html(filled: TestClient) -> None:
    response = filled.get("/browse/qc/.*", headers={"Accept": "text/html"})
    assert response.headers["content-type"].startswith("text/html")
    assert "<table" in response.text
    assert "qc/TPC/MO/A/sub/h2" in response.text


def test_text_is_the_default(filled: TestClient) -> None:
    response = filled.get("/browse/qc/TPC/MO/A")
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.endswith("\n\nSubfolders:\n  qc/TPC/MO/A/sub\n")
    dump = filled.get("/browse/qc/TPC/MO/A/h1").text
    assert dump.count("ID: ") == 2
    assert "RunNumber = 2" in dump


def test_bad_listing_input(filled: TestClient) -> None:
    assert filled.get("/browse/qc/[unclosed.*").status_code == 400
    assert filled.get("/browse/qc/.*", headers={"Browse-Limit": "many"}).status_code == 400
    huge = filled.get("/browse/qc/.*", headers={"Browse-Limit": str(10**30)})
    assert huge.status_code == 400
    assert "is not a count" in huge.text  # it said "is not a time in ms"
    assert filled.get("/latest/qc/.*/1/2").status_code == 400


def test_a_big_folder(client: TestClient, store: LocalRepository) -> None:
    """(bench/qcdb.py times /latest on 10,000 objects.)"""
    for i in range(1000):
        store.store(f"qc/BIG/MO/T/h{i}", b"x", valid_from=1, valid_until=2)
    response = client.get("/latest/qc/BIG/MO/T/.*", headers={"Accept": "application/json"})
    assert len(response.json()["objects"]) == 1000


def test_metadata_named_like_a_field_replaces_it_in_json_only(client: TestClient) -> None:
    """The CCDB puts metadata into a JSON entry after the fixed fields: ``Created=<ms>``
    (QC back-dates versions so for its repository cleaner) lists as that value, while the real
    creation time orders versions and fills ``createTime`` and the ``Created`` header."""
    base = "/qc/TPC/MO/A/h1"
    upload(client, f"{base}/1000/2000/Created=1600000000000/Valid-From=7/Content-Type=x%2Fy")
    upload(client, f"{base}/1000/2000/RunNumber=2")
    upload(client, f"{base}/1000/2000/Created=1500000000000")
    listing = client.get(f"/browse/{base}", headers={"Accept": "application/json"}).json()
    objects = listing["objects"]
    assert [o.get("RunNumber") for o in objects] == [None, "2", None]  # real creation order
    newest, middle, oldest = objects
    assert newest["Created"] == "1500000000000"
    assert middle["Created"] == middle["createTime"]
    assert oldest["Created"] == "1600000000000"
    assert (oldest["Valid-From"], oldest["validFrom"]) == ("7", 1000)
    assert (oldest["Content-Type"], oldest["contentType"]) == ("x/y", "application/root")
    assert newest["createTime"] > middle["createTime"] > oldest["createTime"] > 1600000000000
    head = client.head(f"{base}/1500")
    assert head.headers["Created"] == str(newest["createTime"])
    back = from_listing_entry(oldest)
    assert back.created == oldest["createTime"]
    assert back.valid_from == 1000
    assert back.metadata == {"Created": "1600000000000", "Valid-From": "7", "Content-Type": "x/y"}
    # XML and text (as the CCDB's): the fields are the object's, the metadata listed after them.
    xml = ET.fromstring(client.get(f"/browse/{base}", headers={"Accept": "text/xml"}).text)
    element = xml.findall("object")[2]
    assert element.get("created") == str(oldest["createTime"])
    meta = {m.get("key"): m.get("value") for m in element.findall("metadata")}
    assert meta["Created"] == "1600000000000"
    text = client.get(f"/browse/{base}").text
    assert f"Created: {oldest['createTime']} (" in text
    assert "  Created = 1600000000000" in text.splitlines()
