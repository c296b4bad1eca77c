"""SQL for reporting follow-up: what each operator sent, and when."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from ardenne_kpi.db import LIVE_SQL, one_row, query_df


def received(con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Distinct (operator, indicator, period) with a value that counts now and a period ending
    inside [start, end], with the time of the FIRST live upload that brought a value for it and
    the places (« zone|audience ») its current values give.

    Timeliness is judged on that first arrival: a late correction does not make an on-time
    report late, and a re-upload does not make a late one on time.
    """
    return query_df(
        con,
        f"""
        SELECT v.operator, v.indicator, v.period, max(v.period_end) AS period_end,
               min(u.uploaded_at) AS uploaded_at,
               count(*) FILTER (WHERE v.is_current) AS n_values,
               arg_min(u.id, u.uploaded_at) AS first_upload_id,
               list(DISTINCT v.zone || '|' || v.audience) FILTER (WHERE v.is_current) AS places
        FROM report_values v JOIN uploads u ON u.id = v.upload_id
        WHERE u.status IN {LIVE_SQL}
          AND v.period_end BETWEEN ? AND ?
        GROUP BY v.operator, v.indicator, v.period
        HAVING bool_or(v.is_current)
    """,
        [start, end],
    )


def latest_data(con: duckdb.DuckDBPyConnection) -> tuple[dt.date | None, dt.datetime | None]:
    """(end of the latest reported period, time of the latest upload) among values that count."""
    row = one_row(
        con.cursor().execute(f"""
        SELECT max(v.period_end), max(u.uploaded_at)
        FROM report_values v JOIN uploads u ON u.id = v.upload_id
        WHERE v.is_current AND u.status IN {LIVE_SQL}
    """)
    )
    return row[0], row[1]


def uploads(con: duckdb.DuckDBPyConnection, *, only_counting: bool = False) -> pd.DataFrame:
    """Every upload with its counts and how many of its values count now (the sources of the figures).

    With `only_counting`, only the uploads at least one current value comes from.
    """
    return query_df(
        con,
        f"""
        SELECT u.id AS upload_id, u.file_name, u.operator, u.uploaded_by, u.uploaded_at, u.status,
               u.inserted, u.updated, u.warnings, u.messages, u.rolled_back_at,
               count(v.id) AS n_current,
               min(v.period_start) AS first_period_start, max(v.period_end) AS last_period_end
        FROM uploads u
        LEFT JOIN report_values v ON v.upload_id = u.id AND v.is_current
        GROUP BY ALL
        HAVING NOT ? OR (count(v.id) > 0 AND u.status IN {LIVE_SQL})
        ORDER BY u.uploaded_at, u.id
    """,
        [only_counting],
    )
