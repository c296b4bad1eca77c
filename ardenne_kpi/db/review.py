"""SQL of the coordinator's review: submitted uploads, their validation or return, period locks.

Functions taking `cur` run inside the caller's transaction (`ardenne_kpi.db.transaction`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import duckdb

from ardenne_kpi.db import LIVE_SQL, RETURNED, SUBMITTED, VALIDATED, imports, one_row, query_df

if TYPE_CHECKING:
    import pandas as pd


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def uploads_in_review(con: duckdb.DuckDBPyConnection, operators: list[str] | None = None) -> pd.DataFrame:
    """Live uploads waiting for the coordinator, and uploads sent back, newest first (of
    `operators` only when given): id, file_name, operator, uploaded_by, uploaded_at, review,
    reviewed_by, reviewed_at, review_message, n_values, and `resent`: the operator has sent
    another upload since (a sent-back upload has then been answered)."""
    return query_df(
        con,
        f"""
        SELECT u.id, u.file_name, u.operator, u.uploaded_by, u.uploaded_at, u.review, u.reviewed_by,
               u.reviewed_at, u.review_message,
               (SELECT count(*) FROM report_values v WHERE v.upload_id = u.id) AS n_values,
               EXISTS (SELECT 1 FROM uploads l WHERE l.operator = u.operator AND l.id > u.id) AS resent
        FROM uploads u
        WHERE ((u.review = '{SUBMITTED}' AND u.status IN {LIVE_SQL}) OR u.review = '{RETURNED}')
          AND ($ops::VARCHAR[] IS NULL OR list_contains($ops::VARCHAR[], u.operator))
        ORDER BY u.id DESC
    """,
        {"ops": operators},
    )


def upload_against_validated(con: duckdb.DuckDBPyConnection, upload_id: int) -> pd.DataFrame:
    """Each value of the upload beside the validated value of the same identity (NULL when
    none): what validating it changes. indicator, operator, zone, audience, period, validated,
    submitted, comment, sheet, cell."""
    return query_df(
        con,
        """
        SELECT s.indicator, s.operator, s.zone, s.audience, s.period, v.value AS validated, s.value AS submitted,
               s.comment, s.sheet, s.cell
        FROM report_values s
        LEFT JOIN report_values v ON v.is_validated AND v.indicator = s.indicator AND v.operator = s.operator
             AND v.zone = s.zone AND v.audience = s.audience AND v.period = s.period
        WHERE s.upload_id = $id
        ORDER BY s.id
    """,
        {"id": int(upload_id)},
    )


def count_submitted(con: duckdb.DuckDBPyConnection, operators: list[str] | None = None) -> int:
    """Live uploads waiting for validation (of `operators` only when given)."""
    count: int = one_row(
        con.cursor().execute(
            f"SELECT count(*) FROM uploads WHERE review = '{SUBMITTED}' AND status IN {LIVE_SQL} "
            "AND ($ops::VARCHAR[] IS NULL OR list_contains($ops::VARCHAR[], operator))",
            {"ops": operators},
        )
    )[0]
    return count


def mark_validated(cur: duckdb.DuckDBPyConnection, upload_id: int, user: str | None) -> None:
    cur.execute(
        "UPDATE uploads SET review = ?, reviewed_by = ?, reviewed_at = ? WHERE id = ?",
        [VALIDATED, user, _now(), upload_id],
    )
    imports.refresh_validated(cur, upload_id)


def mark_returned(cur: duckdb.DuckDBPyConnection, upload_id: int, user: str | None, message: str) -> pd.DataFrame:
    """The upload stops counting (as a rollback would) and carries the coordinator's message."""
    plan = imports.rollback_plan(cur, upload_id)
    imports.apply_rollback(cur, upload_id, plan, user, status=RETURNED)
    cur.execute(
        "UPDATE uploads SET review = ?, reviewed_by = ?, reviewed_at = ?, review_message = ? WHERE id = ?",
        [RETURNED, user, _now(), message, upload_id],
    )
    return plan


# ------------------------------------------------------------------ period locks


def active_locks(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    """(period, period_start, period_end, locked_at, locked_by) of every locked period, by start."""
    return (
        con.cursor()
        .execute(
            "SELECT period, period_start, period_end, locked_at, locked_by FROM period_locks "
            "WHERE unlocked_at IS NULL ORDER BY period_start"
        )
        .fetchall()
    )


def lock_history(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return query_df(
        con,
        "SELECT period, period_start, period_end, locked_at, locked_by, unlocked_at, unlocked_by "
        "FROM period_locks ORDER BY locked_at DESC, id DESC",
    )


def insert_lock(cur: duckdb.DuckDBPyConnection, period: str, start: dt.date, end: dt.date, user: str | None) -> None:
    cur.execute(
        "INSERT INTO period_locks (period, period_start, period_end, locked_at, locked_by) VALUES (?, ?, ?, ?, ?)",
        [period, start, end, _now(), user],
    )


def end_lock(cur: duckdb.DuckDBPyConnection, period: str, user: str | None) -> int:
    """Unlock `period`; how many locks ended (0 when it was not locked)."""
    ended = cur.execute(
        "UPDATE period_locks SET unlocked_at = ?, unlocked_by = ? "
        "WHERE period = ? AND unlocked_at IS NULL RETURNING id",
        [_now(), user, period],
    ).fetchall()
    return len(ended)


def locked_figures(cur: duckdb.DuckDBPyConnection, upload_id: int) -> set[tuple[Any, ...]]:
    """The figures that count now (current and validated) in a locked period for the value
    identities `upload_id` reported: what validating, sending back or rolling it back may move.
    (locked period, indicator, operator, zone, audience, period, 'current' | 'validated',
    value, numerator, denominator) tuples."""
    rows = cur.execute(
        """
        WITH mine AS (SELECT DISTINCT indicator, operator, zone, audience, period
                      FROM report_values WHERE upload_id = $id),
        counted AS (
            SELECT r.*, k.kind FROM report_values r JOIN mine USING (indicator, operator, zone, audience, period)
            JOIN (VALUES ('current'), ('validated')) k(kind)
              ON (k.kind = 'current' AND r.is_current) OR (k.kind = 'validated' AND r.is_validated))
        SELECT l.period, c.indicator, c.operator, c.zone, c.audience, c.period, c.kind,
               c.value, c.numerator, c.denominator
        FROM counted c JOIN period_locks l
          ON l.unlocked_at IS NULL AND c.period_start <= l.period_end AND c.period_end >= l.period_start
    """,
        {"id": int(upload_id)},
    ).fetchall()
    return set(rows)


def insert_lock_override(
    cur: duckdb.DuckDBPyConnection, upload_id: int, action: str, periods: list[str], reason: str, user: str | None
) -> None:
    cur.execute(
        "INSERT INTO lock_overrides (upload_id, action, periods, reason, done_by, done_at) VALUES (?, ?, ?, ?, ?, ?)",
        [upload_id, action, periods, reason, user, _now()],
    )


def lock_overrides(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every change made to a locked period with a reason, newest first: upload_id, file_name,
    operator, action (imported | validated | returned | rolled_back), periods (the locked
    semesters it changed), reason, done_by, done_at. An import's periods are the semesters
    locked when it landed that its values fall in."""
    return query_df(
        con,
        """
        SELECT o.upload_id, u.file_name, u.operator, o.action, o.periods, o.reason, o.done_by, o.done_at, o.id
        FROM lock_overrides o JOIN uploads u ON u.id = o.upload_id
        UNION ALL
        SELECT u.id, u.file_name, u.operator, 'imported',
               coalesce((SELECT list(DISTINCT l.period ORDER BY l.period) FROM period_locks l
                         WHERE l.locked_at <= u.uploaded_at AND (l.unlocked_at IS NULL OR l.unlocked_at > u.uploaded_at)
                           AND EXISTS (SELECT 1 FROM report_values r WHERE r.upload_id = u.id
                                       AND r.period_start <= l.period_end AND r.period_end >= l.period_start)),
                        []),
               u.lock_reason, u.uploaded_by, u.uploaded_at, 0
        FROM uploads u WHERE u.lock_reason IS NOT NULL
        ORDER BY done_at DESC, upload_id DESC, id DESC
    """,
    ).drop(columns="id")
