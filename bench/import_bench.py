"""Import benchmark: reports of 1 000, 10 000 and 100 000 rows.

For each size, in fresh processes (so peak memory is per run), `--repeat` times (3 by
default; the medians are printed): the full import (guard, read, validate, write into a new
DuckDB file) beside `pandas.read_excel(path, engine="openpyxl")` alone on the same file;
the ratio; the throughput; the peak memory (RSS) of the importing process and of the parse
child; and the guard's overhead (the same parse in-process vs in the child).

The child's peak is the VmHWM it reports itself: `getrusage(RUSAGE_CHILDREN)` would give
the parent's own peak, which Linux carries over into a child at spawn.

    python bench/import_bench.py [--sizes 1000 10000 100000] [--repeat 3] [--keep DIR]

Goal (issue 3): 100 000 rows imported in under a third of the naive read's time, above
50 000 rows/s, under 1 GB.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """A 7-column long-layout report with a title block: code, label, period, zone, audience, value, comment."""
    import openpyxl

    from ardenne_kpi.framework import load_framework

    fw = load_framework()
    rng = random.Random(seed)
    months = [f"{y}-{m:02d}" for y in range(2016, 2023) for m in range(1, 13) if "2016-10" <= f"{y}-{m:02d}" <= "2022-03"]
    zones = [z.code for z in fw.zones]
    audiences = [""] + [a.code for a in fw.audiences]
    keys = [(i, z, a, p) for i in fw.indicators for z in zones for a in audiences for p in months]
    rng.shuffle(keys)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Rapport")
    ws.append(["Rapport d'activité – généré pour le banc d'essai"])
    ws.append(["Opérateur : GEIE-DA"])
    ws.append([])
    ws.append(["Code", "Libellé", "Période", "Zone", "Public", "Valeur", "Commentaire"])
    for indicator, zone, audience, period in keys[:rows]:
        value = round(rng.uniform(0, 100), 1) if indicator.is_percent else rng.randint(0, 5000)
        ws.append([indicator.code, indicator.label, period, zone, audience or None, value,
                   "ok" if rng.random() < 0.05 else None])
    wb.save(path)


def _peak_mb() -> tuple[float, float]:
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return self_kb / 1024, child_kb / 1024


def run_import(path: str) -> dict:
    from ardenne_kpi import db
    from ardenne_kpi.reports import importer

    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "bench.duckdb"
        con = db.connect(database)
        fw = db.ensure_framework(con)
        started = time.perf_counter()
        result = importer.import_file(con, path, Path(path).name, user="bench", framework=fw, db_path=database)
        elapsed = time.perf_counter() - started
        con.close()
    assert result.status == "imported", [e.message for e in result.errors[:3]]
    stats = getattr(result, "parse_stats", {})  # older engines did not report the child's peak
    child = (stats.get("peak_rss") or 0) / 2**20
    return {"seconds": elapsed, "rows": result.inserted, "parent_mb": _peak_mb()[0], "child_mb": child}


def run_parse(path: str, isolated: bool) -> dict:
    from ardenne_kpi.framework import load_framework
    from ardenne_kpi.reports import importer

    fw = load_framework()
    data = Path(path).read_bytes()
    started = time.perf_counter()
    report = importer.parse_bytes(data, Path(path).name, fw, isolated=isolated)
    elapsed = time.perf_counter() - started
    assert report.ok
    return {"seconds": elapsed}


def run_pandas(path: str) -> dict:
    import pandas as pd

    started = time.perf_counter()
    frame = pd.read_excel(path, engine="openpyxl")
    elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "rows": len(frame), "parent_mb": _peak_mb()[0]}


def _fresh(mode: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--one", mode, str(path)], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; medians are printed (default 3)")
    parser.add_argument("--verbose", action="store_true", help="print every run, not only the medians")
    parser.add_argument("--keep", type=Path, help="keep the generated workbooks in this folder")
    parser.add_argument("--one", nargs=2, metavar=("MODE", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        mode, path = args.one
        runs = {"import": run_import, "pandas": run_pandas,
                "parse-child": lambda p: run_parse(p, True), "parse-inline": lambda p: run_parse(p, False)}
        print(json.dumps(runs[mode](path)))
        return
    folder = args.keep or Path(tempfile.mkdtemp(prefix="ardenne-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"medians of {args.repeat} runs")
    print(f"{'rows':>8} | {'import':>8} | {'pandas+openpyxl':>15} | {'ratio':>6} | {'rows/s':>8} | "
          f"{'peak parent':>11} | {'peak child':>10} | {'guard overhead':>14}")
    print("-" * 104)
    for size in args.sizes:
        path = folder / f"report_{size}.xlsx"
        if not path.exists():
            generate(path, size)
        runs = []
        for _ in range(args.repeat):  # interleaved, so a noisy minute hurts both sides alike
            imp, naive = _fresh("import", path), _fresh("pandas", path)
            child, inline = _fresh("parse-child", path), _fresh("parse-inline", path)
            runs.append({"import": imp["seconds"], "pandas": naive["seconds"],
                         "ratio": imp["seconds"] / naive["seconds"], "parent": imp["parent_mb"],
                         "child": imp["child_mb"], "overhead": child["seconds"] - inline["seconds"]})
        m = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        print(f"{size:>8} | {m['import']:>7.2f}s | {m['pandas']:>14.2f}s | {m['ratio']:>6.2f} | "
              f"{size / m['import']:>8.0f} | {m['parent']:>8.0f} MB | {m['child']:>7.0f} MB | "
              f"{m['overhead']:>+13.2f}s", flush=True)
        if args.verbose:
            for r in runs:
                print("         " + "  ".join(f"{k}={v:.2f}" for k, v in r.items()))
    print(f"\nfiles: {folder}")


if __name__ == "__main__":
    main()
