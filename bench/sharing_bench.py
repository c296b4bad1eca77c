"""The command line beside the app: what the app pays for not keeping the database open,
and how long commands wait for their turn while the app serves pages.

    python bench/sharing_bench.py [--commands 12]

Prints:
- reopening the demo database (what a page run pays when the app had let go of it), beside
  a query on a database already open;
- the home page's rerun under AppTest with the file still held (reruns closer than the idle
  release) and with it released before each rerun;
- with `streamlit run app.py` serving pages to Chromium in a loop, the wait of each command
  for the database (measured inside the command: lock file + retries), and the wall time of
  real `import` commands run beside it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.app_bench import CHROMIUM_ARGS, streamlit, wait_health  # noqa: E402

WAIT_PROBE = """
import sys, time
from ardenne_kpi.db import sharing
started = time.monotonic()
with sharing.command_connection(sys.argv[1]) as con:
    waited = time.monotonic() - started
    con.cursor().execute("SELECT count(*) FROM uploads").fetchone()
print(waited)
"""


def median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.1f} ms"


def reopen_cost(database: Path, runs: int = 30) -> None:
    from ardenne_kpi import db
    from ardenne_kpi.db import sharing

    handle = sharing.Database(database, idle=3600)
    db.data_revision(handle)
    reopen, held = [], []
    for _ in range(runs):
        handle.release()
        start = time.perf_counter()
        db.data_revision(handle)
        reopen.append(time.perf_counter() - start)
        start = time.perf_counter()
        db.data_revision(handle)
        held.append(time.perf_counter() - start)
    handle.release()
    print(f"reopen + revision query: {median_ms(reopen)}   (revision query on the open file: {median_ms(held)})")


def rerun_cost(database: Path, runs: int = 10) -> None:
    from streamlit.testing.v1 import AppTest

    from ardenne_kpi import ui

    os.environ["ARDENNE_DB"] = str(database)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    handle, _path, _created = ui.connection()
    held, released = [], []
    for _ in range(runs):
        start = time.perf_counter()
        at.run()
        held.append(time.perf_counter() - start)
        handle.release()
        start = time.perf_counter()
        at.run()
        released.append(time.perf_counter() - start)
    handle.release()
    time.sleep(0.5)
    print(
        f"Accueil rerun (AppTest): file held {median_ms(held)}, file reopened {median_ms(released)} "
        f"(+{(statistics.median(released) - statistics.median(held)) * 1000:.1f} ms per page run)"
    )


def beside_the_app(database: Path, report: Path, commands: int) -> None:
    from playwright.sync_api import sync_playwright

    # the commands' environment; the server gets its own from app_bench.streamlit
    env = {**os.environ, "ARDENNE_DB": str(database), "ARDENNE_ACCOUNTS": str(database.with_name("none.yaml"))}
    env.pop("ARDENNE_AUTH", None)
    waits, imports, done = [], [], threading.Event()

    def run_commands():
        for n in range(commands):
            if n % 3 == 2:
                start = time.monotonic()
                subprocess.run(
                    [sys.executable, "-m", "ardenne_kpi", "import", str(report), "--db", str(database)],
                    cwd=ROOT,
                    env=env,
                    check=True,
                    capture_output=True,
                )
                imports.append(time.monotonic() - start)
            else:
                probe = subprocess.run(
                    [sys.executable, "-c", WAIT_PROBE, str(database)],
                    cwd=ROOT,
                    env=env,
                    check=True,
                    capture_output=True,
                    text=True,
                )
                waits.append(float(probe.stdout.strip()))
        done.set()

    pages = 0
    with streamlit(ROOT, database, database.with_name("streamlit.log")) as (url, server):
        wait_health(url, server)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1800})
            page.set_default_timeout(60_000)
            page.goto(f"{url}/")
            page.get_by_text("Par dimension").first.wait_for()
            worker = threading.Thread(target=run_commands)
            worker.start()
            while not done.is_set():  # pages keep being served while the commands run
                for path, ready in (
                    ("", "Par dimension"),
                    ("Couverture", "Couverture"),
                    ("Suivi", "Suivi des rapports"),
                ):
                    page.goto(f"{url}/{path}")
                    page.get_by_text(ready).first.wait_for()
                    pages += 1
            worker.join()
            browser.close()
    print(
        f"beside the app ({pages} pages served meanwhile): wait for the database, {len(waits)} commands: "
        f"median {median_ms(waits)}, longest {max(waits) * 1000:.0f} ms; "
        f"`import` wall time, {len(imports)} runs: {', '.join(f'{t:.1f} s' for t in imports)}"
    )


def _report(database: Path) -> Path:
    """FTLB's S05 template, filled: what a nightly script would import."""
    import io

    import openpyxl

    from ardenne_kpi import db
    from ardenne_kpi.intake import templates

    con = db.connect(database, read_only=True)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(templates.build_template(con, db.stored_framework(con), "FTLB", "S05")))
    finally:
        con.close()
    ws = wb[templates.DATA_SHEET]
    r = templates.FIRST_ROW
    while ws.cell(r, 1).value:
        ws.cell(r, 7).value = 12.5 if ws.cell(r, 3).value == "%" else 10 + r
        r += 1
    out = database.with_name("rapport.xlsx")
    wb.save(out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commands", type=int, default=12)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "demo.duckdb"
        subprocess.run(
            [sys.executable, "-m", "ardenne_kpi", "init", "--db", str(database)],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        report = _report(database)
        reopen_cost(database)
        rerun_cost(database)
        beside_the_app(database, report, args.commands)


if __name__ == "__main__":
    main()
