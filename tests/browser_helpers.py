"""Workbooks shared by the Import page tests (AppTest and the real browser): a filled
template, a broken report, and a large one for the drop-to-preview measurement."""

from __future__ import annotations

import io

import openpyxl

from ardenne_kpi.intake import templates


def filled_template(con, fw, operator: str = "FTLB", period: str = "S05", value=None) -> bytes:
    """The operator's template with every value cell filled (10, or 12.5 for a percentage),
    or with `value(row_number, indicator_code)` when given."""
    wb = openpyxl.load_workbook(io.BytesIO(templates.build_template(con, fw, operator, period)))
    ws = wb[templates.DATA_SHEET]
    r = templates.FIRST_ROW
    while ws.cell(r, 1).value:
        code = ws.cell(r, 1).value
        ws.cell(r, 7).value = value(r, code) if value else (12.5 if ws.cell(r, 3).value == "%" else 10)
        r += 1
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def bad_report() -> bytes:
    """A partner report with three errors: a value with its unit, an unknown indicator,
    a period after the programme (cells D5, A6 and B7)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Données"
    ws.append(["Rapport FTLB"])
    ws.append(["Opérateur : FTLB"])
    ws.append([])
    ws.append(["Code", "Période", "Zone", "Valeur"])
    ws.append(["CLI01", "S05", "BE-LUX", "12,5 km"])
    ws.append(["XXX99", "S05", "BE-LUX", 3])
    ws.append(["CLI01", "T3 2030", "BE-LUX", 3])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def large_report(rows: int = 10_000, operator: str = "FTLB") -> bytes:
    """A long-layout report of `rows` distinct values (monthly values of one indicator over
    many audiences and zones would not be realistic; distinct comments keep rows unique)."""
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Données")
    ws.append([f"Opérateur : {operator}"])
    ws.append(["Code", "Période", "Zone", "Public", "Valeur", "Commentaire"])
    zones = ["ARD", "FR-08", "BE-LUX", "BE-NAM", "BE-LIE", "LU-EIS"]
    audiences = ["", "HAB", "ENT", "ENT-T", "ENT-X", "VIS", "BE-FL", "BE-WB", "NL", "FR", "DE", "UK", "AUTRES", "INS"]
    months = [f"{y}-{m:02d}" for y in range(2017, 2022) for m in range(1, 13)]
    n = 0
    for month in months:
        for zone in zones:
            for audience in audiences:
                for code in ("CLI01", "CLI02"):
                    if n >= rows:
                        break
                    ws.append([code, month, zone, audience, 1 + n % 50, f"ligne {n}"])
                    n += 1
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
