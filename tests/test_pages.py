"""Every page runs through AppTest on an empty and on a demo database without an exception."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.source_util import page_icon_and_name

from ardenne_kpi.core import links
from tests.conftest import ROOT, run_page

PAGES = [page.file for page in links.PAGES]


def test_every_page_file_is_declared_and_every_declared_page_exists():
    files = {"app.py", *(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))}
    assert set(PAGES) == files
    assert len({page.name for page in links.PAGES}) == len(links.PAGES)


def test_a_page_address_is_the_one_streamlit_gives_its_file():
    for page in links.PAGES[1:]:
        assert page.path == page_icon_and_name(Path(page.file))[1], page.file
    assert links.page_url("Accueil") == f"{links.base_url()}/"


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_on_demo_database(page, demo_db_path):
    at = run_page(page, demo_db_path)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, "every page has a French title"


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_on_empty_database(page, empty_db_path):
    at = run_page(page, empty_db_path)
    assert not at.exception, [e.value for e in at.exception]


def test_first_start_unpacks_the_shipped_demo_and_says_so(tmp_path):
    database = tmp_path / "first.duckdb"
    at = run_page("app.py", database)
    assert database.exists() and any((tmp_path / "uploads").iterdir())
    assert any("Données de démonstration" in i.value for i in at.info)
    assert any("init --empty" in i.value for i in at.info)
    assert any(m.label == "Cellules servies" for m in at.metric)


@pytest.mark.slow  # the app imports the demo's 177 reports itself: half a minute
def test_first_start_without_a_shipped_demo_builds_it_and_says_so(tmp_path, monkeypatch):
    from ardenne_kpi.demo import database as demo_database

    monkeypatch.setattr(demo_database, "ARCHIVE", tmp_path / "none.tar.xz")  # e.g. a framework of its own
    database = tmp_path / "first.duckdb"
    at = run_page("app.py", database, timeout=180)  # the demo's 177 reports are imported on this run
    assert database.exists()
    assert any("Données de démonstration" in i.value for i in at.info)
    assert any("init --empty" in i.value for i in at.info)


def test_every_page_says_the_data_are_a_demo(demo_db_path):
    for page in PAGES:
        at = run_page(page, demo_db_path)
        # the meeting mode says it in its one-line banner (a caption), the other pages in a box
        said = [i.value for i in at.info] + ([c.value for c in at.caption] if "Reunion" in page else [])
        assert any("Données de démonstration" in text for text in said), page


def test_home_tiles_on_the_demo(demo_db_path):
    at = run_page("app.py", demo_db_path)
    labels = [m.label for m in at.metric]
    assert "En bonne voie" in labels and "Cellules servies" in labels
    cells = next(m for m in at.metric if m.label == "Cellules servies")
    assert cells.value == "43 / 48"


def test_home_on_empty_database_invites_to_import(empty_db_path):
    at = run_page("app.py", empty_db_path)
    assert any("Importez" in w.value for w in at.warning)


def test_referentiel_filters_indicators(demo_db_path):
    at = run_page("pages/4_Referentiel.py", demo_db_path)
    at.text_input[0].input("nuitées").run()
    table = at.dataframe[0].value
    assert set(table["Code"]) == {"CLI08", "CLI09", "CLI11", "ATT09"}
