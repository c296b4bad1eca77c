"""The app through the real proxy: Debian's nginx with the shipped site (deploy/), on a
self-signed certificate, in front of `streamlit run serve.py` in accounts mode, driven by
Chromium over HTTPS: a page loads and its websocket holds, the static JavaScript arrives
gzip-compressed, Streamlit's metrics are refused, and the sign-in limit counts each visitor
by the address nginx saw (that nginx replaces a forged X-Forwarded-For: test_deploy.py).

Locally without nginx, Chromium or Playwright the tests are skipped with the reason printed;
with CI=true that is a failure, as in test_browser.py (.ci/run installs nginx and Chromium).
"""

from __future__ import annotations

import gzip
import os
import sys
import time
import urllib.request
from typing import NoReturn

import pytest

from ardenne_kpi.core import accounts, links, sessions
from tests import proxy_server
from tests.test_browser import IDLE, _require_browser, launched_chromium
from tests.test_browser_sessions import COOKIE_WRITTEN

pytestmark = pytest.mark.browser

ADMIN = ("claire.coord", "mot de passe de la coordination")
# Counts the script runs the page has finished (the app's state going back to notRunning), so
# that a test waits for the run a click started, not for the one before it.
RUNS = (
    "() => { const app = document.querySelector('.stApp');"
    " if (!window.__runs) { window.__runs = {n: 0};"
    " new MutationObserver(() => { if (app.getAttribute('data-test-script-state') === 'notRunning')"
    " window.__runs.n++; }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']}); }"
    " return window.__runs.n; }"
)
# What the page downloaded: bytes on the wire and bytes once decoded, per resource.
TRANSFERS = (
    "() => performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation'))"
    ".map(e => ({url: e.name, wire: e.transferSize, body: e.decodedBodySize}))"
)


def _require_nginx() -> str:
    nginx = proxy_server.nginx_binary()
    if nginx is not None:
        return nginx
    _skip("nginx introuvable : apt-get install -y nginx")


def _skip(reason: str) -> NoReturn:
    """Skipped with the reason printed; in CI (CI=true) a failure, as in test_browser.py."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"test du proxy impossible en CI : {reason}")
    print(f"\ntest du proxy ignoré : {reason}", file=sys.stderr)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    """The app (serve.py, accounts on, 127.0.0.1 its trusted proxy) on a fresh demo database,
    and nginx in front of it; yields their addresses."""
    _require_browser()
    nginx = _require_nginx()
    with proxy_server.app_behind_nginx(nginx, tmp_path_factory.mktemp("proxy"), ADMIN) as running:
        yield running


@pytest.fixture(scope="module")
def browser(proxied):
    with launched_chromium() as chromium:
        yield chromium


def _new_context(browser, timeout: float = 60):
    """A visitor of its own (cookies, cache) who accepts the test's self-signed certificate."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR", ignore_https_errors=True)
    context.set_default_timeout(timeout * 1000)
    return context


@pytest.fixture
def context(browser):
    context = _new_context(browser)
    try:
        yield context
    finally:
        context.close()


def _get(url: str, **headers: str):
    request = urllib.request.Request(url, headers=headers)
    try:
        return urllib.request.urlopen(request, context=proxy_server.insecure_tls(), timeout=30)
    except urllib.error.HTTPError as answer:
        return answer


def _public_page(page, base: str) -> list[dict]:
    """Open Chiffres clés (public, its charts need Streamlit's 4.7 MB Plotly chunk) and wait
    until it is drawn, on Streamlit's own state rather than the browser's load event; returns
    what it downloaded."""
    page.goto(f"{base}/Chiffres_cles", wait_until="commit")
    page.get_by_role("heading", name="L'Ardenne en chiffres").wait_for()
    page.locator(".js-plotly-plot .main-svg").first.wait_for()
    page.wait_for_function(IDLE)
    return page.evaluate(TRANSFERS)


def first_visit(browser, base: str, line: dict | None = None) -> tuple[list[dict], float]:
    """A first visit of Chiffres clés (a new visitor: empty cache, no session): what it
    downloaded and the seconds until it was drawn. `line`: Chromium's network conditions
    (Network.emulateNetworkConditions), for bench/proxy_bench.py's slow line."""
    context = _new_context(browser, timeout=120)
    try:
        page = context.new_page()
        if line is not None:
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.emulateNetworkConditions", {"offline": False, **line})
        start = time.monotonic()
        transfers = _public_page(page, base)
        return transfers, time.monotonic() - start
    finally:
        context.close()


def test_a_page_loads_through_the_proxy_and_its_websocket_holds(context, proxied):
    page = context.new_page()
    sockets = []
    page.on("websocket", lambda socket: sockets.append(socket))
    _public_page(page, proxied["https"])
    assert [s.url for s in sockets] == [f"wss://127.0.0.1:{proxied['port']}/_stcore/stream"]
    runs = page.evaluate(RUNS)
    page.get_by_role("tab", name="Pour les visiteurs").click()  # a script run, over the same websocket
    page.wait_for_function(f"() => window.__runs.n > {runs}")
    page.get_by_text("Nuitées dans les hébergements").first.wait_for()
    assert len(sockets) == 1 and not sockets[0].is_closed()


def test_the_first_visit_through_the_proxy_downloads_less_than_half(browser, proxied):
    """Chiffres clés for a new visitor, through nginx and straight from the app: the Plotly
    chunk arrives compressed and the visit downloads less than half as much. (How much sooner
    it is drawn on a slow line is a timing, measured by bench/proxy_bench.py, not a test.)"""
    (through, _), (direct, _) = first_visit(browser, proxied["https"]), first_visit(browser, proxied["app"])
    chunk = max((t for t in through if "/static/js/" in t["url"]), key=lambda t: t["body"])
    assert chunk["body"] > 3_000_000, chunk  # Plotly's chunk, as Streamlit serves it
    assert 0 < chunk["wire"] < chunk["body"] / 2, chunk
    wire_through, wire_direct = sum(t["wire"] for t in through), sum(t["wire"] for t in direct)
    print(
        f"\npremière visite de Chiffres clés : {wire_through / 1e6:.2f} Mo par nginx, {wire_direct / 1e6:.2f} Mo"
        f" sans ; morceau Plotly {chunk['wire'] / 1e6:.2f} Mo transférés pour {chunk['body'] / 1e6:.2f} Mo"
    )
    assert wire_through < wire_direct / 2


def test_the_static_javascript_is_served_gzip_compressed(proxied):
    index = _get(f"{proxied['https']}/").read().decode("utf-8")
    script = index.split('src="./static/js/', 1)[1].split('"', 1)[0]
    answer = _get(f"{proxied['https']}/static/js/{script}", **{"Accept-Encoding": "gzip"})
    assert answer.status == 200 and answer.headers["Content-Encoding"] == "gzip"
    compressed = answer.read()
    plain = _get(f"{proxied['app']}/static/js/{script}").read()
    assert gzip.decompress(compressed) == plain and len(compressed) < len(plain) / 2


def test_streamlit_s_metrics_are_refused_through_the_proxy_and_its_health_is_not(proxied):
    for path in ("/_stcore/metrics", "//_stcore//metrics", "/_stcore/%6detrics", "/base/_stcore/metrics"):
        assert _get(proxied["https"] + path).status == 403, path  # nginx's refusal, before the app's own 404
    assert _get(proxied["https"] + "/_stcore/health").status == 200


def _sign_in_form(page, url: str, name: str, password: str) -> None:
    """Open `url` (a page that asks to sign in) and fill the form, not sent yet."""
    page.goto(url)
    page.get_by_label("Mot de passe").wait_for()
    page.wait_for_function(IDLE)
    page.get_by_label("Nom d'utilisateur").fill(name)
    page.get_by_label("Mot de passe").fill(password)


def _send(page) -> str:
    """Send the sign-in form; once its script run ended, the last message the page shows."""
    runs = page.evaluate(RUNS)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_function(f"() => window.__runs.n > {runs}")
    return page.locator('[data-testid="stAlert"]').last.inner_text()


def test_the_sign_in_limit_counts_each_visitor_by_the_address_nginx_saw(context, proxied, browser):
    """An attacker on 127.0.0.1 guesses names until it must wait; the coordinator, coming
    through the same nginx from another address (::1, or the machine's own) at that very
    moment, signs in at once. Were the proxy's own address (127.0.0.1 for every visitor)
    counted instead of the one nginx forwards, the coordinator would wait too. (A forged
    X-Forwarded-For cannot come from Chromium, which sends no extra header on a websocket:
    test_deploy.py shows nginx replaces it.)"""
    elsewhere = proxy_server.second_address()
    if elsewhere is None:
        _skip("cette machine n'a pas d'autre adresse que 127.0.0.1 : un seul visiteur possible")
    coordinator = _new_context(browser)
    try:
        page = coordinator.new_page()
        _sign_in_form(page, f"https://{elsewhere}:{proxied['port']}/Tendances", *ADMIN)
        attacker = context.new_page()
        _sign_in_form(attacker, f"{proxied['https']}/Tendances", "inconnu", "devine")
        answers = []
        # Past MAX_CLIENT_ATTEMPTS failures each guess waits 2 s, then 4, 8...: the first wait
        # may pass during a slow answer, not three in a row.
        for n in range(accounts.MAX_CLIENT_ATTEMPTS + 3):
            attacker.get_by_label("Nom d'utilisateur").fill(f"inconnu{n}")
            answers.append(_send(attacker))
            if "Trop d'essais" in answers[-1]:
                break
        assert len(answers) > accounts.MAX_CLIENT_ATTEMPTS, answers
        assert all("incorrect" in a for a in answers[: accounts.MAX_CLIENT_ATTEMPTS]), answers
        assert "Trop d'essais" in answers[-1], answers

        page.get_by_role("button", name="Se connecter").click()
        page.get_by_text("claire.coord · coordination (administrateur)").first.wait_for()
        assert page.get_by_text("Trop d'essais").count() == 0
    finally:
        coordinator.close()


def test_every_page_through_the_proxy_for_a_signed_in_coordinator(context, proxied):
    """Every page of the menu (links.PAGES) through nginx over HTTPS, signed in once: the session
    cookie (HttpOnly, and Secure behind TLS) carries the sign-in from page to page; each page
    draws its title with no error, over the proxy's own websocket; the JavaScript and styles
    the first page downloaded arrived compressed."""
    page = context.new_page()
    sockets: list[str] = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    static: list = []  # Playwright's responses for /static/ scripts and styles
    page.on("response", lambda r: static.append(r) if "/static/" in r.url and r.url.endswith((".js", ".css")) else None)
    _sign_in_form(page, f"{proxied['https']}/Couverture", *ADMIN)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_function(COOKIE_WRITTEN)  # nginx passed the page's request for the cookie to the app
    page.wait_for_function(IDLE)
    # gzip_min_length 1024 (deploy/nginx-site.conf.in): only files smaller than that come plain
    plain = [(r.url, len(r.body())) for r in static if r.headers.get("content-encoding") != "gzip"]
    assert len(static) > len(plain) and all(size < 1024 for _, size in plain), plain
    cookie = next(c for c in context.cookies() if c["name"] == sessions.COOKIE)
    assert cookie["httpOnly"] and cookie["secure"], cookie
    for entry in links.PAGES:
        page.goto(f"{proxied['https']}/{entry.path}", wait_until="commit")
        page.locator("h1").first.wait_for()
        page.wait_for_function(IDLE)
        assert page.locator('[data-testid="stException"]').count() == 0, entry.name
        assert page.get_by_role("button", name="Se connecter").count() == 0, f"{entry.name} : plus connecté"
        if entry.name != "Réunion":  # the meeting mode has no sidebar
            page.get_by_text(f"Connecté : {ADMIN[0]}").first.wait_for()
    assert len(sockets) == len(links.PAGES) + 1, sockets  # the sign-in page's, then one per page
    assert all(url == f"wss://127.0.0.1:{proxied['port']}/_stcore/stream" for url in sockets), sockets
