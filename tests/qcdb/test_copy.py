"""``qcflow qcdb copy`` into a server: qcflow's ``Qcflow-Id`` upload extension keeps UUIDs and
creation times; a server without it (a CCDB) still gets a working, resumable copy.

Servers are real uvicorn servers on 127.0.0.1 (the session's ``live_server``); the "CCDB" is
qcflow's app behind a wrapper that drops the extension's request headers and ``Qcflow-Object``,
as ALICE's CCDB ignores and never sends them.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from qcflow.cli import main
from qcflow.errors import InvalidInput
from qcflow.qcdb.client import HttpRepository
from qcflow.qcdb.copy import CopyReport, copy_versions
from qcflow.qcdb.errors import AccessDenied, ObjectNotFound
from qcflow.qcdb.local import LocalRepository
from qcflow.qcdb.model import ObjectInfo, restore_headers
from qcflow.qcdb.server import create_app
from tests.qcdb.conftest import LiveServer

PATTERN = "qc/A/.*"


def _fill(repo: LocalRepository) -> None:
    for i in range(6):
        repo.store(
            f"qc/A/h{i % 2}",
            f"c{i}".encode(),
            valid_from=1000 + 100 * i,
            metadata={"RunNumber": str(i), "adjustableEOV": "1"},
            file_name=f"TH1F_{i}.root",
            content_type="application/root",
        )
    # Same path, start and content as the first: only its UUID tells the two apart.
    repo.store("qc/A/h0", b"c0", valid_from=1000, valid_until=1050, metadata={"PassName": "apass2"})
    repo.update("qc/A/h0", 1000, metadata={"Quality": "good"})  # a later Last-Modified
    repo.store("qc/B/other", b"not copied", valid_from=1, valid_until=2)


def _described(repo: Any, pattern: str = PATTERN) -> list[tuple[object, ...]]:
    return sorted(
        (
            i.id,
            i.path,
            i.valid_from,
            i.valid_until,
            i.initial_valid_until,
            i.created,
            i.last_modified,
            i.md5,
            i.content_type,
            i.file_name,
            tuple(sorted(i.metadata.items())),
        )
        for i in repo.browse(pattern)
    )


def _selected(repo: Any) -> list[str]:
    """The UUID every GET of a grid of paths, times and filters selects ("-" for none)."""
    found = []
    for path in ("qc/A/h0", "qc/A/h1"):
        for at in range(950, 1800, 25):
            for filters in ({}, {"PassName": "apass2"}, {"RunNumber": "0"}, {"Quality": "good"}):
                try:
                    found.append(repo.info(path, at, filters).id)
                except ObjectNotFound:
                    found.append("-")
    return found


@pytest.fixture
def laptop(tmp_path: Path) -> LocalRepository:
    repo = LocalRepository(tmp_path / "laptop", fsync=False)
    _fill(repo)
    return repo


@pytest.fixture
def served(tmp_path: Path) -> LocalRepository:
    return LocalRepository(tmp_path / "served", fsync=False)


def test_copy_into_a_qcflow_server_keeps_every_uuid_and_time_and_resumes(
    laptop: LocalRepository,
    served: LocalRepository,
    live_server: LiveServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = live_server.serve(served)
    argv = ["qcdb", "copy", str(laptop.root), url, "--pattern", PATTERN]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "copied 7 version(s), 0 already there" in out
    assert "note:" not in err
    with HttpRepository(url, retries=0) as client:
        assert _described(client) == _described(laptop)
        assert _selected(client) == _selected(laptop)
    assert _described(served) == _described(laptop)
    assert main(argv) == 0  # run again: every version is recognised by its UUID
    assert "copied 0 version(s), 7 already there" in capsys.readouterr().out


def test_an_interrupted_copy_resumes_by_uuid(
    laptop: LocalRepository, served: LocalRepository, live_server: LiveServer
) -> None:
    class Interrupted(Exception):
        pass

    def stop_after_three(done: int, total: int, report: CopyReport) -> None:
        if done == 3:
            raise Interrupted

    with HttpRepository(live_server.serve(served), retries=0) as client:
        with pytest.raises(Interrupted):
            copy_versions(laptop, client, PATTERN, progress=stop_after_three)
        report = copy_versions(laptop, client, PATTERN)
        # The last version has the path, start and MD5 of the first: copied all the same.
        assert (report.copied, report.skipped, report.new_ids) == (4, 3, 0)
        assert _described(client) == _described(laptop)


def test_an_upload_with_a_uuid_already_there_is_refused_and_stores_nothing(
    served: LocalRepository, live_server: LiveServer
) -> None:
    first = served.store("qc/A/h0", b"original", valid_from=1, valid_until=10)
    with HttpRepository(live_server.serve(served), retries=0) as client:
        other = ObjectInfo("qc/A/h9", first.id, 5, 6, first.created, first.created)
        assert client.restore(other, b"impostor") is None
        response = httpx.post(
            f"{client.url}/qc/A/h9/5/6",
            files={"send": ("f", b"impostor", "application/octet-stream")},
            headers={"Qcflow-Id": first.id.upper()},
        )
    assert response.status_code == 409
    assert response.text.count("\n") == 1
    assert f"version {first.id} exists already" in response.text
    assert [i.id for i in served.browse(".*")] == [first.id]
    assert served.download(first.id).data == b"original"


@pytest.mark.parametrize(
    ("target", "headers", "reason"),
    [
        ("/qc/A/h0/5/6", {"Qcflow-Id": "not-a-uuid"}, "is not a UUID"),
        ("/qc/A/h0/5/6", {"Qcflow-Id": str(uuid.uuid4())}, "not a time-based (version 1) UUID"),
        ("/qc/A/h0/5/6", {"Qcflow-Created": "5"}, "Qcflow-Created needs Qcflow-Id"),
        ("/qc/A/h0/5/6", {"Qcflow-Id": str(uuid.uuid1()), "Qcflow-Created": "x"}, "not a number"),
        ("/qc/A/h0/5", {"Qcflow-Id": str(uuid.uuid1())}, "needs /<validFrom>/<validUntil>"),
        ("/qc/A/h0/6/5", {"Qcflow-Id": str(uuid.uuid1())}, "is empty"),
    ],
)
def test_malformed_keep_headers_are_one_line_400s(
    served: LocalRepository,
    live_server: LiveServer,
    target: str,
    headers: dict[str, str],
    reason: str,
) -> None:
    url = live_server.serve(served)
    files = {"send": ("f", b"data", "application/octet-stream")}
    response = httpx.post(url + target, files=files, headers=headers)
    assert response.status_code == 400
    assert reason in response.text
    assert response.text.count("\n") == 1
    assert served.browse(".*") == []


def test_keeping_a_uuid_obeys_read_only_and_the_token(
    laptop: LocalRepository, served: LocalRepository, live_server: LiveServer
) -> None:
    with HttpRepository(live_server.serve(served, read_only=True), retries=0) as client:
        with pytest.raises(AccessDenied, match="read-only"):
            copy_versions(laptop, client, PATTERN)
    url = live_server.serve(served, token="s3cret")
    for token in (None, "wrong"):
        with HttpRepository(url, retries=0, token=token) as client:
            with pytest.raises(AccessDenied, match="token"):
                copy_versions(laptop, client, PATTERN)
    assert served.browse(".*") == []
    with HttpRepository(url, retries=0, token="s3cret") as client:
        report = copy_versions(laptop, client, PATTERN)
    assert (report.copied, report.new_ids) == (7, 0)
    assert _described(served) == _described(laptop)


class ForgetfulCcdb:
    """A CCDB as far as the extension goes: drops ``Qcflow-*`` request headers (unknown to it)
    and sends no ``Qcflow-Object``."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            kept = [(k, v) for k, v in scope["headers"] if not k.lower().startswith(b"qcflow-")]
            scope = {**scope, "headers": kept}

        async def without_extra(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                message = {
                    **message,
                    "headers": [(k, v) for k, v in headers if k.lower() != b"qcflow-object"],
                }
            await send(message)

        await self.app(scope, receive, without_extra)


def test_a_server_that_ignores_the_headers_gets_a_plain_copy_said_once(
    laptop: LocalRepository,
    served: LocalRepository,
    live_server: LiveServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    live_server.switch.app = ForgetfulCcdb(create_app(served))
    argv = ["qcdb", "copy", str(laptop.root), live_server.url, "--pattern", PATTERN]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "copied 7 version(s) (7 with new UUIDs), 0 already there" in out
    assert err.count("note:") == 1
    assert "does not keep UUIDs and creation times" in err
    copies = served.browse(PATTERN)
    assert not {i.id for i in copies} & {i.id for i in laptop.browse(PATTERN)}

    def plain(repo: Any) -> list[tuple[object, ...]]:
        return sorted(
            (i.path, i.valid_from, i.valid_until, i.md5, tuple(sorted(i.metadata.items())))
            for i in repo.browse(PATTERN)
        )

    assert plain(served) == plain(laptop)
    assert main(argv) == 0  # resumed: recognised by path, start of validity and MD5
    out, err = capsys.readouterr()
    assert "copied 0 version(s), 7 already there" in out
    assert "note:" not in err


def test_restore_keeps_the_content_of_a_version_restored_meanwhile(
    served: LocalRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = served.store("qc/A/h0", b"original", valid_from=1, valid_until=10)
    impostor = ObjectInfo("qc/A/h0", first.id, 1, 10, first.created, first.created)
    lookups = iter([None])  # the check before the writers' lock misses it (a writer raced us)
    real = served.index.by_id
    monkeypatch.setattr(served.index, "by_id", lambda conn, ident: next(lookups, real(conn, ident)))
    assert served.restore(impostor, b"impostor") is None
    assert served.download(first.id).data == b"original"


_HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ident=st.one_of(st.uuids(version=1).map(str), st.uuids().map(str), _HEADER_TEXT),
    created=st.one_of(st.none(), st.integers(-(2**64), 2**64).map(str), _HEADER_TEXT),
    start=st.integers(0, 2**62),
)
def test_any_keep_headers_store_exactly_one_version_or_nothing(
    served: LocalRepository, ident: str, created: str | None, start: int
) -> None:
    headers = (
        {"Qcflow-Id": ident} if created is None else {"Qcflow-Id": ident, "Qcflow-Created": created}
    )
    before = len(served.browse(".*"))
    with TestClient(create_app(served)) as client:
        response = client.post(
            f"/qc/A/h0/{start}/{start + 1}",
            files={"send": ("f", b"data", "application/octet-stream")},
            headers=headers,
        )
    assert response.status_code in (201, 400, 409), response.text
    assert len(served.browse(".*")) == before + (response.status_code == 201)
    if response.status_code == 201:
        assert response.headers["ETag"] == f'"{uuid.UUID(ident)}"'
        assert uuid.UUID(ident).version == 1
    else:
        assert response.text.count("\n") == 1


def test_restore_headers_round_trip_through_the_client(
    laptop: LocalRepository, served: LocalRepository, live_server: LiveServer
) -> None:
    info = laptop.browse("qc/A/h1")[0]
    assert restore_headers(info)["Qcflow-Id"] == info.id
    with HttpRepository(live_server.serve(served), retries=0) as client:
        stored = client.restore(info, laptop.download(info.id).data)
    assert stored is not None
    assert (stored.id, stored.created, stored.initial_valid_until) == (
        info.id,
        info.created,
        info.initial_valid_until,
    )
    with pytest.raises(InvalidInput, match="does not have the MD5"):
        LocalRepository(served.root).restore(info, b"other content")


def test_openapi_describes_the_keep_headers(served: LocalRepository) -> None:
    with TestClient(create_app(served)) as client:
        post = client.get("/openapi.json").json()["paths"]["/{rest}"]["post"]
    names = {p["name"] for p in post["parameters"]}
    assert {"Qcflow-Id", "Qcflow-Created", "Qcflow-Initial-Validity"} <= names
    assert "409" in post["responses"]


def test_copy_into_a_server_over_postgresql_keeps_uuids(
    laptop: LocalRepository, pg_store: Any, live_server: LiveServer
) -> None:
    with HttpRepository(live_server.serve(pg_store), retries=0) as client:
        report = copy_versions(laptop, client, PATTERN)
        assert (report.copied, report.new_ids) == (7, 0)
        assert _selected(client) == _selected(laptop)
    assert _described(pg_store) == _described(laptop)
