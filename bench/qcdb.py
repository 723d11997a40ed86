"""QCDB benchmark: embedded get latency and server throughput, with nginx as the ceiling.

    python bench/qcdb.py [--paths 1000] [--versions 100] [--duration 10] [--store DIR]

1. Fills an embedded store with PATHS x VERSIONS objects (2 kB payloads, QC activity metadata;
   version v of a path is valid during "run" v), plus a folder of 10,000 objects for /latest.
   An existing store of the same shape at --store is reused.
2. Embedded store: median and p99 latency of ``get(path, ts, {"RunNumber": run})`` (target: a
   median under 1 ms) and of ``latest`` over the 10,000-object folder.
3. Server: ``qcflow qcdb serve --workers 2`` loaded by ``wrk -t2 -c32`` with random
   ``GET /<path>/<ts>/RunNumber=<run>`` URLs, next to nginx serving a 2 kB static file under the
   same load in the same run (target: at least 25 % of nginx's rate), alternating, median of
   --rounds each (the best round is printed too), with the load average. Both share the machine's cores with wrk. The server replays answers to repeated
   URLs while the store is unchanged (its replay cache; ``--no-cache`` turns it off).
   Without wrk/nginx (Debian packages ``wrk``, ``nginx-light``; installed with
   apt-get when run as root unless QCFLOW_BENCH_NO_APT=1) an asyncio httpx load generator is used.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from qcflow.qcdb import LocalRepository
from qcflow.qcdb.urls import build

T0 = 1_700_000_000_000
RUN_MS = 3_600_000
BIG_FOLDER = "qc/BIG/MO/Task"
SERVE_EXTRA: list[str] = []


def path_of(i: int) -> str:
    return f"qc/BENCH/MO/Task{i // 100}/h{i % 100}"


def activity(v: int) -> dict[str, str]:
    return {
        "RunNumber": str(500_000 + v),
        "PassName": "apass1",
        "PeriodName": "LHC24ab",
        "RunType": "PHYSICS",
        "ObjectType": "TH1F",
        "qc_task_name": "Task",
    }


def fill(root: Path, paths: int, versions: int) -> LocalRepository:
    marker = root / f"filled-{paths}x{versions}"
    if root.exists() and not marker.exists():
        shutil.rmtree(root)
    repo = LocalRepository(root, fsync=False)
    if marker.exists():
        print(f"reusing {root} ({paths} x {versions} objects + {BIG_FOLDER}: 10,000)")
        return repo
    payload = random.Random(1).randbytes(2048)
    start = time.perf_counter()
    terminal = sys.stdout.isatty()  # a log file gets a plain line every 10 %, not \r redraws
    for v in range(versions):
        for i in range(paths):
            repo.store(
                path_of(i),
                payload,
                valid_from=T0 + v * RUN_MS,
                valid_until=T0 + (v + 1) * RUN_MS,
                metadata=activity(v),
            )
        done = f"filling: {(v + 1) * paths:,} / {paths * versions:,}"
        if terminal:
            print(f"\r{done}", end="", flush=True)
        elif (v + 1) % max(1, versions // 10) == 0:
            print(done, flush=True)
    for i in range(10_000):
        repo.store(f"{BIG_FOLDER}/h{i}", payload, valid_from=T0, valid_until=T0 + RUN_MS)
    took = time.perf_counter() - start
    print(f"\nfilled {paths * versions + 10_000:,} objects in {took:.1f} s")
    marker.touch()
    return repo


def random_queries(n: int, paths: int, versions: int, seed: int = 2) -> list[tuple[str, int, str]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        v = rng.randrange(versions)
        out.append((path_of(rng.randrange(paths)), T0 + v * RUN_MS + 1000, str(500_000 + v)))
    return out


def bench_embedded(repo: LocalRepository, paths: int, versions: int) -> float:
    latencies = []
    for path, ts, run in random_queries(5000, paths, versions):
        start = time.perf_counter()
        repo.get(path, ts, {"RunNumber": run})
        latencies.append(time.perf_counter() - start)
    latencies.sort()
    median = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99)] * 1000
    start = time.perf_counter()
    n_latest = len(repo.latest(f"{BIG_FOLDER}/.*"))
    latest_ms = (time.perf_counter() - start) * 1000
    print(
        f"embedded get (path + timestamp + RunNumber): median {median:.3f} ms, p99 {p99:.3f} ms"
        f"  [target: median < 1 ms: {'PASS' if median < 1 else 'FAIL'}]"
    )
    print(f"embedded latest over {n_latest:,} objects in one folder: {latest_ms:.0f} ms")
    return median


# --- servers --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def start_qcdb(
    store: Path | str, workers: int, timeout: float = 20
) -> tuple[subprocess.Popen[bytes], str]:
    """``qcflow qcdb serve`` on a free port over ``store`` (a directory, or a QCDB URL such as
    ``postgresql://...``), once it answers; its process and ``http://`` URL."""
    port = free_port()
    where = ["--qcdb", store] if isinstance(store, str) else ["--root", str(store)]
    cmd = [
        sys.executable,
        "-m",
        "qcflow",
        "qcdb",
        "serve",
        *where,
        "--port",
        str(port),
        "--workers",
        str(workers),
        *SERVE_EXTRA,
    ]
    proc = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url + "/", timeout)
    except RuntimeError:
        proc.kill()
        raise
    return proc, url


_NGINX_CONF = """
worker_processes {workers};
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
{user}
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}; proxy_temp_path {tmp}; fastcgi_temp_path {tmp};
    uwsgi_temp_path {tmp}; scgi_temp_path {tmp};
    server {{ listen 127.0.0.1:{port}; root {tmp}/www; }}
}}
"""


def start_nginx(tmp: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    (tmp / "www").mkdir()
    (tmp / "www" / "static").write_bytes(random.Random(3).randbytes(2048))
    port = free_port()
    user = "user root;" if os.geteuid() == 0 else ""
    conf = tmp / "nginx.conf"
    conf.write_text(_NGINX_CONF.format(workers=workers, tmp=tmp, port=port, user=user))
    proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(tmp)], stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_for(url + "/static")
    return proc, url


def ensure_tools() -> bool:
    """True when wrk and nginx are there (installing them with apt-get if we may)."""
    have = shutil.which("wrk") and (shutil.which("nginx") or Path("/usr/sbin/nginx").exists())
    if have:
        return True
    if os.geteuid() != 0 or os.environ.get("QCFLOW_BENCH_NO_APT") == "1":
        print("wrk/nginx missing (apt-get install wrk nginx-light): using the httpx load generator")
        return False
    print("installing wrk and nginx-light with apt-get ...")
    subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "wrk", "nginx-light"], check=False, capture_output=True
    )
    return bool(shutil.which("wrk"))


def wrk(url: str, urls: list[str], duration: int, tmp: Path) -> float:
    script = tmp / f"urls-{free_port()}.lua"
    table = ",\n".join(f'"{u}"' for u in urls)
    body = "request = function()\n  return wrk.format('GET', urls[math.random(n)])\nend\n"
    script.write_text(f"local urls = {{{table}}}\nlocal n = #urls\n{body}")
    out = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{duration}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        print(f"  warning: {errors.group(1)} non-2xx responses from {url}")
    return float(match.group(1)) if match else 0.0


async def _httpx_load(url: str, urls: list[str], duration: int) -> float:
    done = 0
    deadline = time.monotonic() + duration
    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(base_url=url, limits=limits) as client:

        async def worker(seed: int) -> None:
            nonlocal done
            rng = random.Random(seed)
            while time.monotonic() < deadline:
                response = await client.get(rng.choice(urls))
                response.raise_for_status()
                done += 1

        await asyncio.gather(*(worker(s) for s in range(32)))
    return done / duration


def load(url: str, urls: list[str], duration: int, tmp: Path, use_wrk: bool) -> float:
    if use_wrk:
        return wrk(url, urls, duration, tmp)
    return asyncio.run(_httpx_load(url, urls, duration))


def bench_server(
    root: Path, paths: int, versions: int, duration: int, workers: int, rounds: int
) -> None:
    """Alternate the load on our server and on nginx ``rounds`` times; report each one's median
    (the rate of either varies by 10-20 % from run to run on a shared 2-core machine) and the
    load average, which says how shared the machine was."""
    use_wrk = ensure_tools()
    have_nginx = bool(shutil.which("nginx") or Path("/usr/sbin/nginx").exists())
    urls = [
        build(p, (ts,), {"RunNumber": run})
        for p, ts, run in random_queries(2000, paths, versions, seed=5)
    ]
    ours, nginx_rate = [], []
    with tempfile.TemporaryDirectory(prefix="qcflow-bench-") as tmp_name:
        tmp = Path(tmp_name)
        server, url = start_qcdb(root, workers)
        nginx, nginx_url = start_nginx(tmp, workers) if have_nginx else (None, "")
        try:
            load(url, urls, 2, tmp, use_wrk)  # warm-up
            start = time.perf_counter()
            big = httpx.get(
                f"{url}/latest/{BIG_FOLDER}/.*", headers={"Accept": "application/json"}, timeout=60
            )
            latest_ms = (time.perf_counter() - start) * 1000
            n_big = len(big.json()["objects"])
            for _ in range(rounds):
                ours.append(load(url, urls, duration, tmp, use_wrk))
                if nginx is not None:
                    nginx_rate.append(load(nginx_url, ["/static"], duration, tmp, use_wrk))
        finally:
            for proc in (server, nginx):
                if proc is not None:
                    proc.terminate()
                    proc.wait(timeout=20)
    print(f"  rounds: ours {[round(r) for r in ours]}, nginx {[round(r) for r in nginx_rate]}")
    load_avg = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"  load average after the rounds (1, 5, 15 min): {load_avg}")
    report(
        n_big,
        latest_ms,
        statistics.median(ours),
        statistics.median(nginx_rate or [0.0]),
        workers,
        duration,
        use_wrk,
    )
    if len(ours) > 1 and nginx_rate:
        print(
            f"  (best rounds: {max(ours):,.0f} against {max(nginx_rate):,.0f}, "
            f"{max(ours) / max(nginx_rate):.1%})"
        )


def report(
    n_big: int,
    latest_ms: float,
    ours: float,
    nginx_rate: float,
    workers: int,
    duration: int,
    use_wrk: bool,
) -> None:
    tool = "wrk -t2 -c32" if use_wrk else "httpx asyncio, 32 connections"
    tool += ", no replay cache" if SERVE_EXTRA else ""
    print(f"server /latest over {n_big:,} objects (JSON): {latest_ms:.0f} ms")
    print(
        f"server GET object at timestamp + RunNumber ({workers} workers, {tool}, {duration} s, "
        "median of the rounds): "
        f"{ours:,.0f} requests/s"
    )
    if nginx_rate:
        ratio = ours / nginx_rate
        verdict = "PASS" if ratio >= 0.25 else "FAIL"
        print(f"nginx static 2 kB file, same load:  {nginx_rate:,.0f} requests/s")
        print(f"ratio: {ratio:.1%} of nginx  [target >= 25 %: {verdict}]")
    else:
        print("nginx not available: no ceiling measured")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--paths", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=100)
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per server")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="alternating load rounds")
    parser.add_argument("--no-cache", action="store_true", help="serve without the replay cache")
    parser.add_argument(
        "--store", type=Path, default=Path(tempfile.gettempdir()) / "qcflow-bench-qcdb"
    )
    args = parser.parse_args()
    repo = fill(args.store, args.paths, args.versions)
    bench_embedded(repo, args.paths, args.versions)
    repo.close()
    global SERVE_EXTRA  # noqa: PLW0603 -- a command-line switch for the server start
    SERVE_EXTRA = ["--cache-mb", "0"] if args.no_cache else []
    bench_server(args.store, args.paths, args.versions, args.duration, args.workers, args.rounds)


if __name__ == "__main__":
    main()
