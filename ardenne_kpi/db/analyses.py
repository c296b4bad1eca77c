"""SQL behind the coordinator's analyses and the partners' comments on their values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb
import pandas as pd

from ardenne_kpi.db import submitted_params


def insert_analysis(
    con: duckdb.DuckDBPyConnection, *, indicator: str, period: str, body: str, written_by: str, written_at: dt.datetime
) -> None:
    """Keep one more analysis; earlier ones stay (the latest counts)."""
    con.cursor().execute(
        "INSERT INTO analyses (indicator, period, body, written_by, written_at) VALUES (?, ?, ?, ?, ?)",
        [indicator, period, body, written_by, written_at],
    )


def latest_analyses(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The analysis that counts for each (indicator, period): the latest written.
    Columns: indicator, period, body, written_by, written_at."""
    return (
        con.cursor()
        .execute("""
        SELECT indicator, period, body, written_by, written_at
        FROM analyses
        QUALIFY row_number() OVER (PARTITION BY indicator, period ORDER BY written_at DESC, id DESC) = 1
        ORDER BY indicator, written_at
    """)
        .df()
    )


def partner_comments(
    con: duckdb.DuckDBPyConnection,
    indicator: str,
    operators: list[str] | None = None,
    zones: list[str] | None = None,
    submitted: bool | Sequence[str] = False,
) -> pd.DataFrame:
    """The values that count now for `indicator` (validated ones; with `submitted`, submitted
    ones too) and carry their partner's comment.
    Columns: operator, zone, audience, period, grain, period_start, period_end, value, comment, upload_id."""
    return (
        con.cursor()
        .execute(
            """
        SELECT operator, zone, audience, period, grain, period_start, period_end, value, comment, upload_id
        FROM report_values
        WHERE CASE WHEN $submitted AND ($own::VARCHAR[] IS NULL OR list_contains($own::VARCHAR[], operator)) THEN is_current ELSE is_validated END AND indicator = $indicator AND coalesce(trim(comment), '') <> ''
          AND ($operators::VARCHAR[] IS NULL OR list_contains($operators::VARCHAR[], operator))
          AND ($zones::VARCHAR[] IS NULL OR list_contains($zones::VARCHAR[], zone))
        ORDER BY period_end, period_start, operator, zone, audience
    """,
            {"indicator": indicator, "operators": operators, "zones": zones, **submitted_params(submitted)},
        )
        .df()
    )
