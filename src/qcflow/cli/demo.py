"""``qcflow demo``: the main job end to end on an embedded QCDB filled with synthetic data."""

from __future__ import annotations

import argparse
from typing import Any

from qcflow.cli._common import add_command

_HELP = """\
Run qcflow's main job in a working directory: fill an embedded QCDB with synthetic
vertexing objects (50 runs of a period, two passes), generate the QC post-processing
workflow for one period and pass (the 'example' entry: O2DPG's beam-spot trending),
run it with the runner, and export the trend plots as PNG files you can open.

example:
  qcflow demo --workdir demo-output
  xdg-open demo-output/plots/Vertex_X_trend.png
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
        "--passName", default="apass1", metavar="PASS", help="apass1 or apass2 (default: apass1)"
    )
    parser.add_argument("--seed", type=int, default=2024, help="random seed of the data")
    parser.set_defaults(handler=_demo)


def _demo(args: argparse.Namespace) -> int:
    from qcflow.demo.run import run_demo

    result = run_demo(args.workdir, period=args.periodName, pass_name=args.passName,
                      seed=args.seed, say=lambda line: print(f"qcflow demo: {line}"))  # fmt: skip
    print(f"qcflow demo: open {result.workdir / 'plots'} to see the trends")
    return 0
