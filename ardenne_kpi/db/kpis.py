"""SQL behind the KPI trends: values placed into periods of a grain, reduced per series then
across series in DuckDB, so that a million stored values come back as a few hundred rows.

The callers (ardenne_kpi.kpis) pass two small DataFrames registered on the query's own
cursor: `kpi_rules` (indicator, agg_time, agg_space) and `kpi_periods` (p_code, p_start,
p_end: the periods of one grain, in order, without overlaps). Registrations are local to a
cursor, so concurrent Streamlit sessions never see each other's. Both carry a `grain`
column: each indicator is placed into the periods of its own grain, so one query serves
indicators evaluated at different grains (flows at their target's grain, stocks at theirs).
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


def _cursor(con: duckdb.DuckDBPyConnection, rules: pd.DataFrame | None = None,
            periods: pd.DataFrame | None = None) -> duckdb.DuckDBPyConnection:
    cur = con.cursor()
    if rules is not None:
        cur.register("kpi_rules", rules)
    if periods is not None:
        cur.register("kpi_periods", periods)
    return cur


def value_span(con: duckdb.DuckDBPyConnection, flt: ValueFilter) -> tuple[dt.date | None, dt.date | None]:
    """First start and last end of the values that pass the filter (None, None when there are none)."""
    row = con.cursor().execute(f"SELECT min(period_start), max(period_end) FROM ({_FILTERED})",
                               flt.params()).fetchone()
    return row[0], row[1]


def period_aggregates(con: duckdb.DuckDBPyConnection, rules: pd.DataFrame, periods: pd.DataFrame,
                      flt: ValueFilter, by: str | None = None) -> pd.DataFrame:
    """One row per (indicator, group, period of the grain) with a wholly contained value.

    Each stored value goes to the period containing its start (ASOF join) and counts only
    if it also ends inside it. Per series (operator, zone, audience) the values of one
    grain are reduced over time by agg_time; when a series has several grains inside a
    period (quarters and the year), the one covering most days wins, so nothing counts
    twice. Series are then combined by agg_space. `complete` needs every series that ever
    reported the indicator (within the filter) to cover every day of the period.
    """
    group = BY_COLUMNS[by]
    sql = f"""
    WITH v AS (SELECT f.*, k.grain AS g FROM ({_FILTERED}) f JOIN kpi_rules k USING (indicator)),
    expected AS (
        SELECT indicator, {group.replace('v.', '')} AS grp, count(DISTINCT (operator, zone, audience)) AS n_expected
        FROM v GROUP BY ALL
    ),
    placed AS (
        SELECT v.*, {group} AS grp, p.p_code, p.p_start, p.p_end
        FROM v ASOF JOIN kpi_periods p ON v.g = p.grain AND v.period_start >= p.p_start
        WHERE v.period_end <= p.p_end
    ),
    per_grain AS (
        SELECT indicator, grp, p_code, operator, zone, audience, grain,
               sum(value) AS s, avg(value) AS m, arg_max(value, period_end) AS l,
               max(period_end) AS last_end, count(*) AS n,
               sum(datediff('day', period_start, period_end) + 1) AS covered,
               any_value(datediff('day', p_start, p_end) + 1) AS days
        FROM placed GROUP BY ALL
    ),
    per_series AS (
        SELECT g.*, k.agg_space,
               CASE k.agg_time WHEN 'sum' THEN s WHEN 'mean' THEN m ELSE l END AS tv
        FROM per_grain g JOIN kpi_rules k USING (indicator)
        QUALIFY row_number() OVER (PARTITION BY indicator, grp, p_code, operator, zone, audience
                                   ORDER BY covered DESC, n ASC) = 1
    )
    SELECT s.indicator, s.grp, s.p_code AS period,
           CASE s.agg_space WHEN 'sum' THEN sum(tv) WHEN 'mean' THEN avg(tv) ELSE arg_max(tv, last_end) END AS value,
           sum(n)::BIGINT AS n_values,
           count(*)::BIGINT AS n_series,
           count_if(covered >= days)::BIGINT AS n_series_complete,
           any_value(e.n_expected)::BIGINT AS n_series_expected
    FROM per_series s JOIN expected e ON e.indicator = s.indicator AND e.grp = s.grp
    GROUP BY s.indicator, s.grp, s.p_code, s.agg_space
    """
    return _cursor(con, rules, periods).execute(sql, flt.params()).df()


def period_exclusions(con: duckdb.DuckDBPyConnection, rules: pd.DataFrame, periods: pd.DataFrame, flt: ValueFilter,
                      by: str | None = None) -> pd.DataFrame:
    """Stored periods that overlap a period of the grain without fitting inside it.

    kind = 'straddles' (crosses its edge, e.g. a programme semester in a calendar year) or
    'longer' (covers it, e.g. a year at quarter grain): such values are never split.
    Works on the distinct stored periods, so it stays cheap on a million values.
    """
    group = BY_COLUMNS[by].replace("v.", "")
    sql = f"""
    WITH v AS ({_FILTERED}),
    stored AS (SELECT DISTINCT indicator, {group} AS grp, period, period_start, period_end FROM v)
    SELECT s.indicator, s.grp, p.p_code AS period, s.period AS stored_period,
           CASE WHEN s.period_start <= p.p_start AND s.period_end >= p.p_end THEN 'longer' ELSE 'straddles' END AS kind
    FROM stored s JOIN kpi_rules k USING (indicator)
    JOIN kpi_periods p ON p.grain = k.grain AND s.period_start <= p.p_end AND s.period_end >= p.p_start
    WHERE NOT (s.period_start >= p.p_start AND s.period_end <= p.p_end)
    ORDER BY s.indicator, p.p_start, s.period_start
    """
    return _cursor(con, rules, periods).execute(sql, flt.params()).df()


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


def upload_file(con: duckdb.DuckDBPyConnection, upload_id: int) -> tuple[str, str | None] | None:
    """(file_name, stored_path) of an upload, or None when it does not exist."""
    row = con.cursor().execute("SELECT file_name, stored_path FROM uploads WHERE id = ?", [int(upload_id)]).fetchone()
    return (row[0], row[1]) if row else None


def naive_read(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every current value (for the benchmark's naive pandas baseline only)."""
    return con.cursor().execute(f"SELECT * FROM ({_FILTERED})", ValueFilter().params()).df()


def database_file(con: duckdb.DuckDBPyConnection) -> str | None:
    """The file of the connection's database (None in memory), to find kept uploads beside it."""
    row = con.cursor().execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return row[0] if row and row[0] else None
