"""Issue 23's examples, each sent through the import engine twice: once as a partner's own
workbook (its own header names, column order, a title above the header) and once as the
project's template for that operator and period, filled in with openpyxl (lines the template
does not list inserted below its own). The figure, its completeness and its note must be the
same whichever way the partner wrote; where the example is about Suivi, Suivi agrees."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

import openpyxl
import pytest

from ardenne_kpi import db, figures, reporting
from ardenne_kpi.framework import Framework, parse_framework
from ardenne_kpi.intake import importer, templates
from ardenne_kpi.intake.locate import header_field
from tests.test_expected import AFTER_ALL, SURVEY, with_obligations
from tests.test_kpis_rules import FRAMEWORK, row

# Partners' own headers, varied between the examples: each title is one the reader accepts.
FRENCH = ("Indicateur", "Période", "Territoire", "Public", "Valeur")
ENGLISH = ("Indicator code", "Period", "Area", "Target group", "Value", "Numerator", "Denominator")
SHORT = ("Valeur", "Zone", "Code", "Trimestre", "Cible")  # value first, abbreviated
ALL = "Tous publics"  # how a partner's own sheet says all audiences
WITH_RATIO = ("Réf", "Période de rapportage", "Province", "Réalisé", "Numérateur", "Dénominateur", "Public cible")


@dataclass
class Desk:
    """A database on one framework, and reports sent to it in one layout."""

    con: object
    fw: Framework
    path: object
    layout: str
    warnings: list[str] = field(default_factory=list)  # the last import's warnings

    def send(self, operator: str, period: str, lines: list[tuple], header=FRENCH, title: str = "") -> None:
        """Import one report of `operator`: `lines` of (indicator, period, zone, audience, value
        [, numerator, denominator]), written in the partner's own `header` (with a `title` row
        above it), or in the template of `operator` for `period`."""
        if self.layout == "template":
            data = _template(self.con, self.fw, operator, period, lines)
        else:
            data = _own_workbook(lines, header, title)
        # parsed in this process (no guard child): the same reading, twice as fast for a file the test wrote
        result = importer.import_file(
            self.con,
            data,
            f"{operator}_{period}.xlsx",
            operator=operator,
            framework=self.fw,
            db_path=self.path,
            isolated=False,
        )
        assert result.status == "imported", [e.message for e in result.errors]
        self.warnings = [w.message for w in result.warnings]

    def figure(self, code: str, grain: str, period: str):
        return row(figures.aggregate(self.con, self.fw, code, grain), period)


FIELDS = ("indicator", "period", "zone", "audience", "value", "numerator", "denominator")


def _own_workbook(lines: list[tuple], header: tuple[str, ...], title: str) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Données"
    if title:
        ws.append([title])
        ws.append([])
    ws.append(list(header))
    for line in lines:
        given = dict(zip(FIELDS, line, strict=False))
        ws.append([given.get(header_field(h)) or None for h in header])
    return templates.workbook_bytes(wb)


def _template(con, fw: Framework, operator: str, period: str, lines: list[tuple]) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(templates.build_template(con, fw, operator, period)))
    ws = wb[templates.DATA_SHEET]
    col = {k: openpyxl.utils.column_index_from_string(v) for k, v in templates.COLUMN_OF.items()}
    listed, r = {}, templates.FIRST_ROW
    while ws.cell(r, col["indicator"]).value:
        key = tuple(ws.cell(r, col[k]).value or "" for k in ("indicator", "period", "zone", "audience"))
        listed[key] = r
        r += 1
    for line in lines:
        given = dict(zip(FIELDS, line, strict=False))
        if given["audience"] == ALL:  # the template says « all audiences » with an empty Public
            given["audience"] = ""
        at = listed.get(tuple(given[k] for k in ("indicator", "period", "zone", "audience")))
        if at is None:  # a line the template does not list: inserted below its own
            at = r
            ws.insert_rows(at)
            r += 1
            for key in ("indicator", "period", "zone", "audience"):
                ws.cell(at, col[key]).value = given[key] or None
        for key in ("value", "numerator", "denominator"):
            ws.cell(at, col[key]).value = given.get(key)
    return templates.workbook_bytes(wb)


@pytest.fixture(params=["partner", "template"])
def desk(request, tmp_path):
    def open_desk(text: str = FRAMEWORK) -> Desk:
        fw = parse_framework(text)
        path = tmp_path / "examples.duckdb"
        con = db.connect(path)
        db.sync_framework(con, fw)
        request.addfinalizer(con.close)
        return Desk(con, fw, path, request.param)

    return open_desk


def suivi(d: Desk, operator: str, indicator: str):
    """Suivi's expected reports of `operator` for `indicator`, by period (the Suivi page's table)."""
    items = reporting.report_items(d.con, d.fw, None, AFTER_ALL)
    return items[(items["operator"] == operator) & (items["indicator"] == indicator)].set_index("period")


# ------------------------------------------------------------------ a figure called complete while a partner is missing


def test_a_quarter_never_sent_makes_the_semester_partial_where_suivi_says_missing(desk):
    # OPA's quarterly report arrives for T1 2019, T2 never comes: 2019-S1 is partial, names T2,
    # and Suivi lists the same report as « Manquant, délai dépassé ».
    d = desk(
        with_obligations(
            "  - {operator: OPA, indicators: [FLOW], from: 2019-Q1}\n"
            "  - {operator: OPB, indicators: [FLOW], from: 2019-Q1}\n"
        )
    )
    d.send("OPA", "2019-Q1", [("FLOW", "2019-Q1", "FR-08", "", 4)], title="Rapport trimestriel de l'Opérateur A")
    d.send("OPB", "2019-Q1", [("FLOW", "2019-Q1", "BE-LUX", "", 1)], header=SHORT)
    d.send("OPB", "2019-Q2", [("FLOW", "2019-Q2", "BE-LUX", "", 1)], header=SHORT)
    s1 = d.figure("FLOW", "semester", "2019-S1")
    assert s1["value"] == 6 and not s1["complete"]
    assert "OPA (FR-08) n'a pas rapporté T2 2019" in s1["note"]
    opa = suivi(d, "OPA", "FLOW")
    assert opa.loc["2019-Q2", "status"] == "overdue" and reporting.ITEM_LABELS["overdue"] == "Manquant, délai dépassé"
    assert bool(opa.loc["2019-Q1", "received"])


def test_a_stock_of_an_operator_without_obligation_that_stops_is_partial_and_named(desk):
    # GEO is not an operator of STOCK: its members count while it reports (« hors obligation »),
    # and when it stops the semester is partial and names it, never 62 000 → 56 000 « complète ».
    d = desk()
    for semester in ("S05", "S06"):
        d.send("OPA", semester, [("STOCK", semester, "FR-08", "", 50000)])
        d.send("OPB", semester, [("STOCK", semester, "BE-LUX", "", 6000)], header=ENGLISH)
    d.send("GEO", "S05", [("STOCK", "S05", "ARD", "", 6000)], header=SHORT, title="Observatoire, adhérents")
    s05 = d.figure("STOCK", "programme-semester", "S05")
    assert s05["value"] == 62000 and s05["complete"] and "hors obligation" in s05["note"]
    s06 = d.figure("STOCK", "programme-semester", "S06")
    assert s06["value"] == 56000 and not s06["complete"]
    assert "GEO (ARD) n'a pas rapporté" in s06["note"]
    # nobody owes it, so Suivi has no line for it; the Référentiel lists it for adoption
    assert suivi(d, "GEO", "STOCK").empty
    outside = figures.outside_series(d.con, d.fw)
    assert outside[["indicator", "operator", "zone", "first_period", "last_period"]].values.tolist() == [
        ["STOCK", "GEO", "ARD", "S05", "S05"]
    ]


def test_an_adopted_series_is_due_like_any_other_and_suivi_says_it_is_missing(desk):
    # The coordination adopts GEO's members as an obligation from S05: its S06 is then
    # « Manquant » in Suivi, and the figure names it as before (no longer « hors obligation »).
    d = desk(with_obligations("  - {operator: GEO, indicators: [STOCK], adopted: true, from: S05, zones: [ARD]}\n"))
    for semester in ("S05", "S06"):
        d.send("OPA", semester, [("STOCK", semester, "FR-08", "", 50000)], header=ENGLISH)
        d.send("OPB", semester, [("STOCK", semester, "BE-LUX", "", 6000)])
    d.send("GEO", "S05", [("STOCK", "S05", "ARD", "", 6000)], header=SHORT)
    s05, s06 = (d.figure("STOCK", "programme-semester", s) for s in ("S05", "S06"))
    assert s05["value"] == 62000 and s05["complete"] and "hors obligation" not in s05["note"]
    assert s06["value"] == 56000 and not s06["complete"] and "GEO (ARD) n'a pas rapporté S06" in s06["note"]
    geo = suivi(d, "GEO", "STOCK")
    assert bool(geo.loc["S05", "received"]) and geo.loc["S06", "status"] == "overdue"
    assert figures.outside_series(d.con, d.fw).empty


def test_a_year_built_from_three_quarters_of_a_non_responsible_operator_is_partial(desk):
    # OPB alone owes STAYS and sends every quarter; OPA, not an operator of STAYS, reports its
    # overnight stays for T1–T3 2019 and stops. 2019 is partial and names OPA alone, never
    # « complète » on three of its quarters; the quarters after it stopped are complete (a flow
    # that stops is not a missing report).
    d = desk(FRAMEWORK.replace("operators: [GEO, OPB]}", "operators: [OPB]}"))
    quarters = ("2019-Q1", "2019-Q2", "2019-Q3", "2019-Q4", "2020-Q1")
    d.send("OPB", "01/01/2019 - 31/03/2020", [("STAYS", q, "BE-LUX", "", 1000) for q in quarters], header=SHORT)
    for q in quarters[:3]:
        d.send("OPA", q, [("STAYS", q, "FR-08", "", 100)], header=ENGLISH)
    year = d.figure("STAYS", "year", "2019")
    assert year["value"] == 4300 and not year["complete"]
    assert "OPA (FR-08) n'a pas rapporté T4 2019" in year["note"] and "hors obligation" in year["note"]
    assert "OPB (" not in year["note"].split("Valeur partielle")[-1]
    assert suivi(d, "OPB", "STAYS").loc[list(quarters), "received"].all()
    for q in quarters[3:]:
        after = d.figure("STAYS", "quarter", q)
        assert after["value"] == 1000 and after["complete"], after["note"]


# ------------------------------------------------------------------ a figure partial for a report nobody owed


def test_a_new_zone_reported_monthly_from_january_leaves_the_semester_complete(desk):
    # OPB is not an operator of FLOW; it reports BE-LUX monthly from January 2019: expected from
    # its first report only, so October–March is complete (never « n'a pas rapporté octobre 2018 »).
    d = desk(FRAMEWORK.replace("operators: [OPA, OPB]}", "operators: [OPA]}", 1))
    d.send("OPA", "S05", [("FLOW", q, "FR-08", "", 10) for q in ("2018-Q4", "2019-Q1")], header=ENGLISH)
    d.send("OPB", "2019-Q1", [("FLOW", m, "BE-LUX", "", 5) for m in ("2019-01", "2019-02", "2019-03")])
    s05 = d.figure("FLOW", "programme-semester", "S05")
    assert s05["value"] == 35 and s05["complete"], s05["note"]
    assert "n'a pas rapporté" not in s05["note"] and "hors obligation" in s05["note"]
    outside = figures.outside_series(d.con, d.fw).set_index("operator")
    assert (outside.loc["OPB", "first_period"], outside.loc["OPB", "last_period"]) == ("2019-01", "2019-03")


def test_a_declared_obligation_from_january_is_due_from_january(desk):
    d = desk(with_obligations("  - {operator: OPB, indicators: [FLOW], grain: month, from: 2019-01}\n"))
    d.send("OPA", "S05", [("FLOW", q, "FR-08", "", 10) for q in ("2018-Q4", "2019-Q1")])
    d.send("OPB", "2019-Q1", [("FLOW", m, "BE-LUX", "", 5) for m in ("2019-01", "2019-02", "2019-03")], header=SHORT)
    s05 = d.figure("FLOW", "programme-semester", "S05")
    assert s05["value"] == 35 and s05["complete"], s05["note"]
    opb = suivi(d, "OPB", "FLOW")
    assert opb.index[0] == "2019-01" and opb.loc[["2019-01", "2019-02", "2019-03"], "received"].all()
    assert figures.outside_series(d.con, d.fw).empty


def test_nothing_is_due_before_the_programme_starts(desk):
    # The programme starts on 1 October 2016: its first quarter is whole, and neither the figure
    # nor Suivi names a report « missing » before it.
    d = desk()
    d.send("OPA", "2016-Q4", [("FLOW", "2016-Q4", "FR-08", "", 3)], title="Premier rapport")
    d.send("OPB", "2016-Q4", [("FLOW", "2016-Q4", "BE-LUX", "", 4)], header=ENGLISH)
    q4 = d.figure("FLOW", "quarter", "2016-Q4")
    assert q4["value"] == 7 and q4["complete"], q4["note"]
    assert "n'a pas rapporté" not in d.figure("FLOW", "year", "2016")["note"]
    for operator in ("OPA", "OPB"):
        assert (suivi(d, operator, "FLOW")["period_end"] >= dt.date(2016, 10, 1)).all()
        assert suivi(d, operator, "FLOW").index[0] == "2016-Q4"


# ------------------------------------------------------------------ a figure built without an operator


SEMESTER_AND_QUARTERS = with_obligations("  - {operator: OPA, indicators: [FLOW], grain: programme-semester}\n")


def _semester_beside_quarters(d: Desk) -> None:
    """OPA owes FLOW by programme semester, OPB by quarter (by default); 2019-Q4 never comes."""
    for semester in ("S05", "S06"):
        d.send("OPA", semester, [("FLOW", semester, "FR-08", "", 100)], header=SHORT)
    quarters = ("2018-Q4", "2019-Q1", "2019-Q2", "2019-Q3")
    d.send("OPB", "S06", [("FLOW", q, "BE-LUX", "", 10) for q in quarters], title="Opérateur B, sessions")


def test_a_programme_semester_reporter_makes_the_quarter_and_the_year_partial_and_is_named(desk):
    d = desk(SEMESTER_AND_QUARTERS)
    _semester_beside_quarters(d)
    q1 = d.figure("FLOW", "quarter", "2019-Q1")
    assert q1["value"] == 10 and not q1["complete"]
    assert "OPA (FR-08), rapporté par semestre du programme" in q1["note"]
    year = d.figure("FLOW", "year", "2019")
    assert not year["complete"] and "OPA (FR-08)" in year["note"]
    assert not (year["complete"] and "non calculable" in year["note"])
    assert d.figure("FLOW", "programme-semester", "S05")["value"] == 120
    # Suivi has OPA's semesters received: the quarter lacks OPA because its grain cannot build one
    assert suivi(d, "OPA", "FLOW").loc[["S05", "S06"], "received"].all()


def test_the_status_is_judged_at_the_finest_grain_where_every_expected_series_tiles(desk):
    # Like ATT06: one series owed by programme semester, so FLOW is judged by programme semester.
    # FLOW's target is dated T1 2020 (a quarter), which OPA's semesters cannot build: FLOW is
    # judged by programme semester, and the page says so.
    d = desk(
        SEMESTER_AND_QUARTERS.replace(
            "targets: [{value: 400, period: S07}]", "targets: [{value: 400, period: 2020-Q1}]"
        )
    )
    _semester_beside_quarters(d)
    assert figures.evaluation_grain(d.fw.indicator("FLOW"), d.fw) == "programme-semester"
    assert figures.evaluation_grain_reason(d.fw.indicator("FLOW"), d.fw).startswith(
        "Jugé par semestre du programme (interreg) et non par trimestre"
    )
    status = figures.indicator_status(d.con, d.fw).set_index("indicator").loc["FLOW"]
    assert status["latest_period"] == "S06" and status["latest_value"] == 120 and status["complete"]


# ------------------------------------------------------------------ totals beside their parts


@pytest.mark.parametrize(
    "total",
    [("FLOW", "2019-Q1", "Total", "", 30), ("FLOW", "2019-Q1", "", "", 30)],
    ids=["total-line", "no-zone"],
)
def test_a_total_line_beside_the_provinces_is_the_figure_not_added(desk, total):
    # OPA's sheet gives its provinces and the whole Ardenne (« Total », or a line with no zone):
    # 30, never 60, and the import says which line is the total.
    d = desk()
    parts = [("FLOW", "2019-Q1", "FR-08", "", 10), ("FLOW", "2019-Q1", "BE-LUX", "", 20)]
    d.send("OPA", "2019-Q1", [*parts, total], header=ENGLISH)
    said = [m for m in d.warnings if "est le total de" in m]
    assert len(said) == 1 and "ARD = 30 est le total de FR-08, BE-LUX" in said[0] and "Attention" not in said[0]
    q1 = d.figure("FLOW", "quarter", "2019-Q1")
    assert q1["value"] == 30 and "le total compte" in q1["note"]
    lineage = figures.lineage(d.con, d.fw, "FLOW", "2019-Q1").set_index("zone")
    assert lineage.loc["FR-08", "reason"].startswith("non compté : détail du total ARD")


def test_all_audiences_beside_dutch_visitors_is_the_figure_not_added(desk):
    d = desk()
    d.send(
        "OPA",
        "2019-Q1",
        [("FLOW", "2019-Q1", "FR-08", ALL, 100000), ("FLOW", "2019-Q1", "FR-08", "NL", 20000)],
        header=WITH_RATIO,
    )
    assert any("est le total de" in m for m in d.warnings)
    q1 = d.figure("FLOW", "quarter", "2019-Q1")
    assert q1["value"] == 100000 and "le total compte" in q1["note"]
    lineage = figures.lineage(d.con, d.fw, "FLOW", "2019-Q1").set_index("audience")
    assert lineage.loc["", "reason"] == "compté" and lineage.loc["NL", "reason"].startswith("non compté")


def test_a_territorys_total_beside_its_provinces_is_the_figure_not_added(desk):
    # The same for a territory measurement: GEO's overnight stays for the whole Ardenne beside
    # its two provinces, 1 000 and never 2 000.
    d = desk()
    parts = [("STAYS", "2019-Q1", z, "", v) for z, v in (("FR-08", 600), ("BE-LUX", 400))]
    d.send("GEO", "2019-Q1", [("STAYS", "2019-Q1", "Toute l'Ardenne", "", 1000), *parts], header=WITH_RATIO)
    assert any("ARD = 1000 est le total de" in m.replace("\u00a0", "").replace(" 000", "000") for m in d.warnings)
    q1 = d.figure("STAYS", "quarter", "2019-Q1")
    assert q1["value"] == 1000 and q1["complete"], q1["note"]


def test_the_import_warns_when_the_parts_exceed_their_total(desk):
    d = desk()
    lines = [("FLOW", "2019-Q1", z, "", v) for z, v in (("FR-08", 10), ("BE-LUX", 20), ("Total", 25))]
    d.send("OPA", "2019-Q1", lines, header=SHORT)
    said = [m for m in d.warnings if "est le total de" in m]
    assert said and "ses parties totalisent 30, plus que le total (25)" in said[0]


def test_different_operators_outputs_still_add(desk):
    d = desk()
    d.send("OPA", "2019-Q1", [("FLOW", "2019-Q1", "Total", "", 30)])
    d.send("OPB", "2019-Q1", [("FLOW", "2019-Q1", "BE-LUX", "", 20)])
    assert d.figure("FLOW", "quarter", "2019-Q1")["value"] == 50


# ------------------------------------------------------------------ ratios, overlaps, surveys, targets, stocks


def test_a_bare_ratio_is_named_apart_and_never_averaged_in(desk):
    d = desk()
    d.send("OPA", "2019-Q1", [("OCC", "2019-Q1", "FR-08", "", 50, 50, 100)], header=WITH_RATIO)
    d.send("OPB", "2019-Q1", [("OCC", "2019-Q1", "BE-LUX", "", 10)], header=ENGLISH)
    q1 = d.figure("OCC", "quarter", "2019-Q1")
    assert q1["value"] == pytest.approx(50)  # Σ num / Σ den over the values that carry them, not 30
    assert "laissé à part, sans numérateur ni dénominateur : OPB (BE-LUX)" in q1["note"]
    reasons = figures.lineage(d.con, d.fw, "OCC", "2019-Q1").set_index("zone")["reason"]
    assert reasons["FR-08"] == "compté" and "non pondérable" in reasons["BE-LUX"]


def test_a_wider_zone_for_a_narrower_audience_is_not_added_to_the_narrower_zone_for_all(desk):
    # (BE-LUX, all visitors) and (ARD, Dutch visitors) share BE-LUX's Dutch visitors. OPB owes
    # BE-LUX, nobody owes the Ardenne's Dutch visitors: the owed line counts, the other is named.
    d = desk()
    d.send("GEO", "2019-Q1", [("STAYS", "2019-Q1", "ARD", "NL", 500)], header=SHORT)
    d.send("OPB", "2019-Q1", [("STAYS", "2019-Q1", "BE-LUX", "", 300)])
    q1 = d.figure("STAYS", "quarter", "2019-Q1")
    assert q1["value"] == 300 and not q1["complete"]
    assert "ARD · NL ✕ BE-LUX" in q1["note"] and "Valeur partielle" in q1["note"]


def test_an_operators_crossing_lines_count_the_owed_one_and_name_the_other(desk):
    # OPA owes FR-08 (all visitors) and adds a line for the Ardenne's Dutch visitors: its owed
    # line counts; OPB's line adds.
    d = desk()
    d.send("OPA", "2019-Q1", [("FLOW", "2019-Q1", "ARD", "NL", 40), ("FLOW", "2019-Q1", "FR-08", "", 100)])
    d.send("OPB", "2019-Q1", [("FLOW", "2019-Q1", "BE-LUX", "", 70)], header=ENGLISH)
    q1 = d.figure("FLOW", "quarter", "2019-Q1")
    assert q1["value"] == 170 and not q1["complete"]
    assert "OPA : ARD · NL ✕ FR-08" in q1["note"]


def test_a_survey_wave_missing_a_zone_surveyed_before_is_partial(desk):
    d = desk(SURVEY)
    d.send("GEO", "2017", [("SURV", "2017", "FR-08", "", 40), ("SURV", "2017", "BE-LUX", "", 50)], header=ENGLISH)
    d.send("GEO", "2019", [("SURV", "2019", "FR-08", "", 45)], header=ENGLISH)
    years = figures.aggregate(d.con, d.fw, "SURV", "year").set_index("period")
    assert years.loc["2017", "complete"] and years.loc["2017", "value"] == 45
    assert not years.loc["2019", "complete"] and "GEO (BE-LUX) n'a pas rapporté 2019" in years.loc["2019", "note"]


def test_a_target_dated_after_the_programmes_end_is_judged_at_its_last_period(desk):
    # STAYS's target (4 000) is dated 2020 (to 31/12/2020), after the programme's end
    # (31/03/2020): the planned path reaches it at the last period, T1 2020, and a year of 2019
    # is held to the pace towards March 2020, not December 2020.
    d = desk()
    whole = "01/10/2016 - 31/03/2020"
    quarters = [f"{y}-Q{q}" for y in range(2016, 2021) for q in (1, 2, 3, 4)][3:-3]
    d.send("GEO", whole, [("STAYS", q, "ARD", "", 250) for q in quarters], header=SHORT, title="Nuitées")
    trend = figures.trends(d.con, d.fw, ["STAYS"], "quarter")["STAYS"].set_index("period")
    assert trend.loc["2020-Q1", "complete"] and trend.loc["2020-Q1", "expected"] == 4000
    status = figures.indicator_status(d.con, d.fw).set_index("indicator").loc["STAYS"]
    base, end = dt.date(2016, 12, 31), dt.date(2020, 3, 31)
    assert status["latest_period"] == "2019" and status["latest_value"] == 1000
    assert status["expected"] == pytest.approx(4000 * (dt.date(2019, 12, 31) - base).days / (end - base).days)


STOCK_BY_QUARTER = with_obligations(
    "  - {operator: OPA, indicators: [STOCK], grain: quarter}\n"
    "  - {operator: OPB, indicators: [STOCK], grain: quarter}\n"
)


def test_one_stock_on_one_date_has_one_value_and_one_note(desk):
    # OPA and OPB owe their members by quarter; OPB's T4 2019 never comes. The quarter and the
    # year that end on 31/12/2019 give the same partial figure and the same note.
    d = desk(STOCK_BY_QUARTER)
    d.send("OPA", "2019", [("STOCK", f"2019-Q{q}", "FR-08", "", 100 + q) for q in (1, 2, 3, 4)])
    d.send("OPB", "2019", [("STOCK", f"2019-Q{q}", "BE-LUX", "", 50) for q in (1, 2, 3)], header=ENGLISH)
    quarter, year = d.figure("STOCK", "quarter", "2019-Q4"), d.figure("STOCK", "year", "2019")
    assert quarter["value"] == year["value"] == 104 and not quarter["complete"] and not year["complete"]
    assert quarter["note"] == year["note"] and "OPB (BE-LUX) n'a pas rapporté T4 2019" in year["note"]


def test_one_stock_on_one_date_has_one_note_when_earlier_quarters_are_missing_too(desk):
    d = desk(STOCK_BY_QUARTER)
    d.send("OPA", "2019", [("STOCK", f"2019-Q{q}", "FR-08", "", 100 + q) for q in (1, 2, 3, 4)])
    d.send("OPB", "2019", [("STOCK", "2019-Q3", "BE-LUX", "", 50)], header=ENGLISH)
    quarter, year = d.figure("STOCK", "quarter", "2019-Q4"), d.figure("STOCK", "year", "2019")
    assert quarter["value"] == year["value"] == 104
    assert quarter["note"] == year["note"]
