"""The same workflow against the embedded store and against ``qcflow qcdb serve``: identical
results (trend tables, monitor objects, quality objects with their flags)."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qcflow.demo.datasets import Recording, available
from qcflow.generators.qc_postproc import generate
from qcflow.objects.codec import decode
from qcflow.objects.quality import QualityObject
from qcflow.objects.ratio import HistogramRatio
from qcflow.objects.root import Histogram
from qcflow.qcdb.client import HttpRepository
from qcflow.qcdb.local import LocalRepository
from qcflow.qcdb.repository import Repository
from qcflow.runner import RunOptions, run_workflow
from tests._wait import DEADLINE

PERIOD, PASS, RUNS = "LHC24ab", "apass1", 8
WORKFLOWS = ("example", "EMC", "MCH", "ZDC")
OUTPUTS = (
    "qc_async/TST/MO/BeamSpotTrending",
    "qc_async/MCH/MO",
    "qc_async/MCH/QO",
    "qc_async/ZDC/MO/RecPP",
    "qc_async/ZDC/QO",
    "qc_async/EMC/MO/CellTrend",
)


def fill(root: Path) -> None:
    repo = LocalRepository(root, fsync=False)
    fillers = available()
    for name in WORKFLOWS:
        recording = Recording()
        fillers[name](recording, period=PERIOD, passes=(PASS,), runs=RUNS)
        recording.replay(repo)
    repo.close()


@pytest.fixture
def server(tmp_path: Path, qcflow_cmd: list[str]) -> Iterator[str]:
    root = tmp_path / "served"
    fill(root)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [*qcflow_cmd, "qcdb", "serve", "--root", str(root), "--port", str(port)],
        stderr=subprocess.DEVNULL,
    )
    try:
        HttpRepository(f"127.0.0.1:{port}", retries=40, backoff=0.05).latest("x")
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=DEADLINE)


def run(workdir: Path, qcdb: str) -> None:
    workdir.mkdir()
    previous = Path.cwd()
    os.chdir(workdir)
    try:
        generate("workflow.json", period=PERIOD, pass_name=PASS, qcdb_url=qcdb, only=WORKFLOWS)
    finally:
        os.chdir(previous)
    result = run_workflow(workdir / "workflow.json", RunOptions(workdir=workdir, cpu_limit=4))
    assert result.ok, [p.read_text()[-2000:] for p in (workdir / "QC").glob("*.log")]


def comparable(obj: Any) -> Any:
    """What must be equal: numbers, names, qualities and flags (not ids or creation times)."""
    if isinstance(obj, HistogramRatio):
        return [comparable(obj.ratio), comparable(obj.num), comparable(obj.den)]
    if isinstance(obj, Histogram):
        return (
            obj.name,
            obj.title,
            obj.values.tolist(),
            obj.entries,
            [a.edges.tolist() for a in obj.axes],
        )
    if isinstance(obj, QualityObject):
        return (obj.quality.to_json(), obj.check_name, obj.mo_names, obj.activity)
    if isinstance(obj, dict):  # trend tree columns
        return {k: np.nan_to_num(np.asarray(v, dtype=float)).tolist() for k, v in obj.items()}
    if getattr(obj, "classname", "") == "TMultiGraph":  # a plot of several graphs
        return [comparable(graph) for graph in obj.member("fGraphs")]
    if getattr(obj, "classname", "").startswith("TGraph"):  # a plot (uproot model)
        return (
            obj.classname,
            obj.member("fTitle"),
            [
                np.asarray(obj.member(m)).tolist()
                for m in ("fX", "fY", "fEX", "fEY")
                if m in obj.all_members
            ],
        )
    return obj  # PNG bytes


def outputs(repo: Repository) -> dict[tuple[str, str], Any]:
    out = {}
    for prefix in OUTPUTS:
        for info in repo.browse(prefix + "/.*"):
            key = (info.path, info.metadata.get("RunNumber", ""))
            if key in out:
                continue  # an older version of the same object and run
            fetched = repo.get(info.path, info.valid_from, uuid=info.id)
            out[key] = (info.valid_from, info.valid_until, comparable(decode(fetched.data, info)))
    return out


@pytest.mark.slow
def test_the_server_gives_the_embedded_stores_results(tmp_path: Path, server: str) -> None:
    embedded = tmp_path / "embedded"
    fill(embedded)
    run(tmp_path / "local-run", str(embedded))
    run(tmp_path / "server-run", server)
    local = LocalRepository(embedded)
    remote = HttpRepository(server)
    expected, actual = outputs(local), outputs(remote)
    local.close()
    remote.close()
    assert len(expected) > 50
    assert actual.keys() == expected.keys()
    for key, value in expected.items():
        assert actual[key] == value, key
