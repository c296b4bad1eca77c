"""Reading a partner's brand-platform sheet: 7 elements scored 1 to 5, strictly checked."""

from __future__ import annotations

import datetime as dt
import functools

import pytest

from ardenne_kpi import charts
from ardenne_kpi.db import brand as sql
from ardenne_kpi.intake import brand
from tests.test_reporting import upload as _upload

upload = functools.partial(_upload, zones=("BE-LUX",))  # one zone: the values are the figures

SHEET = "Plateforme de marque"


def filled(fw, scores=(4, 3, 5, 2, 4, 3, 1), operator="ACW", period="S05"):
    rows = brand.template_rows(fw, operator, period)
    for n, score in enumerate(scores):
        rows[5 + n][2] = score
    rows[5][3] = "Missions bien relayées"
    return rows


def messages(sheet):
    return [(i.cell, i.message) for i in sheet.errors], [(i.cell, i.message) for i in sheet.warnings]


def test_a_filled_template_gives_seven_scores(fw):
    sheet = brand.read_sheet(filled(fw), SHEET, fw)
    assert sheet.ok and not sheet.warnings
    assert sheet.operator == "ACW" and sheet.period.code == "S05"
    assert sheet.scores["element"].tolist() == [f"E{n}" for n in range(1, 8)]
    assert sheet.scores["score"].tolist() == [4, 3, 5, 2, 4, 3, 1]
    assert sheet.scores.iloc[0]["comment"] == "Missions bien relayées"
    assert sheet.scores.iloc[0]["cell"] == "C6"


def test_scores_written_as_text_or_decimals_are_read(fw):
    sheet = brand.read_sheet(filled(fw, scores=("4", 3.0, "5/5", " 2 ", "4,0", 3, 1)), SHEET, fw)
    assert sheet.ok, sheet.errors
    assert sheet.scores["score"].tolist() == [4, 3, 5, 2, 4, 3, 1]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (3.5, "cellule C6 : la note de E1 vaut 3,5 : notez par un nombre entier de 1 à 5"),
        (0, "cellule C6 : la note de E1 vaut 0 : elle doit être comprise entre 1 et 5"),
        (6, "cellule C6 : la note de E1 vaut 6"),
        ("bon", "cellule C6 : « bon » n'est pas une note"),
        (True, "cellule C6 : la note de E1 doit être un nombre entier"),
    ],
)
def test_bad_scores_are_refused_with_sheet_and_cell(fw, raw, expected):
    sheet = brand.read_sheet(filled(fw, scores=(raw, 3, 5, 2, 4, 3, 1)), SHEET, fw)
    errors, _ = messages(sheet)
    assert not sheet.ok and sheet.scores.empty
    assert errors[0][0] == "C6"
    assert f"Feuille « {SHEET} », {expected}" in errors[0][1]


def test_a_blank_score_is_skipped_with_a_warning_never_zero(fw):
    sheet = brand.read_sheet(filled(fw, scores=(4, None, 5, 2, 4, 3, 1)), SHEET, fw)
    _, warnings = messages(sheet)
    assert sheet.ok and "E2" not in set(sheet.scores["element"])
    assert warnings == [
        (
            "C7",
            f"Feuille « {SHEET} », cellule C7 : l'élément E2 n'est pas noté : il est ignoré "
            "(non noté n'est pas zéro). Saisissez une note de 1 à 5 pour qu'il compte.",
        )
    ]


def test_unknown_and_duplicate_elements_are_refused(fw):
    rows = filled(fw) + [["E3", None, 2, None], ["E9", None, 3, None]]
    errors, _ = messages(brand.read_sheet(rows, SHEET, fw))
    assert errors[0][0] == "A13" and "E3 est déjà noté en A8" in errors[0][1]
    assert errors[1][0] == "A14" and "« E9 » n'est pas un élément" in errors[1][1]


def test_elements_may_be_named_by_label(fw):
    rows = filled(fw)
    rows[5][0] = "Missions de la politique de la marque"
    rows[6][0] = "e02"
    sheet = brand.read_sheet(rows, SHEET, fw)
    assert sheet.ok and sheet.scores["element"].tolist()[:2] == ["E1", "E2"]


def test_missing_elements_are_a_warning(fw):
    rows = filled(fw)[:-2]
    sheet = brand.read_sheet(rows, SHEET, fw)
    assert sheet.ok and len(sheet.scores) == 5
    assert "E6, E7" in sheet.warnings[0].message


def test_no_header_is_refused(fw):
    sheet = brand.read_sheet([["Bonjour"], [1, 2, 3]], SHEET, fw)
    assert not sheet.ok and "en-tête introuvable" in sheet.errors[0].message


def test_operator_and_period_must_agree_with_the_report(fw):
    sheet = brand.read_sheet(filled(fw), SHEET, fw, operator="ADT08", period="S05")
    assert not sheet.ok and "au nom de ACW, le rapport de ADT08" in sheet.errors[0].message
    assert sheet.errors[0].cell == "B2"
    sheet = brand.read_sheet(filled(fw), SHEET, fw, operator="ACW", period="S06")
    assert not sheet.ok and sheet.errors[0].cell == "B3"


def test_the_report_may_give_operator_and_period(fw):
    rows = filled(fw, operator="", period="")
    assert not brand.read_sheet(rows, SHEET, fw).ok
    sheet = brand.read_sheet(rows, SHEET, fw, operator="ACW", period="S05")
    assert sheet.ok and sheet.period.code == "S05"


def test_cell_references_follow_the_readers_offset(fw):
    sheet = brand.read_sheet(filled(fw), SHEET, fw, first_row=3, first_col=2)
    assert sheet.scores.iloc[0]["cell"] == "D8"


def test_stored_scores_supersede_the_same_operator_period_and_element(con, fw):
    upload(con, 1, dt.date(2019, 4, 20), [])
    upload(con, 2, dt.date(2019, 5, 2), [])
    assert brand.store(con, brand.read_sheet(filled(fw), SHEET, fw), 1) == 7
    assert brand.store(con, brand.read_sheet(filled(fw, scores=(5, 3, 5, 2, 4, 3, 1)), SHEET, fw), 2) == 7
    current = sql.current_scores(con)
    assert len(current) == 7
    assert current.set_index("element").loc["E1", "score"] == 5
    assert set(current["upload_id"]) == {2}


def test_rollback_restores_the_previous_scores(con, fw):
    upload(con, 1, dt.date(2019, 4, 20), [])
    upload(con, 2, dt.date(2019, 5, 2), [])
    brand.store(con, brand.read_sheet(filled(fw), SHEET, fw), 1)
    brand.store(con, brand.read_sheet(filled(fw, scores=(5, 3, 5, 2, 4, 3, 1)), SHEET, fw), 2)
    cur = con.cursor()
    cur.execute("UPDATE uploads SET status = 'rolled_back' WHERE id = 2")
    brand.rollback_upload(cur, 2)
    current = sql.current_scores(con)
    assert len(current) == 7 and set(current["upload_id"]) == {1}
    assert current.set_index("element").loc["E1", "score"] == 4


def test_a_sheet_with_errors_is_never_stored(con, fw):
    with pytest.raises(ValueError):
        brand.store(con, brand.read_sheet([["x"]], SHEET, fw), 1)


def test_brand_sheet_names_are_recognised():
    assert brand.is_brand_sheet("Plateforme de marque") and brand.is_brand_sheet("MARQUE")
    assert not brand.is_brand_sheet("Indicateurs")


def test_demo_scores_attach_to_demo_reports_and_feed_the_charts(tmp_path, demo_db_path, fw):
    from ardenne_kpi import db
    from tests.conftest import private_copy

    con = db.connect(private_copy(demo_db_path, tmp_path))
    assert brand.create_demo_scores(con, fw) > 300
    scores = brand.scores(con, fw)
    assert set(scores["score"]) <= {1, 2, 3, 4, 5}
    g = brand.grid(scores, fw, "S09")
    assert list(g.columns) == [e.code for e in fw.brand_elements]
    assert len(charts.brand.heatmap_figure(scores, fw, "S09").data) == 1
    assert len(charts.brand.radar_figure(scores, fw, "S09", ["ADT08", "ACW"]).data) == 2
    ev = brand.evolution(scores, fw)
    assert len(charts.brand.evolution_figure(ev, fw).data) == 7


def test_period_summary_names_the_weakest_element():
    import pandas as pd

    from ardenne_kpi.intake import brand

    df = pd.DataFrame(
        {
            "period": ["S05"] * 4 + ["S06"],
            "operator": ["A", "A", "B", "B", "A"],
            "element": ["E1", "E7", "E1", "E7", "E1"],
            "score": [4, 2, 5, 3, 1],
        }
    )
    summary = brand.period_summary(df, "S05")
    assert (summary.n_operators, summary.mean, summary.weakest) == (2, 3.5, ("E7", 2.5))
    empty = brand.period_summary(df, "S09")
    assert (empty.n_operators, empty.mean, empty.weakest) == (0, None, None) and empty.scores.empty


def test_brand_figures_write_numbers_in_french(fw):
    import pandas as pd

    from ardenne_kpi import charts

    ev = pd.DataFrame(
        {
            "period": ["S05"],
            "period_start": [None],
            "element": ["E1"],
            "element_label": ["x"],
            "score": [3.5],
            "n_operators": [2],
        }
    )
    assert charts.brand.evolution_figure(ev, fw).layout.separators == ", "
