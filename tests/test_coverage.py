"""Coverage matrices pinned on a hand-built framework and status frame: exact counts, states,
filters; then the database path (window counts, zone and audience scope) and the heatmap."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from ardenne_kpi import charts, db, demo
from ardenne_kpi.core.periods import parse_period
from ardenne_kpi.figures import coverage
from ardenne_kpi.figures.coverage import Filters
from ardenne_kpi.framework import parse_framework

FRAMEWORK = """
version: cov-test
calendar:
  semesters:
    - {code: S01, start: 2016-10-01, end: 2017-03-31}
    - {code: S02, start: 2017-04-01, end: 2017-09-30}
    - {code: S03, start: 2017-10-01, end: 2018-03-31}
    - {code: S04, start: 2018-04-01, end: 2018-09-30}
dimensions: [{code: D1, label: Branding}, {code: D2, label: Clients}]
themes: [{code: T1, label: Offre}, {code: T2, label: Accessibilité}]
keys:
  - {code: K1, label: Organisation, theme: T1}
  - {code: K2, label: Produits, theme: T1}
  - {code: K3, label: Placement, theme: T2}
objectives: [{code: O1, label: Notoriété}, {code: O2, label: Ventes}]
audiences:
  - {code: VIS, label: Visiteurs}
  - {code: NL, label: Néerlandais, parent: VIS}
  - {code: HAB, label: Habitants}
zones:
  - {code: ARD, label: Ardenne}
  - {code: FR-08, label: Ardennes, parent: ARD}
  - {code: BE-LUX, label: Luxembourg, parent: ARD}
operators:
  - {code: OP1, label: Opérateur un, zones: [FR-08]}
  - {code: OP2, label: Opérateur deux, zones: [BE-LUX]}
projects:
  - code: P1
    label: Pilote
    kind: pilote
    lead: OP1
    work_modules:
      - code: P1-WP1
        label: Module
        activities: [{code: A1, label: Activité un}, {code: A2, label: Activité deux}]
  - {code: P2, label: Cyclo, kind: associé, lead: OP2}
indicators:
  - {code: I1, label: Un, unit: nb, direction: up, frequency: S, agg_time: sum, agg_space: sum,
     baseline: {value: 0, period: S01}, targets: [{value: 10, period: S04}],
     dimensions: [D1], keys: [K1, K2], objectives: [O1], audiences: [VIS], project: P1,
     activities: [A1], operators: [OP1]}
  - {code: I2, label: Deux, unit: nb, direction: up, frequency: S, agg_time: sum, agg_space: sum,
     baseline: {value: 0, period: S01}, targets: [{value: 10, period: S04}],
     dimensions: [D1, D2], keys: [K2], objectives: [O2], audiences: [HAB], project: P1,
     activities: [A1, A2], operators: [OP2]}
  - {code: I3, label: Trois, unit: nb, direction: up, frequency: S, agg_time: sum, agg_space: sum,
     baseline: {value: 0, period: S01}, targets: [{value: 10, period: S04}],
     dimensions: [D2], keys: [K2], objectives: [O2], audiences: [NL], project: P2, operators: [OP1]}
  - {code: I4, label: Quatre, unit: nb, direction: up, frequency: S, agg_time: sum, agg_space: sum,
     baseline: {value: 0, period: S01}, targets: [{value: 10, period: S04}],
     dimensions: [D2], keys: [K3], objectives: [O1], audiences: [HAB], project: P2, operators: [OP2]}
"""


@pytest.fixture(scope="module")
def small():
    return parse_framework(FRAMEWORK)


@pytest.fixture
def status():
    """The kpis contract, hand-built: I1 at risk, I2 off track, I3 and I4 without values."""
    return pd.DataFrame(
        {
            "indicator": ["I1", "I2", "I3", "I4"],
            "label": ["Un", "Deux", "Trois", "Quatre"],
            "status": ["at_risk", "off_track", "no_data", "no_data"],
            "progress": [0.8, 0.3, float("nan"), float("nan")],
            "n_in_window": [3, 2, 0, 0],
        }
    )


def cells(m: coverage.Matrix) -> dict[tuple[str, str], tuple]:
    return {
        (r, c): (n, d, a, s)
        for r, c, n, d, a, s in m.cells[
            ["row", "col", "n_indicators", "n_with_data", "n_activities", "state"]
        ].itertuples(index=False)
    }


def test_dimension_key_counts_and_states(small, status):
    m = coverage.matrix(small, "dimension_key", status)
    assert cells(m) == {
        ("D1", "K1"): (1, 1, 1, "on_track"),  # I1 is only "à surveiller": not behind
        ("D1", "K2"): (2, 2, 2, "behind"),  # I2 off track
        ("D1", "K3"): (0, 0, 0, "not_served"),
        ("D2", "K1"): (0, 0, 0, "not_served"),
        ("D2", "K2"): (2, 1, 2, "behind"),  # I2 reported and off track, I3 not reported
        ("D2", "K3"): (1, 0, 0, "not_reported"),  # I4 mapped, never reported
    }
    assert m.cell("D1", "K2")["mean_progress"] == pytest.approx(0.55)
    assert math.isnan(m.cell("D2", "K3")["mean_progress"])
    assert m.cell("D1", "K2")["indicators"] == ("I1", "I2")
    assert m.state_counts() == {"not_served": 2, "not_reported": 1, "behind": 2, "on_track": 1}


def test_dimension_theme_counts_an_indicator_once_per_theme(small, status):
    m = coverage.matrix(small, "dimension_theme", status)
    assert cells(m) == {
        ("D1", "T1"): (2, 2, 2, "behind"),  # I1 serves K1 and K2, both in T1: counted once
        ("D1", "T2"): (0, 0, 0, "not_served"),
        ("D2", "T1"): (2, 1, 2, "behind"),
        ("D2", "T2"): (1, 0, 0, "not_reported"),
    }


def test_objective_key(small, status):
    m = coverage.matrix(small, "objective_key", status)
    assert cells(m) == {
        ("O1", "K1"): (1, 1, 1, "on_track"),
        ("O1", "K2"): (1, 1, 1, "on_track"),
        ("O1", "K3"): (1, 0, 0, "not_reported"),
        ("O2", "K1"): (0, 0, 0, "not_served"),
        ("O2", "K2"): (2, 1, 2, "behind"),
        ("O2", "K3"): (0, 0, 0, "not_served"),
    }


def test_project_dimension(small, status):
    m = coverage.matrix(small, "project_dimension", status)
    assert cells(m) == {
        ("P1", "D1"): (2, 2, 2, "behind"),
        ("P1", "D2"): (1, 1, 2, "behind"),
        ("P2", "D1"): (0, 0, 0, "not_served"),
        ("P2", "D2"): (2, 0, 0, "not_reported"),
    }


def test_operator_dimension(small, status):
    m = coverage.matrix(small, "operator_dimension", status)
    assert cells(m) == {
        ("OP1", "D1"): (1, 1, 1, "on_track"),
        ("OP1", "D2"): (1, 0, 0, "not_reported"),
        ("OP2", "D1"): (1, 1, 2, "behind"),
        ("OP2", "D2"): (2, 1, 2, "behind"),
    }


def test_operator_rows_count_only_what_that_operator_reported(small, status):
    # I3 is OP1's; its values in the window came from OP2 only: OP1's own report is missing.
    frame = status.assign(n_in_window=[3, 2, 4, 0], n_by_operator=[{"OP1": 3}, {"OP2": 2}, {"OP2": 4}, {}])
    m = coverage.matrix(small, "operator_dimension", frame)
    assert cells(m)[("OP1", "D2")] == (1, 0, 0, "not_reported")
    assert cells(m)[("OP1", "D1")] == (1, 1, 1, "on_track")
    assert coverage.matrix(small, "dimension_key", frame).cell("D2", "K2")["n_with_data"] == 2


def test_cells_follow_framework_order_and_grid_is_rows_by_columns(small, status):
    m = coverage.matrix(small, "dimension_key", status)
    grid = m.grid("n_indicators")
    assert list(grid.index) == ["D1", "D2"] and list(grid.columns) == ["K1", "K2", "K3"]
    assert grid.to_numpy().tolist() == [[1, 2, 0], [0, 2, 1]]


def test_indicator_absent_from_status_counts_as_not_reported(small, status):
    m = coverage.matrix(small, "dimension_key", status[status["indicator"] != "I4"])
    assert m.cell("D2", "K3")["state"] == "not_reported"


def test_n_values_stands_for_window_count_when_absent(small, status):
    frame = status.drop(columns="n_in_window").assign(n_values=[0, 2, 0, 0])
    m = coverage.matrix(small, "dimension_key", frame)
    assert m.cell("D1", "K1")["state"] == "not_reported"


def test_status_frame_without_required_columns_is_refused(small):
    with pytest.raises(ValueError, match="status"):
        coverage.matrix(small, "dimension_key", pd.DataFrame({"indicator": ["I1"]}))


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(project="P2"), {"I3", "I4"}),
        (Filters(operator="OP2"), {"I2", "I4"}),
        (Filters(audience="NL"), {"I1", "I3"}),  # I1 targets all visitors, NL among them
        (Filters(audience="VIS"), {"I1", "I3"}),  # I3 targets a part of the visitors
        (Filters(audience="HAB"), {"I2", "I4"}),
        (Filters(zone="BE-LUX"), {"I2", "I4"}),  # OP2 works in BE-LUX
        (Filters(zone="ARD"), {"I1", "I2", "I3", "I4"}),
        (Filters(project="P1", zone="FR-08"), {"I1"}),
    ],
)
def test_filters_select_indicators(small, filters, expected):
    assert {i.code for i in coverage.selected_indicators(small, filters)} == expected


def test_filtered_matrix_only_counts_selected_indicators(small, status):
    m = coverage.matrix(small, "dimension_key", status, Filters(project="P2"))
    assert cells(m)[("D2", "K2")] == (1, 0, 0, "not_reported")
    assert cells(m)[("D1", "K2")] == (0, 0, 0, "not_served")


def test_value_scope_keeps_zone_parts_and_all_audience_values(small):
    scope = coverage.value_scope(small, Filters(zone="ARD", audience="VIS"))
    assert scope == {"zones": ["ARD", "BE-LUX", "FR-08"], "audiences": ["", "NL", "VIS"]}
    assert coverage.value_scope(small, Filters()) == {"zones": None, "audiences": None}


def test_window_of_periods(small):
    assert coverage.window_of(small, "S02", "S03") == (dt.date(2017, 4, 1), dt.date(2018, 3, 31))
    assert coverage.window_of(small) == (dt.date(2016, 10, 1), dt.date(2018, 9, 30))
    with pytest.raises(coverage.ArdenneError, match="commence après"):
        coverage.window_of(small, "S03", "S01")


def test_cell_table_has_french_headers_and_statuses(small, status):
    m = coverage.matrix(small, "dimension_key", status)
    table = coverage.cell_table(m, "D1", "K2")
    assert list(table["Indicateur"]) == ["I1", "I2"]
    assert list(table["Statut"]) == ["À surveiller", "En retard"]
    assert coverage.cell_table(m, "D1", "K3").empty


# ------------------------------------------------------------------ from the database


def _store(con, fw, rows):
    """Store values (indicator, operator, zone, audience, period code, period_end, value, comment)."""
    uploads = pd.DataFrame(
        [
            {
                "id": 1,
                "file_name": "rapport.xlsx",
                "sha256": "x",
                "size_bytes": 0,
                "operator": "OP1",
                "uploaded_by": "test",
                "uploaded_at": dt.datetime(2018, 11, 2, 9, 0),
                "status": "demo",
                "inserted": len(rows),
            }
        ]
    )
    periods = {p: parse_period(p, fw.calendar) for *_, p, _, _ in rows}
    values = pd.DataFrame(
        [
            {
                "indicator": i,
                "operator": o,
                "zone": z,
                "audience": a,
                "period": p,
                "grain": periods[p].grain,
                "period_start": periods[p].start,
                "period_end": periods[p].end,
                "value": v,
                "comment": c,
                "upload_id": 1,
                "sheet": "Indicateurs",
                "cell": "H6",
            }
            for i, o, z, a, p, v, c in rows
        ]
    )
    db.sync_framework(con, fw)
    db.write_demo(con, uploads, values)


@pytest.fixture
def small_db(tmp_path, small):
    con = db.connect(tmp_path / "cov.duckdb")
    _store(
        con,
        small,
        [
            ("I1", "OP1", "FR-08", "", "S01", 2.0, None),
            ("I1", "OP1", "FR-08", "", "S03", 4.0, "=1+1"),
            ("I2", "OP2", "BE-LUX", "HAB", "S02", 3.0, None),
            ("I2", "OP2", "ARD", "", "S04", 9.0, None),
        ],
    )
    yield con
    con.close()


def test_compute_counts_values_whose_period_ends_in_the_window(small_db, small):
    cov = coverage.compute(small_db, small, Filters(window=coverage.window_of(small, "S03", "S04")))
    m = cov["dimension_key"]
    assert m.cell("D1", "K2")["n_with_data"] == 2
    detail = m.cell_detail("D1", "K2").set_index("indicator")
    assert detail.loc["I1", "n_in_window"] == 1 and detail.loc["I2", "n_in_window"] == 1
    assert detail.loc["I1", "comment"] == "=1+1"
    assert "rapport.xlsx (02/11/2018)" in detail.loc["I1", "source"]
    assert cov.last_update == dt.datetime(2018, 11, 2, 9, 0)
    assert cov.framework_version == "cov-test"


def test_compute_window_without_values_leaves_cells_not_reported(small_db, small):
    cov = coverage.compute(small_db, small, Filters(window=coverage.window_of(small, "S02", "S02"), operator="OP1"))
    assert cov["dimension_key"].cell("D1", "K1")["state"] == "not_reported"


def test_compute_zone_filter_drops_whole_ardenne_values(small_db, small):
    cov = coverage.compute(small_db, small, Filters(zone="BE-LUX"))
    detail = cov["dimension_key"].cell_detail("D2", "K2").set_index("indicator")
    assert detail.loc["I2", "n_in_window"] == 1  # the ARD value is not a BE-LUX value


def test_a_yearly_value_ending_in_the_window_is_reported_and_judged(tmp_path):
    # I4 becomes a stock reported yearly: its 2017 value lies across S03's start, never wholly inside it.
    i4 = "code: I4, label: Quatre, unit: nb, direction: up, frequency: {}, agg_time: {}"
    small = parse_framework(FRAMEWORK.replace(i4.format("S", "sum"), i4.format("Y", "last")))
    con = db.connect(tmp_path / "year.duckdb")
    try:
        _store(con, small, [("I4", "OP2", "BE-LUX", "", "2017", 1.0, None)])  # ends 31/12/2017, inside S03
        cov = coverage.compute(con, small, Filters(window=coverage.window_of(small, "S03", "S03")))
    finally:
        con.close()
    detail = cov["dimension_key"].cell_detail("D2", "K3").set_index("indicator")
    assert detail.loc["I4", "n_in_window"] == 1
    assert detail.loc["I4", "status"] == "off_track"  # 1 of 10 expected by then: judged, not "sans données"
    assert cov["dimension_key"].cell("D2", "K3")["state"] == "behind"


def test_compute_on_empty_database_marks_served_cells_not_reported(con, fw):
    cov = coverage.compute(con, fw)
    counts = cov["dimension_key"].state_counts()
    assert counts == {"not_served": 5, "not_reported": 43, "behind": 0, "on_track": 0}
    assert cov.last_update is None


def test_demo_dimension_key_has_five_cells_not_served(demo_db_path, fw):
    con = db.connect(demo_db_path)  # same configuration as the pages run in this process
    try:
        m = coverage.compute(con, fw)["dimension_key"]
    finally:
        con.close()
    not_served = set(m.cells.loc[m.cells["state"] == "not_served", ["row", "col"]].itertuples(index=False, name=None))
    assert not_served == {("D1", "K04"), ("D3", "K04"), ("D3", "K06"), ("D4", "K05"), ("D4", "K08")}
    assert m.state_counts()["behind"] > 0 and m.state_counts()["on_track"] > 0


def test_demo_partner_missing_its_last_report_shows_in_its_own_row(demo_db_path, fw):
    con = db.connect(demo_db_path)  # same configuration as the pages run in this process
    try:
        window = coverage.window_of(fw, demo.MISSING_PERIOD, demo.MISSING_PERIOD)
        m = coverage.compute(con, fw, Filters(window=window))["operator_dimension"]
    finally:
        con.close()
    gaps = m.cells[m.cells["state"] == "not_reported"]
    assert set(gaps["row"]) == {demo.MISSING_LAST_REPORT}
    served = m.cells[(m.cells["row"] == demo.MISSING_LAST_REPORT) & (m.cells["n_indicators"] > 0)]
    assert set(served["state"]) == {"not_reported"}


# ------------------------------------------------------------------ heatmap


def test_heatmap_writes_counts_and_colours_states(small, status):
    m = coverage.matrix(small, "dimension_key", status)
    fig = charts.coverage.coverage_heatmap(m, "n_indicators")
    trace = fig.data[0]
    assert [list(r) for r in trace.z] == [[3, 2, 0], [0, 2, 1]]  # on_track, behind, not_served / ...
    assert [list(r) for r in trace.text] == [["1", "2 ▼", "∅"], ["∅", "2 ▼", "1 ?"]]
    assert [t.name for t in fig.data[2:]] == [
        "∅ Non servie (aucun indicateur)",
        "? Non renseignée sur la période",
        "▼ En retard sur la cible",
        "En bonne voie",
    ]
    cells_trace = fig.data[1]  # the invisible markers that carry clicks and hovers
    assert list(cells_trace.customdata[1][0:2]) == ["D1", "K2"]
    assert "I2 – Deux (en retard)" in cells_trace.customdata[1][2]
    assert (cells_trace.x[1], cells_trace.y[1]) == (trace.x[1], trace.y[0])
    assert [t.marker.color for t in fig.data[2:]] == ["#4D4D4D", "#F0E442", "#D55E00", "#009E73"]
    assert fig.layout.yaxis.autorange == "reversed"


def test_heatmap_progress_measure_in_french_percent(small, status):
    m = coverage.matrix(small, "dimension_key", status)
    trace = charts.coverage.coverage_heatmap(m, "mean_progress").data[0]
    assert trace.text[0][1] == "55\u00a0% ▼" and trace.text[0][2] == "∅"


def test_selected_cell_from_click_points(small, status):
    m = coverage.matrix(small, "dimension_key", status)
    assert charts.coverage.selected_cell(m, [{"customdata": ["D2", "K3", "…"]}]) == ("D2", "K3")
    assert charts.coverage.selected_cell(m, [{"point_index": 3, "curve_number": 1}]) == ("D2", "K1")
    assert charts.coverage.selected_cell(m, []) is None
