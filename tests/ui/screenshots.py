"""Screenshots of every view of ``qcflow ui`` for docs/ui.md, over the judged demo store.

    .venv/bin/python -m tests.ui.screenshots docs/ui      # needs chromium and make jsroot

Builds the store of the browser tests (12 runs of ZDC and MCH, checked), serves the UI on a
free port, drives Debian's Chromium with Playwright and writes one PNG per view.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

from qcflow.demo.zdc import ZDC_ISSUES
from qcflow.qcdb.local import LocalRepository
from qcflow.ui.api import ApiOptions
from qcflow.ui.app import create_ui_app
from tests._judged import PASS, PERIOD, judged_store
from tests.ui.conftest import Page, Served

HIST = "qc_async/ZDC/MO/Rec/h_ADC_ZNA_TC"
LAYOUT = {
    "name": "ZDC shift",
    "tabs": [
        {
            "name": "ADC",
            "columns": 3,
            "objects": [
                {"name": f"qc_async/ZDC/MO/Rec/h_ADC_{n}_TC"} for n in ("ZNA", "ZNC", "ZPA", "ZPC")
            ]
            + [
                {"name": "qc_async/ZDC/MO/RecPP/h_summary_ADC"},
                {"name": "qc_async/ZDC/MO/ZDCQuality/Trends/details/RecCheck"},
            ],
        },
        {"name": "TDC", "columns": 2, "objects": [{"name": "qc_async/ZDC/MO/RecPP/h_summary_TDC"}]},
    ],
}


def shoot(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        root, runs = judged_store(Path(tmp) / "qcdb")
        bad = min(
            runs[i].number for i, (_, q) in ZDC_ISSUES.items() if i < len(runs) and q == "Bad"
        )
        good = runs[2].number
        repo = LocalRepository(root)
        served = Served(create_ui_app(repo, ApiOptions(read_only=False)))
        httpx.post(f"{served.url}/ui/api/layouts", content=json.dumps(LAYOUT)).raise_for_status()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = Page(browser, served.url)
            p = page.page

            def snap(name: str, url: str, wait: str, full: bool = False) -> None:
                page.open(url)
                p.wait_for_selector(wait, timeout=60_000)
                p.wait_for_timeout(500)  # let JSROOT finish its last redraw
                p.screenshot(path=str(out / f"{name}.png"), full_page=full)
                print(f"{out / name}.png  <- {url}")

            snap("object", f"/ui/object/{HIST}?RunNumber={bad}", "#drawing svg .xaxis_container")
            listed = httpx.get(f"{served.url}/ui/api/versions", params={"path": HIST}).json()
            ids = {v["run"]: v["id"] for v in listed["versions"]}
            snap(
                "compare",
                f"/ui/object/{HIST}?id={ids[str(bad)]}&compare={ids[str(good)]}",
                "#compare > div:nth-child(2) svg .xaxis_container",
            )
            snap("matrix", f"/ui/matrix?period={PERIOD}&pass={PASS}", "#matrix")
            p.click(f"tr[data-run='{bad}'] td[data-detector=ZDC]")
            p.wait_for_selector("#cell-detail .qo")  # the cell reads its objects when opened
            p.screenshot(path=str(out / "matrix.png"))
            snap(
                "quality",
                f"/ui/object/qc_async/ZDC/QO/RecCheck?RunNumber={bad}",
                ".quality .verdict",
            )
            snap(
                "trend",
                "/ui/object/qc_async/ZDC/MO/ZDCQuality/Trends/details/RecCheck",
                "#drawing svg .xaxis_container",
            )
            snap("runs-mode", f"/ui/folder/qc_async/ZDC/MO/RecPP?run={bad}", ".grid .cell svg")
            snap("layout", "/ui/layout/ZDC_shift", "#layout-grid .cell svg .xaxis_container")
            browser.close()
        served.stop()
        repo.close()


if __name__ == "__main__":
    shoot(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/ui"))
