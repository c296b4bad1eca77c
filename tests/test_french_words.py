"""French that reads right where the app chooses its words: select boxes, numbers printed by
the command line, empty texts (never « None », « nan », « Choose an option »)."""

from __future__ import annotations

import ast
import re

from ardenne_kpi import db, figures
from ardenne_kpi.cli import main
from ardenne_kpi.figures import analyses
from tests.conftest import ROOT, private_copy, run_page

PAGES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]


def _select_calls():
    for path in PAGES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            # st.selectbox(...), or one drawn by ui.in_address(st.selectbox, ...) that keeps it in the address
            widget = node.args[0] if getattr(node.func, "attr", None) == "in_address" and node.args else node.func
            if getattr(widget, "attr", None) in ("selectbox", "multiselect"):
                yield f"{path.name}:{node.lineno}", widget.attr, {k.arg: k.value for k in node.keywords}


def test_every_select_box_speaks_french_when_empty():
    """Streamlit 1.67 says « Choose an option » / « No options to select » unless told
    otherwise, and a multiselect offers « Select all »: every one is told in French."""
    calls = list(_select_calls())
    assert len(calls) >= 15
    untold = [where for where, _, kw in calls if "placeholder" not in kw]
    assert untold == []
    english_all = [
        where
        for where, kind, kw in calls
        if kind == "multiselect"
        and not (isinstance(kw.get("select_all"), ast.Constant) and kw["select_all"].value is False)
    ]
    assert english_all == []


def test_export_pack_prints_a_french_duration_and_names_indicators_at_risk_too(tmp_path, demo_db_path, fw, capsys):
    """« en 1.6 s », and only the indicators off track were named, not those at risk (the
    home page and Tendances list both)."""
    path = private_copy(demo_db_path, tmp_path)
    con = db.connect(path)
    todo = analyses.missing(figures.indicator_status(con, fw), analyses.current(con))
    con.close()
    at_risk = list(todo[todo["status"] == "at_risk"]["indicator"])
    off = list(todo[todo["status"] == "off_track"]["indicator"])
    assert at_risk and off
    assert main(["export", "pack", "--out", str(tmp_path / "dossier.pdf"), "--db", str(path)]) == 0
    out = capsys.readouterr().out
    assert re.search(r", en \d+,\d s\.", out), out
    line = next(x for x in out.splitlines() if "sans analyse du coordinateur" in x)
    assert f"{len(todo)} indicateur(s) en retard ou à surveiller sans analyse du coordinateur" in line
    late, risk = line.split(" ; à surveiller : ")
    assert all(code in late for code in off) and all(code in risk for code in at_risk)


def test_the_brand_notes_table_shows_no_none_for_a_missing_comment(demo_db_path):
    at = run_page("pages/6_Marque.py", demo_db_path)
    at.session_state["brand_notes"] = True  # the notes' expander, opened: drawn only then
    at.run()
    assert not at.exception
    notes = next(d.value for d in at.dataframe if "Commentaire" in d.value.columns)
    assert not notes["Commentaire"].isna().any() and "" in set(notes["Commentaire"])
