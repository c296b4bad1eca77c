"""Sessions in Chromium (accounts mode, served by serve.py as deployed): a reload and a new tab
keep the session (its HttpOnly cookie); signing out and removing the account end it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ardenne_kpi.core import accounts, sessions
from tests import app_server
from tests.conftest import ROOT
from tests.test_browser import IDLE, _require_browser, launched_chromium

pytestmark = pytest.mark.browser

COORD = ("claire.coord", "mot de passe de la coordination")
ELU = ("elu", "mot de passe de l'élu du comité")
COOKIE_WRITTEN = "() => document.body.dataset.ardenneSession === '204'"


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    _require_browser()
    folder = tmp_path_factory.mktemp("browser-sessions")
    accounts_file = folder / "accounts.yaml"
    accounts.add_user(COORD[0], "admin", COORD[1], path=accounts_file)
    accounts.add_user(ELU[0], "viewer", ELU[1], path=accounts_file)
    database = folder / "demo.duckdb"
    subprocess.run(
        [sys.executable, "-m", "ardenne_kpi", "init", "--db", str(database)], cwd=ROOT, check=True, capture_output=True
    )
    log = folder / "streamlit.log"
    with app_server.streamlit(ROOT, database, log, accounts_file, script="serve.py") as (url, proc):
        app_server.wait_health(url, proc, timeout=120, log=log)
        with launched_chromium() as chromium:
            yield {"url": url, "accounts": accounts_file, "browser": chromium}


@pytest.fixture
def context(running):
    context = running["browser"].new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    context.set_default_timeout(60_000)
    try:
        yield context
    finally:
        context.close()


def _sign_in(page, url: str, who: tuple[str, str]) -> None:
    page.goto(f"{url}/Couverture")
    page.get_by_label("Nom d'utilisateur").fill(who[0])
    page.get_by_label("Mot de passe").fill(who[1])
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_function(COOKIE_WRITTEN)  # the server's answer to the page's request for the cookie
    page.wait_for_function(IDLE)


def _signed_in_as(page, name: str) -> None:
    page.get_by_text(f"Connecté : {name}").first.wait_for()


def test_a_reload_and_a_new_tab_keep_the_session_in_an_http_only_cookie(running, context):
    page = context.new_page()
    _sign_in(page, running["url"], COORD)
    cookie = next(c for c in context.cookies() if c["name"] == sessions.COOKIE)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert page.evaluate("document.cookie").find(sessions.COOKIE) == -1  # scripts cannot read it
    page.reload()
    _signed_in_as(page, COORD[0])
    other = context.new_page()
    other.goto(f"{running['url']}/Tendances")
    _signed_in_as(other, COORD[0])
    assert other.get_by_label("Mot de passe").count() == 0


def test_signing_out_ends_the_session_in_every_tab_and_after_a_reload(running, context):
    page = context.new_page()
    _sign_in(page, running["url"], COORD)
    other = context.new_page()
    other.goto(f"{running['url']}/Tendances")
    _signed_in_as(other, COORD[0])
    other.get_by_role("button", name="Se déconnecter").click()
    other.get_by_label("Mot de passe").wait_for()
    other.wait_for_function(COOKIE_WRITTEN)  # the cookie removed
    assert sessions.COOKIE not in {c["name"] for c in context.cookies()}
    page.reload()
    page.get_by_label("Mot de passe").wait_for()


def test_removing_the_account_ends_its_session_even_after_a_reload(running, context):
    page = context.new_page()
    _sign_in(page, running["url"], ELU)
    _signed_in_as(page, ELU[0])
    try:
        accounts.remove_user(ELU[0], path=running["accounts"])
        page.reload()
        page.get_by_label("Mot de passe").wait_for()
        assert page.get_by_text(f"Connecté : {ELU[0]}").count() == 0
    finally:
        accounts.add_user(ELU[0], "viewer", ELU[1], path=running["accounts"])
