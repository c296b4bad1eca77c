"""The coordinator's review: validated figures, submitted uploads, period locks.

A partner's upload (file or web entry) lands « soumis »: it is stored and previewed like any
import, but the validated figures (every dashboard by default, the committee pack, the
meeting mode, the public portal) count only validated uploads. An admin validates it, or
sends it back with a message: its values then stop counting (as after a rollback) and the
partner reads the message on the Import page. An admin's own import is validated as it lands.

An admin can lock a programme semester: a partner's file whose values would change it is
refused, with a sentence saying whom to ask; an admin's import into it needs a reason,
recorded in the history. Unchanged values of a locked period pass (a partner may resend a
whole year).

    review.review_for(user)                       # VALIDATED for an admin, SUBMITTED otherwise
    review.validate(con, upload_id, user)          # the upload's values count in validated figures
    review.send_back(con, upload_id, user, "…")    # it stops counting, the partner reads why
    review.lock(con, fw, "S05", user)              # values changing S05 are refused from now on
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

from ardenne_kpi import db
from ardenne_kpi.accounts import User, check_admin, is_admin
from ardenne_kpi.db import RETURNED, SUBMITTED, VALIDATED
from ardenne_kpi.db import imports as imports_sql
from ardenne_kpi.db import review as sql
from ardenne_kpi.errors import ReviewError
from ardenne_kpi.framework import Framework
from ardenne_kpi.reports.locks import Lock, active_locks, locks_text

if TYPE_CHECKING:
    import pandas as pd

REVIEW_LABELS = {VALIDATED: "validé", SUBMITTED: "soumis", RETURNED: "renvoyé"}
VALIDATED_ONLY = "Chiffres validés par la coordination"  # what the pack, the meeting and the portal say


def review_for(user: User) -> str:
    """How a new upload by `user` lands: validated for the coordination, submitted otherwise."""
    return VALIDATED if is_admin(user) else SUBMITTED


def submitted_count(con: duckdb.DuckDBPyConnection) -> int:
    """How many live uploads wait for the coordinator's validation."""
    return sql.count_submitted(con)


def in_review(con: duckdb.DuckDBPyConnection, user: User | None = None) -> pd.DataFrame:
    """Uploads waiting for validation and uploads sent back, newest first; a partner sees
    those of its operators only."""
    operators = None if user is None or is_admin(user) else list(user.operators)
    return sql.uploads_in_review(con, operators)


def what_validation_changes(con: duckdb.DuckDBPyConnection, upload_id: int) -> pd.DataFrame:
    """The upload's values beside the validated ones they would replace (see import_review.validation_table)."""
    return sql.upload_against_validated(con, upload_id)


def _check_submitted(con: duckdb.DuckDBPyConnection, upload_id: int) -> dict:
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


def validate(con: duckdb.DuckDBPyConnection, upload_id: int, user: User) -> dict:
    """The upload's values count in the validated figures from now on (the latest validated
    upload of each value wins, as for current values)."""
    check_admin(user, "valider un import")
    upload = _check_submitted(con, upload_id)

    def work() -> None:
        with db.transaction(con) as cur:
            sql.mark_validated(cur, int(upload_id), user.name)

    _write(work)
    return upload


def send_back(con: duckdb.DuckDBPyConnection, upload_id: int, user: User, message: str) -> dict:
    """The upload stops counting anywhere (its values are kept, as after a rollback) and the
    partner reads `message` on the Import page."""
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
            sql.mark_returned(cur, int(upload_id), user.name, message)
            from ardenne_kpi import brand

            brand.rollback_upload(cur, int(upload_id))

    _write(work)
    return upload


def _write(work) -> None:
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
    return lock_of(con, period)


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
    "locks_text",
    "review_for",
    "send_back",
    "submitted_count",
    "unlock",
    "what_validation_changes",
    "validate",
]
