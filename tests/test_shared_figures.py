"""ui.shared: what a page draws (a figure, a French table) built once per data revision and
shared by every session, rebuilt when the data change."""

from __future__ import annotations

from ardenne_kpi import db, ui
from ardenne_kpi.core.accounts import LOCAL_USER
from ardenne_kpi.figures import analyses
from tests.conftest import private_copy, run_page


def _counting(built: list[str], name: str):
    def build() -> dict[str, str]:
        built.append(name)
        return {"figure": name}

    return build


def test_a_shared_figure_is_built_once_and_the_same_object_is_returned(con):
    built: list[str] = []
    first = ui.shared(con, ("shared test", "once"), _counting(built, "once"))
    again = ui.shared(con, ("shared test", "once"), _counting(built, "once"))
    assert again is first
    assert built == ["once"]


def test_another_key_builds_its_own_figure(con):
    built: list[str] = []
    one = ui.shared(con, ("shared test", "key", 1), _counting(built, "one"))
    two = ui.shared(con, ("shared test", "key", 2), _counting(built, "two"))
    assert (one, two) == ({"figure": "one"}, {"figure": "two"})
    assert built == ["one", "two"]


def test_a_change_of_the_data_rebuilds_the_shared_figure(con, fw):
    built: list[str] = []
    before = ui.shared(con, ("shared test", "revision"), _counting(built, "before"))
    code = fw.indicators[0].code
    period = fw.calendar.semesters[0].code
    analyses.write(con, fw, LOCAL_USER, code, period, "Une analyse écrite entre deux affichages.")
    after = ui.shared(con, ("shared test", "revision"), _counting(built, "after"))
    assert (before, after) == ({"figure": "before"}, {"figure": "after"})
    assert built == ["before", "after"]


def test_the_brand_page_shows_the_demo_scores_it_just_wrote(tmp_path, demo_db_path):
    # The scores join reports already imported: the data revision does not change, the caches are forgotten.
    path = private_copy(demo_db_path, tmp_path)
    con = db.connect(path)
    con.execute("DELETE FROM brand_scores")  # the demo's reports, without their brand sheets
    con.close()
    at = run_page("pages/6_Marque.py", path)
    assert not at.get("plotly_chart")
    next(b for b in at.button if b.label == "Ajouter des notes de démonstration").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.get("plotly_chart")) == 2  # the heatmap and the evolution
