"""SQL of the brand-platform scores: writing a partner's sheet, reading what counts now."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd

from ardenne_kpi.db import LIVE_SQL, VALIDATED, query_df, submitted_params


def write_scores(cur: duckdb.DuckDBPyConnection, scores: pd.DataFrame, upload_id: int) -> int:
    """Supersede the current scores of the same (operator, period, element) and insert these,
    current. `scores`: operator, period, period_start, period_end, element, score, comment,
    sheet, cell. Run inside the caller's transaction; returns the number of rows written."""
    if scores.empty:
        return 0
    cur.register("brand_incoming", scores)
    try:
        cur.execute("""
            UPDATE brand_scores SET is_current = FALSE
            WHERE is_current AND (operator, period, element) IN
                  (SELECT (operator, period, element) FROM brand_incoming)""")
        cur.execute(
            """
            INSERT INTO brand_scores (operator, period, period_start, period_end, element, score, comment,
                                      upload_id, sheet, cell, is_current)
            SELECT operator, period, CAST(period_start AS DATE), CAST(period_end AS DATE), element,
                   CAST(score AS INTEGER), comment, ?, sheet, cell, TRUE
            FROM brand_incoming""",
            [upload_id],
        )
    finally:
        cur.unregister("brand_incoming")
    return len(scores)


def changed_scores(cur: duckdb.DuckDBPyConnection, scores: pd.DataFrame) -> int:
    """How many of these scores differ from the one that counts now for their (operator,
    period, element), or have none: what storing them would change."""
    if scores.empty:
        return 0
    cur.register("brand_incoming", scores)
    try:
        return int(
            cur.execute("""
            SELECT count(*) FROM brand_incoming i
            LEFT JOIN brand_scores b ON b.is_current AND b.operator = i.operator AND b.period = i.period
                                    AND b.element = i.element
            WHERE b.score IS DISTINCT FROM CAST(i.score AS INTEGER)""").fetchall()[0][0]
        )
    finally:
        cur.unregister("brand_incoming")


def rollback_upload(cur: duckdb.DuckDBPyConnection, upload_id: int) -> None:
    """Withdraw the scores of an upload and restore, for each, the latest earlier score of a
    live upload. Run inside the rollback's transaction, before or after the upload's status changes."""
    cur.execute(
        f"""
        WITH mine AS (SELECT operator, period, element FROM brand_scores WHERE upload_id = $id AND is_current),
        restored AS (
            SELECT b.rowid AS rid FROM brand_scores b
            JOIN mine m USING (operator, period, element)
            JOIN uploads u ON u.id = b.upload_id
            WHERE b.upload_id <> $id AND u.status IN {LIVE_SQL}
            QUALIFY row_number() OVER (PARTITION BY b.operator, b.period, b.element ORDER BY b.upload_id DESC) = 1)
        UPDATE brand_scores SET is_current = TRUE WHERE rowid IN (SELECT rid FROM restored)""",
        {"id": upload_id},
    )
    cur.execute("UPDATE brand_scores SET is_current = FALSE WHERE upload_id = ?", [upload_id])


def current_scores(con: duckdb.DuckDBPyConnection, *, submitted: bool | Sequence[str] = False) -> pd.DataFrame:
    """Every score that counts now, with the file it came from: per operator, period and
    element, the latest live validated upload's (is_current's rule among validated uploads);
    with `submitted`, the latest live upload's, validated or not (is_current), for every
    operator or those `submitted` names (see db.submitted_params)."""
    validated = f"""b.rowid IN (
            SELECT max_by(s.rowid, [s.upload_id, s.rowid]) FROM brand_scores s JOIN uploads v ON v.id = s.upload_id
            WHERE v.status IN {LIVE_SQL} AND v.review = '{VALIDATED}' GROUP BY s.operator, s.period, s.element)"""
    return query_df(
        con,
        f"""
        SELECT b.operator, b.period, b.period_start, b.period_end, b.element, b.score, b.comment,
               b.upload_id, u.file_name, b.sheet, b.cell
        FROM brand_scores b LEFT JOIN uploads u ON u.id = b.upload_id
        WHERE CASE WHEN $submitted AND ($own::VARCHAR[] IS NULL OR list_contains($own::VARCHAR[], b.operator))
                   THEN b.is_current ELSE {validated} END
        ORDER BY b.period_start, b.operator, b.element
    """,
        submitted_params(submitted),
    )


def upload_named(con: duckdb.DuckDBPyConnection, file_name: str) -> int | None:
    """The live upload with this file name (the demo attaches its scores to its reports)."""
    row = (
        con.cursor()
        .execute(f"SELECT max(id) FROM uploads WHERE file_name = ? AND status IN {LIVE_SQL}", [file_name])
        .fetchone()
    )
    return row[0] if row else None
