"""No export can run or break: hostile text (formulas, 32 767 characters without a space,
control characters, OOXML escapes, right-to-left text, emoji) as uploader name, file name,
sheet name, comment, snapshot name, operator and indicator label goes through every workbook,
CSV and PDF the project writes; the bytes are reopened and nothing is a formula."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile

import openpyxl
import pandas as pd
import pytest
import yaml

from ardenne_kpi import db
from ardenne_kpi.cli import main
from ardenne_kpi.committee import briefing, pack, snapshots
from ardenne_kpi.core import format
from ardenne_kpi.exports.coverage import coverage_workbook, detail_csv
from ardenne_kpi.figures import coverage
from ardenne_kpi.framework import DEFAULT_PATH, parse_framework
from ardenne_kpi.framework import workbook as framework_workbook
from ardenne_kpi.intake import annotate, importer, templates
from ardenne_kpi.intake.model import WARNING, Issue

HOSTILE = {
    "hyperlink": '=HYPERLINK("http://evil.example/","u")',
    "sum": '=SUM(1,2)&"x"',
    "plus": "+1+cmd|' /C calc'!A0",
    "minus": "-2+3+cmd|' /C calc'!A0",
    "at": "@SUM(1,1)",
    "tab": "\t=1+1",
    "cr": "\r=1+1",
    "long": "x" * 32_767,
    "controls": "".join(chr(c) for c in range(32)) + "fin",
    "ooxml": "avant _x001B_ après",
    "rtl": "\u202eRTL עברית العربية\u202c",
    "emoji": "émoji 😀🇧🇪👩‍👩‍👧",
}
PERIODS = ["S01", "S02", "S03", "S04", "S05", "S06", "S07", "S08", "S09", "S10", "S11", "S05"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def hostile_framework():
    """The shipped framework with hostile operator and indicator labels, as a base kept from
    before names with line breaks were refused at load (`stored`) holds them."""
    data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    texts = list(HOSTILE.values())
    for n, indicator in enumerate(data["indicators"][: len(texts)]):
        indicator["label"] = texts[n]
    for operator in data["operators"]:
        if operator["code"] == "FTPN":
            operator["label"] = HOSTILE["sum"] + HOSTILE["controls"]
    return parse_framework(yaml.safe_dump(data, allow_unicode=True), stored=True)


def report(sheet: str, comment: str, period: str, value: int) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(["Opérateur : FTPN"])
    ws.append([])
    ws.append(["Code", "Période", "Valeur", "Commentaire"])
    for code in ("BRD01", "BRD02"):
        ws.append([code, period, value, None])
    ws.cell(4, 4).value = format.cell_text(comment)  # what a partner can type: no control characters
    ws.cell(4, 4).data_type = "s"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory):
    fw = hostile_framework()
    path = tmp_path_factory.mktemp("hostile") / "hostile.duckdb"
    con = db.connect(path)
    db.sync_framework(con, fw)
    files = {}
    for n, (name, text) in enumerate(HOSTILE.items()):
        raw = text[:31]
        sheet = format.sheet_title(text) if re.search(r"[\[\]:*?/\\\x00-\x1f]|^'", raw) else raw
        data = report(sheet, text, PERIODS[n], 10 + n)
        result = importer.import_file(con, data, text + ".xlsx", user=text, framework=fw, db_path=path)
        assert result.ok, (name, result.errors)
        files[name] = (data, sheet)
    snapshots.create(con, fw, HOSTILE["hyperlink"], dt.date.today())
    con.close()
    return path, fw, files


def assert_no_formula_in_xlsx(data: bytes, where: str) -> None:
    """Reopened: no cell is a formula, no text holds a control character, and the XML has no <f>."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                assert not re.search(rb"<f[ >]", archive.read(name)), (where, name)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (where, ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not ILLEGAL.search(cell.value), (where, ws.title, cell.coordinate)
                    assert len(cell.value) <= 32_767


def assert_no_formula_in_csv(data: bytes, where: str, delimiter: str = ",") -> None:
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    assert rows, where
    for row in rows:
        for field in row:
            assert not (field.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(field)), (where, field[:80])
            assert not ILLEGAL.search(field), (where, field[:80])


def test_the_committee_pack_keeps_hostile_text_as_text_and_fits_it_on_the_page(hostile_db):
    path, fw, _ = hostile_db
    con = db.connect(path)
    try:
        data = briefing.collect(con, fw, since=HOSTILE["hyperlink"])
        pdf, xlsx = pack.pdf_bytes(data), pack.xlsx_bytes(data)
    finally:
        con.close()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    assert_no_formula_in_xlsx(xlsx, "pack")
    sources = openpyxl.load_workbook(io.BytesIO(xlsx))["Sources"]
    texts = [c.value for row in sources.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(t.startswith("=HYPERLINK(") for t in texts)  # the uploader's name, kept as text
    assert any(t.startswith('=SUM(1,2)&"x"') for t in texts)  # the file name, kept as text


def test_export_pack_from_the_command_line_survives_a_word_of_32767_characters(hostile_db, tmp_path):
    path, _, _ = hostile_db
    out = tmp_path / "pack.pdf"
    assert main(["export", "pack", "--out", str(out), "--db", str(path)]) == 0
    assert out.read_bytes().startswith(b"%PDF")
    assert_no_formula_in_xlsx(out.with_suffix(".xlsx").read_bytes(), "export pack")


def test_coverage_workbook_and_csv_keep_hostile_text_as_text(hostile_db):
    path, fw, _ = hostile_db
    con = db.connect(path, read_only=True)
    try:
        cov = coverage.compute(con, fw)
    finally:
        con.close()
    assert_no_formula_in_xlsx(coverage_workbook(cov), "coverage workbook")
    assert_no_formula_in_csv(detail_csv(cov), "coverage csv")
    assert_no_formula_in_csv(detail_csv(cov, french=True), "coverage csv fr", delimiter=";")


def test_export_values_and_kpis_write_sheet_names_and_labels_as_text(hostile_db, tmp_path):
    path, _, _ = hostile_db
    values, kpis = tmp_path / "values.csv", tmp_path / "kpis.csv"
    assert main(["export", "values", "--out", str(values), "--db", str(path)]) == 0
    assert main(["export", "kpis", "--grain", "programme-semester", "--out", str(kpis), "--db", str(path)]) == 0
    assert_no_formula_in_csv(values.read_bytes(), "export values")
    assert "'=SUM(1,2)" in values.read_text(encoding="utf-8")  # the sheet name, defused
    assert_no_formula_in_csv(kpis.read_bytes(), "export kpis")
    assert (
        len(kpis.read_text(encoding="utf-8").splitlines()) > 2
    )  # codes and numbers only, but written by the same writer


def test_annotated_copies_hold_hostile_comments_as_text(hostile_db):
    _, _, files = hostile_db
    for name, (data, sheet) in files.items():
        issues = [
            Issue(sheet, "C4", f"Feuille « {sheet} », cellule C4 : {HOSTILE[name]}"),
            Issue("", "", HOSTILE[name], WARNING),
        ]
        marked = annotate.annotate(data, HOSTILE[name] + ".xlsx", issues)
        assert_no_formula_in_xlsx(marked.data, f"annotated {name}")
        wb = openpyxl.load_workbook(io.BytesIO(marked.data))
        assert wb[sheet]["C4"].comment is not None


def test_templates_and_the_framework_workbook_keep_hostile_labels_as_text(hostile_db):
    path, fw, _ = hostile_db
    con = db.connect(path, read_only=True)
    try:
        template = templates.build_template(con, fw, "FTPN", "S11")
    finally:
        con.close()
    assert_no_formula_in_xlsx(template, "template")
    assert_no_formula_in_xlsx(framework_workbook.to_workbook(fw), "framework workbook")


def test_one_writer_defuses_every_hostile_string():
    wb = openpyxl.Workbook()
    ws = wb.active
    for row, text in enumerate(HOSTILE.values(), start=1):
        format.put_cell(ws, row, 1, text)
    out = io.BytesIO()
    wb.save(out)
    assert_no_formula_in_xlsx(out.getvalue(), "put_cell")
    back = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
    assert back["A1"].value == HOSTILE["hyperlink"] and back["A1"].quotePrefix
    assert back["A9"].value.replace("\r", "\n") == "\t\n\nfin"  # C0 controls gone but tab and line breaks
    assert format.safe_text("-12.5") == "-12.5" and format.safe_text("=1") == "'=1"
    frame = pd.DataFrame({"Texte": list(HOSTILE.values()), "Valeur": range(len(HOSTILE))})
    assert_no_formula_in_csv(format.csv_excel_fr(frame), "csv for Excel (Tendances)", delimiter=";")
    assert_no_formula_in_csv(format.csv_script(frame), "csv for scripts")
