"""The coordinator's review (issue 14, item 4): a partner's upload is submitted until an admin
validates it or sends it back; validated figures count validated uploads only; a locked period
refuses a partner's changes and asks an admin for a reason."""

from __future__ import annotations

import datetime as dt

import pytest

from ardenne_kpi import db, figures
from ardenne_kpi.committee import snapshots
from ardenne_kpi.core.accounts import User
from ardenne_kpi.core.errors import ArdenneError
from ardenne_kpi.db import SUBMITTED, VALIDATED
from ardenne_kpi.intake import importer, review, web_entry
from ardenne_kpi.portal import publication
from tests.conftest import private_copy

ADMIN = User("Claire Coordination", "admin")
PARTNER = User("Paul Partenaire", "partner", ("FTLB",))
MOMENT = dt.datetime(2022, 5, 2, 10, 30)


@pytest.fixture
def demo(demo_copy):
    return demo_copy


def _entry(con, fw, values: dict[str, str], period: str = "S11", operator: str = "FTLB") -> tuple[str, bytes]:
    """A web entry of `operator` for `period`: {indicator code: value text}."""
    grid = web_entry.grid(con, fw, operator, period)
    for code, value in values.items():
        line = grid.index[grid["Indicateur"].str.startswith(code)][0]
        grid.loc[line, "Valeur"] = value
    return web_entry.workbook(con, fw, operator, period, grid, user=PARTNER.name, moment=MOMENT)


def _s11(con, fw, code: str, *, submitted: bool = False, operator: str = "FTLB") -> float:
    """The operator's own S11 figure (other operators report the same indicators)."""
    trend = figures.aggregate(con, fw, code, "programme-semester", submitted=submitted, operators=[operator])
    row = trend[trend["period"] == "S11"]
    return float(row["value"].iloc[0]) if len(row) else float("nan")


def _counts(con) -> tuple[int, int]:
    return con.execute(
        "SELECT count(*) FILTER (WHERE is_current), count(*) FILTER (WHERE is_validated) FROM report_values"
    ).fetchone()


def test_a_submitted_value_is_absent_from_validated_figures_until_validated(demo, fw):
    before = _s11(demo, fw, "BRD09")
    name, data = _entry(demo, fw, {"BRD09": "4321"})
    done = importer.import_file(
        demo, data, name, operator="FTLB", user=PARTNER.name, framework=fw, review=review.review_for(PARTNER)
    )
    assert done.status == "imported"
    upload = done.upload_id
    assert db.imports.get_upload(demo, upload)["review"] == SUBMITTED
    # the validated figures (every default) do not move; the toggle shows the submitted value
    assert _s11(demo, fw, "BRD09") == before != 4321
    assert _s11(demo, fw, "BRD09", submitted=True) == 4321
    status = figures.indicator_status(demo, fw, codes=["BRD09"]).set_index("indicator")
    assert status.loc["BRD09", "latest_value"] != 4321
    assert "Paul" not in " ".join(figures.lineage(demo, fw, "BRD09", "S11")["uploaded_by"].fillna(""))
    # with the toggle, the lineage lists the submitted value and says it waits for validation
    shown = figures.lineage(demo, fw, "BRD09", "S11", submitted=True)
    pending = shown[shown["reason"].str.endswith(figures.PENDING_NOTE)]
    assert list(pending["value"]) == [4321] and list(pending["uploaded_by"]) == [PARTNER.name]
    assert not figures.lineage(demo, fw, "BRD09", "S11")["reason"].str.contains("soumis").any()
    # the pack's base (snapshots) and the portal read validated values only
    assert 4321 not in set(snapshots.sql.current_values(demo)["value"])
    waiting = review.in_review(demo, PARTNER)
    assert list(waiting["id"]) == [upload] and review.submitted_count(demo) == 1

    review.validate(demo, upload, ADMIN)
    assert _s11(demo, fw, "BRD09") == 4321
    row = db.imports.get_upload(demo, upload)
    assert row["review"] == VALIDATED and row["reviewed_by"] == ADMIN.name and row["reviewed_at"] is not None
    assert review.submitted_count(demo) == 0
    current, validated = _counts(demo)
    assert current == validated, "once everything is validated, the two readings agree"


def test_a_submission_over_a_validated_value_keeps_the_validated_one_counting(demo, fw):
    first_name, first = _entry(demo, fw, {"BRD09": "100"})
    one = importer.import_file(
        demo, first, first_name, operator="FTLB", user=ADMIN.name, framework=fw, review=review.review_for(ADMIN)
    )
    assert db.imports.get_upload(demo, one.upload_id)["review"] == VALIDATED  # an admin's lands validated
    assert _s11(demo, fw, "BRD09") == 100
    grid = web_entry.grid(demo, fw, "FTLB", "S11")
    line = grid.index[grid["Indicateur"].str.startswith("BRD09")][0]
    grid.loc[line, "Valeur"] = "250"
    name, data = web_entry.workbook(
        demo, fw, "FTLB", "S11", grid, user=PARTNER.name, moment=MOMENT + dt.timedelta(hours=1)
    )
    two = importer.import_file(demo, data, name, operator="FTLB", user=PARTNER.name, framework=fw, review=SUBMITTED)
    assert _s11(demo, fw, "BRD09") == 100 and _s11(demo, fw, "BRD09", submitted=True) == 250
    # sent back: it stops counting anywhere, the partner reads why
    with pytest.raises(ArdenneError, match="Écrivez au partenaire"):
        review.send_back(demo, two.upload_id, ADMIN, "  ")
    with pytest.raises(ArdenneError, match="coordination"):
        review.send_back(demo, two.upload_id, PARTNER, "non")
    review.send_back(demo, two.upload_id, ADMIN, "250 visites : vérifiez l'unité (milliers ?)")
    assert _s11(demo, fw, "BRD09") == 100 and _s11(demo, fw, "BRD09", submitted=True) == 100
    returned = review.in_review(demo, PARTNER).set_index("id").loc[two.upload_id]
    assert returned["review"] == "returned" and "vérifiez l'unité" in returned["review_message"]
    with pytest.raises(ArdenneError, match="déjà renvoyé"):
        review.validate(demo, two.upload_id, ADMIN)
    # rolling the validated upload back leaves the demo's own value, validated
    importer.rollback(demo, one.upload_id, user=ADMIN.name)
    current, validated = _counts(demo)
    assert current == validated


def test_rolling_back_a_validated_upload_under_a_submitted_one_restores_the_older_validated_value(demo, fw):
    demo_value = _s11(demo, fw, "BRD09")
    a_name, a = _entry(demo, fw, {"BRD09": "100"})
    one = importer.import_file(demo, a, a_name, operator="FTLB", user=ADMIN.name, framework=fw)
    grid = web_entry.grid(demo, fw, "FTLB", "S11")
    line = grid.index[grid["Indicateur"].str.startswith("BRD09")][0]
    grid.loc[line, "Valeur"] = "250"
    b_name, b = web_entry.workbook(
        demo, fw, "FTLB", "S11", grid, user=PARTNER.name, moment=MOMENT + dt.timedelta(hours=1)
    )
    importer.import_file(demo, b, b_name, operator="FTLB", user=PARTNER.name, framework=fw, review=SUBMITTED)
    importer.rollback(demo, one.upload_id, user=ADMIN.name)
    assert _s11(demo, fw, "BRD09") == demo_value, "the demo's validated value counts again"
    assert _s11(demo, fw, "BRD09", submitted=True) == 250


def test_a_partner_file_for_a_locked_period_is_refused_and_nothing_is_written(demo, fw):
    locked = review.lock(demo, fw, "S11", ADMIN)
    assert locked.period == "S11" and locked.locked_by == ADMIN.name
    with pytest.raises(ArdenneError, match="coordination"):
        review.lock(demo, fw, "S10", PARTNER)
    with pytest.raises(ArdenneError, match="semestre"):
        review.lock(demo, fw, "2019-Q3", ADMIN)
    before = _counts(demo)
    uploads = len(importer.list_uploads(demo))
    name, data = _entry(demo, fw, {"BRD09": "4321"})
    for dry_run in (True, False):
        refused = importer.import_file(
            demo, data, name, operator="FTLB", user=PARTNER.name, framework=fw, review=SUBMITTED, dry_run=dry_run
        )
        assert refused.status == "refused"
        (issue,) = refused.errors
        assert issue.sheet == "Rapport" and issue.cell.startswith("G")
        assert "S11" in issue.message and "verrouillée le" in issue.message and ADMIN.name in issue.message
        assert "demandez à la coordination" in issue.message
    assert _counts(demo) == before and len(importer.list_uploads(demo)) == uploads
    # an admin needs a reason, which stays in the history
    admin_try = importer.import_file(demo, data, name, operator="FTLB", user=ADMIN.name, framework=fw)
    assert admin_try.status == "refused" and "motif" in admin_try.errors[0].message
    forced = importer.import_file(
        demo,
        data,
        name,
        operator="FTLB",
        user=ADMIN.name,
        framework=fw,
        lock_reason="correction demandée par le comité du 12/05",
    )
    assert forced.status == "imported"
    assert db.imports.get_upload(demo, forced.upload_id)["lock_reason"] == "correction demandée par le comité du 12/05"
    assert _s11(demo, fw, "BRD09") == 4321
    # unlocked: the partner's file passes again
    review.unlock(demo, "S11", ADMIN)
    assert review.locks(demo) == []
    grid = web_entry.grid(demo, fw, "FTLB", "S11")
    line = grid.index[grid["Indicateur"].str.startswith("BRD09")][0]
    grid.loc[line, "Valeur"] = "4400"
    name, data = web_entry.workbook(
        demo, fw, "FTLB", "S11", grid, user=PARTNER.name, moment=MOMENT + dt.timedelta(hours=2)
    )
    assert (
        importer.import_file(
            demo, data, name, operator="FTLB", user=PARTNER.name, framework=fw, review=SUBMITTED
        ).status
        == "imported"
    )


def test_unchanged_values_of_a_locked_period_pass(demo, fw):
    """A partner resending values equal to those that count changes nothing: no refusal."""
    name, data = _entry(demo, fw, {"BRD09": "4321"})
    importer.import_file(demo, data, name, operator="FTLB", user=ADMIN.name, framework=fw)
    review.lock(demo, fw, "S11", ADMIN)
    grid = web_entry.grid(demo, fw, "FTLB", "S11")
    line = grid.index[grid["Indicateur"].str.startswith("BRD09")][0]
    grid.loc[line, "Valeur"] = "4321"
    again_name, again = web_entry.workbook(
        demo, fw, "FTLB", "S11", grid, user=PARTNER.name, moment=MOMENT + dt.timedelta(hours=3)
    )
    result = importer.import_file(
        demo, again, again_name, operator="FTLB", user=PARTNER.name, framework=fw, review=SUBMITTED, dry_run=True
    )
    assert result.status == "dry-run" and not result.errors


def test_the_portal_publishes_validated_values_only(demo, fw):
    ind = publication.public_indicators(fw)[0]
    before = publication.public_figures(demo, fw)
    operator = ind.operators[0]
    period = before.series[before.series["indicator"] == ind.code]["period"].iloc[-1]
    name, data = _entry(demo, fw, {ind.code: "987654"}, operator=operator, period="S11")
    result = importer.import_file(
        demo, data, name, operator=operator, user=PARTNER.name, framework=fw, review=SUBMITTED
    )
    assert result.status == "imported", result.errors
    after = publication.public_figures(demo, fw)
    assert after.cards.equals(before.cards) and after.series.equals(before.series), period
    assert _s11(demo, fw, ind.code, submitted=True, operator=operator) != _s11(demo, fw, ind.code, operator=operator)


def test_a_version_3_database_keeps_its_figures(tmp_path, demo_db_path, fw):
    """Every upload made before validation existed counts as validated: nothing moves."""
    path = private_copy(demo_db_path, tmp_path)
    con = db.connect(path)
    expected = figures.export_frame(con, fw, "programme-semester")
    cur = con.cursor()
    cur.execute("UPDATE report_values SET is_validated = NULL")
    db.set_meta(cur, "schema_version", "3")
    con.close()
    con = db.connect(path)
    assert db.schema_version(con) == db.SCHEMA_VERSION == 4
    current, validated = _counts(con)
    assert current == validated
    assert figures.export_frame(con, fw, "programme-semester").equals(expected)
    con.close()


def test_the_pack_says_its_figures_are_validated_and_cites_the_locks(demo, fw):
    import io

    from openpyxl import load_workbook

    from ardenne_kpi.committee import briefing, pack

    name, data = _entry(demo, fw, {"BRD09": "4321"})
    importer.import_file(demo, data, name, operator="FTLB", user=PARTNER.name, framework=fw, review=SUBMITTED)
    review.lock(demo, fw, "S10", ADMIN)
    d = briefing.collect(demo, fw)
    assert d.validation_note.startswith("Chiffres validés par la coordination uniquement")
    assert "1 import(s) soumis" in d.validation_note
    assert (
        d.locks_note.startswith("S10 (")
        and f"verrouillée le {dt.date.today():%d/%m/%Y} par {ADMIN.name}" in d.locks_note
    )
    sheet = load_workbook(io.BytesIO(pack.xlsx_bytes(d)))["Lisez-moi"]
    readme = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert readme["Chiffres"] == d.validation_note and readme["Périodes verrouillées"] == d.locks_note
    assert 4321 not in set(d.status["latest_value"].dropna())


def test_the_command_line_lists_validates_sends_back_and_locks(tmp_path, demo_db_path, fw, capsys):
    from ardenne_kpi.cli import main

    path = private_copy(demo_db_path, tmp_path)
    con = db.connect(path)
    ids = []
    for hour, value in ((0, "11"), (1, "12")):
        grid = web_entry.grid(con, fw, "FTLB", "S11")
        line = grid.index[grid["Indicateur"].str.startswith("BRD09")][0]
        grid.loc[line, "Valeur"] = value
        name, data = web_entry.workbook(
            con, fw, "FTLB", "S11", grid, user=PARTNER.name, moment=MOMENT + dt.timedelta(hours=hour)
        )
        ids.append(
            importer.import_file(
                con, data, name, operator="FTLB", user=PARTNER.name, framework=fw, review=SUBMITTED
            ).upload_id
        )
    con.close()
    db_arg = ["--db", str(path)]
    assert main(["review", *db_arg]) == 0
    listed = capsys.readouterr().out
    assert f"n° {ids[0]} " in listed and f"n° {ids[1]} " in listed and "soumis" in listed
    assert "nan" not in listed.split(), "« soumis : nan »: an upload without a message has none"
    assert "soumis :" not in listed
    assert main(["review", "validate", str(ids[1]), *db_arg, "--user", "anne"]) == 0
    assert main(["review", "send-back", str(ids[0]), "--message", "doublon", *db_arg]) == 0
    assert main(["review", "validate", str(ids[0]), *db_arg]) == 1  # sent back: one French sentence
    assert "déjà renvoyé" in capsys.readouterr().err
    assert main(["lock", "S11", *db_arg, "--user", "anne"]) == 0
    assert "verrouillée le" in capsys.readouterr().out
    assert main(["lock", "S99", *db_arg]) == 1
    assert main(["review", *db_arg]) == 0
    out = capsys.readouterr().out
    assert "renvoyé : doublon" in out and "Périodes verrouillées : S11" in out
    con = db.connect(path)
    assert _s11(con, fw, "BRD09") == 12
    con.close()
    assert main(["unlock", "S11", *db_arg]) == 0


def test_a_validated_import_marks_what_a_whole_refresh_marks(demo, fw):
    """A validated upload's values are flagged validated as they land (not by a pass over the
    table): the flags are those `refresh_validated` computes from scratch, after a validated
    import over a submitted one over a validated one."""
    for value, who, how in (("100", ADMIN, VALIDATED), ("250", PARTNER, SUBMITTED), ("300", ADMIN, VALIDATED)):
        name, data = _entry(demo, fw, {"BRD09": value})
        importer.import_file(demo, data, name, operator="FTLB", user=who.name, framework=fw, review=how)
    flags = "SELECT id, is_validated FROM report_values ORDER BY id"
    landed = demo.cursor().execute(flags).fetchall()
    cur = demo.cursor()
    db.imports.refresh_validated(cur)
    assert cur.execute(flags).fetchall() == landed
    assert _s11(demo, fw, "BRD09") == 300
