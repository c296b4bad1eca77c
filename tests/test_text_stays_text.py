"""Partners' and the framework's text stays text (issue 24, finding 4): a file name, a label or a
unit is shown as written on every page, never read as Markdown (a live link, an image loaded
from an outside server in a viewer's browser) nor as HTML, nor as matplotlib's mathtext in the
pack."""

from __future__ import annotations

import html
import io
import json
import os
import shutil
from pathlib import Path

import openpyxl
import yaml

from ardenne_kpi import db
from ardenne_kpi.cli import main
from ardenne_kpi.committee import meeting
from ardenne_kpi.core.format import md, terminal_text
from ardenne_kpi.framework import parse_framework
from ardenne_kpi.intake import importer
from tests.conftest import ROOT, private_copy, read, rendered

HOSTILE_NAME = "[Reconnectez-vous ici](https://evil.example/login) ![x](https://evil.example/p.png) **$x$**.xlsx"
HOSTILE_UNIT = '<img src="https://evil.example/u.png"> <a href="https://evil.example">nuitées</a>'


def report() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Rapport"
    for row in (["Opérateur : FTPN"], [], ["Code", "Période", "Valeur"], ["BRD01", "S05", 600]):
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def page_texts(at) -> list[str]:
    """Every Markdown text the page drew: bodies (markdown, captions, messages), labels and
    helps (metrics, buttons, downloads, expanders, tabs)."""
    found: list[str] = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        for name in ("body", "label", "help"):
            value = getattr(proto, name, None) if proto is not None else None
            if isinstance(value, str) and value:
                found.append(value)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


def assert_drawn_as_text(at, written: str) -> None:
    """No text of the page draws a link, an image or a tag, and `written` is shown as written."""
    texts = page_texts(at)
    for text in texts:
        drawn = rendered(text)
        assert "<a " not in drawn and "<img" not in drawn and "<strong>$" not in drawn, text
    # shown as written: Markdown's backslash escapes, or HTML's entities where the page builds HTML
    assert any(written in read(text) or written in html.unescape(text) for text in texts), written


def chart_texts(at) -> str:
    return "\n".join(json.dumps(json.loads(c.proto.spec)) for c in at.get("plotly_chart"))


def test_a_file_name_stays_text_on_the_pages_of_other_users(tmp_path, empty_db_path, fw):
    path = tmp_path / "base.duckdb"
    shutil.copy(empty_db_path, path)
    con = db.connect(path)
    try:
        done = importer.import_file(con, report(), HOSTILE_NAME, user="marie", framework=fw, db_path=path)
        assert done.status == "imported"
    finally:
        con.close()
    from streamlit.testing.v1 import AppTest

    os.environ["ARDENNE_DB"] = str(path)
    trends = AppTest.from_file(str(ROOT / "pages/2_Tendances.py"), default_timeout=60)
    trends.query_params["indicateur"] = "BRD01"
    trends.query_params["periode"] = "S05"  # the lineage, its original file offered for download
    trends.run()
    assert not trends.exception, [e.value for e in trends.exception]
    assert_drawn_as_text(trends, HOSTILE_NAME)

    history = AppTest.from_file(str(ROOT / "pages/1_Import.py"), default_timeout=60)
    history.query_params["onglet"] = "Historique et annulation"
    history.run()
    history.button(key="rollback_ask_button").click().run()
    assert not history.exception, [e.value for e in history.exception]
    assert_drawn_as_text(history, HOSTILE_NAME)


def with_unit(database: Path, code: str, unit: str) -> None:
    """Give indicator `code` of the database's framework the unit `unit`."""
    con = db.connect(database)
    try:
        data = yaml.safe_load(db.stored_framework(con).source_text)
        next(i for i in data["indicators"] if i["code"] == code)["unit"] = unit
        db.sync_framework(con, parse_framework(yaml.safe_dump(data, allow_unicode=True, sort_keys=False)))
    finally:
        con.close()


def test_html_in_a_framework_unit_stays_text_on_tendances_and_in_the_meeting_mode(tmp_path, demo_db_path, fw):
    path = private_copy(demo_db_path, tmp_path)
    con = db.connect(path, read_only=True)
    try:
        slides = meeting.agenda(meeting.collect(con, fw))
    finally:
        con.close()
    number, slide = next((n, s) for n, s in enumerate(slides, start=1) if s.kind == "indicator")
    with_unit(path, slide.indicator, HOSTILE_UNIT)
    from streamlit.testing.v1 import AppTest

    os.environ["ARDENNE_DB"] = str(path)
    trends = AppTest.from_file(str(ROOT / "pages/2_Tendances.py"), default_timeout=60)
    trends.query_params["indicateur"] = slide.indicator
    trends.run()
    assert not trends.exception, [e.value for e in trends.exception]
    assert_drawn_as_text(trends, HOSTILE_UNIT)
    assert "<img" not in chart_texts(trends) and "&lt;img" in chart_texts(trends)

    slides_page = AppTest.from_file(str(ROOT / "pages/7_Reunion.py"), default_timeout=60)
    slides_page.query_params["diapo"] = str(number)
    slides_page.run()
    assert not slides_page.exception, [e.value for e in slides_page.exception]
    assert_drawn_as_text(slides_page, "nuitées")
    badge = next(m.value for m in slides_page.markdown if "nuitées" in m.value)
    assert "<img" not in badge and "&lt;img" in badge
    assert "<img" not in chart_texts(slides_page)


def test_a_dollar_in_a_framework_label_does_not_stop_the_pack(tmp_path, demo_db_path, capsys):
    path = private_copy(demo_db_path, tmp_path)
    con = db.connect(path)
    try:
        data = yaml.safe_load(db.stored_framework(con).source_text)
        data["keys"][0]["label"] = "Prix en $}$ et en €"  # matplotlib's mathtext cannot parse it
        db.sync_framework(con, parse_framework(yaml.safe_dump(data, allow_unicode=True, sort_keys=False)))
    finally:
        con.close()
    out = tmp_path / "dossier.pdf"
    assert main(["export", "pack", "--out", str(out), "--db", str(path)]) == 0, capsys.readouterr().err
    assert out.read_bytes().startswith(b"%PDF")


HOSTILE_TEXTS = [
    "[lien](https://evil.example)",
    "![image](https://evil.example/p.png)",
    "<img src=x onerror=alert(1)> &amp; <b>gras</b>",
    "**gras** _italique_ ~~barré~~ `code` $x^2$ :red[rouge] :material/home:",
    "# titre",
    "- liste",
    "1. liste",
    "> citation",
    "| a | b |",
    "\\[échappé\\]",
    "l'Ardenne, « guillemets » ?",
]


def test_markdown_escaping_shows_every_hostile_text_as_written():
    for text in HOSTILE_TEXTS:
        drawn = rendered(md(text))
        assert drawn == f"<p>{html.escape(text, quote=False)}</p>\n", (text, drawn)


def test_terminal_text_escapes_control_characters_and_keeps_our_line_feeds():
    assert terminal_text("a\x1b[2J\x9bb\r\nc") == "a\\x1b[2J\\x9bb\\x0d\nc"
    assert terminal_text("a\nb\u2028", inline=True) == "a\\x0ab\\u2028"
