"""The HTML report over a QCDB: per run and detector the verdicts, per detector the plots.

- :mod:`.collect` -- reads qualities, runs and plots of a period and pass from any Repository.
- :mod:`.html` -- builds ``index.html`` (plain strings, :func:`html.escape`).
- :mod:`.style` -- the style sheet.
- :mod:`.marks` -- Bad and Medium runs marked on copies of the trend plots.
- :mod:`.build` -- writes the self-contained folder (:func:`build_report`).

``qcflow report --qcdb URL --period P --pass A -o DIR`` is the command; ``qcflow demo`` calls
:func:`build_report` at its end. docs/report.md shows an example.
"""

from __future__ import annotations

from qcflow.report.build import ReportResult, build_report

__all__ = ["ReportResult", "build_report"]
