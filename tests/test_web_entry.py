"""Entry on a web form (issue 14, item 3): the grid of an operator's due lines goes through the
same validation, preview and commit as a file, and is kept as an upload that says so."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from ardenne_kpi import db, figures
from ardenne_kpi.core.accounts import User
from ardenne_kpi.core.errors import ArdenneError
from ardenne_kpi.figures import WEB_ENTRY_PREFIX
from ardenne_kpi.intake import import_view, importer, review, templates, web_entry
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
    behind = figures.lineage(demo, fw, "BRD09", "S11")
    mine = behind[behind["file_name"] == name]
    assert list(mine["value"]) == [1234.5] and list(mine["uploaded_by"]) == ["Marie Dupont"]
    assert list(mine["comment"]) == ["dont 12 articles néerlandophones"]
    assert list(mine["sheet"]) == ["Rapport"] and list(mine["cell"]) == [f"G{7 + line}"]
    shown = figures.lineage_table(fw, mine)
    assert templates.FIRST_ROW == figures.TEMPLATE_FIRST_ROW
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


# Words of a file that a person who typed in a grid never handled.
FILE_WORDS = ("fichier", "feuille", "cellule", "classeur", "déposez", "déposé", WEB_ENTRY_PREFIX)


def test_every_message_of_the_web_entry_path_speaks_of_the_entry(demo, fw):
    """Web-entry messages spoke of a file, a sheet cell and « déposez-le » to someone who typed
    in a grid: each one met on the way (nothing typed, refused, accepted with warnings, a
    locked period, recorded, sent again, sent back) is listed here and said of « votre saisie »,
    its problems by line and column."""
    messages: list[str] = []

    def check(grid, **kw):
        name, data = web_entry.workbook(demo, fw, "FTLB", "S11", grid, user="Marie Dupont", moment=MOMENT)
        result = importer.import_file(demo, data, name, operator="FTLB", framework=fw, dry_run=True, **kw)
        verdict = web_entry.verdict(result)
        table = web_entry.issues_table(result.errors + result.warnings)
        messages.extend([verdict.title, verdict.text, *table["Dans la grille"], *table["Message"]])
        return name, data, result, verdict, table

    grid = web_entry.grid(demo, fw, "FTLB", "S11")
    with pytest.raises(ArdenneError) as nothing:
        web_entry.workbook(demo, fw, "FTLB", "S11", grid, user="Marie Dupont")
    messages.append(nothing.value.message)

    bad = grid.copy()
    bad.loc[0, "Valeur"], bad.loc[2, "Valeur"], bad.loc[5, ["Valeur", "Numérateur"]] = "beaucoup", "-5", ["50", "3"]
    *_, verdict, table = check(bad)
    assert verdict.title == "Votre saisie est refusée" and "« Vérifier la saisie »" in verdict.text
    assert list(table["Dans la grille"][:2]) == ["ligne 1, colonne Valeur", "ligne 3, colonne Valeur"]

    full = grid.copy()
    full["Valeur"] = "100"
    name, data, result, verdict, table = check(full)
    assert verdict.title == "Votre saisie est acceptée" and "« Enregistrer la saisie »" in verdict.text
    assert "toute la saisie" in set(table["Dans la grille"])
    assert any("ne figurent pas dans votre saisie" in m for m in table["Message"])
    assert any("fois moins que la valeur de la période précédente" in m for m in table["Message"])

    admin = User("Claire Coordination", "admin")
    review.lock(demo, fw, "S11", admin)
    *_, verdict, table = check(full, review=review.SUBMITTED)  # a partner's entry into a locked semester
    assert verdict.title == "Votre saisie est refusée"
    assert any("de votre saisie (la première : ligne " in m for m in table["Message"])
    review.unlock(demo, "S11", admin)

    done = importer.import_file(
        demo, data, name, operator="FTLB", framework=fw, user="Marie Dupont", review=review.SUBMITTED
    )
    messages.append(web_entry.done_sentence(done))
    assert messages[-1].startswith(f"Votre saisie est enregistrée (import n° {done.upload_id}) : ")
    result = importer.import_file(  # the partner sends the same entry again
        demo, data, name, operator="FTLB", framework=fw, dry_run=True, review=review.SUBMITTED
    )
    verdict = web_entry.verdict(result)
    messages.extend([verdict.title, verdict.text])
    assert verdict.title == "Votre saisie reprend des valeurs déjà enregistrées" and not verdict.can_commit

    sent_back = review.send_back(demo, done.upload_id, admin, "Vérifiez la ligne 3.")
    back = next(r for r in review.in_review(demo).to_dict("records") if r["id"] == done.upload_id)
    heading, said, fix = import_view.returned_notice(back)
    messages.extend([heading, fix])
    assert heading.startswith("La coordination (Claire Coordination) vous a renvoyé votre saisie en ligne du ")
    assert said == "Vérifiez la ligne 3." and sent_back is not None

    assert len(messages) > 20
    said_of_a_file = [m for m in messages if any(word in m.lower() for word in FILE_WORDS)]
    assert said_of_a_file == []


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
        done = importer.import_file(con, data, name, operator="FTLB", user="Marie Dupont", framework=fw, db_path=path)
        assert done.status == "imported"
        behind = figures.lineage(con, fw, "BRD09", "S11")
        assert list(behind[behind["file_name"] == name]["comment"]) == [comment]
        kept_name, kept = importer.original_file(con, done.upload_id)
    finally:
        con.close()
    assert kept_name == name
    cell = openpyxl.load_workbook(io.BytesIO(kept))[templates.DATA_SHEET][
        f"{templates.COLUMN_OF['comment']}{templates.FIRST_ROW + line}"
    ]
    assert cell.data_type == "s" and cell.value == comment
