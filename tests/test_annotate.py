"""The annotated workbook: the partner's file with each faulty cell highlighted and commented."""

from __future__ import annotations

import io

import openpyxl

from ardenne_kpi.intake import annotate, importer
from ardenne_kpi.intake.model import ERROR, WARNING, Issue
from tests.browser_helpers import bad_report


def _comments(data: bytes) -> dict[tuple[str, str], str]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return {
        (ws.title, c.coordinate): c.comment.text
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.comment is not None
    }


def test_refused_report_comes_back_with_comments_on_the_faulty_cells(con, fw):
    data = bad_report()
    result = importer.import_file(con, data, "bad.xlsx", operator="FTLB", dry_run=True, framework=fw)
    assert {e.cell for e in result.errors} == {"D5", "A6", "B7"}
    marked = annotate.annotate(data, "bad.xlsx", result.errors + result.warnings)
    assert marked.file_name == "bad_annote.xlsx" and not marked.converted
    comments = _comments(marked.data)
    assert set(comments) == {("Données", "D5"), ("Données", "A6"), ("Données", "B7")}
    assert "n'est pas un nombre" in comments[("Données", "D5")]
    assert "XXX99" in comments[("Données", "A6")] and "inconnu" in comments[("Données", "A6")]
    assert comments[("Données", "D5")].startswith("ERREUR : ")
    ws = openpyxl.load_workbook(io.BytesIO(marked.data))["Données"]
    assert ws["D5"].fill.fgColor.rgb.endswith("FFC7CE")
    assert ws["A5"].value == "CLI01" and ws["D5"].value == "12,5 km"  # the partner's own content is kept


def test_warnings_are_orange_and_file_problems_go_on_a1(fw):
    wb = openpyxl.Workbook()
    wb.active.title = "Feuil1"
    wb.active["B3"] = 5
    buf = io.BytesIO()
    wb.save(buf)
    issues = [
        Issue("Feuil1", "B3", "Feuille « Feuil1 », cellule B3 : valeur élevée.", WARNING),
        Issue("", "", "Fichier : aucun tableau reconnu.", ERROR),
    ]
    marked = annotate.annotate(buf.getvalue(), "r.xlsx", issues)
    ws = openpyxl.load_workbook(io.BytesIO(marked.data))["Feuil1"]
    assert ws["B3"].fill.fgColor.rgb.endswith("FFE699")
    assert ws["B3"].comment.text == "Avertissement : valeur élevée."
    assert ws["A1"].comment.text == "ERREUR : aucun tableau reconnu."


def test_a_merged_cell_is_marked_on_its_top_left_cell():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    ws["A1"] = "Titre"
    ws.merge_cells("A1:C2")
    buf = io.BytesIO()
    wb.save(buf)
    marked = annotate.annotate(buf.getvalue(), "m.xlsx", [Issue("S", "B2", "Feuille « S », cellule B2 : x.")])
    assert openpyxl.load_workbook(io.BytesIO(marked.data))["S"]["A1"].comment.text == "ERREUR : x."


def test_xls_input_comes_back_as_an_xlsx_copy_with_the_same_marks():
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("Données")
    for r, row in enumerate([["Code", "Période", "Valeur"], ["CLI01", "S05", "douze"], ["=1+1", "S05", 3]]):
        for c, v in enumerate(row):
            sheet.write(r, c, v)
    buf = io.BytesIO()
    book.save(buf)
    issues = [Issue("Données", "C2", "Feuille « Données », cellule C2 : « douze » n'est pas un nombre.")]
    marked = annotate.annotate(buf.getvalue(), "vieux.xls", issues)
    assert marked.converted and marked.file_name == "vieux_annote.xlsx"
    ws = openpyxl.load_workbook(io.BytesIO(marked.data))["Données"]
    assert ws["C2"].value == "douze" and "pas un nombre" in ws["C2"].comment.text
    assert ws["A3"].value == "=1+1" and ws["A3"].data_type == "s"  # partner text never becomes a formula
