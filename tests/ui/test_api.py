"""The UI's JSON API over the judged demo store (starlette's test client; no browser)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from qcflow.demo.zdc import ZDC_ISSUES
from qcflow.errors import InvalidInput
from qcflow.qcdb.local import LocalRepository
from qcflow.qcdb.server.app import create_app
from qcflow.ui import layouts
from qcflow.ui.api import ApiOptions
from qcflow.ui.app import create_ui_app, mount
from tests._judged import PASS, PERIOD

HIST = "qc_async/ZDC/MO/Rec/h_ADC_ZEM1"
SKELETON = {
    "name": "ZDC shift",
    "displayTimestamp": False,
    "autoTabChange": 0,
    "tabs": [
        {
            "name": "Main",
            "columns": 2,
            "objects": [
                {
                    "name": HIST,
                    "x": 0,
                    "y": 0,
                    "w": 1,
                    "h": 1,
                    "options": ["logy"],
                    "ignoreDefaults": False,
                }
            ],
        }
    ],
}


@pytest.fixture(scope="module")
def repo(ui_store: Path) -> Iterator[LocalRepository]:
    store = LocalRepository(ui_store)
    yield store
    store.close()


@pytest.fixture(scope="module")
def client(repo: LocalRepository) -> TestClient:
    return TestClient(create_ui_app(repo, ApiOptions(read_only=False)))


def test_the_tree_lists_a_folder_lazily_with_counts(client: TestClient) -> None:
    root = client.get("/ui/api/tree").json()
    assert [f["name"] for f in root["folders"]] == ["qc_async"]
    assert root["objects"] == []
    rec = client.get("/ui/api/tree", params={"path": "qc_async/ZDC/MO/Rec"}).json()
    assert HIST in [o["path"] for o in rec["objects"]]
    assert all(o["path"].count("/") == 4 for o in rec["objects"])  # only the folder's own
    zdc = client.get("/ui/api/count", params={"path": "qc_async/ZDC"}).json()["count"]
    mch = client.get("/ui/api/count", params={"path": "qc_async/MCH"}).json()["count"]
    assert client.get("/ui/api/count", params={"path": "qc_async"}).json()["count"] == zdc + mch


def test_search_by_substring_and_by_pattern(client: TestClient) -> None:
    found = client.get("/ui/api/search", params={"q": "adc_zem"}).json()["results"]
    assert {o["path"] for o in found} == {HIST, "qc_async/ZDC/MO/Rec/h_ADC_ZEM2"}
    pattern = client.get("/ui/api/search", params={"q": "qc_async/ZDC/QO/.*"}).json()["results"]
    assert {o["path"] for o in pattern} == {
        "qc_async/ZDC/QO/RecCheck",
        "qc_async/ZDC/QO/ZDCQuality/ZDCQuality",
    }


def test_versions_and_the_object_of_a_run(client: TestClient, judged: tuple) -> None:
    runs = judged[1]
    versions = client.get("/ui/api/versions", params={"path": HIST, "PassName": PASS}).json()
    assert len(versions["versions"]) == len(runs)
    created = [v["created"] for v in versions["versions"]]
    assert created == sorted(created, reverse=True)
    run = str(runs[3].number)
    one = client.get("/ui/api/object", params={"path": HIST, "RunNumber": run}).json()
    assert one["run"] == run and one["kind"] == "root" and one["objectType"] == "TH1F"
    at = client.get("/ui/api/object", params={"path": HIST, "at": one["validFrom"]}).json()
    assert at["id"] == one["id"]


def test_a_missing_object_is_a_one_line_404(client: TestClient) -> None:
    reply = client.get("/ui/api/object", params={"path": HIST, "RunNumber": "1"})
    assert reply.status_code == 404
    assert reply.json() == {"error": f"no version of {HIST} matches RunNumber=1"}
    bad = client.get("/ui/api/object", params={"path": HIST, "at": "soon"})
    assert bad.status_code == 400 and "at='soon'" in bad.json()["error"]


def test_downloads_answer_byte_ranges(client: TestClient, repo: LocalRepository) -> None:
    info = repo.browse(HIST, limit=1)[0]
    data = repo.download(info.id).data
    whole = client.get(f"/ui/api/download/{info.id}")
    assert whole.content == data and whole.headers["accept-ranges"] == "bytes"
    part = client.get(f"/ui/api/download/{info.id}", headers={"Range": "bytes=4-11"})
    assert part.status_code == 206 and part.content == data[4:12]
    assert part.headers["content-range"] == f"bytes 4-11/{len(data)}"
    many = client.get(f"/ui/api/download/{info.id}", headers={"Range": "bytes=0-3,10-12"})
    assert many.status_code == 206
    assert many.headers["content-type"].startswith("multipart/byteranges; boundary=")
    assert data[0:4] in many.content and data[10:13] in many.content
    assert client.get("/ui/api/download/not-a-uuid").status_code == 400
    assert "access-control-allow-origin" not in whole.headers


def test_a_quality_object_shows_its_verdict_flags_and_inputs(client: TestClient) -> None:
    qo = client.get("/ui/api/object", params={"path": "qc_async/ZDC/QO/RecCheck"}).json()
    assert qo["kind"] == "quality"
    assert qo["qualityObject"]["quality"] in ("Good", "Medium", "Bad", "Null")
    assert qo["qualityObject"]["inputs"]


def test_the_matrix_shows_the_planted_bad_runs(client: TestClient, judged: tuple) -> None:
    runs = judged[1]
    matrix = client.get("/ui/api/matrix", params={"period": PERIOD, "pass": PASS}).json()
    assert matrix["detectors"] == ["MCH", "ZDC"]
    assert [r["run"] for r in matrix["runs"]] == [r.number for r in runs]
    bad_zdc = {
        c["run"] for c in matrix["cells"] if c["detector"] == "ZDC" and c["quality"] == "Bad"
    }
    planted = {runs[i].number for i, (_, q) in ZDC_ISSUES.items() if i < len(runs) and q == "Bad"}
    assert planted and bad_zdc == planted
    cell = next(c for c in matrix["cells"] if c["run"] in planted and c["detector"] == "ZDC")
    assert all(o["path"].startswith("qc_async/ZDC/QO/") for o in cell["objects"])
    for o in cell["objects"]:  # what an opened cell asks for each of its quality objects
        shown = client.get("/ui/api/object", params={"path": o["path"], "id": o["id"]}).json()
        assert shown["qualityObject"]["quality"] == o["quality"]
        assert shown["qualityObject"]["inputs"]
    assert client.get("/ui/api/matrix", params={"period": PERIOD}).status_code == 400


class Downloads(LocalRepository):
    """The embedded store, counting the payloads read."""

    read = 0

    def download(self, uuid: str) -> Any:
        self.read += 1
        return super().download(uuid)


def test_the_matrix_takes_verdicts_from_the_listing(ui_store: Path) -> None:
    """10,000 quality objects decoded took the first matrix 16 s: it reads no payload now."""
    store = Downloads(ui_store)
    try:
        client = TestClient(create_ui_app(store, ApiOptions()))
        matrix = client.get("/ui/api/matrix", params={"period": PERIOD, "pass": PASS}).json()
        assert {c["quality"] for c in matrix["cells"]} >= {"Good", "Bad"}
        assert store.read == 0
    finally:
        store.close()


def test_layouts_round_trip_and_versions(client: TestClient) -> None:
    saved = client.post("/ui/api/layouts", content=json.dumps(SKELETON)).json()
    assert saved["key"] == "ZDC_shift"
    client.post("/ui/api/layouts", content=json.dumps(SKELETON))
    got = client.get("/ui/api/layouts/ZDC_shift").json()
    exported = dict(got["layout"])
    reimported = layouts.validate(json.dumps(exported))
    assert reimported == got["layout"]
    assert got["layout"]["tabs"][0]["objects"][0]["options"] == ["logy"]
    assert len(got["versions"]) == 2
    listed = client.get("/ui/api/layouts").json()["layouts"]
    assert [entry["name"] for entry in listed] == ["ZDC shift"]
    assert listed[0]["path"] == f"{layouts.LAYOUT_FOLDER}/ZDC_shift"
    assert client.delete("/ui/api/layouts/ZDC_shift").json() == {"deleted": 2}
    assert client.get("/ui/api/layouts/ZDC_shift").status_code == 404
    refused = client.post("/ui/api/layouts", content=json.dumps({**SKELETON, "tabs": []}))
    assert refused.status_code == 400
    assert refused.json() == {"error": "layout tabs: must be a list of 1-45 tabs"}


def test_writes_are_refused_read_only_and_need_the_token(repo: LocalRepository) -> None:
    body = json.dumps(SKELETON)
    read_only = TestClient(create_ui_app(repo))
    assert read_only.post("/ui/api/layouts", content=body).status_code == 403
    guarded = TestClient(create_ui_app(repo, ApiOptions(read_only=False, token="s3cret")))
    assert guarded.post("/ui/api/layouts", content=body).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert guarded.post("/ui/api/layouts", content=body, headers=wrong).status_code == 403
    right = {"Authorization": "Bearer s3cret"}
    assert guarded.post("/ui/api/layouts", content=body, headers=right).status_code == 200
    assert guarded.delete("/ui/api/layouts/ZDC_shift", headers=right).status_code == 200
    assert read_only.get("/ui/api/layouts").status_code == 200  # reads stay open


def test_pages_are_the_single_page_app(client: TestClient) -> None:
    for url in ("/ui/", f"/ui/object/{HIST}?RunNumber=1&at=5", "/ui/matrix?period=P&pass=A"):
        reply = client.get(url)
        assert reply.status_code == 200 and '<script type="module"' in reply.text
    assert client.get("/", follow_redirects=False).headers["location"] == "/ui/"


def test_qcdb_serve_ui_puts_the_ui_in_front_of_the_ccdb_api(repo: LocalRepository) -> None:
    app = mount(repo, create_app(repo, read_only=True), ApiOptions())
    both = TestClient(app)
    assert both.get("/ui/api/tree").json()["folders"][0]["name"] == "qc_async"
    listing = both.get("/latest/qc_async/ZDC/QO/.*", headers={"Accept": "application/json"})
    assert listing.status_code == 200 and "RecCheck" in listing.text


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=6)
    ),
    max_leaves=30,
)
tab_like = st.fixed_dictionaries(
    {
        "name": json_values,
        "columns": json_values,
        "objects": st.lists(
            st.dictionaries(
                st.sampled_from(["name", "x", "w", "options", "autoSize"]), json_values
            ),
            max_size=3,
        ),
    }
)


@given(
    st.one_of(
        json_values,
        st.fixed_dictionaries({"name": json_values, "tabs": st.lists(tab_like, max_size=3)}),
    )
)
def test_any_json_is_a_layout_or_one_invalid_input(document: Any) -> None:
    try:
        out = layouts.validate(document)
    except InvalidInput as err:
        message = str(err)
        out = None
    if out is None:
        assert message.startswith("layout") and "\n" not in message
    else:
        assert layouts.validate(json.dumps(out)) == out  # export, import: identical


def test_the_matrix_follows_the_store(
    client: TestClient, repo: LocalRepository, judged: tuple
) -> None:
    from qcflow.objects.activity import Activity
    from qcflow.objects.quality import Quality, QualityObject

    run = judged[1][0].number
    params = {"period": PERIOD, "pass": PASS}

    def zdc(matrix: dict) -> str:
        return next(
            c["quality"] for c in matrix["cells"] if c["run"] == run and c["detector"] == "ZDC"
        )

    assert zdc(client.get("/ui/api/matrix", params=params).json()) == "Good"
    assert zdc(client.get("/ui/api/matrix", params=params).json()) == "Good"  # kept answer
    activity = Activity(run, "PHYSICS", PERIOD, PASS, "qc_async")
    qo = QualityObject(Quality.BAD, "LateCheck", "ZDC", activity=activity)
    info = repo.store(
        qo.path,
        qo.encode(),
        valid_from=judged[1][0].sor,
        valid_until=judged[1][0].eor,
        metadata=qo.metadata(),
    )
    try:
        assert zdc(client.get("/ui/api/matrix", params=params).json()) == "Bad"
    finally:
        repo.delete(qo.path, info.valid_from, uuid=info.id)
