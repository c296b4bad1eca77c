"""Single sign-on end to end: a real OpenID Connect provider (`oidc-provider` from npm, started
from tests/oidc/provider.js on 127.0.0.1), the app configured for it as the README says
(ARDENNE_AUTH=oidc, Streamlit's [auth] section in secrets.toml), Chromium signing in through
the provider's own form; the role comes from the accounts file; a reload keeps the session;
signing out ends it.

Locally without npm packages (no network for `npm ci`), the test is skipped with the reason
printed; with CI=true that is a failure (see tests/test_browser.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from ardenne_kpi.core import accounts
from tests import app_server
from tests.conftest import ROOT
from tests.test_browser import IDLE, _require_browser, launched_chromium

pytestmark = pytest.mark.browser

PROVIDER = ROOT / "tests" / "oidc"
EMAIL = "anne@example.org"


def _unavailable_or_skip(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"test d'authentification unique impossible en CI : {reason}")
    print(f"\ntest d'authentification unique ignoré : {reason}", file=sys.stderr)
    pytest.skip(reason)


def _installed_provider() -> None:
    """tests/oidc/node_modules, installed from its package-lock.json (`npm ci`) when missing."""
    if (PROVIDER / "node_modules" / "oidc-provider").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        _unavailable_or_skip("Node.js et npm sont introuvables (apt-get install -y nodejs npm)")
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"], cwd=PROVIDER, capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        _unavailable_or_skip(f"`npm ci` dans tests/oidc a échoué : {done.stderr.strip()[-300:]}")


@pytest.fixture(scope="module")
def provider_and_app(tmp_path_factory):
    _require_browser()
    _installed_provider()
    folder = tmp_path_factory.mktemp("oidc")
    provider_port, app_port = app_server.free_port(), app_server.free_port()
    issuer, app = f"http://127.0.0.1:{provider_port}", f"http://127.0.0.1:{app_port}"
    log = folder / "provider.log"
    with log.open("wb") as out:
        provider = subprocess.Popen(
            # Streamlit's st.logout returns through its callback address too.
            [
                "node",
                "provider.js",
                str(provider_port),
                "ardenne-kpi",
                "secret du test",
                *[f"{app}/oauth2callback"] * 2,
            ],
            cwd=PROVIDER,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        app_server.wait_answer(f"{issuer}/.well-known/openid-configuration", provider, 60, log, "the OIDC provider")
        # The README's configuration: Streamlit's [auth] in secrets.toml (here ~/.streamlit of a
        # home of its own), the role in the accounts file under the e-mail address.
        home = folder / "home"
        (home / ".streamlit").mkdir(parents=True)
        (home / ".streamlit" / "secrets.toml").write_text(
            "[auth]\n"
            f'redirect_uri = "{app}/oauth2callback"\n'
            'cookie_secret = "une longue chaîne aléatoire pour le test"\n'
            'client_id = "ardenne-kpi"\n'
            'client_secret = "secret du test"\n'
            f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n',
            encoding="utf-8",
        )
        accounts_file = folder / "accounts.yaml"
        accounts.add_user(EMAIL, "admin", "mot de passe inutilisé ici", path=accounts_file)
        database = folder / "demo.duckdb"
        subprocess.run(
            [sys.executable, "-m", "ardenne_kpi", "init", "--db", str(database)],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        app_log = folder / "streamlit.log"
        settings = {"ARDENNE_AUTH": "oidc", "HOME": str(home)}
        with app_server.streamlit(
            ROOT, database, app_log, accounts_file, script="serve.py", settings=settings, port=app_port
        ) as (url, proc):
            app_server.wait_health(url, proc, timeout=120, log=app_log)
            yield {"url": url, "folder": folder, "issuer": issuer}
    finally:
        app_server.stop(provider)


def test_sign_in_through_the_provider_role_from_the_accounts_file_reload_then_sign_out(provider_and_app):
    running = provider_and_app
    with launched_chromium() as chromium:
        context = chromium.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
        context.set_default_timeout(60_000)
        page = context.new_page()
        try:
            page.goto(f"{running['url']}/Couverture")
            page.get_by_role("button", name="Se connecter avec le compte de l'organisation").click()
            # The provider's own sign-in form (oidc-provider's development interactions).
            page.wait_for_url(f"{running['issuer']}/**")
            page.locator("input[name=login]").fill(EMAIL)
            page.locator("input[name=password]").fill("peu importe")
            page.locator("button[type=submit]").click()
            page.locator("button[type=submit]", has_text="Continue").click()  # the consent
            page.wait_for_url(f"{running['url']}/**")
            page.get_by_text(f"Connecté : {EMAIL} · coordination (administrateur)").first.wait_for()
            page.wait_for_function(IDLE)
            page.screenshot(path=str(running["folder"] / "signed_in.png"))
            page.reload()
            page.get_by_text(f"Connecté : {EMAIL}").first.wait_for()
            page.goto(f"{running['url']}/Tendances")  # a pasted address too
            page.get_by_text(f"Connecté : {EMAIL}").first.wait_for()
            page.wait_for_function(IDLE)
            page.get_by_role("button", name="Se déconnecter").click()
            # st.logout sends the browser to the provider's end_session_endpoint, which asks to
            # confirm, then returns to the app: the provider's session ends with the app's.
            page.get_by_role("button", name="Yes, sign me out").click()
            page.wait_for_url(f"{running['url']}/**")
            page.goto(f"{running['url']}/Couverture")
            page.get_by_role("button", name="Se connecter avec le compte de l'organisation").wait_for()
            page.goto(f"{running['url']}/Tendances")
            page.get_by_role("button", name="Se connecter avec le compte de l'organisation").wait_for()
            assert page.get_by_text(f"Connecté : {EMAIL}").count() == 0
            # The provider's session ended too: signing in again asks for the password.
            page.get_by_role("button", name="Se connecter avec le compte de l'organisation").click()
            page.wait_for_url(f"{running['issuer']}/**")
            page.locator("input[name=login]").wait_for()
        finally:
            context.close()
