"""`qcflow ui` figures: the tree root of a large store, a histogram drawn after a click, the
quality matrix of many runs x detectors (issue 15's targets: < 1 s, < 500 ms, < 2 s).

- tree: a store of ``--objects`` objects (``qc/D<k>/MO/Task<j>/h<i>``, 2 kB payloads); the
  time of what the page asks when it opens: ``tree`` of the root, then ``count`` of every top
  folder, over HTTP to a uvicorn server in this process; median of ``--repeat``;
- draw: Debian's Chromium (Playwright) on an object page; from the click on a histogram's name
  in the tree to JSROOT's axes in the page (skipped without chromium or JSROOT);
- matrix: ``--runs`` runs x ``--detectors`` detectors, one QC quality object each (ROOT
  payloads, as checks write them): ``/ui/api/matrix`` for the period, cold and warm.

    python bench/ui.py                                  # 100,000 objects; 1,000 x 10 matrix
    python bench/ui.py --objects 20000 --runs 200       # quicker
Stores are kept under --cache (default /tmp/qcflow-bench-ui) and reused.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import threading
import time
from pathlib import Path

import httpx

from qcflow.objects.activity import Activity
from qcflow.objects.metadata import qo_metadata
from qcflow.objects.quality import Quality, QualityObject
from qcflow.qcdb.local import LocalRepository
from qcflow.ui.api import ApiOptions
from qcflow.ui.app import create_ui_app, jsroot_missing

T0 = 1_714_521_600_000
RUN_MS = 3_600_000


def serve(repo: LocalRepository) -> tuple[str, object]:
    import socket

    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_ui_app(repo, ApiOptions()),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
        )
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    return f"http://127.0.0.1:{port}", server


def fill_tree(root: Path, objects: int) -> LocalRepository:
    marker = root / f"filled-{objects}"
    if root.exists() and not marker.exists():
        shutil.rmtree(root)
    repo = LocalRepository(root, fsync=False)
    if marker.exists():
        return repo
    payload = bytes(2048)
    start = time.perf_counter()
    for i in range(objects):
        path = f"qc/D{i % 20}/MO/Task{(i // 20) % 50}/h{i}"
        repo.store(
            path,
            payload,
            valid_from=T0,
            valid_until=T0 + RUN_MS,
            metadata={"RunNumber": "550000", "PassName": "apass1"},
        )
    print(f"filled {objects:,} objects in {time.perf_counter() - start:.0f} s")
    marker.touch()
    return repo


def fill_matrix(root: Path, runs: int, detectors: int) -> LocalRepository:
    marker = root / f"filled-{runs}x{detectors}"
    if root.exists() and not marker.exists():
        shutil.rmtree(root)
    repo = LocalRepository(root, fsync=False)
    if marker.exists():
        return repo
    start = time.perf_counter()
    for r in range(runs):
        for d in range(detectors):
            activity = Activity(550_000 + r, "PHYSICS", "LHC24ab", "apass1", "qc_async")
            quality = Quality.BAD if (r * 7 + d) % 50 == 0 else Quality.GOOD
            qo = QualityObject(quality, "Check", f"D{d:02d}", activity=activity)
            repo.store(
                qo.path,
                qo.encode(),
                valid_from=T0 + r * RUN_MS,
                valid_until=T0 + (r + 1) * RUN_MS,
                metadata=qo_metadata(
                    activity, detector=qo.detector, check_name="Check", quality=quality.level
                ),
            )
    print(f"filled {runs * detectors:,} quality objects in {time.perf_counter() - start:.0f} s")
    marker.touch()
    return repo


def timed(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_tree(base: str, repeat: int) -> None:
    def open_root() -> None:
        tree = httpx.get(f"{base}/ui/api/tree", timeout=120).json()
        for folder in tree["folders"]:
            httpx.get(f"{base}/ui/api/count", params={"path": folder["path"]}, timeout=120)

    root_only = timed(lambda: httpx.get(f"{base}/ui/api/tree", timeout=120), repeat)
    with_counts = timed(open_root, repeat)
    rec = timed(
        lambda: httpx.get(f"{base}/ui/api/tree", params={"path": "qc/D0/MO/Task0"}, timeout=120),
        repeat,
    )
    print(
        f"tree root: {root_only * 1000:.0f} ms; with the top folders' counts: "
        f"{with_counts * 1000:.0f} ms; a task folder: {rec * 1000:.0f} ms (median of {repeat})"
    )


def bench_draw(repeat: int) -> None:
    chromium = shutil.which("chromium")
    if chromium is None or jsroot_missing():
        print("draw: skipped (needs chromium and make jsroot)")
        return
    import tempfile

    from playwright.sync_api import sync_playwright

    from qcflow.demo.zdc import fill_zdc

    with tempfile.TemporaryDirectory() as tmp:
        repo = LocalRepository(Path(tmp) / "qcdb", fsync=False)
        fill_zdc(repo, runs=3, passes=("apass1",))
        base, server = serve(repo)
        times = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            for _ in range(repeat):
                page.goto(f"{base}/ui/folder/qc_async/ZDC/MO/Rec")
                page.wait_for_selector("body[data-ready='1']")
                # the folder's URL opens the tree down to it
                page.wait_for_selector(
                    ".tree-folder[data-path='qc_async/ZDC/MO/Rec'].open .tree-object"
                )
                t0 = time.perf_counter()
                page.click(".tree-object a:text-is('h_ADC_ZNA_TC')")
                page.wait_for_selector("#drawing svg .xaxis_container", timeout=60_000)
                times.append(time.perf_counter() - t0)
            browser.close()
        server.should_exit = True  # type: ignore[attr-defined]
        repo.close()
    print(
        f"histogram drawn after the click: median {statistics.median(times) * 1000:.0f} ms, "
        f"first {times[0] * 1000:.0f} ms ({len(times)} clicks)"
    )


def bench_matrix(base: str, runs: int, detectors: int) -> None:
    params = {"period": "LHC24ab", "pass": "apass1"}
    t0 = time.perf_counter()
    answer = httpx.get(f"{base}/ui/api/matrix", params=params, timeout=600).json()
    cold = time.perf_counter() - t0
    warm = timed(lambda: httpx.get(f"{base}/ui/api/matrix", params=params, timeout=600), 1)
    bad = sum(c["quality"] == "Bad" for c in answer["cells"])
    print(
        f"matrix {len(answer['runs'])} runs x {len(answer['detectors'])} detectors "
        f"({bad} Bad): {cold:.2f} s, again {warm:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1_000)
    parser.add_argument("--detectors", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/qcflow-bench-ui"))
    args = parser.parse_args()
    repo = fill_tree(args.cache / "tree", args.objects)
    base, server = serve(repo)
    bench_tree(base, args.repeat)
    server.should_exit = True  # type: ignore[attr-defined]
    repo.close()
    bench_draw(args.repeat)
    repo = fill_matrix(args.cache / "matrix", args.runs, args.detectors)
    base, server = serve(repo)
    bench_matrix(base, args.runs, args.detectors)
    server.should_exit = True  # type: ignore[attr-defined]
    repo.close()


if __name__ == "__main__":
    main()
