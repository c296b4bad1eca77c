"""The demo's report workbooks, written as partners send them.

Most operators fill the project's own template (`ardenne_kpi.intake.templates`); three keep
their own layouts, which the import engine reads as well:

- PNVH: a long table under a title block, French headers (« Réalisé », « Remarques »),
  numbers typed as French text (« 1 234 », « 12,5 »), quarters spelled « T3 2019 », zones
  by their names, and a « Source » column the engine ignores;
- ADT08: a wide table, one column per period (« T3 2019 », « S05 », « 2019 »), the
  operator on a line « Opérateur | ADT08 »;
- FTPN: a long table whose rates are Excel percentages (0,453 shown as 45,3 %).

A report whose quarter ends a brand-platform semester also carries its « Plateforme de
marque » sheet (`brand_sheet.template_rows`, filled).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from typing import Protocol, cast

import duckdb
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

from ardenne_kpi.core.periods import Period, period_from_code
from ardenne_kpi.framework import Framework, Indicator
from ardenne_kpi.intake import brand_sheet, templates

TEXT_NUMBERS, WIDE, PERCENT_CELLS = "text-numbers", "wide", "percent-cells"
LAYOUTS = {"PNVH": TEXT_NUMBERS, "ADT08": WIDE, "FTPN": PERCENT_CELLS}


def write_report(
    con: duckdb.DuckDBPyConnection,
    fw: Framework,
    operator: str,
    quarter: str,
    values: pd.DataFrame,
    scores: pd.DataFrame | None = None,
    *,
    written: dt.date | None = None,
) -> bytes:
    """The .xlsx an operator sends for a quarter: `values` (indicator, zone, audience, period,
    value) in the operator's layout, and its brand-platform `scores` (brand.demo_scores rows)
    when given. `written`: the day the partner filled it in."""
    layout = LAYOUTS.get(operator)
    if layout is None:
        keyed = {
            (r.indicator, r.period, r.zone, r.audience): (
                r.value,
                _or_none(getattr(r, "numerator", None)),
                _or_none(getattr(r, "denominator", None)),
                _or_none(getattr(r, "comment", None)),
            )
            for r in cast(Iterable[_ValueRow], values.itertuples(index=False))
        }
        wb = templates.template_workbook(con, fw, operator, quarter, today=written, values=keyed)
        if scores is not None:
            _brand_sheet(wb.create_sheet(brand_sheet.SHEET_NAME), fw, operator, scores)
        return templates.workbook_bytes(wb)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Tableau de bord" if layout == WIDE else "Données")
    period = period_from_code(quarter, fw.calendar)
    if layout == WIDE:
        _wide(ws, fw, operator, period, values)
    else:
        _long(ws, fw, operator, period, values, layout)
    if scores is not None:
        _brand_sheet(wb.create_sheet(brand_sheet.SHEET_NAME), fw, operator, scores)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


class _ValueRow(Protocol):
    """A value of the demo (`database.build_values`), as `itertuples` gives it (numerator,
    denominator and comment, when there, read with getattr)."""

    indicator: str
    operator: str
    zone: str
    audience: str
    period: str
    value: float


class _ScoreRow(Protocol):
    """A brand-platform score of the demo (`brand.demo_scores`), as `itertuples` gives it."""

    element: str
    score: float
    comment: str | None


def _or_none(value: object) -> object:
    return None if value is None or (isinstance(value, float) and value != value) else value


def _spelled(fw: Framework, code: str) -> str:
    """A period as partners write it: « T3 2019 » for a quarter; other codes as they are."""
    period = period_from_code(code, fw.calendar)
    return f"T{(period.start.month - 1) // 3 + 1} {period.start.year}" if period.grain == "quarter" else code


def _french(ind: Indicator, value: float) -> str:
    """A number typed as text the French way: « 1 234 », « 12,5 », « 45,3 % »."""
    text = f"{value:,.1f}" if not float(value).is_integer() else f"{value:,.0f}"
    text = text.replace(",", "\u202f").replace(".", ",")
    return f"{text} %" if ind.is_percent else text


def _long(
    ws: WriteOnlyWorksheet, fw: Framework, operator: str, quarter: Period, values: pd.DataFrame, layout: str
) -> None:
    op = fw.by_code["operators"][operator]
    ws.append([f"{op.label}, rapport d'activité"])
    ws.append([f"Opérateur : {operator}"])
    ws.append([f"Indicateurs arrêtés à la fin du {quarter.label_fr}"])
    ws.append([])
    if layout == TEXT_NUMBERS:
        ws.append(["Code", "Indicateur", "Période", "Zone", "Réalisé", "Remarques", "Source"])
    else:
        ws.append(["Code indicateur", "Libellé", "Période", "Zone", "Public", "Valeur réalisée", "Commentaire"])
    for r in cast(Iterable[_ValueRow], values.itertuples(index=False)):
        ind = fw.indicator(r.indicator)
        if layout == TEXT_NUMBERS:
            ws.append(
                [
                    r.indicator,
                    ind.label,
                    _spelled(fw, r.period),
                    fw.label("zones", r.zone),
                    _french(ind, r.value),
                    _or_none(getattr(r, "comment", None)),
                    "Comptages du parc",
                ]
            )
            continue
        value: float | Cell = r.value
        if ind.is_percent:  # an Excel percentage: 45.3 % is stored as 0.453
            value = WriteOnlyCell(ws, round(r.value / 100, 6))
            value.number_format = "0.0%"
        ws.append(
            [r.indicator, ind.label, r.period, r.zone, r.audience or None, value, _or_none(getattr(r, "comment", None))]
        )


def _wide(ws: WriteOnlyWorksheet, fw: Framework, operator: str, quarter: Period, values: pd.DataFrame) -> None:
    op = fw.by_code["operators"][operator]
    ws.append([op.label])
    ws.append(["Opérateur", operator])
    ws.append([f"Tableau de bord du {quarter.label_fr}"])
    ws.append([])
    ordered = values.assign(start=pd.to_datetime(values["period_start"])).sort_values(["start", "period"])
    periods = list(dict.fromkeys(ordered["period"]))
    ws.append(["Code", "Indicateur", "Zone", *(_spelled(fw, p) for p in periods)])
    column = {p: n for n, p in enumerate(periods)}
    lines: dict[tuple[str, str], list[float | None]] = {}
    for r in cast(Iterable[_ValueRow], values.itertuples(index=False)):
        lines.setdefault((r.indicator, r.zone), [None] * len(periods))[column[r.period]] = r.value
    for (code, zone), cells in lines.items():
        ws.append([code, fw.indicator(code).label, zone, *cells])


def _brand_sheet(ws: Worksheet | WriteOnlyWorksheet, fw: Framework, operator: str, scores: pd.DataFrame) -> None:
    """The template's brand-platform sheet with the scores filled in (column C, comments D)."""
    rows = brand_sheet.template_rows(fw, operator, scores["period"].iloc[0])
    first = next(n for n, row in enumerate(rows) if row[0] == fw.brand_elements[0].code)
    by_element = {r.element: r for r in cast(Iterable[_ScoreRow], scores.itertuples(index=False))}
    for row in rows[first:]:
        found = by_element.get(row[0])
        if found is not None:
            row[2], row[3] = int(found.score), found.comment
    for row in rows:
        ws.append(row)
