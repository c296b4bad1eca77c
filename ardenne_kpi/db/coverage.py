"""SQL of the coverage view: what was reported in a period window, and where it came from.

Every statement is parameterised and runs on a fresh cursor. Filters left as None do not
restrict; lists are matched with `list_contains`, so one statement serves every filter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb
import pandas as pd

from ardenne_kpi.db import one_row, submitted_params


def reported_in_window(
    con: duckdb.DuckDBPyConnection,
    *,
    start: dt.date,
    end: dt.date,
    indicators: Sequence[str] | None = None,
    operator: str | None = None,
    zones: Sequence[str] | None = None,
    audiences: Sequence[str] | None = None,
    submitted: bool | Sequence[str] = False,
) -> pd.DataFrame:
    """One row per indicator with values that count now and whose period ends in [start, end].

    Columns: indicator, n_in_window (values), n_operators, last_period_end, comment (the
    latest non-empty partner comment in the window). A value belongs to the window its
    period ends in, so a value is never counted in two adjacent windows.
    """
    return (
        con.cursor()
        .execute(
            """
        SELECT indicator,
               count(*)                          AS n_in_window,
               count(DISTINCT operator)          AS n_operators,
               max(period_end)                   AS last_period_end,
               arg_max(comment, period_end) FILTER (WHERE coalesce(comment, '') <> '') AS comment
        FROM report_values
        WHERE CASE WHEN $submitted AND ($own::VARCHAR[] IS NULL OR list_contains($own::VARCHAR[], operator)) THEN is_current ELSE is_validated END
          AND period_end BETWEEN $start AND $end
          AND ($indicators IS NULL OR list_contains($indicators, indicator))
          AND ($operator IS NULL OR operator = $operator)
          AND ($zones IS NULL OR list_contains($zones, zone))
          AND ($audiences IS NULL OR list_contains($audiences, audience))
        GROUP BY indicator
        ORDER BY indicator
        """,
            {
                "start": start,
                "end": end,
                **submitted_params(submitted),
                "indicators": list(indicators) if indicators is not None else None,
                "operator": operator,
                "zones": list(zones) if zones is not None else None,
                "audiences": list(audiences) if audiences is not None else None,
            },
        )
        .df()
    )


def reported_by_operator(
    con: duckdb.DuckDBPyConnection,
    *,
    start: dt.date,
    end: dt.date,
    indicators: Sequence[str] | None = None,
    zones: Sequence[str] | None = None,
    audiences: Sequence[str] | None = None,
    submitted: bool | Sequence[str] = False,
) -> pd.DataFrame:
    """indicator, operator, n_in_window: who reported what in the window (same rule as above)."""
    return (
        con.cursor()
        .execute(
            """
        SELECT indicator, operator, count(*) AS n_in_window
        FROM report_values
        WHERE CASE WHEN $submitted AND ($own::VARCHAR[] IS NULL OR list_contains($own::VARCHAR[], operator)) THEN is_current ELSE is_validated END
          AND period_end BETWEEN $start AND $end
          AND ($indicators IS NULL OR list_contains($indicators, indicator))
          AND ($zones IS NULL OR list_contains($zones, zone))
          AND ($audiences IS NULL OR list_contains($audiences, audience))
        GROUP BY indicator, operator
        ORDER BY indicator, operator
        """,
            {
                "start": start,
                "end": end,
                **submitted_params(submitted),
                "indicators": list(indicators) if indicators is not None else None,
                "zones": list(zones) if zones is not None else None,
                "audiences": list(audiences) if audiences is not None else None,
            },
        )
        .df()
    )


def uploads_by_id(con: duckdb.DuckDBPyConnection, ids: Sequence[int]) -> pd.DataFrame:
    """File name, operator and date of the given uploads (the "source" of a latest value)."""
    return (
        con.cursor()
        .execute(
            """
        SELECT id AS upload_id, file_name, operator, uploaded_at
        FROM uploads
        WHERE list_contains($ids, id)
        ORDER BY id
        """,
            {"ids": [int(i) for i in ids]},
        )
        .df()
    )


def last_data_update(con: duckdb.DuckDBPyConnection) -> dt.datetime | None:
    """When the stored values last changed: the latest import or roll-back, None if never."""
    latest: dt.datetime | None = one_row(
        con.cursor().execute("SELECT greatest(max(uploaded_at), max(rolled_back_at)) FROM uploads")
    )[0]
    return latest


def current_values(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every value that counts now (the benchmark's naive baseline reads this whole table)."""
    return (
        con.cursor()
        .execute(
            "SELECT indicator, operator, zone, audience, period_end, value, comment, upload_id "
            "FROM report_values WHERE is_validated"
        )
        .df()
    )
