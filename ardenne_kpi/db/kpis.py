"""SQL behind the KPI trends, shaped so that a million stored values come back as a few
hundred rows: one GROUP BY per stored period (`stored_periods`), decided on in Python,
and a per-series pass (`series_aggregates`) only where a period is incomplete.

Small DataFrames are registered on the query's own cursor (`kpi_rules`,
`kpi_placement`): registrations are local to a cursor, so concurrent Streamlit sessions
never see each other's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

# Break-down columns a caller may ask for; identifiers cannot be parameters, so only these.
BY_COLUMNS = {None: "''", "operator": "v.operator", "zone": "v.zone", "audience": "v.audience"}


@dataclass(frozen=True)
class ValueFilter:
    """Which stored values count: current ones, optionally narrowed (None = no narrowing)."""

    indicators: Sequence[str] | None = None
    operators: Sequence[str] | None = None
    zones: Sequence[str] | None = None
    audiences: Sequence[str] | None = None
    as_of: dt.date | None = None
    window: tuple[dt.date, dt.date] | None = None

    def params(self) -> dict:
        def as_list(x):
            return None if x is None else [str(c) for c in x]

        lo, hi = self.window if self.window else (None, None)
        return {"f_ind": as_list(self.indicators), "f_op": as_list(self.operators), "f_zone": as_list(self.zones),
                "f_aud": as_list(self.audiences), "f_asof": self.as_of, "f_lo": lo, "f_hi": hi}


# Every query starts from this: current values that pass the filter. A NULL list means "all".
_FILTERED = """
    SELECT r.indicator, r.operator, r.zone, r.audience, r.period, r.grain,
           r.period_start, r.period_end, r.value, r.upload_id, r.sheet, r.cell
    FROM report_values r
    WHERE r.is_current
      AND ($f_ind::VARCHAR[] IS NULL OR list_contains($f_ind::VARCHAR[], r.indicator))
      AND ($f_op::VARCHAR[] IS NULL OR list_contains($f_op::VARCHAR[], r.operator))
      AND ($f_zone::VARCHAR[] IS NULL OR list_contains($f_zone::VARCHAR[], r.zone))
      AND ($f_aud::VARCHAR[] IS NULL OR list_contains($f_aud::VARCHAR[], r.audience))
      AND ($f_asof::DATE IS NULL OR r.period_end <= $f_asof::DATE)
      AND ($f_lo::DATE IS NULL OR r.period_start >= $f_lo::DATE)
      AND ($f_hi::DATE IS NULL OR r.period_end <= $f_hi::DATE)
"""


def stored_periods(con: duckdb.DuckDBPyConnection, flt: ValueFilter, by: str | None = None) -> pd.DataFrame:
    """Per (indicator, group, stored period): its dates, how many series reported it, their sum.

    A few hundred rows however many values: the identity of a value is (indicator,
    operator, zone, audience, period) and only one is current, so `n` is the number of
    series that reported the period. `n_expected` is the number of series that ever
    reported the indicator (within the filter and group). Everything else is decided on
    this small table (kpis.py); only incomplete periods need `series_aggregates`.
    """
    group = BY_COLUMNS[by].replace("v.", "")
    sql = f"""
    WITH v AS ({_FILTERED}),
    stored AS (
        SELECT indicator, {group} AS grp, period, any_value(grain) AS grain,
               min(period_start) AS period_start, max(period_end) AS period_end,
               count(*)::BIGINT AS n, sum(value) AS s
        FROM v GROUP BY ALL
    ),
    series AS (
        SELECT indicator, {group} AS grp, count(DISTINCT hash(operator, zone, audience))::BIGINT AS n_expected
        FROM v GROUP BY ALL
    )
    SELECT s.*, e.n_expected FROM stored s JOIN series e USING (indicator, grp)
    ORDER BY indicator, grp, period_start
    """
    return con.cursor().execute(sql, flt.params()).df()


def series_aggregates(con: duckdb.DuckDBPyConnection, rules: pd.DataFrame, placement: pd.DataFrame,
                      flt: ValueFilter, by: str | None = None) -> pd.DataFrame:
    """Per (indicator, group, period of the grain): the value reduced per series, then across series.

    `placement` (indicator, grp, period, p_code) says which stored periods count in which
    period of the grain; `rules` (indicator, agg_time, agg_space). Used where the
    shortcut from whole periods does not apply (a series missing a sub-period).
    """
    group = BY_COLUMNS[by]
    sql = f"""
    WITH v AS ({_FILTERED}),
    per_series AS (
        SELECT v.indicator, m.grp, m.p_code, hash(v.operator, v.zone, v.audience) AS sid,
               sum(v.value) AS s, avg(v.value) AS m, arg_max(v.value, v.period_end) AS l,
               max(v.period_end) AS last_end
        FROM v JOIN kpi_placement m ON m.indicator = v.indicator AND m.period = v.period AND m.grp = {group}
        GROUP BY ALL
    ),
    reduced AS (
        SELECT p.indicator, p.grp, p.p_code, p.last_end, k.agg_space,
               CASE k.agg_time WHEN 'sum' THEN s WHEN 'mean' THEN m ELSE l END AS tv
        FROM per_series p JOIN kpi_rules k USING (indicator)
    )
    SELECT indicator, grp, p_code AS period,
           CASE agg_space WHEN 'sum' THEN sum(tv) WHEN 'mean' THEN avg(tv) ELSE arg_max(tv, last_end) END AS value,
           count(*)::BIGINT AS n_series
    FROM reduced GROUP BY indicator, grp, p_code, agg_space
    """
    cur = con.cursor()
    cur.register("kpi_rules", rules)
    cur.register("kpi_placement", placement)
    return cur.execute(sql, flt.params()).df()


def value_groups(con: duckdb.DuckDBPyConnection, flt: ValueFilter, by: str | None = None) -> pd.DataFrame:
    """Per indicator (and group): first start, last end, number of values, operators, last upload."""
    group = BY_COLUMNS[by].replace("v.", "")
    sql = f"""
    WITH v AS ({_FILTERED})
    SELECT indicator, {group} AS grp, min(period_start) AS first_start, max(period_end) AS last_end,
           count(*)::BIGINT AS n_values, string_agg(DISTINCT operator, ', ' ORDER BY operator) AS operators,
           max(upload_id) AS last_upload_id
    FROM v GROUP BY ALL
    """
    return con.cursor().execute(sql, flt.params()).df()


def contained_values(con: duckdb.DuckDBPyConnection, flt: ValueFilter, start: dt.date, end: dt.date) -> pd.DataFrame:
    """The stored values wholly inside [start, end] with their upload: the lineage of one figure."""
    sql = f"""
    WITH v AS ({_FILTERED})
    SELECT v.operator, v.zone, v.audience, v.period, v.period_start, v.period_end, v.value,
           v.upload_id, u.file_name, u.uploaded_by, u.uploaded_at, v.sheet, v.cell, u.stored_path
    FROM v LEFT JOIN uploads u ON u.id = v.upload_id
    WHERE v.period_start >= $p_lo AND v.period_end <= $p_hi
    ORDER BY v.operator, v.zone, v.audience, v.period_start
    """
    return con.cursor().execute(sql, flt.params() | {"p_lo": start, "p_hi": end}).df()


def naive_read(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every current value (for the benchmark's naive pandas baseline only)."""
    return con.cursor().execute(f"SELECT * FROM ({_FILTERED})", ValueFilter().params()).df()
