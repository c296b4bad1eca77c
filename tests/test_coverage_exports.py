"""Coverage downloads reopened: sheet names, counts equal to the page's matrix, colours,
partner text kept as text; the detail CSV; the `export coverage` command."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil

import pytest
from openpyxl import load_workbook

from ardenne_kpi import db
from ardenne_kpi.cli import main
from ardenne_kpi.exports.coverage import DETAIL_SHEET, README_SHEET, coverage_workbook, detail_csv
from ardenne_kpi.figures import coverage
from ardenne_kpi.figures.coverage import GAP_COLORS, Filters
from ardenne_kpi.framework import parse_framework
from tests.test_coverage import FRAMEWORK, _store

SHEETS = [
    README_SHEET,
    "Dimensions × clés",
    "Dimensions × thèmes",
    "Objectifs × clés",
    "Projets × dimensions",
    "Opérateurs × dimensions",
    DETAIL_SHEET,
]


@pytest.fixture
def demo_copy(demo_db_path, tmp_path):
    """The command line opens its base read-only: give it a file no connection of this process holds."""
    path = tmp_path / "demo_copy.duckdb"
    shutil.copy(demo_db_path, path)
    return path


@pytest.fixture(scope="module")
def demo_coverage(demo_db_path, fw):
    con = db.connect(demo_db_path)  # same configuration as the pages run in this process
    try:
        yield coverage.compute(con, fw)
    finally:
        con.close()


@pytest.fixture(scope="module")
def demo_book(demo_coverage):
    return load_workbook(io.BytesIO(coverage_workbook(demo_coverage)))


@pytest.fixture
def partner_coverage(tmp_path):
    """A base where a partner typed a formula-looking comment and a label starts with '-'."""
    small = parse_framework(FRAMEWORK.replace("label: Un,", "label: '-Un',"))
    con = db.connect(tmp_path / "p.duckdb")
    _store(
        con,
        small,
        [("I1", "OP1", "FR-08", "", "S03", 4.0, "=1+1"), ("I2", "OP2", "BE-LUX", "", "S03", 1.0, "@SUM(A1)")],
    )
    try:
        yield coverage.compute(con, small)
    finally:
        con.close()


def _grid(ws, first_row: int, n_rows: int, n_cols: int) -> list[list]:
    return [[ws.cell(first_row + i, 2 + j).value for j in range(n_cols)] for i in range(n_rows)]


def test_workbook_sheet_names(demo_book):
    assert demo_book.sheetnames == SHEETS


def test_workbook_main_matrix_counts_equal_the_page_matrix(demo_book, demo_coverage):
    ws = demo_book["Dimensions × clés"]
    page = demo_coverage["dimension_key"].grid("n_indicators")
    assert ws.cell(4, 1).value == "Indicateurs"
    assert [ws.cell(5, 2 + j).value for j in range(12)] == [
        f"{k.code} {k.label}" for k in demo_coverage["dimension_key"].cols
    ]
    assert _grid(ws, 6, 4, 12) == page.to_numpy().tolist()
    assert sum(v == 0 for row in _grid(ws, 6, 4, 12) for v in row) == 5


def test_workbook_cells_carry_the_state_colours(demo_book, demo_coverage):
    ws = demo_book["Dimensions × clés"]
    states = demo_coverage["dimension_key"].grid("state").to_numpy()
    for i in range(4):
        for j in range(12):
            rgb = ws.cell(6 + i, 2 + j).fill.fgColor.rgb
            assert rgb == "FF" + GAP_COLORS[states[i][j]].lstrip("#").upper()
    assert {ws.cell(6 + i, 2 + j).fill.fgColor.rgb for i in range(4) for j in range(12)} >= {
        "FF4D4D4D",
        "FFD55E00",
        "FF009E73",
    }


def test_workbook_readme_gives_filters_window_version_and_update(demo_book, demo_coverage):
    ws = demo_book[README_SHEET]
    pairs = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, ws.max_row + 1)}
    assert pairs["Période"].startswith("du 01/10/2016 au 31/03/2022")
    assert pairs["Projet"] == "Tous" and pairs["Zone"] == "Toutes"
    assert pairs["Version du référentiel"] == demo_coverage.framework_version
    assert pairs["Dernière mise à jour des données"] == demo_coverage.last_update.strftime("%d/%m/%Y %H:%M")


def test_workbook_detail_has_one_row_per_cell_and_indicator(demo_book, demo_coverage):
    ws = demo_book[DETAIL_SHEET]
    headers = [c.value for c in ws[1]]
    assert headers[:7] == [
        "Matrice",
        "Ligne (code)",
        "Ligne",
        "Colonne (code)",
        "Colonne",
        "État de la cellule",
        "Indicateur",
    ]
    expected = sum(len(m.detail) for m in demo_coverage.matrices.values())
    assert ws.max_row - 1 == expected


def test_partner_text_stays_text_in_the_workbook(partner_coverage):
    book = load_workbook(io.BytesIO(coverage_workbook(partner_coverage)))
    ws = book[DETAIL_SHEET]
    headers = [c.value for c in ws[1]]
    comment, label = headers.index("Commentaire") + 1, headers.index("Libellé") + 1
    comments = [ws.cell(r, comment) for r in range(2, ws.max_row + 1) if ws.cell(r, comment).value]
    assert {c.value for c in comments} == {"=1+1", "@SUM(A1)"}
    assert all(c.data_type == "s" for c in comments)
    labels = [ws.cell(r, label) for r in range(2, ws.max_row + 1) if ws.cell(r, label).value == "-Un"]
    assert labels and all(c.data_type == "s" for c in labels)


def test_partner_text_stays_text_in_the_csv(partner_coverage):
    rows = list(csv.DictReader(io.StringIO(detail_csv(partner_coverage).decode("utf-8"))))
    assert {r["Commentaire"] for r in rows if r["Commentaire"]} == {"'=1+1", "'@SUM(A1)"}
    assert {r["Libellé"] for r in rows if r["Indicateur"] == "I1"} == {"'-Un"}


def test_french_csv_uses_semicolons_decimal_comma_and_bom(partner_coverage):
    data = detail_csv(partner_coverage, french=True)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0]["Dernière valeur"] in {"4,0", "1,0"}


def test_french_csv_gives_progress_in_percent_without_float_noise(demo_copy):
    with db.connect(demo_copy, read_only=True) as con:
        cov = coverage.compute(con, db.stored_framework(con))
    script = list(csv.DictReader(io.StringIO(detail_csv(cov).decode("utf-8"))))
    french = list(csv.DictReader(io.StringIO(detail_csv(cov, french=True).decode("utf-8-sig")), delimiter=";"))
    assert len(script) == len(french) > 50
    assert "Progression" not in french[0] and "Progression" in script[0]
    shown = 0
    for s, f in zip(script, french, strict=True):
        assert (s["Indicateur"], s["Ligne (code)"], s["Colonne (code)"]) == (
            f["Indicateur"],
            f["Ligne (code)"],
            f["Colonne (code)"],
        )
        for raw, name, scale in (
            (s["Progression"], "Progression (%)", 100),
            (s["Dernière valeur"], "Dernière valeur", 1),
            (s["Cible"], "Cible", 1),
        ):
            if not raw:
                assert f[name] == ""
                continue
            text = f[name]
            assert re.fullmatch(r"-?\d+,\d", text), (name, text)  # one decimal, a comma
            assert float(text.replace(",", ".")) == round(float(raw) * scale, 1)
            shown += 1
    assert shown > 100


def test_export_coverage_command_writes_workbook_and_csv(demo_copy, tmp_path, capsys):
    out = tmp_path / "couverture.xlsx"
    assert main(["export", "coverage", "--out", str(out), "--db", str(demo_copy), "--from", "S10", "--to", "S11"]) == 0
    book = load_workbook(out)
    assert book.sheetnames == SHEETS
    pairs = {book[README_SHEET].cell(r, 1).value: book[README_SHEET].cell(r, 2).value for r in range(1, 20)}
    assert pairs["Période"].startswith("du 01/04/2021 au 31/03/2022")
    assert "5 cellule(s) non servie(s)" in capsys.readouterr().out

    out_csv = tmp_path / "couverture.csv"
    assert main(["export", "coverage", "--out", str(out_csv), "--db", str(demo_copy)]) == 0
    header = out_csv.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("Matrice,Ligne (code),Ligne,Colonne (code),Colonne,État de la cellule,Indicateur")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "x.pdf"], "Format de sortie inconnu"),
        (["--out", "x.xlsx", "--from", "S11", "--to", "S02"], "Fenêtre de périodes invalide"),
        (["--out", "x.xlsx", "--from", "S99"], "n'existe pas"),
    ],
)
def test_export_coverage_command_refuses_with_a_french_message(demo_copy, tmp_path, capsys, args, message):
    args = [a if not a.startswith("x.") else str(tmp_path / a) for a in args]
    assert main(["export", "coverage", *args, "--db", str(demo_copy)]) == 1
    assert message in capsys.readouterr().err


def test_export_coverage_command_on_missing_database(tmp_path, capsys):
    assert main(["export", "coverage", "--out", str(tmp_path / "c.xlsx"), "--db", str(tmp_path / "none.duckdb")]) == 1
    assert "n'existe pas" in capsys.readouterr().err


def test_filters_appear_in_the_readme(demo_db_path, fw):
    con = db.connect(demo_db_path)  # same configuration as the pages run in this process
    try:
        cov = coverage.compute(
            con, fw, Filters(operator="FTPN", zone="BE-NAM", window=(dt.date(2019, 4, 1), dt.date(2019, 9, 30)))
        )
    finally:
        con.close()
    ws = load_workbook(io.BytesIO(coverage_workbook(cov)))[README_SHEET]
    pairs = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, 20)}
    assert pairs["Opérateur"] == fw.label("operators", "FTPN") and pairs["Zone"] == "Province de Namur"
