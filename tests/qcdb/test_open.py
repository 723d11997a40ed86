"""open_repository: which backend a QCDB URL names."""

from __future__ import annotations

from pathlib import Path

import pytest

from qcflow.errors import InvalidInput
from qcflow.qcdb import HttpRepository, LocalRepository, open_repository
from qcflow.qcdb.open import ENV_VAR, absolute_url, is_remote


@pytest.mark.parametrize(
    ("url", "remote"),
    [
        ("localhost:8080", True),
        ("ccdb-test.cern.ch:8080", True),
        ("http://x", True),
        ("https://x:443,http://y:80", True),
        ("qcdb", False),
        ("/abs/qcdb", False),
        ("file:///abs/qcdb", False),
        ("./rel:dir", False),
    ],
)
def test_is_remote(url: str, remote: bool) -> None:
    assert is_remote(url) is remote


def test_paths_and_file_urls_open_the_embedded_store(tmp_path: Path) -> None:
    repo = open_repository(tmp_path / "a")
    assert isinstance(repo, LocalRepository)
    assert repo.root == tmp_path / "a"
    repo.close()
    repo = open_repository(f"file://{tmp_path}/b%20c")
    assert isinstance(repo, LocalRepository)
    assert repo.root == tmp_path / "b c"
    repo.close()


def test_servers_open_the_client() -> None:
    repo = open_repository("localhost:1,localhost:2")
    assert isinstance(repo, HttpRepository)
    assert repo.servers == ["http://localhost:1", "http://localhost:2"]
    repo.close()


def test_default_is_env_then_qcdb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(ENV_VAR, raising=False)
    repo = open_repository()
    assert repo.url == str(tmp_path / "qcdb")
    repo.close()
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "elsewhere"))
    repo = open_repository()
    assert repo.url == str(tmp_path / "elsewhere")
    repo.close()


def test_empty_url_means_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """QC configs written by qcflow say ``"host": ""``: the default store."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(ENV_VAR, raising=False)
    repo = open_repository(" ")
    assert repo.url == str(tmp_path / "qcdb")
    repo.close()
    assert absolute_url("") == str(tmp_path / "qcdb")
    assert absolute_url("store") == str(tmp_path / "store")
    assert absolute_url("file:store") == str(tmp_path / "store")
    assert absolute_url("ccdb-test.cern.ch:8080") == "ccdb-test.cern.ch:8080"
    monkeypatch.setenv(ENV_VAR, "h:1,h:2")
    assert absolute_url(None) == "h:1,h:2"


def test_bad_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InvalidInput, match="must not name a host"):
        open_repository("file://host/x")
    monkeypatch.chdir(tmp_path)
    for other in ("ftp://x:1", "s3://bucket/qcdb"):  # a URL, never a directory to create
        with pytest.raises(InvalidInput, match="only http://, https:// and file:"):
            open_repository(other)
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_user_is_invalid_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``Path.expanduser`` raises RuntimeError for ``~nosuchuser``: a traceback before."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidInput, match="~nosuchuser-qcflow/x"):
        open_repository("~nosuchuser-qcflow/x")
    with pytest.raises(InvalidInput, match="~nosuchuser-qcflow"):
        absolute_url("~nosuchuser-qcflow/x")
    assert list(tmp_path.iterdir()) == []


def test_readers_never_create_a_store(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=f"no QCDB at {tmp_path / 'typo'}$"):
        open_repository(tmp_path / "typo", create=False)
    assert not (tmp_path / "typo").exists()
    open_repository(tmp_path / "made").close()  # writers may create one
    with open_repository(tmp_path / "made", create=False) as repo:
        assert repo.latest(".*") == []
