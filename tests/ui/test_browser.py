"""The UI in a real headless Chromium over the judged demo store: what a shifter clicks.

Every test ends with no console error or warning and no request outside the server."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from qcflow.demo.mch import MCH_ISSUES, mch_run_indices
from qcflow.demo.zdc import ZDC_ISSUES
from qcflow.postprocessing.engine.api import load
from qcflow.postprocessing.engine.engine import Engine, EngineOptions
from qcflow.qcdb.local import LocalRepository
from qcflow.ui.api import ApiOptions
from qcflow.ui.app import create_ui_app
from tests._judged import PASS, PERIOD
from tests.ui.conftest import Page, Served

pytestmark = pytest.mark.browser

HIST = "qc_async/ZDC/MO/Rec/h_ADC_ZEM1"
TREND = "qc_async/ZDC/MO/ZDCQuality/Trends/details/RecCheck"
DRAWN = 60_000  # ms: a generous bound for a busy 2-core machine, not a speed assertion


#: Where JSROOT drew point ``i`` of the drawn graph: the frame painter's own axis functions, in
#: page pixels.
POINT = """(i) => {
    const div = document.querySelector('#drawing .draw');
    const fp = div.painter.getFramePainter();
    const graph = div.painter.getObject();
    const box = div.querySelector('svg').getBoundingClientRect();
    return [box.left + fp.getFrameX() + fp.grx(graph.fX[i]),
            box.top + fp.getFrameY() + fp.gry(graph.fY[i])];
}"""


def clean(page: Page, *expected: int) -> None:
    """No console problem but the failed loads a test caused on purpose (``expected`` statuses:
    an object that is not there, a layout refused), and no request outside the server."""
    allowed = {
        f"error: Failed to load resource: the server responded with a status of {s} "
        for s in expected
    }
    assert [m for m in page.problems() if not any(m.startswith(a) for a in allowed)] == []
    assert page.foreign_requests() == []


def drawn_svg(page: Any, scope: str = "#drawing") -> None:
    page.wait_for_selector(f"{scope} svg .root_frame", timeout=DRAWN)
    page.wait_for_selector(f"{scope} svg .xaxis_container", timeout=DRAWN)
    page.wait_for_selector(f"{scope} svg .yaxis_container", timeout=DRAWN)


def test_tree_navigation_to_a_zdc_histogram_drawn_by_jsroot(page: Page) -> None:
    p = page.open("/ui/")
    for folder in ("qc_async", "qc_async/ZDC", "qc_async/ZDC/MO", "qc_async/ZDC/MO/Rec"):
        p.click(f".tree-folder[data-path='{folder}'] > .label > .toggle")
        p.wait_for_selector(f".tree-folder[data-path='{folder}'].open > div > .tree-node")
    p.click(".tree-object a:text-is('h_ADC_ZEM1')")
    p.wait_for_url(re.compile(f"/ui/object/{HIST}$"))
    page.ready()
    drawn_svg(p)
    assert p.get_attribute("#drawing .draw", "data-drawn") == "TH1F"
    assert (p.text_content("#drawing svg .xaxis_container") or "").strip()  # tick labels
    count = p.inner_text(".tree-folder[data-path='qc_async/ZDC'] > .label .count")
    assert re.fullmatch(r"\(\d+\)", count)
    clean(page)


def test_filters_and_runs_mode(page: Page, judged: tuple) -> None:
    run = str(judged[1][4].number)
    p = page.open(f"/ui/object/{HIST}")
    drawn_svg(p)
    p.fill("#filters input[name=RunNumber]", run)
    p.click("#filters button[type=submit]")
    p.wait_for_url(re.compile(f"RunNumber={run}"))
    page.ready()
    drawn_svg(p)
    assert p.inner_text("#metadata tr:has(th:text-is('RunNumber')) td") == run
    p.fill("#filters input[name=RunNumber]", "1")  # a run the store does not have
    p.click("#filters button[type=submit]")
    p.wait_for_url(re.compile("RunNumber=1$"))
    page.ready()
    assert p.inner_text("#not-found").startswith("Not Found")
    # runs mode over the ZDC folder: the banner and every object of that run
    p.once("dialog", lambda dialog: dialog.accept(run))
    page.open("/ui/folder/qc_async/ZDC/MO/Rec")
    p.click("#runs-mode")
    p.wait_for_url(re.compile(f"\\?run={run}$"))
    page.ready()
    assert p.inner_text("#run-label") == f"Run #{run}"
    assert p.is_visible("#run-banner")
    drawn_svg(p, ".grid .cell")
    assert p.locator(".grid .cell").count() > 10
    p.click("#run-exit")
    page.ready()
    assert p.is_hidden("#run-banner")
    clean(page, 404)


def test_a_version_picked_from_the_history_and_two_compared(page: Page, judged: tuple) -> None:
    runs = judged[1]
    p = page.open(f"/ui/object/{HIST}")
    drawn_svg(p)
    row = p.locator(f"#versions tr:has(td:text-is('{runs[2].number}'))")
    row.locator("a.version").click()
    p.wait_for_url(re.compile(r"\?id="))
    page.ready()
    drawn_svg(p)
    assert p.inner_text("#metadata tr:has(th:text-is('RunNumber')) td") == str(runs[2].number)
    for index in (2, 6):
        p.locator(f"#versions tr:has(td:text-is('{runs[index].number}')) input").check()
    p.click("text=Compare the two picked")
    p.wait_for_url(re.compile("compare="))
    page.ready()
    drawn_svg(p, "#compare > div:nth-child(1)")
    drawn_svg(p, "#compare > div:nth-child(2)")
    clean(page)


def test_a_bad_run_compared_with_a_good_one_from_its_page(page: Page, judged: tuple) -> None:
    runs = judged[1]
    bad, good = runs[6].number, runs[2].number  # ZDC_ISSUES[6] is Bad
    p = page.open(f"/ui/object/{HIST}?RunNumber={bad}&PassName={PASS}")
    drawn_svg(p)
    assert p.locator("#versions tr[data-id]").count() == len(runs)  # every run, to compare with
    for run in (bad, good):
        p.locator(f"#versions tr:has(td:text-is('{run}')) input").check()
    p.click("text=Compare the two picked")
    p.wait_for_url(re.compile("compare="))
    page.ready()
    titles = p.locator("#compare h4").all_inner_texts()
    assert {t.split(",")[0] for t in titles} == {f"run {bad}", f"run {good}"}
    drawn_svg(p, "#compare > div:nth-child(2)")
    clean(page)


def test_a_trend_point_clicked_through_to_its_run(page: Page, judged: tuple) -> None:
    runs = judged[1]
    p = page.open(f"/ui/object/{TREND}")
    drawn_svg(p)
    index = 3
    x, y = p.evaluate(POINT, index)
    p.mouse.click(x, y)
    p.wait_for_url(
        re.compile(f"/ui/object/qc_async/ZDC/QO/RecCheck\\?RunNumber={runs[index].number}")
    )
    page.ready()
    p.wait_for_selector(".quality .verdict")
    assert p.locator(".quality .inputs a").count() >= 1
    clean(page)


#: A TrendingTask over the demo's ZEM histograms: its plot trends two sources, ZEM1 first.
ZEM_TRENDING = {
    "className": "o2::quality_control::postprocessing::TrendingTask",
    "moduleName": "QualityControl",
    "detectorName": "ZDC",
    "active": "true",
    "producePlotsOnUpdate": "false",
    "dataSources": [
        {
            "type": "repository",
            "path": "ZDC/MO/Rec",
            "names": ["h_ADC_ZEM1", "h_ADC_ZEM2"],
            "reductorName": "o2::quality_control_modules::common::TH1Reductor",
            "moduleName": "QcCommon",
        }
    ],
    "plots": [
        {
            "name": "zem_mean",
            "title": "ZEM mean;run;ADC",
            "varexp": "h_ADC_ZEM1.mean-h_ADC_ZEM2.mean:meta.runNumber",
            "option": "*",
        }
    ],
    "initTrigger": ["userorcontrol"],
    "updateTrigger": ["foreachlatest:qcdb:ZDC/MO/Rec/h_ADC_ZEM1"],
    "stopTrigger": ["userorcontrol"],
}


@pytest.fixture(scope="module")
def trended_server(
    judged: tuple[Path, list[Any]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The UI over a copy of the demo store where a TrendingTask trended the ZEM histograms."""
    root = tmp_path_factory.mktemp("trended") / "qcdb"
    shutil.copytree(judged[0], root)
    config_file = root.parent / "zem-trending.json"
    activity = {
        "number": "0",
        "type": "PHYSICS",
        "passName": PASS,
        "periodName": PERIOD,
        "provenance": "qc_async",
    }
    config_file.write_text(
        json.dumps(
            {
                "qc": {
                    "config": {
                        "database": {"implementation": "CCDB", "host": str(root)},
                        "Activity": activity,
                        "postprocessing": {"periodSeconds": "0.01"},
                    },
                    "postprocessing": {"ZEMTrending": ZEM_TRENDING},
                }
            }
        )
    )
    Engine(load(str(config_file), ""), EngineOptions(parallel=False)).run()
    repo = LocalRepository(root)
    served = Served(create_ui_app(repo, ApiOptions()))
    yield served.url
    served.stop()
    repo.close()


def test_a_trending_point_opens_the_source_histogram_of_its_run(
    chromium_browser: Any, trended_server: str, judged: tuple
) -> None:
    runs = judged[1]
    page = Page(chromium_browser, trended_server)
    try:
        p = page.open("/ui/object/qc_async/ZDC/MO/ZEMTrending/zem_mean")
        drawn_svg(p)
        first, second = (f"qc_async/ZDC/MO/Rec/h_ADC_ZEM{i}" for i in (1, 2))
        assert [a.get_attribute("href") for a in p.locator("#sources a").all()] == [
            f"/ui/object/{first}",
            f"/ui/object/{second}",
        ]
        index = 4
        x, y = p.evaluate(POINT, index)
        p.mouse.click(x, y)
        p.wait_for_url(re.compile(f"/ui/object/{first}\\?RunNumber={runs[index].number}$"))
        page.ready()
        drawn_svg(p)
        assert p.get_attribute("#drawing .draw", "data-drawn") == "TH1F"
        assert p.text_content("#metadata") and f"{runs[index].number}" in p.inner_text("#metadata")
        clean(page)
    finally:
        page.page.close()


def test_a_layout_exported_deleted_imported_is_identical(page: Page, ui_server: str) -> None:
    skeleton = {
        "name": "ZDC shift",
        "tabs": [
            {
                "name": "ADC",
                "columns": 2,
                "objects": [
                    {"name": HIST, "options": ["logy"]},
                    {"name": "qc_async/ZDC/QO/RecCheck"},
                ],
            },
            {
                "name": "TDC",
                "columns": 1,
                "objects": [{"name": "qc_async/ZDC/MO/Rec/h_TDC_ZEM1_A"}],
            },
        ],
    }
    assert (
        httpx.post(f"{ui_server}/ui/api/layouts", content=json.dumps(skeleton)).status_code == 200
    )
    p = page.open("/ui/layout/ZDC_shift")
    drawn_svg(p, "#layout-grid")
    p.click("#export")
    first = json.loads(p.input_value("#export-json"))
    assert first["tabs"][0]["objects"][0]["options"] == ["logy"]
    p.click("#delete")
    p.wait_for_url(re.compile("/ui/layouts$"))
    page.ready()
    assert "ZDC shift" not in p.inner_text("#main")
    p.fill("#import-json", '{"name": "x"}')
    p.click("#import")
    p.wait_for_selector("#import-errors:not(:empty)")
    assert p.inner_text("#import-errors").startswith("layout ")
    p.fill("#import-json", json.dumps(first))
    p.click("#import")
    p.wait_for_url(re.compile("/ui/layout/ZDC_shift$"))
    page.ready()
    p.click("#export")
    assert json.loads(p.input_value("#export-json")) == first
    p.click(".tabs button:text-is('TDC')")
    p.wait_for_url(re.compile("tab=1"))
    page.ready()
    drawn_svg(p, "#layout-grid")
    clean(page, 400)


def test_the_matrix_shows_the_bad_runs_and_opens_their_quality_objects(
    page: Page, judged: tuple
) -> None:
    runs = judged[1]
    bad = {runs[i].number for i, (_, q) in ZDC_ISSUES.items() if i < len(runs) and q == "Bad"}
    p = page.open(f"/ui/matrix?period={PERIOD}&pass={PASS}")
    p.wait_for_selector("#matrix")
    shown = {
        int(r)
        for r in p.eval_on_selector_all(
            "tr:has(td[data-detector=ZDC][data-quality=Bad])",
            "rows => rows.map(r => r.dataset.run)",
        )
    }
    assert shown == bad
    # every other judged cell is Good: ZDC's other runs, MCH's runs (every sixth) without issue
    good_zdc = [i for i in range(len(runs)) if ZDC_ISSUES.get(i, ("", "Good"))[1] == "Good"]
    good_mch = [i for i in mch_run_indices(len(runs)) if i not in MCH_ISSUES]
    assert p.locator("td[data-quality=Good]").count() == len(good_zdc) + len(good_mch)
    run = min(bad)
    p.click(f"tr[data-run='{run}'] td[data-detector=ZDC]")
    p.wait_for_selector("#cell-detail .qo .inputs a")  # read when the cell opens
    p.click("#cell-detail a:text-is('RecCheck')")
    p.wait_for_url(re.compile(f"/ui/object/qc_async/ZDC/QO/RecCheck\\?RunNumber={run}"))
    page.ready()
    assert p.inner_text(".quality .verdict") == "Bad"
    p.locator(".quality .inputs a").first.click()
    page.ready()
    assert f"RunNumber={run}" in p.url
    p.wait_for_selector("#drawing svg, #drawing img", timeout=DRAWN)
    clean(page)


def test_a_trend_tree_is_drawn_with_its_configs_varexp(
    chromium_browser: Any, tmp_path: Any
) -> None:
    import numpy as np

    from qcflow.objects.tree import write_tree
    from qcflow.qcdb.local import LocalRepository
    from qcflow.ui.app import create_ui_app
    from tests.ui.conftest import Served

    runs = np.array([550000, 550001, 550002], dtype=np.int64)
    data = write_tree(
        {
            "meta": {"runNumber": runs, "runNumberStr": np.array([str(r) for r in runs])},
            "time": np.array([1714521600, 1714531600, 1714541600], dtype=np.uint32),
            "vertex_X": {"mean": np.array([0.1, 0.2, 0.15]), "stddev": np.array([1.0, 1.1, 0.9])},
        },
        name="BeamSpotTrending",
    )
    repo = LocalRepository(tmp_path / "qcdb")
    repo.store(
        "qc_async/TST/MO/BeamSpotTrending/BeamSpotTrending",
        data,
        valid_from=1,
        metadata={"ObjectType": "TTree", "qc_task_name": "BeamSpotTrending"},
        content_type="application/root",
    )
    served = Served(create_ui_app(repo))
    page = Page(chromium_browser, served.url)
    try:
        p = page.open("/ui/object/qc_async/TST/MO/BeamSpotTrending/BeamSpotTrending")
        p.wait_for_selector("input[name=varexp]")
        assert p.input_value("input[name=varexp]") == "vertex_X.mean:meta.runNumber"
        drawn_svg(p)
        assert p.get_attribute("#drawing .draw", "data-drawn") == "TTree"
        p.fill("input[name=varexp]", "vertex_X.stddev")
        p.click("#drawing form button[type=submit]")
        p.wait_for_selector("#drawing svg g[objtype^=TH1]", timeout=DRAWN)
        clean(page)
    finally:
        page.page.close()
        served.stop()
        repo.close()


def test_draw_options_and_display_hints_from_metadata(
    chromium_browser: Any, tmp_path: Any, judged: tuple
) -> None:
    from qcflow.qcdb.local import LocalRepository
    from qcflow.ui.app import create_ui_app
    from tests.ui.conftest import Served

    source = LocalRepository(judged[0])
    data = source.download(source.browse(HIST, limit=1)[0].id).data
    source.close()
    repo = LocalRepository(tmp_path / "qcdb")
    for name, meta in (("plain", {}), ("logy", {"drawOptions": "hist", "displayHints": "logy"})):
        repo.store(
            f"qc/TST/MO/T/{name}",
            data,
            valid_from=1,
            content_type="application/root",
            metadata={"ObjectType": "TH1F", **meta},
        )
    served = Served(create_ui_app(repo))
    page = Page(chromium_browser, served.url)
    log_scale = "() => document.querySelector('#drawing .draw').painter.getFramePainter().logy"
    try:
        p = page.open("/ui/object/qc/TST/MO/T/plain")
        drawn_svg(p)
        assert not p.evaluate(log_scale)
        p = page.open("/ui/object/qc/TST/MO/T/logy")
        drawn_svg(p)
        assert p.evaluate(log_scale)
        clean(page)
    finally:
        page.page.close()
        served.stop()
        repo.close()
