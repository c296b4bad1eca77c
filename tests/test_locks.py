"""Locks that hold (issue 24, finding 3): whatever would move a figure of a locked semester
(validating, sending back or rolling back an upload, an admin's import) is refused, or done
by the coordination with a reason that the history keeps and Suivi and the pack cite. Then a
random model of imports, validations, send-backs, rollbacks and locks: the latest live
(validated) upload wins, and every action that moves a locked figure is refused or recorded."""

from __future__ import annotations

import datetime as dt

import pytest

from ardenne_kpi import db, kpis, review, web_entry
from ardenne_kpi.accounts import User
from ardenne_kpi.db import SUBMITTED, VALIDATED
from ardenne_kpi.reports import importer
from tests.conftest import private_copy, run_page

ADMIN = User("Claire Coordination", "admin")
PARTNER = User("Paul Partenaire", "partner", ("FTLB",))
MOMENT = dt.datetime(2022, 5, 2, 10, 30)
REASON = "chiffre corrigé par l'office le 02/05, validé en comité"


def _entry(con, fw, value: str, *, hour: int = 0, period: str = "S10") -> tuple[str, bytes]:
    """FTLB's web entry of `value` for BRD09 in `period`."""
    grid = web_entry.grid(con, fw, "FTLB", period)
    line = grid.index[grid["Indicateur"].str.startswith("BRD09")][0]
    grid.loc[line, "Valeur"] = value
    return web_entry.workbook(
        con, fw, "FTLB", period, grid, user=PARTNER.name, moment=MOMENT + dt.timedelta(hours=hour)
    )


def _figure(path, fw, *, submitted: bool = False, period: str = "S10") -> float | None:
    """FTLB's BRD09 figure for `period`, validated (or with the submitted ones)."""
    con = db.connect(path)
    try:
        trend = kpis.aggregate(con, fw, "BRD09", "programme-semester", submitted=submitted, operators=["FTLB"])
    finally:
        con.close()
    row = trend[trend["period"] == period]
    return float(row["value"].iloc[0]) if len(row) else None


@pytest.fixture
def s10(tmp_path, demo_db_path, fw):
    """A demo copy where the coordination imported 100 for FTLB's BRD09 in S10 and FTLB then
    submitted 120: (path, admin's upload, partner's upload). S10 is not locked yet."""
    path = private_copy(demo_db_path, tmp_path)
    con = db.connect(path)
    name, data = _entry(con, fw, "100")
    mine = importer.import_file(con, data, name, operator="FTLB", user=ADMIN.name, framework=fw).upload_id
    name, data = _entry(con, fw, "120", hour=1)
    theirs = importer.import_file(
        con, data, name, operator="FTLB", user=PARTNER.name, framework=fw, review=SUBMITTED
    ).upload_id
    con.close()
    return path, mine, theirs


def _cli(*args: str) -> int:
    from ardenne_kpi.cli import main

    return main(list(args))


def _overrides(path) -> list[tuple]:
    con = db.connect(path)
    try:
        return con.execute(
            "SELECT upload_id, action, periods, reason, done_by FROM lock_overrides ORDER BY id"
        ).fetchall()
    finally:
        con.close()


def test_validating_a_submission_in_a_locked_semester_needs_a_reason(s10, fw, capsys):
    path, _, theirs = s10
    assert _cli("lock", "S10", "--db", str(path)) == 0
    capsys.readouterr()
    assert _cli("review", "validate", str(theirs), "--db", str(path)) == 1
    err = capsys.readouterr().err
    assert "période verrouillée" in err and "--motif" in err and "100 → 120" in err
    assert _figure(path, fw) == 100, "refused: the locked figure did not move"
    assert _overrides(path) == []
    assert _cli("review", "validate", str(theirs), "--db", str(path), "--user", "anne", "--motif", REASON) == 0
    assert _figure(path, fw) == 120
    assert _overrides(path) == [(theirs, VALIDATED, ["S10"], REASON, "anne")]


def test_rolling_back_in_a_locked_semester_needs_a_reason(s10, fw, capsys):
    path, mine, theirs = s10
    con = db.connect(path)
    review.validate(con, theirs, ADMIN)
    con.close()
    assert _cli("lock", "S10", "--db", str(path)) == 0
    capsys.readouterr()
    assert _cli("rollback", str(theirs), "--db", str(path)) == 1
    assert "période verrouillée" in capsys.readouterr().err
    assert _figure(path, fw) == 120
    assert _cli("rollback", str(theirs), "--db", str(path), "--user", "anne", "--motif", REASON) == 0
    assert _figure(path, fw) == 100
    assert _cli("rollback", str(mine), "--db", str(path)) == 1, "the admin's own upload too"
    assert _figure(path, fw) == 100
    assert [row[:2] for row in _overrides(path)] == [(theirs, "rolled_back")]


def test_sending_back_a_submission_in_a_locked_semester_needs_a_reason(s10, fw, capsys):
    """Sending back moves the figures read with the submitted ones (120 → 100)."""
    path, _, theirs = s10
    assert _cli("lock", "S10", "--db", str(path)) == 0
    assert _cli("review", "send-back", str(theirs), "--message", "doublon", "--db", str(path)) == 1
    assert "période verrouillée" in capsys.readouterr().err
    assert _figure(path, fw, submitted=True) == 120
    assert _cli("review", "send-back", str(theirs), "--message", "doublon", "--db", str(path), "--motif", REASON) == 0
    assert _figure(path, fw, submitted=True) == 100
    assert [row[1:4] for row in _overrides(path)] == [("returned", ["S10"], REASON)]


def test_an_admin_import_equal_to_a_submitted_value_still_needs_a_reason(s10, fw, tmp_path, capsys):
    """120 is what counts with the submitted figures, but the validated figure is 100: an
    admin's file saying 120 moves it."""
    path, _, _ = s10
    con = db.connect(path)
    name, data = _entry(con, fw, "120", hour=2)
    con.close()
    (tmp_path / name).write_bytes(data)
    assert _cli("lock", "S10", "--db", str(path)) == 0
    capsys.readouterr()
    assert _cli("import", str(tmp_path / name), "--db", str(path)) == 1
    assert "motif" in capsys.readouterr().out
    assert _figure(path, fw) == 100
    assert _cli("import", str(tmp_path / name), "--db", str(path), "--motif", REASON) == 0
    assert _figure(path, fw) == 120


def test_the_import_page_asks_a_reason_to_validate_in_a_locked_semester(s10, fw):
    path, _, theirs = s10
    con = db.connect(path)
    review.lock(con, fw, "S10", ADMIN)
    con.close()
    at = run_page("pages/1_Import.py", path)  # local mode: the coordination
    at.selectbox(key="review_choice").set_value(theirs).run()
    at.button(key="review_validate").click().run()
    assert not at.exception
    assert any("période verrouillée" in e.value and "Motif" in e.value for e in at.error)
    assert _figure(path, fw) == 100
    at.text_input(key="review_lock_reason").input(REASON).run()
    at.button(key="review_validate").click().run()
    assert not at.exception
    assert any("validé" in s.value for s in at.success)
    assert _figure(path, fw) == 120
    history = next(d.value for d in at.dataframe if "Motif (période verrouillée)" in d.value.columns)
    assert list(history.loc[history["N°"] == theirs, "Motif (période verrouillée)"]) == [f"validation : {REASON}"]


def test_the_import_page_asks_a_reason_to_roll_back_in_a_locked_semester(s10, fw):
    path, _, theirs = s10
    con = db.connect(path)
    review.lock(con, fw, "S10", ADMIN)
    con.close()
    at = run_page("pages/1_Import.py", path)
    at.button(key="rollback_ask_button").click().run()  # the newest upload: the partner's, submitted
    at.button(key="rollback_confirm").click().run()
    assert any("période verrouillée" in e.value for e in at.error)
    assert _figure(path, fw, submitted=True) == 120
    at.text_input(key="rollback_lock_reason").input(REASON).run()
    at.button(key="rollback_confirm").click().run()
    assert not at.exception
    assert any("annulé" in s.value for s in at.success)
    assert _figure(path, fw, submitted=True) == 100
    assert [row[:2] for row in _overrides(path)] == [(theirs, "rolled_back")]


def test_suivi_and_the_pack_cite_changes_made_in_a_locked_semester(s10, fw):
    import io as _io

    from openpyxl import load_workbook

    from ardenne_kpi.exports import pack

    path, _, theirs = s10
    con = db.connect(path)
    review.lock(con, fw, "S10", ADMIN)
    review.validate(con, theirs, ADMIN, lock_reason=REASON)
    d = pack.collect(con, fw)
    con.close()
    assert f"import n° {theirs} (" in d.overrides_note and f"validé le {dt.date.today():%d/%m/%Y}" in d.overrides_note
    assert f"S10 : motif « {REASON} »" in d.overrides_note
    sheet = load_workbook(_io.BytesIO(pack.xlsx_bytes(d)))["Lisez-moi"]
    readme = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert readme["Modifications après verrouillage"] == d.overrides_note
    at = run_page("pages/5_Suivi.py", path)
    at.selectbox(key="suivi_semester").set_value("S10").run()
    assert not at.exception
    cited = next(t.value for t in at.dataframe if "Motif" in t.value.columns)
    assert list(cited["Motif"]) == [REASON] and list(cited["Action"]) == ["validé"]
