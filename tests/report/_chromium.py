"""Headless Chromium (Debian's ``chromium`` package) for browser tests, driven without Node:
``--dump-dom`` prints the DOM after the page loaded, ``--enable-logging=stderr`` the console."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests._wait import DEADLINE

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
    "--virtual-time-budget=10000",
]
CONSOLE = re.compile(r":CONSOLE[:(]\d+\)?\] (.*)")


def chromium() -> str:
    """The browser's path; skips the test with the reason when it is not installed."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("headless Chromium is not installed (apt-get install chromium; .ci/run does)")
    return path


def load(url: str, profile: Path, *extra: str) -> tuple[str, list[str]]:
    """The DOM of ``url`` after loading, and every console message the page produced."""
    command = [chromium(), *FLAGS, f"--user-data-dir={profile}", *extra, "--dump-dom", url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=DEADLINE, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, CONSOLE.findall(done.stderr)
