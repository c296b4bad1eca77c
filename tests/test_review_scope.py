"""Issue 24, finding 11 (two parts): the coordination importing the very bytes of a partner's
upload that waits for validation validates it; and only the coordination counts other
operators' figures that are not validated yet (a partner its own, a viewer none)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from ardenne_kpi import db
from ardenne_kpi.core import accounts
from ardenne_kpi.core.accounts import User
from ardenne_kpi.db import SUBMITTED, VALIDATED
from ardenne_kpi.intake import importer, web_entry
from ardenne_kpi.ui import SUBMITTED_PREF
from tests.conftest import open_tab, private_copy, run_page

PASSWORD = "correct horse battery"
ADMIN = User("coord", "admin")
PARTNER = User("ftlb", "partner", ("FTLB",))
VIEWER = User("elu", "viewer")
MOMENT = dt.datetime(2022, 5, 2, 10, 30)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OWN, OTHERS = 54321, 98765  # FTLB's submitted BRD09, GEIE-DA's submitted BRD09 (S11)


def _entry(con, fw, operator: str, value: int, hour: int = 0) -> tuple[str, bytes]:
    grid = web_entry.grid(con, fw, operator, "S11")
    line = grid.index[grid["Indicateur"].str.startswith("BRD09")][0]
    grid.loc[line, "Valeur"] = str(value)
    return web_entry.workbook(
        con, fw, operator, "S11", grid, user="partenaire", moment=MOMENT + dt.timedelta(hours=hour)
    )


@pytest.fixture
def pending(tmp_path, demo_db_path, fw):
    """A demo copy where FTLB submitted a file (kept at `file`): (path, upload id, file)."""
    path = private_copy(demo_db_path, tmp_path)
    con = db.connect(path)
    name, data = _entry(con, fw, "FTLB", OWN)
    upload = importer.import_file(
        con, data, name, operator="FTLB", user=PARTNER.name, framework=fw, review=SUBMITTED
    ).upload_id
    con.close()
    (tmp_path / name).write_bytes(data)
    return path, upload, tmp_path / name


def _review(path, upload: int) -> str:
    con = db.connect(path)
    try:
        return db.imports.get_upload(con, upload)["review"]
    finally:
        con.close()


def test_the_coordination_importing_a_pending_upload_s_bytes_validates_it(pending, capsys):
    from ardenne_kpi.cli import main

    path, upload, file = pending
    assert main(["import", str(file), "--db", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"import n° {upload} soumis par {PARTNER.name}" in out and "validé" in out, out
    assert _review(path, upload) == VALIDATED
    assert main(["import", str(file), "--db", str(path)]) == 0  # once validated: nothing left to do
    assert "rien n'a changé" in capsys.readouterr().out


def test_the_import_page_offers_to_validate_a_pending_upload_s_bytes(pending):
    path, upload, file = pending
    at = run_page("pages/1_Import.py", path)  # local mode: the coordination
    at.text_input(key="import_user").input("Claire").run()
    at.file_uploader[0].set_value([(file.name, file.read_bytes(), XLSX)]).run()
    assert any("L'enregistrer le valide" in w.value for w in at.warning), [w.value for w in at.warning]
    at.button(key="import_commit").click().run()
    assert not at.exception
    assert any("cet import est validé" in s.value for s in at.success)
    assert _review(path, upload) == VALIDATED


# ------------------------------------------------------------------ whose submitted figures count


@pytest.fixture(scope="module")
def accounts_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("scope") / "accounts.yaml"
    accounts.add_user("coord", "admin", PASSWORD, path=path)
    accounts.add_user("ftlb", "partner", PASSWORD, ["FTLB"], path=path)
    accounts.add_user("elu", "viewer", PASSWORD, path=path)
    return path


@pytest.fixture
def two_submissions(tmp_path, demo_db_path, fw):
    """A demo copy where FTLB and GEIE-DA each submitted a BRD09 figure for S11."""
    path = private_copy(demo_db_path, tmp_path)
    con = db.connect(path)
    for hour, (operator, value) in enumerate((("FTLB", OWN), ("GEIE-DA", OTHERS))):
        name, data = _entry(con, fw, operator, value, hour)
        done = importer.import_file(con, data, name, operator=operator, user="p", framework=fw, review=SUBMITTED)
        assert done.status == "imported", done.errors
    con.close()
    return path


def _lineage_numbers(at) -> set[int]:
    """The numbers in the lineage table of BRD09 in S11 (« D'où vient ce chiffre ? »)."""
    at.selectbox(key="t_indicator").set_value("BRD09").run()
    open_tab(at, "D'où vient ce chiffre ?")
    at.selectbox(key="t_lineage").set_value("S11").run()
    assert not at.exception, [e.value for e in at.exception]
    table = next(d.value for d in at.dataframe if "Fichier" in d.value.columns)
    return {int(re.sub(r"\D", "", str(v)) or 0) for v in table.to_numpy().ravel()}


def test_a_partner_counts_its_own_submitted_figures_not_another_operator_s(two_submissions, accounts_file):
    at = run_page("pages/2_Tendances.py", two_submissions, user=PARTNER, accounts_file=accounts_file)
    toggle = at.toggle(key="submitted_toggle")
    assert toggle.label.startswith("Inclure vos chiffres soumis (1 import")
    toggle.set_value(True).run()
    shown = _lineage_numbers(at)
    assert OWN in shown and OTHERS not in shown


def test_a_viewer_counts_validated_figures_only_whatever_the_session_asks(two_submissions, accounts_file):
    at = run_page("pages/2_Tendances.py", two_submissions, user=VIEWER, accounts_file=accounts_file)
    assert not [t for t in at.toggle if t.key == "submitted_toggle"]
    at.session_state[SUBMITTED_PREF] = True  # as if asked on another page, or by a crafted session
    at.run()
    shown = _lineage_numbers(at)
    assert OWN not in shown and OTHERS not in shown


def test_the_coordination_counts_every_submitted_figure(two_submissions, accounts_file):
    at = run_page("pages/2_Tendances.py", two_submissions, user=ADMIN, accounts_file=accounts_file)
    at.toggle(key="submitted_toggle").set_value(True).run()
    assert {OWN, OTHERS} <= _lineage_numbers(at)
