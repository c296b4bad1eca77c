"""Completeness and timeliness of partner reports, pinned on hand-built uploads."""

from __future__ import annotations

import datetime as dt

from ardenne_kpi import reporting

# ACW reports three semestrial indicators; S05 = 2018-10-01 .. 2019-03-31, deadline 2019-05-15.
OPERATOR = "ACW"
INDICATORS = ("BRD10", "CLI16", "ATT01")
S05 = (dt.date(2018, 10, 1), dt.date(2019, 3, 31))
S06 = (dt.date(2019, 4, 1), dt.date(2019, 9, 30))
AFTER_ALL = dt.date(2020, 1, 1)


def upload(
    con,
    upload_id: int,
    day: dt.date,
    values: list[tuple[str, str, float]],
    *,
    status: str = "imported",
    supersede: bool = False,
    zones: tuple[str, ...] = ("BE-LUX", "BE-NAM"),
) -> None:
    """One upload by ACW on `day` holding (indicator, period, value) rows, one per zone of
    `zones` (ACW owes its two provinces: a report is received when both are there); `supersede`
    marks the earlier values of the same identities as no longer current, as the engine does."""
    cur = con.cursor()
    cur.execute(
        "INSERT INTO uploads (id, file_name, sha256, operator, uploaded_at, status) VALUES (?, ?, ?, ?, ?, ?)",
        [
            upload_id,
            f"rapport_{upload_id}.xlsx",
            f"sha{upload_id}",
            OPERATOR,
            dt.datetime.combine(day, dt.time(9)),
            status,
        ],
    )
    for (indicator, period, value), zone in ((v, z) for v in values for z in zones):
        start, end = {"S05": S05, "S06": S06}[period]
        if supersede:
            cur.execute(
                "UPDATE report_values SET is_current = FALSE, is_validated = FALSE "
                "WHERE indicator = ? AND operator = ? AND period = ? AND zone = ?",
                [indicator, OPERATOR, period, zone],
            )
        cur.execute(
            """INSERT INTO report_values (indicator, operator, zone, audience, period, grain, period_start,
                       period_end, value, upload_id, sheet, cell, is_current)
                       VALUES (?, ?, ?, '', ?, 'programme-semester', ?, ?, ?, ?, 'Indicateurs', 'F6', TRUE)""",
            [indicator, OPERATOR, zone, period, start, end, value, upload_id],
        )


def acw(items):
    return items[items["operator"] == OPERATOR].set_index(["indicator", "period"])


def test_expected_reports_follow_operators_frequency_and_window(fw):
    expected = reporting.expected_reports(fw, S05, as_of=AFTER_ALL)
    mine = expected[expected["operator"] == OPERATOR]
    assert set(mine["indicator"]) == set(INDICATORS)
    assert set(mine["period"]) == {"S05"}
    assert set(mine["deadline"]) == {dt.date(2019, 5, 15)}


def test_nothing_is_expected_before_the_period_ends(fw):
    expected = reporting.expected_reports(fw, S06, as_of=dt.date(2019, 9, 1))
    assert expected[expected["operator"] == OPERATOR].empty
    assert (expected["period_end"] <= dt.date(2019, 9, 1)).all()


def test_on_time_partial_upload_leaves_the_cell_partial(con, fw):
    upload(con, 1, dt.date(2019, 4, 20), [("BRD10", "S05", 10), ("CLI16", "S05", 4)])
    items = reporting.report_items(con, fw, S05, as_of=AFTER_ALL)
    mine = acw(items)
    assert mine.loc[("BRD10", "S05"), "status"] == "on_time"
    assert mine.loc[("ATT01", "S05"), "status"] == "overdue"
    cell = reporting.matrix(items, fw).set_index("operator").loc[OPERATOR]
    assert (cell["state"], cell["expected"], cell["received"], cell["late"]) == ("partial", 3, 2, 0)


def test_a_report_is_received_only_when_every_owed_zone_is_there(con, fw):
    # ACW owes ATT01 for its two provinces: BE-LUX alone is not the report (the figure says
    # partial too), and its reminder names what is left to send.
    from ardenne_kpi.reporting import reminders

    upload(con, 1, dt.date(2019, 4, 20), [("ATT01", "S05", 7)], zones=("BE-LUX",))
    items = reporting.report_items(con, fw, S05, as_of=AFTER_ALL)
    item = acw(items).loc[("ATT01", "S05")]
    assert not item["received"] and item["status"] == "overdue" and item["missing"] == "BE-NAM"
    semester = fw.calendar.semesters[4]
    (mine,) = [r for r in reminders.build(con, fw, items, semester, today=AFTER_ALL) if r.operator == OPERATOR]
    assert "S05 (oct. 2018 – mars 2019), BE-NAM (le reste est reçu)" in mine.message.get_body().get_content()


def test_late_upload_completes_the_cell_and_counts_as_late(con, fw):
    upload(con, 1, dt.date(2019, 4, 20), [("BRD10", "S05", 10), ("CLI16", "S05", 4)])
    upload(con, 2, dt.date(2019, 6, 30), [("ATT01", "S05", 3)])
    items = reporting.report_items(con, fw, S05, as_of=AFTER_ALL)
    assert acw(items).loc[("ATT01", "S05"), "status"] == "late"
    cell = reporting.matrix(items, fw).set_index("operator").loc[OPERATOR]
    assert (cell["state"], cell["received"], cell["late"], cell["timeliness"]) == ("received", 3, 1, "late")
    row = reporting.completeness(con, fw, S05, as_of=AFTER_ALL).set_index("operator").loc[OPERATOR]
    assert (row["expected"], row["received"], row["late"], row["overdue"]) == (3, 3, 1, 0)
    assert row["share"] == 1.0 and abs(row["on_time_share"] - 2 / 3) < 1e-9


def test_deadline_day_itself_is_on_time(con, fw):
    upload(con, 1, dt.date(2019, 5, 15), [("BRD10", "S05", 10)])
    assert acw(reporting.report_items(con, fw, S05, as_of=AFTER_ALL)).loc[("BRD10", "S05"), "status"] == "on_time"


def test_missing_report_is_pending_before_the_deadline_then_overdue(con, fw):
    before = reporting.report_items(con, fw, S05, as_of=dt.date(2019, 5, 1))
    after = reporting.report_items(con, fw, S05, as_of=dt.date(2019, 5, 16))
    assert set(acw(before)["status"]) == {"pending"}
    assert set(acw(after)["status"]) == {"overdue"}
    assert reporting.matrix(before, fw).set_index("operator").loc[OPERATOR, "state"] == "pending"
    assert reporting.matrix(after, fw).set_index("operator").loc[OPERATOR, "state"] == "missing"


def test_a_late_correction_does_not_make_an_on_time_report_late(con, fw):
    upload(con, 1, dt.date(2019, 4, 20), [("BRD10", "S05", 10)])
    upload(con, 2, dt.date(2019, 8, 1), [("BRD10", "S05", 12)], supersede=True)
    assert acw(reporting.report_items(con, fw, S05, as_of=AFTER_ALL)).loc[("BRD10", "S05"), "status"] == "on_time"


def test_a_rolled_back_upload_counts_for_nothing(con, fw):
    upload(con, 1, dt.date(2019, 4, 20), [("BRD10", "S05", 10)], status="rolled_back")
    con.cursor().execute("UPDATE report_values SET is_current = FALSE WHERE upload_id = 1")
    assert acw(reporting.report_items(con, fw, S05, as_of=AFTER_ALL)).loc[("BRD10", "S05"), "status"] == "overdue"


def test_never_reported_lists_indicators_an_operator_never_sent(con, fw):
    upload(con, 1, dt.date(2019, 4, 20), [("BRD10", "S05", 10), ("CLI16", "S05", 4)])
    never = reporting.never_reported(con, fw, as_of=AFTER_ALL)
    assert never[never["operator"] == OPERATOR]["indicator"].tolist() == ["ATT01"]


def test_matrix_grid_reads_without_colour(con, fw):
    upload(con, 1, dt.date(2019, 4, 20), [("BRD10", "S05", 10), ("CLI16", "S05", 4)])
    upload(con, 2, dt.date(2019, 6, 30), [("ATT01", "S05", 3)])
    items = reporting.report_items(con, fw, S05, as_of=AFTER_ALL)
    text, state = reporting.matrix_grid(reporting.matrix(items, fw), fw, labels=False)
    assert text.loc[OPERATOR, "S05"] == "✔ 3/3 · 1R"
    assert state.loc[OPERATOR, "S05"] == "received"


def test_demo_shows_its_late_operator_and_missing_last_report(demo_db_path, fw):
    from ardenne_kpi import db, demo

    con = db.connect(demo_db_path)
    items = reporting.report_items(con, fw, as_of=AFTER_ALL.replace(year=2026))
    cells = reporting.matrix(items, fw).set_index(["operator", "column"])
    assert cells.loc[(demo.MISSING_LAST_REPORT, demo.MISSING_PERIOD), "state"] == "missing"
    late = reporting.summarise(items, fw).set_index("operator")["late"]
    assert late.idxmax() == demo.LATE_OPERATOR
    never = reporting.never_reported(con, fw)
    assert demo.NEVER_REPORTED in set(never["indicator"])
