"""``qcflow ui`` and ``qcflow qcdb serve --ui`` as a user starts them: one-line refusals of bad
options, the URL printed once listening, a clean stop on Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from qcflow.cli import main
from qcflow.qcdb.local import LocalRepository
from tests.ui.conftest import free_port


def test_a_missing_store_is_one_line_and_exit_2_and_never_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for where in (tmp_path / "nothing", tmp_path):  # absent, and a folder without a store
        assert main(["ui", "--qcdb", str(where)]) == 2
        assert capsys.readouterr().err == f"qcflow: error: no QCDB at {where}\n"
    assert list(tmp_path.iterdir()) == []


def test_a_bad_port_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    LocalRepository(tmp_path / "qcdb").close()
    assert main(["ui", "--qcdb", str(tmp_path / "qcdb"), "--port", "70000"]) == 2
    assert capsys.readouterr().err == "qcflow: error: --port 70000 is not a TCP port (1-65535)\n"


def _wait_for_url(proc: subprocess.Popen[str]) -> str:
    assert proc.stderr is not None
    for line in proc.stderr:  # blocks until the server prints its URL (or dies)
        if line.startswith("qcflow ui: http://"):
            return line.split()[2]
    raise AssertionError(f"qcflow ui ended without printing its URL: {proc.wait()}")


def test_qcflow_ui_prints_its_url_serves_the_page_and_stops_on_ctrl_c(
    tmp_path: Path, qcflow_cmd: list[str], subprocess_env: dict[str, str]
) -> None:
    LocalRepository(tmp_path / "qcdb").close()
    port = free_port()
    proc = subprocess.Popen(
        [*qcflow_cmd, "ui", "--qcdb", str(tmp_path / "qcdb"), "--port", str(port)],
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env,
    )
    try:
        url = _wait_for_url(proc)
        assert url == f"http://127.0.0.1:{port}/ui/"
        page = httpx.get(url)
        assert page.status_code == 200 and "/ui/static/app.js" in page.text
        refused = httpx.post(f"http://127.0.0.1:{port}/ui/api/layouts", content="{}")
        assert refused.status_code == 403  # read-only by default
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=60)
    assert code == 0
    assert "Traceback" not in (proc.stderr.read() if proc.stderr else "")


def test_qcdb_serve_ui_serves_both(
    tmp_path: Path, qcflow_cmd: list[str], subprocess_env: dict[str, str]
) -> None:
    repo = LocalRepository(tmp_path / "qcdb")
    repo.store("qc/TST/MO/Task/h1", b"x", valid_from=1, valid_until=10)
    repo.close()
    port = free_port()
    proc = subprocess.Popen(
        [
            *qcflow_cmd,
            "qcdb",
            "serve",
            "--root",
            str(tmp_path / "qcdb"),
            "--port",
            str(port),
            "--ui",
            "--read-only",
        ],
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env,
    )
    try:
        assert proc.stderr is not None
        assert "serving" in proc.stderr.readline()
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):  # the banner comes before uvicorn listens
            try:
                tree = httpx.get(f"{base}/ui/api/tree", params={"path": "qc/TST/MO/Task"})
                break
            except httpx.ConnectError:
                proc.poll()
                assert proc.returncode is None
                subprocess.run(["sleep", "0.1"], check=True)
        assert [o["path"] for o in tree.json()["objects"]] == ["qc/TST/MO/Task/h1"]
        assert httpx.get(f"{base}/qc/TST/MO/Task/h1/5").content == b"x"
        assert httpx.post(f"{base}/ui/api/layouts", content="{}").status_code == 403
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
