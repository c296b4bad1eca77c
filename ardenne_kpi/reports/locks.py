"""Locked periods, as the importer meets them: which new or changed values of a file fall in
a period the coordinator has locked (`ardenne_kpi.review` locks and unlocks them). Neither
pandas nor pyarrow: the import command does without them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb

from ardenne_kpi.db import VALIDATED
from ardenne_kpi.db import review as sql
from ardenne_kpi.framework import Framework
from ardenne_kpi.reports.model import Issue

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class Lock:
    period: str
    start: dt.date
    end: dt.date
    locked_at: dt.datetime
    locked_by: str | None

    def label(self, fw: Framework) -> str:
        """« S05 (oct. 2018 – mars 2019) »."""
        semester = next((s for s in fw.calendar.semesters if s.code == self.period), None)
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
