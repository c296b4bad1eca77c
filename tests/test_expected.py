"""One model of what is due (issue 23): the figures' completeness, Suivi and the reminders
read the same expected series (ardenne_kpi/framework/expected.py), pinned on tiny hand-made data."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from ardenne_kpi import db, figures, reporting
from ardenne_kpi.framework import expected, parse_framework
from tests.test_kpis_rules import FRAMEWORK, put, row

AFTER_ALL = dt.date(2021, 1, 1)


def with_obligations(lines: str) -> str:
    return FRAMEWORK.replace("indicators:\n", f"obligations:\n{lines}indicators:\n", 1)


@pytest.fixture
def fw():
    return parse_framework(FRAMEWORK)


@pytest.fixture
def con(tmp_path, fw):
    connection = db.connect(tmp_path / "expected.duckdb")
    db.sync_framework(connection, fw)
    yield connection
    connection.close()


def test_a_quarter_never_sent_makes_the_semester_partial_as_suivi_says_missing(con):
    # OPA owes FLOW by quarter from T1 2019 and sends T1 only: the figure is partial and names
    # T2 exactly where Suivi lists T2 as « Manquant, délai dépassé ».
    fw = parse_framework(
        with_obligations(
            "  - {operator: OPA, indicators: [FLOW], from: 2019-Q1}\n  - {operator: OPB, indicators: [FLOW], from: 2019-Q1}\n"
        )
    )
    put(
        con,
        fw,
        [
            ("FLOW", "OPA", "FR-08", "2019-Q1", 4),
            ("FLOW", "OPB", "BE-LUX", "2019-Q1", 1),
            ("FLOW", "OPB", "BE-LUX", "2019-Q2", 1),
        ],
    )
    s1 = row(figures.aggregate(con, fw, "FLOW", "semester"), "2019-S1")
    assert s1["value"] == 6 and not s1["complete"]
    assert "OPA (FR-08) n'a pas rapporté T2 2019" in s1["note"]
    items = reporting.report_items(con, fw, as_of=AFTER_ALL)
    t2 = items[(items["operator"] == "OPA") & (items["indicator"] == "FLOW") & (items["period"] == "2019-Q2")]
    assert t2["status"].tolist() == ["overdue"]


def test_a_stock_of_an_operator_without_obligation_does_not_vanish_silently(con, fw):
    # GEO is not an operator of STOCK: its members count while reported, and when its report is
    # absent the semester is partial and names it (not 62 000 → 56 000, « complète »).
    put(
        con,
        fw,
        [
            ("STOCK", op, z, s, v)
            for op, z, v in (("OPA", "FR-08", 50000), ("OPB", "BE-LUX", 6000))
            for s in ("S05", "S06")
        ]
        + [("STOCK", "GEO", "ARD", "S05", 6000)],
    )
    semesters = figures.aggregate(con, fw, "STOCK", "programme-semester")
    assert row(semesters, "S05")["value"] == 62000 and "hors obligation" in row(semesters, "S05")["note"]
    s06 = row(semesters, "S06")
    assert s06["value"] == 56000 and not s06["complete"] and "GEO (ARD) n'a pas rapporté" in s06["note"]


def test_a_series_owed_from_inside_a_period_covers_only_from_then(con):
    # OPB owes FLOW from January 2019 only: S05 (Oct 2018 – Mar 2019) is complete with its Q1.
    fw = parse_framework(
        with_obligations(
            "  - {operator: OPA, indicators: [FLOW], from: 2018-Q4}\n  - {operator: OPB, indicators: [FLOW], from: 2019-Q1}\n"
        )
    )
    put(
        con,
        fw,
        [("FLOW", "OPA", "FR-08", q, 10) for q in ("2018-Q4", "2019-Q1")] + [("FLOW", "OPB", "BE-LUX", "2019-Q1", 5)],
    )
    s05 = row(figures.aggregate(con, fw, "FLOW", "programme-semester"), "S05")
    assert s05["value"] == 25 and s05["complete"], s05["note"]


def test_a_declared_last_period_ends_what_is_due(con):
    fw = parse_framework(
        with_obligations(
            "  - {operator: OPA, indicators: [FLOW], from: 2018-Q4, to: 2018-Q4}\n  - {operator: OPB, indicators: [FLOW], from: 2018-Q4}\n"
        )
    )
    put(
        con,
        fw,
        [("FLOW", "OPA", "FR-08", "2018-Q4", 10)] + [("FLOW", "OPB", "BE-LUX", q, 5) for q in ("2018-Q4", "2019-Q1")],
    )
    q1 = row(figures.aggregate(con, fw, "FLOW", "quarter"), "2019-Q1")
    assert q1["value"] == 5 and q1["complete"]
    items = reporting.expected_reports(fw, as_of=AFTER_ALL)
    assert items[(items["operator"] == "OPA") & (items["indicator"] == "FLOW")]["period"].tolist() == ["2018-Q4"]


def test_an_operators_total_beside_its_parts_is_the_figure_not_added(con):
    # OPA's sheet gives its provinces and a « Total » line (the whole Ardenne): 30, never 60.
    fw = parse_framework(
        with_obligations(
            "  - {operator: OPA, indicators: [FLOW], from: 2019-Q1, zones: [ARD]}\n  - {operator: OPB, indicators: [FLOW], from: 2020-Q1}\n"
        )
    )
    put(
        con,
        fw,
        [
            ("FLOW", "OPA", "ARD", "2019-Q1", 30),
            ("FLOW", "OPA", "FR-08", "2019-Q1", 10),
            ("FLOW", "OPA", "BE-LUX", "2019-Q1", 20),
        ],
    )
    q1 = row(figures.aggregate(con, fw, "FLOW", "quarter"), "2019-Q1")
    assert q1["value"] == 30 and q1["complete"]
    assert "le total compte" in q1["note"]
    lineage = figures.lineage(con, fw, "FLOW", "2019-Q1")
    assert lineage.set_index("zone").loc["FR-08", "reason"].startswith("non compté : détail du total ARD")


def test_different_operators_outputs_still_add(con, fw):
    put(con, fw, [("FLOW", "OPA", "ARD", "2019-Q1", 30), ("FLOW", "OPB", "BE-LUX", "2019-Q1", 20)])
    assert row(figures.aggregate(con, fw, "FLOW", "quarter"), "2019-Q1")["value"] == 50


def test_nothing_is_due_before_the_programme_starts(fw):
    # The programme starts on 1 October 2016: no period before is ever expected.
    series = expected.obligation_series(fw)
    assert (series["due_from"] >= "2016-10-01").all() and (series["due_to"] <= "2020-03-31").all()
    items = reporting.expected_reports(fw, as_of=AFTER_ALL)
    assert (items["period_end"] >= dt.date(2016, 10, 1)).all()


def test_an_obligation_owes_its_operators_first_level_zones_where_the_indicator_is_by_zone():
    fw = parse_framework(FRAMEWORK.replace("operators: [GEO, OPB]}", "operators: [GEO, OPB], by_zone: true}"))
    series = expected.obligation_series(fw, ["STAYS"])
    geo = series[series["operator"] == "GEO"]
    assert sorted(geo["zone"]) == ["BE-LUX", "FR-08"]  # GEO covers the whole Ardenne: its two provinces


def test_declared_zones_audiences_and_a_one_off_shape_what_is_due():
    fw = parse_framework(
        with_obligations(
            "  - {operator: OPA, indicators: [FLOW], zones: [ARD], audiences: [VIS, NL], one_off: true, from: 2019-Q1}\n"
        )
    )
    series = expected.obligation_series(fw, ["FLOW"])
    opa = series[series["operator"] == "OPA"]
    assert sorted(zip(opa["zone"], opa["audience"], strict=True)) == [("ARD", "NL"), ("ARD", "VIS")]
    assert (opa["due_from"] == "2019-01-01").all() and (opa["due_to"] == "2019-03-31").all()


QUARTERS = [f"{y}-Q{q}" for y in (2016, 2017, 2018, 2019, 2020) for q in (1, 2, 3, 4)][3:-3]  # 2016-Q4 … 2020-Q1


@pytest.mark.parametrize("seed", [*range(4), *(pytest.param(s, marks=pytest.mark.slow) for s in range(4, 40))])
def test_a_figure_is_partial_exactly_where_suivi_lists_a_report_not_received(tmp_path, seed):
    """Random obligations (first and last quarter of each operator) and random reports within
    them: for every quarter and programme semester, the figure is partial exactly when Suivi
    lists an expected report of that period as not received, and names the same operators."""
    import random

    from ardenne_kpi.core.periods import period_from_code

    rng = random.Random(seed)
    lines, reports = "", []
    # GEO owes two provinces: its report is received only when both are there
    for op, zones in (("OPA", ["FR-08"]), ("OPB", ["BE-LUX"]), ("GEO", ["FR-08", "BE-LUX"])):
        first = rng.randrange(len(QUARTERS))
        last = rng.randrange(first, len(QUARTERS))
        lines += (
            f"  - {{operator: {op}, indicators: [FLOW], from: {QUARTERS[first]}, to: {QUARTERS[last]}, "
            f"zones: [{', '.join(zones)}]}}\n"
        )
        reports += [
            ("FLOW", op, zone, q, rng.randint(1, 9))
            for q in QUARTERS[first : last + 1]
            for zone in zones
            if rng.random() < 0.75
        ]
    fw = parse_framework(with_obligations(lines).replace("operators: [OPA, OPB]}", "operators: [OPA, OPB, GEO]}", 1))
    con = db.connect(tmp_path / "random.duckdb")
    db.sync_framework(con, fw)
    if reports:
        put(con, fw, reports)
    items = reporting.report_items(con, fw, as_of=AFTER_ALL)
    items = items[items["indicator"] == "FLOW"]
    for grain in ("quarter", "programme-semester"):
        rolled = figures.aggregate(con, fw, "FLOW", grain).set_index("period")
        for code in (
            {period_from_code(q, fw.calendar).code for q in QUARTERS}
            if grain == "quarter"
            else [s.code for s in fw.calendar.semesters]
        ):
            period = period_from_code(code, fw.calendar)
            inside = items[(items["period_end"] >= period.start) & (items["period_end"] <= period.end)]
            lacking = sorted(set(inside.loc[~inside["received"], "operator"]))
            if code not in rolled.index:
                assert not lacking and inside.empty, (seed, grain, code, lacking)
                continue
            figure = rolled.loc[code]
            assert bool(figure["complete"]) == (not lacking and not math.isnan(figure["value"])), (
                seed,
                grain,
                code,
                lacking,
                figure["note"],
            )
            named = sorted(
                op for op in ("GEO", "OPA", "OPB") if f"{op} (" in figure["note"].split("Valeur partielle")[-1]
            )
            assert named == lacking, (seed, grain, code, figure["note"])
    con.close()


def test_declared_last_period_zones_audiences_and_one_off_survive_the_referentiel_workbook(fw):
    from ardenne_kpi import framework_admin
    from ardenne_kpi.framework import workbook as framework_workbook

    declared = with_obligations(
        "  - {operator: OPA, indicators: [FLOW], from: 2018-Q1, to: 2019-Q4, zones: [FR-08], audiences: [NL],"
        " one_off: true}\n"
    )
    mine = parse_framework(declared)
    again = parse_framework(framework_workbook.from_workbook(framework_workbook.to_workbook(mine), mine))
    assert again.declared_obligations == mine.declared_obligations
    table = framework_admin.obligations_table(mine).set_index("Opérateur")
    row_of = table[table["Indicateur"].str.startswith("FLOW")].loc["Opérateur A"]
    assert (row_of["Jusqu'à"], row_of["Séries dues"]) == ("2019-Q4", "FR-08 · NL (rapport unique)")


def _engine(con, fw, tmp_path, data: bytes, name: str, operator: str):
    from ardenne_kpi.intake import importer

    return importer.import_file(con, data, name, operator=operator, framework=fw, db_path=tmp_path / "expected.duckdb")


def test_a_partners_sheet_with_a_line_without_zone_beside_its_provinces_counts_the_total_once(con, fw, tmp_path):
    # A partner's own layout: its provinces, and a line with no zone (read as the whole Ardenne).
    from tests.test_kpis_rules import workbook

    data = workbook(
        [["FLOW", "2019-Q1", "FR-08", 10], ["FLOW", "2019-Q1", "BE-LUX", 20], ["FLOW", "2019-Q1", None, 30]]
    )
    result = _engine(con, fw, tmp_path, data, "opa.xlsx", "OPA")
    assert result.status == "imported", result.errors
    said = [w.message for w in result.warnings if "est le total de" in w.message]
    assert len(said) == 1 and "ARD = 30 est le total de FR-08, BE-LUX" in said[0] and "Attention" not in said[0]
    q1 = row(figures.aggregate(con, fw, "FLOW", "quarter"), "2019-Q1")
    assert q1["value"] == 30


def test_the_import_warns_when_the_parts_exceed_their_total(con, fw, tmp_path):
    from tests.test_kpis_rules import workbook

    data = workbook(
        [["FLOW", "2019-Q1", "ARD", 25], ["FLOW", "2019-Q1", "FR-08", 10], ["FLOW", "2019-Q1", "BE-LUX", 20]]
    )
    result = _engine(con, fw, tmp_path, data, "opa.xlsx", "OPA")
    said = [w.message for w in result.warnings if "est le total de" in w.message]
    assert said and "ses parties totalisent 30, plus que le total (25)" in said[0]


def _template_with_a_line(con, fw, value: float, extra: dict) -> bytes:
    """OPA's template for 2019-Q1 with its FLOW line filled with `value`, and a line added
    under it: the FLOW line's own cells, replaced by `extra` (template column → value)."""
    import io

    import openpyxl

    from ardenne_kpi.intake import templates

    wb = openpyxl.load_workbook(io.BytesIO(templates.build_template(con, fw, "OPA", "2019-Q1")))
    ws = wb[templates.DATA_SHEET]
    col = {k: openpyxl.utils.column_index_from_string(v) for k, v in templates.COLUMN_OF.items()}
    r = templates.FIRST_ROW
    while ws.cell(r, 1).value and ws.cell(r, 1).value != "FLOW":
        r += 1
    assert ws.cell(r, col["zone"]).value == "FR-08" and not ws.cell(r, col["audience"]).value
    ws.cell(r, col["value"]).value = value
    ws.insert_rows(r + 1)
    for key in ("indicator", "period", "zone", "audience", "value"):
        ws.cell(r + 1, col[key]).value = extra.get(key, ws.cell(r, col[key]).value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_the_template_with_all_audiences_beside_dutch_visitors_counts_the_total_once(con, fw, tmp_path):
    # The project's own template, filled as its instructions allow: « tous publics » and an extra
    # line for Dutch visitors. 100 000 is the figure, not 120 000.
    data = _template_with_a_line(con, fw, 100000, {"audience": "NL", "value": 20000})
    result = _engine(con, fw, tmp_path, data, "modele_opa.xlsx", "OPA")
    assert result.status == "imported", [e.message for e in result.errors]
    assert any("est le total de" in w.message for w in result.warnings)
    q1 = figures.aggregate(con, fw, "FLOW", "quarter").set_index("period").loc["2019-Q1"]
    assert q1["value"] == 100000 and "le total compte" in q1["note"]


def test_a_partners_crossing_lines_count_the_owed_one_and_name_the_other(con, fw, tmp_path):
    # Rule 5 in a partner's own layout (a « Public » column): the whole Ardenne's Dutch visitors
    # beside the Ardennes' visitors overlap on the Ardennes' Dutch visitors; neither contains the
    # other. OPA owes the Ardennes (all visitors): that line counts, the other is named, the
    # figure is partial.
    from tests.test_kpis_rules import workbook

    data = workbook(
        [["FLOW", "2019-Q1", "ARD", "NL", 40], ["FLOW", "2019-Q1", "FR-08", "", 100]],
        header=("Indicateur", "Période", "Zone", "Public", "Valeur"),
    )
    result = _engine(con, fw, tmp_path, data, "opa.xlsx", "OPA")
    assert result.status == "imported", [e.message for e in result.errors]
    q1 = row(figures.aggregate(con, fw, "FLOW", "quarter"), "2019-Q1")
    assert q1["value"] == 100 and not q1["complete"]
    assert "OPA : ARD · NL ✕ FR-08" in q1["note"]
    # The import said so, on the line set aside.
    said = [w.message for w in result.warnings if "recoupe" in w.message]
    assert len(said) == 1 and "ARD · NL recoupe FR-08 (tous publics)" in said[0], said
    assert "FR-08 (tous publics) compte (prévue par une obligation)" in said[0] and "partiel" in said[0]


def test_the_template_with_crossing_lines_counts_the_owed_line(con, fw, tmp_path):
    # The same in the project's template: its FLOW line for FR-08 (all audiences), and an added
    # line for the whole Ardenne's Dutch visitors.
    data = _template_with_a_line(con, fw, 100, {"zone": "ARD", "audience": "NL", "value": 40})
    result = _engine(con, fw, tmp_path, data, "modele_opa.xlsx", "OPA")
    assert result.status == "imported", [e.message for e in result.errors]
    q1 = row(figures.aggregate(con, fw, "FLOW", "quarter"), "2019-Q1")
    assert q1["value"] == 100 and not q1["complete"] and "OPA : ARD · NL ✕ FR-08" in q1["note"]
    assert any("ARD · NL recoupe FR-08 (tous publics)" in w.message for w in result.warnings)


SURVEY = FRAMEWORK + (
    "  - {code: SURV, label: Notoriété, unit: '%', direction: up, frequency: B, agg_time: mean, agg_space: mean,\n"
    "     measure: territory, baseline: {value: 10, period: '2016'}, targets: [{value: 50, period: '2020'}],\n"
    "     dimensions: [D1], keys: [K01], project: PIL, operators: []}\n"
)


def test_a_survey_wave_missing_a_zone_surveyed_before_is_partial(con):
    fw = parse_framework(SURVEY)
    put(
        con,
        fw,
        [
            ("SURV", "GEO", "FR-08", "2017", 40),
            ("SURV", "GEO", "BE-LUX", "2017", 50),
            ("SURV", "GEO", "FR-08", "2019", 45),
        ],
    )
    years = figures.aggregate(con, fw, "SURV", "year").set_index("period")
    assert years.loc["2017", "complete"] and years.loc["2017", "value"] == 45
    assert not years.loc["2019", "complete"] and "GEO (BE-LUX) n'a pas rapporté 2019" in years.loc["2019", "note"]
    assert "2018" not in years.index or not years.loc["2018", "note"].count("n'a pas rapporté")  # no wave in 2018


def test_a_target_dated_after_the_programmes_end_is_judged_at_its_end(fw):
    # Rule 7: STAYS's target is dated 2020 (to 31/12/2020); the programme ends on 31/03/2020.
    # Nothing is measured after that: the planned path reaches the target at the programme's end.
    ind = fw.indicator("STAYS")
    assert ind.final_target.period.end == dt.date(2020, 12, 31)
    assert ind.final_target.judged_at == fw.calendar.end == dt.date(2020, 3, 31)
    assert figures.expected_value(ind, dt.date(2020, 3, 31)) == 4000
    path = figures.expected_path(ind)
    assert path["date"].iloc[-1] == dt.date(2020, 3, 31) and path["period"].iloc[-1] == "2020"
    # judged at the programme's end, a year of 2019 is held to more than the pace to December 2020
    day = dt.date(2019, 12, 31)
    base, end = dt.date(2016, 12, 31), dt.date(2020, 3, 31)
    assert figures.expected_value(ind, day) == pytest.approx(4000 * (day - base).days / (end - base).days)
    assert figures.next_target(ind, dt.date(2020, 3, 31)) is ind.final_target
    # a target inside the programme keeps its own date
    flow = fw.indicator("FLOW").final_target
    assert flow.judged_at == flow.period.end == dt.date(2020, 3, 31) and flow.due is None


def test_the_import_names_the_crossing_lines_set_aside_by_the_figures_rule(fw):
    # OPB owes BE-LUX, not the Ardenne's Dutch visitors nor FR-08: the import names each line
    # set aside where it stands, by the figures' own rule.
    import numpy as np

    from ardenne_kpi.intake import import_warnings

    lines = [("ARD", "NL", "G6"), ("FR-08", "", "G7"), ("BE-LUX", "", "G8")]
    incoming = {
        "indicator": np.array(["FLOW"] * 3, dtype=object),
        "operator": np.array(["OPB"] * 3, dtype=object),
        "period": np.array(["2019-Q1"] * 3, dtype=object),
        "zone": np.array([z for z, _, _ in lines], dtype=object),
        "audience": np.array([a for _, a, _ in lines], dtype=object),
        "sheet": np.array(["Données"] * 3, dtype=object),
        "cell": np.array([c for _, _, c in lines], dtype=object),
        "value": np.array([1.0, 2.0, 3.0]),
    }
    said = [i.message for i in import_warnings.in_file(fw, incoming) if "recoupe" in i.message]
    # BE-LUX, owed, wins against ARD · NL; FR-08 crossed only the line set aside: it stays.
    assert len(said) == 1, said
    assert said[0].startswith("Feuille « Données », cellule G6")
    assert "ARD · NL recoupe BE-LUX (tous publics)" in said[0] and "compte (prévue par une obligation)" in said[0]
    # Without BE-LUX, the wider zone's line counts and FR-08 is set aside.
    two = {name: column[:2] for name, column in incoming.items()}
    said = [i.message for i in import_warnings.in_file(fw, two) if "recoupe" in i.message]
    assert len(said) == 1 and "cellule G7" in said[0] and "FR-08 (tous publics) recoupe ARD · NL" in said[0], said
    assert "ARD · NL compte (zone plus large)" in said[0]
