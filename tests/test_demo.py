"""The demo database: deterministic, with the sourced anchors and the gaps a real portfolio has."""

from __future__ import annotations

import pandas as pd
import pytest

from ardenne_kpi import db, demo, reporting


@pytest.fixture(scope="module")
def demo_con(demo_db_path):
    con = db.connect(demo_db_path)
    yield con
    con.close()


def total(con, indicator, period):
    return con.execute("SELECT sum(value) FROM report_values WHERE indicator = ? AND period = ?",
                       [indicator, period]).fetchone()[0]


def test_demo_is_deterministic(fw):
    (u1, v1), (u2, v2) = demo.build_values(fw), demo.build_values(fw)
    pd.testing.assert_frame_equal(v1, v2)
    pd.testing.assert_frame_equal(u1, u2)


def test_demo_spans_the_programme_quarters(demo_con):
    quarters = [r[0] for r in demo_con.execute(
        "SELECT DISTINCT period FROM report_values WHERE grain = 'quarter' ORDER BY period_start").fetchall()]
    assert quarters[0] == "2016-Q4" and quarters[-1] == "2022-Q1" and len(quarters) == 22


def test_every_operator_reports(demo_con, fw):
    ops = {r[0] for r in demo_con.execute("SELECT DISTINCT operator FROM report_values").fetchall()}
    assert ops == {o.code for o in fw.operators}


@pytest.mark.parametrize(("indicator", "period", "expected"), [
    ("BRD01", "S06", 600), ("BRD01", "S08", 700),          # brand members May 2019, June 2020
    ("ATT05", "S11", 280), ("ATT07", "S11", 4),            # km of cycle routes, bivouac areas
    ("CLI14", "S06", 23000),                               # Routard guides
])
def test_sourced_anchors(demo_con, indicator, period, expected):
    assert total(demo_con, indicator, period) == expected


def test_fourteen_committees_over_the_first_four_semesters(demo_con):
    n = demo_con.execute("SELECT sum(value) FROM report_values WHERE indicator = 'GOV01' "
                         "AND period IN ('S01', 'S02', 'S03', 'S04')").fetchone()[0]
    assert n == 14


def test_eco_management_coaching_in_the_sourced_range(demo_con):
    assert 120 <= total(demo_con, "ATT01", "S10") <= 150


def test_overnight_stays_volume_seasonality_and_covid(demo_con):
    y2019 = demo_con.execute("SELECT sum(value) FROM report_values WHERE indicator = 'CLI08' "
                             "AND period LIKE '2019-Q%'").fetchone()[0]
    assert 7_000_000 < y2019 < 8_500_000
    assert total(demo_con, "CLI08", "2019-Q3") > total(demo_con, "CLI08", "2019-Q1")  # summer peak
    assert total(demo_con, "CLI08", "2020-Q2") < 0.35 * total(demo_con, "CLI08", "2019-Q2")  # lockdown


def test_gaps_an_indicator_never_reported(demo_con):
    assert total(demo_con, demo.NEVER_REPORTED, "2019") is None
    n = demo_con.execute("SELECT count(*) FROM report_values WHERE indicator = ?", [demo.NEVER_REPORTED]).fetchone()[0]
    assert n == 0


def test_gaps_an_operator_late_and_one_missing(demo_db_path, fw):
    con = db.connect(demo_db_path)
    try:
        table = reporting.completeness(con, fw, fw.calendar.semester("S11")).set_index("operator")
    finally:
        con.close()
    assert table.loc[demo.MISSING_LAST_REPORT, "received"] == 0
    assert table.loc[demo.LATE_OPERATOR, "late"] > 0
    assert table.drop(index=[demo.LATE_OPERATOR, demo.MISSING_LAST_REPORT])["late"].sum() == 0


def test_gaps_dimension_key_cells_nobody_serves(fw):
    served = fw.served_cells
    assert 0 < fw.cell_count - len(served) < 12
    assert ("D1", "K04") not in served


def test_demo_database_is_marked(demo_db_path):
    con = db.connect(demo_db_path)
    try:
        assert con.execute("SELECT value FROM meta WHERE name = 'demo'").fetchone()[0] == "true"
    finally:
        con.close()
