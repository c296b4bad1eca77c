"""Benchmark of `publish` (the attractiveness portal's static site) on the demo database and on
one of a million values.

    /work/venv/bin/python bench/publish_bench.py [--values 1000000] [--repeat 5]

Builds both databases (the demo generator; the KPI bench's generator for the million values:
DataFrame → INSERT SELECT), then times, for each:
- the public figures alone (`publication.public_figures`: the page « Chiffres clés » computes this);
- the whole site in memory (`publish_site.site_files`: figures, HTML with its charts, CSVs,
  datapackage.json, Plotly's bundle) and written to a folder (`publish_site.publish`);
- the command itself, `python -m ardenne_kpi publish` (wall, interpreter and imports included);
- a naive pandas baseline: read every current value, then one figure per public indicator and
  stored period (no roll-up to the indicator's grain, no completeness, no zones) written as CSV.
Cold = a fresh process opening the database; warm = the same process again. Prints medians.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import harness  # noqa: E402
from kpis_bench import build as build_million  # noqa: E402

from ardenne_kpi import db, demo  # noqa: E402
from ardenne_kpi.core.format import csv_script  # noqa: E402
from ardenne_kpi.db import kpis as kpis_sql  # noqa: E402
from ardenne_kpi.framework import load_framework  # noqa: E402
from ardenne_kpi.portal import publication, publish_site  # noqa: E402


def figures(con, fw):
    return publication.public_figures(con, fw)


def site(con, fw):
    return publish_site.site_files(fw, publication.public_figures(con, fw))


def write(con, fw):
    with tempfile.TemporaryDirectory(prefix="publish-bench-") as folder:
        publish_site.publish(con, fw, Path(folder) / "portail")


def naive(con, fw):
    """Read everything, then one naive figure per public indicator and stored period, as CSV."""
    frame = kpis_sql.naive_read(con)
    rows = []
    for ind in publication.public_indicators(fw):
        part = frame[frame["indicator"] == ind.code]
        rows.append(part.groupby("period", as_index=False)["value"].agg(ind.agg_space).assign(indicator=ind.code))
    import pandas as pd

    return csv_script(pd.concat(rows, ignore_index=True))


TASKS = {"figures": figures, "site": site, "write": write, "naive": naive}


def child(path: str, what: str) -> None:
    harness.child(path, TASKS[what])


def command(path: Path, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="publish-bench-") as folder:
            started = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "ardenne_kpi",
                    "publish",
                    "--out",
                    str(Path(folder) / "portail"),
                    "--db",
                    str(path),
                ],
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            out.append(time.perf_counter() - started)
    return out


def measure(path: Path, repeat: int) -> list[tuple[str, float, float]]:
    rows = []
    con = db.connect(path, read_only=True)
    fw = db.stored_framework(con)
    try:
        for name, fn in (
            ("public figures", figures),
            ("site in memory", site),
            ("publish (folder written)", write),
            ("naive pandas (full read)", naive),
        ):
            fn(con, fw)  # warm-up
            warm = [harness.timed(fn, con, fw) for _ in range(repeat)]
            task = {"public figures": "figures", "site in memory": "site", "publish (folder written)": "write"}
            rows.append(
                (
                    name,
                    statistics.median(harness.cold(__file__, path, task.get(name, "naive"), max(3, repeat // 2))),
                    statistics.median(warm),
                )
            )
    finally:
        con.close()
    rows.append(("python -m ardenne_kpi publish", statistics.median(command(path, max(3, repeat // 2))), float("nan")))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--demo-db", help="demo database to use (built when absent)")
    parser.add_argument("--db", help="million-value database to use (built when absent)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.db, args.child)
        return

    folder = Path(tempfile.mkdtemp(prefix="publish-bench-"))
    demo_path = Path(args.demo_db) if args.demo_db else folder / "demo.duckdb"
    if not demo_path.exists():
        started = time.perf_counter()
        con = db.connect(demo_path)
        demo.create_demo(con, load_framework())
        con.close()
        print(f"built {demo_path} (demo) in {time.perf_counter() - started:.1f} s")
    big = Path(args.db) if args.db else folder / "million.duckdb"
    if not big.exists():
        started = time.perf_counter()
        n = build_million(big, args.values)
        print(f"built {big}: {n:,} values in {time.perf_counter() - started:.1f} s")

    for label, path in (("demo", demo_path), (f"{args.values:,} values", big)):
        rows = measure(path, args.repeat)
        print(f"\n{label}\n{'':34}{'cold (s)':>10}{'warm (s)':>10}")
        for name, c, w in rows:
            print(f"{name:34}{c:10.3f}{w:10.3f}" if w == w else f"{name:34}{c:10.3f}{'':>10}")
        publish, naive_row = rows[2], rows[3]
        print(f"ratio naive / publish: cold {naive_row[1] / publish[1]:.2f}×, warm {naive_row[2] / publish[2]:.2f}×")


if __name__ == "__main__":
    main()
