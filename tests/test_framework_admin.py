"""Replacing the framework: validated first, rejected whole, never dropping a code in use."""

from __future__ import annotations

import io
import shutil
import time

import openpyxl
import pytest
import yaml

from ardenne_kpi import db, framework_admin
from ardenne_kpi.core.errors import FrameworkError
from ardenne_kpi.framework import DEFAULT_PATH, parse_framework
from ardenne_kpi.framework import workbook as framework_workbook
from tests.conftest import run_page
from tests.workbook_checks import untyped_cells


def test_corrected_workbook_replaces_the_framework(con, fw):
    import io

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(framework_workbook.to_workbook(fw)))
    wb["Clés"]["C2"] = "T6"  # the coordinator moves K01 Organisation to another theme
    out = io.BytesIO()
    wb.save(out)
    candidate = framework_admin.read_candidate(out.getvalue(), "ref.xlsx", fw)
    framework_admin.replace(con, candidate)
    assert db.stored_framework(con).by_code["keys"]["K01"].theme == "T6"
    assert con.execute("SELECT theme FROM keys WHERE code = 'K01'").fetchone()[0] == "T6"


def test_framework_dropping_a_reported_indicator_is_refused(demo_db_path, fw):
    con = db.connect(demo_db_path)
    data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    data["indicators"] = [i for i in data["indicators"] if i["code"] != "CLI08"]
    candidate = framework_admin.read_candidate(yaml.safe_dump(data, allow_unicode=True).encode(), "f.yaml", fw)
    with pytest.raises(FrameworkError) as info:
        framework_admin.replace(con, candidate)
    assert any("CLI08" in p for p in info.value.problems)
    assert db.stored_framework(con).by_code["indicators"].get("CLI08") is not None  # nothing changed


def test_broken_upload_lists_every_problem(fw):
    data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    data["indicators"][0]["keys"] = ["K99"]
    data["indicators"][2]["direction"] = "sideways"
    with pytest.raises(FrameworkError) as info:
        framework_admin.read_candidate(yaml.safe_dump(data, allow_unicode=True).encode(), "f.yaml", fw)
    assert len(info.value.problems) == 2


def test_wrong_file_type_is_one_sentence(fw):
    with pytest.raises(FrameworkError) as info:
        framework_admin.read_candidate(b"%PDF", "ref.pdf", fw)
    assert ".yaml ou .xlsx" in info.value.problems[0]


def test_label_changes_are_listed(fw):
    text = DEFAULT_PATH.read_text(encoding="utf-8").replace("Branding du territoire", "Marque territoriale")
    candidate = framework_admin.read_candidate(text.encode(), "f.yaml", fw)
    assert "D1" in framework_admin.changes(fw, candidate).set_index("Section").loc["Dimensions", "Modifiés"]


def test_the_replacement_preview_names_sections_in_french(fw):
    candidate = framework_admin.read_candidate(DEFAULT_PATH.read_bytes(), "f.yaml", fw)
    sections = list(framework_admin.changes(fw, candidate)["Section"])
    assert sections == [
        "Dimensions",
        "Clés",
        "Thèmes",
        "Objectifs",
        "Publics",
        "Zones",
        "Opérateurs",
        "Projets",
        "Indicateurs",
    ]


def test_the_framework_workbook_leaves_empty_cells_empty(fw):
    """Every operator without an e-mail address had a lone « ' » in its cell."""
    wb = openpyxl.load_workbook(io.BytesIO(framework_workbook.to_workbook(fw)))
    lone = [f"{ws.title}!{c.coordinate}" for ws in wb for row in ws.iter_rows() for c in row if c.value in ("'", "")]
    assert lone == []
    emails = [r[5] for r in wb["Opérateurs"].iter_rows(min_row=2, values_only=True)]
    assert len(emails) == len(fw.operators) and None in emails
    assert untyped_cells(wb) == []
    again = parse_framework(framework_workbook.from_workbook(framework_workbook.to_workbook(fw), fw))
    assert [o.email for o in again.operators] == [o.email for o in fw.operators]


def _upload_framework(tmp_path, empty_db_path, name: str, data: bytes):
    """The Référentiel page (local mode: the coordination) with `data` dropped as a corrected framework."""
    path = tmp_path / "base.duckdb"
    shutil.copy(empty_db_path, path)
    at = run_page("pages/4_Referentiel.py", path)
    at.file_uploader(key="framework_upload").set_value([(name, data, "application/yaml")]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _problems(at) -> list[str]:
    return [p for frame in at.dataframe for p in frame.value.get("Problème", [])]


def test_a_framework_with_yaml_aliases_is_refused_before_it_is_walked(tmp_path, empty_db_path, fw):
    """Issue 24, finding 11: nine nested aliases (« billion laughs ») took 17.8 GB when the
    Référentiel page loaded them; any alias is now refused, at once."""
    laughs = 'lol0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + "".join(
        f"lol{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10)
    )
    started = time.perf_counter()
    at = _upload_framework(tmp_path, empty_db_path, "referentiel.yaml", (laughs + fw.source_text).encode())
    assert time.perf_counter() - started < 30
    assert [e.value for e in at.error] == ["Référentiel refusé : 1 problème(s) à corriger."]
    assert _problems(at) == [
        "ligne 1 : le référentiel réutilise une valeur par un alias YAML (&nom puis *nom), refusé : "
        "écrivez chaque valeur en entier."
    ]


def test_a_mild_alias_is_refused_too(fw):
    text = fw.source_text.replace("{code: ACW, ", "{code: ACW, tags: &t [a], other: *t, ", 1)
    with pytest.raises(FrameworkError, match="alias YAML"):
        parse_framework(text)


def test_an_oversized_framework_file_is_refused_before_it_is_parsed(tmp_path, empty_db_path, fw):
    padding = "# " + "x" * 1000 + "\n"
    data = (fw.source_text + padding * 6000).encode()
    at = _upload_framework(tmp_path, empty_db_path, "referentiel.yaml", data)
    assert _problems(at) == [
        "referentiel.yaml : le référentiel pèse 5,8 Mo, au-delà de la limite de 5 Mo. Un référentiel tient "
        "en quelques dizaines de Ko : vérifiez que c'est bien le bon fichier."
    ]


def test_a_name_with_a_line_break_is_refused_naming_its_entry(tmp_path, empty_db_path, fw):
    text = fw.source_text.replace(
        'label: "Accueil Champêtre en Wallonie"', 'label: "Accueil Champêtre\\nTout est valide"', 1
    )
    at = _upload_framework(tmp_path, empty_db_path, "referentiel.yaml", text.encode())
    assert not at.success
    (problem,) = _problems(at)
    assert "operators[" in problem and "« Accueil Champêtre… »" in problem and "saut de ligne" in problem


def test_a_series_reported_outside_any_obligation_is_adopted_from_the_page_and_kept_in_history(tmp_path, demo_db_path):
    """Issue 23: FTLB's Dutch visitors' stays (CLI08), reported although FTLB owes nothing for
    CLI08, become an obligation from the Référentiel page; the change is in the history."""
    from ardenne_kpi import figures
    from tests.conftest import private_copy

    path = private_copy(demo_db_path, tmp_path)
    at = run_page("pages/4_Referentiel.py", path)
    assert not at.exception, [e.value for e in at.exception]
    labels = at.selectbox(key="outside_series").options
    pick = next(i for i, label in enumerate(labels) if label.startswith("CLI08 · FTLB"))
    at.selectbox(key="outside_series").set_value(pick).run()
    next(b for b in at.button if b.label == "L'adopter comme obligation").click().run()
    assert not at.exception, [e.value for e in at.exception]
    con = db.connect(path)  # same configuration as the page's connection in this process
    try:
        fw = db.stored_framework(con)
        adopted = fw.obligation("FTLB", "CLI08")
        assert adopted is not None and adopted.adopted and adopted.audiences == ("NL",)
        assert "CLI08" not in set(figures.outside_series(con, fw)["indicator"])
        history = framework_admin.history_table(con)
        assert history["Changement"].iloc[0] == "série adoptée comme obligation : CLI08 · FTLB (BE-LUX · NL)"
    finally:
        con.close()


def test_ending_a_stock_reported_outside_any_obligation_stops_expecting_it(tmp_path):
    """A stock reported without obligation is expected until its project ends (it does not
    vanish); ended by the coordination after its last report, it is no longer awaited."""
    from ardenne_kpi import figures
    from tests.test_kpis_rules import FRAMEWORK, put

    fw = parse_framework(FRAMEWORK)
    con = db.connect(tmp_path / "stock.duckdb")
    db.sync_framework(con, fw)
    put(
        con,
        fw,
        [("STOCK", op, z, s, v) for op, z, v in (("OPA", "FR-08", 50), ("OPB", "BE-LUX", 6)) for s in ("S05", "S06")]
        + [("STOCK", "GEO", "ARD", "S05", 6)],
    )
    assert not figures.aggregate(con, fw, "STOCK", "programme-semester").set_index("period").loc["S06", "complete"]
    (series,) = figures.outside_series(con, fw).to_dict("records")
    new = framework_admin.end_series(con, fw, series, "Claire Coordination")
    s06 = figures.aggregate(con, new, "STOCK", "programme-semester").set_index("period").loc["S06"]
    assert s06["complete"] and s06["value"] == 56
    assert framework_admin.history_table(con)["Par"].tolist() == ["Claire Coordination"]
    con.close()


def test_a_series_an_operator_already_declares_is_refused_with_what_to_do(fw):
    with pytest.raises(FrameworkError, match="feuille Obligations"):
        framework_admin.with_series_obligation(fw, "PNVH", "ATT06", "BE-NAM", "", "programme-semester", first="S01")


def test_series_are_found_by_every_word_given_case_ignored_the_first_ones_offered():
    labels = ["CLI08 · FTLB (BE-LUX · NL)", "CLI08 · ADT08 (FR-08)", "BRD01 · FTLB (ARD)", "cli08 · ftpn (ARD)"]
    assert framework_admin.series_matching(labels, "") == ([], 0)
    assert framework_admin.series_matching(labels, "cli08") == ([0, 1, 3], 3)
    assert framework_admin.series_matching(labels, "FTLB  cli08") == ([0], 1)
    assert framework_admin.series_matching(labels, "cli08", limit=2) == ([0, 1], 3)


def test_beyond_a_few_hundred_series_the_coordinator_finds_one_by_words_then_adopts_it(
    tmp_path, demo_db_path, monkeypatch
):
    """On a large base (one million values: tens of thousands of series outside any obligation)
    the page lists them in a table and offers for adoption only those a few words find."""
    from tests.conftest import private_copy

    monkeypatch.setattr(framework_admin, "PICK_AMONG", 1)  # the demo has a few such series
    path = private_copy(demo_db_path, tmp_path)
    at = run_page("pages/4_Referentiel.py", path)
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="outside_series").options == []
    assert not [b for b in at.button if b.label == "L'adopter comme obligation"]
    at.text_input(key="outside_search").input("ftlb CLI08").run()
    (label,) = at.selectbox(key="outside_series").options
    assert label.startswith("CLI08 · FTLB")
    at.selectbox(key="outside_series").select_index(0).run()
    next(b for b in at.button if b.label == "L'adopter comme obligation").click().run()
    assert not at.exception, [e.value for e in at.exception]
    con = db.connect(path)
    try:
        assert db.stored_framework(con).obligation("FTLB", "CLI08").adopted
    finally:
        con.close()
