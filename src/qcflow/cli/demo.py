"""``qcflow demo``: the main job end to end on an embedded QCDB.

Until the post-processing engine lands this generates and validates the QC post-processing
workflow and says what it did; later versions fill a QCDB with synthetic data and run it.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from qcflow.cli._common import add_command

_HELP = """\
Run qcflow's main job in a fresh working directory: generate the QC post-processing
workflow for a period and pass, against an embedded QCDB inside the directory, and
validate it. Prints what was done and where the files are.

example:
  qcflow demo --workdir demo-output
"""


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers, "demo", help="run the main job on synthetic data", description=_HELP
    )
    parser.add_argument(
        "--workdir", default="demo-output", help="working directory (default: demo-output)"
    )
    parser.add_argument(
        "--periodName", default="LHC24ab", metavar="PERIOD", help="period (default: LHC24ab)"
    )
    parser.add_argument(
        "--passName", default="apass1", metavar="PASS", help="pass (default: apass1)"
    )
    parser.set_defaults(handler=_demo)


def _demo(args: argparse.Namespace) -> int:
    from qcflow.generators.qc_postproc import generate
    from qcflow.workflow import validate

    workdir = Path(args.workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    os.chdir(workdir)
    path, workflow = generate(
        "workflow.json",
        period=args.periodName,
        pass_name=args.passName,
        qcdb_url=str(workdir / "qcdb"),
    )
    report = validate(workflow)
    print(f"qcflow demo: generated {workdir / path} with {len(workflow.stages)} tasks:")
    for task in workflow.stages:
        print(f"  {task.name:<8} {task.cmd[:110]}…")
    print(f"validation: {'valid' if report.ok else 'INVALID'} ({len(report.warnings)} warnings)")
    print("next: the post-processing engine (issue 5) will run this workflow on synthetic data.")
    return 0 if report.ok else 1
