"""The report in a real browser: it loads from disk, shows the table and the plots, and the
console stays silent."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from qcflow.demo.vertexing import DemoRun
from qcflow.qcdb.local import LocalRepository
from qcflow.report import build_report
from tests._judged import PASS, PERIOD
from tests.report._chromium import load

pytestmark = pytest.mark.browser

# Opens the report in a frame and writes what the browser rendered into the page.
PROBE = """<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body>
<iframe id="f" src="index.html" width="1400" height="900"></iframe><pre id="result"></pre>
<script>
document.getElementById("f").addEventListener("load", () => {
  const doc = document.getElementById("f").contentDocument;
  const images = [...doc.images];
  const table = doc.getElementById("quality-table");
  const cells = table ? [...table.querySelectorAll("td[data-quality]")] : [];
  const colours = new Set(cells.map(c => getComputedStyle(c).backgroundColor));
  document.getElementById("result").textContent = JSON.stringify({
    images: images.length,
    loaded: images.filter(i => i.complete && i.naturalWidth > 0).length,
    rows: table ? table.tBodies[0].rows.length : 0,
    bad: cells.filter(c => c.dataset.quality === "Bad").length,
    colours: colours.size,
  });
});
</script></body></html>"""


@pytest.fixture(scope="module")
def report(judged: tuple[Path, list[DemoRun]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    root, _ = judged
    repo = LocalRepository(root)
    result = build_report(repo, PERIOD, PASS, tmp_path_factory.mktemp("browser") / "report")
    repo.close()
    return result.index


def test_the_page_loads_with_its_table_and_no_console_message(
    report: Path, tmp_path: Path, judged: tuple
) -> None:
    dom, console = load(report.as_uri(), tmp_path / "profile")
    assert console == []
    assert '<table id="quality-table">' in dom
    assert len(re.findall(r'<tr data-run="\d+">', dom)) == len(judged[1])
    assert dom.count("<img ") >= 4


def test_the_plots_render_and_the_cells_are_coloured(report: Path, tmp_path: Path) -> None:
    probe = report.parent / "_probe.html"
    probe.write_text(PROBE)
    dom, console = load(probe.as_uri(), tmp_path / "profile", "--allow-file-access-from-files")
    probe.unlink()
    assert console == []
    result = json.loads(re.search(r'<pre id="result">(.*?)</pre>', dom, re.DOTALL).group(1))
    assert result["images"] >= 4
    assert result["loaded"] == result["images"]
    assert result["rows"] == 12
    assert result["bad"] >= 2
    assert result["colours"] >= 2  # Good and Bad cells differ on screen
