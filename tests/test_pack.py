"""The committee pack rendered from the demo database, and the Suivi and Marque pages."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import sys

import openpyxl
import pandas as pd
import pytest

from ardenne_kpi import db, demo
from ardenne_kpi.cli import main
from ardenne_kpi.committee import briefing, pack, snapshots
from ardenne_kpi.committee.pack import layout as pack_layout
from ardenne_kpi.core.format import pdf_text
from ardenne_kpi.figures import analyses
from ardenne_kpi.intake import brand
from tests.conftest import ROOT, private_copy, read, run_page
from tests.workbook_checks import untyped_cells

pypdf = pytest.importorskip("pypdf")


def pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


@pytest.fixture(scope="module")
def demo_pack(demo_db_path, fw):
    con = db.connect(demo_db_path)
    data = briefing.collect(con, fw)
    return data, pack.pdf_bytes(data), pack.xlsx_bytes(data)


@pytest.fixture(scope="module")
def demo_with_snapshot(tmp_path_factory, demo_db_path, fw):
    """A private demo base with a committee snapshot taken before the last semester's reports."""
    path = private_copy(demo_db_path, tmp_path_factory.mktemp("pack"))
    con = db.connect(path)
    snapshots.create(con, fw, "Comité S10", dt.date(2021, 11, 20))
    con.close()
    return path


def test_pack_pages_follow_the_plan(demo_pack):
    _, pdf, _ = demo_pack
    pages = pdf_pages(pdf)
    assert 10 <= len(pages) <= 30
    assert "Comité de pilotage" in pages[0]
    assert "Période suivie : S11 (oct. 2021 – mars 2022)" in pages[0]
    assert "Données au 31/03/2022" in pages[0]
    assert "Données de démonstration" in pages[0]
    text = "\n".join(pages)
    order = [
        "1. Chiffres clés",
        "2. Couverture du plan",
        "3. Statut des indicateurs par dimension",
        "4. Ce qui a changé depuis le dernier comité",
        "5. Complétude des rapports par opérateur",
        "6. Qualité des données",
        "Annexe : rapports à l'origine des chiffres",
    ]
    positions = [text.rindex(title) for title in order]
    assert positions == sorted(positions)
    assert all(f"page {n} / {len(pages)}" in p for n, p in enumerate(pages, start=1))


def test_pack_tiles_and_coverage_agree_with_the_framework(demo_pack, fw):
    data, pdf, _ = demo_pack
    text = "\n".join(pdf_pages(pdf))
    served = len(fw.served_cells)
    assert f"{served} / {fw.cell_count}" in text
    assert f"Non servie (aucun indicateur) : {fw.cell_count - served}" in text
    assert all(dim.label in text for dim in fw.dimensions)


def test_pack_names_the_demo_gaps(demo_pack, fw):
    _, pdf, _ = demo_pack
    text = " ".join(" ".join(pdf_pages(pdf)).split())
    assert "Accueil Champêtre en Wallonie n'a rien transmis pour 3 indicateur(s) attendu(s) en S11" in text
    assert f"n'a jamais déclaré : {demo.NEVER_REPORTED}" in text
    assert "Ressources Naturelles Développement asbl" in text and "Reçu en retard" in text
    assert "Aucun instantané de comité n'est enregistré" in text
    assert "rapport_ADT08_2022-Q1.xlsx" in text


def test_pack_workbook_holds_the_same_tables(demo_pack):
    data, _, xlsx = demo_pack
    wb = openpyxl.load_workbook(io.BytesIO(xlsx), read_only=True)
    for name in (
        "Lisez-moi",
        "Chiffres clés",
        "Indicateurs",
        "Couverture",
        "Complétude période",
        "Suivi par semestre",
        "Qualité",
        "Sources",
    ):
        assert name in wb.sheetnames
    assert wb["Indicateurs"].max_row == 51
    assert wb["Sources"].max_row == len(data.uploads) + 1


def test_pack_since_a_snapshot_shows_what_changed(demo_with_snapshot, fw):
    con = db.connect(demo_with_snapshot)
    data = briefing.collect(con, fw, since="Comité S10")
    con.close()
    assert data.comparison is not None and data.comparison.summary["uploads"] > 0
    text = " ".join(" ".join(pdf_pages(pack.pdf_bytes(data))).split())
    assert "De « Comité S10 » (20/11/2021) à les données actuelles" in text
    assert "Statuts d'indicateurs qui ont changé" in text and "Nouveaux rapports" in text


def test_export_pack_command_writes_pdf_and_xlsx(demo_with_snapshot, tmp_path, capsys):
    out = tmp_path / "dossier.pdf"
    assert main(["export", "pack", "--out", str(out), "--since", "Comité S10", "--db", str(demo_with_snapshot)]) == 0
    assert out.read_bytes()[:5] == b"%PDF-" and out.with_suffix(".xlsx").exists()
    assert "comparé à « Comité S10 »" in capsys.readouterr().out
    assert main(["export", "pack", "--out", str(tmp_path / "x.docx"), "--db", str(demo_with_snapshot)]) == 1


def test_pack_renders_on_an_empty_database(empty_db_path, fw):
    con = db.connect(empty_db_path)
    data = briefing.collect(con, fw)
    pages = pdf_pages(pack.pdf_bytes(data))
    assert "Aucun rapport reçu" in pages[0]
    assert any("Non renseignée sur la période" in p for p in pages)
    assert analyses.missing(data.status, data.analyses).empty  # nothing is behind: no analysis is owed


# ------------------------------------------------------------------ the wrapped tables (pack_layout.wrapped)

LONG = (
    "Le partenaire a déclaré une valeur pour un trimestre déjà verrouillé ; elle attend la validation du "
    "coordinateur avant de compter dans les indicateurs du comité de pilotage."
)


def text_runs(data: bytes) -> list[list[tuple[float, float, str]]]:
    """Each page's texts as drawn: (x, y) in points and the text, in drawing order."""
    pages = []
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        runs = []

        def visit(text, cm, tm, font, size, runs=runs):
            if text.strip():
                runs.append((round(tm[4], 1), round(tm[5], 1), text))

        page.extract_text(visitor_text=visit)
        pages.append(runs)
    return pages


def wrapped_pdf(data, frame, widths, size=8, fills=None, *, fpdf2_table=False) -> bytes:
    """A pack document holding only `frame`, drawn by `_wrapped`, or by fpdf2's `pdf.table()` as
    the pack drew its wrapped tables before issue 16."""
    from fpdf.fonts import FontFace

    doc = pack_layout.document(data)
    doc.add_page()
    doc.set_fill_color(*pack_layout.HEAD_FILL)  # in force when pdf.table() drew the pack's tables
    if not fpdf2_table:
        pack_layout.wrapped(doc, frame, widths, size, fills)
        return bytes(doc.output())
    doc.set_font("DejaVu", "", size)
    heading = FontFace(emphasis="BOLD", fill_color=pack_layout.HEAD_FILL)
    with doc.table(
        col_widths=widths, line_height=size * 0.55, headings_style=heading, padding=0.8, text_align="LEFT"
    ) as table:
        table.row([str(c) for c in frame.columns])
        for n, row in enumerate(frame.itertuples(index=False)):
            cells = table.row()
            for k, value in enumerate(row):
                fill = fills[n] if fills is not None and k == len(row) - 1 else None
                cells.cell(
                    pdf_text(value, max(40, int(widths[k] * 8))), style=FontFace(fill_color=fill) if fill else None
                )
    return bytes(doc.output())


def test_wrapped_table_breaks_a_long_text_into_lines_inside_its_column(demo_pack):
    data, _, _ = demo_pack
    frame = pd.DataFrame({"Code": ["ATT04", "CLI01"], "Avertissement": [LONG, "Court."], "Statut": ["● Oui", "■ Non"]})
    widths = (20, 60, 193)  # millimetres: they fill the page's 273
    runs = text_runs(wrapped_pdf(data, frame, widths))[0]
    column = [r for r in runs if abs(r[0] - (12 + 20 + 0.8) / 25.4 * 72) < 1]  # the second column's texts
    lines = [text.strip() for _, _, text in column]
    assert lines[0] == "Avertissement" and lines[-1] == "Court."
    long_lines = lines[1:-1]
    assert len(long_lines) >= 4 and len({y for _, y, _ in column}) == len(column)  # one line under the other
    assert " ".join(long_lines).split() == LONG.split()  # every word, in order, none lost
    doc = pack_layout.document(data)
    doc.set_font("DejaVu", "", 8)
    assert all(doc.get_string_width(line) <= 60 - 1.6 for line in long_lines)


def test_wrapped_table_repeats_its_heading_after_a_page_break(demo_pack):
    data, _, _ = demo_pack
    frame = pd.DataFrame({"Code": [f"R{n:02}" for n in range(60)], "Avertissement": [LONG] * 60})
    pages = text_runs(wrapped_pdf(data, frame, (20, 253)))
    assert len(pages) >= 3
    for n, runs in enumerate(pages):
        texts = [text.strip() for _, _, text in runs]
        if n:  # the running header first
            assert texts.pop(0).startswith("Comité de pilotage · ")
        assert texts[:2] == ["Code", "Avertissement"]
    codes = [text for runs in pages for _, _, text in runs if text.startswith("R") and text[1:].isdigit()]
    assert codes == list(frame["Code"])  # every row once, in order


def test_wrapped_table_draws_what_fpdf2_table_drew(demo_pack):
    """Same lines at the same places, same page breaks, as fpdf2's table layout, whatever the text."""
    data, _, _ = demo_pack
    texts = [
        LONG,
        "S11 (oct. 2021 – mars 2022)",
        "12\u00a0345,6 %",  # a no-break space: multi_cell writes a space
        "",
        "première ligne\nseconde ligne",
        "https://exemple.org/" + "x" * 300,  # no space to break at
        "trait d'u\u00adnion",
        "  espaces  en trop  ",
    ]
    rows = 45
    frame = pd.DataFrame(
        {
            "Code": [f"C{n}" for n in range(rows)],
            "Texte long": [texts[n % len(texts)] for n in range(rows)],
            "Période": [texts[(n + 1) % len(texts)] for n in range(rows)],
            "Statut": ["▲ À surveiller"] * rows,
        }
    )
    fills = [(255, 230, 200)] * rows
    widths = (14, 90, 22, 30)
    ours = wrapped_pdf(data, frame, widths, fills=fills)
    assert text_runs(ours) == text_runs(wrapped_pdf(data, frame, widths, fills=fills, fpdf2_table=True))
    assert b"1 0.902 0.7843 rg" in zlib_pages(ours)  # the status colour fills the last column


def zlib_pages(data: bytes) -> bytes:
    return b"".join(page.get_contents().get_data() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


@pytest.mark.slow  # the command end to end; analyses.missing on no status is checked just above
def test_export_pack_command_on_an_empty_database_writes_both_files(empty_db_path, tmp_path):
    database = tmp_path / "empty.duckdb"
    shutil.copy(empty_db_path, database)
    out = tmp_path / "dossier.pdf"
    done = subprocess.run(
        [sys.executable, "-m", "ardenne_kpi", "export", "pack", "--out", str(out), "--db", str(database)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert out.stat().st_size > 0 and out.with_suffix(".xlsx").stat().st_size > 0


# ------------------------------------------------------------------ pages


@pytest.mark.parametrize("page", ["pages/5_Suivi.py", "pages/6_Marque.py"])
def test_pages_run_on_empty_and_demo_databases(page, demo_db_path, empty_db_path):
    for database in (demo_db_path, empty_db_path):
        at = run_page(page, database)
        assert not at.exception, [e.value for e in at.exception]
        assert at.title


def test_suivi_shows_completeness_and_the_matrix(demo_db_path):
    at = run_page("pages/5_Suivi.py", demo_db_path)
    metrics = {m.label: m.value for m in at.metric}
    # PNVH owes ATT06 by programme semester (its obligation), so its semesters are received whole;
    # ACW's S11 reports are missing, and one of FTLB's.
    assert metrics["Rapports reçus"] == "95\u00a0%"
    assert metrics["Manquants, délai dépassé"] == "4"
    assert any("jamais déclaré" in e.label for e in at.expander)


def rerun(at, database):
    """Run the AppTest again against `database` (run_page only sets ARDENNE_DB for the first run)."""
    import os

    os.environ["ARDENNE_DB"] = str(database)
    try:
        at.run()
    finally:
        os.environ.pop("ARDENNE_DB", None)
    return at


def test_suivi_creates_a_snapshot_and_compares_it(demo_with_snapshot):
    at = run_page("pages/5_Suivi.py", demo_with_snapshot, query_params={"onglet": "Instantanés de comité"})
    next(t for t in at.text_input if t.label == "Nom").input("Comité test")
    next(d for d in at.date_input if d.label == "Date du comité").set_value(dt.date(2022, 6, 1))
    next(b for b in at.button if b.label == "Figer les données à cette date").click()
    rerun(at, demo_with_snapshot)
    assert not at.exception, [e.value for e in at.exception]
    listing = at.dataframe[next(i for i, d in enumerate(at.dataframe) if "Date du comité" in d.value.columns)].value
    assert "Comité test" in set(listing["Nom"])
    assert any("Rien n'a changé" in read(m.value) or "nouveau(x) rapport(s)" in read(m.value) for m in at.markdown)


def test_suivi_prepares_the_pack_for_download(demo_with_snapshot):
    at = run_page("pages/5_Suivi.py", demo_with_snapshot, query_params={"onglet": "Dossier du comité"})
    next(b for b in at.button if b.label == "Préparer le dossier du comité").click()
    rerun(at, demo_with_snapshot)
    assert not at.exception, [e.value for e in at.exception]
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Télécharger le dossier (.pdf)", "Télécharger les tableaux (.xlsx)"]


def test_marque_page_offers_demo_scores_then_shows_them(tmp_path, demo_db_path, fw):
    con = db.connect(path := private_copy(demo_db_path, tmp_path))
    brand.create_demo_scores(con, fw)
    con.close()
    at = run_page("pages/6_Marque.py", path)
    assert not at.exception, [e.value for e in at.exception]
    assert {m.label for m in at.metric} >= {"Opérateurs ayant noté", "Note moyenne"}
    assert at.get("plotly_chart")


def test_the_pack_workbook_holds_numbers_as_numbers_and_dates_as_dates(demo_with_snapshot, tmp_path):
    """Excel sorts and sums the pack's figures: « 800 », « 91,4 % », « 25/01/2017 » were text."""
    out = tmp_path / "dossier.pdf"
    assert main(["export", "pack", "--out", str(out), "--since", "Comité S10", "--db", str(demo_with_snapshot)]) == 0
    wb = openpyxl.load_workbook(out.with_suffix(".xlsx"))
    assert "Changements valeurs" in wb.sheetnames
    assert untyped_cells(wb) == []
    ind = {r[0]: r for r in wb["Indicateurs"].iter_rows(min_row=2, values_only=True)}
    header = [c.value for c in wb["Indicateurs"][1]]
    brd03 = dict(zip(header, ind["BRD03"], strict=True))
    assert brd03["Dernière valeur"] == pytest.approx(0.914) and brd03["Cible"] == pytest.approx(0.92)
    row = next(r for r in wb["Indicateurs"].iter_rows(min_row=2) if r[0].value == "BRD03")
    assert [row[header.index(h)].number_format for h in ("Dernière valeur", "Cible", "Progression")] == [
        "0.0%",
        "0%",
        "0%",
    ]
    sources = wb["Sources"]
    assert isinstance(sources["D2"].value, dt.datetime) and sources["D2"].number_format == "dd/mm/yyyy"
    readme = {r[0]: r[1] for r in wb["Lisez-moi"].iter_rows(min_row=2, values_only=True)}
    assert readme["Données au"] == dt.datetime(2022, 3, 31)


def test_the_pack_pdf_prints_operator_names_whole_and_its_contents_on_one_page(demo_copy, fw):
    """« Fédération Touristique du Luxembourg belge (FTLB/A… » in the annex; with locks the
    cover's contents ran onto a page of its own holding its last line."""
    from ardenne_kpi.core.accounts import User
    from ardenne_kpi.intake import review

    admin = User("Claire Coordination", "admin")
    for semester in fw.calendar.semesters[:8]:
        review.lock(demo_copy, fw, semester.code, admin)
    pages = pdf_pages(pack.pdf_bytes(briefing.collect(demo_copy, fw)))
    contents = [n for n, page in enumerate(pages) if "Qualité des données" in page and "Chiffres clés" in page]
    assert contents and all(
        part in pages[contents[0]] for part in ("Sommaire", "1. Chiffres clés", "Annexe : rapports à l'origine")
    )
    annex = " ".join(" ".join(pages[-6:]).split())
    assert "…" not in annex.split("Annexe : rapports")[-1]
    for op in fw.operators:
        if op.code in set(briefing.collect(demo_copy, fw).uploads["operator"]):
            assert op.label in annex, op.label
