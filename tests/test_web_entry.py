"""Entry on a web form (issue 14, item 3): the grid of an operator's due lines goes through the
same validation, preview and commit as a file, and is kept as an upload that says so."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from ardenne_kpi import db, kpis, templates, uploads, web_entry
from ardenne_kpi.errors import ArdenneError
from ardenne_kpi.reports import importer
from tests.conftest import private_copy

MOMENT = dt.datetime(2022, 5, 2, 10, 30)


@pytest.fixture
def demo(demo_copy):
    return demo_copy


def current_count(con) -> int:
    return con.execute("SELECT count(*) FROM report_values WHERE is_current").fetchone()[0]


def test_the_grid_holds_the_template_lines_with_the_last_value_and_the_target(demo, fw):
    grid = web_entry.grid(demo, fw, "FTLB", "S11")
    assert list(grid.columns) == web_entry.COLUMNS
    assert (grid[list(web_entry.INPUTS)] == "").all().all()
    brd09 = grid[grid["Indicateur"].str.startswith("BRD09")].iloc[0]
    assert brd09["Période"].startswith("S11") and brd09["Dernière valeur"].startswith("74 (S10")
    assert brd09["Objectif final"].startswith("150")


def test_an_entry_commits_like_a_file_and_its_lineage_says_it_was_entered_online(demo, fw):
    grid = web_entry.grid(demo, fw, "FTLB", "S11")
    line = grid.index[grid["Indicateur"].str.startswith("BRD09")][0]
    grid.loc[line, ["Valeur", "Commentaire"]] = ["1 234,5", "dont 12 articles néerlandophones"]
    name, data = web_entry.workbook(demo, fw, "FTLB", "S11", grid, user="Marie Dupont", moment=MOMENT)
    assert web_entry.is_web_entry(name) and name.endswith("20220502_103000.xlsx")
    checked = importer.import_file(demo, data, name, operator="FTLB", dry_run=True, framework=fw)
    assert checked.status != "refused" and not checked.errors
    done = importer.import_file(demo, data, name, operator="FTLB", user="Marie Dupont", framework=fw)
    assert done.status == "imported"
    behind = kpis.lineage(demo, fw, "BRD09", "S11")
    mine = behind[behind["file_name"] == name]
    assert list(mine["value"]) == [1234.5] and list(mine["uploaded_by"]) == ["Marie Dupont"]
    assert list(mine["comment"]) == ["dont 12 articles néerlandophones"]
    assert list(mine["sheet"]) == ["Rapport"] and list(mine["cell"]) == [f"G{7 + line}"]
    shown = kpis.lineage_table(fw, mine)
    assert templates.FIRST_ROW == kpis.TEMPLATE_FIRST_ROW
    assert shown["Fichier"].iloc[0].startswith("saisi en ligne par Marie Dupont le ")
    assert list(shown["Cellule"]) == [f"ligne {line + 1} de la grille"]


def test_a_bad_entry_is_refused_line_by_line_and_nothing_is_written(demo, fw):
    before = current_count(demo)
    grid = web_entry.grid(demo, fw, "FTLB", "S11")
    grid.loc[0, "Valeur"] = "beaucoup"
    grid.loc[2, "Valeur"] = "-5"
    name, data = web_entry.workbook(demo, fw, "FTLB", "S11", grid, user="Marie Dupont", moment=MOMENT)
    result = importer.import_file(demo, data, name, operator="FTLB", framework=fw, user="Marie Dupont")
    assert result.status == "refused"
    table = web_entry.issues_table(result.errors)
    assert list(table["Dans la grille"]) == ["ligne 1, colonne Valeur", "ligne 3, colonne Valeur"]
    assert table["Message"].str.contains("n'est pas un nombre").iloc[0]
    assert not table["Message"].str.startswith("Feuille").any()
    assert current_count(demo) == before


def test_an_empty_grid_says_what_to_fill(demo, fw):
    grid = web_entry.grid(demo, fw, "FTLB", "S11")
    with pytest.raises(ArdenneError, match="colonne « Valeur »"):
        web_entry.workbook(demo, fw, "FTLB", "S11", grid, user="Marie Dupont")


def test_a_comment_that_looks_like_a_formula_is_kept_as_written_as_text(tmp_path, demo_db_path, fw):
    """Issue 24, finding 5: « =HYPERLINK(…) » typed in the grid's comment was written as a live
    formula into the kept original (the file the coordination downloads) and stored empty."""
    path = private_copy(demo_db_path, tmp_path)
    con = db.connect(path)
    try:
        grid = web_entry.grid(con, fw, "FTLB", "S11")
        line = grid.index[grid["Indicateur"].str.startswith("BRD09")][0]
        comment = '=HYPERLINK("https://evil.example/login","Reconnectez-vous ici")'
        grid.loc[line, ["Valeur", "Commentaire"]] = ["12", comment]
        name, data = web_entry.workbook(con, fw, "FTLB", "S11", grid, user="Marie Dupont", moment=MOMENT)
        done = uploads.import_file(con, data, name, operator="FTLB", user="Marie Dupont", framework=fw, db_path=path)
        assert done.status == "imported"
        behind = kpis.lineage(con, fw, "BRD09", "S11")
        assert list(behind[behind["file_name"] == name]["comment"]) == [comment]
        kept_name, kept = importer.original_file(con, done.upload_id)
    finally:
        con.close()
    assert kept_name == name
    cell = openpyxl.load_workbook(io.BytesIO(kept))[templates.DATA_SHEET][
        f"{templates.COLUMN_OF['comment']}{templates.FIRST_ROW + line}"
    ]
    assert cell.data_type == "s" and cell.value == comment
