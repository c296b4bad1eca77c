"""Tables that show what matters first at 1280–1440 px with the sidebar open: the change and
the new value before the identity columns, the latest semesters first, every zone in view."""

from __future__ import annotations

import json
import os

from streamlit.testing.v1 import AppTest

from ardenne_kpi.intake import import_view
from ardenne_kpi.portal import publication
from tests.conftest import ROOT, private_copy, run_page
from tests.test_import_page import XLSX, database  # noqa: F401 (the Import page's fixture)


def _shown_columns(element) -> list[str]:
    """The columns a table shows, in the order it shows them (its column_order, else the frame's)."""
    return list(element.proto.column_order) or list(element.value.columns)


def test_the_import_preview_leads_with_the_change_and_the_new_value(database):  # noqa: F811
    _, good = database
    at = AppTest.from_file(str(ROOT / "pages" / "1_Import.py"), default_timeout=60)
    at.run()
    at.file_uploader[0].set_value([("rapport_FTLB_S05.xlsx", good, XLSX)]).run()
    preview = next(d for d in at.dataframe if "Ancien → nouveau" in d.value.columns)
    assert _shown_columns(preview)[:3] == ["Changement", "Ancien → nouveau", "Indicateur"]
    assert sorted(_shown_columns(preview)) == sorted(preview.value.columns)  # nothing hidden


def test_the_validation_table_leads_with_the_change_the_cell_and_the_comment():
    shown = import_view.VALIDATION_ORDER
    assert shown[:5] == ["Changement", "Validé aujourd'hui", "Soumis", "Cellule", "Commentaire"]
    assert sorted(shown) == sorted(import_view.validation_table(None, None).columns)


def test_suivi_shows_the_latest_semesters_first(demo_db_path, tmp_path):
    at = run_page("pages/5_Suivi.py", private_copy(demo_db_path, tmp_path))
    grid = next(d for d in at.dataframe if "S11" in d.value.columns)
    shown = _shown_columns(grid)
    assert shown[:2] == ["S11", "S10"] and shown[-1] == "S01"


def test_chiffres_cles_par_zone_keeps_every_zone_in_view(demo_db_path, tmp_path, fw):
    os.environ["ARDENNE_DB"] = str(private_copy(demo_db_path, tmp_path))
    at = AppTest.from_file(str(ROOT / "pages" / "7_Chiffres_cles.py"), default_timeout=60)
    at.query_params["onglet"] = "Par zone"
    at.run()
    table = next(d for d in at.dataframe if "Période" in d.value.columns)
    config = json.loads(table.proto.columns)
    zones = [z for z in fw.zones if z.label in table.value.columns]
    assert len(zones) == 5
    assert config["Indicateur"]["pinned"] is True
    widths = [config["Indicateur"]["width"], config["Période"]["width"]] + [config[z.label]["width"] for z in zones]
    assert sum(widths) <= 958  # the table's width at 1440 px beside the menu
    for z in zones:
        assert config[z.label]["label"] == publication.short_zone_label(z) and len(config[z.label]["label"]) <= 16
