"""The meeting mode: its agenda comes from the pack's figures; the page walks it to the end."""

from __future__ import annotations

from ardenne_kpi import analyses, db, meeting
from ardenne_kpi.accounts import LOCAL_USER
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
