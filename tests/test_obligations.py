"""Reporting obligations (issue 14, item 1): which indicators each operator reports, at which
grain, from which period, within how many days. Suivi's completeness and timeliness and the
figures' "due series" all read them; the Référentiel workbook round-trips them."""

from __future__ import annotations

import datetime as dt

import pytest

from ardenne_kpi import db, figures, framework_admin, reporting
from ardenne_kpi.core.errors import FrameworkError
from ardenne_kpi.framework import parse_framework
from ardenne_kpi.framework import workbook as framework_workbook
from tests.test_kpis_rules import FRAMEWORK, put, row

OBLIGED = FRAMEWORK.replace(
    "indicators:\n",
    """obligations:
  - {operator: OPA, indicators: [FLOW], grain: programme-semester, deadline_days: 90}
  - {operator: OPB, indicators: [SEM], from: S06}
indicators:
""",
    1,
).replace("operators: [OPA]}", "operators: [OPA, OPB]}")
AFTER_ALL = dt.date(2021, 1, 1)


@pytest.fixture
def fw():
    return parse_framework(FRAMEWORK)


@pytest.fixture
def obliged():
    return parse_framework(OBLIGED)


@pytest.fixture
def con(tmp_path, fw):
    connection = db.connect(tmp_path / "obligations.duckdb")
    db.sync_framework(connection, fw)
    yield connection
    connection.close()


def expected(fw, operator, indicator):
    items = reporting.expected_reports(fw, as_of=AFTER_ALL)
    return items[(items["operator"] == operator) & (items["indicator"] == indicator)]


def test_a_declared_grain_replaces_the_indicator_frequency_in_what_is_expected(obliged):
    opa = expected(obliged, "OPA", "FLOW")
    assert set(opa["period"]) == {"S01", "S02", "S03", "S04", "S05", "S06", "S07"}  # not quarters
    assert (opa["deadline"] == opa["period_end"] + dt.timedelta(days=90)).all()
    opb = expected(obliged, "OPB", "FLOW")  # no declaration: the indicator's quarters, the 45-day rule
    assert "2019-Q1" in set(opb["period"]) and (opb["deadline"] == opb["period_end"] + dt.timedelta(days=45)).all()


def test_a_declared_first_period_leaves_earlier_periods_not_due(obliged):
    assert set(expected(obliged, "OPB", "SEM")["period"]) == {"S06", "S07"}
    assert set(expected(obliged, "OPA", "SEM")["period"]) == {"S01", "S02", "S03", "S04", "S05", "S06", "S07"}


def test_an_operator_without_obligation_counts_is_named_and_its_stopped_flow_is_not_missing(con, fw):
    # GEO reports FLOW, for which it has no obligation: Suivi expects nothing of it; the figures
    # count it, say so (« hors obligation »), and when its flow stops it is not missing. OPA,
    # which owes FLOW every quarter and never reported, is.
    put(
        con,
        fw,
        [("FLOW", "OPB", "BE-LUX", q, 10) for q in ("2018-Q4", "2019-Q1", "2019-Q2")]
        + [("FLOW", "GEO", "ARD", q, 5) for q in ("2018-Q4", "2019-Q1")],
    )
    items = reporting.report_items(con, fw, as_of=AFTER_ALL)
    assert items[(items["operator"] == "GEO") & (items["indicator"] == "FLOW")].empty
    quarters = figures.aggregate(con, fw, "FLOW", "quarter")
    q1, q2 = row(quarters, "2019-Q1"), row(quarters, "2019-Q2")
    assert q1["value"] == 15 and "hors obligation" in q1["note"] and "GEO (ARD)" in q1["note"]
    assert q2["value"] == 10 and not q2["complete"]
    assert "OPA (FR-08) n'a pas rapporté" in q2["note"] and "GEO" not in q2["note"]


def test_a_semester_obligation_is_received_whole_and_never_missing_its_quarters(con, obliged):
    put(
        con,
        obliged,
        [("FLOW", "OPA", "FR-08", "S05", 100), ("FLOW", "OPA", "FR-08", "S06", 100)]
        + [("FLOW", "OPB", "BE-LUX", q, 10) for q in ("2018-Q4", "2019-Q1", "2019-Q2", "2019-Q3")],
    )
    items = reporting.report_items(con, obliged, (dt.date(2018, 10, 1), dt.date(2019, 9, 30)), as_of=AFTER_ALL)
    opa = items[(items["operator"] == "OPA") & (items["indicator"] == "FLOW")]
    assert list(opa["period"]) == ["S05", "S06"] and opa["received"].all()


def test_the_figures_read_the_declared_grain_of_a_series(con, fw, obliged):
    # OPA reports FLOW by quarter but misses T1 2019. By default its series is due every quarter;
    # declared by programme semester, it owes S05 (which it did not give whole).
    rows = [("FLOW", "OPB", "BE-LUX", q, 10) for q in ("2018-Q4", "2019-Q1")] + [
        ("FLOW", "OPA", "FR-08", q, 7) for q in ("2018-Q3", "2018-Q4")
    ]
    put(con, fw, rows)
    assert not row(figures.aggregate(con, fw, "FLOW", "quarter"), "2019-Q1")["complete"]
    # declared by programme semester, OPA cannot build a quarter: partial, and said why
    q1 = row(figures.aggregate(con, obliged, "FLOW", "quarter"), "2019-Q1")
    assert q1["value"] == 10 and not q1["complete"]
    assert "OPA (FR-08), rapporté par semestre du programme" in q1["note"]
    s05 = row(figures.aggregate(con, obliged, "FLOW", "programme-semester"), "S05")
    assert not s05["complete"] and "OPA (FR-08)" in s05["note"]


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("{operator: GEO, indicators: [FLOW]}", "GEO n'est pas un opérateur de FLOW"),
        ("{operator: OPA, indicators: [FLOW], grain: fortnight}", "granularité « fortnight » inconnue"),
        ("{operator: OPA, indicators: [NOPE]}", "indicateur inconnu(e) « NOPE »"),
        ("{operator: OPA, indicators: [FLOW], deadline_days: -3}", "un nombre de jours entier, positif"),
        ("{operator: OPA, indicators: [FLOW, FLOW]}", "déclarée deux fois"),
    ],
)
def test_a_wrong_obligation_is_refused_with_its_line(line, says):
    text = FRAMEWORK.replace("indicators:\n", f"obligations:\n  - {line}\nindicators:\n", 1)
    with pytest.raises(FrameworkError) as caught:
        parse_framework(text)
    assert any(says in p and "ligne" in p for p in caught.value.problems), caught.value.problems


def test_the_workbook_round_trips_the_obligations_and_the_page_lists_them_all(obliged):
    again = parse_framework(framework_workbook.from_workbook(framework_workbook.to_workbook(obliged), obliged))
    assert again.declared_obligations == obliged.declared_obligations
    table = framework_admin.obligations_table(obliged)
    assert len(table) == len(obliged.obligations) == sum(len(i.operators) for i in obliged.indicators)
    opa = table[table["Indicateur"].str.startswith("FLOW") & (table["Opérateur"] == "Opérateur A")].iloc[0]
    assert opa["Granularité"] == "Semestre du programme (Interreg)" and opa["Délai (jours)"] == 90
    assert opa["Source"].startswith("déclarée")


def test_the_template_asks_for_the_periods_of_the_operator_obligation(con, obliged):
    from ardenne_kpi.intake import template_lines

    s05 = template_lines.resolve_period(obliged, "S05")
    periods = {(r.indicator.code, r.period.code) for r in template_lines.template_rows(con, obliged, "OPA", s05)}
    assert ("FLOW", "S05") in periods and ("FLOW", "2018-Q4") not in periods  # its declared grain
    opb = {(r.indicator.code, r.period.code) for r in template_lines.template_rows(con, obliged, "OPB", s05)}
    assert ("FLOW", "2018-Q4") in opb and ("FLOW", "2019-Q1") in opb and not any(c == "SEM" for c, _ in opb)
