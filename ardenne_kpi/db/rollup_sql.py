"""The SQL pieces of the figures' roll-up, shared by its statements (db/kpis.py): the values
placed in the periods of the chosen grain (`placed_cte`), the per-series chain that rolls
each series up and keeps the ones that count (`rollup_ctes`: nested territories, the grain
chosen, the time rule, crossing keys), and the texts a note names a key with.
"""

from __future__ import annotations


def top_key(alias: str, by: str | None) -> str:
    """SQL: the key of `alias` (zone, audience) is its group's widest: the zone $root (or the
    group's own zone) for all audiences (or the group's own audience)."""
    zone = f"{alias}.zone" if by == "zone" else "$root"
    audience = f"{alias}.audience" if by == "audience" else "''"
    return f"({alias}.zone = {zone} AND {alias}.audience = {audience})"


def in_top_pass(alias: str, by: str | None) -> str:
    """SQL: the row of `alias` goes through the per-series pass of a period whose widest key
    was measured (`top_only`): that key itself, or a zone the framework does not know (which
    nests in nothing)."""
    return f"({top_key(alias, by)} OR {alias}.zone NOT IN (SELECT code_in FROM kpi_zone_cover))"


def placed_cte(group: str, only_slow: bool = False, by: str | None = None) -> str:
    """`placed`: each filtered value in the period of the grain that wholly contains it
    (kpi_placement); with `only_slow`, in the periods listed in kpi_slow alone, and of those
    whose widest key was measured (top_only), the rows of that key alone (in_top_pass)."""
    slow = (
        f"JOIN kpi_slow w ON w.indicator = v.indicator AND w.grp = {group} AND w.p_code = m.p_code "
        f"AND (NOT w.top_only OR {in_top_pass('v', by)})"
        if only_slow
        else ""
    )
    return f"""
    placed AS MATERIALIZED (
        SELECT v.indicator, {group} AS grp, v.operator, v.zone, v.audience, v.period, v.grain,
               v.period_start, v.period_end, v.value, v.numerator, v.denominator, v.upload_id,
               m.p_code, m.p_end, m.n_sub, m.mixed, datediff('day', v.period_start, v.period_end) + 1 AS days
        FROM v JOIN kpi_placement m ON m.indicator = v.indicator AND m.period = v.period {slow}
    )"""


def rollup_ctes(source: str = "placed") -> str:
    """The per-series chain, as CTEs over `source` (placed values: `placed` or a part of it).

    Registered on the cursor: kpi_placement (indicator, period → p_code, p_end, n_sub: how
    many periods of the stored grain tile p_code, mixed: several grains stored in p_code),
    kpi_rules (one row per indicator), kpi_zone_cover / kpi_aud_cover (code_in, code_out:
    every code and the codes containing it), kpi_expected (what is due, with each series' grp).

    - nested:   for a territory measurement, the zones and audiences lying inside another one
                reported for the period (already counted in the wider one): set aside first;
    - by_grain: per series (operator × zone × audience), period and stored grain, the sums;
    - chosen:   per series and period, one grain only: the one covering most days (a
                semester and its quarters never count twice);
    - series:   the series' value by the time rule, whether it covers the whole period;
    - crossing: of two keys overlapping without one lying inside the other (a wider zone for
                a narrower audience: (BE-LUX, all) beside (ARD, NL) share BE-LUX's NL), the
                one set aside (the figure is partial): the key reported outside any obligation
                (kpi_expected) beside an owed one, else the narrower zone's;
    - kept:     the series that count: one per territory measured.
    """
    return f"""
    measured AS (  -- territories, and outputs whose operators may give a total beside its parts
        SELECT DISTINCT p.indicator, p.grp, p.p_code, p.operator, p.zone, p.audience, k.territory
        FROM {source} p JOIN kpi_rules k USING (indicator) WHERE k.territory OR k.nests
    ),
    aud_cover AS (
        SELECT code_in, code_out FROM kpi_aud_cover
        UNION SELECT DISTINCT audience, audience FROM measured
        UNION SELECT DISTINCT audience, '' FROM measured
    ),
    {keys_up("measured_up", "measured", "aud_cover")},
    nested AS (
        SELECT r.indicator, r.grp, r.p_code, r.operator, r.zone, r.audience,
               arg_min(o.zone || CASE WHEN o.audience IN ('', r.audience) THEN '' ELSE ' · ' || o.audience END,
                       (r.depth_up, o.zone, o.audience)) AS outer_zone,
               bool_and(NOT r.territory) AS part
        FROM measured_up r {IN_MEASURED}
        WHERE NOT (r.zone_up = r.zone AND r.audience_up = r.audience)
        GROUP BY ALL
    ),
    unnested AS (
        SELECT p.* FROM {source} p ANTI JOIN nested n USING (indicator, grp, p_code, operator, zone, audience)
    ),
    by_grain AS MATERIALIZED (
        SELECT indicator, grp, operator, zone, audience, p_code, p_end, grain, any_value(n_sub) AS n_sub,
               any_value(mixed) AS mixed, count(*)::BIGINT AS n, sum(days) AS covered, sum(value) AS s,
               avg(value) AS m, arg_max(value, period_end) AS l, min(period_start) AS first_start,
               max(period_end) AS last_end,
               max(upload_id) AS last_upload,
               sum(numerator) FILTER (WHERE numerator IS NOT NULL AND denominator IS NOT NULL) AS num_s,
               sum(denominator) FILTER (WHERE numerator IS NOT NULL AND denominator IS NOT NULL) AS den_s,
               arg_max(numerator, period_end) FILTER (WHERE numerator IS NOT NULL AND denominator IS NOT NULL) AS num_l,
               arg_max(denominator, period_end) FILTER (WHERE numerator IS NOT NULL AND denominator IS NOT NULL) AS den_l,
               count(*) FILTER (WHERE numerator IS NULL OR denominator IS NULL)::BIGINT AS n_bare,
               avg(value) FILTER (WHERE numerator IS NULL OR denominator IS NULL) AS m_bare
        FROM unnested GROUP BY ALL
    ),
    chosen AS (
        -- Only periods where several grains were stored (`mixed`, decided on the small table)
        -- need the choice: the window runs on those rows alone.
        SELECT *, 1::BIGINT AS n_grains FROM by_grain WHERE NOT mixed
        UNION ALL BY NAME
        SELECT * FROM (
            SELECT *, count(*) OVER (PARTITION BY indicator, grp, operator, zone, audience, p_code) AS n_grains
            FROM by_grain WHERE mixed
            QUALIFY row_number() OVER (PARTITION BY indicator, grp, operator, zone, audience, p_code
                                       ORDER BY covered DESC, n ASC, grain) = 1)
    ),
    series AS MATERIALIZED (
        SELECT c.*, k.agg_space, k.territory, k.nests, k.ratio, k.scale,
               -- a stock is its value at the period's end: one date, one value (a series silent
               -- at that date gives none, and is missing where it is due)
               CASE k.agg_time WHEN 'sum' THEN c.s WHEN 'mean' THEN c.m
                    ELSE CASE WHEN c.last_end = c.p_end THEN c.l END END AS tv,
               CASE WHEN k.agg_time = 'last' AND c.last_end < c.p_end THEN NULL
                    WHEN k.components_agg = 'last' THEN c.num_l ELSE c.num_s END AS tnum,
               CASE WHEN k.agg_time = 'last' AND c.last_end < c.p_end THEN NULL
                    WHEN k.components_agg = 'last' THEN c.den_l ELSE c.den_s END AS tden,
               k.agg_time = 'last' AS stock
        FROM chosen c JOIN kpi_rules k USING (indicator)
    ),
    crossing_pairs AS (
        -- a key `r` and a key `o` of a zone strictly wider for an audience strictly narrower
        -- (within one operator's report for an output, whoever measured it for a territory):
        -- they overlap without one containing the other, so adding them would count the shared
        -- part twice. Whether each was owed there (an obligation of kpi_expected over the days
        -- it reported) decides which one counts.
        SELECT r.indicator, r.grp, r.p_code, r.territory, zc.depth_out,
               r.operator AS r_operator, r.zone AS r_zone, r.audience AS r_audience,
               o.operator AS o_operator, o.zone AS o_zone, o.audience AS o_audience,
               {owed("r")} AS r_owed, {owed("o")} AS o_owed
        FROM series r
        {
        crossed_by(
            "r",
            "series",
            "o",
            "o.indicator = r.indicator AND o.grp = r.grp AND o.p_code = r.p_code "
            "AND (r.territory OR o.operator = r.operator)",
        )
    }
        WHERE r.territory OR r.nests
    ),
    owed_out AS (  -- of two owed keys crossing, the wider zone's counts (transitive in a tree)
        SELECT indicator, grp, p_code, r_operator AS operator, r_zone AS zone, r_audience AS audience, territory,
               {key_text("o_zone", "o_audience")} AS across, (depth_out, o_zone, o_audience) AS rank
        FROM crossing_pairs WHERE r_owed AND o_owed
    ),
    first_out AS (  -- a key reported outside any obligation crossing an owed key that counts
        SELECT x.* FROM (
            SELECT indicator, grp, p_code, r_operator AS operator, r_zone AS zone, r_audience AS audience, territory,
                   {key_text("o_zone", "o_audience")} AS across, (depth_out, o_zone, o_audience) AS rank,
                   o_operator AS w_operator, o_zone AS w_zone, o_audience AS w_audience
            FROM crossing_pairs WHERE o_owed AND NOT r_owed
            UNION ALL
            SELECT indicator, grp, p_code, o_operator, o_zone, o_audience, territory,
                   {key_text("r_zone", "r_audience")}, (depth_out, r_zone, r_audience), r_operator, r_zone, r_audience
            FROM crossing_pairs WHERE r_owed AND NOT o_owed) x
        ANTI JOIN owed_out w ON {same_key("w", "x", "w_")}
    ),
    second_out AS (  -- then, among the keys outside any obligation still there, the wider zone's counts
        SELECT indicator, grp, p_code, r_operator AS operator, r_zone AS zone, r_audience AS audience, territory,
               {key_text("o_zone", "o_audience")} AS across, (depth_out, o_zone, o_audience) AS rank
        FROM crossing_pairs c
        ANTI JOIN first_out f ON {same_key("f", "c", "r_")}
        ANTI JOIN first_out g ON {same_key("g", "c", "o_")}
        WHERE NOT r_owed AND NOT o_owed
    ),
    crossing AS (
        -- the keys set aside, each with the key it crosses that counts (the first by rank): an
        -- owed key counts over one reported outside any obligation, else the wider zone's; the
        -- keys left never overlap
        SELECT indicator, grp, p_code, operator, zone, audience, any_value(territory) AS territory,
               arg_min(across, rank) AS across
        FROM (SELECT * FROM owed_out UNION ALL BY NAME
              SELECT indicator, grp, p_code, operator, zone, audience, territory, across, rank FROM first_out
              UNION ALL BY NAME SELECT * FROM second_out)
        GROUP BY indicator, grp, p_code, operator, zone, audience
    ),
    uncrossed AS (
        SELECT s.* FROM series s ANTI JOIN crossing c USING (indicator, grp, p_code, operator, zone, audience)
    ),
    kept AS (
        SELECT * FROM uncrossed WHERE NOT territory
        UNION ALL BY NAME
        SELECT s.* FROM uncrossed s SEMI JOIN (  -- the latest upload's series, then the first operator
            SELECT indicator, grp, p_code, zone, audience, arg_min(operator, (-last_upload, operator)) AS operator
            FROM uncrossed WHERE territory GROUP BY ALL) t USING (indicator, grp, p_code, zone, audience, operator)
    )"""


# aud_cover, plus every audience of the absent series (codes the framework may not know) in itself and in ''.
ABSENT_AUD_COVER = """(SELECT code_in, code_out FROM aud_cover
              UNION SELECT DISTINCT audience, audience FROM absent UNION SELECT DISTINCT audience, '' FROM absent)"""


def keys_up(name: str, keys: str, aud_cover: str) -> str:
    """CTE `name`: each key of `keys` (indicator, grp, p_code, zone, audience) with every
    (zone_up, audience_up) that is or contains it: its zone through kpi_zone_cover, its
    audience through `aud_cover` (code_in, code_out).

    Materialized on purpose: it fences the joins, so the keys are widened first and only then
    looked up among the measured territories (IN_MEASURED); left to itself, the optimizer
    joined the measured keys to the covers first, hundreds of thousands of rows for a few thousand keys.
    """
    return f"""{name} AS MATERIALIZED (
        SELECT k.*, zc.code_out AS zone_up, zc.depth_out AS depth_up, ac.code_out AS audience_up
        FROM {keys} k JOIN kpi_zone_cover zc ON zc.code_in = k.zone JOIN {aud_cover} ac ON ac.code_in = k.audience
    )"""


# From widened keys `r` (keys_up) to the measured territory `o` of the same period that is or contains them.
# Outputs nest within one operator's report (its total and its parts); territories whoever measured them.
IN_MEASURED = """JOIN measured o ON o.indicator = r.indicator AND o.grp = r.grp AND o.p_code = r.p_code
                       AND o.zone = r.zone_up AND o.audience = r.audience_up
                       AND (o.territory OR o.operator = r.operator)"""


def nested_text(outer: str) -> str:
    """SQL text naming a key (columns part, operator, zone, audience) set aside inside a wider
    one `outer`, for a note: « BE-NAM · NL ⊂ ARD », and for a part of its operator's own total
    « FTLB : BE-NAM ⊂ BE-LUX »."""
    return f"CASE WHEN part THEN operator || ' : ' ELSE '' END || {key_text('zone', 'audience')} || ' ⊂ ' || {outer}"


def key_text(zone: str, audience: str) -> str:
    """SQL text of a key (zone, audience) in a note: « BE-NAM », « BE-NAM · NL »."""
    return f"{zone} || CASE WHEN {audience} = '' THEN '' ELSE ' · ' || {audience} END"


def crossed_by(r: str, keys: str, o: str, same: str) -> str:
    """SQL joins from a key `r` to every key `o` of `keys` that crosses it: a zone strictly wider
    (kpi_zone_cover) for an audience strictly narrower (the statement's own `aud_cover`, every
    audience in itself and in ''). `same`: what `o` and `r` must share (indicator, group...).
    One definition for the figure (`crossing`) and for the shape of what is due (`nests`)."""
    return f"""JOIN kpi_zone_cover zc ON zc.code_in = {r}.zone AND zc.code_out <> {r}.zone
        JOIN {keys} {o} ON {same} AND {o}.zone = zc.code_out AND {o}.audience <> {r}.audience
        JOIN aud_cover ac ON ac.code_in = {o}.audience AND ac.code_out = {r}.audience"""


def same_key(a: str, b: str, prefix: str) -> str:
    """SQL join condition: key `a` (indicator, grp, p_code, operator, zone, audience) is the
    one `b` names with `prefix` (`b.r_zone`...) in the same indicator, group and period."""
    return (
        f"{a}.indicator = {b}.indicator AND {a}.grp = {b}.grp AND {a}.p_code = {b}.p_code "
        f"AND {a}.operator = {b}.{prefix}operator AND {a}.zone = {b}.{prefix}zone AND {a}.audience = {b}.{prefix}audience"
    )


def owed(alias: str) -> str:
    """SQL: whether the series `alias` (indicator, grp, operator, zone, audience, territory,
    first_start, last_end) was owed where it reported: an obligation of kpi_expected over those
    days, its operator's for an output, anyone's for a territory (whoever measures it)."""
    return f"""EXISTS (SELECT 1 FROM kpi_expected e
                WHERE e.obligation AND e.indicator = {alias}.indicator AND e.grp = {alias}.grp
                  AND (e.operator = {alias}.operator OR {alias}.territory)
                  AND e.zone = {alias}.zone AND e.audience = {alias}.audience
                  AND e.due_from <= {alias}.last_end AND e.due_to >= {alias}.first_start)"""


def describe(alias: str) -> str:
    """SQL text naming a series for a note: « ADT08 (FR-08) » or « ADT08 (FR-08, NL) »."""
    return (
        f"{alias}.operator || ' (' || {alias}.zone || "
        f"CASE WHEN {alias}.audience = '' THEN '' ELSE ', ' || {alias}.audience END || ')'"
    )


# How many series a note names before "et N autres".
NOTE_NAMES = 4
