"""The brand-platform sheet of a partner report: partners score the 7 elements of the Ardenne
brand platform (E1..E7, 1 to 5, with a comment) on a sheet of their report.

`read_sheet` takes the cells the import engine already read (a list of rows) and the sheet
name, and checks them with the engine's strictness: every problem at once, each in French
with its sheet and cell and what to do. `store` writes a checked sheet; `template_rows` is
the sheet the report template offers. The scores that count feed `ardenne_kpi.intake.brand`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from ardenne_kpi import db
from ardenne_kpi.core.errors import PeriodError
from ardenne_kpi.core.periods import Period, parse_period
from ardenne_kpi.db import brand as sql
from ardenne_kpi.framework import Framework
from ardenne_kpi.intake.locate import is_brand_sheet as is_brand_sheet  # its home: no pandas to load for it
from ardenne_kpi.intake.model import ERROR, WARNING, Issue, where
from ardenne_kpi.intake.values import is_blank, normalise, text_of

# (severity, row, column, message): a problem at a cell (indexes in the rows read; None: no cell)
Problem = Callable[[str, int | None, int | None, str], None]

SHEET_NAME = "Plateforme de marque"
SCORE_MIN, SCORE_MAX = 1, 5
SCORE_LABELS = {1: "1 – Incohérent", 2: "2 – Faible", 3: "3 – Moyen", 4: "4 – Bon", 5: "5 – Exemplaire"}

# Header synonyms, compared after `normalise` (accents, case and punctuation dropped).
_ELEMENT_HEADERS = {
    "element",
    "elements",
    "code",
    "code element",
    "element de la plateforme",
    "element de la plateforme de marque",
    "element plateforme",
}
_SCORE_HEADERS = {"note", "score", "note 1 5", "note 1 a 5", "note sur 5", "cotation", "evaluation"}
_COMMENT_HEADERS = {"commentaire", "commentaires", "comment", "remarque", "remarques", "observations"}
_OPERATOR_LABELS = {"operateur", "partenaire", "organisation", "code operateur"}
_PERIOD_LABELS = {"periode", "periode de rapport", "semestre"}
_HEADER_SEARCH_ROWS = 30
_CODE = re.compile(r"^\s*e\s*0?([1-9])\b", re.IGNORECASE)
_SCORE_TEXT = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(?:/\s*5)?\s*$")

SCORE_COLUMNS = ["operator", "period", "period_start", "period_end", "element", "score", "comment", "sheet", "cell"]


def column_letter(index: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass
class BrandSheet:
    """A brand-platform sheet read and checked. `errors` non-empty: refuse the report."""

    sheet: str
    operator: str | None = None
    period: Period | None = None
    scores: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SCORE_COLUMNS))
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def read_sheet(
    rows: list[list[Any]],
    sheet: str,
    fw: Framework,
    *,
    operator: str | None = None,
    period: Period | str | None = None,
    first_row: int = 1,
    first_col: int = 1,
) -> BrandSheet:
    """Read the scores of a brand-platform sheet from its cell values.

    `rows[0][0]` is the cell at (`first_row`, `first_col`) (1-based, as Excel numbers
    them), so cell references stay right when the reader dropped an empty area.
    `operator` and `period` come from the report when it gives them; the sheet's title
    block ("Opérateur : ADT08", "Période : S05") may give or confirm them.
    """
    out = BrandSheet(sheet)

    def ref(r: int, c: int) -> str:
        return f"{column_letter(c + first_col)}{r + first_row}"

    def problem(severity: str, r: int | None, c: int | None, message: str) -> None:
        cell = ref(r, c) if r is not None and c is not None else ""
        target = out.errors if severity == ERROR else out.warnings
        target.append(Issue(sheet, cell, f"{where(sheet, cell)} : {message}", severity))

    header = _find_header(rows)
    if header is None:
        problem(
            ERROR,
            None,
            None,
            "en-tête introuvable. La feuille doit avoir une ligne d'en-tête avec les "
            "colonnes « Élément », « Note » et « Commentaire » (téléchargez le modèle de rapport).",
        )
        return out
    h_row, col_element, col_score, col_comment = header

    # -- operator and period: from the report, confirmed (or given) by the title block
    block = _title_block(rows[:h_row])
    out.operator = _operator(fw, operator, block, problem)
    out.period = _period(fw, period, block, problem)

    codes = {e.code.upper(): e for e in fw.brand_elements}
    by_label = {normalise(e.label): e.code for e in fw.brand_elements}
    seen: dict[str, str] = {}
    records = []
    for r in range(h_row + 1, len(rows)):
        row = rows[r]
        raw_element = row[col_element] if col_element < len(row) else None
        raw_score = row[col_score] if col_score < len(row) else None
        raw_comment = row[col_comment] if col_comment is not None and col_comment < len(row) else None
        if is_blank(raw_element) and is_blank(raw_score) and is_blank(raw_comment):
            continue
        if is_blank(raw_element):
            problem(
                ERROR,
                r,
                col_element,
                "l'élément de la plateforme de marque manque sur cette ligne. "
                f"Saisissez son code ({', '.join(codes)}).",
            )
            continue
        code = _element_code(text_of(raw_element), codes, by_label)
        if code is None:
            problem(
                ERROR,
                r,
                col_element,
                f"« {text_of(raw_element)} » n'est pas un élément de la plateforme de "
                f"marque. Utilisez un des codes {', '.join(codes)} ({codes[next(iter(codes))].label}…).",
            )
            continue
        if code in seen:
            problem(
                ERROR,
                r,
                col_element,
                f"l'élément {code} est déjà noté en {seen[code]}. Gardez une seule ligne par élément.",
            )
            continue
        seen[code] = ref(r, col_element)
        score = _score(raw_score)
        if score is None:
            problem(
                WARNING,
                r,
                col_score,
                f"l'élément {code} n'est pas noté : il est ignoré (non noté n'est pas "
                "zéro). Saisissez une note de 1 à 5 pour qu'il compte.",
            )
            continue
        if isinstance(score, str):
            problem(ERROR, r, col_score, score.format(code=code))
            continue
        comment = text_of(raw_comment) if not is_blank(raw_comment) else None
        records.append((code, score, comment, ref(r, col_score)))
    missing = [c for c in codes if c not in seen]
    if missing and not out.errors:
        problem(
            WARNING,
            None,
            None,
            f"élément(s) absent(s) de la feuille : {', '.join(missing)}. Ils ne sont pas notés pour cette période.",
        )
    if out.errors or out.operator is None or out.period is None:
        return out
    p = out.period
    out.scores = pd.DataFrame(
        [
            (out.operator, p.code, p.start, p.end, code, score, comment, sheet, cell)
            for code, score, comment, cell in records
        ],
        columns=SCORE_COLUMNS,
    )
    return out


def _find_header(rows: list[list[Any]]) -> tuple[int, int, int, int | None] | None:
    for r, row in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        names = [normalise(text_of(v)) if not is_blank(v) else "" for v in row]
        element = next((i for i, n in enumerate(names) if n in _ELEMENT_HEADERS), None)
        score = next((i for i, n in enumerate(names) if n in _SCORE_HEADERS), None)
        if element is not None and score is not None:
            comment = next((i for i, n in enumerate(names) if n in _COMMENT_HEADERS), None)
            return r, element, score, comment
    return None


def _title_block(rows: list[list[Any]]) -> dict[str, tuple[str, int, int]]:
    """Label → (value, row, col) pairs above the header: "Opérateur | ADT08" or "Période : S05"."""
    found: dict[str, tuple[str, int, int]] = {}
    for r, row in enumerate(rows):
        cells = [(c, v) for c, v in enumerate(row) if not is_blank(v)]
        for n, (c, v) in enumerate(cells):
            text = text_of(v)
            label, _, rest = text.partition(":")
            key = normalise(label)
            if key in _OPERATOR_LABELS | _PERIOD_LABELS:
                name = "operator" if key in _OPERATOR_LABELS else "period"
                if rest.strip():
                    found[name] = (rest.strip(), r, c)
                elif n + 1 < len(cells):
                    found[name] = (text_of(cells[n + 1][1]), r, cells[n + 1][0])
    return found


def _operator(fw: Framework, given: str | None, block: dict[str, tuple[str, int, int]], problem: Problem) -> str | None:
    ops = fw.by_code["operators"]
    in_sheet = block.get("operator")
    code = None
    if in_sheet:
        text, r, c = in_sheet
        code = next(
            (o.code for o in fw.operators if text.upper() == o.code.upper() or normalise(text) == normalise(o.label)),
            None,
        )
        if code is None:
            problem(
                ERROR,
                r,
                c,
                f"opérateur « {text} » inconnu. Saisissez son code (par exemple "
                f"{', '.join(list(ops)[:3])}) tel que dans le référentiel.",
            )
            return None
        if given and code != given:
            problem(
                ERROR,
                r,
                c,
                f"la feuille est au nom de {code}, le rapport de {given}. Corrigez l'opérateur "
                "de la feuille ou déposez le rapport au bon nom.",
            )
            return None
    if given and given not in ops:
        problem(ERROR, None, None, f"opérateur « {given} » inconnu du référentiel.")
        return None
    if not (given or code):
        problem(
            ERROR,
            None,
            None,
            "l'opérateur n'est pas indiqué. Ajoutez au-dessus de l'en-tête une ligne "
            "« Opérateur : » suivie de votre code.",
        )
    return given or code


def _period(
    fw: Framework, given: Period | str | None, block: dict[str, tuple[str, int, int]], problem: Problem
) -> Period | None:
    if isinstance(given, str):
        given = parse_period(given, fw.calendar)
    in_sheet = block.get("period")
    if in_sheet:
        text, r, c = in_sheet
        try:
            period = parse_period(text, fw.calendar)
        except PeriodError as exc:
            problem(ERROR, r, c, exc.message)
            return None
        if given and period != given:
            problem(
                ERROR,
                r,
                c,
                f"la feuille porte sur {period.label_fr}, le rapport sur {given.label_fr}. "
                "Mettez la même période partout.",
            )
            return None
        return period
    if given is None:
        problem(
            ERROR,
            None,
            None,
            "la période n'est pas indiquée. Ajoutez au-dessus de l'en-tête une ligne "
            "« Période : » suivie de la période (par exemple S05 ou 2019).",
        )
    return given


def _element_code(text: str, codes: Mapping[str, object], by_label: dict[str, str]) -> str | None:
    match = _CODE.match(text)
    if match:
        code = f"E{match.group(1)}"
        return code if code in codes else None
    return by_label.get(normalise(text))


def _score(raw: object) -> int | str | None:
    """The score, None when blank, or a French problem (with {code}) when not an integer 1..5."""
    if is_blank(raw):
        return None
    if isinstance(raw, bool):
        return "la note de {code} doit être un nombre entier de 1 à 5, pas une case à cocher."
    if isinstance(raw, (int, float)):
        value = float(raw)
        shown = text_of(raw).replace(".", ",")
    else:
        match = _SCORE_TEXT.match(text_of(raw))
        if not match:
            return (
                f"« {text_of(raw)} » n'est pas une note. Saisissez la note de {{code}} par un nombre entier de 1 à 5."
            )
        shown = match.group(1)
        value = float(shown.replace(",", "."))
    if not value.is_integer():
        return f"la note de {{code}} vaut {shown} : notez par un nombre entier de 1 à 5, sans demi-point."
    if not SCORE_MIN <= value <= SCORE_MAX:
        return f"la note de {{code}} vaut {shown} : elle doit être comprise entre 1 et 5."
    return int(value)


# ------------------------------------------------------------------ storing


def store(
    con: duckdb.DuckDBPyConnection, sheet: BrandSheet, upload_id: int, cur: duckdb.DuckDBPyConnection | None = None
) -> int:
    """Write a checked sheet's scores (superseding the same operator, period and element).

    Pass the import's transaction cursor as `cur` so the scores land with the values, or
    none and they are written in their own transaction. Returns the number of scores written.
    """
    if not sheet.ok:
        raise ValueError("a brand sheet with errors is never stored")
    if cur is not None:
        return sql.write_scores(cur, sheet.scores, upload_id)
    with db.transaction(con) as tx:
        return sql.write_scores(tx, sheet.scores, upload_id)


def changed_scores(cur: duckdb.DuckDBPyConnection, sheets: list[BrandSheet]) -> int:
    """How many scores of these sheets differ from those that count now (re-sent files)."""
    return sum(sql.changed_scores(cur, sheet.scores) for sheet in sheets)


def rollback_upload(cur: duckdb.DuckDBPyConnection, upload_id: int) -> None:
    """For the engine's roll-back: withdraw an upload's scores and restore the previous ones."""
    sql.rollback_upload(cur, upload_id)


# ------------------------------------------------------------------ the template


def template_rows(fw: Framework, operator: str = "", period: str = "") -> list[list[Any]]:
    """The sheet the report template offers: a title block, the header and one row per element."""
    rows: list[list[Any]] = [
        ["Cohérence avec la plateforme de marque Ardenne", None, None, None],
        ["Opérateur :", operator, None, None],
        ["Période :", period, None, None],
        [
            "Notez chaque élément de 1 (incohérent) à 5 (exemplaire). Laissez vide ce que vous n'évaluez pas.",
            None,
            None,
            None,
        ],
        ["Élément", "Libellé", "Note", "Commentaire"],
    ]
    rows += [[e.code, e.label, None, None] for e in fw.brand_elements]
    return rows
