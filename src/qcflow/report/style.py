"""The report's style sheet (written to ``assets/report.css``): quality colours and layout."""

from __future__ import annotations

__all__ = ["CSS"]

CSS = """\
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
header h1 { margin-bottom: 0.2em; }
code { font-size: 0.85em; }
nav a { margin-right: 0.8em; }
.legend .badge { display: inline-block; padding: 0.1em 0.6em; margin: 0 0.2em;
  border-radius: 0.3em; }
#quality-table { border-collapse: collapse; margin: 1em 0; }
#quality-table th, #quality-table td { border: 1px solid #bbb; padding: 0.25em 0.5em;
  vertical-align: top; font-size: 0.85em; }
#quality-table thead th { position: sticky; top: 0; background: #eee; }
.good { background: #b7e4b0; }
.medium { background: #ffd88a; }
.bad { background: #f4a3a3; }
.null { background: #d6c7f0; }
.none { background: #f2f2f2; color: #888; font-style: italic; }
.qo { padding: 0.1em 0.3em; margin: 0.1em 0; border-radius: 0.2em; }
.qo .level { font-weight: bold; }
.qo details { font-size: 0.9em; }
.qo ul { margin: 0.2em 0 0.2em 1.2em; padding: 0; }
.plots { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; width: 360px; }
figure img { width: 100%; border: 1px solid #ccc; }
figcaption { font-size: 0.8em; overflow-wrap: anywhere; }
figcaption .marks { color: #555; }
"""
