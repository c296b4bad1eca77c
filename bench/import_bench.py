"""Import benchmark on a report shaped like a partner's long export.

One row per indicator × period × zone × audience: 48 indicators of the shipped framework,
the monthly and quarterly periods of the programme, 6 zones, 4 audiences, cut at the size
asked (100 000 rows by default). For each size, `--repeat` rounds (5 by default, medians
printed), each round in fresh processes and interleaved so that a noisy minute hurts every
side alike:

- the whole `python -m ardenne_kpi import FILE --db NEW.duckdb` process (NEW made empty by
  `init --empty` first), wall time, CPU time
  (user + system of the process tree: what a loaded machine changes least) and peak
  memory (the largest `ru_maxrss` of its process tree, through `RUSAGE_CHILDREN` of a
  wrapper process that runs only that command);
- the same command from a reference checkout (`--ref DIR`, e.g. the main branch) when given;
- python-calamine alone reading every sheet of the same file (`to_python`), in a fresh
  process: the floor any import is compared to.

Then the preview the Import page computes after a drop (the dry run of
`importer.import_file`, then the verdict, the issues table and the changes table of
`import_view`), for a 50-row and a 10 000-row report, in a fresh process per checkout: its
first preview (which pays the imports) and the median of the next `--repeat` (a warm server).

    python bench/import_bench.py [--sizes 100000] [--repeat 5] [--ref /work/main] [--keep DIR]

Goals (issue 16): a 100 000-row import at 50 000 rows/s or more and within 3× calamine's
read, peak memory no higher than before (~300 MB); previews within 1.5 s (50 rows) and
3 s (10 000 rows).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# the checkout whose package this process measures (a reference one for `--ref` runs)
sys.path.insert(0, os.environ.get("ARDENNE_BENCH_CHECKOUT") or str(ROOT))

ZONES, AUDIENCES, INDICATORS = 6, 4, 48


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """The partner-like long report, in period order, cut at `rows` rows (openpyxl, write-only)."""
    import openpyxl

    from ardenne_kpi.framework import load_framework

    fw = load_framework()
    rng = random.Random(seed)
    indicators = fw.indicators[:INDICATORS]
    zones = [z.code for z in fw.zones][:ZONES]
    audiences = [a.code for a in fw.audiences][:AUDIENCES]
    periods = []
    for year in range(2016, 2023):
        months = [f"{year}-{m:02d}" for m in range(1, 13) if "2016-10" <= f"{year}-{m:02d}" <= "2022-03"]
        periods += months + [f"T{q} {year}" for q in range(1, 5) if f"{year}-{3 * q:02d}" in months]
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Rapport")
    ws.append(["Rapport d'activité – généré pour le banc d'essai"])
    ws.append(["Opérateur : GEIE-DA"])
    ws.append([])
    ws.append(["Code", "Libellé", "Période", "Zone", "Public", "Valeur", "Commentaire"])
    n = 0
    for period in periods:
        for indicator in indicators:
            for zone in zones:
                for audience in audiences:
                    if n == rows:
                        break
                    value = round(rng.uniform(0, 100), 1) if indicator.is_percent else rng.randint(0, 5000)
                    ws.append(
                        [
                            indicator.code,
                            indicator.label,
                            period,
                            zone,
                            audience,
                            value,
                            "ok" if rng.random() < 0.05 else None,
                        ]
                    )
                    n += 1
    wb.save(path)


# ------------------------------------------------------------------ run in fresh processes


def run_command(argv: list[str], cwd: str) -> dict:
    """In a wrapper process: run one command, report its wall time and its tree's peak RSS."""
    env = dict(os.environ, PYTHONPATH=cwd)
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024}


def run_read(path: str) -> dict:
    """python-calamine alone: every sheet's cells, as the engine asks for them."""
    import python_calamine as pc

    started, cpu = time.perf_counter(), time.process_time()
    book = pc.CalamineWorkbook.from_path(path)
    cells = sum(len(book.get_sheet_by_name(name).to_python(skip_empty_area=False)) for name in book.sheet_names)
    return {"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu, "rows": cells}


def _fresh(mode: str, *args: str, checkout: Path = ROOT) -> dict:
    env = dict(os.environ, ARDENNE_BENCH_CHECKOUT=str(checkout))
    out = subprocess.run(
        [sys.executable, __file__, "--one", mode, *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=checkout,
        env=env,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _import(checkout: Path, path: Path, folder: Path) -> dict:
    database = Path(tempfile.mkdtemp(dir=folder)) / "bench.duckdb"
    # Only `init` creates a base (issue 24): the import lands in a new empty one, made first, unmeasured.
    subprocess.run(
        [sys.executable, "-m", "ardenne_kpi", "init", "--empty", "--db", str(database)],
        cwd=checkout,
        check=True,
        capture_output=True,
    )
    argv = [sys.executable, "-m", "ardenne_kpi", "import", str(path), "--db", str(database), "--user", "bench"]
    return _fresh("command", str(checkout), json.dumps(argv))


# ------------------------------------------------------------------ the preview, in process


def preview(path: Path) -> float:
    """Seconds from the dropped bytes to what the Import page shows (dry run, verdict, tables)."""
    from ardenne_kpi import db
    from ardenne_kpi.intake import importer

    try:
        from ardenne_kpi.intake import import_view
    except ImportError:  # a checkout from before the module was renamed (was intake/import_review.py)
        from ardenne_kpi.intake import import_review as import_view

    data = path.read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        con = db.connect(Path(tmp) / "preview.duckdb")
        fw = db.ensure_framework(con)
        started = time.perf_counter()
        result = importer.import_file(con, data, path.name, dry_run=True, framework=fw)
        import_view.verdict(result)
        import_view.issues_table(result.errors + result.warnings)
        import_view.changes_table(result.changes, fw)
        seconds = time.perf_counter() - started
        con.close()
    assert result.status == "dry-run", [e.message for e in result.errors[:3]]
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000])
    parser.add_argument("--preview-sizes", type=int, nargs="*", default=[50, 10_000])
    parser.add_argument("--repeat", type=int, default=5, help="rounds per size; medians are printed (default 5)")
    parser.add_argument("--ref", type=Path, help="a reference checkout (e.g. /work/main) whose import runs beside")
    parser.add_argument("--verbose", action="store_true", help="print every round, not only the medians")
    parser.add_argument("--keep", type=Path, help="keep the generated workbooks in this folder")
    parser.add_argument("--one", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        mode, *rest = args.one
        if mode == "preview":
            times = [preview(Path(rest[0])) for _ in range(int(rest[1]) + 1)]
            out = {"cold": times[0], "warm": statistics.median(times[1:])}
        else:
            out = run_read(rest[0]) if mode == "read" else run_command(json.loads(rest[1]), rest[0])
        print(json.dumps(out))
        return
    folder = args.keep or Path(tempfile.mkdtemp(prefix="ardenne-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(
        f"medians of {args.repeat} rounds; partner-like long report "
        f"({INDICATORS} indicators × months and quarters × {ZONES} zones × {AUDIENCES} audiences)"
    )
    for size in args.sizes:
        path = folder / f"partner_{size}.xlsx"
        if not path.exists():
            generate(path, size)
        rounds = []
        for _ in range(args.repeat):
            read = _fresh("read", str(path))
            r = {"read": read["seconds"], "read_cpu": read["cpu"]}
            imp = _import(ROOT, path, folder)
            r.update(import_s=imp["seconds"], cpu=imp["cpu"], peak=imp["peak_mb"], ratio=imp["seconds"] / r["read"])
            if args.ref:
                ref = _import(args.ref, path, folder)
                r.update(
                    ref_s=ref["seconds"],
                    ref_cpu=ref["cpu"],
                    ref_peak=ref["peak_mb"],
                    ref_ratio=ref["seconds"] / r["read"],
                    speedup=ref["seconds"] / imp["seconds"],
                )
            rounds.append(r)
            if args.verbose:
                print("   " + "  ".join(f"{k}={v:.2f}" for k, v in r.items()), flush=True)
        m = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
        print(
            f"{size:>7} rows | import {m['import_s']:.2f} s = {size / m['import_s']:,.0f} rows/s | "
            f"calamine read {m['read']:.2f} s | import/read {m['ratio']:.2f}× | peak {m['peak']:.0f} MB | "
            f"CPU {m['cpu']:.2f} s (read {m['read_cpu']:.2f} s)"
        )
        if args.ref:
            print(
                f"{'':>7} ref  | import {m['ref_s']:.2f} s = {size / m['ref_s']:,.0f} rows/s | "
                f"import/read {m['ref_ratio']:.2f}× | peak {m['ref_peak']:.0f} MB | CPU {m['ref_cpu']:.2f} s | "
                f"this checkout {m['speedup']:.2f}× faster",
                flush=True,
            )
    for size in args.preview_sizes:
        path = folder / f"partner_{size}.xlsx"
        if not path.exists():
            generate(path, size)
        # in a fresh process: the first preview pays the imports (a page's first file), the next
        # ones are what a warm server pays
        ours = _fresh("preview", str(path), str(args.repeat))
        line = f"preview {size:>6} rows: {ours['warm']:.2f} s after the drop (first in a process {ours['cold']:.2f} s)"
        if args.ref:
            ref = _fresh("preview", str(path), str(args.repeat), checkout=args.ref)
            line += f" | ref {ref['warm']:.2f} s (first {ref['cold']:.2f} s)"
        print(line, flush=True)
    print(f"\nfiles: {folder}")


if __name__ == "__main__":
    main()
