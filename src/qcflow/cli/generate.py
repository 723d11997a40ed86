"""``qcflow generate``: write O2DPG workflow files."""

from __future__ import annotations

import argparse
import json
from typing import Any

from qcflow.cli._common import add_command

_QC_POSTPROC_HELP = """\
Write the QC post-processing workflow: one task per entry of the registry (by default
O2DPG's four: example, EMC, MCH, ZDC), each running a QC configuration restricted to the
given run, period and pass, reading from and writing to the given QCDB. The flags are those
of O2DPG's o2dpg_qc_postproc_workflow.py; the registry is a data file (--registry).

Entries that are run-specific get --run; the others get run 0 (any run). Likewise for the
period and the pass. Nothing is written when an argument, the registry or a config is wrong.

examples:
  qcflow generate qc-postproc --passName apass1 --periodName LHC24ab --run 550123 -o wf.json
  qcflow generate qc-postproc --passName apass1 --only EMC,ZDC --qcdbUrl localhost:8080
  qcflow generate qc-postproc --engine o2-qc --passName apass1 -o wf.json   # O2DPG's commands
  qcflow generate qc-postproc --list
"""


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "generate",
        help="write a workflow file (QC post-processing)",
        description="Generate O2DPG workflow files.",
    )
    sub = parser.add_subparsers(title="generators", metavar="GENERATOR", required=True)
    qc = add_command(
        sub, "qc-postproc", help="the QC post-processing workflow", description=_QC_POSTPROC_HELP
    )
    qc.add_argument(
        "-o",
        default="workflow.json",
        metavar="FILE",
        help="output workflow file (.json is appended when missing; default: workflow.json)",
    )
    qc.add_argument("--run", default="0", help="run number, 0 for any run (default: 0)")
    qc.add_argument("--periodName", default="", metavar="PERIOD", help="period, e.g. LHC24ab")
    qc.add_argument("--passName", default="", metavar="PASS", help="pass, e.g. apass1")
    qc.add_argument(
        "--qcdbUrl",
        default=None,
        metavar="URL",
        help="QCDB: host:port, http(s)://…, or a path to an embedded store "
        "(default: $QCFLOW_QCDB or ./qcdb; with --engine o2-qc: ccdb-test.cern.ch:8080)",
    )
    qc.add_argument(
        "--noIPC",
        nargs="?",
        const="1",
        default=None,
        metavar="VALUE",
        help="disable shared memory between processes: passes --no-IPC to each task",
    )
    qc.add_argument(
        "--engine",
        choices=("qcflow", "o2-qc"),
        default="qcflow",
        help="qcflow: tasks run 'qcflow qc' (default); o2-qc: O2DPG's exact commands, for O2 sites",
    )
    qc.add_argument("--registry", metavar="FILE", help="registry of workflows (TOML or JSON)")
    qc.add_argument("--only", metavar="A,B", help="only these entries (and those they need)")
    qc.add_argument("--list", action="store_true", help="list the registry's entries and exit")
    qc.add_argument("--json", action="store_true", help="with --list: print JSON")
    qc.set_defaults(handler=_qc_postproc)


def _qc_postproc(args: argparse.Namespace) -> int:
    from qcflow.generators.qc_postproc import generate
    from qcflow.generators.registry import load_registry

    if args.list:
        entries = load_registry(args.registry)
        if args.json:
            rows = [
                {
                    "name": e.name,
                    "config": e.config,
                    "o2-config": e.o2_config,
                    "needs": list(e.needs),
                    "run-specific": e.run_specific,
                    "period-specific": e.period_specific,
                    "pass-specific": e.pass_specific,
                    "description": e.description,
                }
                for e in entries
            ]
            print(json.dumps(rows, indent=2))
        else:
            for e in entries:
                scope = "run " if e.run_specific else ""
                scope += ("period " if e.period_specific else "") + (
                    "pass" if e.pass_specific else ""
                )
                print(f"{e.name:<10} [{scope.strip() or 'any'}] {e.description}")
        return 0
    only = args.only.split(",") if args.only is not None else None
    path, workflow = generate(
        args.o,
        run=args.run,
        period=args.periodName,
        pass_name=args.passName,
        qcdb_url=args.qcdbUrl,
        registry=args.registry,
        engine=args.engine,
        only=only,
        no_ipc=args.noIPC is not None,
    )
    names = ", ".join(t.name for t in workflow.stages)
    meta = workflow.meta
    print(f"Workflow saved at {path}: {len(workflow.stages)} tasks ({names})")
    print(
        f"  run {meta['run'] or 'any'}, period {meta['periodName'] or 'any'}, "
        f"pass {meta['passName'] or 'any'}, engine {meta['engine']}"
    )
    for line in _next_steps(str(path), meta["engine"]):
        print(f"  {line}")
    return 0


def _next_steps(path: str, engine: str) -> list[str]:
    """What to do with the workflow: run it, or first get what o2-qc tasks need."""
    if engine != "o2-qc":
        return [f"next: qcflow run -f {path}"]
    import os
    import shutil

    missing = [
        *(
            ["o2-qc in PATH (O2 and QualityControl, e.g. alienv enter O2PDPSuite)"]
            if shutil.which("o2-qc") is None
            else []
        ),
        *(
            ["$O2DPG_ROOT (the configs are json://${O2DPG_ROOT}/...)"]
            if not os.environ.get("O2DPG_ROOT")
            else []
        ),
    ]
    if not missing:
        return [f"next: qcflow run -f {path}   (its tasks run o2-qc)"]
    return [
        "its tasks run o2-qc, which needs O2: missing here: " + "; ".join(missing),
        f"next, on a machine with O2: qcflow run -f {path}",
        "without O2, generate without --engine o2-qc: the tasks then run 'qcflow qc'",
    ]
