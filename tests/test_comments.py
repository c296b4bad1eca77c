"""Comments on figures: a partner's comment imported and shown beside its value (Tendances,
lineage); the coordinator's analysis written by an admin, refused to a viewer and a partner,
shown on Tendances and in the committee pack."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from ardenne_kpi import db, figures
from ardenne_kpi.committee import briefing, pack
from ardenne_kpi.core import accounts
from ardenne_kpi.core.accounts import User
from ardenne_kpi.figures import analyses
from ardenne_kpi.intake import importer
from tests.conftest import open_tab, private_copy, run_page

PAGE = "pages/2_Tendances.py"
PASSWORD = "correct horse battery"
COMMENT = "Fermeture du site pour travaux en mars : fréquentation en baisse"


def report(operator: str, indicator: str, period: str, value: float, comment: str) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Rapport"
    for row in (
        [f"Opérateur : {operator}"],
        [],
        ["Code", "Période", "Zone", "Valeur", "Commentaire"],
        [indicator, period, None, value, comment],
    ):
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def a_quarterly_indicator(fw):
    ind = next(i for i in fw.indicators if i.frequency == "Q" and i.agg_time == "sum" and i.operators)
    return ind.code, ind.operators[0]


def test_a_partners_comment_is_imported_and_shown_beside_its_value(tmp_path, fw):
    path = tmp_path / "c.duckdb"
    con = db.connect(path)
    db.sync_framework(con, fw)
    code, operator = a_quarterly_indicator(fw)
    result = importer.import_file(con, report(operator, code, "2019-Q1", 120, COMMENT), "r.xlsx", framework=fw)
    assert result.status != "refused", result.errors
    stored = analyses.partner_comments(con, fw, code)
    assert stored["comment"].tolist() == [COMMENT]
    con.close()

    at = run_page(PAGE, path)
    at.selectbox(key="t_indicator").set_value(code).run()
    assert not at.exception, [e.value for e in at.exception]
    open_tab(at, "Commentaires des partenaires")
    shown = [d.value for d in at.dataframe if "Commentaire du partenaire" in d.value.columns]
    assert shown and shown[0]["Commentaire du partenaire"].tolist() == [COMMENT]
    assert shown[0]["Période"].tolist() == ["T1 2019"]  # the French label, not the code
    # and in the lineage of the figure that holds it
    at.radio(key="t_grain").set_value("quarter").run()
    open_tab(at, "D'où vient ce chiffre ?")
    at.selectbox(key="t_lineage").set_value("2019-Q1").run()
    lineage = at.dataframe[-1].value
    assert lineage["Commentaire du partenaire"].tolist() == [COMMENT]


def behind(fw, path):
    con = db.connect(path)
    status = figures.indicator_status(con, fw)
    con.close()
    row = status[status["status"] == "off_track"].iloc[0]
    return row["indicator"], row["latest_period"]


def test_the_coordinator_writes_an_analysis_on_tendances_and_the_pack_shows_it(tmp_path, demo_db_path, fw):
    path = private_copy(demo_db_path, tmp_path)
    code, period = behind(fw, path)
    at = run_page(PAGE, path)  # local mode: the coordinator
    at.selectbox(key="t_indicator").set_value(code).run()
    assert any("sans analyse du coordinateur" in e.label for e in at.expander)
    at.text_area(key=f"analysis_body_{code}_{period}").input("Retard dû à la fermeture du musée ; rattrapage prévu.")
    at.button(key=f"analysis_save_{code}").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Retard dû à la fermeture du musée" in m.value for m in at.markdown)

    con = db.connect(path)
    written = analyses.find(analyses.current(con), code, period)
    assert written["written_by"] == accounts.LOCAL_USER.name and written["written_at"].date() == dt.date.today()
    data = briefing.collect(con, fw)
    con.close()
    pypdf = pytest.importorskip("pypdf")
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pack.pdf_bytes(data))).pages)
    flat = " ".join(text.split())
    assert "Retard dû à la fermeture du musée" in flat and "Analyse du coordinateur" in flat
    sheet = openpyxl.load_workbook(io.BytesIO(pack.xlsx_bytes(data)))["Analyses"]
    assert any(c.value and "fermeture du musée" in str(c.value) for row in sheet.iter_rows() for c in row)


@pytest.mark.parametrize("user", [User("elu", "viewer"), User("ftlb", "partner", ("FTLB",))], ids=lambda u: u.role)
def test_an_analysis_is_refused_to_viewers_and_partners(tmp_path, demo_db_path, fw, user):
    path = private_copy(demo_db_path, tmp_path)
    code, period = behind(fw, path)
    con = db.connect(path)
    with pytest.raises(accounts.AccessError, match="coordination"):
        analyses.write(con, fw, user, code, period, "Tentative")
    assert analyses.current(con).empty
    con.close()
    accounts_file = tmp_path / "accounts.yaml"
    accounts.add_user(user.name, user.role, PASSWORD, list(user.operators), path=accounts_file)
    at = run_page(PAGE, path, user=user, accounts_file=accounts_file)
    at.selectbox(key="t_indicator").set_value(code).run()
    assert not at.exception
    assert not at.text_area and "Enregistrer l'analyse" not in [b.label for b in at.button]
    assert not any("sans analyse du coordinateur" in e.label for e in at.expander)


def test_the_pack_cites_links_that_reopen_its_pages(demo_db_path, fw, monkeypatch):
    monkeypatch.setenv("ARDENNE_BASE_URL", "https://kpi.example.org/")
    con = db.connect(demo_db_path)
    data = briefing.collect(con, fw)
    con.close()
    pypdf = pytest.importorskip("pypdf")
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pack.pdf_bytes(data))).pages)
    flat = "".join(text.split())
    code = briefing.behind_target(data)[0][0]
    assert f"https://kpi.example.org/Tendances?indicateur={code}" in flat
    assert "https://kpi.example.org/Couverture?matrice=dimension_key" in flat


def test_a_schema_2_database_gains_the_analyses_table(tmp_path, fw):
    path = tmp_path / "old.duckdb"
    con = db.connect(path)
    db.sync_framework(con, fw)
    cur = con.cursor()
    cur.execute("DROP TABLE analyses")
    cur.execute("DROP SEQUENCE analysis_ids")
    db.set_meta(cur, "schema_version", "2")
    con.close()
    con = db.connect(path)  # migrates
    assert db.schema_version(con) == db.SCHEMA_VERSION == 4
    analyses.write(con, fw, accounts.LOCAL_USER, fw.indicators[0].code, "2019-Q1", "Après migration")
    assert analyses.current(con)["body"].tolist() == ["Après migration"]
    con.close()
