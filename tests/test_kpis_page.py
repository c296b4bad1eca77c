"""The Tendances page (AppTest) on empty and demo databases, and its figures."""

from __future__ import annotations

import pandas as pd
import pytest

from ardenne_kpi import charts, db, figures
from tests.conftest import open_tab, run_page

PAGE = "pages/2_Tendances.py"


def test_tendances_on_an_empty_database_says_what_to_do(empty_db_path):
    at = run_page(PAGE, empty_db_path)
    assert not at.exception
    assert any("Importez les rapports" in i.value for i in at.info)


def test_tendances_on_the_demo_shows_status_counts_detail_and_lineage(demo_db_path):
    at = run_page(PAGE, demo_db_path)
    assert not at.exception, [e.value for e in at.exception]
    labels = [m.label for m in at.metric]
    assert any("En bonne voie" in label for label in labels) and any("Sans données" in label for label in labels)
    at.selectbox(key="t_indicator").set_value("CLI01").run()
    open_tab(at, LINEAGE)
    at.selectbox(key="t_lineage").set_value("S05").run()
    assert not at.exception
    lineage = at.dataframe[-1].value
    assert set(lineage["Période"]) == {"T4 2018", "T1 2019"} and "Fichier" in lineage.columns


LINEAGE = "D'où vient ce chiffre ?"


def _lower_part(at) -> dict:
    """What the part under the trend drew: the tabs, the open one's content."""
    return {
        "tabs": [t.label for t in at.tabs],
        "charts": len(at.get("plotly_chart")),
        "tables": [list(d.value.columns) for d in at.dataframe],
        "lineage": [s.key for s in at.selectbox if s.key == "t_lineage"],
        "by": [r.key for r in at.radio if r.key == "t_by"],
    }


def test_under_the_trend_only_the_open_tab_is_built_and_a_period_in_the_link_opens_the_lineage(demo_db_path):
    at = run_page(PAGE, demo_db_path, query_params={"indicateur": "CLI08"})
    assert not at.exception, [e.value for e in at.exception]
    shown = _lower_part(at)
    assert shown["tabs"] == ["Valeurs", "Commentaires des partenaires", LINEAGE, "Ventilation"]
    # the values: their table only; no lineage picker, no breakdown chart beside the trend
    assert shown["charts"] == 1 and not shown["lineage"] and not shown["by"]
    assert [c[:2] for c in shown["tables"]] == [["Période", "Valeur"]]
    assert at.query_params.get("onglet") in (None, "Valeurs", ["Valeurs"])

    open_tab(at, "Ventilation")
    shown = _lower_part(at)
    assert shown["charts"] == 2 and shown["by"] == ["t_by"] and not shown["tables"] and not shown["lineage"]

    opened = run_page(PAGE, demo_db_path, query_params={"indicateur": "CLI01", "periode": "S05"})
    assert not opened.exception, [e.value for e in opened.exception]
    assert opened.selectbox(key="t_lineage").value == "S05"
    assert {"Période", "Fichier"} <= set(opened.dataframe[-1].value.columns)
    assert not [r for r in opened.radio if r.key == "t_by"]


def test_tendances_filters_down_to_nothing_without_error(demo_db_path):
    at = run_page(PAGE, demo_db_path)
    at.selectbox(key="t_dim").set_value("D4").run()
    at.selectbox(key="t_obj").set_value("O03").run()
    assert not at.exception


def test_values_download_is_french_excel_csv(demo_db_path):
    at = run_page(PAGE, demo_db_path)
    at.radio(key="t_grain").set_value("year").run()
    assert not at.exception


def _demo(demo_db_path):
    # Same configuration as the page's cached connection (AppTest runs in this process).
    con = db.connect(demo_db_path)
    return con, db.stored_framework(con)


def test_trend_figure_draws_target_and_pace_only_when_comparable(demo_db_path):
    con, fw = _demo(demo_db_path)
    ind = fw.indicator("CLI08")
    year = figures.trends(con, fw, ["CLI08"], "year")["CLI08"]
    quarter = figures.trends(con, fw, ["CLI08"], "quarter")["CLI08"]
    con.close()
    names = {t.name for t in charts.kpis.trend_figure(ind, year, figures.expected_path(ind)).data}
    assert {"Cible", "Rythme attendu", "Valeur partielle (incomplète)"} <= names
    fig = charts.kpis.trend_figure(ind, quarter, figures.expected_path(ind), comparable=False, reason="pas comparable")
    assert "Cible" not in {t.name for t in fig.data}
    assert fig.layout.separators == ", "


def test_small_multiples_colour_each_indicator_by_its_status(demo_db_path):
    con, fw = _demo(demo_db_path)
    codes = ["CLI08", "BRD01", "BRD08"]
    status = figures.indicator_status(con, fw, codes=codes)
    series = figures.trends(con, fw, codes, "programme-semester")
    con.close()
    fig = charts.kpis.small_multiples(status, series)
    colours = [t.line.color for t in fig.data]
    expected = [
        figures.STATUS_COLORS[s] for s, c in zip(status["status"], status["indicator"], strict=False) if c in series
    ]
    assert colours == expected
    assert any("Sans données" in a.text for a in fig.layout.annotations)  # BRD08 is never reported


def test_breakdown_stacks_parts_that_add_up(demo_db_path):
    con, fw = _demo(demo_db_path)
    parts = figures.aggregate(con, fw, "CLI08", "year", by="zone")
    con.close()
    fig = charts.kpis.breakdown_figure(
        fw.indicator("CLI08"), parts, "zone", {z: fw.label("zones", z) for z in parts["zone"]}
    )
    assert fig.layout.barmode == "stack" and len(fig.data) == parts["zone"].nunique() == 5
    assert isinstance(parts, pd.DataFrame)


@pytest.mark.parametrize("grain", list(figures.GRAIN_LABELS))
def test_status_and_trends_together_equal_each_computed_alone(demo_copy, fw, grain):
    """The Tendances page rolls up once the indicators it shows at their evaluation grain:
    the same status and the same trends as computed apart, filtered or not."""
    con = demo_copy
    codes = [i.code for i in fw.indicators]
    for operators, zones in ((None, None), (["FTLB"], None), (None, ["BE-LUX"])):
        status, trends = figures.status_and_trends(con, fw, codes, grain, operators=operators, zones=zones)
        pd.testing.assert_frame_equal(status, figures.indicator_status(con, fw, codes=codes))
        alone = figures.trends(con, fw, codes, grain, operators=operators, zones=zones)
        assert list(trends) == list(alone), (grain, operators, zones)
        for code, frame in alone.items():
            pd.testing.assert_frame_equal(trends[code], frame, obj=f"{code} {grain} {operators} {zones}")


def test_small_multiples_titles_sit_on_their_own_chart_above_a_time_axis(demo_db_path):
    con, fw = _demo(demo_db_path)
    codes = ["CLI08", "BRD01", "CLI01", "BRD03", "ATT04", "CLI10"]  # two rows of three
    status = figures.indicator_status(con, fw, codes=codes)
    series = figures.trends(con, fw, codes, "programme-semester")
    con.close()
    fig = charts.kpis.small_multiples(status, series)
    height = fig.layout.height
    titles = [a for a in fig.layout.annotations if a.text.startswith("<b>")]
    for i, title in enumerate(titles[3:], start=3):  # the second row, under the first
        own = fig.layout[f"yaxis{i + 1}"].domain
        above = fig.layout[f"yaxis{i - 2}"].domain
        lines = title.text.count("<br>") + 1
        title_top = title.y + (lines * 19 + 8) / height
        to_own = (title.y - own[1]) * height
        to_above = (above[0] - title_top) * height
        assert title.yanchor == "bottom" and 0 <= to_own < to_above, (title.text, to_own, to_above)
        x = fig.layout[f"xaxis{i + 1}"]
        assert x.showticklabels is not False and x.tickformat == "%Y"  # a time axis, in years
