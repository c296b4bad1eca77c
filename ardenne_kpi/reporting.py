"""Reporting follow-up: which reports the framework expects and which arrived.

Completeness counts uploads, not promises: an (operator, indicator, period) is received when
a value that counts now was uploaded for it.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from ardenne_kpi.db import reporting as sql
from ardenne_kpi.framework import Framework
from ardenne_kpi.periods import Period, periods_between


def expected_reports(fw: Framework, window: Period) -> pd.DataFrame:
    """(operator, indicator, period) the framework expects inside `window`, from each
    indicator's frequency and responsible operators."""
    rows = []
    for ind in fw.indicators:
        for p in periods_between(ind.grain, window.start, window.end, fw.calendar):
            if window.contains(p):
                rows.extend((op, ind.code, p.code, p.end) for op in ind.operators)
    return pd.DataFrame(rows, columns=["operator", "indicator", "period", "period_end"]).drop_duplicates()


def completeness(con: duckdb.DuckDBPyConnection, fw: Framework, window: Period) -> pd.DataFrame:
    """Per operator: expected and received reports for the window, their share, and how many arrived late."""
    expected = expected_reports(fw, window)
    got = sql.received(con, window.start, window.end)
    merged = expected.merge(got[["operator", "indicator", "period", "uploaded_at"]],
                            on=["operator", "indicator", "period"], how="left")
    deadline = pd.to_datetime(merged["period_end"]) + pd.Timedelta(days=fw.reporting_deadline_days + 1)
    merged["received"] = merged["uploaded_at"].notna()
    merged["late"] = merged["received"] & (pd.to_datetime(merged["uploaded_at"]) >= deadline)
    out = merged.groupby("operator", as_index=False).agg(
        expected=("indicator", "size"), received=("received", "sum"), late=("late", "sum"))
    out["share"] = out["received"] / out["expected"]
    out["label"] = out["operator"].map(lambda c: fw.label("operators", c))
    return out.sort_values("operator", ignore_index=True)


def last_closed_semester(fw: Framework, as_of: dt.date | None) -> Period:
    """The latest programme semester ended on or before `as_of` (the last one when None)."""
    semesters = list(fw.calendar.semesters)
    if as_of is None:
        return semesters[-1]
    closed = [s for s in semesters if s.end <= as_of]
    return closed[-1] if closed else semesters[0]


def latest_data(con: duckdb.DuckDBPyConnection) -> tuple[dt.date | None, dt.datetime | None]:
    """(end of the latest reported period, time of the latest upload)."""
    return sql.latest_data(con)
