"""The meeting mode: its agenda comes from the pack's figures; the page walks it to the end."""

from __future__ import annotations

from ardenne_kpi import db
from ardenne_kpi.committee import meeting
from ardenne_kpi.core.accounts import LOCAL_USER
from ardenne_kpi.figures import analyses
from tests.conftest import private_copy, read, run_page

PAGE = "pages/7_Reunion.py"


def test_the_agenda_is_tiles_then_each_dimension_with_its_indicators_behind_target(demo_db_path, fw):
    con = db.connect(demo_db_path)
    slides = meeting.agenda(meeting.collect(con, fw))
    con.close()
    assert slides[0].kind == "tiles" and slides[-1].kind == "end"
    dims = [s.dimension for s in slides if s.kind == "dimension"]
    assert dims == [d.code for d in fw.dimensions]
    shown = [s.indicator for s in slides if s.kind == "indicator"]
    assert shown and len(shown) == len(set(shown))  # each indicator behind target once


def test_the_meeting_page_walks_every_slide_and_shows_the_analysis(tmp_path, demo_db_path, fw):
    path = private_copy(demo_db_path, tmp_path)
    con = db.connect(path)
    data = meeting.collect(con, fw)
    first = next(s for s in meeting.agenda(data) if s.kind == "indicator")
    period = data.status.set_index("indicator").loc[first.indicator, "latest_period"]
    analyses.write(con, fw, LOCAL_USER, first.indicator, period, "Analyse lue en réunion.")
    con.close()
    at = run_page(PAGE, path)
    assert not at.exception and at.query_params["diapo"] == "1"
    titles, texts = [], []
    while True:
        assert not at.exception, [e.value for e in at.exception]
        titles.append(at.title[0].value)
        texts += [read(m.value) for m in at.markdown]
        forward = at.button(key="meeting_next")
        if forward.disabled:
            break
        forward.click().run()
    assert titles[-1] == "Fin de l'ordre du jour" and len(titles) > 5
    assert "Analyse lue en réunion." in texts
    at.button(key="meeting_back").click().run()
    assert at.title[0].value == titles[-2]


def test_an_indicator_slide_says_its_figures_in_words_and_names_its_sources(tmp_path, demo_db_path, fw):
    path = private_copy(demo_db_path, tmp_path)
    con = db.connect(path)
    slides = meeting.agenda(meeting.collect(con, fw))
    con.close()
    n = next(i for i, s in enumerate(slides, start=1) if s.indicator == "CLI08")  # the demo's nights, off track
    at = run_page(PAGE, path)
    at.session_state["meeting_slide"] = n
    at.run()
    assert at.title[0].value == slides[n - 1].title
    words = " ".join(m.value for m in at.markdown)
    assert (
        "La valeur s'éloigne de la cible : 6,4\u00a0M pour une cible de 8\u00a0M (2022), partie de 7,6\u00a0M" in words
    )
    captions = " ".join(read(c.value) for c in at.caption)
    assert "du chemin de 2016 (référence) à la cible" in captions
    assert "Sources : FTLB, GEIE-DA · dernier rapport reçu le " in captions
    assert "/Tendances?indicateur=CLI08" in captions


def test_a_long_dimension_table_continues_on_suite_slides_each_fitting_the_screen(demo_db_path, fw):
    con = db.connect(demo_db_path)  # same configuration as the other connections of this process
    data = meeting.collect(con, fw)
    con.close()
    slides = meeting.agenda(data)
    for dim in fw.dimensions:
        parts = [s for s in slides if s.dimension == dim.code and s.kind in ("dimension", meeting.SUITE)]
        shown = [code for s in parts for code in meeting.dimension_part(data, s)["Code"]]
        assert shown == list(meeting.dimension_indicators(data, dim.code)["Code"])  # every row once, in order
        assert len(meeting.dimension_part(data, parts[0])) <= meeting.FIRST_ROWS
        assert all(len(meeting.dimension_part(data, s)) <= meeting.MORE_ROWS for s in parts[1:])
        assert all(s.title == f"{dim.label} (suite)" for s in parts[1:])
    assert any(s.kind == meeting.SUITE for s in slides)


def test_the_status_tiles_explain_themselves_on_the_slide(tmp_path, demo_db_path, fw):
    at = run_page(PAGE, private_copy(demo_db_path, tmp_path))
    captions = [c.value for c in at.caption]
    assert "indicateurs à 95\u00a0% au moins du rythme prévu vers leur cible" in captions
    assert not [m for m in at.metric if m.help]  # nothing hidden in a tooltip
