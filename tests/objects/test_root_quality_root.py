"""QualityObjects against CERN ROOT: qcflow reads what ROOT writes in QC's layout, ROOT reads
what qcflow writes (with QC's classes loaded, and through the streamer infos alone), and
QualityTask and the report run on a store whose QOs C++ wrote.

ROOT (the PyPI package ``root``, the ``.[root]`` extra) runs in a child process
(``_root_qc.py``); QC's classes are this package's own stand-ins (``_root_qc.h``, built with
ACLiC), declared from the spec's class names, members and versions.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qcflow.objects.activity import VALIDITY_MAX, Activity
from qcflow.objects.quality import Quality, QualityObject
from qcflow.objects.root import CCDB_KEY, read_root
from qcflow.objects.streamed import read_key
from qcflow.qcdb.local import LocalRepository
from qcflow.report.collect import collect
from tests._root import ROOT_MODULE
from tests.postprocessing.test_quality_task import (
    HOUR,
    QUALITIES,
    T0,
    run,
    store_seed,
    summary,
    task,
)

pytestmark = ROOT_MODULE

HERE = Path(__file__).parent
LONG = "x" * 300  # longer than 254 bytes: ROOT's long string form


def root(build: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, str(HERE / "_root_qc.py"), str(build), *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ACLiC's build directory, shared by the module's ROOT runs (the library is built once)."""
    return tmp_path_factory.mktemp("aclic")


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[LocalRepository]:
    store = LocalRepository(tmp_path / "qcdb", fsync=False)
    yield store
    store.close()


def plain(qo: QualityObject, fill: int = 0, partition: str = "") -> dict[str, Any]:
    """``qo`` in the form the ROOT side exchanges (QC's member names, QC's validity end)."""
    a = qo.activity
    return {
        "class": "o2::quality_control::core::QualityObject",
        "level": qo.quality.level,
        "name": qo.quality.name,
        "metadata": dict(qo.quality.metadata),
        "flags": [[f.type.id, f.type.name, f.type.bad, f.comment] for f in qo.quality.flags],
        "checkName": qo.check_name,
        "detectorName": qo.detector,
        "policyName": qo.policy,
        "inputs": list(qo.inputs),
        "monitorObjectsNames": list(qo.mo_names),
        "activity": {
            "id": a.number,
            "type": a.type,
            "periodName": a.period_name,
            "passName": a.pass_name,
            "provenance": a.provenance,
            "validFrom": a.valid_from,
            "validUntil": 2**64 - 1 if a.valid_until == VALIDITY_MAX else a.valid_until,
            "beamType": a.beam_type,
            "partitionName": partition,
            "fillNumber": fill,
            "originalId": 0,
        },
    }


ACTIVITY = Activity(
    550123, "PHYSICS", "LHC24ab", "apass1", "qc_async", 1_700_000_000_000, 1_700_003_600_000, "PbPb"
)
SAMPLES = [
    QualityObject(
        Quality.BAD.with_flag("BadPID", "pions off")
        .with_flag("Unknown", LONG)
        .with_metadata("CycleNumber", "7")
        .with_metadata("a key", "é ü"),
        "RecCheck",
        "ZDC",
        "OnAny",
        ("RecPP", "Rec:ZDC/Other"),
        ("h_summary_ADC", "h2"),
        ACTIVITY,
    ),
    QualityObject(Quality.GOOD, "Empty", activity=Activity()),
    QualityObject(
        Quality.NULL.with_flag("UnknownQuality", ""),
        "Agg/Agg",
        "MCH",
        "",
        activity=Activity(provenance="qc_mc", valid_from=5, valid_until=6),
    ),
]


def test_qcflow_reads_the_quality_objects_root_writes(build: Path, tmp_path: Path) -> None:
    specs = [
        {"path": str(tmp_path / f"{i}.root"), "qo": plain(qo, fill=9000 + i, partition="p")}
        for i, qo in enumerate(SAMPLES)
    ]
    (tmp_path / "specs.json").write_text(json.dumps(specs))
    root(build, "write", str(tmp_path / "specs.json"))
    for spec, expected in zip(specs, SAMPLES, strict=True):
        data = Path(spec["path"]).read_bytes()
        decoded = QualityObject.decode(data, spec["path"])
        assert decoded == expected
        assert decoded.quality.flags == expected.quality.flags  # Quality's == ignores these
        assert decoded.quality.metadata == expected.quality.metadata


def streamer_records(data: bytes) -> dict[str, Any]:
    """Per class in the file's streamer list: checksum, version and each element's raw bytes."""
    streamers = read_root(data).file.streamers
    return {
        name: [
            (
                info.member("fCheckSum"),
                version,
                [(type(e).__name__, e._serialization) for e in info.elements],
            )
            for version, info in by_version.items()
        ]
        for name, by_version in streamers.items()
    }


def test_qcflow_writes_the_bytes_root_writes(build: Path, tmp_path: Path) -> None:
    """The object and every streamer element byte for byte as ROOT writes them (the records'
    own TStreamerInfo version differs: ROOT 6.40 writes 10, qcflow 9 like uproot and the ROOT
    versions QC runs on; the layout is the same)."""
    qo = SAMPLES[0]
    (tmp_path / "specs.json").write_text(
        json.dumps([{"path": str(tmp_path / "root.root"), "qo": plain(qo)}])
    )
    root(build, "write", str(tmp_path / "specs.json"))
    theirs, ours = (tmp_path / "root.root").read_bytes(), qo.encode()
    assert read_key(ours, CCDB_KEY)[1] == read_key(theirs, CCDB_KEY)[1]
    assert streamer_records(ours) == streamer_records(theirs)


def test_root_reads_what_qcflow_writes_with_qcs_classes(build: Path, tmp_path: Path) -> None:
    files = []
    for i, qo in enumerate(SAMPLES):
        files.append(tmp_path / f"{i}.root")
        files[-1].write_bytes(qo.encode())
    done = root(build, "read-dict", str(tmp_path / "out.json"), *map(str, files))
    assert json.loads((tmp_path / "out.json").read_text()) == [plain(qo) for qo in SAMPLES]
    # Same checksums as the compiled classes: ROOT has nothing to warn about.
    assert "Warning" not in done.stderr and "Error" not in done.stderr, done.stderr


def test_root_reads_what_qcflow_writes_without_qcs_classes(build: Path, tmp_path: Path) -> None:
    files = []
    for i, qo in enumerate(SAMPLES):
        files.append(tmp_path / f"{i}.root")
        files[-1].write_bytes(qo.encode())
    done = root(build, "read-nodict", str(tmp_path / "out.json"), *map(str, files))
    assert json.loads((tmp_path / "out.json").read_text()) == [plain(qo) for qo in SAMPLES]
    assert "Warning" not in done.stderr and "Error" not in done.stderr, done.stderr


def test_quality_task_and_report_on_quality_objects_cpp_wrote(
    build: Path, tmp_path: Path, repo: LocalRepository
) -> None:
    """The QualityTask test's store, but every QO written by ROOT in QC's layout."""
    stored = []
    for number, quality in QUALITIES.items():
        activity = Activity(
            number,
            "PHYSICS",
            "LHC24ab",
            "apass1",
            "qc_async",
            T0 + number * HOUR,
            T0 + number * HOUR + HOUR // 2,
        )
        stored.append(QualityObject(quality, "Check", "TST", "OnAny", activity=activity))
        store_seed(repo, number, T0 + number * HOUR)
    stored.append(QualityObject(Quality.GOOD, "Agg/Agg", "TST", "", activity=stored[0].activity))
    specs = [{"path": str(tmp_path / f"{i}.root"), "qo": plain(qo)} for i, qo in enumerate(stored)]
    (tmp_path / "specs.json").write_text(json.dumps(specs))
    root(build, "write", str(tmp_path / "specs.json"))
    for spec, qo in zip(specs, stored, strict=True):
        a = qo.activity
        repo.store(
            qo.path,
            Path(spec["path"]).read_bytes(),
            valid_from=a.valid_from,
            valid_until=a.valid_until,
            metadata=qo.metadata(),
            content_type="application/octet-stream",
        )

    run(repo, task())
    texts = [line["text"] for line in summary(repo)["lines"]]
    assert texts == [
        "GLOBAL",
        "The check : Medium",
        "Add a bookkeeping entry",
        "",
        "DETAILS",
        "Check : Medium",
        "#rightarrow Flag: No Detector Data: sector 3",
        "Aggregated : quality missing!",
        "Missing : quality missing!",
    ]

    report = collect(repo, "LHC24ab", "apass1")
    cells = {
        run_number: [(e.name, e.qo.quality.name) for e in report.cell(run_number, "TST")]
        for run_number in report.runs
    }
    assert cells == {
        1: [("Agg/Agg", "Good"), ("Check", "Good")],
        2: [("Check", "Bad")],
        3: [("Check", "Medium")],
    }
    [bad] = report.cell(2, "TST")
    assert [f.type.name for f in bad.qo.quality.flags] == ["Bad PID", "Unknown"]


def test_another_layout_is_read_through_its_streamer_infos(build: Path, tmp_path: Path) -> None:
    """A smaller, older-style layout (``_root_qc_older.h``): renamed members are found, absent
    ones take QC's defaults, an integer run type is translated (1 = PHYSICS)."""
    qo = QualityObject(
        Quality.MEDIUM.with_metadata("k", "v"),
        "Old",
        "TPC",
        "OnAll",
        ("In",),
        ("mo",),
        Activity(42, "PHYSICS", "LHC22f", "apass4", "qc", 10, 20, "pp"),
    )
    spec = plain(qo)
    spec["activity"]["type"] = 1
    specs = [{"path": str(tmp_path / "old.root"), "qo": spec}]
    (tmp_path / "specs.json").write_text(json.dumps(specs))
    root(build, "write-older", str(tmp_path / "specs.json"))
    data = (tmp_path / "old.root").read_bytes()
    assert {n: sorted(v) for n, v in read_root(data).file.streamers.items()}[
        "o2::quality_control::core::QualityObject"
    ] == [6]
    back = QualityObject.decode(data, "old.root")
    assert back == qo and back.quality.metadata == {"k": "v"} and back.quality.flags == ()
