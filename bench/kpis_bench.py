"""Benchmark of the KPI trends on a database of one million values.

    /work/venv/bin/python bench/kpis_bench.py [--values 1000000] [--db PATH] [--keep]

Builds the database (shipped framework; every indicator reported by many operator × zone ×
audience series at its own frequency; DataFrame → INSERT SELECT), then times in one run:
- the `export kpis` computation and CSV (in process, and the CLI once, interpreter included);
- the Tendances page's computation: indicator_status for all indicators, the trends of
  all of them (small multiples), one indicator broken down by zone and one lineage;
- the Tendances page itself through AppTest (first run, then reruns: Streamlit's cache);
- the same aggregation done naively in pandas after reading the whole table;
- the reference: the same page and export computations by an earlier commit of this
  repository (`--reference`, default the aggregation before the series-by-series rules:
  one figure per stored period, no territories, no due series), on a database its own
  bench builds with the same shape, in the same run.
Cold = a fresh process opening the database; warm = the same process again. Prints medians.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import harness  # noqa: E402  (bench/harness.py: this script's folder is on sys.path)

from ardenne_kpi import db, figures  # noqa: E402
from ardenne_kpi.cli.kpis import to_csv  # noqa: E402
from ardenne_kpi.core.periods import periods_between  # noqa: E402
from ardenne_kpi.db import kpis as kpis_sql  # noqa: E402
from ardenne_kpi.framework import load_framework  # noqa: E402

REFERENCE = "f248ff2"  # the last commit before figures were rolled up series by series (issue 11)
DETAIL = "CLI08"  # the indicator shown in detail: quarterly flow with a yearly target
GRAIN = "programme-semester"


def build(path: Path, n_values: int) -> int:
    """Write a database of about `n_values` current values; returns the exact count."""
    fw = load_framework()
    cal = fw.calendar
    periods = {}
    for ind in fw.indicators:
        ps = [
            p for p in periods_between(ind.grain, cal.start, cal.end, cal) if cal.start <= p.start and p.end <= cal.end
        ]
        periods[ind.code] = ps
    per_series = sum(len(p) for p in periods.values())
    n_series = -(-n_values // per_series)
    ops = [o.code for o in fw.operators]
    zones = [z.code for z in fw.zones]
    auds = ["", *(a.code for a in fw.audiences)]
    combos = [(o, z, a) for a in auds for z in zones for o in ops]
    # Beyond the framework's combinations, synthetic audiences keep the series distinct.
    combos += [(ops[i % len(ops)], zones[i % len(zones)], f"X{i}") for i in range(max(0, n_series - len(combos)))]
    series = pd.DataFrame(combos[:n_series], columns=["operator", "zone", "audience"])
    rng = np.random.default_rng(7)
    frames = []
    for code, ps in periods.items():
        p = pd.DataFrame(
            {
                "period": [x.code for x in ps],
                "grain": [x.grain for x in ps],
                "period_start": [x.start for x in ps],
                "period_end": [x.end for x in ps],
            }
        )
        f = series.merge(p, how="cross")
        f.insert(0, "indicator", code)
        frames.append(f)
    values = pd.concat(frames, ignore_index=True).iloc[:n_values]
    values["value"] = rng.uniform(0, 1000, len(values)).round(1)
    values["comment"] = None
    values["upload_id"] = (
        values["operator"].map({o: i for i, o in enumerate(ops)}) * 100 + values["period_end"].map(lambda d: d.year)
    ) % 100000 + 1
    values["sheet"] = "Indicateurs"
    values["cell"] = "H" + (values.groupby("upload_id").cumcount() + 6).astype(str)
    ids = sorted(values["upload_id"].unique())
    uploads = pd.DataFrame(
        {
            "id": ids,
            "file_name": [f"rapport_{i}.xlsx" for i in ids],
            "sha256": [str(i) for i in ids],
            "size_bytes": 0,
            "operator": "bench",
            "uploaded_by": "bench",
            "uploaded_at": pd.Timestamp("2022-05-01 10:00"),
            "status": "demo",
            "inserted": 0,
        }
    )
    con = db.connect(path)
    db.sync_framework(con, fw)
    db.write_demo(con, uploads, values)
    con.close()
    return len(values)


def page_computation(con, fw) -> None:
    """What the Tendances page computes, without Streamlit's cache: its default view, then the
    breakdown and the lineage (each computed only once its tab is open, since session 11).
    Kept whole so that a reference commit's figure, made by its own copy of this bench, compares."""
    default_view(con, fw)
    detail_tabs(con, fw)


def default_view(con, fw) -> None:
    """The page as it opens: the status and every indicator's trend (the values table and the
    trend chart are drawn from them)."""
    codes = [i.code for i in fw.indicators]
    figures.status_and_trends(con, fw, codes, GRAIN)  # the status and the small multiples' trends


def detail_tabs(con, fw) -> None:
    """The « Ventilation » and « D'où vient ce chiffre ? » tabs, when the reader opens them."""
    figures.aggregate(con, fw, DETAIL, GRAIN, by="zone")
    figures.lineage(con, fw, DETAIL, "S05")


def export_computation(con, fw) -> bytes:
    return to_csv(figures.export_frame(con, fw, GRAIN))


def naive(con, fw) -> pd.DataFrame:
    """The detail indicator's aggregation done the naive way: read everything, then pandas."""
    frame = kpis_sql.naive_read(con)
    ind = fw.indicator(DETAIL)
    part = frame[frame["indicator"] == DETAIL].copy()
    sems = fw.calendar.semesters
    starts = pd.to_datetime(part["period_start"])
    ends = pd.to_datetime(part["period_end"])
    code = pd.Series(None, index=part.index, dtype=object)
    for s in sems:
        inside = (starts >= pd.Timestamp(s.start)) & (ends <= pd.Timestamp(s.end))
        code[inside] = s.code
    part["target"] = code
    part = part[part["target"].notna()]
    per_series = part.groupby(["target", "operator", "zone", "audience"])["value"].agg(ind.agg_time)
    return per_series.groupby(level="target").agg(ind.agg_space)


def child(path: str, what: str) -> None:
    """Cold measurement: a fresh process opens the database and runs `what` once."""
    harness.child(path, {"page": page_computation, "export": export_computation, "naive": naive}[what])


def cold(path: Path, what: str, repeat: int) -> list[float]:
    return harness.cold(__file__, path, what, repeat)


def apptest(path: Path, reruns: int) -> tuple[float, list[float]]:
    from streamlit.testing.v1 import AppTest

    os.environ["ARDENNE_DB"] = str(path)
    at = AppTest.from_file(str(ROOT / "pages" / "2_Tendances.py"), default_timeout=120)
    first = harness.timed(at.run)
    assert not at.exception, [e.value for e in at.exception]
    return first, [harness.timed(at.run) for _ in range(reruns)]


# Run with a checkout first on sys.path (this one or the reference's): builds its database,
# or times its page and export computations, warm (median of `repeat`) after a cold first run
# (the process opens the database and computes once), printing JSON.
_DRIVER = """
import json, statistics, sys, time
from pathlib import Path
tree, what, path, repeat = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
sys.path[:0] = [tree + "/bench", tree]
import harness, kpis_bench as b
from ardenne_kpi import db
if what == "build":
    print(json.dumps({"values": b.build(path, repeat)}))
else:
    fn = {"page": b.page_computation, "export": b.export_computation}[what]
    start = time.perf_counter()
    con = db.connect(path, read_only=True)
    fn(con, db.stored_framework(con))
    cold = time.perf_counter() - start
    fw = db.stored_framework(con)
    print(json.dumps({"cold": cold, "warm": statistics.median(harness.timed(fn, con, fw) for _ in range(repeat))}))
"""


def _driver(tree: Path, what: str, path: Path, arg: int) -> dict:
    res = subprocess.run(
        [sys.executable, "-c", _DRIVER, str(tree), what, str(path), str(arg)],
        capture_output=True,
        text=True,
        check=True,
        cwd=tree,
    )
    return json.loads(res.stdout.strip().splitlines()[-1])


def against_reference(rev: str, path: Path, n_values: int, rounds: int, repeat: int) -> dict | None:
    """{task: {"now"|"reference": (cold, warm) medians}} for the page and export computations,
    this checkout and commit `rev` (on a database its own bench builds) measured in turn,
    round after round, so both meet the same load; None when this clone lacks `rev`."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], capture_output=True)
    if archive.returncode:
        print(f"reference {rev} unavailable here ({archive.stderr.decode().strip()}): no comparison")
        return None
    ref = Path(tempfile.mkdtemp(prefix=f"reference-{rev}-", dir=path.parent))
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(ref, filter="data")
    ref_path = ref / "bench.duckdb"
    _driver(ref, "build", ref_path, n_values)
    runs: dict[tuple[str, str], list[dict]] = {}
    for _ in range(rounds):
        for task in ("page", "export"):
            for side, tree, db_path in (("now", ROOT, path), ("reference", ref, ref_path)):
                runs.setdefault((task, side), []).append(_driver(tree, task, db_path, repeat))
    med = statistics.median
    return {
        task: {
            side: (med(r["cold"] for r in runs[(task, side)]), med(r["warm"] for r in runs[(task, side)]))
            for side in ("now", "reference")
        }
        for task in ("page", "export")
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", type=int, default=1_000_000)
    parser.add_argument("--db", help="database to use (built when absent)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--reference",
        default=REFERENCE,
        help=f"commit to compare with in the same run (default {REFERENCE}; 'none' to skip)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.db, args.child)
        return

    path = Path(args.db) if args.db else Path(tempfile.mkdtemp(prefix="kpis-bench-")) / "bench.duckdb"
    if not path.exists():
        t = time.perf_counter()
        n = build(path, args.values)
        print(f"built {path}: {n:,} values in {time.perf_counter() - t:.1f} s")
    med = statistics.median
    r = args.repeat
    rows = []

    con = db.connect(path, read_only=True)
    fw = db.stored_framework(con)
    for name, fn in (
        ("page computation", page_computation),
        ("  default view (as it opens)", default_view),
        ("  the two detail tabs, opened", detail_tabs),
        ("export kpis", export_computation),
        ("naive pandas (1 indicator)", naive),
    ):
        fn(con, fw)  # warm-up
        warm = [harness.timed(fn, con, fw) for _ in range(r)]
        kind = {"page computation": "page", "export kpis": "export", "naive pandas (1 indicator)": "naive"}.get(name)
        rows.append((name, med(cold(path, kind, max(3, r // 2))) if kind else float("nan"), med(warm)))
    con.close()

    t = time.perf_counter()
    out = path.with_suffix(".csv")
    subprocess.run(
        [sys.executable, "-m", "ardenne_kpi", "export", "kpis", "--grain", GRAIN, "--out", str(out), "--db", str(path)],
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    cli = time.perf_counter() - t
    first, reruns = apptest(path, r)
    ref = None if args.reference == "none" else against_reference(args.reference, path, args.values, r, 3)

    print(f"\n{'':32}{'cold (s)':>10}{'warm (s)':>10}")
    for name, c, w in rows:
        print(f"{name:32}{c:10.3f}{w:10.3f}")
    print(f"{'export kpis CLI (wall, 1 run)':32}{cli:10.3f}")
    print(f"{'Tendances AppTest first run':32}{first:10.3f}")
    print(f"{'Tendances AppTest rerun':32}{'':10}{med(reruns):10.3f}")
    if ref:
        print(
            f"\nagainst the reference {args.reference} (its own database of the same shape), measured in turn "
            f"in {r} rounds, medians:"
        )
        print(f"{'':32}{'cold (s)':>10}{'warm (s)':>10}")
        for task, label in (("page", "page computation"), ("export", "export kpis")):
            (nc, nw), (rc, rw) = ref[task]["now"], ref[task]["reference"]
            print(f"{label + ' now':32}{nc:10.3f}{nw:10.3f}")
            print(
                f"{label + ' reference':32}{rc:10.3f}{rw:10.3f}   now / reference: cold {nc / rc:.2f}×, "
                f"warm {nw / rw:.2f}×"
            )
    page, naive_row = rows[0], rows[-1]
    print(
        f"\nratios: naive pandas for ONE indicator / page computation for ALL: "
        f"cold {naive_row[1] / page[1]:.1f}×, warm {naive_row[2] / page[2]:.1f}×"
    )


if __name__ == "__main__":
    main()
