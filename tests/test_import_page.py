"""The Import page through AppTest: preview before commit, errors with their cells,
commit on confirmation, duplicate uploads, history and rollback."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from ardenne_kpi import db
from tests.browser_helpers import bad_report, filled_template
from tests.conftest import ROOT, open_tab, read

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def database(tmp_path, fw, monkeypatch):
    path = tmp_path / "import.duckdb"
    con = db.connect(path)
    db.sync_framework(con, fw)
    good = filled_template(con, fw, "FTLB", "S05")
    con.close()
    monkeypatch.setenv("ARDENNE_DB", str(path))
    return path, good


def _page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "1_Import.py"), default_timeout=60)
    at.run()
    return at


def _uploads(path) -> int:
    from ardenne_kpi.ui import connection

    con, _, _ = connection()
    assert con is not None
    return db.table_counts(con)["uploads"]


def _issues(at):
    """The errors and warnings table (st.table when short, st.dataframe when long)."""
    for element in [*at.table, *at.dataframe]:
        frame = element.value.reset_index()
        if "Gravité" in frame.columns:
            return frame
    raise AssertionError("no issues table")


def _texts(elements) -> str:
    return "\n".join(read(e.value) for e in elements)


def test_dropping_files_shows_verdicts_errors_and_preview_and_writes_nothing(database):
    path, good = database
    at = _page()
    at.file_uploader[0].set_value([("rapport_FTLB_S05.xlsx", good, XLSX), ("mauvais.xlsx", bad_report(), XLSX)]).run()
    assert not at.exception
    assert "rapport_FTLB_S05.xlsx : accepté" in _texts(at.success)
    assert "mauvais.xlsx : refusé" in _texts(at.error)
    errors = _issues(at)
    assert {"D5", "A6", "B7"} <= set(errors["Cellule"])
    preview = next(d.value for d in at.dataframe if "Changement" in d.value.columns)
    assert (
        set(preview["Changement"]) == {"nouveau"} and len(preview) == 18
    )  # FTLB has 18 lines in S05 (GOV03 is the pilot's; its surveys BRD04-05 are due in 2017 and 2019, not 2018)
    commit = at.button(key="import_commit")
    assert commit.disabled  # no name typed yet
    assert any("Indiquez votre nom" in w.value for w in at.warning)
    assert _uploads(path) == 0


def test_commit_records_the_uploader_and_a_duplicate_says_when_and_by_whom(database):
    path, good = database
    at = _page()
    at.text_input(key="import_user").input("Marie Dupont")
    at.file_uploader[0].set_value([("rapport.xlsx", good, XLSX)]).run()
    at.button(key="import_commit").click().run()
    assert not at.exception
    assert "importé (import n°" in _texts(at.success)
    open_tab(at, "Historique et annulation")
    history = next(d.value for d in at.dataframe if "Importé par" in d.value.columns)
    assert list(history["Importé par"]) == ["Marie Dupont"] and list(history["Nouvelles"]) == [18]
    assert not at.file_uploader[0].value  # the drop zone is emptied after the commit
    open_tab(at, "Déposer des rapports")
    at.file_uploader[0].set_value([("copie.xlsx", good, XLSX)]).run()
    info = _texts(at.info)
    assert "copie.xlsx : déjà importé le " in info and "par Marie Dupont" in info


def test_rollback_asks_for_confirmation_then_undoes_the_upload(database):
    path, good = database
    at = _page()
    at.text_input(key="import_user").input("Marie")
    at.file_uploader[0].set_value([("rapport.xlsx", good, XLSX)]).run()
    at.button(key="import_commit").click().run()
    open_tab(at, "Historique et annulation")
    at.button(key="rollback_ask_button").click().run()
    sentence = _texts(at.warning)
    assert "18 valeur(s) cesseront de compter" in sentence and "18 n'auront plus de valeur" in sentence
    at.button(key="rollback_confirm").click().run()
    assert not at.exception
    assert "annulé : 0 valeur(s) rétablie(s), 18 retirée(s)" in _texts(at.success)
    history = next(d.value for d in at.dataframe if "Importé par" in d.value.columns)
    assert list(history["Statut"]) == ["annulé"]


def test_a_file_of_the_wrong_type_gets_one_french_sentence(database):
    at = _page()
    at.file_uploader[0].set_value([("notes.pdf", b"%PDF-1.4 not a workbook", "application/pdf")]).run()
    assert not at.exception
    errors = _issues(at)
    assert "PDF" in errors["Message"].iloc[0] and len(errors) == 1
    assert any("pas de copie annotée" in c.value for c in at.caption)


def test_template_tab_offers_the_download(database):
    at = open_tab(_page(), "Modèle de rapport à remplir")
    at.selectbox(key="template_operator").select("FTLB").run()
    assert any("indicateur(s)" in read(c.value) and "ligne(s) à remplir" in read(c.value) for c in at.caption)


def test_entry_tab_shows_the_operator_grid_and_asks_for_values_before_checking(database):
    at = open_tab(_page(), "Saisir en ligne")
    assert any("Choisissez en haut de la page" in i.value for i in at.info)
    at.selectbox(key="import_operator").select("FTLB").run()
    at.selectbox(key="entry_period").select_index(4).run()  # S05: FTLB's template has lines there
    assert not at.exception, [e.value for e in at.exception]
    grids = [d.value for d in at.dataframe if "Dernière valeur" in d.value.columns]
    assert grids and len(grids[0]) > 5 and (grids[0]["Valeur"] == "").all(), "the entry grid, empty, is drawn"
    at.button(key="entry_check").click().run()
    assert any("colonne « Valeur »" in e.value for e in at.error), _texts(at.error)
    assert _uploads(database[0]) == 0


def test_only_the_open_tab_does_its_work(database):
    at = _page()
    assert not [d for d in at.dataframe if "Importé par" in d.value.columns]
    assert not [s for s in at.selectbox if s.key == "template_operator"]
    open_tab(at, "Historique et annulation")
    assert any("Aucun import pour l'instant" in i.value for i in at.info)
    assert at.file_uploader, "the drop zone stays drawn: it keeps its files while another tab is open"
    assert not [s for s in at.selectbox if s.key == "template_operator"]
