"""Issue 29, first measurements: the project's schema and statements on a DuckLake whose
catalog is PostgreSQL, and what its figures cost there beside the embedded file.

    /work/venv15/bin/python bench/ducklake_probe.py [--values 100000] [--repeat 3] [--writes 20]

Needs DuckDB 1.5.x with the `duckdb-extension-ducklake` and `duckdb-extension-postgres`
packages (the project pins 2.0.0, for which neither is built: see bench/README.md, « Issue 29 »),
and PostgreSQL 15 (`/usr/lib/postgresql/15/bin`). It starts its own cluster in a temporary
folder (as the `postgres` user when run as root), and stops it by its PID at the end. Prints:
1. each statement of `schema.sql` DuckLake refuses, and why;
2. the schema without what it refuses (sequences, primary keys, DEFAULT nextval), then each
   kind of statement the storage layer runs, accepted or refused;
3. `--values` current values built as kpis_bench builds them, copied into the lake in one
   transaction (timed), then the Tendances page's computation and `export kpis` on the lake
   and on the embedded file, medians of `--repeat` runs, and whether both exports are identical;
4. two processes writing at once (`--writes` transactions each: an upload numbered max(id) + 1,
   its values, the supersession UPDATE): how many commit, how many fail, duplicate ids.
"""

from __future__ import annotations

import argparse
import os
import pwd
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import harness  # noqa: E402  (bench/harness.py: this script's folder is on sys.path)
import kpis_bench  # noqa: E402

from ardenne_kpi import db  # noqa: E402

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PORT = 54339

# What the storage layer runs, one of each kind (`meta`, `uploads`, … after the adapted schema).
STATEMENTS = {
    "INSERT OR REPLACE (db.set_meta)": "INSERT OR REPLACE INTO meta VALUES ('demo', 'true')",
    "INSERT OR IGNORE (db.mark_accounts)": "INSERT OR IGNORE INTO meta VALUES ('accounts_since', 'x')",
    "INSERT … ON CONFLICT (name)": "INSERT INTO meta VALUES ('demo', 'x') ON CONFLICT (name) DO UPDATE SET value = 'y'",
    "INSERT … RETURNING id (imports, snapshots)": "INSERT INTO uploads (id, file_name, sha256, uploaded_at, status) "
    "VALUES (1, 'a', 'b', now(), 'imported') RETURNING id",
    "INSERT with explicit id": "INSERT INTO uploads (id, file_name, sha256, uploaded_at, status) "
    "VALUES (1, 'a', 'b', now(), 'imported')",
    "DEFAULT 'validated' / DEFAULT 0 applied": "SELECT review = 'validated' AND inserted = 0 FROM uploads WHERE id = 1",
    "UPDATE (supersession, rollback)": "UPDATE uploads SET status = 'rolled_back' WHERE id = 1",
    "UPDATE … RETURNING id (review.unlock)": "UPDATE period_locks SET unlocked_at = now() WHERE period = 'S01' "
    "RETURNING id",
    "DELETE (framework sync)": "DELETE FROM uploads WHERE id = 1",
    "VARCHAR[] column": "INSERT INTO lock_overrides (id, upload_id, action, periods, reason, done_at) "
    "VALUES (1, 1, 'validated', ['S01', 'S02'], 'r', now())",
    "BEGIN … ROLLBACK": "BEGIN; INSERT INTO meta VALUES ('t', 't'); ROLLBACK",
    "CHECKPOINT (backup)": "CHECKPOINT",
    "CREATE INDEX": "CREATE INDEX report_values_indicator ON report_values (indicator)",
    "CREATE TEMP TABLE": "CREATE TEMP TABLE scratch AS SELECT 1 AS x",
    "duckdb_databases() path (db.data_revision)": "SELECT path FROM duckdb_databases() "
    "WHERE database_name = current_database()",
    "the store's snapshots (ducklake_snapshots)": "SELECT count(*) FROM ducklake_snapshots(current_database())",
}


def schema_statements(adapted: bool) -> list[str]:
    """schema.sql one statement at a time; `adapted`: without what DuckLake refuses."""
    text = "\n".join(line.split("--")[0] for line in db.SCHEMA_PATH.read_text(encoding="utf-8").splitlines())
    if adapted:
        text = re.sub(r"CREATE SEQUENCE[^;]*;", "", text)
        text = re.sub(r"DEFAULT nextval\('\w+'\)", "", text)
        text = re.sub(r",\s*PRIMARY KEY \([^)]*\)", "", text).replace("PRIMARY KEY", "")
    return [" ".join(s.split()) for s in text.split(";") if s.strip()]


class Postgres:
    """A PostgreSQL cluster of this run's own, in a temporary folder, on a Unix socket only."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.user:
            folder.parent.chmod(0o755)  # mkdtemp's folder: the postgres user must get through it
            shutil.chown(folder, pwd.getpwnam("postgres").pw_uid)
        self.run("initdb", "-D", str(folder / "data"), "-A", "trust", "-U", "postgres")
        options = f"-p {PORT} -k {folder} -c listen_addresses=''"
        self.run("pg_ctl", "-D", str(folder / "data"), "-o", options, "-l", str(folder / "log"), "-w", "start")
        self.pid = int((folder / "data" / "postmaster.pid").read_text().split()[0])

    def run(self, tool: str, *args: str) -> None:
        subprocess.run([*self.user, str(PG_BIN / tool), *args], check=True, capture_output=True)

    def database(self, name: str) -> str:
        """A new empty database; its libpq connection string."""
        self.run("createdb", "-h", str(self.folder), "-p", str(PORT), "-U", "postgres", name)
        return f"dbname={name} host={self.folder} port={PORT} user=postgres"

    def stop(self) -> None:
        """Fast shutdown of this cluster's postmaster, by its PID; waits until it is gone."""
        os.kill(self.pid, signal.SIGINT)
        while (self.folder / "data" / "postmaster.pid").exists():
            time.sleep(0.1)


def extension_dir(folder: Path) -> Path:
    """The two extension packages installed (DuckDB's INSTALL from their files) into a folder of this run."""
    import duckdb_extension_ducklake
    import duckdb_extension_postgres

    con = duckdb.connect(config={"extension_directory": str(folder), "autoinstall_known_extensions": False})
    for package in (duckdb_extension_postgres, duckdb_extension_ducklake):
        built = next(Path(package.__file__).parent.glob("extensions/*/*.duckdb_extension"))
        con.execute(f"INSTALL '{built}'")  # a path of this machine, not a value
    con.close()
    return folder


def open_lake(catalog: str, extensions: Path, data_path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """DuckDB opened on the lake itself (not ATTACH + USE: every `.cursor()` then sees it).
    The first opening creates the catalog, with its data folder."""
    config = {"extension_directory": str(extensions), "autoinstall_known_extensions": False}
    if data_path is not None:
        con = duckdb.connect(config=config)
        con.execute(f"ATTACH 'ducklake:postgres:{catalog}' AS lake (DATA_PATH '{data_path}/')")
        con.close()
    return duckdb.connect(f"ducklake:postgres:{catalog}", config=config)


def first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0][:160]


def refusals(con: duckdb.DuckDBPyConnection, statements: list[str] | dict[str, str]) -> None:
    """Run each statement; print the refused ones (all of them, accepted too, for a dict)."""
    named = statements if isinstance(statements, dict) else {s[:80]: s for s in statements}
    for name, sql in named.items():
        try:
            rows = con.execute(sql).fetchall()
            if isinstance(statements, dict):
                print(f"  accepted  {name}" + (f"  -> {rows[0][0]}" if sql.startswith("SELECT") and rows else ""))
        except duckdb.Error as exc:
            print(f"  REFUSED   {name}\n            {first_line(exc)}")


def open_postgres(catalog: str, extensions: Path, create: bool = False) -> duckdb.DuckDBPyConnection:
    """DuckDB opened on a PostgreSQL database through the postgres extension (its tables in the
    schema `main`, DuckDB's default, so every `.cursor()` sees them). With `create`, schema.sql
    first runs in PostgreSQL itself (DOUBLE spelt DOUBLE PRECISION): its sequences, primary keys
    and DEFAULT nextval are PostgreSQL's own."""
    config = {"extension_directory": str(extensions), "autoinstall_known_extensions": False}
    if create:
        native = re.sub(r"\bDOUBLE\b", "DOUBLE PRECISION", db.SCHEMA_PATH.read_text(encoding="utf-8"))
        con = duckdb.connect(config=config)
        con.execute("LOAD postgres")
        con.execute(f"ATTACH '{catalog}' AS pg (TYPE postgres)")  # this run's own cluster
        con.execute("CALL postgres_execute('pg', ?)", ["CREATE SCHEMA main; SET search_path TO main; " + native])
        con.close()
    return duckdb.connect(f"postgres:{catalog}", config=config)


def open_store(kind: str, catalog: str, extensions: Path) -> duckdb.DuckDBPyConnection:
    return open_lake(catalog, extensions) if kind == "lake" else open_postgres(catalog, extensions)


def next_upload_id(cur: duckdb.DuckDBPyConnection, kind: str) -> int:
    """A new upload's id: max + 1 on the lake (it has no sequence), PostgreSQL's sequence otherwise."""
    if kind == "lake":
        return cur.execute("SELECT coalesce(max(id), 0) + 1 FROM uploads").fetchone()[0]
    query = "SELECT nextval FROM postgres_query(current_database(), 'SELECT nextval(''main.upload_ids'')')"
    return cur.execute(query).fetchone()[0]


def write_many(kind: str, catalog: str, extensions: str, who: str, writes: int) -> None:
    """One of the concurrent writers (run in its own process by `--writer`)."""
    con = open_store(kind, catalog, Path(extensions))
    committed, failed, why = 0, 0, set()
    for _ in range(writes):
        cur = con.cursor()
        try:
            cur.execute("BEGIN")
            upload = next_upload_id(cur, kind)
            cur.execute(
                "INSERT INTO uploads (id, file_name, sha256, uploaded_at, status) VALUES (?, ?, 'w', now(), 'imported')",
                [upload, who],
            )
            cur.execute(
                "INSERT INTO report_values (id, indicator, operator, zone, audience, period, grain, period_start, "
                "period_end, value, upload_id, is_current, is_validated) SELECT CAST(? AS BIGINT) * 1000 + range, 'CLI08', ?, 'ARD', "
                "'', '2020-Q1', 'quarter', DATE '2020-01-01', DATE '2020-03-31', range, ?, TRUE, TRUE FROM range(50)",
                [1_000_000 + upload, who, upload],  # ids far above the copied values',
            )
            cur.execute(
                "UPDATE report_values SET is_current = FALSE WHERE operator = ? AND upload_id < ?", [who, upload]
            )
            cur.execute("COMMIT")
            committed += 1
        except duckdb.Error as exc:
            failed += 1
            why.add(first_line(exc))
            try:
                cur.execute("ROLLBACK")
            except duckdb.Error:
                pass
    print(f"  writer {who}: {committed} committed, {failed} failed {sorted(why)}")


def copy_values(con: duckdb.DuckDBPyConnection, local: Path, n: int, label: str) -> None:
    """The embedded base's tables into the store; the values in one transaction, timed."""
    con.execute(f"ATTACH '{local}' AS src (READ_ONLY)")  # a path of this run
    tables = [
        r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'src'").fetchall()
    ]
    for table in (t for t in tables if t != "report_values"):
        con.execute(f"DELETE FROM {table}; INSERT INTO {table} BY NAME SELECT * FROM src.{table}")  # noqa: S608
    start = time.perf_counter()
    con.execute("BEGIN; INSERT INTO report_values BY NAME SELECT * FROM src.report_values; COMMIT")
    print(f"  {n:,} values copied into {label} in one transaction: {time.perf_counter() - start:.2f} s")
    con.execute("DETACH src")


def compare_figures(con: duckdb.DuckDBPyConnection, local: Path, repeat: int, label: str) -> None:
    """The Tendances page's computation and `export kpis` on the store and on the embedded file, in turn."""
    embedded = db.connect(local, read_only=True)
    fw = db.stored_framework(embedded)
    for name, task in (
        ("page computation", kpis_bench.page_computation),
        ("export kpis", kpis_bench.export_computation),
    ):
        file_runs, store_runs = [], []
        for _ in range(repeat):  # in turn, so both see the same machine
            file_runs.append(harness.timed(task, embedded, fw))
            store_runs.append(harness.timed(task, con, fw))
        f, k = statistics.median(file_runs), statistics.median(store_runs)
        print(f"  {name:18} embedded file {f:7.3f} s   {label} {k:7.3f} s   {label} / file {k / f:.2f}×")
    same = kpis_bench.export_computation(embedded, fw) == kpis_bench.export_computation(con, fw)
    print(f"  export kpis identical on both stores: {same}")
    embedded.close()


def concurrent_writers(kind: str, catalog: str, extensions: Path, writes: int) -> None:
    start = time.perf_counter()
    command = [sys.executable, __file__, "--writer", kind, catalog, str(extensions)]
    writers = [subprocess.Popen([*command, who, str(writes)]) for who in ("A", "B")]
    for writer in writers:
        writer.wait()
    con = open_store(kind, catalog, extensions)
    rows, distinct = con.execute("SELECT count(*), count(DISTINCT id) FROM uploads WHERE sha256 = 'w'").fetchone()
    current = con.execute(
        "SELECT count(*) FROM report_values WHERE operator IN ('A', 'B') AND is_current GROUP BY operator"
    ).fetchall()
    print(
        f"  wall {time.perf_counter() - start:.1f} s; uploads written {rows}, distinct ids {distinct}; "
        f"current values per writer {[r[0] for r in current]} (50 each expected)"
    )
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--writes", type=int, default=20)
    parser.add_argument("--writer", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.writer:
        kind, catalog, extensions, who, writes = args.writer
        write_many(kind, catalog, extensions, who, int(writes))
        return

    print(f"DuckDB {duckdb.__version__}")
    work = Path(tempfile.mkdtemp(prefix="ducklake-probe-"))
    (work / "pg").mkdir()
    pg = Postgres(work / "pg")
    try:
        extensions = extension_dir(work / "extensions")
        print("\n1. DuckLake: schema.sql as it is, statement by statement:")
        con = open_lake(pg.database("asis"), extensions, work / "asis")
        refusals(con, schema_statements(adapted=False))
        con.close()

        print(
            "\n2. DuckLake: the adapted schema (no sequence, no primary key, no DEFAULT nextval), then the statements:"
        )
        lake = pg.database("lake")
        con = open_lake(lake, extensions, work / "lake")
        refusals(con, schema_statements(adapted=True))
        # What DuckLake proposes for the refused ADD COLUMN … DEFAULT TRUE: the column, then its default.
        refusals(
            con,
            {
                "ADD COLUMN is_validated, then SET DEFAULT TRUE": "ALTER TABLE report_values ADD COLUMN is_validated "
                "BOOLEAN; ALTER TABLE report_values ALTER COLUMN is_validated SET DEFAULT TRUE"
            },
        )
        refusals(con, STATEMENTS)

        print("\n3. PostgreSQL directly (postgres extension, schema.sql run by PostgreSQL), the same statements:")
        direct = pg.database("direct")
        pg_con = open_postgres(direct, extensions, create=True)
        refusals(pg_con, {k: v for k, v in STATEMENTS.items() if "ducklake" not in v})

        print(f"\n4. {args.values:,} values:")
        local = work / "local.duckdb"
        n = kpis_bench.build(local, args.values)
        for label, store in (("lake", con), ("postgres", pg_con)):
            copy_values(store, local, n, label)
            compare_figures(store, local, args.repeat, label)
            store.close()

        for label, kind, catalog in (("DuckLake", "lake", lake), ("PostgreSQL", "postgres", direct)):
            print(f"\n5. {label}: two processes writing at once, {args.writes} transactions each:")
            if kind == "postgres":  # the copied ids came with the values: the sequences go past them
                pg_con = open_postgres(direct, extensions)
                for sequence, table in (("upload_ids", "uploads"), ("value_ids", "report_values")):
                    top = pg_con.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()[0]  # noqa: S608
                    setval = f"SELECT setval(''main.{sequence}'', {int(top)})"  # our names, an integer
                    pg_con.execute(f"SELECT * FROM postgres_query(current_database(), '{setval}')").fetchall()  # noqa: S608
                pg_con.close()
            concurrent_writers(kind, catalog, extensions, args.writes)
    finally:
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
