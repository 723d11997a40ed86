"""Run the test suite beside busy loops: the proof that no test needs an idle machine.

``make test-under-load`` (or ``python tests/under_load.py [--loops N] [PYTEST ARGS]``)
starts N processes spinning ``while True: pass`` (default 2: every core of a 2-core machine
taken before the suite starts), runs pytest with the arguments given (default: the whole
suite, as ``make pytest`` runs it), ends the loops it started, and prints the wall time, the
load average and pytest's exit code, which it exits with. See docs/testing.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loops", type=int, default=2, help="busy loops beside the suite (2)")
    args, pytest_args = parser.parse_known_args(argv)  # the rest is pytest's
    if pytest_args[:1] == ["--"]:
        pytest_args = pytest_args[1:]
    loops = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.loops)
    ]
    started = time.monotonic()
    try:
        tests = subprocess.run([sys.executable, "-m", "pytest", *pytest_args], cwd=REPO)
    finally:
        for loop in loops:  # only the processes started here, by their own handles
            loop.kill()
            loop.wait()
    minutes, seconds = divmod(time.monotonic() - started, 60)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"under-load: pytest beside {args.loops} busy loops: exit {tests.returncode}, "
        f"{int(minutes)} min {seconds:.0f} s, load average now {load}",
        flush=True,
    )
    return tests.returncode


if __name__ == "__main__":
    sys.exit(main())
