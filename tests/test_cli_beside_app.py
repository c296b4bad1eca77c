"""The command line beside a running dashboard: `streamlit run app.py` serves pages to a real
Chromium while `python -m ardenne_kpi import` writes to the same database file; the import
lands and the next page render shows its value."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT
from tests.test_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    MARKER,
    _good_file,
    _open,
    _require_browser,
    _s05_value,
    _streamlit,
    _tendances_cli07,
)

pytestmark = pytest.mark.browser


def test_command_line_import_while_the_server_serves_pages(tmp_path_factory):
    _require_browser()
    from playwright.sync_api import sync_playwright

    folder = tmp_path_factory.mktemp("cli-beside-app")
    with _streamlit(folder, None) as running, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1800}, locale="fr-FR")
        context.set_default_timeout(60_000)
        page = context.new_page()
        try:
            assert _s05_value(_tendances_cli07(page, running)) == "2"  # the server has opened the database
            report = folder / "rapport_ligne_de_commande.xlsx"
            report.write_bytes(_good_file(running["db"]))
            started = time.monotonic()
            cmd = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "ardenne_kpi",
                    "import",
                    str(report),
                    "--db",
                    str(running["db"]),
                    "--user",
                    "script de nuit",
                ],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            renders = 0
            while cmd.poll() is None:  # pages keep being served (and open the file) while the command runs
                _open(page, running, "", "Par dimension")
                renders += 1
            out, err = cmd.communicate(timeout=120)
            took = time.monotonic() - started
            assert cmd.returncode == 0, err
            assert re.search(r"importé \(import n° \d+\)", out) and "Traceback" not in err
            waited = re.search(r"Base obtenue après ([\d,]+) s", err)
            print(
                f"\nimport en ligne de commande à côté de l'application : {took:.1f} s, {renders} page(s) servies "
                f"pendant ce temps, attente de la base : {waited[1] + ' s' if waited else 'moins de 1 s'}",
                file=sys.stderr,
            )

            assert _s05_value(_tendances_cli07(page, running)) == str(MARKER), "the next render shows the import"
            _open(page, running, "Import", "Importer un rapport d'activité")
            page.get_by_role("tab", name="Historique et annulation").click()
            page.locator(
                '[data-testid="stDataFrame"] [role="gridcell"]', has_text=re.compile("^script de nuit$")
            ).first.wait_for(state="attached")
        finally:
            context.close()
            browser.close()
