"""Where people wait in the app, in Chromium, each figure beside Streamlit's own floor in the same run.

    python bench/app_bench.py [--runs 5] [--million] [--ref REV] [--pages Accueil ...] [--demo PATH]

Starts the real app (`streamlit run app.py` on a demo database made by `python -m ardenne_kpi
init`, and with `--million` on a database of one million values built as bench/kpis_bench.py
builds it) and a floor app (the same page names, one `st.metric` each, the same sidebar links
and Streamlit configuration, started the same way), and drives both in headless Chromium:
- page switches in an open session: click the page's link in the sidebar, then wait until
  Streamlit says the script is no longer running, no element is still loading, the page's own
  heading (the floor: its metric) is drawn and every visible Plotly chart has its SVG. One round
  visits every page; the first round (cold caches of a server just started) is shown apart,
  the median is over the `--runs` rounds after it;
- a new visitor's first page: a new browser context (no cache, no session), `goto`, drawn;
- the replay (bench/replay.py): the app's pages recorded from the running app and sent again by
  Streamlit as they are, with none of the app's work, driven the same way: the floor of drawing
  exactly this content, and the app's ratio to it;
- with `--ref REV`, the app of an earlier commit (extracted with `git archive`, on its own copy
  of the same database) is driven in the same rounds, for a before/after in the same run.
Then, servers stopped: the committee pack (`export pack`, the whole command) on each database,
beside the interpreter start with pandas and DuckDB imported; and the first start (`streamlit
run` on a folder without database, the demo built by the app, to the home page drawn) beside
the floor app's start to its drawn page.

Never a fixed sleep: every wait is on Streamlit's own state in the page. Prints medians and
ratios to the probe (the floor plus a title, one 12-point Plotly chart and one 12-row table,
driven in the same rounds) against issue 28's goals (switch ≤ 1.5×, first visit ≤ 1.3× the probe),
the floor's own times beside.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.app_server import streamlit, wait_health  # noqa: E402  (shared with the browser tests)

sys.path.insert(0, str(ROOT / "bench"))
import replay  # noqa: E402

CHROMIUM = os.environ.get("ARDENNE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 900}
TIMEOUT_MS = 180_000
START_TIMEOUT_MS = 900_000

# (sidebar label, address, regular expression of the page's heading): in the order of a round,
# each page reached from the one before; the meeting mode has no sidebar, so it comes last.
PAGES = [
    ("Importer un rapport", "Import", "^Importer un rapport"),
    ("Tendances des indicateurs", "Tendances", "^Tendances des indicateurs"),
    ("Couverture du plan", "Couverture", "^Couverture du plan"),
    ("Référentiel", "Referentiel", "^Référentiel du plan"),
    ("Suivi des rapports", "Suivi", "^Suivi des rapports"),
    ("Plateforme de marque", "Marque", "^Cohérence avec la plateforme"),
    ("Chiffres clés", "Chiffres_cles", "^L'Ardenne en chiffres"),
    ("Accueil", "", "^Ardenne Attractivity"),
    ("Mode réunion", "Reunion", "^Chiffres clés · "),
]
HOME = PAGES[7]

# Drawn: the script is no longer running, no element is still loading (Streamlit's skeleton),
# an element `selector` reads `pattern`, and every visible Plotly chart has drawn its SVG.
DRAWN = """([selector, pattern]) => {
  const app = document.querySelector('.stApp');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-testid="stSkeleton"]')) return false;
  const re = new RegExp(pattern);
  if (![...document.querySelectorAll(selector)].some(e => re.test(e.textContent.trim()))) return false;
  for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"]')) {
    if (chart.offsetParent !== null && !chart.querySelector('.main-svg')) return false;
  }
  return true;
}"""

# The floor: one `st.metric` per page, the same sidebar links, the app's Streamlit configuration.
FLOOR_MODULE = """
import streamlit as st

PAGES = {pages!r}


def page(title: str) -> None:
    with st.sidebar:
        for file, label in PAGES:
            st.page_link(file, label=label)
    st.metric(title, 1)
{extra}
"""

# Probes (`--probes`): the floor plus ONE building block that every real page needs, to show
# how far a page can come near the floor at all: a small Plotly chart (12 points, the
# app's chart configuration), or a small table (st.dataframe, 12 rows × 6 columns).
PROBES = {
    "floor + 1 chart": """
    import plotly.graph_objects as go

    figure = go.Figure(go.Scatter(x=list(range(12)), y=[i * i for i in range(12)], mode="lines+markers"))
    figure.update_layout(height=320, margin=dict(l=40, r=10, t=30, b=30))
    st.plotly_chart(figure, config={"displaylogo": False})
""",
    "floor + 1 table": """
    import pandas as pd

    st.dataframe(pd.DataFrame({f"colonne {c}": [r * c for r in range(12)] for c in range(6)}), hide_index=True)
""",
}
# The probe (issue 28): a title, one 12-point Plotly chart and one 12-row table on the floor's
# page, the nearest a real page can come; the goals are ratios to it (switch ≤ 1.5×, visit ≤ 1.3×).
PROBE = "\n    st.title(title)\n" + PROBES["floor + 1 chart"] + PROBES["floor + 1 table"]


def floor_app(folder: Path, extra: str = "", body: Callable[[str, str], str] | None = None) -> Path:
    """Write the floor app into `folder`: app.py and pages/ named as the real ones; `extra`,
    code run after the metric on every page (a probe); `body`, each page file's code from its
    sidebar label and address instead of the floor's (bench/replay.py)."""
    files = [("app.py", HOME[0])] + [
        (f"pages/{f.name}", label)
        for f in sorted((ROOT / "pages").glob("*.py"))
        for label, address, _ in PAGES
        if f.stem.split("_", 1)[1] == address
    ]
    (folder / "pages").mkdir(parents=True)
    (folder / ".streamlit").mkdir()
    shutil.copy(ROOT / ".streamlit" / "config.toml", folder / ".streamlit" / "config.toml")
    (folder / "floor.py").write_text(FLOOR_MODULE.format(pages=[(f, label) for f, label in files], extra=extra))
    addresses = {label: address for label, address, _ in PAGES}
    for file, label in files:
        code = body(label, addresses[label]) if body else f"import floor\n\nfloor.page({label!r})\n"
        (folder / file).write_text(code)
    return folder


def floor_ready(label: str) -> tuple[str, str]:
    return '[data-testid="stMetricLabel"]', f"^{label}$"


def app_ready(pattern: str) -> tuple[str, str]:
    return "h1", pattern


@dataclass
class Target:
    """One running app driven by the bench: its name, address and how its pages say they are drawn."""

    name: str
    url: str
    floor: bool
    page: object = None
    context: object = None
    switches: dict[str, list[float]] = field(default_factory=dict)
    visits: dict[str, list[float]] = field(default_factory=dict)

    def ready(self, entry: tuple[str, str, str]) -> tuple[str, str]:
        return floor_ready(entry[0]) if self.floor else app_ready(entry[2])


def new_page(browser):
    context = browser.new_context(viewport=VIEWPORT, locale="fr-FR")
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


def drawn(page, ready: tuple[str, str]) -> None:
    page.wait_for_function(DRAWN, arg=list(ready), timeout=TIMEOUT_MS)


def visit(browser, target: Target, entry) -> float:
    """A new visitor: a fresh context (no cache, no session) opens the page; seconds to drawn."""
    context, page = new_page(browser)
    try:
        start = time.perf_counter()
        page.goto(f"{target.url}/{entry[1]}")
        drawn(page, target.ready(entry))
        return time.perf_counter() - start
    finally:
        context.close()


def switch_round(target: Target, pages: list) -> dict[str, float]:
    """From the home page, every page in turn through its sidebar link; seconds per page."""
    page = target.page
    page.goto(f"{target.url}/")
    drawn(page, target.ready(HOME))
    out = {}
    for entry in pages:
        link = page.locator('[data-testid="stSidebar"] a', has_text=entry[0]).first
        link.wait_for()
        start = time.perf_counter()
        link.click()
        drawn(page, target.ready(entry))
        out[entry[0]] = time.perf_counter() - start
    return out


def drive(browser, targets: list[Target], pages: list, runs: int) -> None:
    """Rounds of switches then of first visits, the targets in turn within each round (same load)."""
    for target in targets:
        target.context, target.page = new_page(browser)
    for n in range(runs + 1):
        for target in targets:
            for label, seconds in switch_round(target, pages).items():
                target.switches.setdefault(label, []).append(seconds)
        print(f"  switch round {n + 1}/{runs + 1} done", file=sys.stderr)
    for target in targets:
        target.context.close()
    for n in range(runs):
        for entry in pages:
            for target in targets:
                target.visits.setdefault(entry[0], []).append(visit(browser, target, entry))
        print(f"  visit round {n + 1}/{runs} done", file=sys.stderr)


def report(title: str, targets: list[Target], pages: list) -> None:
    med = statistics.median
    app, floor = targets[0], targets[-1]
    base = next(t for t in targets if t.name == "probe")
    ref = next((t for t in targets if t.name == "reference"), None)
    print(f"\n## {title}")
    print(
        "page switch in an open session (click → drawn), seconds: first round (cold server), then the median of "
        "the rounds after it; visit = a new visitor's first page (new context → drawn), median; ratios to the "
        "probe (a title, one chart, one table) in the same rounds; the floor (one metric) for reference; the "
        "replay (bench/replay.py: the app's own pages sent again, none of its work) and the app's ratio to it"
    )
    head = f"{'page':28}{'switch 1st':>11}{'switch':>8}{'probe':>7}{'ratio':>7}{'≤1.5×':>6}{'floor':>7}"
    head += f"{'visit':>8}{'probe':>7}{'ratio':>7}{'≤1.3×':>6}{'floor':>7}"
    again = next((t for t in targets if t.name == "replay"), None)
    if again:
        head += f"  | {'replay sw':>9}{'app ÷':>7}{'replay vi':>10}{'app ÷':>7}"
    if ref:
        head += f"  | {'ref switch':>10}{'ratio':>7}{'ref visit':>10}{'ratio':>7}"
    print(head)
    for label, *_ in pages:
        s = app.switches[label]
        sw, fsw, flsw = med(s[1:]), med(base.switches[label][1:]), med(floor.switches[label][1:])
        v, fv, flv = med(app.visits[label]), med(base.visits[label]), med(floor.visits[label])
        line = (
            f"{label:28}{s[0]:11.2f}{sw:8.2f}{fsw:7.2f}{sw / fsw:7.2f}{'oui' if sw / fsw <= 1.5 else 'non':>6}"
            f"{flsw:7.2f}{v:8.2f}{fv:7.2f}{v / fv:7.2f}{'oui' if v / fv <= 1.3 else 'non':>6}{flv:7.2f}"
        )
        if again:
            es, ev = med(again.switches[label][1:]), med(again.visits[label])
            line += f"  | {es:9.2f}{sw / es:7.2f}{ev:10.2f}{v / ev:7.2f}"
        if ref:
            rs, rv = med(ref.switches[label][1:]), med(ref.visits[label])
            line += f"  | {rs:10.2f}{rs / fsw:7.2f}{rv:10.2f}{rv / fv:7.2f}"
        print(line)
    probes = [t for t in targets if t.name in PROBES]
    if probes:
        print("\nprobes: the floor plus one building block, same rounds (switch and visit, median over every page)")
        for probe in probes:
            sw = [med(probe.switches[label][1:]) / med(floor.switches[label][1:]) for label, *_ in pages]
            vi = [med(probe.visits[label]) / med(floor.visits[label]) for label, *_ in pages]
            print(
                f"{probe.name:28} switch {med(med(probe.switches[label][1:]) for label, *_ in pages):.2f} s "
                f"({med(sw):.2f}× the floor)  · visit {med(med(probe.visits[label]) for label, *_ in pages):.2f} s "
                f"({med(vi):.2f}× the floor)"
            )


def timed_command(args: list[str], cwd: Path, env: dict | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def pack_times(database: Path, folder: Path, runs: int) -> tuple[list[float], list[float]]:
    """`export pack` (the whole command), and the interpreter with pandas and DuckDB imported, in turn."""
    packs, floor = [], []
    for _ in range(runs):
        packs.append(
            timed_command(
                [
                    sys.executable,
                    "-m",
                    "ardenne_kpi",
                    "export",
                    "pack",
                    "--out",
                    str(folder / "dossier.pdf"),
                    "--db",
                    str(database),
                ],
                ROOT,
            )
        )
        floor.append(timed_command([sys.executable, "-c", "import pandas, duckdb"], ROOT))
    return packs, floor


def first_start(browser, tree: Path, folder: Path, floor: bool) -> float:
    """Seconds from `streamlit run` (no database yet: the app builds the demo) to the home page drawn
    (nan when nothing was drawn within START_TIMEOUT_MS)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    folder.mkdir(parents=True)
    context, page = new_page(browser)
    try:
        start = time.perf_counter()
        with streamlit(tree, None if floor else folder / "ardenne.duckdb", folder / "streamlit.log") as (url, proc):
            wait_health(url, proc)
            page.goto(url)
            try:  # the demo is built while the page waits: minutes on a loaded machine
                page.wait_for_function(
                    DRAWN, arg=list(floor_ready(HOME[0]) if floor else app_ready(HOME[2])), timeout=START_TIMEOUT_MS
                )
            except PlaywrightTimeout:
                print(f"first start: no page drawn within {START_TIMEOUT_MS // 1000} s ({folder})", file=sys.stderr)
                return float("nan")
            return time.perf_counter() - start
    finally:
        context.close()


def extract(rev: str, folder: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], capture_output=True, check=True)
    tree = folder / f"ref-{rev}"
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(tree, filter="data")
    return tree


def copy_database(database: Path, folder: Path) -> Path:
    """A private copy of the database: the file, its write-ahead log when there is one, and the
    original uploads (`uploads/` beside it), nothing else of its folder (`--demo /tmp/x.duckdb`
    once copied the whole of /tmp, the bench's own folder included, until the disk was full)."""
    folder.mkdir(parents=True)
    for part in (database, database.with_name(database.name + ".wal")):
        if part.exists():
            shutil.copy2(part, folder / part.name)
    uploads = database.parent / "uploads"
    if uploads.is_dir():
        shutil.copytree(uploads, folder / "uploads")
    return folder / database.name


def demo_database(given: Path | None, tmp: Path) -> Path:
    """The demo database in `tmp`: a copy of `given` (the bench's servers and commands must
    not change the one given), else made by `python -m ardenne_kpi init`."""
    if given:
        return copy_database(given, tmp / "demo")
    demo = tmp / "demo" / "demo.duckdb"
    demo.parent.mkdir()
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "ardenne_kpi", "init", "--db", str(demo)], cwd=ROOT, check=True, capture_output=True
    )
    print(f"demo database built in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return demo


def million_database(tmp: Path) -> Path:
    """A database of one million values in `tmp`, built as bench/kpis_bench.py builds it."""
    import kpis_bench  # noqa: PLC0415  (bench/kpis_bench.py: this script's folder is on sys.path)

    million = tmp / "million" / "bench.duckdb"
    million.parent.mkdir()
    t = time.perf_counter()
    n = kpis_bench.build(million, 1_000_000)
    print(f"{n:,} values built in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return million


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="rounds after the first (medians of these)")
    parser.add_argument("--million", action="store_true", help="also on a database of one million values")
    parser.add_argument("--ref", metavar="REV", help="an earlier commit driven in the same rounds (before/after)")
    parser.add_argument("--pages", nargs="*", help="sidebar labels to measure (default: every page)")
    parser.add_argument("--starts", type=int, default=3, help="first starts timed (each builds the demo)")
    parser.add_argument("--demo", type=Path, help="a demo database made by `init` to copy instead of building one")
    parser.add_argument("--skip", nargs="*", default=[], choices=["pages", "pack", "start"])
    parser.add_argument(
        "--probes", action="store_true", help="also drive the floor plus one chart, and plus one table (PROBES)"
    )
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    pages = [p for p in PAGES if not args.pages or p[0] in args.pages]
    tmp = Path(tempfile.mkdtemp(prefix="app-bench-"))
    floor_tree = floor_app(tmp / "floor")
    probe_tree = floor_app(tmp / "probe", PROBE)
    probe_trees = {  # written once, driven on every database
        name: floor_app(tmp / name.replace(" ", "").replace("+", "-"), code)
        for name, code in (PROBES.items() if args.probes else ())
    }
    ref_tree = extract(args.ref, tmp) if args.ref else None
    demo = demo_database(args.demo, tmp)
    databases = {"demo database": demo}
    if args.million:
        databases["1 million values"] = million_database(tmp)

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            if "pages" not in args.skip:
                for title, database in databases.items():
                    with ExitStack() as stack:
                        running = [
                            ("app", *stack.enter_context(streamlit(ROOT, database, database.parent / "app.log")))
                        ]
                        if ref_tree:
                            ref_db = copy_database(database, tmp / f"ref-{database.parent.name}")
                            running.append(
                                (
                                    "reference",
                                    *stack.enter_context(streamlit(ref_tree, ref_db, ref_db.parent / "app.log")),
                                )
                            )
                        running.append(("probe", *stack.enter_context(streamlit(probe_tree, None, tmp / "probe.log"))))
                        for name, tree in probe_trees.items():
                            running.append((name, *stack.enter_context(streamlit(tree, None, tree / "probe.log"))))
                        running.append(("floor", *stack.enter_context(streamlit(floor_tree, None, tmp / "floor.log"))))
                        for _, url, proc in running:
                            wait_health(url, proc)
                        # the app's pages as they are now, sent again with none of its work (bench/replay.py)
                        addresses = [address for _, address, _ in pages]
                        again = replay.started(stack, running[0][1], addresses, tmp / f"replay-{database.parent.name}")
                        running.insert(-1, ("replay", *again))  # the floor stays last (report)
                        targets = [
                            Target(name, url, floor=name in ("floor", "probe") or name in PROBES)
                            for name, url, _ in running
                        ]
                        print(f"driving {', '.join(t.name for t in targets)} on the {title}", file=sys.stderr)
                        drive(browser, targets, pages, args.runs)
                        report(f"{title}{f' (reference: {args.ref})' if ref_tree else ''}", targets, pages)
            if "pack" not in args.skip:
                print(f"\n## committee pack: `export pack` (PDF + .xlsx, the whole command), median of {args.runs}")
                for title, database in databases.items():
                    packs, floor = pack_times(database, database.parent, args.runs)
                    goal = 5 if database == demo else 15
                    m, f = statistics.median(packs), statistics.median(floor)
                    print(
                        f"{title:20} {m:6.2f} s (goal ≤ {goal} s; runs {', '.join(f'{s:.1f}' for s in packs)})  · "
                        f"python -c 'import pandas, duckdb' {f:.2f} s"
                    )
            if "start" not in args.skip:
                starts, floors, refs = [], [], []
                for n in range(args.starts):
                    starts.append(first_start(browser, ROOT, tmp / f"start-{n}", floor=False))
                    if ref_tree:
                        refs.append(first_start(browser, ref_tree, tmp / f"start-ref-{n}", floor=False))
                    floors.append(first_start(browser, floor_tree, tmp / f"start-floor-{n}", floor=True))
                med = statistics.median
                print(
                    f"\n## first start (streamlit run on a folder without database → home page drawn, the demo "
                    f"built by the app), median of {args.starts}"
                )
                print(
                    f"app {med(starts):.1f} s (runs {', '.join(f'{s:.1f}' for s in starts)}; goal ≤ 10 s)  · floor "
                    f"app {med(floors):.1f} s  · ratio {med(starts) / med(floors):.1f}×"
                    + (f"  · reference {med(refs):.1f} s" if refs else "")
                )
            browser.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
