"""SQL for the public figures: the date of the data they are built from."""

from __future__ import annotations

import datetime as dt

import duckdb

from ardenne_kpi.db import LIVE_SQL, one_row


def data_date(con: duckdb.DuckDBPyConnection, indicators: list[str]) -> tuple[dt.datetime | None, dt.date | None]:
    """(time of the latest upload, end of the latest period) among the values of `indicators`
    that count now: the publication's date comes from the data, never from the clock."""
    if not indicators:
        return None, None
    row = one_row(
        con.cursor().execute(
            f"""
        SELECT max(u.uploaded_at), max(v.period_end)
        FROM report_values v JOIN uploads u ON u.id = v.upload_id
        WHERE v.is_validated AND u.status IN {LIVE_SQL} AND v.indicator IN (SELECT unnest(?::VARCHAR[]))
    """,
            [list(indicators)],
        )
    )
    return row[0], row[1]
