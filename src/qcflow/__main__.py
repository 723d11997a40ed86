"""``python -m qcflow`` is the ``qcflow`` command."""

from __future__ import annotations

import sys

from qcflow.cli import main

if __name__ == "__main__":
    sys.exit(main())
