"""Runs CERN ROOT for the quality object tests, in its own process (ROOT installs signal handlers).

    python _root_qc.py BUILD_DIR write SPECS.json       # ROOT writes each spec's QO to its path
    python _root_qc.py BUILD_DIR write-older SPECS.json # the same in _root_qc_older.h's layout
    python _root_qc.py BUILD_DIR read-dict OUT.json FILE...    # ROOT with QC's classes reads
    python _root_qc.py BUILD_DIR read-nodict OUT.json FILE...  # ROOT with streamer infos only

A QO is exchanged as a plain dict (see :func:`plain`): QC's member names without the ``m``.
BUILD_DIR keeps ACLiC's library of ``_root_qc.h`` between runs. qcflow itself never imports ROOT.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
CLASS = "o2::quality_control::core::QualityObject"


def load_classes(root: Any, build: str, header: str = "_root_qc.h") -> None:
    root.gSystem.SetBuildDir(build, True)
    if root.gROOT.ProcessLine(f".L {HERE / header}+") != 0:
        sys.exit("ACLiC could not build the QC stand-in classes")


def write(root: Any, specs: list[dict[str, Any]]) -> None:
    core = root.o2.quality_control.core
    pair = root.std.pair[root.o2.quality_control.FlagType, root.std.string]
    entry = root.std.pair[root.std.string, root.std.string]
    for spec in specs:
        plain = spec["qo"]
        qo = core.QualityObject()
        quality = qo.mQuality
        quality.mLevel, quality.mName = plain["level"], plain["name"]
        for key, value in plain["metadata"].items():  # (cppyy's map[k] = v cuts UTF-8 short)
            quality.mUserMetadata.insert(entry(key, value))
        for number, name, bad, comment in plain["flags"]:
            flag = root.o2.quality_control.FlagType()
            flag.mId, flag.mName, flag.mBad = number, name, bad
            quality.mFlags.push_back(pair(flag, comment))
        qo.mCheckName, qo.mDetectorName = plain["checkName"], plain["detectorName"]
        qo.mPolicyName = plain["policyName"]
        for name in plain["inputs"]:
            qo.mInputs.push_back(name)
        for name in plain["monitorObjectsNames"]:
            qo.mMonitorObjectsNames.push_back(name)
        a, act = qo.mActivity, plain["activity"]
        a.mId, a.mType, a.mPeriodName = act["id"], act["type"], act["periodName"]
        a.mPassName, a.mProvenance, a.mBeamType = (
            act["passName"],
            act["provenance"],
            act["beamType"],
        )
        a.mPartitionName, a.mFillNumber = act["partitionName"], act["fillNumber"]
        a.mOriginalId = act["originalId"]
        a.mValidity.mMin, a.mValidity.mMax = act["validFrom"], act["validUntil"]
        out = root.TFile.Open(spec["path"], "RECREATE")
        out.WriteObjectAny(qo, CLASS, "ccdb_object")
        out.Close()


def write_older(root: Any, specs: list[dict[str, Any]]) -> None:
    """As :func:`write`, for ``_root_qc_older.h``'s layout (no flags; an integer run type)."""
    entry = root.std.pair[root.std.string, root.std.string]
    for spec in specs:
        plain, qo = spec["qo"], root.o2.quality_control.core.QualityObject()
        qo.mQuality.mLevel, qo.mQuality.mName = plain["level"], plain["name"]
        for key, value in plain["metadata"].items():
            qo.mQuality.mUserMetadata.insert(entry(key, value))
        qo.mCheckName, qo.mDetectorName = plain["checkName"], plain["detectorName"]
        qo.mPolicy = plain["policyName"]
        for name in plain["inputs"]:
            qo.mInputs.push_back(name)
        for name in plain["monitorObjectsNames"]:
            qo.mMonitorObjects.push_back(name)
        a, act = qo.mActivity, plain["activity"]
        a.mId, a.mType, a.mPeriodName = act["id"], act["type"], act["periodName"]
        a.mPassName, a.mProvenance, a.mBeamType = (
            act["passName"],
            act["provenance"],
            act["beamType"],
        )
        a.mValidity.mMin, a.mValidity.mMax = act["validFrom"], act["validUntil"]
        out = root.TFile.Open(spec["path"], "RECREATE")
        out.WriteObjectAny(qo, CLASS, "ccdb_object")
        out.Close()


def text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def read_dict(root: Any, path: str) -> dict[str, Any]:
    file = root.TFile.Open(path)
    qo = file.Get("ccdb_object")
    q, a = qo.mQuality, qo.mActivity
    return {
        "class": type(qo).__cpp_name__,
        "level": int(q.mLevel),
        "name": text(q.mName),
        "metadata": {text(k): text(v) for k, v in q.mUserMetadata},
        "flags": [
            [int(p.first.mId), text(p.first.mName), bool(p.first.mBad), text(p.second)]
            for p in q.mFlags
        ],
        "checkName": text(qo.mCheckName),
        "detectorName": text(qo.mDetectorName),
        "policyName": text(qo.mPolicyName),
        "inputs": [text(x) for x in qo.mInputs],
        "monitorObjectsNames": [text(x) for x in qo.mMonitorObjectsNames],
        "activity": {
            "id": int(a.mId),
            "type": text(a.mType),
            "periodName": text(a.mPeriodName),
            "passName": text(a.mPassName),
            "provenance": text(a.mProvenance),
            "validFrom": int(a.mValidity.mMin),
            "validUntil": int(a.mValidity.mMax),
            "beamType": text(a.mBeamType),
            "partitionName": text(a.mPartitionName),
            "fillNumber": int(a.mFillNumber),
            "originalId": int(a.mOriginalId),
        },
    }


def read_nodict(root: Any, path: str) -> dict[str, Any]:
    walked = json.loads(str(root.qcflow_test.read(path, "ccdb_object")))
    if walked["loaded"]:
        sys.exit("the QualityObject class has a dictionary: this is not a streamer-only read")
    qo = walked["object"]
    q, a = qo["mQuality"], qo["mActivity"]
    return {
        "class": CLASS,
        "level": q["mLevel"],
        "name": q["mName"],
        "metadata": {p["first"]: p["second"] for p in q["mUserMetadata"]},
        "flags": [
            [p["first"]["mId"], p["first"]["mName"], p["first"]["mBad"], p["second"]]
            for p in q["mFlags"]
        ],
        "checkName": qo["mCheckName"],
        "detectorName": qo["mDetectorName"],
        "policyName": qo["mPolicyName"],
        "inputs": qo["mInputs"],
        "monitorObjectsNames": qo["mMonitorObjectsNames"],
        "activity": {
            "id": a["mId"],
            "type": a["mType"],
            "periodName": a["mPeriodName"],
            "passName": a["mPassName"],
            "provenance": a["mProvenance"],
            "validFrom": a["mValidity"]["mMin"],
            "validUntil": a["mValidity"]["mMax"],
            "beamType": a["mBeamType"],
            "partitionName": a["mPartitionName"],
            "fillNumber": a["mFillNumber"],
            "originalId": a["mOriginalId"],
        },
    }


def main(build: str, command: str, *args: str) -> None:
    warnings.simplefilter("ignore")  # the wheel's "alpha stage" notice
    import ROOT

    ROOT.gROOT.SetBatch(True)
    if command == "write":
        load_classes(ROOT, build)
        write(ROOT, json.loads(Path(args[0]).read_text()))
        return
    if command == "write-older":
        load_classes(ROOT, build, "_root_qc_older.h")
        write_older(ROOT, json.loads(Path(args[0]).read_text()))
        return
    if command == "read-dict":
        load_classes(ROOT, build)
        read = read_dict
    else:
        ROOT.gInterpreter.Declare((HERE / "_root_walk.h").read_text())
        read = read_nodict
    Path(args[0]).write_text(json.dumps([read(ROOT, path) for path in args[1:]]))


if __name__ == "__main__":
    main(*sys.argv[1:])
