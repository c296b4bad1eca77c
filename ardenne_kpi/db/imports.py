"""Every SQL statement of the report import: uploads, values, supersession, rollback, export.

A value's identity is (indicator, operator, zone, audience, period). Every value an upload
reported is stored with it, even one it reported unchanged, so that upload keeps it when an
earlier one is rolled back. `is_current` marks the one row per identity that counts now: the
row of the latest live upload (by upload id) that reported that identity. Functions taking
`cur` run inside the caller's transaction (see `ardenne_kpi.db.transaction`); the others
open a fresh cursor. Incoming values are registered as NumPy columns and compared, checked
and inserted with set statements: executemany is a thousand times slower.
"""

from __future__ import annotations

import collections
import datetime as dt
from typing import TYPE_CHECKING, Any

import duckdb

from ardenne_kpi.db import LIVE_SQL, VALIDATED, one_row

if TYPE_CHECKING:
    from collections.abc import Mapping

    import numpy as np
    import pandas as pd

    Columns = Mapping[str, np.ndarray]  # a table as NumPy columns, which DuckDB scans (`ParsedReport.incoming`)

_IDENTITY = ("indicator", "operator", "zone", "audience", "period")


def _on(left: str, right: str) -> str:
    """`left.indicator = right.indicator AND …` over a value's identity."""
    return " AND ".join(f"{left}.{c} = {right}.{c}" for c in _IDENTITY)


_JOIN = _on("r", "i")


def _rows(result: duckdb.DuckDBPyConnection | duckdb.DuckDBPyRelation) -> list[Any]:
    """A query's rows as named tuples: the importer's warnings need a few rows, not pandas
    (which an import command would otherwise load for them). Their fields are the query's
    columns, known only when it runs: to the checker they are Any."""
    names: list[str] = (
        result.columns if isinstance(result, duckdb.DuckDBPyRelation) else [d[0] for d in result.description or ()]
    )

    # mypy types only namedtuples whose fields are written out; these are the query's columns.
    row = collections.namedtuple("Row", names, rename=True)  # type: ignore[misc]
    return [row(*values) for values in result.fetchall()]


def find_live_upload(con: duckdb.DuckDBPyConnection, sha256: str) -> dict[str, Any] | None:
    """The latest upload of this exact file that is not rolled back (upload_id, uploaded_at,
    uploaded_by, file_name, review), or None."""
    row = (
        con.cursor()
        .execute(
            "SELECT id, uploaded_at, uploaded_by, file_name, review FROM uploads "
            f"WHERE sha256 = ? AND status IN {LIVE_SQL} ORDER BY id DESC LIMIT 1",
            [sha256],
        )
        .fetchone()
    )
    if row is None:
        return None
    return {"upload_id": row[0], "uploaded_at": row[1], "uploaded_by": row[2], "file_name": row[3], "review": row[4]}


def compare(
    cur: duckdb.DuckDBPyConnection,
    incoming: Columns,
    *,
    epsilon: float,
    labels: tuple[str, ...],
    earlier: int | None = None,
) -> dict[str, np.ndarray]:
    """The supersession diff in one statement: for each incoming row, in `row_no` order, the
    value that counts now (old_id, old_value, NULL when none) and `change` (labels: new,
    changed, same[, restored]; same within `epsilon`, relative above 1). `restored` marks a
    changed value that upload `earlier` (the same file, imported before) had already
    brought: sending the file again makes it count again. NumPy columns (masked where NULL),
    as `fetchnumpy` gives them; the incoming columns are not sent back (the caller has them)."""
    new, changed, same, *rest = labels
    restored = rest[0] if rest else changed
    cur.register("incoming_values", incoming)
    try:
        return cur.sql(
            "SELECT r.value AS old_value, "
            "CASE WHEN r.id IS NULL THEN $new "
            "     WHEN abs(r.value - i.value) <= $eps * greatest(abs(i.value), 1) "
            "          AND r.numerator IS NOT DISTINCT FROM i.numerator "
            "          AND r.denominator IS NOT DISTINCT FROM i.denominator THEN $same "
            "     WHEN e.id IS NOT NULL AND abs(e.value - i.value) <= $eps * greatest(abs(i.value), 1) "
            "          AND e.numerator IS NOT DISTINCT FROM i.numerator "
            "          AND e.denominator IS NOT DISTINCT FROM i.denominator THEN $restored "
            "     ELSE $changed END AS change, "
            "r.id AS old_id "
            f"FROM incoming_values i LEFT JOIN report_values r ON r.is_current AND {_JOIN} "
            f"LEFT JOIN report_values e ON e.upload_id = $earlier AND {_on('e', 'i')} "
            "ORDER BY i.row_no",
            params={
                "new": new,
                "changed": changed,
                "same": same,
                "restored": restored,
                "eps": epsilon,
                "earlier": earlier,
            },
        ).fetchnumpy()
    finally:
        cur.unregister("incoming_values")


def differs_from_validated(cur: duckdb.DuckDBPyConnection, incoming: Columns, *, epsilon: float) -> np.ndarray:
    """For each incoming row, in `row_no` order, whether it differs (beyond `epsilon`, as in
    `compare`) from the validated value of its identity, or has none: what a validated import
    would change in the validated figures, even where it equals a submitted current value."""
    cur.register("incoming_values", incoming)
    try:
        differs: np.ndarray = cur.sql(
            "SELECT NOT coalesce(abs(v.value - i.value) <= $eps * greatest(abs(i.value), 1) "
            "          AND v.numerator IS NOT DISTINCT FROM i.numerator "
            "          AND v.denominator IS NOT DISTINCT FROM i.denominator, false) AS differs "
            f"FROM incoming_values i LEFT JOIN report_values v ON v.is_validated AND {_on('v', 'i')} "
            "ORDER BY i.row_no",
            params={"eps": epsilon},
        ).fetchnumpy()["differs"]
        return differs
    finally:
        cur.unregister("incoming_values")


def fully_current(con: duckdb.DuckDBPyConnection, upload_id: int) -> bool:
    """Whether every value and brand-platform score the upload reported counts now: sending
    its file again would then change nothing. False for an upload made before every reported
    value was stored (its row count falls short of its counts): only re-reading tells."""
    row = one_row(
        con.cursor().execute(
            """
        SELECT (SELECT count(*) FROM report_values WHERE upload_id = $id)
                   = (SELECT coalesce(inserted, 0) + coalesce(updated, 0) + coalesce(unchanged, 0)
                      FROM uploads WHERE id = $id)
               AND NOT EXISTS (SELECT 1 FROM report_values WHERE upload_id = $id AND NOT is_current)
               AND NOT EXISTS (SELECT 1 FROM brand_scores WHERE upload_id = $id AND NOT is_current)
    """,
            {"id": int(upload_id)},
        )
    )
    return bool(row[0])


def outliers(cur: duckdb.DuckDBPyConnection, incoming: Columns, *, ratio: float, limit: int) -> list[Any]:
    """The first `limit` incoming rows (by `row_no`) without a comment whose value is more than
    `ratio` times, or less than 1/`ratio` of, the same key's value at the previous period of
    the same grain (from the file itself or the database), as named tuples: row_no, indicator,
    period, value, sheet, cell, prev_value, prev_period."""
    cur.register("incoming_values", incoming)
    try:
        return _rows(
            cur.sql(
                f"""
            WITH keys AS (SELECT DISTINCT indicator, operator, zone, audience, grain FROM incoming_values),
            stored AS (
                SELECT r.indicator, r.operator, r.zone, r.audience, r.grain, r.period,
                       CAST(r.period_start AS DATE) AS period_start, r.value, NULL::BIGINT AS row_no,
                       NULL AS sheet, NULL AS cell, NULL AS comment
                FROM report_values r JOIN keys k USING (indicator, operator, zone, audience, grain)
                WHERE r.is_current
                  AND NOT EXISTS (SELECT 1 FROM incoming_values i WHERE {_JOIN})),
            combined AS (
                SELECT * FROM stored
                UNION ALL
                SELECT indicator, operator, zone, audience, grain, period, CAST(period_start AS DATE),
                       value, row_no, sheet, cell, comment FROM incoming_values),
            ordered AS (
                SELECT row_no, indicator, period, value, sheet, cell, comment,
                       lag(value) OVER w AS prev_value, lag(period) OVER w AS prev_period
                FROM combined
                WINDOW w AS (PARTITION BY indicator, operator, zone, audience, grain ORDER BY period_start))
            SELECT row_no, indicator, period, value, sheet, cell, prev_value, prev_period
            FROM ordered
            WHERE row_no IS NOT NULL AND prev_value > 0
              AND (value > $ratio * prev_value OR value < prev_value / $ratio)
              AND coalesce(trim(comment), '') = ''
            ORDER BY row_no
            LIMIT $limit
        """,
                params={"ratio": ratio, "limit": limit},
            )
        )
    finally:
        cur.unregister("incoming_values")


def grain_overlaps(cur: duckdb.DuckDBPyConnection, incoming: Columns, limit: int = 20) -> list[Any]:
    """Where the file and the stored values give one series both a period and periods inside it
    (a semester and its quarters) with different totals: the aggregation counts one of them
    only, and the partner should know which two figures disagree.

    One named tuple per coarse value: indicator, operator, zone, audience, coarse period, its value
    and upload (NULL = this file), the fine periods' total, how many, whether some of them are
    in this file (fine_in_file), and the stored uploads holding the others (fine_uploads).
    """
    cur.register("incoming_values", incoming)
    try:
        return _rows(
            cur.execute(
                """
            WITH v AS (
                SELECT indicator, operator, zone, audience, period, period_start, period_end, value,
                       NULL::INTEGER AS upload_id FROM incoming_values
                UNION ALL
                SELECT r.indicator, r.operator, r.zone, r.audience, r.period, r.period_start, r.period_end,
                       r.value, r.upload_id
                FROM report_values r
                WHERE r.is_current AND (r.indicator, r.operator) IN (SELECT indicator, operator FROM incoming_values)
                  AND NOT EXISTS (SELECT 1 FROM incoming_values i WHERE i.indicator = r.indicator
                                  AND i.operator = r.operator AND i.zone = r.zone AND i.audience = r.audience
                                  AND i.period = r.period)
            ),
            spans AS (SELECT DISTINCT period, period_start, period_end FROM v),
            coarse AS (  -- the periods holding another one: a pair starts only from their values
                SELECT DISTINCT c.period, c.period_start, c.period_end FROM spans c JOIN spans f
                    ON f.period <> c.period AND f.period_start >= c.period_start AND f.period_end <= c.period_end
            ),
            pairs AS (
                SELECT c.indicator, c.operator, c.zone, c.audience, c.period, c.value, c.upload_id,
                       sum(f.value) AS fine_total, count(*) AS n_fine,
                       bool_or(f.upload_id IS NULL) AS fine_in_file,
                       coalesce(list(DISTINCT f.upload_id ORDER BY f.upload_id)
                                FILTER (WHERE f.upload_id IS NOT NULL), []) AS fine_uploads,
                       bool_or(c.upload_id IS NULL OR f.upload_id IS NULL) AS touches_file
                FROM (SELECT * FROM v SEMI JOIN coarse USING (period, period_start, period_end)) c
                     JOIN v f ON f.indicator = c.indicator AND f.operator = c.operator AND f.zone = c.zone
                     AND f.audience = c.audience AND f.period <> c.period
                     AND f.period_start >= c.period_start AND f.period_end <= c.period_end
                GROUP BY ALL
            )
            SELECT p.* FROM pairs p JOIN indicators k ON k.code = p.indicator
            WHERE p.touches_file AND k.agg_time = 'sum' AND abs(p.value - p.fine_total) > 1e-9 * greatest(abs(p.value), 1)
            ORDER BY p.indicator, p.period, p.operator, p.zone, p.audience, p.upload_id NULLS FIRST
            LIMIT ?
        """,
                [limit],
            )
        )
    finally:
        cur.unregister("incoming_values")


def absent_values(cur: duckdb.DuckDBPyConnection, incoming: Columns) -> list[Any]:
    """Values that count now for the file's operators and periods but are not in the file
    (named tuples: indicator, operator, zone, audience, period, value, upload_id): they are
    kept, and the importer lists them as a warning."""
    cur.register("incoming_values", incoming)
    try:
        return _rows(
            cur.execute(f"""
            SELECT r.indicator, r.operator, r.zone, r.audience, r.period, r.value, r.upload_id
            FROM report_values r
            WHERE r.is_current
              AND r.operator IN (SELECT DISTINCT operator FROM incoming_values)
              AND r.period IN (SELECT DISTINCT period FROM incoming_values)
              AND NOT EXISTS (SELECT 1 FROM incoming_values i WHERE {_JOIN})
            ORDER BY r.indicator, r.period, r.zone, r.audience
        """)
        )
    finally:
        cur.unregister("incoming_values")


def insert_upload(
    cur: duckdb.DuckDBPyConnection,
    *,
    file_name: str,
    sha256: str,
    size_bytes: int,
    operator: str | None,
    user: str | None,
    stored_path: str | None,
    status: str = "imported",
    uploaded_at: dt.datetime | None = None,
    review: str = VALIDATED,
    lock_reason: str | None = None,
) -> int:
    """A new upload; a validated one (an admin's) is reviewed by its author as it lands."""
    at = uploaded_at or dt.datetime.now().replace(microsecond=0)
    validated = review == VALIDATED
    upload_id: int = one_row(
        cur.execute(
            "INSERT INTO uploads (file_name, sha256, size_bytes, operator, uploaded_by, uploaded_at, status, stored_path, "
            "review, reviewed_by, reviewed_at, lock_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [
                file_name,
                sha256,
                size_bytes,
                operator,
                user,
                at,
                status,
                stored_path,
                review,
                user if validated else None,
                at if validated else None,
                lock_reason,
            ],
        )
    )[0]
    return upload_id


def write_values(cur: duckdb.DuckDBPyConnection, upload_id: int, values: Columns, *, validated: bool = False) -> None:
    """Store every value of the upload, current (the new upload is the latest), and supersede
    the rows that counted for the same identities (`old_id`). `values`: the incoming columns
    plus old_id; unchanged values included, so that they stay this upload's when an earlier
    upload is rolled back.

    A `validated` upload's values are the validated ones of their identities as they land
    (it is the latest validated upload: what `refresh_validated` would conclude, without
    its pass over every row of those identities); the others wait for `refresh_validated`."""
    if len(values["row_no"]) == 0:
        return
    cur.register("upload_values", values)
    try:
        cur.execute(
            "UPDATE report_values SET is_current = false "
            "WHERE id IN (SELECT old_id FROM upload_values WHERE old_id IS NOT NULL)"
        )
        if validated:
            cur.execute(
                f"UPDATE report_values SET is_validated = false FROM upload_values i "
                f"WHERE report_values.is_validated AND {_on('report_values', 'i')}"
            )
        cur.execute(
            "INSERT INTO report_values (indicator, operator, zone, audience, period, grain, period_start, "
            "period_end, value, numerator, denominator, comment, upload_id, sheet, cell, is_current, is_validated) "
            "SELECT indicator, operator, zone, audience, period, grain, CAST(period_start AS DATE), "
            "CAST(period_end AS DATE), value, numerator, denominator, comment, ?, sheet, cell, true, ? "
            "FROM upload_values ORDER BY row_no",
            [upload_id, validated],
        )
    finally:
        cur.unregister("upload_values")


def finish_upload(
    cur: duckdb.DuckDBPyConnection,
    upload_id: int,
    *,
    inserted: int,
    updated: int,
    unchanged: int,
    warnings: int,
    messages: str,
) -> None:
    cur.execute(
        "UPDATE uploads SET inserted = ?, updated = ?, unchanged = ?, warnings = ?, messages = ? WHERE id = ?",
        [inserted, updated, unchanged, warnings, messages, upload_id],
    )


def get_upload(con: duckdb.DuckDBPyConnection, upload_id: int) -> dict[str, Any] | None:
    cur = con.cursor()
    row = cur.execute("SELECT * FROM uploads WHERE id = ?", [upload_id]).fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cur.description], row, strict=True))


def list_uploads(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The upload history, newest first."""
    return (
        con.cursor()
        .execute(
            "SELECT id, file_name, operator, uploaded_by, uploaded_at, status, inserted, updated, unchanged, warnings, "
            "size_bytes, sha256, stored_path, rolled_back_at, rolled_back_by, review, reviewed_by, reviewed_at, "
            "review_message, lock_reason FROM uploads ORDER BY id DESC"
        )
        .df()
    )


def rollback_plan(cur: duckdb.DuckDBPyConnection, upload_id: int) -> pd.DataFrame:
    """Each value of the upload that counts now, and the one that will count instead (the
    value of the latest other live upload that reported it, by upload order), or none (withdrawn)."""
    return cur.execute(
        f"""
        WITH mine AS (
            SELECT id, indicator, operator, zone, audience, period, value
            FROM report_values WHERE upload_id = $id AND is_current),
        candidates AS (
            SELECT r.id, r.indicator, r.operator, r.zone, r.audience, r.period, r.value, r.upload_id,
                   row_number() OVER (PARTITION BY r.indicator, r.operator, r.zone, r.audience, r.period
                                      ORDER BY r.upload_id DESC, r.id DESC) AS rank
            FROM report_values r JOIN uploads u ON u.id = r.upload_id
            JOIN mine i ON {_JOIN}
            WHERE u.status IN {LIVE_SQL} AND r.upload_id <> $id)
        SELECT i.indicator, i.operator, i.zone, i.audience, i.period, i.id AS current_id,
               i.value AS current_value, c.id AS restored_id, c.value AS restored_value,
               c.upload_id AS restored_upload
        FROM mine i LEFT JOIN candidates c
          ON c.rank = 1 AND c.indicator = i.indicator AND c.operator = i.operator AND c.zone = i.zone
         AND c.audience = i.audience AND c.period = i.period
        ORDER BY i.indicator, i.period, i.zone, i.audience
    """,
        {"id": upload_id},
    ).df()


def apply_rollback(
    cur: duckdb.DuckDBPyConnection, upload_id: int, plan: pd.DataFrame, user: str | None, status: str = "rolled_back"
) -> None:
    """The upload stops counting (`status`: rolled_back, or returned when the coordinator sends
    it back) and `plan`'s restored values count again, validated ones included."""
    cur.execute(
        "UPDATE uploads SET status = ?, rolled_back_at = ?, rolled_back_by = ? WHERE id = ?",
        [status, dt.datetime.now().replace(microsecond=0), user, upload_id],
    )
    cur.execute("UPDATE report_values SET is_current = false WHERE upload_id = ? AND is_current", [upload_id])
    restored = plan.loc[plan["restored_id"].notna(), ["restored_id"]].astype("int64")
    if not restored.empty:
        cur.register("restored_values", restored)
        try:
            cur.execute(
                "UPDATE report_values SET is_current = true WHERE id IN (SELECT restored_id FROM restored_values)"
            )
        finally:
            cur.unregister("restored_values")
    refresh_validated(cur, upload_id)


def refresh_validated(cur: duckdb.DuckDBPyConnection, upload_id: int | None = None) -> None:
    """Mark validated, for every identity `upload_id` reported (every identity when None), the
    row of the latest live validated upload that reported it, and no other: after a validated
    import, a validation, a rollback."""
    ids = ", ".join(_IDENTITY)
    mine = ", ".join(f"r.{c}" for c in _IDENTITY)
    scope = "" if upload_id is None else f"WHERE ({mine}) IN (SELECT {ids} FROM report_values WHERE upload_id = $id)"
    cur.execute(
        f"""
        UPDATE report_values SET is_validated = coalesce(report_values.id = w.winner, false)
        FROM (SELECT r.indicator, r.operator, r.zone, r.audience, r.period,
                     max_by(r.id, CASE WHEN u.status IN {LIVE_SQL} AND u.review = '{VALIDATED}'
                                       THEN [r.upload_id, r.id] END) AS winner
              FROM report_values r LEFT JOIN uploads u ON u.id = r.upload_id
              {scope}
              GROUP BY ALL) w
        WHERE {_on("report_values", "w")}""",
        {} if upload_id is None else {"id": int(upload_id)},
    )


def refresh_current(cur: duckdb.DuckDBPyConnection) -> None:
    """Mark current, for every identity, the row of the latest live upload that reported it
    (and no other): the rule every import and rollback keeps, applied whole (migrations)."""
    cur.execute(f"""
        UPDATE report_values SET is_current = coalesce(report_values.id = w.winner, false)
        FROM (SELECT r.indicator, r.operator, r.zone, r.audience, r.period,
                     max_by(r.id, CASE WHEN u.status IN {LIVE_SQL} THEN [r.upload_id, r.id] END) AS winner
              FROM report_values r LEFT JOIN uploads u ON u.id = r.upload_id
              GROUP BY ALL) w
        WHERE {_on("report_values", "w")}""")
    cur.execute(f"""
        UPDATE brand_scores SET is_current = coalesce(brand_scores.rowid = w.winner, false)
        FROM (SELECT b.operator, b.period, b.element,
                     max_by(b.rowid, CASE WHEN u.status IN {LIVE_SQL} THEN [b.upload_id, b.rowid] END) AS winner
              FROM brand_scores b LEFT JOIN uploads u ON u.id = b.upload_id
              GROUP BY ALL) w
        WHERE brand_scores.operator = w.operator AND brand_scores.period = w.period
          AND brand_scores.element = w.element""")
    refresh_validated(cur)


def export_values(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The validated values that count now, one row each, with their lineage."""
    return (
        con.cursor()
        .execute(
            "SELECT indicator, operator, zone, audience, period, period_start, period_end, value, upload_id, sheet, cell "
            "FROM report_values WHERE is_validated "
            "ORDER BY indicator, operator, zone, audience, period_start, period_end, period"
        )
        .df()
    )
