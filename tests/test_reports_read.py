"""Quirky partner workbooks built in the test: where the table is, what each cell means,
and every problem named with its sheet and cell."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from ardenne_kpi.intake import importer


def xlsx(rows, *, title="Rapport", setup=None, extra_sheets=()):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(list(row))
    if setup:
        setup(ws)
    for name, state, srows in extra_sheets:
        other = wb.create_sheet(name)
        other.sheet_state = state
        for row in srows:
            other.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def parse(data, fw, operator="FTPN", name="rapport.xlsx"):
    return importer.parse_bytes(data, name, fw, operator, isolated=False)


def values(report):
    cols = report.columns
    return {
        (i, z, a, p): v
        for i, z, a, p, v in zip(
            cols["indicator"], cols["zone"], cols["audience"], cols["period"], cols["value"], strict=True
        )
    }


def cells(report, severity="errors"):
    return {(i.sheet, i.cell) for i in getattr(report, severity)}


def test_title_block_merged_title_and_operator_line(fw):
    def setup(ws):
        ws.merge_cells("A1:D1")

    data = xlsx(
        [
            ["Rapport semestriel Ardenne Ambassadors"],
            ["Opérateur : FTPN"],
            [],
            ["Code indicateur", "Période", "Zone", "Valeur réalisée"],
            ["BRD01", "S1 2019", "BE-NAM", 600],
        ],
        setup=setup,
    )
    report = parse(data, fw, operator=None)
    assert report.ok, report.errors
    assert values(report) == {("BRD01", "BE-NAM", "", "2019-S1"): 600}
    assert report.operator == "FTPN"
    assert report.columns["cell"] == ["D5"]
    assert report.tables[0].header_row == 4


def test_period_and_zone_from_the_title_block_apply_to_every_row(fw):
    data = xlsx(
        [["Période", "S05"], ["Zone :", "Province de Namur"], [], ["Indicateur", "Valeur"], ["BRD01", 10], ["BRD02", 3]]
    )
    report = parse(data, fw)
    assert report.ok, report.errors
    assert values(report) == {("BRD01", "BE-NAM", "", "S05"): 10, ("BRD02", "BE-NAM", "", "S05"): 3}


def test_header_merged_over_two_rows(fw):
    def setup(ws):
        ws.merge_cells("A1:A2")
        ws.merge_cells("B1:C1")

    data = xlsx([["Indicateur", "Réalisé", None], [None, "S1 2019", "S2 2019"], ["BRD01", 600, 650]], setup=setup)
    report = parse(data, fw)
    assert report.ok, report.errors
    assert values(report) == {("BRD01", "ARD", "", "2019-S1"): 600, ("BRD01", "ARD", "", "2019-S2"): 650}
    assert report.columns["cell"] == ["B3", "C3"]


def test_wide_layout_with_every_period_header_spelling(fw):
    headers = [
        "S1 2019",
        "2019-S2",
        "T3 2020",
        "2020-Q4",
        "2019",
        "juillet 2019",
        "2019-07",
        "S05",
        "Semestre 6",
        "1er semestre 2020",
        "3e trimestre 2019",
        "01/10/2018 - 31/03/2019",
        "du 01/04/2019 au 30/09/2019",
    ]
    data = xlsx([["Code", *headers], ["BRD02", *range(1, len(headers) + 1)]])
    report = parse(data, fw)
    got = dict(zip(report.columns["cell"], report.columns["period"], strict=True))
    # "2019-07" and "juillet 2019" are the same key with different values: an error, but both read
    assert got["B2"] == "2019-S1" and got["C2"] == "2019-S2" and got["D2"] == "2020-Q3"
    assert got["E2"] == "2020-Q4" and got["F2"] == "2019" and got["G2"] == "2019-07"
    assert got["I2"] == "S05" and got["J2"] == "S06" and got["K2"] == "2020-S1" and got["L2"] == "2019-Q3"
    # same key twice with different values: 2019-07 (G2, H2); a range equal to a programme
    # semester is that semester, so M2 is S05 again (I2) and N2 is S06 again (J2)
    assert cells(report) == {("Rapport", "H2"), ("Rapport", "M2"), ("Rapport", "N2")}
    assert "S05" in next(i.message for i in report.errors if i.cell == "M2")


def test_period_cells_as_excel_dates_are_months(fw):
    data = xlsx([["Indicateur", "Période", "Valeur"], ["BRD02", dt.date(2019, 7, 1), 4]])
    assert values(parse(data, fw)) == {("BRD02", "ARD", "", "2019-07"): 4}


def test_decimal_commas_percentages_blank_nd_and_total_rows(fw):
    def setup(ws):
        ws["C4"].number_format = "0.0%"

    data = xlsx(
        [
            ["Code", "Période", "Valeur", "Commentaire"],
            ["BRD01", "S05", "1 234", None],
            ["BRD03", "2018", "12,5 %", None],
            ["BRD03", "2019", 0.125, None],
            ["BRD08", "2019", "", None],
            ["BRD02", "S05", "n.d.", None],
            ["Total", None, 9999, None],
            [None, None, None, None],
            ["BRD02", "S06", "2,5", "ok"],
        ],
        setup=setup,
    )
    report = parse(data, fw)
    assert report.ok, report.errors
    assert values(report) == {
        ("BRD01", "ARD", "", "S05"): 1234,
        ("BRD03", "ARD", "", "2018"): 12.5,
        ("BRD03", "ARD", "", "2019"): 12.5,
        ("BRD02", "ARD", "", "S06"): 2.5,
    }
    assert cells(report, "warnings") >= {("Rapport", "C6"), ("Rapport", "A7")}
    assert report.columns["comment"][-1] == "ok"


def test_indicator_by_french_label_and_audience_by_label(fw):
    data = xlsx(
        [
            ["Indicateur", "Public", "Période", "Valeur"],
            ["adhérents à la MARQUE ardenne (cumul)", "Entreprises", "S05", 610],
            ["BRD01", "tous publics", "S05", 620],
        ]
    )
    report = parse(data, fw)
    assert report.ok, report.errors
    assert values(report) == {("BRD01", "ARD", "ENT", "S05"): 610, ("BRD01", "ARD", "", "S05"): 620}


def test_every_error_named_with_its_cell_all_at_once(fw):
    data = xlsx(
        [
            ["Code", "Période", "Zone", "Public", "Valeur"],
            ["XXX99", "S05", None, None, 1],  # unknown indicator A2
            ["BRD01", "S99", None, None, 1],  # programme semester that does not exist B3
            ["BRD01", "2012", None, None, 1],  # outside the programme B4
            ["BRD01", "S05", "Mars", None, 1],  # unknown zone C5
            ["BRD01", "S05", None, "Martiens", 1],  # unknown audience D6
            ["BRD01", "S06", None, None, "12 km"],  # not a number E7
            ["BRD02", "S06", None, None, -4],  # negative count E8
            ["BRD03", "2019", None, None, 140],  # percentage above 100 E9
            ["BRD02", "S07", None, None, 5],
            ["BRD02", "S07", None, None, 6],  # same key, other value E11
            ["BRD02", "n'importe quand", None, None, 6],
        ]
    )  # unreadable period B12
    report = parse(data, fw)
    assert cells(report) == {("Rapport", c) for c in ("A2", "B3", "B4", "C5", "D6", "E7", "E8", "E9", "E11", "B12")}
    assert all(i.message.startswith("Feuille « Rapport », cellule ") for i in report.errors)


def test_warnings_label_mismatch_ignored_columns_hidden_sheet_and_responsibility(fw):
    data = xlsx(
        [
            ["Code", "Libellé", "Période", "Valeur", "Cible 2022"],
            ["BRD01", "Nuitées marchandes", "S05", 600, 800],
            ["CLI08", "Nuitées marchandes – Ardenne transfrontalière", "2019-Q1", 1000, None],
        ],
        extra_sheets=[("Brouillon", "hidden", [["x"]]), ("Notice", "visible", [["Lisez-moi"]])],
    )
    report = parse(data, fw, operator="FTPN")
    assert report.ok, report.errors
    messages = " ".join(i.message for i in report.warnings)
    assert "ne correspond pas au code BRD01" in messages
    assert "Cible 2022" in messages
    assert "masquée" in messages and "Notice" in messages
    assert "CLI08 ne fait pas partie" in messages


def test_operator_conflict_between_file_and_choice_is_an_error(fw):
    data = xlsx([["Opérateur : FTLB"], ["Code", "Période", "Valeur"], ["BRD04", "2019", 40]])
    report = parse(data, fw, operator="FTPN")
    assert cells(report) == {("Rapport", "A1")}


def test_no_operator_anywhere_is_an_error(fw):
    data = xlsx([["Code", "Période", "Valeur"], ["BRD01", "S05", 1]])
    assert not parse(data, fw, operator=None).ok


def test_no_table_is_an_error(fw):
    report = parse(xlsx([["Bonjour"], ["rien", "ici"]]), fw)
    assert not report.ok and "aucun tableau" in report.errors[0].message


def test_uncached_formula_is_an_error_naming_its_cell(fw):
    data = xlsx([["Code", "Période", "Valeur"], ["BRD01", "S05", "=1+1"], ["BRD02", "S05", 3]])
    report = parse(data, fw)
    assert cells(report) == {("Rapport", "C2")}
    assert "formule" in report.errors[0].message


def test_cached_formula_result_is_used_never_evaluated(fw, tmp_path):
    # openpyxl cannot write cached results: patch one into the XML by hand
    import zipfile

    data = xlsx([["Code", "Période", "Valeur"], ["BRD01", "S05", "=1+1"]])
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = body.replace(b"<f>1+1</f><v></v>", b"<f>1+1</f><v>7</v>").replace(
                    b"<f>1+1</f><v />", b"<f>1+1</f><v>7</v>"
                )
            dst.writestr(info, body)
    report = parse(out.getvalue(), fw)
    assert report.ok, report.errors
    assert report.columns["value"] == [7]


def test_xls_written_by_xlwt_with_percent_format(fw):
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("Données")
    for c, h in enumerate(["Code", "Période", "Valeur"]):
        sheet.write(2, c, h)
    sheet.write(0, 0, "Opérateur : FTPN")
    sheet.write(3, 0, "BRD03"), sheet.write(3, 1, "2019")
    sheet.write(3, 2, 0.25, xlwt.easyxf(num_format_str="0.0%"))
    sheet.write(4, 0, "BRD01"), sheet.write(4, 1, "S1 2019"), sheet.write(4, 2, "1 234")
    out = io.BytesIO()
    book.save(out)
    report = parse(out.getvalue(), fw, operator=None, name="r.xls")
    assert report.ok, report.errors
    assert values(report) == {("BRD03", "ARD", "", "2019"): 25, ("BRD01", "ARD", "", "2019-S1"): 1234}
    assert report.columns["cell"] == ["C4", "C5"]


def test_ods_written_by_odfpy_with_percentage_cell(fw):
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Rapport")

    def row(*cells):
        tr = TableRow()
        for cell in cells:
            if isinstance(cell, tuple):
                tc = TableCell(valuetype="percentage", value=cell[0])
                tc.addElement(P(text=f"{cell[0] * 100:g} %"))
            elif isinstance(cell, (int, float)):
                tc = TableCell(valuetype="float", value=cell)
                tc.addElement(P(text=str(cell)))
            else:
                tc = TableCell(valuetype="string")
                tc.addElement(P(text=cell))
            tr.addElement(tc)
        table.addElement(tr)

    row("Code", "Période", "Valeur")
    row("BRD03", "2019", (0.3,))
    row("BRD01", "T1 2019", 610)
    doc.spreadsheet.addElement(table)
    out = io.BytesIO()
    doc.write(out)
    report = parse(out.getvalue(), fw, name="r.ods")
    assert report.ok, report.errors
    assert values(report) == {("BRD03", "ARD", "", "2019"): pytest.approx(30), ("BRD01", "ARD", "", "2019-Q1"): 610}


def test_read_report_runs_guarded_and_never_raises(fw, tmp_path):
    path = tmp_path / "r.xlsx"
    path.write_bytes(xlsx([["Code", "Période", "Valeur"], ["BRD01", "S05", 5]]))
    report = importer.read_report(path, fw, operator="FTPN")
    assert report.ok and len(report) == 1 and report.columns["cell"] == ["C2"]
    broken = importer.read_report(b"not a workbook", fw)
    assert not broken.ok and "n'est pas un classeur" in broken.errors[0].message
    missing = importer.read_report(tmp_path / "absent.xlsx", fw)
    assert not missing.ok
