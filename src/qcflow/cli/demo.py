"""``qcflow demo``: the four production workflows end to end on synthetic data, with a report."""

from __future__ import annotations

import argparse
from typing import Any

from qcflow.cli._common import add_command
from qcflow.cli.run import JOBS

_HELP = """\
Run qcflow's main job in a working directory: fill an embedded QCDB with synthetic
data for the four QC post-processing workflows of O2DPG (example: beam spot, EMC, MCH,
ZDC; 50 runs of a period, two passes, a few deliberately bad runs), generate the full
workflow for one period and pass, run its four tasks in parallel with the runner (each
detector's checks judge every run), and write an HTML report: the verdict per run and
detector, and the trend plots.

example:
  qcflow demo --workdir demo-output
  xdg-open demo-output/report/index.html
"""


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers, "demo", help="run the four workflows on synthetic data", description=_HELP
    )
    parser.add_argument(
        "--workdir", default="demo-output", help="working directory (default: demo-output)"
    )
    parser.add_argument(
        "--periodName", default="LHC24ab", metavar="PERIOD", help="period (default: LHC24ab)"
    )
    parser.add_argument(
        "--passName", default="apass1", metavar="PASS", help="apass1 or apass2 (default: apass1)"
    )
    parser.add_argument("--seed", type=int, default=2024, help="random seed of the data")
    parser.add_argument(
        "--runs",
        type=JOBS,
        default=50,
        metavar="N",
        help="runs in the period (default: 50; fewer is quicker, with fewer of the bad runs)",
    )
    parser.set_defaults(handler=_demo)


def _demo(args: argparse.Namespace) -> int:
    from qcflow.demo.run import run_demo

    run_demo(
        args.workdir,
        period=args.periodName,
        pass_name=args.passName,
        seed=args.seed,
        runs=args.runs,
        say=lambda line: print(f"qcflow demo: {line}"),
    )
    return 0
