"""SQL for reporting follow-up: what each operator sent, and when."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from ardenne_kpi.db import query_df

LIVE_UPLOADS = "('imported', 'demo')"


def received(con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Distinct (operator, indicator, period) currently counted with a period inside [start, end],
    with the date of the first upload that brought it."""
    return query_df(con, f"""
        SELECT v.operator, v.indicator, v.period, v.period_end, min(u.uploaded_at) AS uploaded_at
        FROM report_values v JOIN uploads u ON u.id = v.upload_id
        WHERE v.is_current AND u.status IN {LIVE_UPLOADS}
          AND v.period_start >= ? AND v.period_end <= ?
        GROUP BY ALL
    """, [start, end])


def latest_data(con: duckdb.DuckDBPyConnection) -> tuple[dt.date | None, dt.datetime | None]:
    """(end of the latest reported period, time of the latest upload) among values that count."""
    row = con.cursor().execute(f"""
        SELECT max(v.period_end), max(u.uploaded_at)
        FROM report_values v JOIN uploads u ON u.id = v.upload_id
        WHERE v.is_current AND u.status IN {LIVE_UPLOADS}
    """).fetchone()
    return row[0], row[1]
