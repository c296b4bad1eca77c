"""The session token (core/sessions.py): signed, expiring, ended by sign-out, a changed
password, a removed, demoted or promoted account; its key; the cookie and the route that
writes it (server.session_routes)."""

from __future__ import annotations

import asyncio
import os

import pytest

from ardenne_kpi import server
from ardenne_kpi.core import accounts, sessions
from ardenne_kpi.core.accounts import User
from tests.conftest import private_copy, run_page

PASSWORD = "correct horse battery"


@pytest.fixture
def accounts_file(tmp_path, monkeypatch):
    path = tmp_path / "accounts.yaml"
    monkeypatch.setenv("ARDENNE_ACCOUNTS", str(path))
    monkeypatch.delenv("ARDENNE_SESSION_KEY", raising=False)
    monkeypatch.delenv("ARDENNE_SESSION_IDLE_MINUTES", raising=False)
    accounts.add_user("coord", "admin", PASSWORD, path=path)
    accounts.add_user("ftlb", "partner", PASSWORD, ["FTLB"], path=path)
    return path


def _token(name: str = "coord") -> str:
    return sessions.issue(User(name, "viewer"), sessions.new_sid())


def test_a_token_opens_its_accounts_session_as_the_file_says_now(accounts_file):
    found = sessions.verify(_token("ftlb"))
    assert found is not None
    assert found.user == User("ftlb", "partner", ("FTLB",))


def test_a_forged_or_altered_token_opens_nothing(accounts_file):
    token = _token()
    assert sessions.verify(token[:-2] + ("AA" if not token.endswith("AA") else "BB")) is None
    assert sessions.verify("coord") is None
    assert sessions.verify("") is None and sessions.verify(None) is None


def test_a_token_signed_with_another_key_opens_nothing(accounts_file, monkeypatch):
    token = _token()
    monkeypatch.setenv("ARDENNE_SESSION_KEY", "une autre clé, longue et aléatoire")
    assert sessions.verify(token) is None


def test_a_token_expires_after_the_idle_time_and_renewal_is_due_before(accounts_file, monkeypatch):
    monkeypatch.setenv("ARDENNE_SESSION_IDLE_MINUTES", "60")
    token = _token()
    now = sessions._clock()
    signed = sessions.verify(token)
    assert not sessions.renewal_due(signed.signed_at, now)
    assert sessions.renewal_due(signed.signed_at, now + 16 * 60)  # past a quarter of the hour
    # itsdangerous reads the clock through time.time
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: now + 59 * 60)
    assert sessions.verify(token) is not None
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: now + 61 * 60)
    assert sessions.verify(token) is None


def test_a_changed_password_ends_the_token(accounts_file):
    token = _token()
    accounts.add_user("coord", "admin", "un tout autre mot de passe", path=accounts_file)
    assert sessions.verify(token) is None


def test_a_removed_account_ends_the_token(accounts_file):
    token = _token()
    accounts.remove_user("coord", path=accounts_file)
    assert sessions.verify(token) is None
    with pytest.raises(Exception, match="Aucun compte"):
        _token()


@pytest.mark.parametrize(("name", "role", "operators"), [("coord", "viewer", []), ("ftlb", "partner", ["ADT08"])])
def test_a_demoted_account_or_one_moved_to_another_operator_ends_the_token(accounts_file, name, role, operators):
    token = _token(name)
    users = accounts._read(accounts_file)
    users[name] = {**users[name], "role": role, "operators": operators}
    accounts._write(accounts_file, users)
    assert sessions.verify(token) is None


def test_signing_out_ends_every_tab_of_the_session_but_not_another_session(accounts_file):
    sid = sessions.new_sid()
    first, again = sessions.issue(User("coord", "admin"), sid), sessions.issue(User("coord", "admin"), sid)
    other = _token()
    sessions.sign_out(first)
    assert sessions.verify(first) is None and sessions.verify(again) is None
    assert sessions.verify(other) is not None


def test_the_generated_key_is_kept_private_beside_the_accounts_file(accounts_file):
    key = sessions.session_key()
    path = accounts_file.with_name("session.key")
    assert path.read_text().strip() == key and len(key) >= 48
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert sessions.session_key() == key  # kept: a restart keeps everyone signed in


def test_the_key_from_secrets_toml_wins(accounts_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text('ARDENNE_SESSION_KEY = "la clé du déploiement"\n')
    assert sessions.session_key() == "la clé du déploiement"
    assert not accounts_file.with_name("session.key").exists()


def test_no_key_anywhere_is_a_french_sentence_and_opens_nothing(accounts_file, monkeypatch):
    key_path = accounts_file.with_name("session.key")
    key_path.mkdir()  # a folder where the key should be: neither read nor written
    with pytest.raises(sessions.SessionKeyError, match="ARDENNE_SESSION_KEY, dans le fichier secrets.toml"):
        sessions.session_key()
    assert sessions.verify("anything.at.all") is None


def test_the_cookie_is_http_only_same_site_and_secure_behind_tls(accounts_file, monkeypatch):
    monkeypatch.setenv("ARDENNE_SESSION_IDLE_MINUTES", "30")
    kept = sessions.cookie_header("abc", secure=True)
    assert kept.startswith(f"{sessions.COOKIE}=abc;")
    assert {"HttpOnly", "SameSite=Lax", "Secure", "Max-Age=1800", "Path=/"} <= set(kept.split("; "))
    assert "Secure" not in sessions.cookie_header("abc", secure=False)
    assert "Max-Age=0" in sessions.cookie_header(None, secure=False)


# ---------------------------------------------------------------- the route


def _call(method: str, *, body: bytes = b"", headers: dict | None = None, cookie: str | None = None, peer="10.0.0.9"):
    """The session route's answer (status, Set-Cookie) to one request, without a server."""
    from starlette.requests import Request

    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    if cookie:
        raw.append((b"cookie", f"{sessions.COOKIE}={cookie}".encode()))
    scope = {
        "type": "http",
        "method": method,
        "path": sessions.ROUTE,
        "headers": raw + [(b"host", b"kpi.example.org")],
        "scheme": "http",
        "server": ("kpi.example.org", 80),
        "client": (peer, 5000),
        "query_string": b"",
    }

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    answer = asyncio.run(server._session(Request(scope, receive)))
    return answer.status_code, answer.headers.get("set-cookie", "")


def test_the_route_keeps_a_valid_token_in_the_cookie_and_refuses_others(accounts_file):
    guard = {sessions.GUARD_HEADER: "1"}
    token = _token()
    status, cookie = _call("POST", body=token.encode(), headers=guard)
    assert status == 204 and cookie.startswith(f"{sessions.COOKIE}={token};") and "HttpOnly" in cookie
    assert _call("POST", body=b"forged.token", headers=guard) == (403, "")
    # without the guard header (what another site's form or script could send): refused
    assert _call("POST", body=token.encode()) == (403, "")


def test_the_route_marks_the_cookie_secure_when_the_trusted_proxy_says_https(accounts_file, monkeypatch):
    token = _token()
    headers = {sessions.GUARD_HEADER: "1", "X-Forwarded-Proto": "https"}
    assert "Secure" not in _call("POST", body=token.encode(), headers=headers)[1]  # anyone may write that header
    monkeypatch.setenv("ARDENNE_TRUSTED_PROXY", "10.0.0.9")
    assert "Secure" in _call("POST", body=token.encode(), headers=headers)[1]


def test_signing_out_through_the_route_removes_the_cookie_and_ends_the_session(accounts_file):
    token = _token()
    status, cookie = _call("DELETE", headers={sessions.GUARD_HEADER: "1"}, cookie=token)
    assert status == 204 and "Max-Age=0" in cookie
    assert sessions.verify(token) is None


def test_the_route_is_registered_under_streamlits_base_path():
    assert [r.path for r in server.session_routes()] == [sessions.ROUTE]
    assert [r.path for r in server.session_routes("/kpi/")] == ["/kpi" + sessions.ROUTE]


# ---------------------------------------------------------------- in the page (AppTest)


def _signed_in_page(accounts_file, database):
    at = run_page("pages/3_Couverture.py", database, accounts_file=accounts_file)
    at.text_input[0].input("coord")
    at.text_input[1].input(PASSWORD)
    at.button[0].click().run()
    assert at.session_state["user"].name == "coord" and not at.exception
    return at


def test_a_session_signed_out_in_another_tab_ends_at_its_next_action(accounts_file, demo_db_path, tmp_path):
    at = _signed_in_page(accounts_file, private_copy(demo_db_path, tmp_path))
    sessions.REVOKED.add(at.session_state["session_sid"])  # « Se déconnecter » in another tab
    at.run()
    assert at.title[0].value == "Connexion" and "user" not in at.session_state
    assert any("déconnecté dans un autre onglet" in w.value for w in at.warning)


def test_a_session_left_idle_ends_with_a_sentence(accounts_file, demo_db_path, tmp_path, monkeypatch):
    monkeypatch.setenv("ARDENNE_SESSION_IDLE_MINUTES", "30")
    at = _signed_in_page(accounts_file, private_copy(demo_db_path, tmp_path))
    at.session_state["session_seen"] = sessions._clock() - 31 * 60
    at.run()
    assert at.title[0].value == "Connexion"
    assert any("après 30 minutes sans action" in w.value for w in at.warning)
