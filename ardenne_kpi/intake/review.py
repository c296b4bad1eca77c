"""The coordinator's review: validated figures, submitted uploads, period locks.

A partner's upload (file or web entry) lands « soumis »: it is stored and previewed like any
import, but the validated figures (every dashboard by default, the committee pack, the
meeting mode, the public portal) count only validated uploads. An admin validates it, or
sends it back with a message: its values then stop counting (as after a rollback) and the
partner reads the message on the Import page. An admin's own import is validated as it lands.

An admin can lock a programme semester: a partner's file whose values would change it is
refused, with a sentence saying whom to ask; an admin's import into it needs a reason,
recorded in the history. Unchanged values of a locked period pass (a partner may resend a
whole year). Validating, sending back or rolling back an upload that would move a locked
period's figures needs a reason too (`lock_reason`), kept in the history (`overrides`) and
cited by the Suivi page and the committee pack.

    review.review_for(user)                       # VALIDATED for an admin, SUBMITTED otherwise
    review.validate(con, upload_id, user)          # the upload's values count in validated figures
    review.send_back(con, upload_id, user, "…")    # it stops counting, the partner reads why
    review.validate(con, upload_id, user, lock_reason="…")  # … even in a locked period, with a reason
    review.lock(con, fw, "S05", user)              # values changing S05 are refused from now on
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, cast

import duckdb

from ardenne_kpi import db
from ardenne_kpi.core.accounts import User, check_admin, is_admin
from ardenne_kpi.core.errors import ReviewError
from ardenne_kpi.core.upload_state import ReviewState, UploadStatus
from ardenne_kpi.db import RETURNED, SUBMITTED, VALIDATED
from ardenne_kpi.db import imports as imports_sql
from ardenne_kpi.db import review as sql
from ardenne_kpi.framework import Framework
from ardenne_kpi.intake import locks as lock_guard
from ardenne_kpi.intake.locks import Lock, active_locks, locks_text

if TYPE_CHECKING:
    import pandas as pd

REVIEW_LABELS = ReviewState.labels()
VALIDATED_ONLY = "Chiffres validés par la coordination"  # what the pack, the meeting and the portal say


def review_for(user: User) -> str:
    """How a new upload by `user` lands: validated for the coordination, submitted otherwise."""
    return VALIDATED if is_admin(user) else SUBMITTED


def submitted_scope(user: User, asked: bool = True) -> bool | tuple[str, ...]:
    """Whose submitted (not yet validated) figures `user` may count when `asked`: every
    operator's for the coordination (True), a partner's own operators' (their codes: the others'
    validated figures count), none for a viewer or a visitor (False). Every reading's
    `submitted=` takes it (see db.submitted_params)."""
    if not asked or user.anonymous:
        return False
    if is_admin(user):
        return True
    if user.role == "partner":
        return tuple(user.operators) or False
    return False


def submitted_count(con: duckdb.DuckDBPyConnection, operators: list[str] | None = None) -> int:
    """How many live uploads wait for the coordinator's validation (of `operators` only when given)."""
    return sql.count_submitted(con, operators)


def in_review(con: duckdb.DuckDBPyConnection, user: User | None = None) -> pd.DataFrame:
    """Uploads waiting for validation and uploads sent back, newest first; a partner sees
    those of its operators only."""
    operators = None if user is None or is_admin(user) else list(user.operators)
    return sql.uploads_in_review(con, operators)


def what_validation_changes(con: duckdb.DuckDBPyConnection, upload_id: int) -> pd.DataFrame:
    """The upload's values beside the validated ones they would replace (see import_view.validation_table)."""
    return sql.upload_against_validated(con, upload_id)


def _check_submitted(con: duckdb.DuckDBPyConnection, upload_id: int) -> dict[str, Any]:
    upload = imports_sql.get_upload(con, int(upload_id))
    if upload is None:
        raise ReviewError(f"L'import n° {upload_id} n'existe pas : rechargez la page.")
    if upload["status"] not in db.LIVE_STATUSES or upload["review"] != SUBMITTED:
        state = {VALIDATED: "déjà validé", RETURNED: "déjà renvoyé"}.get(upload["review"], "annulé")
        raise ReviewError(
            f"L'import n° {upload_id} ({upload['file_name']}) est {state} : "
            "il n'attend plus de validation. Rechargez la page."
        )
    return upload


def validate(
    con: duckdb.DuckDBPyConnection, upload_id: int, user: User, lock_reason: str | None = None
) -> dict[str, Any]:
    """The upload's values count in the validated figures from now on (the latest validated
    upload of each value wins, as for current values). One that would move a locked period's
    figures needs `lock_reason` (LockedPeriodError without it, nothing changed)."""
    check_admin(user, "valider un import")
    upload = _check_submitted(con, upload_id)

    def work() -> None:
        with db.transaction(con) as cur:
            validate_in(cur, int(upload_id), upload, user.name, lock_reason)

    _write(work)
    return upload


def validate_in(
    cur: duckdb.DuckDBPyConnection,
    upload_id: int,
    upload: dict[str, Any],
    user: str | None,
    lock_reason: str | None = None,
) -> None:
    """Validate inside the caller's transaction, guarded by the locks (the importer's path too)."""
    with lock_guard.guard(cur, upload_id, upload, action=VALIDATED, lock_reason=lock_reason, user=user):
        sql.mark_validated(cur, upload_id, user)


def send_back(
    con: duckdb.DuckDBPyConnection, upload_id: int, user: User, message: str, lock_reason: str | None = None
) -> dict[str, Any]:
    """The upload stops counting anywhere (its values are kept, as after a rollback) and the
    partner reads `message` on the Import page. One that would move a locked period's figures
    needs `lock_reason`."""
    check_admin(user, "renvoyer un import")
    message = (message or "").strip()
    if not message:
        raise ReviewError(
            "Écrivez au partenaire ce qu'il doit corriger avant de renvoyer son import : "
            "il lira ce message sur la page « Importer un rapport »."
        )
    upload = _check_submitted(con, upload_id)

    def work() -> None:
        with db.transaction(con) as cur:
            with lock_guard.guard(
                cur, int(upload_id), upload, action=RETURNED, lock_reason=lock_reason, user=user.name
            ):
                sql.mark_returned(cur, int(upload_id), user.name, message)
            from ardenne_kpi.intake import brand_sheet

            brand_sheet.rollback_upload(cur, int(upload_id))

    _write(work)
    return upload


def _write(work: Callable[[], None]) -> None:
    try:
        db.with_retry(work)
    except duckdb.Error as exc:  # rolled back whole
        raise db.database_error(exc, None) from exc


# ------------------------------------------------------------------ period locks


def locks(con: duckdb.DuckDBPyConnection) -> list[Lock]:
    """The periods locked now, by start."""
    return active_locks(con)


def lock_of(con: duckdb.DuckDBPyConnection, period: str) -> Lock | None:
    return next((lk for lk in locks(con) if lk.period == period), None)


def lock(con: duckdb.DuckDBPyConnection, fw: Framework, period: str, user: User) -> Lock:
    """Lock a programme semester: from now on a partner's values that would change it are refused."""
    check_admin(user, "verrouiller une période")
    semesters = {s.code: s for s in fw.calendar.semesters}
    if period not in semesters:
        raise ReviewError(
            f"« {period} » n'est pas un semestre du programme "
            f"({', '.join(semesters)}) : seuls les semestres se verrouillent."
        )
    if lock_of(con, period) is not None:
        raise ReviewError(f"{semesters[period].label_fr} est déjà verrouillé.")
    chosen = semesters[period]

    def work() -> None:
        with db.transaction(con) as cur:
            sql.insert_lock(cur, chosen.code, chosen.start, chosen.end, user.name)

    _write(work)
    locked = lock_of(con, period)
    assert locked is not None  # inserted just now
    return locked


def unlock(con: duckdb.DuckDBPyConnection, period: str, user: User) -> None:
    check_admin(user, "déverrouiller une période")

    def work() -> int:
        with db.transaction(con) as cur:
            return sql.end_lock(cur, period, user.name)

    try:
        ended = db.with_retry(work)
    except duckdb.Error as exc:
        raise db.database_error(exc, None) from exc
    if not ended:
        raise ReviewError(f"La période {period} n'est pas verrouillée.")


def lock_history(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return sql.lock_history(con)


def overrides(con: duckdb.DuckDBPyConnection, period: str | None = None) -> pd.DataFrame:
    """The changes made to locked periods with a reason (imports, validations, returns,
    rollbacks), newest first; those that changed `period` only when given (see db.review.lock_overrides)."""
    df = sql.lock_overrides(con)
    if period is not None:
        df = df[[period in list(p) for p in df["periods"]]]
    return df.reset_index(drop=True)


OVERRIDE_WORDS: dict[str, str] = {
    UploadStatus.IMPORTED: UploadStatus.IMPORTED.label,
    VALIDATED: VALIDATED.label,
    RETURNED: RETURNED.label,
    UploadStatus.ROLLED_BACK: UploadStatus.ROLLED_BACK.label,
}


def overrides_table(df: pd.DataFrame) -> pd.DataFrame:
    """The changes to locked periods as the Suivi page lists them: N° import, Fichier, Opérateur,
    Action, Semestres, Le, Par, Motif."""
    import pandas as pd

    return pd.DataFrame(
        {
            "N° import": df["upload_id"].astype(int),
            "Fichier": df["file_name"],
            "Opérateur": df["operator"].fillna(""),
            "Action": [OVERRIDE_WORDS.get(a, a) for a in df["action"]],
            "Semestres": [", ".join(p) for p in df["periods"]],
            "Le": [f"{t:%d/%m/%Y %H:%M}" for t in df["done_at"]],
            "Par": df["done_by"].fillna(""),
            "Motif": df["reason"],
        }
    )


class OverrideRow(Protocol):
    """A change to a locked period (`overrides`), as `itertuples` gives it."""

    upload_id: int
    file_name: str
    operator: str | None
    action: str
    periods: Sequence[str]
    reason: str
    done_by: str | None
    done_at: dt.datetime


def overrides_text(df: pd.DataFrame) -> str:
    """« import n° 12 (a.xlsx, FTLB) validé le 03/05/2026 par anne, S10 : motif « … » » for each, or ''."""
    out = []
    for row in cast(Iterable[OverrideRow], df.itertuples(index=False)):
        who = f" par {row.done_by}" if isinstance(row.done_by, str) and row.done_by else ""
        operator = f", {row.operator}" if isinstance(row.operator, str) and row.operator else ""
        periods = ", ".join(row.periods)
        out.append(
            f"import n° {row.upload_id} ({row.file_name}{operator}) {OVERRIDE_WORDS.get(row.action, row.action)} "
            f"le {row.done_at:%d/%m/%Y}{who}" + (f", {periods}" if periods else "") + f" : motif « {row.reason} »"
        )
    return " ; ".join(out)


__all__ = [
    "REVIEW_LABELS",
    "VALIDATED_ONLY",
    "Lock",
    "ReviewError",
    "in_review",
    "lock",
    "lock_history",
    "lock_of",
    "locks",
    "overrides",
    "overrides_table",
    "overrides_text",
    "locks_text",
    "review_for",
    "send_back",
    "submitted_count",
    "submitted_scope",
    "unlock",
    "what_validation_changes",
    "validate",
]
