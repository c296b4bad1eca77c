"""Locks that hold (issue 24, finding 3): whatever would move a figure of a locked semester
(validating, sending back or rolling back an upload, an admin's import) is refused, or done
by the coordination with a reason that the history keeps and Suivi and the pack cite. Then a
random model of imports, validations, send-backs, rollbacks and locks: the latest live
(validated) upload wins, and every action that moves a locked figure is refused or recorded."""

from __future__ import annotations

import datetime as dt
import io
import random
import time

import openpyxl
import pytest

from ardenne_kpi import db, figures
from ardenne_kpi.core.accounts import User
from ardenne_kpi.core.errors import LockedPeriodError
from ardenne_kpi.db import RETURNED, SUBMITTED, VALIDATED
from ardenne_kpi.intake import guard, import_warnings, importer, review, web_entry
from tests.conftest import open_tab, private_copy, run_page

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
        trend = figures.aggregate(con, fw, "BRD09", "programme-semester", submitted=submitted, operators=["FTLB"])
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
    at = run_page("pages/1_Import.py", path, query_params={"onglet": "Validation"})  # local mode: the coordination
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
    history = next(
        d.value
        for d in open_tab(at, "Historique et annulation").dataframe
        if "Motif (période verrouillée)" in d.value.columns
    )
    assert list(history.loc[history["N°"] == theirs, "Motif (période verrouillée)"]) == [f"validation : {REASON}"]


def test_the_import_page_asks_a_reason_to_roll_back_in_a_locked_semester(s10, fw):
    path, _, theirs = s10
    con = db.connect(path)
    review.lock(con, fw, "S10", ADMIN)
    con.close()
    at = run_page("pages/1_Import.py", path, query_params={"onglet": "Historique et annulation"})
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

    from ardenne_kpi.committee import briefing, pack

    path, _, theirs = s10
    con = db.connect(path)
    review.lock(con, fw, "S10", ADMIN)
    review.validate(con, theirs, ADMIN, lock_reason=REASON)
    d = briefing.collect(con, fw)
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


# ------------------------------------------------------------------------- the property

OPERATOR = "FTPN"
KEYS = [("BRD01", "S05"), ("BRD02", "S05"), ("BRD01", "S06")]
SEMESTERS = ("S05", "S06")
SEQUENCES = 500
QUICK_SEQUENCES = 36  # the fast loop's share of them (the same first ones)
SEED = 24


def workbook(values: dict[tuple[str, str], int]) -> bytes:
    """A long-layout report of `values` ((indicator, period) -> value) for FTPN."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Rapport"
    ws.append([f"Opérateur : {OPERATOR}"])
    ws.append([None])
    ws.append(["Code", "Période", "Valeur"])
    for (indicator, period), value in values.items():
        ws.append([indicator, period, value])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


class Model:
    """The rules in plain Python. Uploads in order; a key's current value is the latest live
    upload's, its validated value the latest live validated upload's. An action that would
    move a current or validated value of a locked semester is refused, unless the coordination
    gives a reason (then it is recorded); a partner's import never can."""

    def __init__(self) -> None:
        self.uploads: list[dict] = []  # {"file", "values", "live", "review", "id"}
        self.locked: set[str] = set()

    def figures(self, validated: bool) -> dict:
        out = {}
        for u in self.uploads:
            if u["live"] and (not validated or u["review"] == VALIDATED):
                out.update(u["values"])
        return out

    def state(self) -> tuple[dict, dict]:
        return self.figures(False), self.figures(True)

    def moves_locked(self, before: tuple[dict, dict], after: tuple[dict, dict]) -> bool:
        return any(
            b.get(k) != a.get(k)
            for b, a in zip(before, after, strict=True)
            for k in b.keys() | a.keys()
            if k[1] in self.locked
        )

    def fully_current(self, u: dict) -> bool:
        latest = {}
        for other in self.uploads:
            if other["live"]:
                latest.update(dict.fromkeys(other["values"], other["id"]))
        return all(latest.get(k) == u["id"] for k in u["values"])


def _db_state(con) -> tuple[dict, dict]:
    rows = con.cursor().execute(
        "SELECT indicator, period, value, is_current, is_validated FROM report_values WHERE is_current OR is_validated"
    )
    current, validated = {}, {}
    for indicator, period, value, is_current, is_validated in rows.fetchall():
        for flag, state in ((is_current, current), (is_validated, validated)):
            if flag:
                assert (indicator, period) not in state, "two rows counting for one identity"
                state[(indicator, period)] = value
    return current, validated


def _n_overrides(con) -> int:
    return con.cursor().execute("SELECT count(*) FROM lock_overrides").fetchone()[0]


@pytest.fixture
def memory(fw):
    connection = db.connect(":memory:")
    db.sync_framework(connection, fw)
    yield connection
    connection.close()


@pytest.mark.parametrize("sequences", [QUICK_SEQUENCES, pytest.param(SEQUENCES, marks=pytest.mark.slow)])
def test_any_sequence_keeps_locked_figures_unless_a_reason_is_recorded(memory, fw, monkeypatch, sequences):
    con = memory
    monkeypatch.setattr(guard, "run_isolated", lambda fn, *args, stats=None: fn(*args))
    monkeypatch.setattr(import_warnings, "history", lambda cur, incoming: [])
    monkeypatch.setattr(import_warnings, "absent", lambda cur, incoming: [])
    parsed = {}
    parse = importer.parse_bytes
    monkeypatch.setattr(
        importer,
        "parse_bytes",
        lambda data, *args, **kw: parsed.get(data) or parsed.setdefault(data, parse(data, *args, **kw)),
    )
    rng = random.Random(SEED)
    files = []
    while len(files) < 16:
        values = {k: rng.randint(1, 3) for k in KEYS if rng.random() < 0.6} or {KEYS[0]: rng.randint(1, 3)}
        if values not in [v for _, v in files]:
            files.append((workbook(values), values))
    started, operations, refused, recorded = time.perf_counter(), 0, 0, 0
    for sequence in range(sequences):
        con.cursor().execute(
            "DELETE FROM report_values; DELETE FROM brand_scores; DELETE FROM uploads; "
            "DELETE FROM period_locks; DELETE FROM lock_overrides"
        )
        model = Model()
        for _ in range(rng.randint(4, 10)):
            operations += 1
            live = [u for u in model.uploads if u["live"]]
            pending = [u for u in live if u["review"] == SUBMITTED]
            reason = REASON if rng.random() < 0.5 else None
            before = model.state()
            overrides = _n_overrides(con)
            roll = rng.random()
            if roll < 0.18:  # lock or unlock a semester
                semester = rng.choice(SEMESTERS)
                if semester in model.locked:
                    review.unlock(con, semester, ADMIN)
                    model.locked.discard(semester)
                else:
                    review.lock(con, fw, semester, ADMIN)
                    model.locked.add(semester)
                step, outcome, moved = f"lock/unlock {semester}", "done", False
            elif pending and roll < 0.3:
                u = rng.choice(pending)
                back = rng.random() < 0.3
                step = f"{'send back' if back else 'validate'} #{u['id']} reason={reason}"
                u_review = u["review"]
                u["review"], u["live"] = (RETURNED, False) if back else (VALIDATED, True)
                moved = model.moves_locked(before, model.state())
                try:
                    if back:
                        review.send_back(con, u["id"], ADMIN, "à corriger", lock_reason=reason)
                    else:
                        review.validate(con, u["id"], ADMIN, lock_reason=reason)
                    outcome = "done"
                except LockedPeriodError:
                    u["review"], u["live"] = u_review, True
                    outcome = "refused"
                assert outcome == ("refused" if moved and not reason else "done"), step
            elif live and roll < 0.45:
                u = rng.choice(live)
                step = f"rollback #{u['id']} reason={reason}"
                u["live"] = False
                moved = model.moves_locked(before, model.state())
                try:
                    importer.rollback(con, u["id"], user=ADMIN.name, lock_reason=reason)
                    outcome = "done"
                except LockedPeriodError:
                    u["live"] = True
                    outcome = "refused"
                assert outcome == ("refused" if moved and not reason else "done"), step
            else:  # an import, by the coordination or by the partner
                index = rng.randrange(len(files))
                data, values = files[index]
                admin = rng.random() < 0.5
                step = f"{'admin' if admin else 'partner'} sends f{index} {values} reason={reason}"
                result = importer.import_file(
                    con,
                    data,
                    f"f{index}.xlsx",
                    framework=fw,
                    user=ADMIN.name if admin else PARTNER.name,
                    review=VALIDATED if admin else SUBMITTED,
                    lock_reason=reason,
                )
                same = [u for u in live if u["file"] == index]
                dup = same[-1] if same else None
                current, validated = before
                if dup and admin and dup["review"] == SUBMITTED and model.fully_current(dup):
                    dup["review"] = VALIDATED  # the same bytes as a pending upload: validated
                    moved = model.moves_locked(before, model.state())
                    if moved and not reason:
                        dup["review"] = SUBMITTED
                    expected = "refused" if moved and not reason else "validated"
                elif dup and (model.fully_current(dup) or all(current.get(k) == v for k, v in values.items())):
                    moved, expected = False, "unchanged"
                else:
                    moving = {k for k, v in values.items() if current.get(k) != v}
                    if admin:
                        moving |= {k for k, v in values.items() if validated.get(k) != v}
                    moved = any(k[1] in model.locked for k in moving)
                    if moved and not (admin and reason):
                        expected = "refused"
                    else:
                        expected = "landed"
                        review_ = VALIDATED if admin else SUBMITTED
                        model.uploads.append(
                            {"file": index, "values": values, "live": True, "review": review_, "id": result.upload_id}
                        )
                        landed = db.imports.get_upload(con, result.upload_id)
                        assert landed["lock_reason"] == (reason if moved else None), step
                got = (
                    "landed"
                    if result.status == "imported" or (result.status == "unchanged" and result.duplicate_of is None)
                    else result.status
                )
                assert got == expected, (sequence, step, result.status, [e.message for e in result.errors])
                outcome = "refused" if expected == "refused" else "done"
                moved = moved and expected != "landed"  # an import's reason is its upload's, not an override
            assert _db_state(con) == model.state(), (sequence, step)
            # every action in a locked semester is refused, or recorded with its reason
            added = _n_overrides(con) - overrides
            assert added == (1 if moved and outcome == "done" else 0), (sequence, step, outcome)
            refused += outcome == "refused"
            recorded += added
    elapsed = time.perf_counter() - started
    print(f"{sequences} sequences, {operations} operations ({refused} refused, {recorded} recorded) in {elapsed:.1f} s")
    assert refused and recorded
