"""The partner report template: an .xlsx that is hard to fill wrongly.

One sheet, pre-filled with the operator's indicators for the chosen period (one row per
indicator × period × zone), the input cells in yellow and unlocked, drop-down lists for
the period, the zone and the audience, and, for reference only, the last value reported
and the final target. The French instructions and the meaning of every code sit in a
first sheet, « Mode d'emploi », which the import engine skips.

The layout is read by `ardenne_kpi.intake` like any partner workbook, so it is built
to import with no warning:

- the title block says `Opérateur : CODE` (the one metadata line); other text above the
  header contains no colon and starts with no column synonym;
- the header row uses the reader's own synonyms (Code indicateur, Libellé, Unité,
  Période, Zone, Public, Valeur, Commentaire);
- the reference columns have no header cell in the header row: their titles sit in the
  row above, merged over both rows, so the reader neither reads nor reports them.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Mapping
from copy import copy
from typing import Any

import duckdb
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ardenne_kpi.core.format import fmt_date, of_name, put_cell
from ardenne_kpi.core.periods import Period
from ardenne_kpi.framework import Framework
from ardenne_kpi.intake.template_lines import TemplateRow, resolve_operator, resolve_period, template_rows

TEMPLATE_VERSION = "1"
DATA_SHEET = "Rapport"
TITLE_ROWS = 3  # title, operator, period line
REF_TITLE_ROW = 5  # reference column titles, merged down over the header row
HEADER_ROW = 6
FIRST_ROW = HEADER_ROW + 1
EXTRA_ROWS = 40  # unlocked blank rows for lines the partner adds (another zone, audience...)

# (header, width, kind): "ref" columns are locked and read-only, "input" columns are filled in.
COLUMNS = [
    ("Code indicateur", 14, "key"),
    ("Libellé", 52, "key"),
    ("Unité", 13, "key"),
    ("Période", 13, "input"),
    ("Zone", 11, "input"),
    ("Public", 10, "input"),
    ("Valeur", 14, "input"),
    ("Commentaire", 42, "input"),
    # A ratio's components: the dashboard divides their totals, so zones and periods weigh
    # by their size. Asked (yellow) only on the lines of ratio indicators.
    ("Numérateur", 14, "component"),
    ("Dénominateur", 14, "component"),
]
REFERENCE_COLUMNS = [
    ("Dernière valeur déclarée", 15),
    ("Pour la période", 18),
    ("Objectif final", 13),
    ("Échéance de l'objectif", 22),
]
INPUT_FIELDS = ("period", "zone", "audience", "value", "comment", "numerator", "denominator")
COLUMN_OF = {
    name: get_column_letter(i + 1)
    for i, name in enumerate(
        [
            "indicator",
            "label",
            "unit",
            "period",
            "zone",
            "audience",
            "value",
            "comment",
            "numerator",
            "denominator",
            "last_value",
            "last_period",
            "target",
            "target_period",
        ]
    )
}
_NUMBER_COLUMNS = {
    column_index_from_string(COLUMN_OF[n]) for n in ("value", "numerator", "denominator", "last_value", "target")
}

_GREEN = "1F5C3F"
_FILL_HEADER = PatternFill("solid", fgColor=_GREEN)
_FILL_INPUT = PatternFill("solid", fgColor="FFF4C2")
_FILL_REF = PatternFill("solid", fgColor="EDEDED")
_THIN = Side(style="thin", color="BFBFBF")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_UNLOCKED = Protection(locked=False)


def file_name(operator: str, period: Period) -> str:
    """`rapport_FTLB_S05.xlsx`: what the download and the command line call the template."""
    return f"rapport_{operator}_{period.code.replace('..', '_')}.xlsx"


def build_template(
    con: duckdb.DuckDBPyConnection, fw: Framework, operator: str, period: str | Period, *, today: dt.date | None = None
) -> bytes:
    """The template workbook of `operator` for `period`, as .xlsx bytes."""
    return workbook_bytes(template_workbook(con, fw, operator, period, today=today))


def _given(given: object) -> tuple[Any, Any, Any, Any]:
    """(value, numerator, denominator, comment) from a value given to fill a template: a number,
    (value, numerator, denominator) or (value, numerator, denominator, comment)."""
    if not isinstance(given, tuple):
        return given, None, None, None
    return (*given, None)[:4] if len(given) == 3 else tuple(given[:4])


def template_workbook(
    con: duckdb.DuckDBPyConnection,
    fw: Framework,
    operator: str,
    period: str | Period,
    *,
    today: dt.date | None = None,
    values: Mapping[tuple[str, str, str, str], float | tuple[object, ...]] | None = None,
) -> Workbook:
    """The template of `operator` for `period` as an openpyxl workbook. With `values`
    ((indicator, period code, zone, audience) -> value, or (value, numerator, denominator)
    for a ratio) its value cells come filled, as a
    partner would send it back (the demo's reports); a value without a line of its own
    goes into the blank lines below the table, as the instructions tell partners to do."""
    operator = resolve_operator(fw, operator)
    period = resolve_period(fw, period)
    rows = template_rows(con, fw, operator, period)
    wb = Workbook()
    guide = wb.worksheets[0]  # the one sheet a new workbook has (its active one)
    guide.title = GUIDE_SHEET
    data = wb.create_sheet(DATA_SHEET)
    _write_data_sheet(
        data, _write_guide(guide, fw, period, rows), fw, operator, period, rows, today or dt.date.today(), values or {}
    )
    wb.active = 1  # the partner lands on the table to fill
    props = wb.properties
    props.title = f"Rapport {operator} {period.code}"
    props.subject = "Ardenne Attractivity : rapport d'activité"
    props.creator = "Ardenne KPI"
    props.keywords = f"ardenne-kpi-template v{TEMPLATE_VERSION} {operator} {period.code}"
    return wb


def workbook_bytes(wb: Workbook) -> bytes:
    """An openpyxl workbook as .xlsx bytes."""
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _write_data_sheet(
    ws: Worksheet,
    lists: dict[str, str],
    fw: Framework,
    operator: str,
    period: Period,
    rows: list[TemplateRow],
    today: dt.date,
    values: Mapping[tuple[str, str, str, str], float | tuple[object, ...]],
) -> None:
    op = fw.by_code["operators"].get(operator)
    ncols = len(COLUMNS) + len(REFERENCE_COLUMNS)
    last_col = get_column_letter(ncols)
    # Title block. Only A2 is a metadata line ("Opérateur : CODE"); nothing else above the
    # header has a colon or begins with a column name, so the reader takes nothing else from it.
    put_cell(ws, 1, 1, f"Rapport d'activité {op.of_label if op else of_name(operator)}")
    ws["A1"].font = Font(bold=True, size=14, color=_GREEN)
    put_cell(ws, 2, 1, f"Opérateur : {operator}")
    ws["A2"].font = Font(bold=True)
    put_cell(
        ws,
        3,
        1,
        f"Rapport pour {period.label_fr} · modèle généré le {fmt_date(today)} · "
        "remplissez les cellules jaunes puis déposez ce fichier sur la page Importer un rapport",
    )
    ws["A3"].font = Font(italic=True, color="595959")
    # Reference titles: in the row above the header, merged down over it.
    first_ref = len(COLUMNS) + 1
    ws.cell(REF_TITLE_ROW - 1, first_ref, "Pour information (non importé)").font = Font(italic=True, color="595959")
    for offset, (title, _width) in enumerate(REFERENCE_COLUMNS):
        col = first_ref + offset
        cell = put_cell(ws, REF_TITLE_ROW, col, title)
        ws.merge_cells(start_row=REF_TITLE_ROW, start_column=col, end_row=HEADER_ROW, end_column=col)
        cell.font = Font(bold=True, color="404040")
        cell.fill = _FILL_REF
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.border = _BORDER
    for col, (title, width, _kind) in enumerate(COLUMNS, start=1):
        cell = put_cell(ws, HEADER_ROW, col, title)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = _FILL_HEADER
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cell.border = _BORDER
        ws.column_dimensions[get_column_letter(col)].width = width
    for offset, (_title, width) in enumerate(REFERENCE_COLUMNS):
        ws.column_dimensions[get_column_letter(first_ref + offset)].width = width
    ws.row_dimensions[REF_TITLE_ROW].height = 30
    ws.row_dimensions[HEADER_ROW].height = 30

    # Styling a cell costs openpyxl a hash of every style object; the cells of a column
    # share their style, so each one is built once and copied (the same file, faster).
    styles: dict[tuple[object, ...], StyleArray] = {}

    def put(r: int, col: int, value: object, key: tuple[object, ...], style: Callable[[Cell], None]) -> None:
        cell = put_cell(ws, r, col, value)
        shared = styles.get(key)
        if shared is None:
            style(cell)
            styles[key] = copy(cell._style)
        else:
            cell._style = copy(shared)

    def line_style(col: int, number_format: str, ratio: bool) -> Callable[[Cell], None]:
        def style(cell: Cell) -> None:
            cell.border = _BORDER
            kind = COLUMNS[col - 1][2] if col <= len(COLUMNS) else "ref"
            if kind == "input" or kind == "component":
                cell.protection = _UNLOCKED
                if kind == "input" or ratio:
                    cell.fill = _FILL_INPUT
            elif col > len(COLUMNS):
                cell.fill = _FILL_REF
                cell.font = Font(color="404040")
            cell.border = _BORDER
            kind = COLUMNS[col - 1][2] if col <= len(COLUMNS) else "ref"
            if kind == "input" or kind == "component":
                cell.protection = _UNLOCKED
                if kind == "input" or ind.is_ratio:
                    cell.fill = _FILL_INPUT
            elif col > len(COLUMNS):
                cell.fill = _FILL_REF
                cell.font = Font(color="404040")
            if col in _NUMBER_COLUMNS:
                cell.number_format = number_format

        return style

    def unlocked(cell: Cell) -> None:
        cell.protection = _UNLOCKED

    unplaced = dict(values)
    r = FIRST_ROW
    for row in rows:
        ind = row.indicator
        target = ind.final_target
        number_format = "#,##0.##" if ind.unit.strip() != "%" else "0.0"
        given = unplaced.pop((ind.code, row.period.code, row.zone, row.audience or ""), None)
        value, numerator, denominator, comment = _given(given)
        line = [
            ind.code,
            ind.label,
            ind.unit,
            row.period.code,
            row.zone,
            row.audience or None,
            value,
            comment,
            numerator,
            denominator,
            row.last_value,
            row.last_period.label_fr if row.last_period else None,
            target.value,
            target.period.label_fr,
        ]
        for col, cell_value in enumerate(line, start=1):
            put(r, col, cell_value, (col, number_format, ind.is_ratio), line_style(col, number_format, ind.is_ratio))
        r += 1
    last_filled = r - 1
    # Blank unlocked lines for what the template did not foresee (another zone or audience).
    for extra in range(r, r + EXTRA_ROWS):
        for col in range(1, len(COLUMNS) + 1):
            put(extra, col, None, ("extra",), unlocked)
    for extra, ((code, period_code, zone, audience), given) in enumerate(unplaced.items(), start=r):
        if extra >= r + EXTRA_ROWS:
            raise ValueError(f"more than {EXTRA_ROWS} values without a line of the template")
        value, numerator, denominator, comment = _given(given)
        for col, cell_value in zip(
            (1, 4, 5, 6, 7, 8, 9, 10),
            (code, period_code, zone, audience or None, value, comment, numerator, denominator),
            strict=True,
        ):
            put_cell(ws, extra, col, cell_value)
    last_row = r + EXTRA_ROWS - 1

    _validations(ws, lists, last_row)
    ws.freeze_panes = ws.cell(FIRST_ROW, 3).coordinate  # header and code/label always visible
    ws.auto_filter.ref = f"A{HEADER_ROW}:{last_col}{last_filled}"
    ws.protection.sheet = True
    ws.protection.autoFilter = False  # False = allowed: partners may filter and sort
    ws.protection.sort = False
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True  # type: ignore[union-attr]  # stubs: Optional; openpyxl always makes one
    ws.page_setup.fitToHeight = 0
    ws.cell(HEADER_ROW, 7).comment = Comment(
        "Saisissez le nombre seul (1234,5), sans unité : l'unité est donnée par la colonne Unité. "
        "Pour un pourcentage, 12,5 ou 12,5 %. Laissez vide ce que vous ne connaissez pas "
        "(vide = non déclaré, ce n'est pas zéro).",
        "Ardenne KPI",
        width=320,
        height=120,
    )


def _validations(ws: Worksheet, lists: dict[str, str], last_row: int) -> None:
    """Drop-down lists for period, zone and audience, read from the code lists of the panel;
    numbers only in the value column (a warning, so that « n.d. » can still be typed)."""
    span = f"{FIRST_ROW}:{last_row}"
    for field, (col, title, prompt) in {
        "period": ("D", "Période", "Choisissez la période dans la liste (ou saisissez-en une autre, ex. T3 2019)."),
        "zone": ("E", "Zone", "Choisissez le code de la zone (ARD = toute l'Ardenne)."),
        "audience": ("F", "Public", "Laissez vide pour tous publics, ou choisissez le code d'un public."),
    }.items():
        dv = DataValidation(
            type="list",
            formula1=lists[field],
            allow_blank=True,
            showDropDown=False,
            showErrorMessage=True,
            errorStyle="warning",
            promptTitle=title,
            prompt=prompt,
            errorTitle=title,
            error="Valeur absente de la liste : voyez les codes dans la feuille « Mode d'emploi ».",
        )
        dv.showInputMessage = True
        dv.add(f"{col}{span.replace(':', ':' + col)}")
        ws.add_data_validation(dv)
    dv = DataValidation(
        type="decimal",
        operator="greaterThanOrEqual",
        formula1="0",
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle="Valeur",
        error="Saisissez un nombre positif, sans unité (ex. 1234,5).",
    )
    dv.add(f"G{span.replace(':', ':G')}")
    ws.add_data_validation(dv)


# The guide sheet: the instructions, then the codes the drop-downs offer. The import engine
# skips a sheet with this name silently (reports.importer.is_guide_sheet), so a filled
# template still imports with zero warnings.
GUIDE_SHEET = "Mode d'emploi"


def _instructions(period: Period, rows: list[TemplateRow]) -> list[str]:
    n_ind = len({r.indicator.code for r in rows})
    return [
        f"1. Ce rapport liste vos {n_ind} indicateurs à déclarer pour {period.label_fr}, une ligne par "
        "indicateur, période et zone.",
        "2. Remplissez les cellules jaunes. Valeur = le nombre seul, sans unité ni texte (1234,5 ou 1 234,5) ; "
        "pour un pourcentage, 12,5 ou 12,5 %.",
        "3. Une valeur inconnue reste vide (vide = non déclaré, ce n'est pas zéro). Écrivez n.d. seulement si "
        "la donnée n'existe pas.",
        "4. Période, Zone et Public se choisissent dans des listes (codes expliqués ci-dessous). Public vide = "
        "tous publics ; zone ARD = toute l'Ardenne transfrontalière.",
        "5. Pour une zone ou un public de plus, remplissez une ligne vide sous le tableau en recopiant le code "
        "de l'indicateur.",
        "6. Une valeur plus de trois fois plus grande ou plus petite que la précédente est signalée : "
        "expliquez-la dans la colonne Commentaire.",
        "7. Pour un taux, une moyenne ou un coût par contact, remplissez aussi Numérateur et Dénominateur "
        "(par exemple chambres louées et chambres disponibles) : le tableau de bord calcule le taux de "
        "l'ensemble à partir de leurs totaux. Sans eux, la valeur compte mais ne peut pas être pondérée.",
        "8. Les colonnes grises (dernière valeur déclarée, objectif) sont là pour information : elles ne sont "
        "pas importées.",
        "9. Ne modifiez ni les codes, ni les libellés, ni la ligne Opérateur en haut de la feuille.",
        "10. Enregistrez en .xlsx et déposez le fichier sur la page Importer un rapport : un aperçu montre ce "
        "qui sera enregistré avant toute écriture, et chaque erreur est indiquée avec sa cellule.",
        "11. La feuille est protégée sans mot de passe pour éviter d'effacer un code par erreur "
        "(Révision > Ôter la protection si nécessaire).",
    ]


def _code_lists(fw: Framework, rows: list[TemplateRow]) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    periods = sorted({r.period for r in rows})
    return {
        "period": ("Périodes de ce rapport", [(p.code, p.label_fr) for p in periods]),
        "zone": ("Zones", [(z.code, z.label) for z in fw.zones]),
        "audience": ("Publics", [(a.code, a.label) for a in fw.audiences]),
    }


def _write_guide(ws: Worksheet, fw: Framework, period: Period, rows: list[TemplateRow]) -> dict[str, str]:
    """Write the instructions and the code lists; returns each list's range for the drop-downs."""
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 110
    ws["A1"] = "Mode d'emploi du rapport"
    ws["A1"].font = Font(bold=True, size=14, color=_GREEN)
    r = 3
    plain = None
    for line in _instructions(period, rows):
        cell = put_cell(ws, r, 1, line)
        if plain is None:
            cell.alignment = Alignment(wrap_text=False)
            plain = cell._style
        cell._style = copy(plain)  # one style built, then shared (see _write_data_sheet)
        r += 1
    r += 1
    put_cell(ws, r, 1, "Codes à utiliser").font = Font(bold=True, size=13, color=_GREEN)
    r += 1
    sheet_ref = "'" + GUIDE_SHEET.replace("'", "''") + "'"
    ranges = {}
    bold = None
    for field, (title, entries) in _code_lists(fw, rows).items():
        head = put_cell(ws, r, 1, title)
        head.font = Font(bold=True, color="FFFFFF")
        head.fill = _FILL_HEADER
        ws.cell(r, 2).fill = _FILL_HEADER
        first = r + 1
        for offset, (code, label) in enumerate(entries, start=1):
            cell = put_cell(ws, r + offset, 1, code)
            if bold is None:
                cell.font = Font(bold=True)
                bold = cell._style
            cell._style = copy(bold)
            put_cell(ws, r + offset, 2, label)
        ranges[field] = f"{sheet_ref}!$A${first}:$A${first + len(entries) - 1}"
        r = first + len(entries) + 1
    ws.protection.sheet = True
    return ranges
