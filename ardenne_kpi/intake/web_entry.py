"""Entry on a web form ("Saisir en ligne"): an operator's due lines for a period in a grid,
turned into the operator's own template filled in, so the entry goes through the very
validation, preview and commit of a file, and is kept as an upload whose original file
can be opened (« saisie_en_ligne_… .xlsx », its author and date in the upload history).

A refused entry names the grid's line and column of each problem, as a file's names its cells.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from ardenne_kpi.core.errors import ArdenneError
from ardenne_kpi.core.format import fmt_number, put_cell
from ardenne_kpi.core.periods import Period
from ardenne_kpi.figures import WEB_ENTRY_PREFIX
from ardenne_kpi.framework import Framework
from ardenne_kpi.intake import import_view, template_lines, templates
from ardenne_kpi.intake.model import ERROR, Issue

if TYPE_CHECKING:
    from ardenne_kpi.intake.importer import ImportResult

# The columns a person fills in, and the template column each one goes to.
INPUTS = {"Valeur": "value", "Numérateur": "numerator", "Dénominateur": "denominator", "Commentaire": "comment"}
REFERENCE = ["Indicateur", "Unité", "Période", "Zone", "Public", "Dernière valeur", "Objectif final"]
# What a line is, then what to type, then what helps to type it: at 1280 px the « Valeur »
# column is on the first screen, not past the reference columns.
COLUMNS = [
    "Indicateur",
    "Période",
    "Zone",
    "Public",
    "Valeur",
    "Unité",
    "Dernière valeur",
    "Objectif final",
    "Numérateur",
    "Dénominateur",
    "Commentaire",
]
_CELL = re.compile(r"^([A-Z]+)(\d+)$")


def grid(con: duckdb.DuckDBPyConnection, fw: Framework, operator: str, period: str | Period) -> pd.DataFrame:
    """The lines `operator` reports for `period` (the template's, in its order), pre-filled for
    information with the last value and the final target; the input columns are empty text."""
    rows = template_lines.template_rows(con, fw, operator, period)
    return pd.DataFrame(
        {
            "Indicateur": [f"{r.indicator.code} · {r.indicator.label}" for r in rows],
            "Unité": [r.indicator.unit for r in rows],
            "Période": [r.period.label_fr for r in rows],
            "Zone": [fw.label("zones", r.zone) for r in rows],
            "Public": [fw.label("audiences", r.audience) if r.audience else "Tous publics" for r in rows],
            "Dernière valeur": [
                _fr(r.last_value) + (f" ({r.last_period.label_fr})" if r.last_period else "")
                if r.last_value is not None
                else ""
                for r in rows
            ],
            "Objectif final": [
                f"{_fr(r.indicator.final_target.value)} ({r.indicator.final_target.period.label_fr})" for r in rows
            ],
            **{column: [""] * len(rows) for column in INPUTS},
        },
        columns=COLUMNS,
    )


def _fr(value: float) -> str:
    value = float(value)
    decimals = next((d for d in (0, 1) if abs(round(value, d) - value) < 1e-9), 2)
    return fmt_number(value, decimals)


def file_name(operator: str, period: Period, moment: dt.datetime) -> str:
    return f"{WEB_ENTRY_PREFIX}{operator}_{period.code}_{moment:%Y%m%d_%H%M%S}.xlsx"


def workbook(
    con: duckdb.DuckDBPyConnection,
    fw: Framework,
    operator: str,
    period: str | Period,
    entered: pd.DataFrame,
    *,
    user: str,
    moment: dt.datetime | None = None,
) -> tuple[str, bytes]:
    """The operator's template for `period` with the grid's inputs written in (as typed: the
    import reads French numbers), as (file name, .xlsx bytes). Raises ArdenneError when
    nothing was entered or the grid does not match the template's lines."""
    moment = moment or dt.datetime.now().replace(microsecond=0)
    period = template_lines.resolve_period(fw, period)
    rows = template_lines.template_rows(con, fw, operator, period)
    if len(entered) != len(rows):
        raise ArdenneError(
            "La grille ne correspond plus aux lignes à déclarer (le référentiel a changé) : "
            "rechargez la page et saisissez à nouveau.",
            title="Saisie à reprendre",
        )
    from openpyxl.utils import column_index_from_string

    wb = templates.template_workbook(con, fw, operator, period, today=moment.date())
    ws = wb[templates.DATA_SHEET]
    filled = 0
    for i, record in enumerate(entered[list(INPUTS)].to_dict("records")):
        for column, field in INPUTS.items():
            text = "" if record[column] is None or pd.isna(record[column]) else str(record[column]).strip()
            if text:
                # as typed, a string cell: « =HYPERLINK(…) » in a comment is text, never a formula
                col = column_index_from_string(templates.COLUMN_OF[field])
                put_cell(ws, templates.FIRST_ROW + i, col, text)
                filled += field == "value"
    if not filled:
        raise ArdenneError(
            "Aucune valeur saisie : remplissez la colonne « Valeur » des lignes à déclarer.", title="Rien à enregistrer"
        )
    wb.properties.description = f"Saisi en ligne par {user or 'un utilisateur'} le {moment:%d/%m/%Y à %H:%M}"
    out = io.BytesIO()
    wb.save(out)
    return file_name(operator, period, moment), out.getvalue()


def is_web_entry(name: str | None) -> bool:
    """True for an upload made on the web form (its file name says so)."""
    return bool(name) and str(name).startswith(WEB_ENTRY_PREFIX)


def grid_place(sheet: str, cell: str) -> str:
    """Where a problem of the generated workbook lies in the grid: « ligne 3, colonne Valeur »
    (the cell itself when it is not in the grid)."""
    match = _CELL.match(cell or "")
    if sheet != templates.DATA_SHEET or not match:
        return cell or "–"
    column, row = match.group(1), int(match.group(2))
    names = {templates.COLUMN_OF[field]: name for name, field in INPUTS.items()}
    names |= {
        templates.COLUMN_OF[f]: n
        for f, n in (("indicator", "Indicateur"), ("period", "Période"), ("zone", "Zone"), ("audience", "Public"))
    }
    line = row - templates.FIRST_ROW + 1
    if line < 1:
        return cell
    return f"ligne {line}, colonne {names.get(column, column)}"


def issues_table(issues: list[Issue]) -> pd.DataFrame:
    """A web entry's errors and warnings: Ligne de la grille, Gravité, Message (the message's
    own cell reference is the generated workbook's, the place is the grid's)."""
    return pd.DataFrame(
        [
            {
                "Dans la grille": grid_place(i.sheet, i.cell) if i.cell else WHOLE_ENTRY,
                "Gravité": "Erreur" if i.severity == ERROR else "Avertissement",
                "Message": said_of_entry(_PLACE.sub("", i.message)),
            }
            for i in issues
        ],
        columns=["Dans la grille", "Gravité", "Message"],
    )


WHOLE_ENTRY = "toute la saisie"
# What the import's messages say of a file, said of what the person did: typed in a grid.
_FILE_WORDS = [
    (re.compile(r"^Fichier : "), ""),
    (re.compile(r"Retirez ces valeurs du fichier"), "Retirez ces valeurs de votre saisie"),
    (re.compile(r"\b(dans|de|pour) ce fichier\b"), r"\1 votre saisie"),
    (re.compile(r"\bce fichier\b"), "votre saisie"),
    (re.compile(r"\bdu fichier\b"), "de votre saisie"),
    (re.compile(r"\ble fichier\b"), "votre saisie"),
]
_SHEET_CELL = re.compile(r"feuille « ([^»]+) », cellule ([A-Z]+\d+)")


def said_of_entry(message: str) -> str:
    """An import message about the generated workbook, said of the web entry: « de votre
    saisie », a cell named by its line and column of the grid."""
    message = _SHEET_CELL.sub(lambda m: grid_place(m.group(1), m.group(2)), message)
    for pattern, words in _FILE_WORDS:
        message = pattern.sub(words, message)
    return message[:1].upper() + message[1:]


def verdict(result: ImportResult) -> import_view.Verdict:
    """The verdict of a checked web entry (a dry run of its workbook), in the words of a
    person who typed in a grid: « votre saisie », its lines and columns, never a file."""
    base = import_view.verdict(result)
    if result.status == "refused":
        return import_view.Verdict(
            "error",
            "Votre saisie est refusée",
            f"{len(result.errors)} erreur(s) à corriger, à la ligne et dans la colonne de la grille indiquées "
            "ci-dessous. Rien n'est enregistré : corrigez-les, puis cliquez de nouveau sur « Vérifier la saisie ».",
            False,
        )
    if result.duplicate_of:
        title = "Votre saisie reprend des valeurs déjà enregistrées"
        text = (
            "Ces valeurs ont déjà été saisies ou importées : les enregistrer de nouveau ne changerait rien."
            if not base.can_commit
            else said_of_entry(base.text).replace("L'enregistrer de nouveau", "L'enregistrer")
        )
    elif result.inserted + result.updated + result.scores == 0:
        title, text = "Votre saisie ne change rien", said_of_entry(base.text)
    else:
        title, text = "Votre saisie est acceptée", said_of_entry(base.text)
    text = text.replace("le bouton Enregistrer", "le bouton « Enregistrer la saisie »")
    return import_view.Verdict(base.kind, title, text, base.can_commit)


def done_sentence(result: ImportResult) -> str:
    """What the page says once a web entry is recorded."""
    number = f" (import n° {result.upload_id})" if result.upload_id else ""
    warned = f", {len(result.warnings)} avertissement(s)" if result.warnings else ""
    return (
        f"Votre saisie est enregistrée{number} : {fmt_number(result.inserted)} nouvelle(s) valeur(s), "
        f"{fmt_number(result.updated)} modifiée(s), {fmt_number(result.unchanged)} inchangée(s){warned}."
    )


def issues_by_place(issues: list[Issue]) -> pd.DataFrame:
    """`issues_table` with the grid's place as row header (shown whole, sentences wrapped)."""
    return issues_table(issues).set_index("Dans la grille")


# « Feuille « Rapport », cellule G7 : » opens a file's messages; the grid's place replaces it.
_PLACE = re.compile(r"^Feuille « [^»]+ », cellule [A-Z]+\d+ : ")
