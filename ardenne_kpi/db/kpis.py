"""SQL behind the KPI trends: a million stored values come back as one row per figure.

kpis.py decides on a small table (`stored_periods`) which period of the chosen grain each
stored period falls in; `series_rollup` then rolls each series up on its own and
combines the series, in one statement; `counted_values` shows the lineage of one figure
through the same chain (`rollup_sql.rollup_ctes`).

Small DataFrames are registered on the query's own cursor (`kpi_rules`, `kpi_placement`,
`kpi_periods`...): registrations are local to a cursor, so concurrent Streamlit sessions
never see each other's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypedDict, cast

import duckdb
import pandas as pd

from ardenne_kpi.db import rollup_sql

# Break-down columns a caller may ask for; identifiers cannot be parameters, so only these.
BY_COLUMNS = {None: "''", "operator": "v.operator", "zone": "v.zone", "audience": "v.audience"}


@dataclass(frozen=True)
class ValueFilter:
    """Which stored values count: validated ones (with `submitted`, the current ones: what
    partners submitted too), optionally narrowed (None = no narrowing)."""

    indicators: Sequence[str] | None = None
    operators: Sequence[str] | None = None
    zones: Sequence[str] | None = None
    audiences: Sequence[str] | None = None
    as_of: dt.date | None = None
    window: tuple[dt.date, dt.date] | None = None
    submitted: bool = False
    submitted_operators: Sequence[str] | None = None  # with `submitted`, only these operators' (None: all)

    def params(self) -> dict[str, object]:
        def as_list(x: Iterable[object] | None) -> list[str] | None:
            return None if x is None else [str(c) for c in x]

        lo, hi = self.window if self.window else (None, None)
        return {
            "f_ind": as_list(self.indicators),
            "f_op": as_list(self.operators),
            "f_zone": as_list(self.zones),
            "f_aud": as_list(self.audiences),
            "f_asof": self.as_of,
            "f_lo": lo,
            "f_hi": hi,
            "f_sub": bool(self.submitted),
            "f_subop": as_list(self.submitted_operators),
        }


# The row of an identity that counts: the latest validated one, or the latest one whatever
# its review when the reader includes submitted figures.
_COUNTS = (
    "(CASE WHEN $f_sub::BOOLEAN AND ($f_subop::VARCHAR[] IS NULL OR list_contains($f_subop::VARCHAR[], r.operator)) "
    "THEN r.is_current ELSE r.is_validated END)"
)


# Every query starts from this: the values that count and pass the filter. A NULL list means "all".
_FILTERED = f"""
    SELECT r.indicator, r.operator, r.zone, r.audience, r.period, r.grain,
           r.period_start, r.period_end, r.value, r.numerator, r.denominator, r.upload_id
    FROM report_values r
    WHERE {_COUNTS}
      AND ($f_ind::VARCHAR[] IS NULL OR list_contains($f_ind::VARCHAR[], r.indicator))
      AND ($f_op::VARCHAR[] IS NULL OR list_contains($f_op::VARCHAR[], r.operator))
      AND ($f_zone::VARCHAR[] IS NULL OR list_contains($f_zone::VARCHAR[], r.zone))
      AND ($f_aud::VARCHAR[] IS NULL OR list_contains($f_aud::VARCHAR[], r.audience))
      AND ($f_asof::DATE IS NULL OR r.period_end <= $f_asof::DATE)
      AND ($f_lo::DATE IS NULL OR r.period_start >= $f_lo::DATE)
      AND ($f_hi::DATE IS NULL OR r.period_end <= $f_hi::DATE)
"""


def stored_periods(
    con: duckdb.DuckDBPyConnection, flt: ValueFilter, by: str | None = None, root: str | None = None
) -> pd.DataFrame:
    """Per (indicator, group, stored period): its grain and dates, how many series reported
    it (`n`), their sums (value, numerator, denominator, values without components), and
    `has_top`: whether the group's widest key was reported (rollup_sql.top_key: zone `root`, or the
    group's own zone, for all audiences, or the group's own audience), and `tops_all`: whether
    every operator that reported the period reported that key (each gave its total).

    A few hundred rows however many values. Where every series that ever reported gave every
    sub-period of a period (n = how many series_spans lists, throughout), its figure comes from
    these sums alone (kpis.py); `series_rollup` does the per-series work for the other periods only.
    """
    group = BY_COLUMNS[by].replace("v.", "")
    sql = f"""
    WITH v AS ({_FILTERED}),
    stored AS (
        SELECT indicator, {group} AS grp, period, any_value(grain) AS grain,
               min(period_start) AS period_start, max(period_end) AS period_end, count(*)::BIGINT AS n,
               sum(value) AS s, sum(numerator) AS s_num, sum(denominator) AS s_den,
               count(*) FILTER (WHERE numerator IS NULL OR denominator IS NULL)::BIGINT AS n_bare,
               coalesce(bool_or({rollup_sql.top_key("v", by)}), false) AS has_top,
               count(DISTINCT operator) FILTER (WHERE {rollup_sql.top_key("v", by)}) = count(DISTINCT operator) AS tops_all
        FROM v GROUP BY ALL
    )
    SELECT * FROM stored ORDER BY indicator, grp, period_start
    """
    return con.cursor().execute(sql, _params(sql, flt, root)).df()


def series_spans(con: duckdb.DuckDBPyConnection, flt: ValueFilter) -> pd.DataFrame:
    """Per series (indicator, operator, zone, audience) that counts: the grain of its latest
    report, its first start and last end: what expected.py expects of reported data."""
    sql = f"""
    WITH v AS ({_FILTERED})
    SELECT indicator, operator, zone, audience, arg_max(grain, period_end) AS grain,
           min(period_start) AS first_start, max(period_end) AS last_end
    FROM v GROUP BY ALL
    """
    return con.cursor().execute(sql, flt.params()).df()


class ShapeRow(TypedDict):
    """One row of `expected_shape`: what is due for one (indicator, group)."""

    indicator: str
    grp: str
    due_from: dt.date  # every series is due from (the latest first day) ...
    due_to: dt.date  # ... to (the earliest last day)
    first_due: dt.date  # something is due from ...
    last_due: dt.date  # ... to
    grains: list[str]
    n_keys: int
    n_outside: int
    outside: list[str] | None  # up to rollup_sql.NOTE_NAMES, None when all are owed
    mixed: bool
    nests: bool


def expected_shape(
    con: duckdb.DuckDBPyConnection, expected: pd.DataFrame, zone_cover: pd.DataFrame, aud_cover: pd.DataFrame
) -> list[ShapeRow]:
    """Per (indicator, grp) of `expected` (expected.py's rows with their group): the latest
    first day and earliest last day due, the grains, how many series, those no obligation
    covers (n_outside, up to rollup_sql.NOTE_NAMES named), whether a series is owed in some periods and
    data in others (`mixed`), and whether one operator's series contains or crosses another of
    its own (`nests`: a total beside its parts, a wider zone for a narrower audience). What lets a figure come from the stored sums alone."""
    sql = f"""
    WITH keys AS (
        SELECT indicator, grp, operator, zone, audience, bool_or(obligation) AS owed,
               bool_or(obligation) <> bool_and(obligation) AS mixed
        FROM kpi_expected GROUP BY ALL
    ),
    aud_cover AS (
        SELECT code_in, code_out FROM kpi_aud_cover
        UNION SELECT DISTINCT audience, audience FROM keys UNION SELECT DISTINCT audience, '' FROM keys
    ),
    rooted AS (
        -- an operator owing a root zone for all audiences beside other keys: they may lie inside
        -- it (`nests` only lets a figure skip the per-series pass, so saying so is always safe)
        SELECT DISTINCT indicator, grp FROM keys
        GROUP BY indicator, grp, operator
        HAVING count(*) > 1 AND bool_or(audience = '' AND zone IN (
            SELECT code_in FROM kpi_zone_cover WHERE code_in = code_out AND depth_out = 0))
    ),
    open_keys AS (SELECT k.* FROM keys k ANTI JOIN rooted r USING (indicator, grp)),
    up AS (
        SELECT k.indicator, k.grp, k.operator, zc.code_out AS zone_up, ac.code_out AS audience_up
        FROM open_keys k JOIN kpi_zone_cover zc ON zc.code_in = k.zone JOIN aud_cover ac ON ac.code_in = k.audience
        WHERE NOT (zc.code_out = k.zone AND ac.code_out = k.audience)
    ),
    nests AS (  -- one operator's key inside another of its own (a total and its parts) ...
        SELECT * FROM rooted
        UNION
        SELECT DISTINCT u.indicator, u.grp FROM up u
        SEMI JOIN open_keys k ON k.indicator = u.indicator AND k.grp = u.grp AND k.operator = u.operator
                              AND k.zone = u.zone_up AND k.audience = u.audience_up
        UNION
        -- ... or crossing it: a wider zone for a narrower audience (they overlap)
        SELECT DISTINCT k.indicator, k.grp FROM open_keys k
        {rollup_sql.crossed_by("k", "open_keys", "o", "o.indicator = k.indicator AND o.grp = k.grp AND o.operator = k.operator")}
    ),
    spans AS (
        SELECT indicator, grp, max(due_from)::DATE AS due_from, min(due_to)::DATE AS due_to,
               min(due_from)::DATE AS first_due, max(due_to)::DATE AS last_due, list(DISTINCT grain) AS grains
        FROM kpi_expected GROUP BY ALL
    ),
    counts AS (
        SELECT indicator, grp, count(*)::BIGINT AS n_keys, count(*) FILTER (WHERE NOT owed)::BIGINT AS n_outside,
               arg_min({rollup_sql.describe("keys")}, (operator, zone, audience), {rollup_sql.NOTE_NAMES}) FILTER (WHERE NOT owed)
                   AS outside,
               bool_or(mixed) AS mixed
        FROM keys GROUP BY ALL
    )
    SELECT s.*, c.n_keys, c.n_outside, c.outside, c.mixed, n.indicator IS NOT NULL AS nests
    FROM spans s JOIN counts c USING (indicator, grp) LEFT JOIN nests n USING (indicator, grp)
    """
    cur = con.cursor()
    for name, frame in (("kpi_expected", expected), ("kpi_zone_cover", zone_cover), ("kpi_aud_cover", aud_cover)):
        cur.register(name, frame)
    result = cur.execute(sql)
    names = [d[0] for d in result.description]
    return cast(list[ShapeRow], [dict(zip(names, row, strict=True)) for row in result.fetchall()])  # its columns


def _params(sql: str, flt: ValueFilter, root: str | None) -> dict[str, object]:
    """The filter's parameters, and $root where the statement names it (DuckDB refuses extras)."""
    return flt.params() | ({"root": root} if "$root" in sql else {})


class MissingSeries(TypedDict):
    """A series due in a period and not (wholly) given there, as its figure's note names it."""

    who: str
    grain: str  # the grain it is due at
    got: list[str] | None  # the periods it reported there
    untiled: bool | None  # due at a grain that cannot build the period
    stock: bool | None


class FigureRow(TypedDict, total=False):
    """One figure of `series_rollup` (a period where something is missing and nothing was
    computed holds only indicator, grp, period, n_missing and missing); the notes' lists name
    up to rollup_sql.NOTE_NAMES series."""

    indicator: str
    grp: str
    period: str
    value: float | None
    n_values: int | None
    n_series: int | None
    n_bare: int | None
    weighted: bool | None
    bare: list[str] | None
    n_bare_series: int | None
    n_missing: int | None
    missing: list[MissingSeries] | None
    n_overlap: int | None
    overlap: list[str] | None
    n_nested: int | None
    nested: list[str] | None
    n_parts: int | None
    parts: list[str] | None
    n_outside: int | None
    outside: list[str] | None
    n_crossing: int | None
    crossing: list[str] | None


def series_rollup(
    con: duckdb.DuckDBPyConnection,
    flt: ValueFilter,
    by: str | None,
    rules: pd.DataFrame,
    placement: pd.DataFrame,
    periods: pd.DataFrame,
    slow: pd.DataFrame,
    zone_cover: pd.DataFrame,
    aud_cover: pd.DataFrame,
    expected: pd.DataFrame,
    root: str | None = None,
) -> list[FigureRow]:
    """Per (indicator, group, period of the grain) listed in `slow`: the figure, rolled up
    series by series, and what the note must say (one dict per row: a few hundred at most).

    `periods` (indicator, grp, p_code, p_start, p_end, tiling: grains that tile the period)
    and `expected` (expected.py's one table of what is due, with each series' group `grp`)
    say which series were due there, over which part of the period: an obligation's until it
    ends, reported data until the period's end; a series due at a grain that cannot build the
    period is missing there (`untiled`). A survey (`sparse`) is due only where a wave took place.
    Columns: indicator, grp, period, value, n_values, n_series, n_bare, weighted, bare,
    n_bare_series, n_missing, missing (up to rollup_sql.NOTE_NAMES {who, grain, got: periods reported,
    untiled, stock}), n_overlap, overlap, n_nested, nested, n_parts, parts, n_outside, outside,
    n_crossing, crossing.
    """
    group = BY_COLUMNS[by]
    sql = f"""
    WITH v AS ({_FILTERED}),
    {rollup_sql.placed_cte(group, only_slow=True, by=by)},
    {rollup_sql.rollup_ctes()},
    combined AS (
        SELECT indicator, grp, p_code, any_value(agg_space) AS agg_space, bool_or(ratio) AS ratio,
               any_value(scale) AS scale, fsum(tv) AS sv, favg(tv) AS mv, arg_max(tv, last_end) AS lv,
               fsum(tnum) AS snum, fsum(tden) AS sden, sum(n_bare)::BIGINT AS n_bare,
               count(tden)::BIGINT AS n_comp, count(*)::BIGINT AS n_series, sum(n)::BIGINT AS n_values
        FROM kept GROUP BY indicator, grp, p_code
    ),
    figures AS (
        -- a ratio is Σ numerator / Σ denominator over the series giving them; a bare ratio is
        -- set apart (named in the note), the unweighted mean only when no series gives them
        SELECT indicator, grp, p_code,
               CASE WHEN ratio AND n_comp > 0 THEN CASE WHEN sden <> 0 THEN snum / sden * scale END
                    WHEN ratio THEN mv
                    WHEN agg_space = 'sum' THEN sv WHEN agg_space = 'mean' THEN mv ELSE lv END AS value,
               n_values, n_series, CASE WHEN ratio THEN n_bare ELSE 0 END AS n_bare, ratio AND n_comp > 0 AS weighted
        FROM combined
    ),
    bare AS (
        SELECT indicator, grp, p_code, count(*)::BIGINT AS n_bare_series,
               arg_min({rollup_sql.describe("s")}, (operator, zone, audience), {rollup_sql.NOTE_NAMES}) AS bare
        FROM kept s WHERE ratio AND n_bare > 0 GROUP BY ALL
    ),
    due_keys AS MATERIALIZED (
        SELECT e.*, {rollup_sql.in_top_pass("e", by)} AS top_pass, k.sparse, k.territory
        FROM kpi_expected e JOIN kpi_rules k USING (indicator)
    ),
    silent AS (
        -- the operators owing an output in a period whose every reporting operator gave its
        -- total (top_only) but that reported nothing there themselves: they still owe it all
        SELECT o.indicator, o.grp, o.operator, w.p_code
        FROM (SELECT DISTINCT indicator, grp, operator FROM due_keys WHERE NOT territory AND NOT top_pass) o
        JOIN kpi_slow w ON w.indicator = o.indicator AND w.grp = o.grp AND w.top_only
        ANTI JOIN (SELECT DISTINCT indicator, grp, p_code, operator FROM placed) x
             ON x.indicator = o.indicator AND x.grp = o.grp AND x.p_code = w.p_code AND x.operator = o.operator
    ),
    due_in AS (
        -- the slow periods each expected series may be due in: where the widest key was measured
        -- (top_only), any other known key is covered by it (a territory's whoever measured it,
        -- an output's by its operator's own total), so only the top keys and the silent
        -- operators' series are due there
        SELECT e.*, w.p_code FROM due_keys e
        JOIN kpi_slow w ON w.indicator = e.indicator AND w.grp = e.grp AND (e.top_pass OR NOT w.top_only)
        UNION ALL
        SELECT e.*, s.p_code FROM due_keys e
        JOIN silent s ON s.indicator = e.indicator AND s.grp = e.grp AND s.operator = e.operator
        WHERE NOT e.top_pass AND NOT e.territory
    ),
    due_rows AS (
        -- the expected series (expected.py: obligations and reported data) due in each slow
        -- period, over the part of it they are due
        SELECT e.indicator, e.grp, e.operator, e.zone, e.audience, p.p_code, e.sparse, e.territory, e.grain,
               e.obligation, greatest(p.p_start, e.due_from) AS need_from,
               -- an obligation ends where it ends; reported data that stops inside a period
               -- leaves that period partial (the rest of it is not known), not the next ones
               CASE WHEN e.obligation THEN least(p.p_end, e.due_to) ELSE p.p_end END AS need_to,
               list_contains(p.tiling, e.grain) AS tiles
        FROM due_in e
        JOIN kpi_periods p ON p.indicator = e.indicator AND p.grp = e.grp AND p.p_code = e.p_code
        WHERE e.due_from <= p.p_end AND e.due_to >= p.p_start
    ),
    due AS (  -- one row per series and period: its obligation's grain first, over the widest span
        SELECT indicator, grp, operator, zone, audience, p_code, any_value(sparse) AS sparse,
               any_value(territory) AS territory, arg_max(grain, obligation) AS grain,
               bool_or(obligation) AS owed, min(need_from) AS need_from, max(need_to) AS need_to,
               arg_max(tiles, obligation) AS tiles
        FROM due_rows GROUP BY ALL
    ),
    waves AS (  -- a survey (biennial indicator) is due only where a wave took place
        SELECT DISTINCT indicator, grp, p_code FROM placed
    ),
    due_now AS (
        SELECT d.* FROM due d WHERE NOT d.sparse
        UNION ALL BY NAME
        SELECT d.* FROM due d SEMI JOIN waves USING (indicator, grp, p_code) WHERE d.sparse
    ),
    absent AS (  -- due and not placed there: not given, or given at a grain that cannot build the period
        SELECT d.* FROM due_now d ANTI JOIN placed p USING (indicator, grp, p_code, operator, zone, audience)
    ),
    {rollup_sql.keys_up("absent_up", "(SELECT DISTINCT indicator, grp, p_code, operator, zone, audience, territory FROM absent)", rollup_sql.ABSENT_AUD_COVER)},
    covered AS (  -- due there but measured already, as itself or inside a wider key
        SELECT DISTINCT r.indicator, r.grp, r.p_code, r.operator, r.zone, r.audience FROM absent_up r {rollup_sql.IN_MEASURED}
    ),
    got_days AS (  -- the days of the due part each present series covers, at its chosen grain
        SELECT d.indicator, d.grp, d.p_code, d.operator, d.zone, d.audience, s.grain, s.stock, s.last_end, d.need_to,
               datediff('day', d.need_from, d.need_to) + 1 AS need_days,
               sum(greatest(0, datediff('day', greatest(p.period_start, d.need_from),
                                        least(p.period_end, d.need_to)) + 1)) AS days
        FROM due_now d JOIN series s USING (indicator, grp, p_code, operator, zone, audience)
        JOIN placed p ON p.indicator = d.indicator AND p.grp = d.grp AND p.p_code = d.p_code
             AND p.operator = d.operator AND p.zone = d.zone AND p.audience = d.audience AND p.grain = s.grain
        GROUP BY ALL
    ),
    partial AS (  -- due series present but not covering the part of the period they are due
        SELECT indicator, grp, p_code, operator, zone, audience, grain, stock
        FROM got_days WHERE CASE WHEN stock THEN last_end < need_to ELSE days < need_days END
    ),
    got AS (
        SELECT indicator, grp, p_code, operator, zone, audience, list(period ORDER BY period_end) AS got
        FROM placed SEMI JOIN partial USING (indicator, grp, p_code, operator, zone, audience, grain)
        GROUP BY ALL
    ),
    lacking AS (
        -- not given, or due at a grain that cannot build the period (programme semesters in a
        -- quarter), and not measured inside a wider key either
        SELECT d.indicator, d.grp, d.p_code, d.operator, d.zone, d.audience,
               CASE WHEN d.tiles THEN NULL ELSE d.grain END AS grain, NULL::VARCHAR[] AS got, NOT d.tiles AS untiled,
               false AS stock
        FROM absent d ANTI JOIN covered c USING (indicator, grp, p_code, operator, zone, audience)
        UNION ALL BY NAME
        SELECT p.*, g.got, false AS untiled
        FROM partial p LEFT JOIN got g USING (indicator, grp, p_code, operator, zone, audience)
    ),
    outside AS (  -- series counted here although no obligation covers them
        SELECT indicator, grp, p_code, count(*)::BIGINT AS n_outside,
               arg_min({rollup_sql.describe("d")}, (operator, zone, audience), {rollup_sql.NOTE_NAMES}) AS outside
        FROM due_now d SEMI JOIN kept USING (indicator, grp, p_code, operator, zone, audience)
        WHERE NOT owed GROUP BY ALL
    ),
    missing AS (
        SELECT d.indicator, d.grp, d.p_code, count(*)::BIGINT AS n_missing,
               arg_min({{'who': {rollup_sql.describe("d")}, 'grain': d.grain, 'got': d.got, 'untiled': d.untiled,
                         'stock': d.stock}},
                       (d.operator, d.zone, d.audience), {rollup_sql.NOTE_NAMES}) AS missing
        FROM lacking d GROUP BY ALL
    ),
    overlap AS (
        SELECT indicator, grp, p_code, count(*)::BIGINT AS n_overlap,
               arg_min({rollup_sql.describe("s")}, (operator, zone, audience), {rollup_sql.NOTE_NAMES}) AS overlap
        FROM series s WHERE n_grains > 1 GROUP BY ALL
    ),
    top_keys AS (
        -- where the widest key was measured: every other key of a known zone lies inside it (a
        -- territory's, whoever measured it; an output's, a part of its operator's total). One
        -- row per key, the periods it was reported in as the bits of `mask` (kpi_placement.p_idx):
        -- a few thousand keys rather than one row per key and period
        SELECT v.indicator, {group} AS grp, NOT k.territory AS part,
               CASE WHEN k.territory THEN '' ELSE v.operator END AS operator, v.zone, v.audience,
               bit_or(1::UHUGEINT << m.p_idx::UHUGEINT) AS mask
        FROM v JOIN kpi_placement m ON m.indicator = v.indicator AND m.period = v.period
        JOIN kpi_slow w ON w.indicator = v.indicator AND w.grp = {group} AND w.p_code = m.p_code AND w.top_only
        JOIN kpi_rules k ON k.indicator = v.indicator
        WHERE NOT {rollup_sql.in_top_pass("v", by)}
        GROUP BY ALL
    ),
    top_masks AS (  -- the keys reported in the same periods, counted, the first ones named
        SELECT indicator, grp, part, mask, count(*)::BIGINT AS n,
               arg_min({{'k': (operator, zone, audience), 'd': {rollup_sql.nested_text("grp" if by == "zone" else "$root")}}},
                       (operator, zone, audience), {rollup_sql.NOTE_NAMES}) AS names
        FROM top_keys GROUP BY ALL
    ),
    inside_groups AS (
        SELECT indicator, grp, p_code, part, count(*)::BIGINT AS n,
               arg_min({{'k': (operator, zone, audience), 'd': {rollup_sql.nested_text("outer_zone")}}},
                       (operator, zone, audience), {rollup_sql.NOTE_NAMES}) AS names
        FROM (SELECT DISTINCT indicator, grp, p_code, part, CASE WHEN part THEN operator ELSE '' END AS operator,
                     zone, audience, outer_zone FROM nested)
        GROUP BY ALL
        UNION ALL
        SELECT t.indicator, t.grp, w.p_code, t.part, sum(t.n)::BIGINT AS n, flatten(list(t.names)) AS names
        FROM top_masks t
        JOIN kpi_slow w ON w.indicator = t.indicator AND w.grp = t.grp AND w.top_only
        JOIN (SELECT DISTINCT indicator, p_code, p_idx FROM kpi_placement) x
             ON x.indicator = w.indicator AND x.p_code = w.p_code
        WHERE (t.mask >> x.p_idx::UHUGEINT) & 1::UHUGEINT = 1::UHUGEINT
        GROUP BY ALL
    ),
    crossed AS (  -- keys set aside because they cross a wider zone's key (the figure is partial)
        SELECT indicator, grp, p_code, count(*)::BIGINT AS n_crossing,
               arg_min(CASE WHEN territory THEN '' ELSE operator || ' : ' END || {rollup_sql.key_text("zone", "audience")}
                       || ' ✕ ' || across, (operator, zone, audience), {rollup_sql.NOTE_NAMES}) AS crossing
        FROM (SELECT DISTINCT indicator, grp, p_code, CASE WHEN territory THEN '' ELSE operator END AS operator,
                     zone, audience, territory, across FROM crossing)
        GROUP BY ALL
    ),
    inside AS (  -- the keys set aside inside a wider one: territories, and operators' parts of their total
        SELECT indicator, grp, p_code,
               sum(n) FILTER (WHERE NOT part)::BIGINT AS n_nested,
               list_transform(list_sort(flatten(list(names) FILTER (WHERE NOT part)))[1:{rollup_sql.NOTE_NAMES}], lambda x: x.d)
                   AS nested,
               sum(n) FILTER (WHERE part)::BIGINT AS n_parts,
               list_transform(list_sort(flatten(list(names) FILTER (WHERE part)))[1:{rollup_sql.NOTE_NAMES}], lambda x: x.d)
                   AS parts
        FROM inside_groups GROUP BY ALL
    )
    SELECT f.indicator, f.grp, f.p_code AS period, f.value, f.n_values, f.n_series, f.n_bare, f.weighted, b.bare, b.n_bare_series,
           coalesce(m.n_missing, 0) AS n_missing, m.missing, coalesce(o.n_overlap, 0) AS n_overlap, o.overlap,
           coalesce(i.n_nested, 0) AS n_nested, i.nested, coalesce(i.n_parts, 0) AS n_parts, i.parts,
           coalesce(x.n_outside, 0) AS n_outside, x.outside, coalesce(c.n_crossing, 0) AS n_crossing, c.crossing
    FROM figures f
    LEFT JOIN missing m USING (indicator, grp, p_code)
    LEFT JOIN overlap o USING (indicator, grp, p_code)
    LEFT JOIN inside i USING (indicator, grp, p_code)
    LEFT JOIN bare b USING (indicator, grp, p_code)
    LEFT JOIN outside x USING (indicator, grp, p_code)
    LEFT JOIN crossed c USING (indicator, grp, p_code)
    UNION ALL BY NAME
    SELECT m.indicator, m.grp, m.p_code AS period, m.n_missing, m.missing
    FROM missing m ANTI JOIN figures f USING (indicator, grp, p_code)
    """
    cur = con.cursor()
    for name, frame in (
        ("kpi_rules", rules),
        ("kpi_placement", placement),
        ("kpi_periods", periods),
        ("kpi_slow", slow),
        ("kpi_zone_cover", zone_cover),
        ("kpi_aud_cover", aud_cover),
        ("kpi_expected", expected),
    ):
        cur.register(name, frame)
    result = cur.execute(sql, _params(sql, flt, root))
    names = [d[0] for d in result.description]
    return cast(list[FigureRow], [dict(zip(names, row, strict=True)) for row in result.fetchall()])  # its columns


def counted_values(
    con: duckdb.DuckDBPyConnection,
    flt: ValueFilter,
    rules: pd.DataFrame,
    placement: pd.DataFrame,
    zone_cover: pd.DataFrame,
    aud_cover: pd.DataFrame,
    expected: pd.DataFrame,
) -> pd.DataFrame:
    """Every stored value placed in the period(s) of `placement`, with its upload and whether it counts.

    `counted` is false with a `reason` code when the value lies in the period but another
    grain of its series was chosen ('grain'), its territory lies inside a wider one
    reported ('nested', with outer_zone), it crosses a wider zone's key for a narrower audience
    ('crossing', that key in outer_zone), or the same territory counts from another operator's
    report ('duplicate'). The lineage of one figure, by the very rules of the figure.
    """
    sql = f"""
    WITH v AS ({_FILTERED}),
    {rollup_sql.placed_cte("''")},
    {rollup_sql.rollup_ctes()}
    SELECT p.operator, p.zone, p.audience, p.period, p.value, p.numerator, p.denominator, p.upload_id,
           u.file_name, u.uploaded_by, u.uploaded_at, r.sheet, r.cell, u.stored_path, r.comment, u.review,
           k.operator IS NOT NULL AS counted,
           CASE WHEN k.operator IS NOT NULL THEN ''
                WHEN n.zone IS NOT NULL AND n.part THEN 'part'
                WHEN n.zone IS NOT NULL THEN 'nested'
                WHEN c.grain IS DISTINCT FROM p.grain THEN 'grain'
                WHEN x.zone IS NOT NULL THEN 'crossing'
                ELSE 'duplicate' END AS reason,
           coalesce(n.outer_zone, x.across) AS outer_zone, p.period_end, p.p_code
    FROM placed p
    JOIN report_values r ON {_COUNTS} AND r.indicator = p.indicator AND r.operator = p.operator
         AND r.zone = p.zone AND r.audience = p.audience AND r.period = p.period
    LEFT JOIN uploads u ON u.id = p.upload_id
    LEFT JOIN chosen c ON c.indicator = p.indicator AND c.operator = p.operator AND c.zone = p.zone
         AND c.audience = p.audience AND c.p_code = p.p_code
    LEFT JOIN kept k ON k.indicator = p.indicator AND k.operator = p.operator AND k.zone = p.zone
         AND k.audience = p.audience AND k.p_code = p.p_code AND k.grain = p.grain
    LEFT JOIN nested n ON n.indicator = p.indicator AND n.p_code = p.p_code AND n.operator = p.operator
         AND n.zone = p.zone AND n.audience = p.audience
    LEFT JOIN crossing x ON x.indicator = p.indicator AND x.p_code = p.p_code AND x.operator = p.operator
         AND x.zone = p.zone AND x.audience = p.audience
    ORDER BY p.operator, p.zone, p.audience, p.period_end
    """
    cur = con.cursor()
    for name, frame in (
        ("kpi_rules", rules),
        ("kpi_placement", placement),
        ("kpi_zone_cover", zone_cover),
        ("kpi_aud_cover", aud_cover),
        ("kpi_expected", expected),
    ):
        cur.register(name, frame)
    return cur.execute(sql, flt.params()).df()


def value_groups(con: duckdb.DuckDBPyConnection, flt: ValueFilter, by: str | None = None) -> pd.DataFrame:
    """Per indicator (and group): first start, last end, number of values, operators, and the
    upload to cite as the source of its latest values."""
    group = BY_COLUMNS[by]
    # First per upload (a few hundred rows however many values), then per indicator: the
    # upload holding the latest period's values has that period as its own latest.
    sql = f"""
    WITH v AS ({_FILTERED}),
    per_upload AS (
        SELECT v.indicator, {group} AS grp, v.operator, v.upload_id, min(v.period_start) AS first_start,
               max(v.period_end) AS last_end, count(*)::BIGINT AS n
        FROM v GROUP BY ALL
    )
    SELECT p.indicator, p.grp, min(p.first_start) AS first_start, max(p.last_end) AS last_end,
           sum(p.n)::BIGINT AS n_values, string_agg(DISTINCT p.operator, ', ' ORDER BY p.operator) AS operators,
           -- the source of the latest values: among the uploads holding the latest period's
           -- values, the latest by date (ids are not dates: a re-import can come later)
           arg_max(p.upload_id, {{'end': p.last_end, 'at': u.uploaded_at, 'id': p.upload_id}}) AS last_upload_id
    FROM per_upload p LEFT JOIN uploads u ON u.id = p.upload_id GROUP BY ALL
    """
    return con.cursor().execute(sql, flt.params()).df()


def naive_read(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every current value (for the benchmark's naive pandas baseline only)."""
    return con.cursor().execute(f"SELECT * FROM ({_FILTERED})", ValueFilter().params()).df()
