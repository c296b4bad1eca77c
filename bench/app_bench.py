"""Home page timings: `streamlit run` to the first full render in a real browser, and the
page's rerun time, on the demo database.

    python bench/app_bench.py [--runs 5]

Prints medians. The naive baseline beside the rerun is the same overview computed with the
framework reloaded from YAML and every value read into pandas (no cache, no SQL pushdown).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_health(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("streamlit did not answer")


def first_render(database: Path) -> tuple[float, float, float]:
    """Seconds from `streamlit run` to health, to the home page's tiles being drawn, and from
    the browser's request to the drawn page (the part a committee member waits for)."""
    from playwright.sync_api import sync_playwright

    port = free_port()
    env = {**os.environ, "ARDENNE_DB": str(database)}
    t0 = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
                               "--server.port", str(port), "--server.headless", "true"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_health(port)
        health = time.perf_counter() - t0
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1600, "height": 900})
            asked = time.perf_counter()
            page.goto(f"http://127.0.0.1:{port}/")
            page.get_by_text("Cellules servies").wait_for(timeout=60_000)
            page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
            drawn = time.perf_counter()
            browser.close()
        return health, drawn - t0, drawn - asked
    finally:
        server.terminate()
        server.wait(10)


def reruns(database: Path, runs: int) -> list[float]:
    """Seconds of each warm rerun of the home page's script (AppTest, caches warm)."""
    from streamlit.testing.v1 import AppTest

    os.environ["ARDENNE_DB"] = str(database)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t)
    return times


def naive_overview(database: Path, runs: int) -> list[float]:
    """Baseline: reload the framework from YAML and recompute the overview each time."""
    from ardenne_kpi import db, home
    from ardenne_kpi.framework import load_framework

    con = db.connect(database)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fw = load_framework()
        db.query_df(con, "SELECT * FROM report_values")
        home.overview(con, fw)
        times.append(time.perf_counter() - t)
    con.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "bench.duckdb"
        subprocess.run([sys.executable, "-m", "ardenne_kpi", "init", "--db", str(database)], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        starts = [first_render(database) for _ in range(args.runs)]
        print(f"streamlit run -> /_stcore/health   median {statistics.median(s[0] for s in starts):.2f} s")
        print(f"streamlit run -> home page drawn   median {statistics.median(s[1] for s in starts):.2f} s "
              f"(runs: {', '.join(f'{s[1]:.2f}' for s in starts)}; includes starting Chromium)")
        print(f"browser request -> page drawn      median {statistics.median(s[2] for s in starts):.2f} s")
        first = Path(tmp) / "first.duckdb"  # no file: the app builds the demo on first start
        health, drawn, _ = first_render(first)
        print(f"first start without a database (demo built) -> drawn {drawn:.2f} s")
        warm = reruns(database, args.runs * 4)
        naive = naive_overview(database, args.runs * 4)
        print(f"home page rerun (warm, AppTest)     median {statistics.median(warm) * 1000:.0f} ms")
        print(f"naive overview (reload + full read) median {statistics.median(naive) * 1000:.0f} ms "
              f"-> ratio {statistics.median(naive) / statistics.median(warm):.1f}x")


if __name__ == "__main__":
    main()
