"""The real-browser test: Chromium driven by Playwright against `streamlit run` on 127.0.0.1.

What AppTest cannot do: a real file drop, the preview drawn by the browser, a commit seen
from another page, an undo, a click on a heatmap cell, and the time from drop to preview.

Locally without Chromium (or Playwright) the tests are skipped with the reason printed;
with CI=true a missing browser is a failure, not a skip.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import openpyxl
import pytest

from ardenne_kpi import db
from ardenne_kpi.core import accounts, links
from ardenne_kpi.framework import load_framework
from ardenne_kpi.intake import templates
from tests import app_server
from tests.browser_helpers import bad_report, large_report
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("ARDENNE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
REFUSED_SCREENSHOT = Path("/tmp/import_refused.png")
GOOD_FILE = "rapport_navigateur.xlsx"
MARKER = 97  # CLI07 (FTLB only, one zone) for S05: the demo says 2; the browser must then show 97
SCREENS = Path("/tmp/ardenne_screens")  # every page at projector sizes, kept for a person to look at
# Every page (links.PAGES), named after its address for the screenshots' files.
PAGE_PATHS = {(page.path or "accueil").lower(): page.path for page in links.PAGES}
SIZES = [(1280, 720), (1920, 1080)]
# English that Streamlit writes by itself (drop zone, select boxes, table toolbar, status) and
# that must never reach a French-speaking committee.
ENGLISH = [
    "Upload",
    "Browse files",
    "Drag and drop",
    "per file",
    "Limit",
    "Choose an option",
    "Choose options",
    "Download",
    "Search",
    "Fullscreen",
    "Show/hide",
    "No results",
    "No options",
    "Running",
    "Deploy",
    "Clear all",
    "Home",
    "Press Enter",
    "Made with Streamlit",
    "Select all",
]
# Streamlit marks its app with the state of the script run, and draws a skeleton where an element
# is still loading: wait for both instead of sleeping.
IDLE = (
    "() => { const app = document.querySelector('.stApp');"
    " return app && app.getAttribute('data-test-script-state') === 'notRunning'"
    " && !document.querySelector('[data-testid=\"stSkeleton\"]'); }"
)


def _unavailable() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright n'est pas installé (pip install -r requirements-dev.txt)"
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"Chromium introuvable ({CHROMIUM}) : apt-get install -y chromium"
    return None


def _require_browser() -> None:
    reason = _unavailable()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"test navigateur impossible en CI : {reason}")
    print(f"\ntest navigateur ignoré : {reason}", file=sys.stderr)
    pytest.skip(reason)


@contextmanager
def _streamlit(folder: Path, accounts: Path | None):
    """`streamlit run app.py` on a fresh demo database, with `accounts` as the accounts file (None: local mode);
    stopped by its PID afterwards."""
    database = folder / "demo.duckdb"
    subprocess.run(
        [sys.executable, "-m", "ardenne_kpi", "init", "--db", str(database)], cwd=ROOT, check=True, capture_output=True
    )
    log = folder / "streamlit.log"
    with app_server.streamlit(ROOT, database, log, accounts) as (url, proc):
        app_server.wait_health(url, proc, timeout=60, log=log)
        yield {"url": url, "db": database, "shots": folder}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app in local mode (no accounts file), on a fresh demo database."""
    _require_browser()
    folder = tmp_path_factory.mktemp("browser")
    with _streamlit(folder, None) as running:
        yield running


@contextmanager
def launched_chromium():
    """Chromium driven by Playwright (CHROMIUM, CHROMIUM_ARGS), closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def browser(server):
    with launched_chromium() as chromium:
        yield chromium


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1800}, locale="fr-FR")
    context.set_default_timeout(60_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _open(page, server, path: str, ready: str) -> None:
    page.goto(f"{server['url']}/{path}")
    page.get_by_text(ready).first.wait_for()


def _idle(page) -> None:
    page.wait_for_function(IDLE)


def _grid_texts(page) -> list[str]:
    return [t.strip() for t in page.locator('[data-testid="stDataFrame"] [role="gridcell"]').all_inner_texts()]


def _wait_cell(page, text: str | re.Pattern) -> None:
    """Wait for a table cell (the grid draws on a canvas; its cells exist for screen readers)."""
    pattern = text if isinstance(text, re.Pattern) else re.compile(f"^{re.escape(text)}$")
    page.locator('[data-testid="stDataFrame"] [role="gridcell"]', has_text=pattern).first.wait_for(state="attached")


def _choose(page, label: str, typed: str) -> None:
    box = page.get_by_role("combobox", name=label)
    box.click()
    page.keyboard.type(typed)
    page.keyboard.press("Enter")


def _good_file(database: Path) -> bytes:
    """FTLB's template for S05, filled 10 % above each last value, CLI07 = MARKER (commented)."""
    copy = database.with_name("template-source.duckdb")
    shutil.copy(database, copy)  # the server holds the database: read a copy
    con = db.connect(copy, read_only=True)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(templates.build_template(con, db.stored_framework(con), "FTLB", "S05")))
    finally:
        con.close()
    ws = wb[templates.DATA_SHEET]
    r = templates.FIRST_ROW
    while ws.cell(r, 1).value:
        last = ws[f"{templates.COLUMN_OF['last_value']}{r}"].value
        unit = ws.cell(r, 3).value
        value = 10 if last is None else round(last * 1.1, 1)
        ws.cell(r, 7).value = min(value, 100) if unit == "%" else value
        if ws.cell(r, 1).value == "CLI07" and ws.cell(r, 4).value == "S05":
            ws.cell(r, 7).value = MARKER
            ws.cell(r, 8).value = "Valeur du test navigateur"
        r += 1
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# The cells of the Tendances « Valeurs » table (headed Période, Valeur) once it lists `prefix`'s
# period; false until then. Other tables of the page list periods too: the partners' comments
# (Période, Opérateur...), which may be drawn before it.
VALUES_GRID = """(prefix) => {
  for (const grid of document.querySelectorAll('[data-testid="stDataFrame"]')) {
    const heads = [...grid.querySelectorAll('[role="columnheader"]')].map(e => e.innerText.trim());
    if (heads[0] !== 'Période' || heads[1] !== 'Valeur') continue;
    const cells = [...grid.querySelectorAll('[role="gridcell"]')].map(e => e.innerText.trim());
    if (cells.some(t => t.startsWith(prefix))) return cells;
  }
  return false;
}"""


def _values_cells(page, prefix: str) -> list[str]:
    """The « Valeurs » table's cells, once the script is idle and the table lists `prefix`."""
    _idle(page)
    return page.wait_for_function(VALUES_GRID, arg=prefix).json_value()


def _tendances_cli07(page, server) -> list[str]:
    """CLI07's trend table. The indicator comes in the address: choosing it in the box left a window where
    the box already named CLI07 while the grid still showed the first indicator's S05 (568, not 2 or 97)."""
    _open(page, server, "Tendances?indicateur=CLI07", "Un indicateur en détail")
    _idle(page)
    assert "indicateur=CLI07" in page.url
    return _values_cells(page, "S05 (oct")


def _s05_value(cells: list[str]) -> str:
    at = next(i for i, text in enumerate(cells) if text.startswith("S05 (oct"))
    return cells[at + 1]


def test_import_preview_commit_new_value_elsewhere_and_rollback(page, server):
    _open(page, server, "Import", "Importer un rapport d'activité")
    name = page.get_by_label("Votre nom (enregistré comme auteur de l'import)")
    name.fill("Test Navigateur")
    name.press("Enter")
    page.get_by_text("Test Navigateur").count()  # the rerun carrying the name
    bad = bad_report()
    page.locator('input[type="file"]').set_input_files(
        [
            {"name": GOOD_FILE, "mimeType": "application/octet-stream", "buffer": _good_file(server["db"])},
            {"name": "mauvais.xlsx", "mimeType": "application/octet-stream", "buffer": bad},
        ]
    )
    page.get_by_text(f"{GOOD_FILE} : accepté").wait_for()
    refused = page.get_by_text("mauvais.xlsx : refusé")
    refused.wait_for()
    # the refused file's table (the accepted one may have warnings of its own)
    issues = (
        page.locator('[data-testid="stTable"]').filter(has_text="Gravité").filter(has_text="n'est pas un nombre").first
    )
    issues.wait_for()
    listed = [t.strip() for t in issues.locator("th, td").all_inner_texts()]
    assert {"D5", "A6", "B7"} <= set(listed), "the three faulty cells are listed"
    assert any("« 12,5 km » n'est pas un nombre" in t for t in listed)
    _wait_cell(page, "modifié")
    cells = _grid_texts(page)
    assert "modifié" in cells and any(re.fullmatch(r"[\d  ,]+ → [\d  ,]+", c) for c in cells), "old → new"
    # the refused file's own copy with its cells marked (the page keys each file's button by its hash;
    # the accepted file may offer one too, for a warning of its own)
    page.locator(f".st-key-annotated_{hashlib.sha256(bad).hexdigest()}").get_by_role(
        "button", name=re.compile("Télécharger le fichier annoté")
    ).wait_for()
    refused.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)
    shot = server["shots"] / "import_refused.png"
    page.screenshot(path=str(shot))
    shutil.copy(shot, REFUSED_SCREENSHOT)

    before = _s05_value(_tendances_cli07(page, server))
    assert before == "2"

    _open(page, server, "Import", "Importer un rapport d'activité")
    page.get_by_label("Votre nom (enregistré comme auteur de l'import)").fill("Test Navigateur")
    page.get_by_label("Votre nom (enregistré comme auteur de l'import)").press("Enter")
    page.locator('input[type="file"]').set_input_files(
        [{"name": GOOD_FILE, "mimeType": "application/octet-stream", "buffer": _good_file(server["db"])}]
    )
    page.get_by_text(f"{GOOD_FILE} : accepté").wait_for()
    page.get_by_role("button", name="Enregistrer 1 fichier(s) accepté(s)").click()
    done = page.get_by_text(re.compile(rf"{GOOD_FILE} : importé \(import n° \d+\)"))
    done.wait_for()
    upload_id = re.search(r"import n° (\d+)", done.inner_text())[1]
    page.screenshot(path=str(server["shots"] / "import_committed.png"))

    cells = _tendances_cli07(page, server)
    assert _s05_value(cells) == str(MARKER), "the new value shows on the Tendances page at once"
    page.get_by_role("tab", name="D'où vient ce chiffre ?").click()  # only the open tab is drawn
    _choose(page, "Valeur", "S05")
    _wait_cell(page, upload_id)  # lineage: the value behind S05 comes from our upload
    page.screenshot(path=str(server["shots"] / "tendances_after_import.png"))

    _open(page, server, "Import", "Importer un rapport d'activité")
    page.get_by_role("tab", name="Historique et annulation").click()
    page.get_by_role("button", name="Annuler cet import…").click()
    page.get_by_text(re.compile(r"valeur\(s\) cesseront de compter")).wait_for()
    page.get_by_role("button", name="Confirmer l'annulation").click()
    page.get_by_text(re.compile(r"Import n° \d+ \(" + re.escape(GOOD_FILE) + r"\) annulé")).wait_for()

    assert _s05_value(_tendances_cli07(page, server)) == before, "the rollback restores the demo value"


def test_drop_to_preview_time_for_10000_rows(page, server):
    data = large_report(10_000)
    _open(page, server, "Import", "Importer un rapport d'activité")
    started = time.perf_counter()
    page.locator('input[type="file"]').set_input_files(
        [{"name": "gros_rapport.xlsx", "mimeType": "application/octet-stream", "buffer": data}]
    )
    page.get_by_text("gros_rapport.xlsx : accepté").wait_for()
    _wait_cell(page, "nouveau")
    elapsed = time.perf_counter() - started
    (server["shots"] / "drop_to_preview.txt").write_text(f"{elapsed:.2f}\n")
    print(f"\ndrop → aperçu, 10 000 lignes ({len(data) // 1024} Ko) : {elapsed:.2f} s", file=sys.stderr)
    assert elapsed < 30


def test_coverage_heatmap_cell_click_shows_its_indicators(page, server):
    _open(page, server, "Couverture", "Couverture")
    fw = load_framework()
    row, col = next((d.code, k.code) for d in fw.dimensions for k in fw.keys if (d.code, k.code) in fw.served_cells)
    rows, cols = [d.code for d in fw.dimensions], [k.code for k in fw.keys]
    plot = page.locator(".js-plotly-plot").first
    plot.wait_for()
    drag = plot.locator(".nsewdrag").first
    box = drag.bounding_box()
    assert box is not None
    # Rows top to bottom in framework order, columns left to right: the centre of the cell.
    x = box["x"] + box["width"] * (cols.index(col) + 0.5) / len(cols)
    y = box["y"] + box["height"] * (rows.index(row) + 0.5) / len(rows)
    page.mouse.move(x, y)
    page.mouse.click(x, y)
    title = f"{fw.label('dimensions', row)} × {fw.label('keys', col)}"
    page.get_by_role("heading", name=title).wait_for()
    served_by = [i.code for i in fw.indicators if row in i.dimensions and col in i.keys]
    _wait_cell(page, re.compile("|".join(f"^{c}" for c in served_by)))
    page.screenshot(path=str(server["shots"] / "couverture_cell.png"))


def test_tendances_opens_the_lineage_of_a_value(page, server):
    _open(page, server, "Tendances", "Un indicateur en détail")
    _choose(page, "Indicateur", "CLI01")
    page.get_by_role("tab", name="D'où vient ce chiffre ?").click()  # only the open tab is drawn
    _choose(page, "Valeur", "S05")
    # the lineage table
    page.locator('[data-testid="stDataFrame"] [role="columnheader"]', has_text="Import n°").first.wait_for(
        state="attached"
    )
    _wait_cell(page, re.compile("Fédération Touristique du Luxembourg"))
    headers = page.locator('[data-testid="stDataFrame"] [role="columnheader"]').all_inner_texts()
    page.screenshot(path=str(server["shots"] / "tendances_lineage.png"))
    cells = _grid_texts(page)
    # S05 (Oct. 2018 – Mar. 2019) of a quarterly indicator: the two quarters behind it, with their import.
    assert "Import n°" in headers
    assert {"T4 2018", "T1 2019"} <= set(cells)  # French period labels, codes stay in CSVs


@pytest.fixture(scope="module")
def accounts_server(browser, tmp_path_factory):
    """The app with accounts on (a partner of FTLB), on a fresh demo database."""
    folder = tmp_path_factory.mktemp("browser-accounts")
    accounts_file = folder / "accounts.yaml"
    accounts.add_user("marc.ftlb", "partner", "mot de passe du test", ["FTLB"], path=accounts_file)
    accounts.add_user("claire.coord", "admin", "mot de passe de la coordination", [], path=accounts_file)
    with _streamlit(folder, accounts_file) as running:
        yield running | {"folder": folder}


def test_the_apps_address_welcomes_a_visitor_with_the_public_figures(browser, accounts_server):
    """Accounts on: « / » showed a bare sign-in form; now the public key figures and a link
    « Se connecter » that leads to the form."""
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="fr-FR")
    context.set_default_timeout(60_000)
    page = context.new_page()
    try:
        page.goto(f"{accounts_server['url']}/")
        page.get_by_role("heading", name="L'Ardenne en chiffres").wait_for()
        page.locator(".js-plotly-plot .main-svg").first.wait_for()
        assert page.get_by_label("Mot de passe").count() == 0
        page.wait_for_function(IDLE)
        page.screenshot(path=str(accounts_server["folder"] / "welcome.png"))
        page.get_by_role("link", name=re.compile("^Se connecter")).first.click()
        page.get_by_label("Mot de passe").wait_for()
        page.get_by_label("Nom d'utilisateur").fill("claire.coord")
        page.get_by_label("Mot de passe").fill("mot de passe de la coordination")
        page.get_by_role("button", name="Se connecter").click()
        page.get_by_text("Ardenne Attractivity : mesure de la performance").first.wait_for()
    finally:
        context.close()


def test_partner_signs_in_and_uploads_for_its_operator(browser, accounts_server):
    """With accounts configured, a partner signs in; the history records the account, not a typed name."""
    running, folder = accounts_server, accounts_server["folder"]
    context = browser.new_context(viewport={"width": 1400, "height": 1800}, locale="fr-FR")
    context.set_default_timeout(60_000)
    page = context.new_page()
    try:
        page.goto(f"{running['url']}/Import")
        page.get_by_text("Connexion").first.wait_for()
        page.get_by_label("Nom d'utilisateur").fill("marc.ftlb")
        page.get_by_label("Mot de passe").fill("mot de passe du test")
        page.get_by_role("button", name="Se connecter").click()
        page.get_by_text("Importer un rapport d'activité").first.wait_for()
        page.get_by_text("marc.ftlb · partenaire (FTLB)").first.wait_for()
        page.locator('input[type="file"]').set_input_files(
            [{"name": GOOD_FILE, "mimeType": "application/octet-stream", "buffer": _good_file(running["db"])}]
        )
        page.get_by_text(f"{GOOD_FILE} : accepté").wait_for()
        page.get_by_role("button", name="Enregistrer 1 fichier(s) accepté(s)").click()
        page.get_by_text("importé (import n°").first.wait_for()
        page.get_by_role("tab", name="Historique et annulation").click()
        _wait_cell(page, "marc.ftlb")
        page.screenshot(path=str(folder / "partner_upload.png"))
    finally:
        context.close()


def test_chiffres_cles_opens_without_signing_in_and_embeds(browser, accounts_server):
    """Accounts are on: « Chiffres clés » shows its charts to a visitor who did not sign in, alone
    with ?embed=true&indicateur=CODE; the other pages still ask to sign in."""
    context = browser.new_context(viewport={"width": 1400, "height": 1800}, locale="fr-FR")
    context.set_default_timeout(60_000)
    page = context.new_page()
    try:
        page.goto(f"{accounts_server['url']}/Chiffres_cles")
        page.get_by_role("heading", name="L'Ardenne en chiffres").wait_for()
        page.locator(".js-plotly-plot .main-svg").first.wait_for()
        assert page.get_by_label("Mot de passe").count() == 0
        page.get_by_role("tab", name="Pour les visiteurs").click()  # only the open tab is drawn
        page.get_by_text("Nuitées dans les hébergements").first.wait_for()
        page.wait_for_function(IDLE)
        page.screenshot(path=str(accounts_server["folder"] / "chiffres_cles.png"))

        page.goto(f"{accounts_server['url']}/Chiffres_cles?embed=true&indicateur=CLI08")
        page.get_by_text("Nuitées dans les hébergements").first.wait_for()
        page.locator(".js-plotly-plot .main-svg").first.wait_for()
        assert page.locator('[data-testid="stSidebar"]').count() == 0, "embedded: no menu"
        assert page.get_by_text("Visites du portail visitardenne.com").count() == 0, "one figure alone"

        page.goto(f"{accounts_server['url']}/Tendances")
        page.get_by_label("Mot de passe").wait_for()
    finally:
        context.close()


def test_published_site_draws_its_charts_offline(browser, server, tmp_path):
    """`publish` (beside the running app) writes a folder whose index.html, opened from disk with
    the network cut, draws every chart with the Plotly written beside it."""
    out = tmp_path / "portail"
    done = subprocess.run(
        [sys.executable, "-m", "ardenne_kpi", "publish", "--out", str(out), "--db", str(server["db"])],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    context = browser.new_context(viewport={"width": 1400, "height": 1800}, locale="fr-FR")
    context.set_default_timeout(60_000)
    asked: list[str] = []

    def refuse(route):
        asked.append(route.request.url)
        route.abort()

    context.route(re.compile(r"^https?://"), refuse)
    context.set_offline(True)
    page = context.new_page()
    try:
        page.goto((out / "index.html").as_uri())
        plots = page.locator(".js-plotly-plot")
        plots.first.locator(".main-svg").first.wait_for()
        expected = (out / "index.html").read_text(encoding="utf-8").count('class="plotly-graph-div"')
        page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {expected}")
        assert plots.count() == expected > 10
        page.screenshot(path=str(tmp_path / "portail.png"))
        page.goto((out / "embed" / "CLI08.html").as_uri())
        page.locator("#chart-CLI08 .main-svg").first.wait_for()
        assert asked == [], "the site asks nothing from the network"
    finally:
        context.close()


def test_every_page_is_french_and_whole_at_projector_sizes(browser, server):
    """Each page at 1280×720 and 1920×1080: no English word Streamlit would write, no axis tick
    with an SI suffix (« 300k »); a screenshot of each for a person to look at."""
    SCREENS.mkdir(exist_ok=True)
    for width, height in SIZES:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="fr-FR")
        context.set_default_timeout(60_000)
        page = context.new_page()
        try:
            for name, path in PAGE_PATHS.items():
                page.goto(f"{server['url']}/{path}")
                page.locator("h1").first.wait_for()
                _idle(page)
                if name in ("accueil", "tendances", "couverture", "marque"):
                    page.locator(".js-plotly-plot .ytick").first.wait_for(state="attached")
                page.screenshot(path=str(SCREENS / f"{name}_{width}.png"))
                text = page.inner_text("body")
                english = [w for w in ENGLISH if re.search(rf"\b{re.escape(w)}\b", text)]
                assert not english, f"{name} ({width} px) : {english}"
                ticks = page.locator(".xtick text, .ytick text").all_text_contents()
                assert not [t for t in ticks if re.fullmatch(r"[\d  ,.]+[kMG]", t)], f"{name} : {ticks}"
        finally:
            context.close()


def test_meeting_mode_walks_the_agenda_with_the_keyboard(page, server):
    page.goto(f"{server['url']}/Reunion")
    # the first slide's title (the menu, hidden here, also has a « Chiffres clés » page)
    page.get_by_role("heading", name=re.compile(r"^Chiffres clés · ")).first.wait_for()
    _idle(page)
    total = int(re.search(r"1 / (\d+)", page.inner_text("body"))[1])
    assert total > 5
    page.locator("h1").first.click()  # the keyboard goes to the page, not to a field
    for n in range(2, total + 1):
        page.keyboard.press("ArrowRight")
        page.get_by_text(re.compile(rf"^{n} / {total}")).first.wait_for()
        _idle(page)
        if n == 3:
            page.screenshot(path=str(server["shots"] / "reunion_indicateur.png"))
    page.get_by_role("heading", name="Fin de l'ordre du jour").wait_for()
    assert f"diapo={total}" in page.url
    page.keyboard.press("ArrowLeft")
    page.get_by_text(re.compile(rf"^{total - 1} / {total}")).first.wait_for()
    assert not page.locator('[data-testid="stSidebar"]').is_visible()


def test_a_tendances_view_reopens_from_its_link(browser, page, server):
    _open(page, server, "Tendances", "Un indicateur en détail")
    _choose(page, "Indicateur", "CLI01")
    page.wait_for_url(re.compile(r"indicateur=CLI01"))  # the choice has reached the script
    _idle(page)
    page.get_by_text("Année civile").click()
    page.wait_for_url(re.compile(r"grain=year"))
    assert "indicateur=CLI01" in page.url
    link = page.url
    other = browser.new_context(viewport={"width": 1280, "height": 720}, locale="fr-FR")
    other.set_default_timeout(60_000)
    try:
        again = other.new_page()
        again.goto(link)
        again.get_by_text("Un indicateur en détail").first.wait_for()
        _idle(again)
        label = load_framework().indicator("CLI01").label
        again.locator(".js-plotly-plot .gtitle").filter(has_text=label).first.wait_for(state="attached")
        assert again.get_by_role("radio", name="Année civile").is_checked()
        assert "indicateur=CLI01" in again.url and "grain=year" in again.url  # not rewritten to the defaults
    finally:
        other.close()


def _signed_in(browser, server, name: str, password: str, path: str, ready: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1800}, locale="fr-FR")
    context.set_default_timeout(60_000)
    page = context.new_page()
    _sign_in(page, server, name, password, path, ready)
    return context, page


def _sign_in(page, server, name: str, password: str, path: str, ready: str) -> None:
    """Open `path` and sign in (a page load is a new Streamlit session: it asks again)."""
    page.goto(f"{server['url']}/{path}")
    page.get_by_label("Nom d'utilisateur").fill(name)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_text(ready).first.wait_for()
    _idle(page)


ADMIN_SIGN_IN = ("claire.coord", "mot de passe de la coordination")
# FTLB's 23 lines for S11: its surveys BRD04 and BRD05 (BE-LUX, and Namur it surveyed before, not
# yet in 2021: a new value), BRD09 (S11) the fourth, PRI08 all audiences and its visitors' part...
ENTRY_VALUES = ["50", "50", "50", "123", *["50"] * 19]


def test_partner_enters_values_online_an_admin_validates_and_tendances_shows_them(browser, accounts_server):
    """Issue 14: a partner types values in the web form; they land « soumis » and the validated
    figures ignore them until the coordination validates; then Tendances shows them."""
    running = accounts_server
    tendances = "Tendances?indicateur=BRD09&operateur=FTLB"
    context, page = _signed_in(
        browser,
        running,
        "marc.ftlb",
        "mot de passe du test",
        "Import?onglet=Saisir+en+ligne",
        "Importer un rapport d'activité",
    )
    try:
        # a tall window: the grid's 20 lines (wrapped names, ui.WRAP_ROW_PX each) all in view, no scrolling
        page.set_viewport_size({"width": 1440, "height": 2600})
        started = time.perf_counter()
        page.get_by_text("Quelques valeurs à déclarer").wait_for()
        grid = page.locator('[data-testid="stDataFrame"]').filter(has_text="BRD09").first
        grid.locator('[role="gridcell"]', has_text=re.compile("^BRD04")).first.wait_for(state="attached")
        _idle(page)
        editor = page.locator("textarea.gdg-input")  # the grid's cell editor
        for line, value in enumerate(ENTRY_VALUES):  # the grid shows every line: no scrolling
            _enter_value(page, grid, line, value, editor, running["folder"])
        verdict = page.locator(
            '[data-testid="stAlert"]', has_text=re.compile(r"Votre saisie est (acceptée|refusée)")
        ).first
        _click_until(page, page.get_by_role("button", name="Vérifier la saisie"), verdict, running["folder"])
        page.screenshot(path=str(running["folder"] / "web_entry_checked.png"), full_page=True)
        assert "acceptée" in verdict.inner_text(), verdict.inner_text()
        assert "1 nouvelle(s) valeur(s), 22 modifiée(s)" in verdict.inner_text(), "every line was entered"
        _idle(page)
        page.screenshot(path=str(running["folder"] / "web_entry_checked.png"))
        page.get_by_role("button", name="Enregistrer la saisie").click()
        page.get_by_text("Import soumis à la coordination").first.wait_for()
        elapsed = time.perf_counter() - started
        (running["folder"] / "web_entry_values.txt").write_text(f"{elapsed:.2f}\n")
        print(
            f"\nsaisie en ligne de {len(ENTRY_VALUES)} valeurs, de l'onglet ouvert à l'import soumis : {elapsed:.1f} s",
            file=sys.stderr,
        )
    finally:
        context.close()

    context, page = _signed_in(browser, running, *ADMIN_SIGN_IN, tendances, "Un indicateur en détail")
    try:
        assert _s11_value(_values_cells(page, "S11 (oct")) != "123", "a submitted value is not a validated figure"
        page.get_by_text(re.compile(r"Inclure les chiffres soumis \(\d+ import")).first.wait_for()

        _sign_in(page, running, *ADMIN_SIGN_IN, "Import?onglet=Validation", "Ce que la validation change")
        _wait_cell(page, re.compile("^BRD09"))  # what validating changes: BRD09 among the lines
        page.get_by_role("button", name=re.compile(r"^Valider l'import n° \d+")).click()
        page.get_by_text(re.compile(r"Import n° \d+ \(.*\) validé")).first.wait_for()

        _sign_in(page, running, *ADMIN_SIGN_IN, tendances, "Un indicateur en détail")
        assert _s11_value(_values_cells(page, "S11 (oct")) == "123", "validated, the value shows on Tendances"
        page.screenshot(path=str(running["folder"] / "validated_on_tendances.png"))
    finally:
        context.close()


def _click_until(page, button, shown, folder: Path, attempts: int = 3) -> None:
    """Click `button` until `shown` appears. On a loaded machine a click can land while the
    page's last rerun is still redrawing the button, and is lost; the actions clicked here
    (checking an entry) can be repeated."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _attempt in range(attempts):
        _idle(page)
        button.click()
        try:
            shown.wait_for(timeout=30_000)
            return
        except PlaywrightTimeout:
            continue
    page.screenshot(path=str(folder / "click_lost.png"), full_page=True)
    raise AssertionError(f"nothing came of {attempts} clicks")


def _enter_value(page, grid, line: int, value: str, editor, folder: Path) -> None:
    """Type `value` in « Valeur » on `line` of the entry grid, and wait until the grid shows it there.
    An edit typed while a rerun redraws the grid (a loaded machine) can be dropped by the
    browser: then it is typed again, at most three times."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    header = grid.locator('[role="columnheader"]', has_text=re.compile(r"^\s*Valeur\s*$")).first
    column = int(header.get_attribute("aria-colindex") or 0) - 1  # the grid's cells: glide-cell-<col>-<row>
    cell = grid.locator(f"#glide-cell-{column}-{line}")
    shows = re.compile(rf"^\s*{re.escape(value)}(?:[,.]0+)?\s*$")
    for _attempt in range(3):
        box = grid.bounding_box()  # where the grid is now: a redrawn page may have moved it
        assert box is not None
        _open_value_cell(page, box, line, editor, folder)
        editor.fill(value)
        page.keyboard.press("Enter")  # commits the cell
        editor.wait_for(state="hidden")
        _idle(page)  # each edit reruns the page: the next clicks wait for it
        try:
            cell.filter(has_text=shows).wait_for(state="attached", timeout=10_000)
            return
        except PlaywrightTimeout:
            continue
    page.screenshot(path=str(folder / "web_entry_lost.png"), full_page=True)
    raise AssertionError(f"line {line}: the grid never showed {value} ({cell.all_inner_texts()})")


def _open_value_cell(page, box: dict, line: int, editor, folder: Path) -> None:
    """Select « Valeur » on `line` of the entry grid (rows of ui.WRAP_ROW_PX under a 35 px header) and open
    its editor. A click that lands while the grid is being redrawn (a loaded machine) selects
    nothing, or another cell, whose editor opens read-only: try again, at most three times."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _attempt in range(3):
        from ardenne_kpi.ui import WRAP_ROW_PX  # the entry grid's rows wrap its indicators' names

        page.mouse.click(box["x"] + 40, box["y"] + 35 + WRAP_ROW_PX * line + WRAP_ROW_PX // 2)  # « Indicateur »
        for key in ["ArrowRight"] * 4:  # « Valeur »
            page.keyboard.press(key)
        page.keyboard.press("Enter")
        try:
            editor.wait_for(timeout=15_000)
            if editor.is_enabled():
                return
        except PlaywrightTimeout:
            pass
        page.keyboard.press("Escape")
        _idle(page)
    page.screenshot(path=str(folder / "web_entry_no_editor.png"), full_page=True)
    raise AssertionError("the grid's cell editor never opened")


def _s11_value(cells: list[str]) -> str:
    at = next(i for i, text in enumerate(cells) if text.startswith("S11 (oct"))
    return cells[at + 1]
