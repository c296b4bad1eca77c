"""Undoing an upload: what it would change (`rollback_preview`) and the rollback itself, in one
transaction guarded by the period locks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import duckdb

from ardenne_kpi import db
from ardenne_kpi.core.errors import ArdenneError
from ardenne_kpi.db import imports as sql
from ardenne_kpi.intake import locks

if TYPE_CHECKING:
    import pandas as pd


def rollback_preview(con: duckdb.DuckDBPyConnection, upload_id: int) -> pd.DataFrame:
    """What rolling back `upload_id` would change, one row per value that counts now:
    indicator, operator, zone, audience, period, current_value, restored_value (NaN when
    the value is withdrawn), restored_upload."""
    _check_rollback(con, upload_id)
    plan = sql.rollback_plan(con.cursor(), upload_id)
    return plan.drop(columns=["current_id", "restored_id"])


def rollback(
    con: duckdb.DuckDBPyConnection, upload_id: int, user: str | None = None, lock_reason: str | None = None
) -> dict[str, Any]:
    """Undo an upload: its values (and brand-platform scores) stop counting and the ones it
    superseded count again. One that would move a locked period's figures needs `lock_reason`,
    kept in the history (LockedPeriodError without it, nothing changed).
    Returns {'upload_id', 'file_name', 'restored', 'withdrawn'}. Raises ArdenneError (French)
    for an unknown or already rolled-back upload."""
    upload = _check_rollback(con, upload_id)

    from ardenne_kpi.intake import brand_sheet

    def work() -> pd.DataFrame:
        with db.transaction(con) as tx:
            with locks.guard(tx, upload_id, upload, action=locks.ROLLED_BACK, lock_reason=lock_reason, user=user):
                plan = sql.rollback_plan(tx, upload_id)
                sql.apply_rollback(tx, upload_id, plan, user)
            brand_sheet.rollback_upload(tx, upload_id)  # its brand-platform scores too
            return plan

    try:
        plan = db.with_retry(work)
    except duckdb.Error as exc:  # rolled back whole: say what happened, not a traceback
        raise db.database_error(exc, None) from exc
    restored = int(plan["restored_id"].notna().sum())
    return {
        "upload_id": upload_id,
        "file_name": upload["file_name"],
        "restored": restored,
        "withdrawn": len(plan) - restored,
    }


def _check_rollback(con: duckdb.DuckDBPyConnection, upload_id: int) -> dict[str, Any]:
    upload = sql.get_upload(con, int(upload_id))
    if upload is None:
        raise ArdenneError(
            f"L'import n° {upload_id} n'existe pas. La liste des imports : python -m ardenne_kpi uploads.",
            title="Import introuvable",
        )
    if upload["status"] == "rolled_back":
        when = upload["rolled_back_at"].strftime("%d/%m/%Y %H:%M") if upload["rolled_back_at"] else "?"
        raise ArdenneError(
            f"L'import n° {upload_id} ({upload['file_name']}) a déjà été annulé le {when}.", title="Déjà annulé"
        )
    return upload
