"""The Couverture page through AppTest, on the demo and on an empty database."""

from __future__ import annotations

import os

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

PAGE = str(ROOT / "pages" / "3_Couverture.py")


@pytest.fixture
def page(request):
    """An AppTest of the page on the database named by the test's parameter fixture."""

    def run(database):
        old = os.environ.get("ARDENNE_DB")
        os.environ["ARDENNE_DB"] = str(database)
        request.addfinalizer(
            lambda: os.environ.pop("ARDENNE_DB", None) if old is None else os.environ.__setitem__("ARDENNE_DB", old)
        )
        at = AppTest.from_file(PAGE, default_timeout=30)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return run


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_demo_shows_the_main_matrix_with_its_gaps(page, demo_db_path):
    at = page(demo_db_path)
    assert at.title[0].value == "Couverture du plan"
    m = metrics(at)
    assert m["∅ Non servies"] == "5 / 48"
    assert sum(int(v.split(" / ")[0]) for v in m.values()) == 48
    assert not at.warning or all("Aucun rapport" not in w.value for w in at.warning)


def test_picking_a_cell_shows_its_indicator_table(page, demo_db_path):
    at = page(demo_db_path)
    at.selectbox(key="coverage_cell_dimension_key").select(("D2", "K01")).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table.columns[:3]) == ["Indicateur", "Libellé", "Unité"]
    assert {"Dernière valeur", "Cible", "Progression", "Statut", "Source (opérateurs · dernier envoi)"} <= set(
        table.columns
    )
    assert len(table) >= 1 and table["Source (opérateurs · dernier envoi)"].str.contains(r"\.xlsx").all()


def test_a_cell_nobody_serves_says_it_is_a_gap_in_the_plan(page, demo_db_path):
    at = page(demo_db_path)
    at.selectbox(key="coverage_cell_dimension_key").select(("D1", "K04")).run()
    assert any("manque du plan" in i.value for i in at.info)
    assert not at.dataframe


def test_other_matrix_and_measure(page, demo_db_path):
    at = page(demo_db_path)
    at.segmented_control(key="coverage_kind").set_value("operator_dimension").run()
    at.segmented_control(key="coverage_measure").set_value("mean_progress").run()
    assert not at.exception
    assert sum(int(v.split(" / ")[1]) for v in metrics(at).values()) == 4 * 11 * 4


def test_filters_narrow_the_matrix(page, demo_db_path):
    at = page(demo_db_path)
    at.selectbox(key="coverage_operator").select("PNVH").run()
    assert not at.exception
    assert int(metrics(at)["∅ Non servies"].split(" / ")[0]) > 5


def test_empty_database_invites_to_import(page, empty_db_path):
    at = page(empty_db_path)
    assert any("Aucun rapport" in w.value for w in at.warning)
    m = metrics(at)
    assert m["? Non renseignées"] == "43 / 48"
    assert m["En bonne voie"] == "0 / 48"
