"""``qcflow qcdb``: put, ls, browse, get, rm, truncate on an embedded store; serve over a socket."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path

import hist
import numpy as np
import pytest

from qcflow.cli import main
from qcflow.objects.root import Histogram, encode_histogram
from qcflow.qcdb import HttpRepository, LocalRepository
from tests._wait import DEADLINE

P = "qc/TST/MO/Task/h1"


@pytest.fixture
def qcdb(tmp_path: Path) -> str:
    return str(tmp_path / "qcdb")


@pytest.fixture
def root_file(tmp_path: Path) -> Path:
    h = hist.Hist(hist.axis.Regular(10, 0, 10))
    h.fill(np.arange(10) + 0.5)
    file = tmp_path / "h1.root"
    file.write_bytes(encode_histogram(Histogram.from_hist(h, class_name="TH1F", title="t")))
    return file


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_put_ls_browse_get_rm(
    capsys: pytest.CaptureFixture[str], qcdb: str, root_file: Path, tmp_path: Path
) -> None:
    code, out, _ = run(
        capsys,
        "qcdb",
        "put",
        P,
        str(root_file),
        "--qcdb",
        qcdb,
        "--valid-from",
        "1000",
        "--valid-until",
        "2000",
        "-m",
        "RunNumber=5",
        "--json",
    )
    assert code == 0
    stored = json.loads(out)[0]
    assert stored["ObjectType"] == "TH1F"
    assert stored["contentType"] == "application/root"
    assert stored["fileName"] == "h1.root"

    code, out, _ = run(capsys, "qcdb", "ls", "qc/TST", "--qcdb", qcdb, "--json")
    assert [o["path"] for o in json.loads(out)] == [P]
    code, out, err = run(capsys, "qcdb", "ls", "qc/TST", "--qcdb", qcdb)
    assert "1 object(s) under qc/TST" in err  # not a terminal: the title on stderr
    assert "RunNumber=5" in out

    code, out, _ = run(capsys, "qcdb", "browse", P, "--qcdb", qcdb, "-m", "RunNumber=6", "--json")
    assert json.loads(out) == []

    target = tmp_path / "out.root"
    code, _, err = run(capsys, "qcdb", "get", P, "--qcdb", qcdb, "--at", "1500", "-o", str(target))
    assert code == 0
    assert target.read_bytes() == root_file.read_bytes()
    code, out, _ = run(capsys, "qcdb", "get", P, "--qcdb", qcdb, "--at", "1500", "--hist", "--json")
    summary = json.loads(out)
    assert summary["class"] == "TH1F"
    assert summary["x mean"] == pytest.approx(5.0)

    code, _, err = run(
        capsys,
        "qcdb",
        "get",
        P,
        "--qcdb",
        qcdb,
        "--at",
        "1500",
        "--id",
        stored["id"],
        "-o",
        str(tmp_path / "x.txt"),
    )
    assert code == 0
    code, _, err = run(capsys, "qcdb", "put", P, __file__, "--qcdb", qcdb, "--valid-from", "3000")
    assert code == 0, err
    code, _, err = run(capsys, "qcdb", "get", P, "--qcdb", qcdb, "--at", "3000", "--hist")
    assert (code, err.count("\n")) == (2, 1)
    assert err.startswith("qcflow: error: not a readable ROOT file")

    code, out, _ = run(capsys, "qcdb", "rm", P, "--qcdb", qcdb, "--at", "1500", "--json")
    assert json.loads(out)[0]["id"] == stored["id"]
    code, _, err = run(capsys, "qcdb", "get", P, "--qcdb", qcdb, "--at", "1500")
    assert code == 1
    assert err.startswith("qcflow: error: no object matches qc/TST/MO/Task/h1 at 1500")


def test_truncate_needs_yes(capsys: pytest.CaptureFixture[str], qcdb: str, root_file: Path) -> None:
    run(capsys, "qcdb", "put", P, str(root_file), "--qcdb", qcdb)
    code, _, err = run(capsys, "qcdb", "truncate", "qc/.*", "--qcdb", qcdb)
    assert code == 2
    assert "would delete 1 version(s)" in err
    code, out, _ = run(capsys, "qcdb", "truncate", "qc/.*", "--qcdb", qcdb, "--yes")
    assert out.strip() == "deleted 1 version(s)"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["get", P, "--at", "yesterday"], "--at 'yesterday' is neither"),
        (["get", P, "--at", "²"], "--at '²' is neither"),
        (["get", P, "--at=--5"], "--at '--5' is neither"),
        (["get", P, "-m", "novalue"], "expected KEY=VALUE"),
        (["get", P, "--id", "nope"], "id 'nope' is not a UUID"),
        (["browse", P, "--limit", "-1"], "limit -1 is not a count"),
        (["put", "/qc/x", __file__], "is absolute"),
        (["put", "qc/../x", "missing.root"], "cannot read missing.root"),
        (["put", "qc/../x", __file__], "'..' element"),
        (["put", P, __file__, "--valid-from", "5", "--valid-until", "4"], "after its end"),
        (["put", P, __file__, "--valid-from", str(2**63 - 1)], "largest time"),
        (
            ["put", P, __file__, "--valid-from", str(2**63 - 1), "--valid-until", str(2**63 - 1)],
            "largest time",
        ),
        (
            ["put", P, __file__, "--valid-from", str(2**63 - 1), "--valid-until", "-1"],
            "largest time",
        ),
        (["put", P, __file__, "--valid-from", str(2**63)], "not a time in ms"),
        (["put", P, __file__, "--content-type", "text/\x01plain"], "without control characters"),
        (["put", P, __file__, "--content-type", "text/plain\x7f"], "without control characters"),
        (["put", P, __file__, "-m", "\u043a\u043b=v"], "bad key"),
        (["put", "qc/" + "x" * 600, __file__], "at most 512"),
        (["ls", "qc/(?!a)*"], "bad path pattern"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], qcdb: str, argv: list[str], message: str
) -> None:
    LocalRepository(qcdb).close()
    code, _, err = run(capsys, "qcdb", *argv, "--qcdb", qcdb)
    assert code == 2
    assert message in err
    assert err.count("\n") == 1
    assert LocalRepository(qcdb).latest(".*") == []


def test_huge_repetitions_in_a_pattern_are_no_traceback(
    capsys: pytest.CaptureFixture[str], qcdb: str, root_file: Path
) -> None:
    """``a{9999999999}`` was an OverflowError out of Python's re."""
    run(capsys, "qcdb", "put", P, str(root_file), "--qcdb", qcdb)
    for action in ("ls", "browse"):
        code, _, err = run(capsys, "qcdb", action, "qc/a{9999999999}*", "--qcdb", qcdb)
        assert code in (0, 2)
        assert "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["ls"],
        ["ls", "qc/TST"],
        ["browse", P],
        ["get", P],
        ["get", P, "--info"],
        ["rm", P],
        ["truncate", "qc/.*"],
    ],
)
def test_reading_never_creates_a_store(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str]
) -> None:
    typo = tmp_path / "typo"
    code, _, err = run(capsys, "qcdb", *argv, "--qcdb", str(typo))
    assert code == 2
    assert err == f"qcflow: error: no QCDB at {typo}\n"
    assert not typo.exists()
    typo.mkdir()  # an existing directory that holds no store stays empty
    code, _, err = run(capsys, "qcdb", *argv, "--qcdb", str(typo))
    assert code == 2
    assert list(typo.iterdir()) == []


def test_writing_creates_a_store(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    new = tmp_path / "new"
    code, _, _ = run(capsys, "qcdb", "put", P, __file__, "--qcdb", str(new))
    assert code == 0
    assert [i.path for i in LocalRepository(new).latest(".*")] == [P]


def test_a_read_only_server_never_creates_a_store(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    typo = tmp_path / "typo"
    with socket.socket() as busy:  # were the store opened, serving would fail, not hang a test
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        code, _, err = run(
            capsys, "qcdb", "serve", "--root", str(typo), "--read-only", "--port", port
        )
    assert code == 2
    assert err == f"qcflow: error: no QCDB at {typo}\n"
    assert not typo.exists()


@pytest.mark.parametrize("argv", [["ls"], ["put", P, __file__], ["serve", "--root"]])
def test_an_unknown_user_in_the_store_path_is_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    qcdb = "~nosuchuser-qcflow-test/x"
    code, _, err = run(capsys, "qcdb", *argv, *([] if argv[-1] == "--root" else ["--qcdb"]), qcdb)
    assert code == 2
    assert err.startswith(f"qcflow: error: QCDB URL {qcdb!r}")
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--port", "99999"], "--port 99999 is not a TCP port"),  # uvicorn would wrap it round
        (["--workers", "0"], "--workers 0 must be at least 1"),
        (["--max-body-mb", "-1"], "--max-body-mb -1.0 must be a positive number of MB"),
        (["--max-body-mb", "inf"], "--max-body-mb inf must be a positive number of MB"),
        (["--max-body-mb", "nan"], "--max-body-mb nan must be a positive number of MB"),
        (["--cache-mb", "-1"], "--cache-mb -1.0 must be a number of MB >= 0"),
        (["--cache-mb", "inf"], "--cache-mb inf must be a number of MB >= 0"),
        (["--host", "nosuchhost.invalid"], "cannot listen on nosuchhost.invalid:"),
    ],
)
def test_serve_bad_options_are_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, "qcdb", "serve", "--root", str(tmp_path / "s"), *argv)
    assert code == 2
    assert err.startswith(f"qcflow: error: {message}")
    assert err.count("\n") == 1


def test_serve_refuses_a_busy_port_and_a_bad_store(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, root_file: Path
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        code, _, err = run(capsys, "qcdb", "serve", "--root", str(tmp_path / "s"), "--port", port)
    assert code == 2
    assert err == f"qcflow: error: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    code, _, err = run(capsys, "qcdb", "serve", "--root", str(root_file))
    assert code == 2
    assert err.startswith(f"qcflow: error: cannot open the QCDB at {root_file}")
    assert "serving" not in err


def test_urls_that_are_not_stores(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for argv, message in (
        (["ls", "--qcdb", "ftp://x:1"], "only http://, https:// and file: URLs"),
        (["serve", "--root", "ftp://x"], "only http://, https:// and file: URLs"),
        (["ls", "--qcdb", "http://[::1"], "is not host:port or an http(s):// URL"),
        (["get", P, "--qcdb", "localhost:99999"], "is not host:port or an http(s):// URL"),
    ):
        code, _, err = run(capsys, "qcdb", *argv)
        assert code == 2
        assert message in err
        assert err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []  # no directory named "ftp:"


def test_iso_times(capsys: pytest.CaptureFixture[str], qcdb: str, root_file: Path) -> None:
    times = ["--valid-from", "2024-05-01T00:00:00", "--valid-until", "2024-05-02T00:00:00+00:00"]
    run(capsys, "qcdb", "put", P, str(root_file), "--qcdb", qcdb, *times)
    info = LocalRepository(qcdb).info(P, 1714521600000)
    assert (info.valid_from, info.valid_until) == (1714521600000, 1714608000000)


def test_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    for action in ("ls", "browse", "get", "put", "rm", "truncate", "serve"):
        with pytest.raises(SystemExit):
            main(["qcdb", action, "--help"])
        assert "example" in capsys.readouterr().out


def test_serve_help_explains_host_and_port(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["qcdb", "serve", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--host HOST address to listen on (default 127.0.0.1: this machine only" in text
    assert "--port PORT TCP port to listen on, 1-65535 (default 8080)" in text


def test_serve_over_a_socket(tmp_path: Path, qcflow_cmd: list[str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    store = tmp_path / "served"
    env = {**os.environ, "QCFLOW_QCDB_TOKEN": "tok"}
    proc = subprocess.Popen(
        [*qcflow_cmd, "qcdb", "serve", "--root", str(store), "--port", str(port)],
        env=env,
        stderr=subprocess.PIPE,
    )
    try:
        client = HttpRepository(f"127.0.0.1:{port}", retries=30, backoff=0.05, token="tok")
        client.store(P, b"over http", valid_from=1, valid_until=10)
        assert client.get(P, 5).data == b"over http"
        client.close()
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=DEADLINE)
    assert b"token-protected writes" in err
    assert LocalRepository(store).get(P, 5).data == b"over http"
