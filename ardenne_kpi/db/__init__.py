"""DuckDB store: connecting, the schema, and the framework reference tables.

Every SQL statement of the project lives in this package (`schema.sql`, this module and
its siblings, one per concern), so "where is the SQL?" has a one-word answer.

Threads and processes: every function here takes a connection (or the app's
`sharing.Database`, which opens the file only while in use) and runs its statements on a
fresh `.cursor()`, which DuckDB makes safe across Streamlit's threads. How the app and the
command line share the file: `db.sharing`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pandas as pd

from ardenne_kpi.errors import DatabaseBusyError
from ardenne_kpi.framework import DEFAULT_PATH as DEFAULT_FRAMEWORK_PATH
from ardenne_kpi.framework import Framework, load_framework, parse_framework

SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("schema.sql")
DATA_DIR = Path(__file__).resolve().parent.parent.parent / "data"
DEFAULT_DB_PATH = DATA_DIR / "ardenne.duckdb"

T = TypeVar("T")

# Upload statuses whose values count; a rolled-back upload counts for nothing.
LIVE_STATUSES = ("imported", "demo")
LIVE_SQL = "(" + ", ".join(f"'{status}'" for status in LIVE_STATUSES) + ")"  # for `status IN {LIVE_SQL}`


def db_path(cli_value: str | os.PathLike | None = None) -> Path:
    """The database path: `--db` first, then `ARDENNE_DB`, then data/ardenne.duckdb."""
    return Path(cli_value or os.environ.get("ARDENNE_DB") or DEFAULT_DB_PATH)


def uploads_dir(database: str | os.PathLike) -> Path:
    """Where original uploaded files are kept, by hash: `uploads/` beside the database file."""
    return Path(database).resolve().parent / "uploads"


def connect(path: str | os.PathLike, *, read_only: bool = False, schema: bool = True) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the database and apply the schema (unless `schema` is False:
    the app applies it once per process, not at every reopening).

    Raises DatabaseBusyError with a French sentence when another process holds the file;
    `db.sharing` waits for it instead (commands and the app go through it).
    """
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise DatabaseBusyError(
                f"La base {path} est ouverte par une autre application (le tableau de bord ou une commande) "
                "et ne s'est pas libérée. Réessayez dans un moment."
            ) from exc
        raise
    if schema and not read_only:
        apply_schema(con)
    return con


def apply_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table idempotently and record the schema version."""
    cur = con.cursor()
    cur.execute(SCHEMA_PATH.read_text(encoding="utf-8"))
    row = cur.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
    if row is None:
        cur.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
    elif int(row[0]) > SCHEMA_VERSION:
        raise RuntimeError(f"Base créée par une version plus récente (schéma {row[0]} > {SCHEMA_VERSION}).")


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    row = con.cursor().execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def query_df(con: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None = None) -> pd.DataFrame:
    """Run one parameterised query on a fresh cursor and return a DataFrame."""
    return con.cursor().execute(sql, params or []).df()


def get_meta(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    row = con.cursor().execute("SELECT value FROM meta WHERE name = ?", [name]).fetchone()
    return row[0] if row else None


def set_meta(cur: duckdb.DuckDBPyConnection, name: str, value: str) -> None:
    cur.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [name, value])


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor inside BEGIN … COMMIT: everything lands or nothing does."""
    cur = con.cursor()
    cur.execute("BEGIN TRANSACTION")
    try:
        yield cur
    except BaseException:
        cur.execute("ROLLBACK")
        raise
    else:
        cur.execute("COMMIT")


def with_retry(work: Callable[[], T], attempts: int = 8, delay: float = 0.05) -> T:
    """Run `work` again when DuckDB reports a write conflict with another session."""
    for attempt in range(attempts):
        try:
            return work()
        except duckdb.TransactionException:
            if attempt == attempts - 1:
                raise
            time.sleep(delay * (2**attempt))
    raise AssertionError("unreachable")


# ---------------------------------------------------------------- framework


def sync_framework(con: duckdb.DuckDBPyConnection, fw: Framework) -> None:
    """Replace the framework reference tables with `fw`, in one transaction.

    The YAML text is kept in `meta` so the database always knows which framework it uses.
    """

    def rows(entries, *attrs):
        return [(e.code, e.label, *(getattr(e, a) for a in attrs), i) for i, e in enumerate(entries)]

    tables: dict[str, tuple[str, list[tuple]]] = {
        "dimensions": ("(?, ?, ?)", rows(fw.dimensions)),
        "themes": ("(?, ?, ?)", rows(fw.themes)),
        "keys": ("(?, ?, ?, ?)", rows(fw.keys, "theme")),
        "objectives": ("(?, ?, ?)", rows(fw.objectives)),
        "audiences": ("(?, ?, ?, ?)", rows(fw.audiences, "parent")),
        "zones": ("(?, ?, ?, ?, ?)", rows(fw.zones, "parent", "country")),
        "operators": ("(?, ?, ?, ?, ?)", rows(fw.operators, "country", "role")),
        "projects": ("(?, ?, ?, ?, ?)", rows(fw.projects, "kind", "lead")),
        "work_modules": ("(?, ?, ?, ?)", [(w.code, w.project, w.label, i) for i, w in enumerate(fw.work_modules)]),
        "activities": ("(?, ?, ?, ?, ?)",
                       [(a.code, a.work_module, a.project, a.label, i) for i, a in enumerate(fw.activities)]),
        "indicators": ("(" + ", ".join("?" * 14) + ")", [
            (i.code, i.label, i.unit, i.direction, i.frequency, i.agg_time, i.agg_space, i.type, i.by_zone,
             i.project, i.work_module, i.baseline.value, i.baseline.period.code, n)
            for n, i in enumerate(fw.indicators)]),
    }
    links = [(i.code, kind, code) for i in fw.indicators
             for kind, codes in (("dimension", i.dimensions), ("key", i.keys), ("objective", i.objectives),
                                 ("audience", i.audiences), ("operator", i.operators), ("activity", i.activities))
             for code in dict.fromkeys(codes)]
    targets = [(i.code, t.period.code, t.period.start, t.period.end, t.value, t.kind, t.source)
               for i in fw.indicators for t in i.targets]

    def write() -> None:
        with transaction(con) as cur:
            for table, (placeholders, data) in tables.items():
                cur.execute(f"DELETE FROM {table}")  # table names are our constants, never input
                if data:
                    cur.executemany(f"INSERT INTO {table} VALUES {placeholders}", data)
            cur.execute("DELETE FROM indicator_links")
            cur.executemany("INSERT INTO indicator_links VALUES (?, ?, ?)", links)
            cur.execute("DELETE FROM targets")
            cur.executemany("INSERT INTO targets VALUES (?, ?, ?, ?, ?, ?, ?)", targets)
            set_meta(cur, "framework_yaml", fw.source_text)
            set_meta(cur, "framework_version", fw.version)

    with_retry(write)


def stored_framework(con: duckdb.DuckDBPyConnection) -> Framework | None:
    """The framework this database was built with, or None for a database without one."""
    text = get_meta(con, "framework_yaml")
    return parse_framework(text) if text else None


def ensure_framework(con: duckdb.DuckDBPyConnection, path: str | os.PathLike = DEFAULT_FRAMEWORK_PATH) -> Framework:
    """The stored framework; on a new database, load the shipped file and store it first."""
    fw = stored_framework(con)
    if fw is None:
        fw = load_framework(path)
        sync_framework(con, fw)
    return fw


def database_file(con: duckdb.DuckDBPyConnection) -> str | None:
    """The file behind the connection, or None for an in-memory database."""
    row = con.cursor().execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return row[0] if row and row[0] else None


def upload_file(con: duckdb.DuckDBPyConnection, upload_id: int) -> tuple[str, str | None] | None:
    """(file name, stored path) of one upload, or None when there is no such upload."""
    row = con.cursor().execute("SELECT file_name, stored_path FROM uploads WHERE id = ?", [int(upload_id)]).fetchone()
    return (row[0], row[1]) if row else None


def upload_operator(con: duckdb.DuckDBPyConnection, upload_id: int) -> str | None:
    """The operator an upload reported for (None: unknown upload or none recorded)."""
    row = con.cursor().execute("SELECT operator FROM uploads WHERE id = ?", [int(upload_id)]).fetchone()
    return row[0] if row else None


def is_demo(con: duckdb.DuckDBPyConnection) -> bool:
    return get_meta(con, "demo") == "true"


def accounts_marked(con: duckdb.DuckDBPyConnection) -> bool:
    """True once accounts were set up for this database: from then on, no accounts file
    means a closed app, never local mode (accounts.auth_mode)."""
    return get_meta(con, "accounts_since") is not None


def mark_accounts(con: duckdb.DuckDBPyConnection) -> None:
    """Remember, durably, that accounts were set up for this database (idempotent)."""
    if not accounts_marked(con):
        with_retry(lambda: con.cursor().execute(
            "INSERT OR IGNORE INTO meta VALUES ('accounts_since', CAST(current_timestamp AS VARCHAR))"))


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    cur = con.cursor()
    return {t: cur.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # our constants
            for t in ("indicators", "uploads", "report_values")}


def write_demo(con: duckdb.DuckDBPyConnection, uploads: pd.DataFrame, values: pd.DataFrame) -> None:
    """Write the demo uploads and values in one transaction and mark the base as a demo."""
    with transaction(con) as cur:
        cur.register("demo_uploads", uploads)
        cur.register("demo_values", values)
        cur.execute("""
            INSERT INTO uploads (id, file_name, sha256, size_bytes, operator, uploaded_by, uploaded_at, status, inserted)
            SELECT id, file_name, sha256, size_bytes, operator, uploaded_by, uploaded_at, status, inserted
            FROM demo_uploads""")
        cur.execute("""
            INSERT INTO report_values (indicator, operator, zone, audience, period, grain, period_start, period_end,
                                       value, comment, upload_id, sheet, cell, is_current)
            SELECT indicator, operator, zone, audience, period, grain, period_start, period_end,
                   value, comment, upload_id, sheet, cell, TRUE
            FROM demo_values""")
        # Later uploads must not collide with the demo's ids.
        top = cur.execute("SELECT coalesce(max(id), 0) FROM uploads").fetchone()[0]
        cur.execute("SELECT max(nextval('upload_ids')) FROM range(?)", [int(top)]).fetchall()
        set_meta(cur, "demo", "true")
        cur.unregister("demo_uploads")
        cur.unregister("demo_values")


def data_revision(con: duckdb.DuckDBPyConnection) -> str:
    """Changes whenever an upload lands or is rolled back, or the framework changes; names
    the database file too, so caches never mix two databases."""
    row = con.cursor().execute("""
        SELECT coalesce((SELECT path FROM duckdb_databases() WHERE database_name = current_database()), '')
               || '-' || (SELECT count(*) || '-' || coalesce(max(id), 0) || '-' || count(rolled_back_at) FROM uploads)
               || '-' || coalesce((SELECT md5(value) FROM meta WHERE name = 'framework_yaml'), '')
    """).fetchone()
    return row[0]


def used_codes(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """Codes that stored values refer to: a new framework must keep every one of them."""
    cur = con.cursor()
    return {
        kind: {r[0] for r in cur.execute(f"SELECT DISTINCT {kind} FROM report_values").fetchall() if r[0]}
        for kind in ("indicator", "operator", "zone", "audience")  # our constants
    }
