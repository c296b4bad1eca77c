"""Locked periods, as the importer meets them: which new or changed values of a file fall in
a period the coordinator has locked (`ardenne_kpi.intake.review` locks and unlocks them), and the
guard of every other action that may move a locked figure (validating, sending back, rolling
back an upload). Neither pandas nor pyarrow: the import command does without them."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import duckdb

from ardenne_kpi.core.errors import LockedPeriodError
from ardenne_kpi.core.upload_state import UploadStatus
from ardenne_kpi.db import RETURNED, VALIDATED
from ardenne_kpi.db import review as sql
from ardenne_kpi.framework import Framework
from ardenne_kpi.intake.model import Issue
from ardenne_kpi.intake.values import fr

if TYPE_CHECKING:
    from collections.abc import Iterator

    import numpy as np


@dataclass(frozen=True)
class Lock:
    period: str
    start: dt.date
    end: dt.date
    locked_at: dt.datetime
    locked_by: str | None

    def label(self, fw: Framework | None = None) -> str:
        """« S05 (oct. 2018 – mars 2019) »."""
        semester = next((s for s in fw.calendar.semesters if s.code == self.period), None) if fw else None
        return semester.label_fr if semester else f"{self.period} ({self.start:%d/%m/%Y} – {self.end:%d/%m/%Y})"

    def since(self) -> str:
        """« verrouillée le 12/11/2026 par Marie »: said of a period (feminine)."""
        return f"verrouillée {self.when()}"

    def when(self) -> str:
        """« le 12/11/2026 par Marie »: when and by whom, for a sentence that agrees with its own subject."""
        who = f" par {self.locked_by}" if self.locked_by else ""
        return f"le {self.locked_at:%d/%m/%Y}{who}"


def active_locks(con: duckdb.DuckDBPyConnection) -> list[Lock]:
    """The periods locked now, by start."""
    return [Lock(*row) for row in sql.active_locks(con)]


def lock_issues(
    fw: Framework,
    active: list[Lock],
    incoming: dict[str, np.ndarray],
    changes: np.ndarray,
    unchanged: str,
    *,
    review: str,
) -> list[Issue]:
    """One error per locked period that the file's new or changed values would alter, at the
    first such cell; an admin's (`review` validated) says how to force it with a reason.
    `incoming`: the file's values as NumPy columns (`ParsedReport.incoming`); `changes`: each
    incoming row's change code, in the same order; `unchanged`: the code of a value equal to
    the one that counts (such values pass: a partner may resend a whole year)."""
    if not active or len(incoming["row_no"]) == 0:
        return []
    import numpy as np

    moving = np.asarray(changes, dtype=object) != unchanged
    starts, ends = incoming["period_start"], incoming["period_end"]
    out = []
    for lk in active:
        inside = (starts <= np.datetime64(lk.end, "s")) & (ends >= np.datetime64(lk.start, "s"))
        hit = inside & moving
        n = int(hit.sum())
        if not n:
            continue
        first = int(hit.argmax())
        sheet, cell = incoming["sheet"][first] or "", incoming["cell"][first] or ""
        what = (
            f"{n} valeur(s) nouvelle(s) ou modifiée(s) de ce fichier (la première : feuille « {sheet} », "
            f"cellule {cell}) portent sur {lk.label(fw)}, période {lk.since()}"
        )
        if review == VALIDATED:
            message = (
                f"{what}. Pour les enregistrer quand même, indiquez le motif de cette modification (champ "
                "« Motif » de la page d'import, ou --motif en ligne de commande) : il restera dans "
                "l'historique."
            )
        else:
            ask = f" ({lk.locked_by})" if lk.locked_by else ""
            message = (
                f"{what} : ses chiffres sont arrêtés pour le comité. Retirez ces valeurs du fichier, ou "
                f"demandez à la coordination{ask} de rouvrir la période."
            )
        out.append(Issue(sheet, cell, message))
    return out


def locks_text(fw: Framework, active: list[Lock]) -> str:
    """« S05 (oct. 2018 – mars 2019) verrouillée le 12/11/2026 par Marie » for each lock, or ''."""
    return " ; ".join(f"{lk.label(fw)} {lk.since()}" for lk in active)


# What an action on an upload is called in the history (lock_overrides.action) and in a sentence.
ROLLED_BACK = UploadStatus.ROLLED_BACK
ACTIONS: dict[str, str] = {VALIDATED: "valider", RETURNED: "renvoyer", ROLLED_BACK: "annuler"}


@contextmanager
def guard(
    cur: duckdb.DuckDBPyConnection,
    upload_id: int,
    upload: dict[str, Any],
    *,
    action: str,
    lock_reason: str | None,
    user: str | None,
) -> Iterator[None]:
    """Around an action on `upload_id` (`action`: validated, returned or rolled_back) inside the
    caller's transaction: if it moved a figure (current or validated) of a locked period, keep
    `lock_reason` in the history, or, without one, raise LockedPeriodError, which rolls the
    caller's transaction back whole. `upload`: its row (for the sentence)."""
    active = active_locks(cur)
    if not active:
        yield
        return
    before = sql.locked_figures(cur, upload_id)
    yield
    after = sql.locked_figures(cur, upload_id)
    if before == after:
        return
    old, new = _by_figure(before), _by_figure(after)
    moved = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    reason = (lock_reason or "").strip()
    if reason:
        sql.insert_lock_override(cur, upload_id, action, sorted({k[0] for k in moved}), reason, user)
        return
    raise LockedPeriodError(_moved_message(upload_id, upload, action, moved, old, new, active))


def _by_figure(rows: set[tuple[Any, ...]]) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """(locked period, identity…, kind) -> (value, numerator, denominator)."""
    return {row[:7]: row[7:] for row in rows}


def _moved_message(
    upload_id: int,
    upload: dict[str, Any],
    action: str,
    moved: list[tuple[Any, ...]],
    old: dict[tuple[Any, ...], tuple[Any, ...]],
    new: dict[tuple[Any, ...], tuple[Any, ...]],
    active: list[Lock],
) -> str:
    locked = {lk.period: lk for lk in active}
    periods = sorted({k[0] for k in moved}, key=lambda p: locked[p].start if p in locked else dt.date.min)
    where = " ; ".join(f"{locked[p].label()} {locked[p].since()}" if p in locked else p for p in periods)
    first = moved[0]
    _, indicator, operator, zone, audience, period, kind = first

    def shown(v: tuple[Any, ...] | None) -> str:
        return "aucun" if v is None else fr(v[0])

    figure = " · ".join(x for x in (indicator, operator, zone, audience, period) if x)
    which = "validé" if kind == "validated" else "affiché avec les chiffres soumis"
    n = len({k[1:6] for k in moved})
    return (
        f"{ACTIONS[action].capitalize()} l'import n° {upload_id} ({upload.get('file_name') or '?'}) modifierait "
        f"{n} chiffre(s) d'une période verrouillée ({where}) ; le premier : {figure}, chiffre {which} "
        f"{shown(old.get(first))} → {shown(new.get(first))}. Rien n'a été modifié. Pour le faire quand même, "
        "indiquez le motif de cette modification (champ « Motif » de la page, ou --motif en ligne de commande) : "
        "il restera dans l'historique, et la page Suivi et le dossier du comité le citeront."
    )
