"""Coverage downloads, as bytes in memory: the workbook for the meeting and the detail CSV.

Text that came from partners or from the framework file (labels, comments, file names)
never becomes a live formula: in the workbook it is stored as a string cell, in the CSV
a leading =, +, - or @ gets an apostrophe in front, as spreadsheet programs expect.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any, cast

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ardenne_kpi.core.format import csv_excel_fr, csv_script, percent_value, put_cell
from ardenne_kpi.figures.coverage import (
    GAP_COLORS,
    GAP_INK,
    GAP_LABELS,
    GAP_MARKS,
    GAP_STATES,
    MEASURES,
    Coverage,
    Gap,
    Matrix,
    detail_table,
)

README_SHEET = "Lisez-moi"
DETAIL_SHEET = "Détail"
_THIN = Side(style="thin", color="FFFFFF")
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_CENTER = Alignment(horizontal="center")
_GRID_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_ALIGN = Alignment(wrap_text=True, horizontal="center", vertical="center")
_WRAP = Alignment(wrap_text=True)


def _argb(color: str) -> str:
    return "FF" + color.lstrip("#").upper()


def fill_for(state: str) -> PatternFill:
    """The fill of a cell in `state`: the page's colour."""
    return PatternFill(fill_type="solid", fgColor=_argb(GAP_COLORS[state]))


# Built once: openpyxl compares style objects on every assignment.
_FILLS = {state: fill_for(state) for state in GAP_STATES}
_INKS = {state: Font(bold=True, color=_argb(GAP_INK[state])) for state in GAP_STATES}


def _put(ws: Worksheet, row: int, col: int, value: Any, **style: Any) -> Cell:
    """Write a value through the project's one cell writer (text is text, never a formula)."""
    cell: Cell = put_cell(ws, row, col, value, **style)
    return cell


def _matrix_sheet(wb: Workbook, m: Matrix) -> None:
    ws = wb.create_sheet(m.title)
    n_cols = len(m.cols)
    _put(ws, 1, 1, f"Couverture : {m.title}", font=_TITLE)
    _put(ws, 2, 1, "Couleur = état de la cellule (légende en bas) ; chaque tableau donne une mesure par cellule.")
    row = 4
    for measure, label in MEASURES.items():
        grid = m.grid(measure)
        states = m.grid("state")
        _put(ws, row, 1, label, font=_BOLD)
        row += 1
        _put(ws, row, 1, f"{m.spec.row_title} \\ {m.spec.col_title}", font=_BOLD)
        for j, c in enumerate(m.cols, start=2):
            _put(ws, row, j, f"{c.code} {c.label}", font=_BOLD, alignment=_HEADER_ALIGN)
        for r in m.rows:
            row += 1
            _put(ws, row, 1, f"{r.code} {r.label}", font=_BOLD, alignment=_WRAP)
            for j, c in enumerate(m.cols, start=2):
                # a state grid holds state names; a measure grid numbers (NaN: none)
                state = cast(str, states.loc[r.code, c.code])
                value = cast(float, grid.loc[r.code, c.code])
                cell = _put(
                    ws,
                    row,
                    j,
                    None if pd.isna(value) else (float(value) if measure == "mean_progress" else int(value)),
                    fill=_FILLS[state],
                    font=_INKS[state],
                    alignment=_CENTER,
                    border=_GRID_BORDER,
                )
                if measure == "mean_progress":
                    cell.number_format = "0 %"
        row += 2
    _put(ws, row, 1, "Légende", font=_BOLD)
    for state in GAP_STATES:
        row += 1
        _put(ws, row, 1, f"{GAP_MARKS[state]} {GAP_LABELS[state]}".strip(), fill=_FILLS[state], font=_INKS[state])
    ws.column_dimensions["A"].width = 42
    for j in range(2, n_cols + 2):
        ws.column_dimensions[get_column_letter(j)].width = 14
    ws.freeze_panes = "B6"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _table_sheet(wb: Workbook, title: str, table: pd.DataFrame) -> Worksheet:
    ws: Worksheet = wb.create_sheet(title)
    for j, name in enumerate(table.columns, start=1):
        _put(ws, 1, j, name, font=_BOLD)
        ws.column_dimensions[get_column_letter(j)].width = min(48, max(12, len(name) + 2))
    progress = list(table.columns).index("Progression") + 1 if "Progression" in table.columns else None
    for i, values in enumerate(table.astype(object).to_numpy().tolist(), start=2):
        for j, value in enumerate(values, start=1):
            cell = _put(ws, i, j, value)
            if j == progress and cell.value is not None:
                cell.number_format = "0 %"
    ws.freeze_panes = "A2"
    if len(table.columns):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{max(1, len(table) + 1)}"
    return ws


def _readme(wb: Workbook, cov: Coverage, generated: dt.datetime) -> None:
    ws = wb.worksheets[0]  # the sheet a new workbook starts with (its active one)
    ws.title = README_SHEET
    _put(ws, 1, 1, "Matrices de couverture du plan de marketing territorial", font=_TITLE)
    last = cov.last_update.strftime("%d/%m/%Y %H:%M") if cov.last_update else "aucune donnée importée"
    rows: list[tuple[str, str]] = [
        *cov.filter_labels,
        ("Version du référentiel", cov.framework_version),
        ("Dernière mise à jour des données", last),
        ("Fichier produit le", generated.strftime("%d/%m/%Y %H:%M")),
    ]
    r = 3
    for name, value in rows:
        _put(ws, r, 1, name, font=_BOLD)
        _put(ws, r, 2, value)
        r += 1
    r += 1
    _put(ws, r, 1, "États des cellules", font=_BOLD)
    for state, meaning in (
        (
            Gap.NOT_SERVED,
            "aucun indicateur du référentiel n'est rattaché à la fois à la ligne et à la colonne : un manque du plan",
        ),
        (
            Gap.NOT_REPORTED,
            "des indicateurs sont rattachés mais aucun n'a de valeur dans la période : un manque de rapportage",
        ),
        (
            Gap.BEHIND,
            "au moins un indicateur renseigné est « en retard » sur sa trajectoire (référence → cible) "
            "à la fin de la période, comme sur la page Tendances",
        ),
        (Gap.ON_TRACK, "renseignée, et aucun indicateur en retard (certains peuvent être « à surveiller »)"),
    ):
        r += 1
        _put(ws, r, 1, f"{GAP_MARKS[state]} {GAP_LABELS[state]}".strip(), fill=_FILLS[state], font=_INKS[state])
        _put(ws, r, 2, meaning)
    r += 2
    _put(ws, r, 1, "Mesures", font=_BOLD)
    for text in (
        "Indicateurs : indicateurs rattachés à la ligne et à la colonne (après filtres).",
        "Indicateurs renseignés : ceux qui ont au moins une valeur dont la période se termine dans la fenêtre.",
        "Activités : activités distinctes mesurées par ces indicateurs.",
        "Progression moyenne : moyenne de (valeur − référence) / (cible − référence) de ces indicateurs.",
        "Onglet « Détail » : une ligne par cellule et par indicateur, avec valeur, cible, statut et source.",
    ):
        r += 1
        _put(ws, r, 1, text)
    ws.column_dimensions["A"].width = 38
    ws.column_dimensions["B"].width = 100


def coverage_workbook(cov: Coverage, *, generated: dt.datetime | None = None) -> bytes:
    """The coverage workbook (.xlsx) as bytes: Lisez-moi, one sheet per matrix, the detail."""
    wb = Workbook()
    _readme(wb, cov, generated or dt.datetime.now())
    for m in cov.matrices.values():
        _matrix_sheet(wb, m)
    _table_sheet(wb, DETAIL_SHEET, detail_table(cov))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def detail_csv(cov: Coverage, *, french: bool = False) -> bytes:
    """The detail as CSV bytes. Scripts (default): comma, UTF-8, dot decimals, ISO dates,
    progress as a fraction. `french=True`: what a reader opens in Excel: semicolon, decimal
    comma and a BOM, the progress in percent (« Progression (%) »), values and targets rounded
    to 1 decimal (never 0,7874999999999996)."""
    table = detail_table(cov)
    if not french:
        return csv_script(table)
    # pandas-stubs leave None out of a column given as a list; pandas reads it as a missing value
    table = table.assign(
        **{  # type: ignore[arg-type]
            name: [round(float(v), 1) if pd.notna(v) else None for v in table[name]]
            for name in ("Dernière valeur", "Cible")
        },
        Progression=[percent_value(v) for v in table["Progression"]],  # type: ignore[misc]  # same: None in a list
    ).rename(columns={"Progression": "Progression (%)"})
    return csv_excel_fr(table)
