"""Replacing the framework: validated first, rejected whole, never dropping a code in use."""

from __future__ import annotations

import io

import openpyxl
import pytest
import yaml

from ardenne_kpi import db, framework_workbook, referential
from ardenne_kpi.errors import FrameworkError
from ardenne_kpi.framework import DEFAULT_PATH, parse_framework
from tests.workbook_checks import untyped_cells


def test_corrected_workbook_replaces_the_framework(con, fw):
    import io

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(framework_workbook.to_workbook(fw)))
    wb["Clés"]["C2"] = "T6"  # the coordinator moves K01 Organisation to another theme
    out = io.BytesIO()
    wb.save(out)
    candidate = referential.read_candidate(out.getvalue(), "ref.xlsx", fw)
    referential.replace(con, candidate)
    assert db.stored_framework(con).by_code["keys"]["K01"].theme == "T6"
    assert con.execute("SELECT theme FROM keys WHERE code = 'K01'").fetchone()[0] == "T6"


def test_framework_dropping_a_reported_indicator_is_refused(demo_db_path, fw):
    con = db.connect(demo_db_path)
    data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    data["indicators"] = [i for i in data["indicators"] if i["code"] != "CLI08"]
    candidate = referential.read_candidate(yaml.safe_dump(data, allow_unicode=True).encode(), "f.yaml", fw)
    with pytest.raises(FrameworkError) as info:
        referential.replace(con, candidate)
    assert any("CLI08" in p for p in info.value.problems)
    assert db.stored_framework(con).by_code["indicators"].get("CLI08") is not None  # nothing changed


def test_broken_upload_lists_every_problem(fw):
    data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    data["indicators"][0]["keys"] = ["K99"]
    data["indicators"][2]["direction"] = "sideways"
    with pytest.raises(FrameworkError) as info:
        referential.read_candidate(yaml.safe_dump(data, allow_unicode=True).encode(), "f.yaml", fw)
    assert len(info.value.problems) == 2


def test_wrong_file_type_is_one_sentence(fw):
    with pytest.raises(FrameworkError) as info:
        referential.read_candidate(b"%PDF", "ref.pdf", fw)
    assert ".yaml ou .xlsx" in info.value.problems[0]


def test_label_changes_are_listed(fw):
    text = DEFAULT_PATH.read_text(encoding="utf-8").replace("Branding du territoire", "Marque territoriale")
    candidate = referential.read_candidate(text.encode(), "f.yaml", fw)
    assert "D1" in referential.changes(fw, candidate).set_index("Section").loc["Dimensions", "Modifiés"]


def test_the_replacement_preview_names_sections_in_french(fw):
    candidate = referential.read_candidate(DEFAULT_PATH.read_bytes(), "f.yaml", fw)
    sections = list(referential.changes(fw, candidate)["Section"])
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
