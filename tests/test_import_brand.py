"""A report with a brand-platform sheet: its scores are read from the guarded parse, checked
with the rest of the file, stored in the same transaction and rolled back with the upload."""

from __future__ import annotations

import io

import openpyxl
import pytest

from ardenne_kpi import db
from ardenne_kpi.intake import brand, importer

BRAND = "Plateforme de marque"


def workbook(fw, scores=(4, 3, 5, 2, 4, 3, 1), operator="FTPN", value=600, brand_operator=None):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Rapport"
    for row in (
        [f"Opérateur : {operator}"],
        [],
        ["Code", "Période", "Zone", "Valeur"],
        ["BRD01", "S05", "BE-NAM", value],
        ["BRD02", "S05", "BE-NAM", 25],
    ):
        ws.append(row)
    sheet = wb.create_sheet(BRAND)
    rows = brand.template_rows(fw, brand_operator or operator, "S05")
    for n, score in enumerate(scores):
        rows[5 + n][2] = score
    rows[5][3] = "Charte reprise sur tous les supports"
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def store(tmp_path, fw):
    path = tmp_path / "brand.duckdb"
    con = db.connect(path)
    db.sync_framework(con, fw)
    yield con
    con.close()


def scores(con):
    return (
        con.cursor()
        .execute(
            "SELECT element, score, upload_id, sheet, cell, comment FROM brand_scores WHERE is_current ORDER BY element"
        )
        .fetchall()
    )


def counts(con):
    cur = con.cursor()
    return cur.execute(
        "SELECT (SELECT count(*) FROM uploads), (SELECT count(*) FROM report_values), "
        "(SELECT count(*) FROM brand_scores)"
    ).fetchone()


def test_indicator_sheet_and_brand_sheet_import_together(store, fw):
    result = importer.import_file(store, workbook(fw), "r.xlsx", framework=fw)
    assert result.status == "imported", result.errors
    assert result.inserted == 2 and result.scores == 7
    stored = scores(store)
    assert [(e, s) for e, s, *_ in stored] == [
        (f"E{n}", s) for n, s in zip(range(1, 8), (4, 3, 5, 2, 4, 3, 1), strict=True)
    ]
    assert {u for _, _, u, *_ in stored} == {result.upload_id}
    assert stored[0][3:] == (BRAND, "C6", "Charte reprise sur tous les supports")
    assert not [w for w in result.warnings if w.sheet == BRAND]  # read, not "ignored"
    assert "7 note(s) de plateforme de marque" in result.summary_fr()


def test_a_bad_score_refuses_the_whole_file_naming_its_cell(store, fw):
    result = importer.import_file(store, workbook(fw, scores=(4, 7, 5, 2, 4, 3, 1)), "r.xlsx", framework=fw)
    assert result.status == "refused"
    [error] = result.errors
    assert (error.sheet, error.cell) == (BRAND, "C7")
    assert "Feuille « Plateforme de marque », cellule C7" in error.message and "entre 1 et 5" in error.message
    assert counts(store) == (0, 0, 0)


def test_brand_sheet_of_another_operator_refuses_the_file(store, fw):
    result = importer.import_file(store, workbook(fw, brand_operator="FTLB"), "r.xlsx", framework=fw)
    assert result.status == "refused" and result.errors[0].sheet == BRAND
    assert counts(store) == (0, 0, 0)


def test_dry_run_reads_the_brand_sheet_and_writes_nothing(store, fw):
    result = importer.import_file(store, workbook(fw), "r.xlsx", framework=fw, dry_run=True)
    assert result.status == "dry-run" and result.scores == 7
    assert counts(store) == (0, 0, 0)


def test_rollback_removes_the_scores_and_restores_the_previous_ones(store, fw):
    first = importer.import_file(store, workbook(fw), "r1.xlsx", framework=fw)
    second = importer.import_file(store, workbook(fw, scores=(5, 5, 5, 5, 5, 5, 5), value=650), "r2.xlsx", framework=fw)
    assert {s for _, s, *_ in scores(store)} == {5}
    importer.rollback(store, second.upload_id)
    assert [(e, s, u) for e, s, u, *_ in scores(store)][:2] == [("E1", 4, first.upload_id), ("E2", 3, first.upload_id)]
    importer.rollback(store, first.upload_id)
    assert scores(store) == []


def test_a_workbook_without_indicator_table_but_with_a_brand_sheet_imports_the_scores(store, fw):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = BRAND
    rows = brand.template_rows(fw, "ACW", "S05")
    for n in range(7):
        rows[5 + n][2] = 3
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    result = importer.import_file(store, out.getvalue(), "marque.xlsx", framework=fw)
    assert result.status == "imported" and result.scores == 7 and result.inserted == 0, result.errors
    assert result.operator == "ACW"


def test_a_partners_submitted_scores_count_once_the_coordination_validates_them(store, fw):
    from ardenne_kpi.core.accounts import User
    from ardenne_kpi.intake import review

    admin, partner = User("Coord", "admin"), User("Nadia", "partner", ("FTPN",))

    def shown(**kw):
        return [(e, s) for e, s in brand.scores(store, fw, **kw)[["element", "score"]].itertuples(index=False)]

    first = importer.import_file(store, workbook(fw), "a.xlsx", operator="FTPN", user=admin.name, framework=fw)
    assert first.status == "imported"
    validated = shown()
    assert validated[:2] == [("E1", 4), ("E2", 3)]
    second = importer.import_file(
        store,
        workbook(fw, scores=(1, 1, 1, 1, 1, 1, 1), value=601),
        "b.xlsx",
        operator="FTPN",
        user=partner.name,
        framework=fw,
        review=review.review_for(partner),
    )
    assert second.status == "imported"
    assert shown() == validated, "a submitted sheet does not replace validated scores"
    assert shown(submitted=True) == [(f"E{n}", 1) for n in range(1, 8)]
    review.validate(store, second.upload_id, admin)
    assert shown() == [(f"E{n}", 1) for n in range(1, 8)]
