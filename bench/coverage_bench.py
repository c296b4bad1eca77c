"""Benchmark of the coverage view on the demo database and on one of a million values.

    /work/venv/bin/python bench/coverage_bench.py [--values 1000000] [--repeat 5]

Builds both databases (the demo generator; the KPI bench's generator for the million values:
DataFrame → INSERT SELECT), then times in one run, for each:
- coverage computation: the five matrices for the whole programme (`coverage.compute`),
  and again with a window and a zone filter;
- its counting part alone (the window counts in SQL + the five matrices from a status frame);
- page computation: what one uncached rerun of the page computes (coverage, heatmap, one
  cell's table), and the workbook built when someone downloads it;
- the page itself through AppTest: first run, then reruns (cached through ui.cached);
- a naive pandas baseline of the counting part: read every current value, then one boolean
  mask per cell of the five matrices.
Cold = a fresh process opening the database; warm = the same process again. Prints medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import harness  # noqa: E402
from kpis_bench import build as build_million  # noqa: E402

from ardenne_kpi import charts, db, demo  # noqa: E402
from ardenne_kpi.db import coverage as sql  # noqa: E402
from ardenne_kpi.exports.coverage import coverage_workbook  # noqa: E402
from ardenne_kpi.figures import coverage  # noqa: E402
from ardenne_kpi.framework import load_framework  # noqa: E402

FILTERED = dict(start="S08", end="S11", zone="BE-LUX")


def filtered(fw) -> coverage.Filters:
    return coverage.Filters(window=coverage.window_of(fw, FILTERED["start"], FILTERED["end"]), zone=FILTERED["zone"])


def compute_all(con, fw):
    return coverage.compute(con, fw)


def compute_filtered(con, fw):
    return coverage.compute(con, fw, filtered(fw))


def counting(con, fw):
    """The part a naive approach would redo: window counts, then the five matrices."""
    window = (fw.calendar.start, fw.calendar.end)
    counts = sql.reported_in_window(con, start=window[0], end=window[1])
    status = pd.DataFrame({"indicator": [i.code for i in fw.indicators], "status": "on_track", "progress": 1.0})
    status = status.merge(counts[["indicator", "n_in_window"]], on="indicator", how="left")
    return {k: coverage.matrix(fw, k, status) for k in coverage.SPECS}


def page(con, fw):
    """One uncached rerun of the page: coverage, the main heatmap, one cell's table."""
    cov = coverage.compute(con, fw)
    m = cov["dimension_key"]
    charts.coverage.coverage_heatmap(m, "n_indicators").to_dict()
    coverage.cell_table(m, "D2", "K02")
    return cov


def workbook(con, fw):
    return coverage_workbook(coverage.compute(con, fw))


def naive(con, fw):
    """Read every current value into pandas, then one mask per cell to count reported indicators."""
    values = sql.current_values(con)
    start, end = pd.Timestamp(fw.calendar.start), pd.Timestamp(fw.calendar.end)
    ends = pd.to_datetime(values["period_end"])
    out = {}
    for kind, spec in coverage.SPECS.items():
        for r in spec.rows(fw):
            for c in spec.cols(fw):
                codes = [
                    i.code for i in fw.indicators if r.code in spec.links(fw, i)[0] and c.code in spec.links(fw, i)[1]
                ]
                mask = values["indicator"].isin(codes) & (ends >= start) & (ends <= end)
                out[(kind, r.code, c.code)] = (len(codes), values.loc[mask, "indicator"].nunique())
    return out


TASKS = {
    "coverage computation": compute_all,
    "coverage, window + zone": compute_filtered,
    "counting part only": counting,
    "page computation": page,
    "workbook (.xlsx)": workbook,
    "naive pandas (counting)": naive,
}


def child(path: str, task: str) -> None:
    harness.child(path, TASKS[task])


def cold(path: Path, task: str, repeat: int) -> list[float]:
    return harness.cold(__file__, path, task, repeat)


def apptest(path: Path, reruns: int) -> tuple[float, list[float], list[float]]:
    """First run, cached reruns, and reruns after a cell is picked (the drill-down)."""
    from streamlit.testing.v1 import AppTest

    os.environ["ARDENNE_DB"] = str(path)
    at = AppTest.from_file(str(ROOT / "pages" / "3_Couverture.py"), default_timeout=120)
    first = harness.timed(at.run)
    assert not at.exception, [e.value for e in at.exception]
    again = [harness.timed(at.run) for _ in range(reruns)]
    picks = []
    for cell in [("D2", "K02"), ("D1", "K01"), ("D3", "K07")] * max(1, reruns // 3):
        at.selectbox(key="coverage_cell_dimension_key").select(cell)
        picks.append(harness.timed(at.run))
    assert not at.exception, [e.value for e in at.exception]
    return first, again, picks


def bench(label: str, path: Path, repeat: int) -> dict[str, tuple[float, float]]:
    con = db.connect(path, read_only=True)
    fw = db.stored_framework(con)
    n = db.table_counts(con)["report_values"]
    results = {}
    for name, fn in TASKS.items():
        fn(con, fw)  # warm-up
        warm = statistics.median(harness.timed(fn, con, fw) for _ in range(repeat))
        results[name] = (statistics.median(cold(path, name, max(3, repeat // 2))), warm)
    con.close()
    first, again, picks = apptest(path, repeat)
    med = statistics.median
    print(f"\n== {label}: {n:,} values ({path})")
    print(f"{'':34}{'cold (s)':>10}{'warm (s)':>10}")
    for name, (c, w) in results.items():
        print(f"{name:34}{c:10.3f}{w:10.3f}")
    print(f"{'Couverture AppTest first run':34}{first:10.3f}")
    print(f"{'Couverture AppTest rerun':34}{'':10}{med(again):10.3f}")
    print(f"{'Couverture AppTest pick a cell':34}{'':10}{med(picks):10.3f}")
    nc, nw = results["naive pandas (counting)"]
    cc, cw = results["counting part only"]
    ac, aw = results["coverage computation"]
    print(
        f"ratios naive / counting part: cold {nc / cc:.1f}×, warm {nw / cw:.1f}× ; "
        f"naive / whole coverage (with kpis statuses): cold {nc / ac:.1f}×, warm {nw / aw:.1f}×"
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dir", help="where to build the databases (kept; reused when present)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.db, args.child)
        return
    folder = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="coverage-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    demo_path, big_path = folder / "demo.duckdb", folder / f"values_{args.values}.duckdb"
    if not demo_path.exists():
        con = db.connect(demo_path)
        demo.create_demo(con, load_framework())
        con.close()
    if not big_path.exists():
        t = time.perf_counter()
        n = build_million(big_path, args.values)
        print(f"built {big_path}: {n:,} values in {time.perf_counter() - t:.1f} s")
    bench("demo", demo_path, args.repeat)
    bench("generated", big_path, args.repeat)


if __name__ == "__main__":
    main()
