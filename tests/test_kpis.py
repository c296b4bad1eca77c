"""KPI arithmetic pinned on hand-built data: aggregation rules, periods, completeness,
progress and status, the Interreg view, lineage and the `export kpis` command."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math

import pandas as pd
import pytest

from ardenne_kpi import db, figures
from ardenne_kpi.cli import main
from ardenne_kpi.core.format import csv_excel_fr
from ardenne_kpi.core.periods import period_from_code
from ardenne_kpi.framework import parse_framework
from ardenne_kpi.intake import importer

FRAMEWORK = """
version: test
calendar:
  semesters:
    - {code: S01, start: 2016-10-01, end: 2017-03-31}
    - {code: S02, start: 2017-04-01, end: 2017-09-30}
    - {code: S03, start: 2017-10-01, end: 2018-03-31}
    - {code: S04, start: 2018-04-01, end: 2018-09-30}
    - {code: S05, start: 2018-10-01, end: 2019-03-31}
    - {code: S06, start: 2019-04-01, end: 2019-09-30}
    - {code: S07, start: 2019-10-01, end: 2020-03-31}
status_thresholds: {on_track: 0.95, at_risk: 0.75}
dimensions: [{code: D1, label: Branding}]
themes: [{code: T1, label: Offre}]
keys: [{code: K01, label: Organisation, theme: T1}]
objectives: [{code: O01, label: Notoriété}]
audiences:
  - {code: VIS, label: Visiteurs}
  - {code: NL, label: Néerlandais, parent: VIS}
zones:
  - {code: ARD, label: Ardenne}
  - {code: FR-08, label: Ardennes, parent: ARD}
  - {code: BE-LUX, label: Luxembourg, parent: ARD}
operators:
  - {code: OPA, label: Opérateur A, zones: [FR-08]}
  - {code: OPB, label: Opérateur B, zones: [BE-LUX]}
projects:
  - {code: PIL, label: Pilote, kind: pilote, lead: OPA, start: 2016-10-01, end: 2020-03-31}
indicators:
  - {code: FLOW, label: Nuitées, unit: nb, direction: up, frequency: Q, agg_time: sum, agg_space: sum,
     baseline: {value: 100, period: '2016'}, targets: [{value: 200, period: '2020'}],
     dimensions: [D1], keys: [K01], project: PIL, operators: [OPA, OPB]}
  - {code: STOCK, label: Adhérents, unit: nb, direction: up, frequency: Q, agg_time: last, agg_space: sum,
     baseline: {value: 0, period: '2016'}, targets: [{value: 100, period: '2020'}],
     dimensions: [D1], keys: [K01], project: PIL, operators: [OPA, OPB]}
  - {code: RATE, label: Taux, unit: '%', direction: up, frequency: Q, agg_time: mean, agg_space: mean,
     baseline: {value: 10, period: '2016'}, targets: [{value: 50, period: '2020'}],
     dimensions: [D1], keys: [K01], project: PIL, operators: [OPA, OPB]}
  - {code: SEM, label: Contacts, unit: nb, direction: up, frequency: S, agg_time: sum, agg_space: sum,
     baseline: {value: 10, period: S01}, targets: [{value: 30, period: S07}],
     dimensions: [D1], keys: [K01], project: PIL, operators: [OPA]}
  - {code: DOWN, label: Taux de rebond, unit: '%', direction: down, frequency: Y, agg_time: mean, agg_space: mean,
     baseline: {value: 60, period: '2016'}, targets: [{value: 40, period: '2020'}],
     dimensions: [D1], keys: [K01], project: PIL, operators: [OPA]}
  - {code: KEEP, label: Comités, unit: nb, direction: up, frequency: S, agg_time: sum, agg_space: sum,
     baseline: {value: 3.5, period: S04}, targets: [{value: 3, period: S07}],
     dimensions: [D1], keys: [K01], project: PIL, operators: [OPA]}
  - {code: MILE, label: Membres, unit: nb, direction: up, frequency: S, agg_time: last, agg_space: sum,
     baseline: {value: 400, period: S01}, targets: [{value: 600, period: 2019-05}, {value: 800, period: S07}],
     dimensions: [D1], keys: [K01], project: PIL, operators: [OPA]}
"""


OPEN = FRAMEWORK.replace("operators: [OPA, OPB]}", "operators: []}").replace("operators: [OPA]}", "operators: []}")


@pytest.fixture
def fw():
    # Nobody owes anything here: every series is data, expected between its first and its last
    # report (expected.py); obligations have their own tests (test_obligations, test_expected).
    return parse_framework(OPEN)


@pytest.fixture
def con(tmp_path, fw):
    connection = db.connect(tmp_path / "t.duckdb")
    db.sync_framework(connection, fw)
    yield connection
    connection.close()


def put(con, fw, rows: list[tuple]) -> None:
    """Store values: (indicator, operator, zone, period, value[, audience]); one upload per operator."""
    ops = sorted({r[1] for r in rows})
    uploads = pd.DataFrame(
        {
            "id": range(1, len(ops) + 1),
            "file_name": [f"rapport_{o}.xlsx" for o in ops],
            "sha256": [f"h{o}" for o in ops],
            "size_bytes": 0,
            "operator": ops,
            "uploaded_by": "test",
            "uploaded_at": dt.datetime(2020, 5, 1, 10),
            "status": "imported",
            "inserted": 0,
        }
    )
    values = []
    for n, (indicator, operator, zone, code, value, *audience) in enumerate(rows):
        p = period_from_code(code, fw.calendar)
        values.append(
            {
                "indicator": indicator,
                "operator": operator,
                "zone": zone,
                "audience": audience[0] if audience else "",
                "period": p.code,
                "grain": p.grain,
                "period_start": p.start,
                "period_end": p.end,
                "value": float(value),
                "comment": None,
                "upload_id": ops.index(operator) + 1,
                "sheet": "Indicateurs",
                "cell": f"H{n + 6}",
            }
        )
    db.write_demo(con, uploads, pd.DataFrame(values))


def quarters(indicator, operator, zone, year, values):
    return [(indicator, operator, zone, f"{year}-Q{q}", v) for q, v in enumerate(values, start=1) if v is not None]


def row(frame: pd.DataFrame, period: str) -> pd.Series:
    return frame.set_index("period").loc[period]


# ------------------------------------------------------------------ aggregation rules


def test_flows_add_up_over_time_and_zones(con, fw):
    put(
        con,
        fw,
        quarters("FLOW", "OPA", "FR-08", 2019, [1, 2, 3, 4])
        + quarters("FLOW", "OPB", "BE-LUX", 2019, [10, 20, 30, 40]),
    )
    year = row(figures.aggregate(con, fw, "FLOW", "year"), "2019")
    assert year["value"] == 110 and year["complete"]


def test_stocks_take_the_last_value_then_add_across_zones(con, fw):
    put(
        con,
        fw,
        quarters("STOCK", "OPA", "FR-08", 2019, [10, 12, 15, 20])
        + quarters("STOCK", "OPB", "BE-LUX", 2019, [5, 6, 7, 8]),
    )
    assert row(figures.aggregate(con, fw, "STOCK", "year"), "2019")["value"] == 28


def test_rates_average_over_time_and_zones(con, fw):
    put(
        con,
        fw,
        quarters("RATE", "OPA", "FR-08", 2019, [10, 20, 30, 40]) + quarters("RATE", "OPB", "BE-LUX", 2019, [50] * 4),
    )
    assert row(figures.aggregate(con, fw, "RATE", "year"), "2019")["value"] == pytest.approx(37.5)


def test_breakdown_by_zone_keeps_each_zone_apart(con, fw):
    put(
        con,
        fw,
        quarters("FLOW", "OPA", "FR-08", 2019, [1, 2, 3, 4])
        + quarters("FLOW", "OPB", "BE-LUX", 2019, [10, 20, 30, 40]),
    )
    parts = figures.aggregate(con, fw, "FLOW", "year", by="zone").set_index("zone")["value"]
    assert parts.to_dict() == {"BE-LUX": 100, "FR-08": 10}


def test_zone_filter_includes_the_zones_under_it(con, fw):
    put(
        con,
        fw,
        quarters("FLOW", "OPA", "FR-08", 2019, [1, 2, 3, 4])
        + quarters("FLOW", "OPB", "BE-LUX", 2019, [10, 20, 30, 40]),
    )
    assert row(figures.aggregate(con, fw, "FLOW", "year", zones=["FR-08"]), "2019")["value"] == 10
    assert row(figures.aggregate(con, fw, "FLOW", "year", zones=["ARD"]), "2019")["value"] == 110


# ------------------------------------------------------------------ periods


def test_q4_and_next_q1_make_a_programme_semester(con, fw):
    put(con, fw, [("FLOW", "OPA", "FR-08", "2018-Q4", 7), ("FLOW", "OPA", "FR-08", "2019-Q1", 5)])
    s05 = row(figures.aggregate(con, fw, "FLOW", "programme-semester"), "S05")
    assert s05["value"] == 12 and s05["complete"]
    assert s05["period_start"] == dt.date(2018, 10, 1) and s05["period_end"] == dt.date(2019, 3, 31)


def test_four_quarters_make_a_year_and_a_partial_year_is_flagged(con):
    fw = parse_framework(FRAMEWORK.replace("operators: [OPA, OPB]}", "operators: [OPA]}"))  # OPA owes FLOW
    put(
        con,
        fw,
        quarters("FLOW", "OPA", "FR-08", 2018, [None, None, None, 7])
        + quarters("FLOW", "OPA", "FR-08", 2019, [1, 1, 1, 1]),
    )
    years = figures.aggregate(con, fw, "FLOW", "year")
    assert row(years, "2019")["value"] == 4 and row(years, "2019")["complete"]
    assert row(years, "2018")["value"] == 7 and not row(years, "2018")["complete"]


def test_a_programme_semester_is_never_part_of_a_calendar_year(con, fw):
    put(
        con,
        fw,
        [("SEM", "OPA", "ARD", "S05", 100), ("SEM", "OPA", "ARD", "S06", 10), ("SEM", "OPA", "ARD", "S07", 1000)],
    )
    y2019 = row(figures.aggregate(con, fw, "SEM", "year"), "2019")
    # S06 (April–September) lies inside 2019 but half a year is not a year: never built.
    assert math.isnan(y2019["value"]) and not y2019["complete"]
    assert "Année civile non calculable" in y2019["note"]
    assert "S05" in y2019["note"] and "S07" in y2019["note"] and "chevauchent" in y2019["note"]


def test_a_straddling_value_alone_gives_no_value_and_says_why(con, fw):
    put(con, fw, [("SEM", "OPA", "ARD", "S05", 100)])
    years = figures.aggregate(con, fw, "SEM", "year")
    assert years["value"].isna().all()
    assert all("S05" in n for n in years["note"])


def test_a_missing_quarter_keeps_the_partial_sum_flagged_incomplete(con, fw):
    put(con, fw, quarters("FLOW", "OPA", "FR-08", 2019, [1, 2, None, 4]))
    y = row(figures.aggregate(con, fw, "FLOW", "year"), "2019")
    assert y["value"] == 7 and not y["complete"]
    assert "partielle" in y["note"]


def test_a_zone_missing_its_quarter_makes_the_period_incomplete(con):
    fw = parse_framework(FRAMEWORK)  # both operators owe FLOW every quarter
    put(
        con,
        fw,
        quarters("FLOW", "OPA", "FR-08", 2019, [1, 1, 1, 1]) + quarters("FLOW", "OPB", "BE-LUX", 2019, [1, 1, 1, None]),
    )
    y = row(figures.aggregate(con, fw, "FLOW", "year"), "2019")
    assert y["value"] == 7 and not y["complete"]


def test_not_reported_is_not_zero(con, fw):
    put(con, fw, quarters("FLOW", "OPA", "FR-08", 2019, [1, None, 3, 4]))
    q2 = row(figures.aggregate(con, fw, "FLOW", "quarter"), "2019-Q2")
    assert math.isnan(q2["value"]) and not q2["complete"] and "non déclaré" in q2["note"]


def test_a_yearly_value_is_not_split_into_quarters(con, fw):
    put(con, fw, [("DOWN", "OPA", "ARD", "2019", 50)])
    q = figures.aggregate(con, fw, "DOWN", "quarter")
    assert q["value"].isna().all() and "plus longue" in q["note"].iloc[0]


def test_cumulative_adds_flows_and_keeps_stocks(con, fw):
    put(
        con,
        fw,
        quarters("FLOW", "OPA", "FR-08", 2019, [1, 2, 3, 4]) + quarters("STOCK", "OPA", "FR-08", 2019, [5, 6, 7, 8]),
    )
    assert figures.aggregate(con, fw, "FLOW", "quarter")["cumulative"].tolist() == [1, 3, 6, 10]
    stock = figures.aggregate(con, fw, "STOCK", "quarter")
    assert stock["cumulative"].tolist()[:4] == [5, 6, 7, 8]
    # a stock does not vanish: still expected until its project ends, missing there, never zero
    assert stock["period"].tolist()[4:] == ["2020-Q1"] and math.isnan(stock["cumulative"].iloc[4])


def test_aggregate_on_an_empty_database_is_empty(con, fw):
    out = figures.aggregate(con, fw, "FLOW", "year")
    assert out.empty and list(out.columns) == figures.AGGREGATE_COLUMNS


# ------------------------------------------------------------------ progress and status


def test_expected_value_follows_a_linear_pace_through_dated_targets(fw):
    ind = fw.indicator("MILE")  # 400 at S01 end (2017-03-31), 600 at 2019-05-31, 800 at S07 end (2020-03-31)
    assert figures.expected_value(ind, dt.date(2017, 3, 31)) == 400
    assert figures.expected_value(ind, dt.date(2019, 5, 31)) == 600
    middle = dt.date(2017, 3, 31) + (dt.date(2019, 5, 31) - dt.date(2017, 3, 31)) / 2
    assert figures.expected_value(ind, middle) == pytest.approx(500, abs=0.5)
    assert figures.next_target(ind, dt.date(2019, 3, 31)).period.code == "2019-05"
    assert figures.next_target(ind, dt.date(2019, 9, 30)).period.code == "S07"


@pytest.mark.parametrize(("value", "status"), [(160, "on_track"), (150, "at_risk"), (130, "off_track")])
def test_status_of_a_higher_is_better_indicator(con, fw, value, status):
    # FLOW: 100 in 2016, 200 a year by 2020, a target dated after the programme's end
    # (31/03/2020) and so judged there: expected for 2018 ≈ 161.6 (730 days out of 1 186).
    put(con, fw, quarters("FLOW", "OPA", "FR-08", 2018, [value / 4] * 4))
    st = figures.indicator_status(con, fw).set_index("indicator").loc["FLOW"]
    assert st["latest_period"] == "2018" and st["latest_value"] == value
    assert st["expected"] == pytest.approx(100 + 100 * 730 / 1186, abs=0.01)
    assert st["progress"] == pytest.approx((value - 100) / 100)
    assert st["status"] == status


@pytest.mark.parametrize(("value", "status"), [(48, "on_track"), (50, "at_risk"), (55, "off_track")])
def test_status_of_a_lower_is_better_indicator(con, fw, value, status):
    # DOWN: 60 in 2016 down to 40 in 2020, judged at the programme's end (31/03/2020):
    # expected for 2018 ≈ 47.7 (730 days out of 1 186).
    put(con, fw, [("DOWN", "OPA", "ARD", "2018", value)])
    st = figures.indicator_status(con, fw).set_index("indicator").loc["DOWN"]
    assert st["progress"] == pytest.approx((60 - value) / 20)
    assert st["status"] == status


def test_a_yearly_flow_target_is_judged_on_a_whole_year_not_a_quarter(con, fw):
    put(
        con,
        fw,
        quarters("FLOW", "OPA", "FR-08", 2018, [40, 40, 40, 30])
        + quarters("FLOW", "OPA", "FR-08", 2019, [45, None, None, None]),
    )
    st = figures.indicator_status(con, fw).set_index("indicator").loc["FLOW"]
    assert st["latest_period"] == "2018" and st["latest_value"] == 150 and st["complete"]


def test_a_target_below_the_baseline_is_a_floor_to_keep(con, fw):
    put(con, fw, [("KEEP", "OPA", "ARD", "S06", 3)])
    st = figures.indicator_status(con, fw).set_index("indicator").loc["KEEP"]
    assert st["progress"] == 1 and st["status"] == "on_track"


def test_no_values_means_no_data_not_off_track(con, fw):
    st = figures.indicator_status(con, fw)
    assert set(st["status"]) == {"no_data"} and list(st.columns[:14]) == figures.INDICATOR_STATUS_COLUMNS[:14]
    assert set(figures.STATUS_LABELS) == set(figures.STATUS_COLORS)


def test_status_thresholds_come_from_the_framework(fw):
    assert figures.status_of(fw, 0.95) == "on_track" and figures.status_of(fw, 0.949) == "at_risk"
    assert figures.status_of(fw, 0.75) == "at_risk" and figures.status_of(fw, 0.7) == "off_track"
    assert figures.status_of(fw, float("nan")) == "no_data"


# ------------------------------------------------------------------ Interreg view, lineage


def test_interreg_view_previously_reported_plus_this_period_is_the_total(con, fw):
    put(con, fw, [("SEM", "OPA", "ARD", "S05", 10), ("SEM", "OPA", "ARD", "S06", 20), ("SEM", "OPA", "ARD", "S07", 30)])
    view = figures.interreg_view(fw, "SEM", figures.aggregate(con, fw, "SEM", "programme-semester"))
    assert view["previously_reported"].tolist() == [0, 10, 30]
    assert view["this_period"].tolist() == [10, 20, 30]
    assert view["total"].tolist() == [10, 30, 60]
    # Target: the planned total, the expected value of every semester from S05 to the final target (S07).
    planned = sum(
        figures.expected_value(fw.indicator("SEM"), period_from_code(c, fw.calendar).end) for c in ("S05", "S06", "S07")
    )
    assert view["target"].iloc[-1] == pytest.approx(planned)
    assert view["progress"].iloc[-1] == pytest.approx(60 / planned)


def test_interreg_view_of_a_stock_reports_the_increase(con, fw):
    put(con, fw, [("MILE", "OPA", "ARD", "S05", 500), ("MILE", "OPA", "ARD", "S06", 620)])
    agg = figures.aggregate(con, fw, "MILE", "programme-semester")
    view = figures.interreg_view(fw, "MILE", agg[agg["value"].notna()])  # S07 is due, not reported yet
    assert view["this_period"].tolist() == [100, 120] and view["total"].tolist() == [500, 620]


def test_lineage_lists_the_stored_values_behind_a_figure(con, fw):
    put(con, fw, quarters("FLOW", "OPA", "FR-08", 2019, [1, 2, 3, 4]) + [("FLOW", "OPA", "FR-08", "2020-Q1", 9)])
    behind = figures.lineage(con, fw, "FLOW", "2019")
    assert list(behind.columns) == figures.LINEAGE_COLUMNS
    assert behind["value"].sum() == 10 and set(behind["period"]) == {"2019-Q1", "2019-Q2", "2019-Q3", "2019-Q4"}
    assert set(behind["file_name"]) == {"rapport_OPA.xlsx"} and behind["cell"].str.startswith("H").all()
    assert importer.original_file(con, int(behind["upload_id"].iloc[0])) is None  # no kept file


def test_french_excel_csv_uses_semicolons_decimal_commas_and_a_bom(con, fw):
    put(con, fw, quarters("RATE", "OPA", "FR-08", 2019, [10.5, 20, 30, 40]))
    trend = figures.trends(con, fw, ["RATE"], "quarter")["RATE"]
    data = csv_excel_fr(figures.values_table(fw, "RATE", trend))
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Période;Valeur") and ";10,5;" in text


# ------------------------------------------------------------------ command line


def test_export_kpis_writes_one_row_per_indicator_and_period(tmp_path):
    fw = parse_framework(FRAMEWORK.replace("operators: [OPA, OPB]}", "operators: [OPA]}"))  # OPA owes FLOW
    path = tmp_path / "k.duckdb"
    con = db.connect(path)
    db.sync_framework(con, fw)
    put(
        con,
        fw,
        quarters("FLOW", "OPA", "FR-08", 2018, [25, 25, 25, 25])
        + quarters("FLOW", "OPA", "FR-08", 2019, [1, 2, None, 4]),
    )
    con.close()
    out = tmp_path / "kpis.csv"
    assert main(["export", "kpis", "--grain", "year", "--out", str(out), "--db", str(path)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert list(rows[0]) == [
        "indicator",
        "period",
        "period_start",
        "period_end",
        "value",
        "complete",
        "cumulative",
        "baseline",
        "target",
        "progress",
        "status",
        "rule",
        "note",
    ]
    by_period = {r["period"]: r for r in rows if r["indicator"] == "FLOW"}
    rule = "Somme des périodes ; somme des séries ; production des opérateurs : s'additionne entre opérateurs et zones."
    assert by_period["2018"] == {
        "indicator": "FLOW",
        "period": "2018",
        "period_start": "2018-01-01",
        "period_end": "2018-12-31",
        "value": "100",
        "complete": "true",
        "cumulative": "100",
        "baseline": "100",
        "target": "200",
        "progress": "0",
        "status": "off_track",
        "rule": rule,
        "note": "",
    }
    assert by_period["2019"]["complete"] == "false" and by_period["2019"]["value"] == "7"
    # A partial year is neither judged nor given a progress, and says what is missing.
    assert by_period["2019"]["status"] == "" and by_period["2019"]["progress"] == ""
    assert by_period["2019"]["note"].startswith(
        "Valeur partielle, sans progression ni statut : OPA (FR-08) n'a pas rapporté T3 2019"
    )


def test_export_kpis_refuses_a_missing_database(tmp_path, capsys):
    code = main(
        ["export", "kpis", "--grain", "year", "--out", str(tmp_path / "x.csv"), "--db", str(tmp_path / "no.duckdb")]
    )
    assert code == 1 and "n'existe pas" in capsys.readouterr().err


def test_a_stock_is_its_value_at_the_periods_end_one_date_one_value(con, fw):
    # Zone B has not reported Q4: the stock at 31 December is OPA's alone, partial and saying so,
    # the same figure and the same note for the quarter and for the year that end that day.
    put(
        con,
        fw,
        quarters("STOCK", "OPA", "FR-08", 2019, [10, 12, 15, 20])
        + quarters("STOCK", "OPB", "BE-LUX", 2019, [5, 6, 7, None]),
    )
    y = row(figures.aggregate(con, fw, "STOCK", "year"), "2019")
    q4 = row(figures.aggregate(con, fw, "STOCK", "quarter"), "2019-Q4")
    assert y["value"] == q4["value"] == 20 and not y["complete"] and not q4["complete"]
    assert (
        "OPB (BE-LUX) n'a pas rapporté T4 2019" in y["note"] and "OPB (BE-LUX) n'a pas rapporté T4 2019" in q4["note"]
    )


def test_an_incomplete_rate_averages_each_series_then_the_series(con, fw):
    put(
        con,
        fw,
        quarters("RATE", "OPA", "FR-08", 2019, [10, 20, 30, 40])
        + quarters("RATE", "OPB", "BE-LUX", 2019, [50, 50, None, None]),
    )
    y = row(figures.aggregate(con, fw, "RATE", "year"), "2019")
    assert y["value"] == pytest.approx(37.5) and not y["complete"]


def test_quarters_and_the_year_of_one_series_are_not_counted_twice(con, fw):
    put(con, fw, quarters("FLOW", "OPA", "FR-08", 2019, [1, 2, 3, 4]) + [("FLOW", "OPA", "FR-08", "2019", 10)])
    y = row(figures.aggregate(con, fw, "FLOW", "year"), "2019")
    assert y["value"] == 10 and y["complete"]
