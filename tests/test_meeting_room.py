"""The meeting mode on a projector, in a real Chromium: every slide of the agenda at 1280×720
and 1920×1080 fits the screen (Streamlit scrolls inside its main container: its scrollHeight
must not pass its clientHeight) and cuts no table cell, figure or heading. A screenshot of every
slide at both sizes is kept for a person to look at (MEETING_SHOTS)."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from ardenne_kpi import db
from ardenne_kpi.committee import meeting
from ardenne_kpi.core.accounts import LOCAL_USER
from ardenne_kpi.figures import analyses
from tests import app_server
from tests.conftest import ROOT
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, IDLE, _require_browser

pytestmark = pytest.mark.browser

MEETING_SHOTS = Path(tempfile.gettempdir()) / "ardenne_meeting_slides"
SIZES = [(1280, 720), (1920, 1080)]
# A coordinator's analysis as long as a real one, and one much longer: both must fit beside the chart.
ANALYSES = [
    "Les nuitées reculent depuis 2019 : la fermeture de deux campings en Ardenne belge pèse sur le "
    "total, et les hébergements wallons n'ont pas tous rendu leur rapport. Proposition : relancer "
    "la FTLB pour les chiffres du dernier trimestre et présenter au prochain comité une "
    "estimation corrigée, avec la part des hébergements non marchands.",
    "Écart persistant avec la cible. " * 25,
]

# The slide as measured: the main container's heights, and every text that does not fit its box.
MEASURE = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const cut = (e) => e.scrollWidth > e.clientWidth + 1 || getComputedStyle(e).textOverflow === 'ellipsis'
      && e.scrollWidth > e.clientWidth;
  const boxes = [...document.querySelectorAll(
    '[data-testid="stTable"] td, [data-testid="stTable"] th, [data-testid="stMetricValue"] div, h1')];
  return {
    scroll: main.scrollHeight, client: main.clientHeight,
    page: document.documentElement.scrollHeight, viewport: window.innerHeight,
    cut: boxes.filter(cut).map(e => e.innerText.trim()),
    grids: document.querySelectorAll('[data-testid="stDataFrame"]').length,
  };
}"""
FITS = """() => { const main = document.querySelector('[data-testid="stMain"]');
  return main.scrollHeight <= main.clientHeight && document.documentElement.scrollHeight <= window.innerHeight; }"""


@pytest.fixture(scope="module")
def meeting_server(tmp_path_factory, fw):
    """The app in local mode on a fresh demo database whose first two indicators behind target
    carry a coordinator's analysis (a usual one, a long one); yields (url, agenda)."""
    _require_browser()
    folder = tmp_path_factory.mktemp("meeting_room")
    database = folder / "demo.duckdb"
    subprocess.run(
        [sys.executable, "-m", "ardenne_kpi", "init", "--db", str(database)], cwd=ROOT, check=True, capture_output=True
    )
    con = db.connect(database)
    data = meeting.collect(con, fw)
    slides = meeting.agenda(data)
    shown = [s.indicator for s in slides if s.kind == "indicator"][: len(ANALYSES)]
    latest = data.status.set_index("indicator")["latest_period"]
    for code, body in zip(shown, ANALYSES, strict=True):
        analyses.write(con, fw, LOCAL_USER, code, latest[code], body)
    slides = meeting.agenda(meeting.collect(con, fw))
    con.close()
    log = folder / "streamlit.log"
    with app_server.streamlit(ROOT, database, log) as (url, proc):  # local mode
        app_server.wait_health(url, proc, timeout=60, log=log)
        yield url, slides


def test_every_meeting_slide_fits_the_projector_and_cuts_no_text(meeting_server):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    url, slides = meeting_server
    assert any(s.kind == meeting.SUITE for s in slides), "a long dimension table continues on a « suite » slide"
    MEETING_SHOTS.mkdir(exist_ok=True)
    problems = []
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for width, height in SIZES:
                context = chromium.new_context(viewport={"width": width, "height": height}, locale="fr-FR")
                context.set_default_timeout(60_000)
                page = context.new_page()
                page.goto(f"{url}/Reunion?diapo=1")
                page.get_by_role("heading", name=slides[0].title).wait_for()
                page.locator("h1").first.click()  # the keyboard goes to the page
                page.mouse.move(0, height - 1)  # no hover mark on the heading in the screenshots
                for n, slide in enumerate(slides, start=1):
                    if n > 1:
                        page.keyboard.press("ArrowRight")
                    page.get_by_text(re.compile(rf"^{n} / {len(slides)}")).first.wait_for()
                    page.wait_for_function(IDLE)
                    page.get_by_role("heading", name=slide.title, exact=True).wait_for()
                    if slide.kind == "indicator":
                        page.locator(".st-key-meeting_chart .main-svg").first.wait_for()
                    if slide.kind in ("dimension", meeting.SUITE):
                        page.locator('[data-testid="stTable"] td').first.wait_for()
                    page.evaluate("document.fonts.ready")
                    try:  # the layout settles once the fonts and the chart are drawn
                        page.wait_for_function(FITS, timeout=5_000)
                    except PlaywrightTimeout:
                        pass
                    shot = MEETING_SHOTS / f"diapo_{n:02d}_{width}x{height}.png"
                    page.screenshot(path=str(shot))
                    m = page.evaluate(MEASURE)
                    where = f"diapo {n} « {slide.title} » à {width}×{height} ({shot})"
                    if m["scroll"] > m["client"] or m["page"] > m["viewport"]:
                        problems.append(f"{where} : hauteur {m['scroll']} px pour {m['client']} px d'écran")
                    if m["cut"]:
                        problems.append(f"{where} : texte coupé {m['cut']}")
                    if m["grids"]:
                        problems.append(f"{where} : tableau défilant (st.dataframe) au lieu d'un tableau entier")
                context.close()
        finally:
            chromium.close()
    assert not problems, "\n".join(problems)
