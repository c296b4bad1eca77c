"""Every export of the demo in one folder, and a comparison of two such folders apart from dates.

    /work/venv/bin/python bench/export_snapshot.py OUT_DIR [--root CHECKOUT]
    /work/venv/bin/python bench/export_snapshot.py --compare A B

The first form builds the demo database in a temporary folder (`init`, which unpacks the
shipped demo) and runs the command line of CHECKOUT (default: the checkout holding this
script) on it, writing into OUT_DIR:
- `values.csv` (`export values`); `kpis-GRAIN.csv` (`export kpis`, every grain);
- `coverage.xlsx` and `coverage.csv` (`export coverage`);
- `pack.pdf` and `pack.xlsx` (`export pack`, no snapshot), then, after a snapshot taken on
  SNAPSHOT_DATE, `pack-since-snapshot.pdf` and `.xlsx` (the pack that compares with it);
- `templates/OPERATOR-PERIOD.xlsx` (`template`, every operator, each of TEMPLATE_PERIODS);
- `lineage/INDICATOR-PERIOD-GRAIN.json` and `.txt` (`lineage`, every indicator at every grain,
  at its last period with a value in `kpis-GRAIN.csv`; « / » of a period written « _ »);
- `site/` (`publish`: index.html, embeds, open data, plotly.min.js);
- `snapshot.json`: the run's days, the checkout's commit, each command and its exit code (a
  refused command leaves its French message in `NAME.stderr.txt` instead of its file).

The second form compares A and B file by file and prints what differs (exit code 1), or says
they are the same (exit code 0). What is normalised, and nothing else:
- **the days of the run** (each folder's own, from its `snapshot.json`): the demo's data ends
  in 2022, so a date of the run's days can only be a generation stamp (the template's « modèle
  généré le », the coverage workbook's and the pack's generation time, the snapshot's creation
  time, workbook and PDF metadata). They are masked in every text form: ISO (`2026-05-12`,
  with a time `T10:04:05` or ` 10:04`), French (`12/05/2026`, `12/05/2026 10:04`,
  `12/05/2026 à 10h04`, `12 mai 2026`), compact (`20260512100405`, PDF metadata), and
  Excel serial numbers of those days (`46154.41950231481`, a datetime cell);
- **xlsx** files are compared member by member once unzipped (the zip's own timestamps are
  not compared), each XML member with the dates masked;
- **pdf** files are compared by their metadata, each page's extracted text (dates masked) and
  each page's images (SHA-256): not byte for byte, since fpdf2 writes the creation time and
  a file identifier derived from it.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import difflib
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRAINS = ["quarter", "semester", "programme-semester", "programme-year", "year"]
TEMPLATE_PERIODS = ["S07", "S11"]  # a complete semester, and the last one (a missing report)
SNAPSHOT_DATE = "2021-10-15"
MANIFEST = "snapshot.json"
MONTHS_FR = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]

# ------------------------------------------------------------------ writing a snapshot

# Runs many commands of `python -m ardenne_kpi` in one process (argv[1], JSON: [name, args,
# file for its output or null]) and prints their exit codes (a refusal without an output file
# leaves its message in argv[2]/NAME.stderr.txt): two hundred commands, each paying
# the interpreter's start, would take minutes.
_BATCH_DRIVER = """
import contextlib, io, json, sys
from ardenne_kpi.cli import main
codes = {}
for name, args, output in json.loads(sys.argv[1]):
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stdout):
        try:
            codes[name] = main(args)
        except SystemExit as exc:  # a usage error
            codes[name] = exc.code
    if output or codes[name] != 0:
        with open(output or f"{sys.argv[2]}/{name}.stderr.txt", "w", encoding="utf-8") as f:
            f.write(stdout.getvalue())
print(json.dumps(codes))
"""

_OPERATORS = """
from ardenne_kpi.framework import DEFAULT_PATH, load_framework
print("\\n".join(op.code for op in load_framework(DEFAULT_PATH).operators))
"""


def _environment(root: Path) -> dict[str, str]:
    """The command's environment: the checkout first on the path, no ARDENNE_* setting of this shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARDENNE_")}
    env["PYTHONPATH"] = str(root)
    return env


def _git_commit(root: Path) -> str:
    done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else ""


class _Runner:
    """Runs commands of one checkout on one database, recording each one's exit code."""

    def __init__(self, root: Path, database: Path, out: Path) -> None:
        self.root, self.database, self.out = root, database, out
        self.env = _environment(root)
        self.commands: list[dict] = []

    def python(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, *args], cwd=self.root, env=self.env, capture_output=True, text=True, check=False
        )

    def cli(self, name: str, *args: str) -> int:
        """`python -m ardenne_kpi ARGS --db DATABASE`; a refusal's stderr is kept as NAME.stderr.txt."""
        done = self.python("-m", "ardenne_kpi", *args, "--db", str(self.database))
        self.commands.append({"name": name, "args": list(args), "exit": done.returncode})
        if done.returncode != 0:
            (self.out / f"{name}.stderr.txt").write_text(
                done.stderr.replace(str(self.database.parent), "TMP"), encoding="utf-8"
            )
        print(f"  {name}: {'ok' if done.returncode == 0 else f'code {done.returncode}'}", flush=True)
        return done.returncode

    def batch(self, commands) -> None:
        """Commands `[name, args, output file or None]` run in one process (_BATCH_DRIVER)."""
        commands = [[name, [*args, "--db", str(self.database)], output] for name, args, output in commands]
        done = self.python("-c", _BATCH_DRIVER, json.dumps(commands), str(self.out))
        if done.returncode != 0:
            raise SystemExit(f"{commands[0][0]}…: {done.stderr}")
        codes = json.loads(done.stdout)
        self.commands += [{"name": name, "args": args[:-2], "exit": codes[name]} for name, args, _ in commands]
        refused = sum(1 for code in codes.values() if code != 0)
        print(f"  {commands[0][0]}… ({len(commands)} commands in one process): {refused} refused", flush=True)


def _last_periods(kpis_csv: Path) -> dict[str, str]:
    """Each indicator's last period with a value in an `export kpis` file."""
    last: dict[str, str] = {}
    with kpis_csv.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["value"] != "":
                last[row["indicator"]] = row["period"]  # the file is sorted by indicator, then period
    return last


def write_snapshot(out: Path, root: Path) -> None:
    """Every export of the demo built by `root`'s code, into `out` (created; must be empty)."""
    out.mkdir(parents=True, exist_ok=True)
    if any(out.iterdir()):
        raise SystemExit(f"{out} is not empty: give an empty or new folder.")
    started = dt.date.today()
    with tempfile.TemporaryDirectory(prefix="export-snapshot-") as tmp:
        run = _Runner(root, Path(tmp) / "demo.duckdb", out)
        if run.cli("init", "init", "--demo") != 0:
            raise SystemExit(f"init failed: {(out / 'init.stderr.txt').read_text(encoding='utf-8')}")
        run.cli("values", "export", "values", "--out", str(out / "values.csv"))
        for grain in GRAINS:
            run.cli(f"kpis-{grain}", "export", "kpis", "--grain", grain, "--out", str(out / f"kpis-{grain}.csv"))
        for suffix in ("xlsx", "csv"):
            run.cli(f"coverage-{suffix}", "export", "coverage", "--out", str(out / f"coverage.{suffix}"))
        run.cli("pack", "export", "pack", "--out", str(out / "pack.pdf"))
        (out / "templates").mkdir()
        operators = run.python("-c", _OPERATORS).stdout.split()
        run.batch(
            [
                f"templates/{operator}-{period}",
                [
                    "template",
                    "--operator",
                    operator,
                    "--period",
                    period,
                    "--out",
                    f"{out}/templates/{operator}-{period}.xlsx",
                ],
                None,
            ]
            for operator in operators
            for period in TEMPLATE_PERIODS
        )
        (out / "lineage").mkdir()
        cases = [
            (indicator, period, grain)
            for grain in GRAINS
            for indicator, period in _last_periods(out / f"kpis-{grain}.csv").items()
        ]
        run.batch(
            [
                f"lineage/{name}.{form}",
                ["lineage", indicator, period, "--grain", grain, *extra],
                f"{out}/lineage/{name}.{form}",
            ]
            for indicator, period, grain in cases
            for name in [f"{indicator}-{period.replace('/', '_')}-{grain}"]
            for form, extra in (("json", ["--json"]), ("txt", []))
        )
        run.cli("publish", "publish", "--out", str(out / "site"))
        run.cli("snapshot", "snapshot", "create", "Comité de démonstration", "--date", SNAPSHOT_DATE)
        run.cli("pack-since-snapshot", "export", "pack", "--out", str(out / "pack-since-snapshot.pdf"))
    manifest = {
        "root": str(root),
        "commit": _git_commit(root),
        "days": sorted({started.isoformat(), dt.date.today().isoformat()}),
        "commands": run.commands,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


# ------------------------------------------------------------------ comparing two snapshots


def _excel_serial(day: dt.date) -> int:
    return (day - dt.date(1899, 12, 30)).days


def date_masker(days: list[str]):
    """A function replacing, in a text, every written form of these days (and their times) by «DATE»."""
    forms = []
    for text in days:
        d = dt.date.fromisoformat(text)
        forms += [
            rf"{d:%Y-%m-%d}(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?)?",
            rf"{d:%d/%m/%Y}(?:(?: à)? \d\d[:h]\d\d(?::\d\d)?)?",
            rf"0?{d.day}(?:er)? {MONTHS_FR[d.month - 1]} {d.year}",
            rf"{d:%Y%m%d}\d{{0,6}}(?:Z|[+-]\d\d'?\d\d'?)?",
            rf"(?<![\d.]){_excel_serial(d)}(?:\.\d+)?(?![\d.])",
        ]
    pattern = re.compile("|".join(f"(?:{f})" for f in forms))
    return lambda text: pattern.sub("«DATE»", text)


def _text_or_none(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _xlsx_parts(data: bytes, mask) -> dict[str, str]:
    parts = {}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in sorted(z.namelist()):
            member = z.read(name)
            text = _text_or_none(member)
            parts[name] = mask(text) if text is not None else "sha256 " + hashlib.sha256(member).hexdigest()
    return parts


def _pdf_parts(data: bytes, mask) -> dict[str, str]:
    from pypdf import PdfReader  # requirements-dev: the comparison only

    reader = PdfReader(io.BytesIO(data))
    parts = {"metadata": mask(json.dumps({k: str(v) for k, v in (reader.metadata or {}).items()}, sort_keys=True))}
    for n, page in enumerate(reader.pages, start=1):
        parts[f"page {n} text"] = mask(page.extract_text())
        images = [f"{image.name} sha256 {hashlib.sha256(image.data).hexdigest()}" for image in page.images]
        parts[f"page {n} images"] = "\n".join(images)
    return parts


def comparable_parts(path: Path, mask) -> dict[str, str]:
    """The parts of a file that are compared, by name, dates masked (see the module's docstring)."""
    data = path.read_bytes()
    if path.suffix == ".xlsx":
        return _xlsx_parts(data, mask)
    if path.suffix == ".pdf":
        return _pdf_parts(data, mask)
    text = _text_or_none(data)
    return {"": mask(text) if text is not None else "sha256 " + hashlib.sha256(data).hexdigest()}


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST}


def _days(folder: Path) -> list[str]:
    manifest = folder / MANIFEST
    if not manifest.exists():
        raise SystemExit(f"{folder} has no {MANIFEST}: not a folder written by this script.")
    return json.loads(manifest.read_text(encoding="utf-8"))["days"]


def _diff(a: str, b: str, label: str, limit: int = 12) -> list[str]:
    lines = list(difflib.unified_diff(a.splitlines(), b.splitlines(), f"A {label}", f"B {label}", n=0, lineterm=""))
    more = [f"    … {len(lines) - limit} more diff lines"] if len(lines) > limit else []
    return ["    " + line[:300] for line in lines[:limit]] + more


def compare(a: Path, b: Path) -> list[str]:
    """What differs between two snapshots, one report line (or a few) per difference."""
    mask_a, mask_b = date_masker(_days(a)), date_masker(_days(b))
    report = []
    files_a, files_b = _files(a), _files(b)
    report += [f"only in A: {name}" for name in sorted(files_a - files_b)]
    report += [f"only in B: {name}" for name in sorted(files_b - files_a)]
    for name in sorted(files_a & files_b):
        if (a / name).read_bytes() == (b / name).read_bytes():
            continue
        parts_a, parts_b = comparable_parts(a / name, mask_a), comparable_parts(b / name, mask_b)
        for part in sorted(parts_a.keys() | parts_b.keys()):
            label = f"{name} {part}".strip()
            if part not in parts_b or part not in parts_a:
                report.append(f"{label}: only in {'A' if part in parts_a else 'B'}")
            elif parts_a[part] != parts_b[part]:
                report.append(f"{label}: differs")
                report += _diff(parts_a[part], parts_b[part], label)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", type=Path, help="folder to write the snapshot into (new or empty)")
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout whose code makes the exports")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("A", "B"), help="compare two snapshots")
    args = parser.parse_args(argv)
    if args.compare:
        a, b = args.compare
        report = compare(a, b)
        print("\n".join(report) if report else f"No difference between {a} and {b} (dates of the runs masked).")
        return 1 if report else 0
    if args.out is None:
        parser.error("give OUT_DIR, or --compare A B")
    print(f"Exports of {args.root.resolve()} into {args.out}:", flush=True)
    write_snapshot(args.out.resolve(), args.root.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
