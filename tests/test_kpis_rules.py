"""The rules behind a figure when partners report their own way, pinned on tiny hand-made
data: mixed grains across series, a series giving a semester and its quarters, nested
territories, ratios from their components, partial periods, programme years, and the
lineage that shows which stored value counted."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from ardenne_kpi import db, figures
from ardenne_kpi.cli import main
from ardenne_kpi.core.periods import period_from_code
from ardenne_kpi.framework import parse_framework

FRAMEWORK = """
version: rules
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
  - {code: GEO, label: Observatoire, zones: [ARD]}
  - {code: OPA, label: Opérateur A, zones: [FR-08]}
  - {code: OPB, label: Opérateur B, zones: [BE-LUX]}
projects:
  - {code: PIL, label: Pilote, kind: pilote, lead: OPA, start: 2016-10-01, end: 2020-03-31}
indicators:
  - {code: FLOW, label: Sessions, unit: nb, direction: up, frequency: Q, agg_time: sum, agg_space: sum,
     baseline: {value: 0, period: '2016'}, targets: [{value: 400, period: S07}],
     dimensions: [D1], keys: [K01], project: PIL, operators: [OPA, OPB]}
  - {code: STAYS, label: Nuitées, unit: nb, direction: up, frequency: Q, agg_time: sum, agg_space: sum,
     measure: territory, baseline: {value: 0, period: '2016'}, targets: [{value: 4000, period: '2020'}],
     dimensions: [D1], keys: [K01], project: PIL, operators: [GEO, OPB]}
  - {code: OCC, label: Occupation, unit: '%', direction: up, frequency: Q, agg_time: mean, agg_space: mean,
     measure: territory, numerator: Chambres louées, denominator: Chambres disponibles, ratio_scale: 100,
     baseline: {value: 10, period: '2016'}, targets: [{value: 50, period: '2020'}],
     dimensions: [D1], keys: [K01], project: PIL, operators: [OPA, OPB]}
  - {code: STOCK, label: Adhérents, unit: nb, direction: up, frequency: S, agg_time: last, agg_space: sum,
     baseline: {value: 0, period: S01}, targets: [{value: 200, period: S07}],
     dimensions: [D1], keys: [K01], project: PIL, operators: [OPA, OPB]}
  - {code: SEM, label: Nouveaux adhérents, unit: nb, direction: up, frequency: S, agg_time: sum, agg_space: sum,
     baseline: {value: 10, period: S01}, targets: [{value: 30, period: S07}],
     dimensions: [D1], keys: [K01], project: PIL, operators: [OPA]}
"""


# Nobody owes FLOW, OCC, STOCK or SEM here: every series is data, expected between its first and
# its last report (expected.py), so the tests using it pin the value rules alone.
OPEN = FRAMEWORK.replace("operators: [OPA, OPB]}", "operators: []}").replace("operators: [OPA]}", "operators: []}")


@pytest.fixture
def fw():
    return parse_framework(FRAMEWORK)


@pytest.fixture
def open_fw():
    return parse_framework(OPEN)


@pytest.fixture
def con(tmp_path, fw):
    connection = db.connect(tmp_path / "rules.duckdb")
    db.sync_framework(connection, fw)
    yield connection
    connection.close()


def put(con, fw, rows: list[tuple]) -> None:
    """(indicator, operator, zone, period, value[, numerator, denominator]); one upload per row's operator."""
    ops = sorted({r[1] for r in rows})
    cur = con.cursor()
    for n, op in enumerate(ops, start=1):
        cur.execute(
            "INSERT INTO uploads (id, file_name, sha256, size_bytes, operator, uploaded_by, uploaded_at, "
            "status) VALUES (?, ?, ?, 0, ?, 'test', ?, 'imported')",
            [n, f"rapport_{op}.xlsx", f"h{op}", op, dt.datetime(2020, 5, n)],
        )
    for k, (indicator, operator, zone, code, value, *parts) in enumerate(rows):
        p = period_from_code(code, fw.calendar)
        num, den = parts if parts else (None, None)
        cur.execute(
            "INSERT INTO report_values (indicator, operator, zone, audience, period, grain, period_start, "
            "period_end, value, numerator, denominator, upload_id, sheet, cell) "
            "VALUES (?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?, ?, 'Indicateurs', ?)",
            [
                indicator,
                operator,
                zone,
                p.code,
                p.grain,
                p.start,
                p.end,
                float(value),
                num,
                den,
                ops.index(operator) + 1,
                f"G{k + 6}",
            ],
        )


def row(frame: pd.DataFrame, period: str) -> pd.Series:
    return frame.set_index("period").loc[period]


# ------------------------------------------------------------------ grains


def test_series_at_different_grains_each_roll_up_then_add(con, fw):
    # OPB reports quarters, OPA the whole programme semester: S05 holds all three.
    put(
        con,
        fw,
        [
            ("FLOW", "OPB", "BE-LUX", "2018-Q4", 127000),
            ("FLOW", "OPB", "BE-LUX", "2019-Q1", 131000),
            ("FLOW", "OPA", "FR-08", "S05", 1000),
        ],
    )
    s05 = row(figures.aggregate(con, fw, "FLOW", "programme-semester"), "S05")
    assert s05["value"] == 259000 and s05["complete"]


def test_a_one_off_series_makes_no_other_period_incomplete(con, open_fw):
    fw = open_fw
    put(
        con,
        fw,
        [("FLOW", "OPB", "BE-LUX", f"2018-Q{q}", 10) for q in (1, 2, 3, 4)] + [("FLOW", "OPA", "FR-08", "2018-Q4", 5)],
    )
    quarters = figures.aggregate(con, fw, "FLOW", "quarter")
    assert quarters["complete"].all()
    assert row(quarters, "2018-Q4")["value"] == 15 and row(quarters, "2018-Q1")["value"] == 10


def test_a_semester_reporter_makes_quarters_partial_and_is_named(con, open_fw):
    # A series expected by programme semester cannot build a quarter: the quarter shows the
    # quarterly reporter alone, partial, and says who is missing and why (never "complete").
    fw = open_fw
    put(
        con,
        fw,
        [("FLOW", "OPB", "BE-LUX", q, 10) for q in ("2018-Q4", "2019-Q1", "2019-Q2", "2019-Q3")]
        + [("FLOW", "OPA", "FR-08", "S05", 100), ("FLOW", "OPA", "FR-08", "S06", 100)],
    )
    quarters = figures.aggregate(con, fw, "FLOW", "quarter")
    assert not quarters["complete"].any() and (quarters["value"] == 10).all()
    assert quarters["note"].str.contains("OPA (FR-08), rapporté par semestre du programme", regex=False).all()
    semesters = figures.aggregate(con, fw, "FLOW", "programme-semester")
    assert list(semesters["value"]) == [120, 120] and semesters["complete"].all()


def test_a_series_giving_a_semester_and_its_quarters_counts_once(con, fw):
    put(
        con,
        fw,
        [
            ("FLOW", "OPA", "FR-08", "S05", 10),
            ("FLOW", "OPA", "FR-08", "2018-Q4", 4),
            ("FLOW", "OPA", "FR-08", "2019-Q1", 5),
        ],
    )
    s05 = row(figures.aggregate(con, fw, "FLOW", "programme-semester"), "S05")
    assert s05["value"] == 10  # never 19, never 10 + 9
    assert "OPA (FR-08)" in s05["note"] and "jamais les deux" in s05["note"]
    behind = figures.lineage(con, fw, "FLOW", "S05")
    assert sorted(zip(behind["period"], behind["counted"], strict=True)) == [
        ("2018-Q4", False),
        ("2019-Q1", False),
        ("S05", True),
    ]


def test_a_missing_quarter_names_the_series_and_the_quarter(con, fw):
    put(
        con,
        fw,
        [("FLOW", "OPB", "BE-LUX", q, 10) for q in ("2018-Q4", "2019-Q1")]
        + [("FLOW", "OPA", "FR-08", "2018-Q3", 7), ("FLOW", "OPA", "FR-08", "2018-Q4", 7)],
    )
    s05 = row(figures.aggregate(con, fw, "FLOW", "programme-semester"), "S05")
    assert s05["value"] == 27 and not s05["complete"]
    assert "OPA (FR-08) n'a pas rapporté T1 2019" in s05["note"]


# ------------------------------------------------------------------ territories


def test_a_territory_measurement_never_adds_a_zone_to_the_zone_containing_it(con, fw):
    put(con, fw, [("STAYS", "GEO", "ARD", "2019-Q1", 1000), ("STAYS", "OPB", "BE-LUX", "2019-Q1", 300)])
    q1 = row(figures.aggregate(con, fw, "STAYS", "quarter"), "2019-Q1")
    assert q1["value"] == 1000
    assert "BE-LUX ⊂ ARD" in q1["note"]
    behind = figures.lineage(con, fw, "STAYS", "2019-Q1").set_index("zone")
    assert bool(behind.loc["ARD", "counted"]) and not bool(behind.loc["BE-LUX", "counted"])
    assert "ARD" in behind.loc["BE-LUX", "reason"]


def test_a_territory_due_but_measured_inside_a_wider_one_is_not_missing(con, fw):
    # OPB stops reporting BE-LUX in Q3, but GEO's Ardenne-wide figure already holds it.
    put(
        con,
        fw,
        [("STAYS", "GEO", "ARD", q, 1000) for q in ("2019-Q1", "2019-Q2", "2019-Q3")]
        + [("STAYS", "OPB", "BE-LUX", q, 300) for q in ("2019-Q1", "2019-Q2")],
    )
    q3 = row(figures.aggregate(con, fw, "STAYS", "quarter"), "2019-Q3")
    assert q3["value"] == 1000 and q3["complete"]


def test_disjoint_zones_of_a_territory_add_up(con, fw):
    put(con, fw, [("STAYS", "GEO", "FR-08", "2019-Q1", 700), ("STAYS", "OPB", "BE-LUX", "2019-Q1", 300)])
    assert row(figures.aggregate(con, fw, "STAYS", "quarter"), "2019-Q1")["value"] == 1000


def test_operators_outputs_add_up_whatever_their_zones(con, fw):
    put(con, fw, [("FLOW", "OPA", "ARD", "2019-Q1", 1000), ("FLOW", "OPB", "BE-LUX", "2019-Q1", 300)])
    assert row(figures.aggregate(con, fw, "FLOW", "quarter"), "2019-Q1")["value"] == 1300


def test_a_breakdown_by_zone_keeps_each_zone_of_a_territory(con, fw):
    put(con, fw, [("STAYS", "GEO", "ARD", "2019-Q1", 1000), ("STAYS", "OPB", "BE-LUX", "2019-Q1", 300)])
    by_zone = figures.aggregate(con, fw, "STAYS", "quarter", by="zone")
    by_zone = by_zone[by_zone["period"] == "2019-Q1"].set_index("zone")
    assert by_zone.loc["ARD", "value"] == 1000 and by_zone.loc["BE-LUX", "value"] == 300


# ------------------------------------------------------------------ ratios


def test_a_ratio_is_computed_from_its_aggregated_components(con, fw):
    # A small zone at 50 % and a large one at 10 %: the whole is 150 / 1 100, not (50 + 10) / 2.
    put(con, fw, [("OCC", "OPA", "FR-08", "2019-Q1", 50, 50, 100), ("OCC", "OPB", "BE-LUX", "2019-Q1", 10, 100, 1000)])
    q1 = row(figures.aggregate(con, fw, "OCC", "quarter"), "2019-Q1")
    assert q1["value"] == pytest.approx(150 / 1100 * 100)
    year = row(figures.aggregate(con, fw, "OCC", "year"), "2019")  # over time too: components add
    assert year["value"] == pytest.approx(150 / 1100 * 100)


def test_one_bare_ratio_is_set_apart_and_never_changes_the_method(con, fw):
    # OPB gives its rate without numerator and denominator: the figure stays Σ num / Σ den over
    # the values that carry them (50 %), not the unweighted mean (30 %), and names OPB apart.
    put(con, fw, [("OCC", "OPA", "FR-08", "2019-Q1", 50, 50, 100), ("OCC", "OPB", "BE-LUX", "2019-Q1", 10)])
    q1 = row(figures.aggregate(con, fw, "OCC", "quarter"), "2019-Q1")
    assert q1["value"] == pytest.approx(50)
    assert "laissé à part, sans numérateur ni dénominateur : OPB (BE-LUX)" in q1["note"]


def test_a_ratio_without_any_component_falls_back_to_the_unweighted_mean_and_says_so(con, fw):
    put(con, fw, [("OCC", "OPA", "FR-08", "2019-Q1", 50), ("OCC", "OPB", "BE-LUX", "2019-Q1", 10)])
    q1 = row(figures.aggregate(con, fw, "OCC", "quarter"), "2019-Q1")
    assert q1["value"] == pytest.approx(30)
    assert "Moyenne non pondérée : aucune des 2 valeur(s)" in q1["note"]


def test_the_rule_of_each_figure_is_written_out(fw):
    assert "Σ Chambres louées / Σ Chambres disponibles × 100" in figures.rule_text(fw.indicator("OCC"))
    assert "mesure d'un territoire" in figures.rule_text(fw.indicator("STAYS"))
    assert "production des opérateurs" in figures.rule_text(fw.indicator("FLOW"))


# ------------------------------------------------------------------ partial periods and status


def test_a_partial_period_carries_no_progress_and_no_status(con, fw):
    # OPB misses S06: the stock "falls" from 140 to 100, which must not be judged.
    put(
        con,
        fw,
        [
            ("STOCK", "OPA", "FR-08", "S04", 50),
            ("STOCK", "OPB", "BE-LUX", "S04", 30),
            ("STOCK", "OPA", "FR-08", "S05", 60),
            ("STOCK", "OPB", "BE-LUX", "S05", 40),
            ("STOCK", "OPA", "FR-08", "S06", 100),
        ],
    )
    trend = figures.trends(con, fw, ["STOCK"], "programme-semester")["STOCK"].set_index("period")
    assert trend.loc["S05", "complete"] and not math.isnan(trend.loc["S05", "progress"])
    assert not trend.loc["S06", "complete"] and math.isnan(trend.loc["S06", "progress"])
    assert trend.loc["S06", "status"] == ""
    status = figures.indicator_status(con, fw).set_index("indicator").loc["STOCK"]
    assert status["latest_period"] == "S05" and status["latest_value"] == 100 and status["status"] != "no_data"


def test_without_any_complete_period_the_status_is_no_data(con, fw):
    # One quarter of each programme semester: no semester is whole, none is judged.
    put(con, fw, [("FLOW", "OPA", "FR-08", "2018-Q4", 5), ("FLOW", "OPA", "FR-08", "2019-Q2", 5)])
    status = figures.indicator_status(con, fw).set_index("indicator").loc["FLOW"]
    assert status["status"] == "no_data" and math.isnan(status["progress"]) and not status["complete"]
    assert status["latest_value"] == 5 and "sans statut" in status["note"]


# ------------------------------------------------------------------ calendars


def test_a_calendar_year_is_never_built_from_programme_semesters_but_a_programme_year_is(con, fw):
    put(con, fw, [("SEM", "OPA", "ARD", code, v) for code, v in (("S05", 100), ("S06", 10), ("S07", 1))])
    y2019 = row(figures.aggregate(con, fw, "SEM", "year"), "2019")
    assert math.isnan(y2019["value"]) and "Année civile non calculable" in y2019["note"]
    programme_year = row(figures.aggregate(con, fw, "SEM", "programme-year"), "2018/2019")
    assert programme_year["value"] == 110 and programme_year["complete"]
    assert programme_year["label"] == "Année du programme 2018-2019"


def test_the_page_shows_a_programme_semester_indicator_by_programme_year(fw):
    assert figures.display_grain(fw.indicator("SEM"), "year") == "programme-year"
    assert figures.display_grain(fw.indicator("FLOW"), "year") == "year"
    assert figures.display_grain(fw.indicator("FLOW"), "programme-year") == "programme-year"
    assert figures.display_grain_reason(fw.indicator("SEM"), "year") == (
        "Cet indicateur est déclaré par semestre du programme (interreg), qui ne forme pas une année civile "
        "(jamais réparti au prorata) : il est montré par année du programme (oct.–sept.)."
    )
    assert figures.display_grain_reason(fw.indicator("SEM"), "quarter").startswith(
        "Cet indicateur est déclaré par semestre du programme (interreg) : il est montré à ce rythme."
    )
    assert figures.display_grain_reason(fw.indicator("FLOW"), "year") == ""


def database_file(tmp_path, fw, rows: list[tuple]):
    """A closed database file holding `rows` (see put), for the command line."""
    path = tmp_path / "cli.duckdb"
    con = db.connect(path)
    db.sync_framework(con, fw)
    put(con, fw, rows)
    con.close()
    return path


def test_export_kpis_says_why_a_calendar_year_has_no_value(tmp_path, open_fw, capsys):
    path = database_file(tmp_path, open_fw, [("SEM", "OPA", "ARD", "S05", 100), ("SEM", "OPA", "ARD", "S06", 10)])
    out = tmp_path / "k.csv"
    assert main(["export", "kpis", "--grain", "year", "--out", str(out), "--db", str(path)]) == 0
    frame = pd.read_csv(out, keep_default_na=False)
    frame = frame[frame["indicator"] == "SEM"]
    assert (frame["value"] == "").all() and len(frame) > 0
    assert frame["note"].str.contains("Année civile non calculable").any()
    assert main(["export", "kpis", "--grain", "programme-year", "--out", str(out), "--db", str(path)]) == 0
    frame = pd.read_csv(out)
    assert frame[frame["indicator"] == "SEM"]["value"].tolist() == [110]


# ------------------------------------------------------------------ through the import engine


def workbook(
    rows: list[list], header=("Indicateur", "Période", "Zone", "Valeur", "Numérateur", "Dénominateur")
) -> bytes:
    import io

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Indicateurs"
    ws.append(list(header))
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _import(con, fw, tmp_path, data: bytes, name: str, operator: str, *, dry_run: bool = False):
    """One report through the import engine, as the command imports it, into the rules' database."""
    from ardenne_kpi.intake import importer

    return importer.import_file(
        con, data, name, operator=operator, framework=fw, db_path=tmp_path / "rules.duckdb", dry_run=dry_run
    )


def test_a_report_gives_a_ratio_with_its_components_and_they_weigh(con, fw, tmp_path):
    a = _import(con, fw, tmp_path, workbook([["OCC", "T1 2019", "FR-08", "50", "50", "100"]]), "a.xlsx", "OPA")
    b = _import(con, fw, tmp_path, workbook([["OCC", "T1 2019", "BE-LUX", "10", "100", "1 000"]]), "b.xlsx", "OPB")
    assert a.ok and b.ok, (a.errors, b.errors)
    q1 = row(figures.aggregate(con, fw, "OCC", "quarter"), "2019-Q1")
    assert q1["value"] == pytest.approx(150 / 1100 * 100)
    behind = figures.lineage(con, fw, "OCC", "2019-Q1").set_index("zone")
    assert behind.loc["BE-LUX", "denominator"] == 1000 and behind.loc["BE-LUX", "cell"] == "D2"


def test_a_ratio_that_disagrees_with_its_components_is_flagged(con, fw, tmp_path):
    result = _import(
        con, fw, tmp_path, workbook([["OCC", "T1 2019", "FR-08", "40", "50", "100"]]), "a.xlsx", "OPA", dry_run=True
    )
    assert any("ne correspond pas à 50 / 100 = 50" in w.message for w in result.warnings)


def test_an_import_giving_a_semester_whose_quarters_disagree_is_warned(con, fw, tmp_path):
    header = ("Indicateur", "Période", "Zone", "Valeur")
    first = _import(
        con,
        fw,
        tmp_path,
        workbook([["FLOW", "T4 2018", "FR-08", 4], ["FLOW", "T1 2019", "FR-08", 5]], header),
        "q.xlsx",
        "OPA",
    )
    assert first.ok
    second = _import(con, fw, tmp_path, workbook([["FLOW", "S05", "FR-08", 12]], header), "s.xlsx", "OPA", dry_run=True)
    messages = [w.message for w in second.warnings]
    assert any(
        "S05 vaut 12 (ce fichier)" in m and "totalisent 9" in m and f"l'import n° {first.upload_id}" in m
        for m in messages
    ), messages
    same = _import(con, fw, tmp_path, workbook([["FLOW", "S05", "FR-08", 9]], header), "s9.xlsx", "OPA", dry_run=True)
    assert not any("totalisent" in w.message for w in same.warnings)


def test_an_import_giving_quarters_of_a_stored_semester_is_warned_with_both_sources(con, fw, tmp_path):
    header = ("Indicateur", "Période", "Zone", "Valeur")
    first = _import(con, fw, tmp_path, workbook([["FLOW", "S05", "FR-08", 12]], header), "s.xlsx", "OPA")
    quarters = _import(
        con,
        fw,
        tmp_path,
        workbook([["FLOW", "T4 2018", "FR-08", 4], ["FLOW", "T1 2019", "FR-08", 5]], header),
        "q.xlsx",
        "OPA",
        dry_run=True,
    )
    assert any(
        f"S05 vaut 12 (l'import n° {first.upload_id}) mais ses 2 sous-période(s) totalisent 9 (ce fichier)" in w.message
        for w in quarters.warnings
    ), [w.message for w in quarters.warnings]


def test_a_semester_in_the_file_over_a_stored_quarter_and_one_of_its_own_names_both_sources(con, fw, tmp_path):
    header = ("Indicateur", "Période", "Zone", "Valeur")
    first = _import(
        con,
        fw,
        tmp_path,
        workbook([["FLOW", "T4 2018", "FR-08", 4], ["FLOW", "T4 2018", "BE-LUX", 3]], header),
        "q.xlsx",
        "OPA",
    )
    rows = [["FLOW", "S05", "FR-08", 12], ["FLOW", "T1 2019", "FR-08", 5]]
    rows += [["FLOW", "S05", "BE-LUX", 10], ["FLOW", "T1 2019", "BE-LUX", 7]]  # 3 + 7: they agree
    semester = _import(con, fw, tmp_path, workbook(rows, header), "s.xlsx", "OPA")
    overlaps = [w.message for w in semester.warnings if "sous-période" in w.message]
    assert overlaps == [
        "FLOW · OPA · FR-08 : S05 vaut 12 (ce fichier) mais ses 2 sous-période(s) totalisent 9 (ce fichier, "
        f"l'import n° {first.upload_id}). Un seul des deux compte dans les agrégats (la déclaration couvrant "
        "le plus de jours) : corrigez celle qui est fausse."
    ]


def test_the_source_of_the_latest_values_is_the_upload_that_holds_them(con, fw):
    # OPA's upload (id 1) holds the latest quarter; OPB's (id 2, a higher id) an older one.
    put(con, fw, [("FLOW", "OPA", "FR-08", "2019-Q2", 5), ("FLOW", "OPB", "BE-LUX", "2019-Q1", 5)])
    status = figures.indicator_status(con, fw).set_index("indicator").loc["FLOW"]
    assert status["last_upload_id"] == 1


def test_lineage_command_lists_the_rows_and_rules_behind_a_figure(tmp_path, fw, capsys):
    path = database_file(
        tmp_path, fw, [("STAYS", "GEO", "ARD", "2019-Q1", 1000), ("STAYS", "OPB", "BE-LUX", "2019-Q1", 300)]
    )
    assert main(["lineage", "STAYS", "T1 2019", "--db", str(path)]) == 0
    text = capsys.readouterr().out
    assert "STAYS · Nuitées · T1 2019 : 1\u00a0000 nb (complète)" in text and "mesure d'un territoire" in text
    assert "rapport_GEO.xlsx" in text and "non compté : territoire déjà compris dans ARD" in text
    assert main(["lineage", "STAYS", "2019-Q1", "--grain", "quarter", "--json", "--db", str(path)]) == 0
    import json

    figure = json.loads(capsys.readouterr().out)
    assert figure["value"] == 1000 and figure["complete"] is True
    assert {(r["zone"], r["counted"], r["cell"]) for r in figure["rows"]} == {
        ("ARD", True, "G6"),
        ("BE-LUX", False, "G7"),
    }


def test_lineage_command_refuses_a_grain_that_does_not_match(tmp_path, fw, capsys):
    path = database_file(tmp_path, fw, [])
    assert main(["lineage", "STAYS", "S05", "--grain", "quarter", "--db", str(path)]) == 1
    assert "granularité" in capsys.readouterr().err


def test_a_ratio_value_without_components_is_marked_not_weightable_in_its_lineage(con, fw):
    put(con, fw, [("OCC", "OPA", "FR-08", "2019-Q1", 50, 50, 100), ("OCC", "OPB", "BE-LUX", "2019-Q1", 10)])
    reasons = figures.lineage(con, fw, "OCC", "2019-Q1").set_index("zone")["reason"]
    assert reasons["FR-08"] == "compté" and "non pondérable" in reasons["BE-LUX"]


# ------------------------------------------------------------------ the widest territory's shortcut


def put_keys(con, fw, rows: list[tuple]) -> None:
    """(indicator, operator, zone, audience, period, value): like `put`, with an audience."""
    put(con, fw, [(i, o, z, p, v) for i, o, z, _, p, v in rows])
    for k, audience in enumerate(r[3] for r in rows):
        con.execute("UPDATE report_values SET audience = ? WHERE cell = ?", [audience, f"G{k + 6}"])


@pytest.mark.parametrize("code", ["STAYS", "FLOW"])
@pytest.mark.parametrize("seed", [0, 1, *(pytest.param(s, marks=pytest.mark.slow) for s in range(2, 12))])
def test_where_the_widest_key_was_measured_the_figures_are_those_of_the_full_pass(con, fw, monkeypatch, seed, code):
    # Where the whole Ardenne (or, broken down, the group's own widest key) was measured, only
    # that key's series go through the per-series pass: for a territory (STAYS) whoever
    # measured it, for an output (FLOW) when every operator reporting there gave its own
    # total; told no key was, every key does.
    rng = __import__("random").Random(seed)
    quarters = ["2018-Q4", "2019-Q1", "2019-Q2", "2019-Q3", "2019-Q4", "2020-Q1"]
    rows = []
    for op in ("GEO", "OPA", "OPB"):
        for zone in ("ARD", "FR-08", "BE-LUX"):
            for audience in ("", "VIS", "NL"):
                if rng.random() < 0.45:
                    continue
                periods = [q for q in quarters if rng.random() < 0.8]
                if rng.random() < 0.3:
                    periods = [p for p in periods if p not in ("2018-Q4", "2019-Q1")] + ["S05"]
                rows += [(code, op, zone, audience, p, rng.randint(1, 900)) for p in periods]
    if code == "FLOW":  # most operators give their total most of the time; GEO is silent some quarters
        rows = [r for r in rows if not (r[1] == "GEO" and r[4] in ("2019-Q3", "2019-Q4"))]
        rows += [(code, op, "ARD", "", q, 5000) for op in ("OPA", "OPB") for q in quarters if rng.random() < 0.85]
        rows = list({r[:5]: r for r in rows}.values())
    if not rows:
        return
    put_keys(con, fw, rows)

    def every_figure():
        out = [figures.export_frame(con, fw, g) for g in ("quarter", "programme-semester", "year")]
        out += [figures.aggregate(con, fw, code, "quarter", by=by) for by in ("zone", "audience", "operator")]
        return out + [figures.lineage(con, fw, code, "2019-Q1").drop(columns="uploaded_at")]

    rollup, tops = figures.rollup.sql.series_rollup, []

    def spied(con, flt, by, rules, placement, periods, slow, *rest):
        tops.append(int(slow["top_only"].sum()))
        return rollup(con, flt, by, rules, placement, periods, slow, *rest)

    monkeypatch.setattr(figures.rollup.sql, "series_rollup", spied)
    shortcut = every_figure()
    assert sum(tops) > 0  # the shortcut was taken somewhere
    stored_periods = figures.rollup.sql.stored_periods
    monkeypatch.setattr(
        figures.rollup.sql,
        "stored_periods",
        lambda *a, **k: stored_periods(*a, **k).assign(has_top=False, tops_all=False),
    )
    for fast, full in zip(shortcut, every_figure(), strict=True):
        pd.testing.assert_frame_equal(fast, full)


def test_a_key_nested_in_several_measured_ones_is_said_inside_the_widest(con, fw):
    put_keys(
        con,
        fw,
        [
            ("STAYS", "GEO", "ARD", "", "2019-Q1", 1000),
            ("STAYS", "OPB", "BE-LUX", "", "2019-Q1", 300),
            ("STAYS", "OPB", "BE-LUX", "NL", "2019-Q1", 40),
        ],
    )
    q1 = row(figures.aggregate(con, fw, "STAYS", "quarter"), "2019-Q1")
    assert q1["value"] == 1000
    assert "BE-LUX · NL ⊂ ARD" in q1["note"] and "BE-LUX ⊂ ARD" in q1["note"]


CROSSING_STAYS = [
    ("STAYS", "GEO", "ARD", "NL", "2019-Q1", 500),
    ("STAYS", "OPB", "BE-LUX", "", "2019-Q1", 300),
    ("STAYS", "GEO", "ARD", "NL", "2019-Q2", 450),
    ("STAYS", "OPB", "BE-LUX", "", "2019-Q2", 280),
    ("STAYS", "OPB", "FR-08", "", "2019-Q2", 100),  # crosses ARD · NL too: FR-08's Dutch
]


def test_an_owed_key_counts_over_a_crossing_key_nobody_owes(con, fw):
    # Rule 5: (BE-LUX, all visitors) and (ARD, Dutch visitors) share BE-LUX's Dutch visitors;
    # neither contains the other. BE-LUX is owed (OPB's obligation), nobody owes the Ardenne's
    # Dutch visitors (GEO owes the Ardenne for all): the owed key counts, the other is set aside
    # and named, the figure is partial. One odd line never sets aside what partners owe.
    put_keys(con, fw, CROSSING_STAYS)
    q1, q2 = (row(figures.aggregate(con, fw, "STAYS", "quarter"), q) for q in ("2019-Q1", "2019-Q2"))
    assert q1["value"] == 300 and not q1["complete"]
    assert "ARD · NL ✕ BE-LUX" in q1["note"] and "Valeur partielle" in q1["note"]
    # FR-08 (nobody owes it either) crossed only the line set aside: the widest set that does
    # not overlap keeps it.
    assert q2["value"] == 280 + 100 and not q2["complete"]
    assert "ARD · NL ✕ BE-LUX" in q2["note"] and "FR-08 ✕" not in q2["note"]
    lineage = figures.lineage(con, fw, "STAYS", "2019-Q1").set_index("zone")
    assert not lineage.loc["ARD", "counted"] and "recoupe BE-LUX" in lineage.loc["ARD", "reason"]
    assert lineage.loc["BE-LUX", "counted"]


def test_between_crossing_keys_nobody_owes_the_wider_zone_counts(con):
    # The same lines where nobody owes anything: the wider zone's key counts, BE-LUX and FR-08
    # are set aside and named.
    open_fw = parse_framework(OPEN.replace("operators: [GEO, OPB]}", "operators: []}"))
    put_keys(con, open_fw, CROSSING_STAYS)
    q1, q2 = (row(figures.aggregate(con, open_fw, "STAYS", "quarter"), q) for q in ("2019-Q1", "2019-Q2"))
    assert q1["value"] == 500 and not q1["complete"]
    assert "BE-LUX ✕ ARD · NL" in q1["note"] and "Valeur partielle" in q1["note"]
    assert q2["value"] == 450 and not q2["complete"]
    assert "BE-LUX ✕ ARD · NL" in q2["note"] and "FR-08 ✕ ARD · NL" in q2["note"]
    lineage = figures.lineage(con, open_fw, "STAYS", "2019-Q1").set_index("zone")
    assert not lineage.loc["BE-LUX", "counted"] and "recoupe ARD · NL" in lineage.loc["BE-LUX", "reason"]
    assert lineage.loc["ARD", "counted"]


def test_between_two_owed_crossing_keys_the_wider_zone_counts(con):
    # GEO owes the Ardenne's Dutch visitors, OPB the Luxembourg province for all: both owed,
    # the wider zone's key counts.
    both = parse_framework(
        FRAMEWORK.replace(
            "indicators:\n",
            "obligations:\n  - {operator: GEO, indicators: [STAYS], zones: [ARD], audiences: [NL]}\nindicators:\n",
            1,
        )
    )
    db.sync_framework(con, both)
    put_keys(con, both, CROSSING_STAYS[:2])
    q1 = row(figures.aggregate(con, both, "STAYS", "quarter"), "2019-Q1")
    assert q1["value"] == 500 and not q1["complete"] and "BE-LUX ✕ ARD · NL" in q1["note"]


def test_an_operators_crossing_lines_are_not_added_but_another_operators_are(con, fw, open_fw):
    # Within one operator's report an output's crossing lines overlap (the Ardenne's Dutch
    # visitors and the Ardennes' visitors share the Ardennes' Dutch): OPA owes FR-08, so it
    # counts and the Ardenne's Dutch line is set aside. Another operator's lines still add.
    lines = [
        ("FLOW", "OPA", "ARD", "NL", "2019-Q1", 40),
        ("FLOW", "OPA", "FR-08", "", "2019-Q1", 100),
        ("FLOW", "OPB", "BE-LUX", "", "2019-Q1", 70),
    ]
    put_keys(con, fw, lines)
    q1 = row(figures.aggregate(con, fw, "FLOW", "quarter"), "2019-Q1")
    assert q1["value"] == 170 and not q1["complete"]
    assert "OPA : ARD · NL ✕ FR-08" in q1["note"]
    # Where nobody owes them, the wider zone's line counts.
    q1 = row(figures.aggregate(con, open_fw, "FLOW", "quarter"), "2019-Q1")
    assert q1["value"] == 110 and not q1["complete"]
    assert "OPA : FR-08 ✕ ARD · NL" in q1["note"]
