"""What the Import page shows, as French tables and sentences: a file's verdict, its errors
and warnings, the preview of what it changes, the upload history and what undoing an
upload would change. Pure functions of the importer's results, so the page stays thin."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from ardenne_kpi.core.format import fmt_number
from ardenne_kpi.core.periods import label_of
from ardenne_kpi.core.upload_state import UploadStatus
from ardenne_kpi.db import SUBMITTED, VALIDATED
from ardenne_kpi.figures import WEB_ENTRY_PREFIX
from ardenne_kpi.framework import Framework
from ardenne_kpi.intake.importer import CHANGED, NEW, RESTORED, SAME
from ardenne_kpi.intake.model import ERROR, Issue
from ardenne_kpi.intake.review import REVIEW_LABELS, OverrideRow

if TYPE_CHECKING:
    from ardenne_kpi.intake.outcome import ImportResult

# A value's change on import (`intake.importer` codes), as a user reads it: one word on the
# command line, a longer one for « rétabli » in the page's preview.
CHANGE_WORDS = {NEW: "nouveau", CHANGED: "modifié", SAME: "inchangé", RESTORED: "rétabli"}
CHANGE_LABELS = CHANGE_WORDS | {RESTORED: "rétabli (valeur de ce fichier, remplacée depuis)"}
# An upload's status (not an indicator's, `kpis.STATUS_LABELS`, nor a report's timeliness, `reporting`),
# and the coordinator's review of it (`review`).
UPLOAD_STATUS_LABELS = UploadStatus.labels()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Verdict:
    """`kind` is error | warning | info | success: the box the page draws; `text` is French."""

    kind: str
    title: str
    text: str
    can_commit: bool


def when_fr(value: object) -> str:
    """26/11/2026 à 10:32."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return str(value)  # a text that is no date, shown as it is
    if value is None or pd.isna(value):  # type: ignore[call-overload]  # pandas-stubs: isna takes any scalar
        return "–"
    return f"{value:%d/%m/%Y} à {value:%H:%M}"


def duplicate_sentence(duplicate: Mapping[str, Any]) -> str:
    """« déjà importé le 26/11/2026 à 10:32 par Marie Dupont (import n° 12) »."""
    who = f" par {duplicate['uploaded_by']}" if duplicate.get("uploaded_by") else ""
    name = f" sous le nom « {duplicate['file_name']} »" if duplicate.get("file_name") else ""
    return f"déjà importé le {when_fr(duplicate.get('uploaded_at'))}{who}{name} (import n° {duplicate['upload_id']})"


def verdict(result: ImportResult) -> Verdict:
    """The verdict of a dry run (importer.ImportResult with status dry-run or refused)."""
    name = result.file
    if result.status == "refused":
        n = len(result.errors)
        return Verdict(
            "error",
            f"{name} : refusé",
            f"{n} erreur(s) à corriger. Rien ne sera enregistré pour ce fichier : corrigez les cellules "
            "indiquées (ou téléchargez le fichier annoté), puis déposez-le de nouveau.",
            False,
        )
    counts = (
        f"{fmt_number(result.inserted)} nouvelle(s) valeur(s), {fmt_number(result.updated)} modifiée(s), "
        f"{fmt_number(result.unchanged)} inchangée(s)"
    )
    if result.scores:
        counts += f", {fmt_number(result.scores)} note(s) de plateforme de marque"
    if result.validates is not None:  # the coordination sends the very file a partner submitted
        d = result.duplicate_of or {}
        who = f" par {d['uploaded_by']}" if d.get("uploaded_by") else ""
        return Verdict(
            "warning",
            f"{name} : {duplicate_sentence(d)}",
            f"Ce fichier identique a été soumis{who} et attend la validation de la coordination. "
            "L'enregistrer le valide : ses valeurs compteront dans les chiffres validés (vous pouvez "
            "aussi l'examiner dans l'onglet « Validation »).",
            True,
        )
    if result.duplicate_of and result.inserted + result.updated + result.scores == 0:
        return Verdict(
            "info",
            f"{name} : {duplicate_sentence(result.duplicate_of)}",
            "Ce fichier identique a déjà été importé : l'enregistrer de nouveau ne changerait rien.",
            False,
        )
    if result.duplicate_of:
        replaced = fmt_number(result.updated + result.inserted)
        return Verdict(
            "warning",
            f"{name} : {duplicate_sentence(result.duplicate_of)}",
            f"Depuis, des imports plus récents ont remplacé {replaced} de ses valeurs ({counts}). "
            "L'enregistrer de nouveau les rétablit (lignes « rétabli » de l'aperçu) : vérifiez l'aperçu, "
            "puis confirmez avec le bouton Enregistrer.",
            True,
        )
    if result.inserted + result.updated + result.scores == 0:
        return Verdict(
            "info", f"{name} : accepté, rien à changer", f"Toutes les valeurs sont déjà enregistrées ({counts}).", False
        )
    warned = f" · {len(result.warnings)} avertissement(s) à lire" if result.warnings else ""
    operator = f" · opérateur {result.operator}" if result.operator else ""
    return Verdict(
        "warning" if result.warnings else "success",
        f"{name} : accepté",
        f"{counts}{operator}{warned}. Rien n'est encore enregistré : vérifiez l'aperçu, puis "
        "confirmez avec le bouton Enregistrer.",
        True,
    )


def issues_table(issues: list[Issue]) -> pd.DataFrame:
    """Errors then warnings: Cellule, Feuille, Gravité, Message."""
    rows = [
        {
            "Cellule": i.cell or "–",
            "Feuille": i.sheet or "–",
            "Gravité": "Erreur" if i.severity == ERROR else "Avertissement",
            "Message": i.message,
        }
        for i in issues
    ]
    return pd.DataFrame(rows, columns=["Cellule", "Feuille", "Gravité", "Message"])


def issues_by_cell(table: pd.DataFrame) -> pd.DataFrame:
    """`issues_table` with the cell as row header (a short list shown whole, sentences wrapped)."""
    return table.set_index("Cellule")


def _num(value: float) -> str:
    if value is None or pd.isna(value):
        return ""
    value = float(value)
    for decimals in (0, 1, 2):
        if abs(round(value, decimals) - value) < 1e-9:
            return fmt_number(value, decimals)
    return fmt_number(value, 3)


# Each fact once: « Ancien → nouveau » says both values (a new value has no old one to show).
PREVIEW_COLUMNS = [
    "Changement",
    "Indicateur",
    "Libellé",
    "Période",
    "Zone",
    "Public",
    "Ancien → nouveau",
    "Cellule",
    "Feuille",
    "Opérateur",
]


# What a reader checks first at 1280–1440 px with the sidebar open: the change and the new
# value, then where it lands (the pages pass these as the table's column order).
PREVIEW_ORDER = [
    "Changement",
    "Ancien → nouveau",
    "Indicateur",
    "Période",
    "Zone",
    "Public",
    "Cellule",
    "Feuille",
    "Opérateur",
    "Libellé",
]


def changes_table(changes: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """The preview: one row per value, « modifié » first, with old → new in French format."""
    if changes is None or changes.empty:
        return pd.DataFrame(columns=PREVIEW_COLUMNS)
    order = {CHANGED: 0, RESTORED: 0, NEW: 1, SAME: 2}
    df = changes.copy()
    df["_o"] = df["change"].map(order)
    df = df.sort_values(["_o", "indicator", "period", "zone"], kind="stable")
    detail = [
        f"{_num(o)} → {_num(n)}" if c in (CHANGED, RESTORED) else (_num(n) if c == NEW else "=")
        for o, n, c in zip(df["old_value"], df["new_value"], df["change"], strict=True)
    ]
    return pd.DataFrame(
        {
            "Changement": df["change"].map(CHANGE_LABELS).to_numpy(),
            "Indicateur": df["indicator"].to_numpy(),
            "Période": [label_of(p, fw.calendar) for p in df["period"]],
            "Zone": df["zone"].to_numpy(),
            "Public": [a or "tous" for a in df["audience"]],
            "Ancien → nouveau": detail,
            "Cellule": df["cell"].to_numpy(),
            "Feuille": df["sheet"].to_numpy(),
            "Opérateur": df["operator"].to_numpy(),
            "Libellé": [fw.label("indicators", c) for c in df["indicator"]],
        },
        columns=PREVIEW_COLUMNS,
    )


def history_table(uploads: pd.DataFrame, overrides: pd.DataFrame | None = None) -> pd.DataFrame:
    """The upload history: N°, Fichier, Opérateur, Importé par, Le, Statut, Validation and the counts;
    the « Motif » column gives each reason for changing a locked period: its import's, and those
    of its validation, return or rollback (`overrides`: review.overrides)."""
    cols = [
        "N°",
        "Fichier",
        "Opérateur",
        "Importé par",
        "Le",
        "Statut",
        "Validation",
        "Nouvelles",
        "Modifiées",
        "Inchangées",
        "Avertissements",
        "Annulé le",
        "Annulé par",
        "Motif (période verrouillée)",
    ]
    if uploads is None or uploads.empty:
        return pd.DataFrame(columns=cols)
    return pd.DataFrame(
        {
            "N°": uploads["id"].to_numpy(),
            "Fichier": uploads["file_name"].to_numpy(),
            "Opérateur": uploads["operator"].fillna("").to_numpy(),
            "Importé par": uploads["uploaded_by"].fillna("").to_numpy(),
            "Le": [when_fr(v) for v in uploads["uploaded_at"]],
            "Statut": [UPLOAD_STATUS_LABELS.get(s, s) for s in uploads["status"]],
            "Validation": [review_text(r) for r in uploads.to_dict("records")],
            "Nouvelles": uploads["inserted"].fillna(0).astype(int).to_numpy(),
            "Modifiées": uploads["updated"].fillna(0).astype(int).to_numpy(),
            "Inchangées": uploads["unchanged"].fillna(0).astype(int).to_numpy(),
            "Avertissements": uploads["warnings"].fillna(0).astype(int).to_numpy(),
            "Annulé le": [when_fr(v) if v is not None and not pd.isna(v) else "" for v in uploads["rolled_back_at"]],
            "Annulé par": uploads["rolled_back_by"].fillna("").to_numpy(),
            "Motif (période verrouillée)": _reasons(uploads, overrides),
        },
        columns=cols,
    )


LOCK_ACTION_WORDS: dict[str, str] = {VALIDATED: "validation", "returned": "renvoi", "rolled_back": "annulation"}


def _reasons(uploads: pd.DataFrame, overrides: pd.DataFrame | None) -> list[str]:
    """Each upload's reasons for changing a locked period: the import's, then « validation : … »,
    « renvoi : … », « annulation : … »."""
    later: dict[int, list[str]] = {}
    if overrides is not None and not overrides.empty:
        rows = overrides[overrides["action"] != "imported"].iloc[::-1].itertuples(index=False)
        for row in cast(Iterable[OverrideRow], rows):
            later.setdefault(int(row.upload_id), []).append(
                f"{LOCK_ACTION_WORDS.get(row.action, row.action)} : {row.reason}"
            )
    return [
        " ; ".join(([own] if own else []) + later.get(int(upload_id), []))
        for own, upload_id in zip(_texts(uploads, "lock_reason"), uploads["id"], strict=True)
    ]


def _texts(frame: pd.DataFrame, column: str) -> list[str]:
    return (
        [str(v) if v is not None and not pd.isna(v) else "" for v in frame[column]]
        if column in frame
        else [""] * len(frame)
    )


def review_text(row: Mapping[Any, Any]) -> str:
    """« validé par Claire le 02/05/2026 à 10:30 », « soumis, à valider », « renvoyé par … »."""
    review = row.get("review") or VALIDATED
    label = REVIEW_LABELS.get(review, review) + (", à valider" if review == SUBMITTED else "")
    by = row.get("reviewed_by")
    at = row.get("reviewed_at")
    if review == SUBMITTED or at is None or pd.isna(at):
        return label
    return f"{label} par {by} le {when_fr(at)}" if by else f"{label} le {when_fr(at)}"


def review_table(waiting: pd.DataFrame) -> pd.DataFrame:
    """Uploads waiting for validation or sent back (review.in_review), in French."""
    cols = ["N°", "Fichier", "Opérateur", "Importé par", "Le", "Valeurs", "Validation", "Message de la coordination"]
    if waiting is None or waiting.empty:
        return pd.DataFrame(columns=cols)
    return pd.DataFrame(
        {
            "N°": waiting["id"].to_numpy(),
            "Fichier": waiting["file_name"].to_numpy(),
            "Opérateur": waiting["operator"].fillna("").to_numpy(),
            "Importé par": waiting["uploaded_by"].fillna("").to_numpy(),
            "Le": [when_fr(v) for v in waiting["uploaded_at"]],
            "Valeurs": [fmt_number(int(n)) for n in waiting["n_values"]],
            "Validation": [review_text(r) for r in waiting.to_dict("records")],
            "Message de la coordination": _texts(waiting, "review_message"),
        },
        columns=cols,
    )


def upload_at(uploads: pd.DataFrame, index: int) -> pd.Series:
    """The row of `list_uploads` at `index` (the history's select box offers its indexes)."""
    row: pd.Series = uploads.loc[index]  # type: ignore[assignment]  # pandas-stubs: or a frame, for a repeated label
    return row


def upload_choice(row: pd.Series) -> str:
    """One line per upload for a select box."""
    status = UPLOAD_STATUS_LABELS.get(row["status"], row["status"])
    who = f" par {row['uploaded_by']}" if row.get("uploaded_by") else ""
    return f"n° {row['id']} · {row['file_name']} · {row.get('operator') or '–'} · {when_fr(row['uploaded_at'])}{who} · {status}"


def pending_choice(row: Mapping[Any, Any]) -> str:
    """One line per upload waiting for validation, for a select box."""
    who = f" par {row['uploaded_by']}" if row.get("uploaded_by") else ""
    return (
        f"n° {row['id']} · {row['file_name']} · {row.get('operator') or '–'} · "
        f"{when_fr(row['uploaded_at'])}{who} · {fmt_number(int(row['n_values']))} valeur(s)"
    )


def rollback_table(plan: pd.DataFrame, fw: Framework | None = None) -> pd.DataFrame:
    """What undoing an upload changes, value by value, in French."""
    cols = ["Indicateur", "Opérateur", "Zone", "Public", "Période", "Valeur actuelle", "Après annulation"]
    if plan is None or plan.empty:
        return pd.DataFrame(columns=cols)
    after = [
        f"{_num(v)} (import n° {int(u)})" if not pd.isna(v) else "retirée (plus de valeur)"
        for v, u in zip(plan["restored_value"], plan["restored_upload"], strict=True)
    ]
    return pd.DataFrame(
        {
            "Indicateur": plan["indicator"].to_numpy(),
            "Opérateur": plan["operator"].to_numpy(),
            "Zone": plan["zone"].to_numpy(),
            "Public": [a or "tous" for a in plan["audience"]],
            "Période": [label_of(p, fw.calendar) for p in plan["period"]] if fw else plan["period"].to_numpy(),
            "Valeur actuelle": [_num(v) for v in plan["current_value"]],
            "Après annulation": after,
        },
        columns=cols,
    )


def rollback_sentence(upload: pd.Series, plan: pd.DataFrame) -> str:
    """« Annuler l'import n° 12 (rapport.xlsx) : 20 valeur(s) cesseront de compter, dont 3 … »."""
    restored = int(plan["restored_value"].notna().sum()) if not plan.empty else 0
    withdrawn = len(plan) - restored
    return (
        f"Annuler l'import n° {upload['id']} ({upload['file_name']}) : {len(plan)} valeur(s) cesseront de compter. "
        f"{restored} retrouveront la valeur d'un import précédent, {withdrawn} n'auront plus de valeur. "
        "Le fichier et son historique restent conservés ; l'annulation elle-même est enregistrée."
    )


@dataclass(frozen=True)
class ReviewView:
    """What the Validation tab shows of `review.in_review`: the French table, the uploads
    waiting (by id, for the select box) and those sent back (their messages, newest first)."""

    table: pd.DataFrame
    pending: dict[int, dict[Any, Any]]  # records of `review.in_review`
    returned: list[dict[Any, Any]]


def review_view(waiting: pd.DataFrame) -> ReviewView:
    """`returned`: the uploads sent back that the partner has not answered yet (no upload of the
    operator since): once it sends again, the notice goes."""
    records = waiting.to_dict("records")
    return ReviewView(
        table=review_table(waiting),
        pending={int(r["id"]): r for r in records if r["review"] == "submitted"},
        returned=[r for r in records if r["review"] == "returned" and not r.get("resent")],
    )


def returned_notice(upload: Mapping[Any, Any]) -> tuple[str, str, str]:
    """(heading, the coordinator's message, what to do) of an upload sent back: the page sets
    the message apart. A web entry is « votre saisie en ligne du … », never its internal name."""
    when = when_fr(upload.get("uploaded_at"))
    if str(upload.get("file_name") or "").startswith(WEB_ENTRY_PREFIX):
        what, fix = (
            f"votre saisie en ligne du {when}",
            "Corrigez-la dans l'onglet « Saisir en ligne », puis enregistrez-la",
        )
    else:
        what = f"votre rapport « {upload.get('file_name')} » déposé le {when}"
        fix = "Corrigez le fichier, puis déposez-le de nouveau"
    by = f" ({upload['reviewed_by']})" if upload.get("reviewed_by") else ""
    message = str(upload.get("review_message") or "").strip() or "(sans message)"
    return (
        f"La coordination{by} vous a renvoyé {what} (import n° {upload['id']}).",
        message,
        f"{fix} : ce message disparaîtra dès votre nouvel envoi.",
    )


# The Validation tab: the change, the values, the partner's cell and comment before the identity columns.
VALIDATION_ORDER = [
    "Changement",
    "Validé aujourd'hui",
    "Soumis",
    "Cellule",
    "Commentaire",
    "Indicateur",
    "Période",
    "Zone",
    "Public",
    "Libellé",
]


def validation_table(diff: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """What validating an upload changes, value by value (review.what_validation_changes)."""
    cols = [
        "Indicateur",
        "Libellé",
        "Zone",
        "Public",
        "Période",
        "Validé aujourd'hui",
        "Soumis",
        "Changement",
        "Cellule",
        "Commentaire",
    ]
    if diff is None or diff.empty:
        return pd.DataFrame(columns=cols)

    def change(old: float | None, new: float) -> str:
        if old is None or pd.isna(old):
            return "nouveau"
        return "inchangé" if abs(old - new) <= 1e-9 * max(abs(new), 1) else "modifié"

    return pd.DataFrame(
        {
            "Indicateur": diff["indicator"].to_numpy(),
            "Libellé": [fw.label("indicators", c) for c in diff["indicator"]],
            "Zone": diff["zone"].to_numpy(),
            "Public": diff["audience"].replace("", "tous").to_numpy(),
            "Période": [label_of(p, fw.calendar) for p in diff["period"]],
            "Validé aujourd'hui": ["–" if pd.isna(v) else fmt_number(v) for v in diff["validated"]],
            "Soumis": [fmt_number(v) for v in diff["submitted"]],
            "Changement": [change(o, n) for o, n in zip(diff["validated"], diff["submitted"], strict=True)],
            "Cellule": [
                f"{s} {c}".strip() for s, c in zip(diff["sheet"].fillna(""), diff["cell"].fillna(""), strict=True)
            ],
            "Commentaire": diff["comment"].fillna("").to_numpy(),
        },
        columns=cols,
    ).sort_values(
        "Changement", key=lambda s: s.map({"modifié": 0, "nouveau": 1, "inchangé": 2}), kind="stable", ignore_index=True
    )


def landed_sentence(review: str) -> str:
    """What the page says after a commit: where the new values show."""
    if review == "submitted":
        return (
            "Import soumis à la coordination : il comptera dans les chiffres validés (tableaux de bord, dossier du "
            "comité) dès qu'elle l'aura validé. Les tableaux de bord le montrent déjà avec « Inclure les chiffres "
            "soumis »."
        )
    return "Les autres pages affichent déjà ces valeurs. L'historique ci-dessous permet d'annuler un import."
