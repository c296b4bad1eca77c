"""SQL of committee snapshots: the values that counted at a date, frozen with their statuses."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from ardenne_kpi.db import LIVE_SQL, VALIDATED, one_row, query_df, transaction

_VALUE_COLUMNS = """v.id AS value_id, v.indicator, v.operator, v.zone, v.audience, v.period, v.grain,
                    v.period_start, v.period_end, v.value, v.comment, v.upload_id, v.sheet, v.cell"""


def values_as_of(con: duckdb.DuckDBPyConnection, moment: dt.datetime) -> pd.DataFrame:
    """The values that counted at `moment`: for each identity (indicator, operator, zone,
    audience, period), the value of the latest upload (by upload order, as for the current
    values) made and validated by then and not rolled back or sent back by then.

    With `moment` now, these are exactly the validated current values.
    """
    return query_df(
        con,
        f"""
        SELECT {_VALUE_COLUMNS}
        FROM report_values v JOIN uploads u ON u.id = v.upload_id
        WHERE u.uploaded_at <= $moment
          AND (u.status IN {LIVE_SQL} OR u.rolled_back_at > $moment)
          AND u.review = '{VALIDATED}' AND coalesce(u.reviewed_at, u.uploaded_at) <= $moment
        QUALIFY row_number() OVER (PARTITION BY v.indicator, v.operator, v.zone, v.audience, v.period
                                   ORDER BY u.id DESC, v.id DESC) = 1
    """,
        {"moment": moment},
    )


def current_values(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The values that count now, with their ids (the live state a snapshot is compared with)."""
    return query_df(con, f"SELECT {_VALUE_COLUMNS} FROM report_values v WHERE v.is_validated")


def uploads_by_ids(con: duckdb.DuckDBPyConnection, ids: list[int]) -> pd.DataFrame:
    """The upload rows behind a set of values (copied into the evaluation base)."""
    return query_df(
        con,
        """
        SELECT id, file_name, sha256, size_bytes, operator, uploaded_by, uploaded_at, status, inserted,
               updated, unchanged, warnings, stored_path, messages
        FROM uploads WHERE list_contains($ids, id) ORDER BY id
    """,
        {"ids": [int(i) for i in ids]},
    )


def load_state(mem: duckdb.DuckDBPyConnection, uploads: pd.DataFrame, values: pd.DataFrame) -> None:
    """Fill an empty evaluation base (same schema) with uploads and values, all current."""
    cur = mem.cursor()
    cur.register("state_uploads", uploads)
    cur.register("state_values", values)
    cur.execute("""
        INSERT INTO uploads (id, file_name, sha256, size_bytes, operator, uploaded_by, uploaded_at, status,
                             inserted, updated, unchanged, warnings, stored_path, messages)
        SELECT id, file_name, sha256, size_bytes, operator, uploaded_by, uploaded_at,
               CASE WHEN status = 'rolled_back' THEN 'imported' ELSE status END,
               inserted, updated, unchanged, warnings, stored_path, messages
        FROM state_uploads""")
    cur.execute("""
        INSERT INTO report_values (id, indicator, operator, zone, audience, period, grain, period_start, period_end,
                                   value, comment, upload_id, sheet, cell, is_current)
        SELECT value_id, indicator, operator, zone, audience, period, grain, period_start, period_end,
               value, comment, upload_id, sheet, cell, TRUE
        FROM state_values""")
    cur.unregister("state_uploads")
    cur.unregister("state_values")


def name_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        one_row(con.cursor().execute("SELECT EXISTS (SELECT 1 FROM snapshots WHERE lower(name) = lower(?))", [name]))[0]
    )


def insert_snapshot(
    con: duckdb.DuckDBPyConnection,
    *,
    name: str,
    taken_on: dt.date,
    user: str | None,
    framework_version: str,
    value_ids: list[int],
    status: pd.DataFrame,
    cells: pd.DataFrame,
) -> int:
    """Write a snapshot with its value ids, statuses and coverage cells in one transaction."""
    with transaction(con) as cur:
        snapshot_id: int = one_row(
            cur.execute(
                "INSERT INTO snapshots (name, taken_on, created_at, created_by, framework_version) "
                "VALUES (?, ?, ?, ?, ?) RETURNING id",
                [name, taken_on, dt.datetime.now().replace(microsecond=0), user, framework_version],
            )
        )[0]
        cur.register("snap_ids", pd.DataFrame({"value_id": pd.Series(value_ids, dtype="int64")}))
        cur.execute("INSERT INTO snapshot_values SELECT ?, value_id FROM snap_ids", [snapshot_id])
        cur.unregister("snap_ids")
        cur.register("snap_status", status)
        cur.execute(
            """INSERT INTO snapshot_status
                       SELECT ?, indicator, status, progress, latest_period, latest_value FROM snap_status""",
            [snapshot_id],
        )
        cur.unregister("snap_status")
        cur.register("snap_cells", cells)
        cur.execute("INSERT INTO snapshot_cells SELECT ?, row_code, col_code, state FROM snap_cells", [snapshot_id])
        cur.unregister("snap_cells")
    return int(snapshot_id)


def list_snapshots(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every snapshot, oldest committee date first, with its number of values."""
    return query_df(
        con,
        """
        SELECT s.id, s.name, s.taken_on, s.created_at, s.created_by, s.framework_version,
               (SELECT count(*) FROM snapshot_values sv WHERE sv.snapshot_id = s.id) AS n_values
        FROM snapshots s
        ORDER BY s.taken_on, s.id
    """,
    )


def snapshot_values(con: duckdb.DuckDBPyConnection, snapshot_id: int) -> pd.DataFrame:
    return query_df(
        con,
        f"""
        SELECT {_VALUE_COLUMNS}
        FROM snapshot_values sv JOIN report_values v ON v.id = sv.value_id
        WHERE sv.snapshot_id = ?
    """,
        [snapshot_id],
    )


def snapshot_status(con: duckdb.DuckDBPyConnection, snapshot_id: int) -> pd.DataFrame:
    return query_df(
        con,
        """
        SELECT indicator, status, progress, latest_period, latest_value
        FROM snapshot_status WHERE snapshot_id = ?
    """,
        [snapshot_id],
    )


def snapshot_cells(con: duckdb.DuckDBPyConnection, snapshot_id: int) -> pd.DataFrame:
    return query_df(con, "SELECT row_code, col_code, state FROM snapshot_cells WHERE snapshot_id = ?", [snapshot_id])
