"""DuckDB store: connecting, the schema, and the framework reference tables.

Every SQL statement of the project lives in this package (`schema.sql`, this module and
its siblings, one per concern), so "where is the SQL?" has a one-word answer.

Threads and processes: every function here takes a connection (or the app's
`sharing.Database`, which opens the file only while in use) and runs its statements on a
fresh `.cursor()`, which DuckDB makes safe across Streamlit's threads. How the app and the
command line share the file: `db.sharing`.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import duckdb

from ardenne_kpi.core import settings
from ardenne_kpi.core.errors import (
    ArdenneError,
    DatabaseBusyError,
    DatabaseDamagedError,
    DatabaseReadOnlyError,
    DatabaseVersionError,
    StorageError,
)
from ardenne_kpi.core.upload_state import ReviewState, UploadStatus
from ardenne_kpi.framework import DEFAULT_PATH as DEFAULT_FRAMEWORK_PATH
from ardenne_kpi.framework import Entry, Framework, load_framework, parse_framework

if TYPE_CHECKING:  # DuckDB builds the DataFrames: an import reads its file before pandas loads
    import pandas as pd

SCHEMA_VERSION = 4
SCHEMA_PATH = Path(__file__).with_name("schema.sql")
DEFAULT_DB_PATH = settings.SETTINGS["ARDENNE_DB"].default

T = TypeVar("T")

# Upload statuses whose values count; a rolled-back upload counts for nothing.
LIVE_STATUSES = (UploadStatus.IMPORTED, UploadStatus.DEMO)
LIVE_SQL = "(" + ", ".join(f"'{status}'" for status in LIVE_STATUSES) + ")"  # for `status IN {LIVE_SQL}`

# The coordinator's review of an upload (uploads.review, `core.upload_state.ReviewState`).
VALIDATED, SUBMITTED, RETURNED = ReviewState.VALIDATED, ReviewState.SUBMITTED, ReviewState.RETURNED
# Whose submitted figures a reading counts (`submitted=` of every reading): False none, True every
# operator's (the coordination), a sequence of operator codes only theirs (a partner's own); the
# other operators' validated figures count. In SQL: `CASE WHEN $submitted AND ($own IS NULL OR
# list_contains($own, operator)) THEN is_current ELSE is_validated END`, `submitted_params` giving both.


def submitted_params(submitted: bool | Sequence[str]) -> dict[str, bool | list[str] | None]:
    """{"submitted": whether some submitted figures count, "own": whose (None: everyone's)}."""
    if submitted is True or submitted is False or submitted is None:
        return {"submitted": bool(submitted), "own": None}
    own = [str(code) for code in submitted]
    return {"submitted": bool(own), "own": own}


def db_path(cli_value: str | os.PathLike[str] | None = None) -> Path:
    """The database path: `--db` first, then the ARDENNE_DB setting (by default data/ardenne.duckdb)."""
    return Path(cli_value or settings.get("ARDENNE_DB"))


def uploads_dir(database: str | os.PathLike[str]) -> Path:
    """Where original uploaded files are kept, by hash: `uploads/` beside the database file."""
    return Path(database).resolve().parent / "uploads"


def connect(
    path: str | os.PathLike[str], *, read_only: bool = False, schema: bool = True, check: bool = False
) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the database and apply the schema (unless `schema` is False:
    the app applies it once per process, not at every reopening). With `check`, every table
    is first read whole (`check_readable`): a damaged base is refused before anything is
    written to it. A base this process may not write is refused read-write (read_only_error).

    Raises DatabaseBusyError with a French sentence when another process holds the file;
    `db.sharing` waits for it instead (commands and the app go through it).
    """
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and not writable(path):
            raise read_only_error(path)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise DatabaseBusyError(
                f"La base {path} est ouverte par une autre application (le tableau de bord ou une commande) "
                "et ne s'est pas libérée. Réessayez dans un moment."
            ) from exc
        raise database_error(exc, path) from exc
    except duckdb.Error as exc:
        raise database_error(exc, path) from exc
    if check:  # before the schema is applied: nothing is written to a damaged base
        try:
            check_readable(con)
        except duckdb.Error as exc:
            con.close()
            raise database_error(exc, path) from exc
    if schema and not read_only:
        try:
            apply_schema(con)
        except duckdb.Error as exc:
            con.close()
            raise database_error(exc, path) from exc
        except ArdenneError:
            con.close()
            raise
    return con


# What DuckDB says about a file it cannot read: damaged, truncated, or not a database at all.
_DAMAGE_SIGNS = (
    "corrupt",
    "checksum",
    "not a valid duckdb",
    "could not read",
    "serializ",
    "internal error",
    "invalid block",
    "failed to load",
    "unexpected end",
    "version number",
    "database file",
)


# What DuckDB says when it may not write: the file, its folder or the disk is read-only.
_READ_ONLY_SIGNS = ("permission denied", "read-only file system", "read-only mode", "attached in read-only")


def database_error(exc: BaseException, path: str | os.PathLike[str] | None) -> ArdenneError:
    """The French sentence for a DuckDB failure: a damaged file says to restore the last
    backup; anything else names the failure and what to do."""
    where = f"La base {path}" if path else "La base de données"
    first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, duckdb.IOException) and "lock" in first.lower():
        return DatabaseBusyError(
            f"{where} est ouverte par une autre application (probablement le tableau de bord). "
            "Arrêtez-la, puis réessayez."
        )
    if "no space left" in first.lower() or "disk quota" in first.lower():
        return StorageError(
            f"{where} n'a pas pu être écrite : le disque est plein. L'opération a été annulée, rien "
            "n'a été enregistré à moitié. Libérez de la place sur ce disque, puis recommencez."
        )
    if any(sign in first.lower() for sign in _READ_ONLY_SIGNS):
        return read_only_error(path)
    if isinstance(exc, (duckdb.IOException, duckdb.InternalException, duckdb.SerializationException)) or any(
        sign in first.lower() for sign in _DAMAGE_SIGNS
    ):
        target = f" --db {path}" if path else ""
        return DatabaseDamagedError(
            f"{where} est illisible : le fichier est endommagé ou tronqué ({first}). Restaurez la dernière "
            f"sauvegarde : python -m ardenne_kpi restore FICHIER.zip{target} (les sauvegardes se font avec "
            "python -m ardenne_kpi backup). Sans sauvegarde, recréez une base vide avec python -m ardenne_kpi "
            "init --empty --force, puis réimportez les fichiers d'origine gardés dans le dossier uploads/."
        )
    return ArdenneError(
        f"{where} a refusé l'opération ({first}). Réessayez ; si l'erreur revient, faites une "
        "sauvegarde (python -m ardenne_kpi backup) et transmettez ce message à l'administrateur.",
        title="Erreur de la base de données",
    )


def checkpoint(con: duckdb.DuckDBPyConnection) -> None:
    """Write everything in the write-ahead log into the database file (before copying it)."""
    con.cursor().execute("CHECKPOINT")


def check_readable(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Read every table of the store whole, every column of every row (a damaged or missing
    block fails here: DuckDB checks each block it reads against its checksum); the row counts.

    A row count alone reads no data (DuckDB knows it from its metadata): a base cut in half
    or with flipped bytes passed it. Each column goes through a checksum-style aggregate, so
    every block is read, with nothing brought back but one row per table."""
    cur = con.cursor()
    columns: dict[str, list[str]] = {}
    for table, column in cur.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = current_database() "
        "ORDER BY table_name, column_index"
    ).fetchall():
        columns.setdefault(table, []).append(column)
    counts = {}
    for table, names in columns.items():  # names from the catalog, quoted
        sums = ", ".join(f'sum(hash("{name.replace(chr(34), chr(34) * 2)}"))' for name in names)
        quoted = table.replace('"', '""')
        counts[table] = int(one_row(cur.execute(f'SELECT count(*), {sums} FROM "{quoted}"'))[0])
    return counts


def writable(path: str | os.PathLike[str]) -> bool:
    """Whether this process may write the database file and its folder (DuckDB writes its
    log beside the file): a read-only base is opened read-only, and said to be read-only."""
    path = Path(path)
    folder = path.resolve().parent
    return os.access(folder, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))


def read_only_error(path: str | os.PathLike[str] | None) -> DatabaseReadOnlyError:
    """The French sentence for a write refused because the base is read-only (not damaged)."""
    where = f"La base {path}" if path else "La base de données"
    return DatabaseReadOnlyError(
        f"{where} est en lecture seule (le fichier ou son dossier n'est pas modifiable par ce compte) : "
        "elle se consulte, mais rien ne peut y être enregistré. Elle n'est pas endommagée : ne la restaurez "
        "pas. Pour modifier, rendez le fichier et son dossier modifiables (droits d'écriture), puis recommencez."
    )


def apply_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table idempotently, bring an older database up to SCHEMA_VERSION (see
    `migrate`) and record the version."""
    cur = con.cursor()
    cur.execute(SCHEMA_PATH.read_text(encoding="utf-8"))
    row = cur.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
    if row is None:
        cur.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
    elif int(row[0]) > SCHEMA_VERSION:
        raise DatabaseVersionError(
            f"Cette base a été créée par une version plus récente d'Ardenne KPI (schéma "
            f"{row[0]}, cette version lit le schéma {SCHEMA_VERSION}). Mettez l'application "
            "à jour, ou ouvrez une autre base (ARDENNE_DB, --db)."
        )
    elif int(row[0]) < SCHEMA_VERSION:
        migrate(con, int(row[0]))


def migrate(con: duckdb.DuckDBPyConnection, version: int) -> None:
    """Bring a database of schema `version` up to SCHEMA_VERSION, in one transaction.

    2: `is_current` follows one rule (the latest live upload of each identity, by upload
    order; uploads made before this version kept only the values they changed), and
    original files are named relative to the database's folder, so the folder can move.
    3: the coordinator's analyses (`analyses`), created empty by schema.sql: nothing to move.
    4: validation and period locks: every earlier upload is validated (schema.sql's default),
    so the validated figures are the current ones.
    """
    from ardenne_kpi.db import imports

    with transaction(con) as cur:
        if version < 2:
            imports.refresh_current(cur)
            database = database_file(con)
            if database:
                rows = cur.execute("SELECT id, stored_path FROM uploads WHERE stored_path IS NOT NULL").fetchall()
                for upload_id, stored in rows:
                    relative = relative_upload_path(stored, database)
                    if relative != stored:
                        cur.execute("UPDATE uploads SET stored_path = ? WHERE id = ?", [relative, upload_id])
        if version < 4:
            cur.execute("UPDATE report_values SET is_validated = is_current")
        set_meta(cur, "schema_version", str(SCHEMA_VERSION))


def relative_upload_path(stored: str, database: str | os.PathLike[str]) -> str:
    """An original file's stored path relative to the database's folder (`uploads/<hash>.xlsx`).
    An absolute path is kept when the file can be found neither there nor in uploads/; one
    readable outside uploads/ is copied in first."""
    path = Path(stored)
    if not path.is_absolute():
        return stored
    base = Path(database).resolve().parent
    folder = uploads_dir(database)
    try:
        return path.resolve().relative_to(base).as_posix()
    except ValueError:
        pass
    target = folder / path.name
    if not target.exists():
        try:
            data = path.read_bytes()
        except OSError:
            return stored  # unreadable and not in uploads/: leave it as it was
        folder.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return target.relative_to(base).as_posix()


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    row = con.cursor().execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def one_row(cur: duckdb.DuckDBPyConnection) -> tuple[Any, ...]:
    """The row of a query that always yields exactly one (an aggregate without GROUP BY,
    an INSERT ... RETURNING of one row)."""
    row = cur.fetchone()
    if row is None:
        raise LookupError("the query returned no row")
    return row


def query_df(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] | Mapping[str, object] | None = None
) -> pd.DataFrame:
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

    def rows(entries: Sequence[Entry], *attrs: str) -> Sequence[tuple[object, ...]]:
        return [(e.code, e.label, *(getattr(e, a) for a in attrs), i) for i, e in enumerate(entries)]

    tables: dict[str, tuple[str, Sequence[tuple[object, ...]]]] = {
        "dimensions": ("(?, ?, ?)", rows(fw.dimensions)),
        "themes": ("(?, ?, ?)", rows(fw.themes)),
        "keys": ("(?, ?, ?, ?)", rows(fw.keys, "theme")),
        "objectives": ("(?, ?, ?)", rows(fw.objectives)),
        "audiences": ("(?, ?, ?, ?)", rows(fw.audiences, "parent")),
        "zones": ("(?, ?, ?, ?, ?)", rows(fw.zones, "parent", "country")),
        "operators": ("(?, ?, ?, ?, ?)", rows(fw.operators, "country", "role")),
        "projects": ("(?, ?, ?, ?, ?)", rows(fw.projects, "kind", "lead")),
        "work_modules": ("(?, ?, ?, ?)", [(w.code, w.project, w.label, i) for i, w in enumerate(fw.work_modules)]),
        "activities": (
            "(?, ?, ?, ?, ?)",
            [(a.code, a.work_module, a.project, a.label, i) for i, a in enumerate(fw.activities)],
        ),
        "indicators": (
            "(" + ", ".join("?" * 19) + ")",
            [
                (
                    i.code,
                    i.label,
                    i.unit,
                    i.direction,
                    i.frequency,
                    i.agg_time,
                    i.agg_space,
                    i.type,
                    i.by_zone,
                    i.project,
                    i.work_module,
                    i.baseline.value,
                    i.baseline.period.code,
                    n,
                    i.measure,
                    i.numerator or None,
                    i.denominator or None,
                    i.ratio_scale,
                    i.components_agg,
                )
                for n, i in enumerate(fw.indicators)
            ],
        ),
    }
    links = [
        (i.code, kind, code)
        for i in fw.indicators
        for kind, codes in (
            ("dimension", i.dimensions),
            ("key", i.keys),
            ("objective", i.objectives),
            ("audience", i.audiences),
            ("operator", i.operators),
            ("activity", i.activities),
        )
        for code in dict.fromkeys(codes)
    ]
    targets = [
        (i.code, t.period.code, t.period.start, t.period.end, t.value, t.kind, t.source)
        for i in fw.indicators
        for t in i.targets
    ]

    tables["indicator_links"] = ("(?, ?, ?)", links)
    tables["targets"] = ("(?, ?, ?, ?, ?, ?, ?)", targets)

    def write() -> None:
        with transaction(con) as cur:
            for table, (placeholders, data) in tables.items():
                cur.execute(f"DELETE FROM {table}")  # table names are our constants, never input
                _insert_rows(cur, table, placeholders, data)
            set_meta(cur, "framework_yaml", fw.source_text)
            set_meta(cur, "framework_version", fw.version)

    with_retry(write)


def _insert_rows(
    cur: duckdb.DuckDBPyConnection, table: str, placeholders: str, rows: Sequence[tuple[object, ...]], chunk: int = 500
) -> None:
    """`rows` into `table`, a few hundred rows per statement (`executemany` runs one statement
    per row: a third of a second for a framework). Plain parameters, no Arrow table: pyarrow
    would load pandas, which an import wants to load only while its file is parsed."""
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        cur.execute(
            f"INSERT INTO {table} VALUES " + ", ".join([placeholders] * len(part)),
            [value for row in part for value in row],
        )


def record_framework_change(
    con: duckdb.DuckDBPyConnection, fw: Framework, changed_by: str | None, summary: str
) -> None:
    """Keep one change of the framework in its history (framework_changes)."""
    con.cursor().execute(
        "INSERT INTO framework_changes (changed_at, changed_by, summary, version, yaml) VALUES (?, ?, ?, ?, ?)",
        [dt.datetime.now().replace(microsecond=0), changed_by, summary, fw.version, fw.source_text],
    )


def framework_changes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The framework's history of changes made from the app, newest first."""
    return (
        con.cursor()
        .execute(
            "SELECT id, changed_at, changed_by, summary, version FROM framework_changes ORDER BY changed_at DESC, id DESC"
        )
        .df()
    )


def stored_framework(con: duckdb.DuckDBPyConnection) -> Framework | None:
    """The framework this database was built with, or None for a database without one."""
    text = get_meta(con, "framework_yaml")
    return parse_framework(text, stored=True) if text else None


def ensure_framework(
    con: duckdb.DuckDBPyConnection, path: str | os.PathLike[str] = DEFAULT_FRAMEWORK_PATH
) -> Framework:
    """The stored framework; on a new database, load the shipped file and store it first."""
    fw = stored_framework(con)
    if fw is None:
        fw = load_framework(path)
        sync_framework(con, fw)
    return fw


def database_file(con: duckdb.DuckDBPyConnection) -> str | None:
    """The file behind the connection, or None for an in-memory database."""
    row = (
        con.cursor().execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    )
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


@contextmanager
def single_threaded(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """DuckDB on one thread for a run of many small statements (the demo's 177 imports):
    on two busy cores, handing each tiny query to worker threads costs more than it gives
    (the demo: 16 s then 11 s of imports, the same CPU)."""
    cur = con.cursor()
    cur.execute("SET threads = 1")
    try:
        yield
    finally:
        cur.execute("RESET threads")


def mark_demo(con: duckdb.DuckDBPyConnection) -> None:
    """Mark the base as a demo: every page then says its figures are not real."""
    set_meta(con.cursor(), "demo", "true")


def accounts_marked(con: duckdb.DuckDBPyConnection) -> bool:
    """True once accounts were set up for this database: from then on, no accounts file
    means a closed app, never local mode (accounts.auth_mode)."""
    return get_meta(con, "accounts_since") is not None


def mark_accounts(con: duckdb.DuckDBPyConnection) -> None:
    """Remember, durably, that accounts were set up for this database (idempotent)."""
    if not accounts_marked(con):
        with_retry(
            lambda: con.cursor().execute(
                "INSERT OR IGNORE INTO meta VALUES ('accounts_since', CAST(current_timestamp AS VARCHAR))"
            )
        )


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    cur = con.cursor()
    return {
        t: one_row(cur.execute(f"SELECT count(*) FROM {t}"))[0]  # our constants
        for t in ("indicators", "uploads", "report_values")
    }


def write_demo(con: duckdb.DuckDBPyConnection, uploads: pd.DataFrame, values: pd.DataFrame) -> None:
    """Write synthetic uploads and values straight into the tables, in one transaction, and
    mark the base as a demo: a million values in a second for the benchmarks and tests. The
    demo itself goes through the import engine (`demo.create_demo`); these values have no file."""
    with transaction(con) as cur:
        cur.register("demo_uploads", uploads)
        cur.register("demo_values", values)
        cur.execute("""
            INSERT INTO uploads (id, file_name, sha256, size_bytes, operator, uploaded_by, uploaded_at, status, inserted)
            SELECT id, file_name, sha256, size_bytes, operator, uploaded_by, uploaded_at, status, inserted
            FROM demo_uploads""")
        cur.execute("""
            INSERT INTO report_values (indicator, operator, zone, audience, period, grain, period_start, period_end,
                                       value, comment, upload_id, sheet, cell, is_current, is_validated)
            SELECT indicator, operator, zone, audience, period, grain, period_start, period_end,
                   value, comment, upload_id, sheet, cell, TRUE, TRUE
            FROM demo_values""")
        # Later uploads must not collide with the demo's ids.
        top = one_row(cur.execute("SELECT coalesce(max(id), 0) FROM uploads"))[0]
        cur.execute("SELECT max(nextval('upload_ids')) FROM range(?)", [int(top)]).fetchall()
        set_meta(cur, "demo", "true")
        cur.unregister("demo_uploads")
        cur.unregister("demo_values")


def data_revision(con: duckdb.DuckDBPyConnection) -> str:
    """Changes whenever an upload lands, is rolled back, validated or sent back, a period is
    locked or unlocked, the framework changes or an analysis is written; names the database
    file too, so caches never mix two databases. Read at every page run: one row of
    aggregates (concatenated in one expression with the file's name, 4 times as long)."""
    cur = con.cursor()
    row = one_row(
        cur.execute("""
        SELECT u.n, u.last_id, u.rolled_back, u.reviewed, coalesce(f.digest, ''), a.n, l.n, l.unlocked
        FROM (SELECT count(*) AS n, coalesce(max(id), 0) AS last_id, count(rolled_back_at) AS rolled_back,
                     count(reviewed_at) AS reviewed FROM uploads) AS u
        CROSS JOIN (SELECT count(*) AS n FROM analyses) AS a
        CROSS JOIN (SELECT count(*) AS n, count(unlocked_at) AS unlocked FROM period_locks) AS l
        LEFT JOIN (SELECT md5(value) AS digest FROM meta WHERE name = 'framework_yaml') AS f ON true
    """)
    )
    return "-".join(str(part) for part in (database_file(cur) or "", *row))


def used_codes(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """Codes that stored values refer to: a new framework must keep every one of them."""
    cur = con.cursor()
    return {
        kind: {r[0] for r in cur.execute(f"SELECT DISTINCT {kind} FROM report_values").fetchall() if r[0]}
        for kind in ("indicator", "operator", "zone", "audience")  # our constants
    }
