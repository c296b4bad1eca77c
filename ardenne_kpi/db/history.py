"""What partners reported before: the reference values printed in templates, and the
original files of past uploads."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd


def last_values(con: duckdb.DuckDBPyConnection, operator: str, before: dt.date) -> pd.DataFrame:
    """The latest value that counts now for each (indicator, zone, audience, grain) of
    `operator` whose period ended before `before`: the "last reported value" of a template."""
    return (
        con.cursor()
        .execute(
            """
        SELECT indicator, zone, audience, grain,
               arg_max(value, period_end) AS value,
               arg_max(period, period_end) AS period
        FROM report_values
        WHERE is_current AND operator = ? AND period_end < ?
        GROUP BY indicator, zone, audience, grain
    """,
            [operator, before],
        )
        .df()
    )


def reported_cells(con: duckdb.DuckDBPyConnection, operator: str) -> pd.DataFrame:
    """Every (indicator, zone, audience) `operator` has reported a value that counts for."""
    return (
        con.cursor()
        .execute(
            """
        SELECT DISTINCT indicator, zone, audience
        FROM report_values
        WHERE is_current AND operator = ?
        ORDER BY indicator, zone, audience
    """,
            [operator],
        )
        .df()
    )
