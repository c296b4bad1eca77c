"""Demo benchmark: how long the demo database takes to create (the app's first start, the
test fixtures), through the real path, beside the old in-memory path.

Each run builds a fresh database file, `--repeat` times (3 by default; medians printed):

- the shipped demo: `demo.install_demo`, data/demo.tar.xz (made by the real path below)
  unpacked as a new database and its files: what a first start does;
- real path: `demo.create_demo`: every report written as a workbook, imported through the
  engine, its file kept under uploads/ (a first start when no shipped demo serves);
- the writing alone: the same workbooks written (against the finished demo), not imported;
- old in-memory path (baseline): the same values written straight into the tables with
  `db.write_demo` and invented lineage, as the demo was made before issue 11.

Wall-clock seconds and this process's CPU seconds: on a shared machine the CPU figure
moves less with other people's load.

    python bench/demo_bench.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ardenne_kpi import db, demo  # noqa: E402
from ardenne_kpi.demo import reports as demo_reports  # noqa: E402
from ardenne_kpi.framework import load_framework  # noqa: E402
from ardenne_kpi.intake import brand  # noqa: E402


def shipped(folder: Path, fw) -> None:
    if not demo.install_demo(folder / "shipped" / "demo.duckdb", fw):  # its own uploads/
        raise SystemExit("no shipped demo serves this framework and schema: python -m ardenne_kpi.demo")


def real_path(folder: Path, fw) -> None:
    con = db.connect(folder / "demo.duckdb")
    demo.create_demo(con, fw)
    con.close()


def old_path(folder: Path, fw) -> None:
    """The pre-issue-11 demo: values and uploads written straight into the tables."""
    uploads, values = demo.build_values(fw)
    uploads = uploads.assign(
        sha256=[f"demo:{n}" for n in uploads["file_name"]],
        size_bytes=0,
        status="demo",
        inserted=uploads["id"].map(values.groupby("upload_id").size()),
    )
    values = values.assign(sheet="Indicateurs", cell="H" + (values.groupby("upload_id").cumcount() + 6).astype(str))
    con = db.connect(folder / "old.duckdb")
    db.sync_framework(con, fw)
    db.write_demo(con, uploads, values)
    brand.create_demo_scores(con, fw)
    con.close()


def writing_only(database: Path, fw) -> None:
    uploads, values = demo.build_values(fw)
    scores = dict(iter(brand.demo_scores(fw).groupby("file_name", sort=False)))
    by_upload = dict(iter(values.groupby("upload_id", sort=False)))
    con = db.connect(database, read_only=True)
    for u in uploads.itertuples(index=False):
        demo_reports.write_report(
            con, fw, u.operator, u.period, by_upload[u.id], scores.get(u.file_name), written=u.uploaded_at.date()
        )
    con.close()


def measure(fn, *args) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn(*args)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    fw = load_framework()
    runs: dict[str, list[tuple[float, float]]] = {
        "shipped demo (install_demo)": [],
        "real path (create_demo)": [],
        "writing the workbooks alone": [],
        "old in-memory path (baseline)": [],
    }
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            runs["shipped demo (install_demo)"].append(measure(shipped, folder, fw))
            runs["real path (create_demo)"].append(measure(real_path, folder, fw))
            runs["writing the workbooks alone"].append(measure(writing_only, folder / "demo.duckdb", fw))
            runs["old in-memory path (baseline)"].append(measure(old_path, folder, fw))
            files = len(list((folder / "uploads").iterdir()))
    print(f"demo: {files} report files kept; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for name, timings in runs.items():
        wall = statistics.median(t[0] for t in timings)
        cpu = statistics.median(t[1] for t in timings)
        print(
            f"{name:32} median {wall:6.2f} s wall, {cpu:6.2f} s CPU  (runs: "
            + ", ".join(f"{t[0]:.2f}" for t in timings)
            + ")"
        )


if __name__ == "__main__":
    main()
