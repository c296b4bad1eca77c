"""Who is signed in: the sign-in form checked against the accounts file, the signed session
kept in an HttpOnly cookie (its renewal, its end: signed out, idle, account removed or
changed), and OpenID Connect through Streamlit's own `st.login`."""

from __future__ import annotations

import json
import time
from typing import NoReturn

import streamlit as st

from ardenne_kpi import db
from ardenne_kpi.core import accounts, sessions, settings
from ardenne_kpi.core.accounts import User
from ardenne_kpi.core.errors import AccessError, AccountsError, ArdenneError
from ardenne_kpi.core.format import fmt_number, md
from ardenne_kpi.framework import Framework
from ardenne_kpi.ui.database import Handle, accounts_marked, as_connection, connection
from ardenne_kpi.ui.styles import APP_NAME

# The home page's address that asks to sign in (« /?connexion=1 »): without it, a visitor who
# has not signed in is welcomed at « / » by the public key figures (see `welcomes_visitors`).
SIGN_IN: dict[str, str] = {"connexion": "1"}


def welcomes_visitors() -> bool:
    """Whether the home page shows a visitor who has not signed in the public key figures
    rather than the sign-in form: not when the visitor asked to sign in (« Se connecter »),
    nor when a session just ended with a reason to read on the form, nor when the accounts
    cannot be trusted (the home page then says what to fix)."""
    if st.query_params.get("connexion") is not None or "signed_out_reason" in st.session_state:
        return False
    try:
        accounts.auth_mode(accounts_marked(connection()[0]))
    except ArdenneError:  # AccountsError included
        return False
    return True


_SESSION_KEYS = ("user", "user_stamp", "session_sid", "session_signed", "session_seen", "session_cookie")


def sign_out(reason: str | None = None) -> NoReturn:
    """End this session: its number revoked (its other tabs end at their next action), its
    cookie removed by the next run (`_write_cookie`), `reason` shown on the sign-in form."""
    if "session_sid" in st.session_state:
        sessions.REVOKED.add(st.session_state["session_sid"])
    for key in _SESSION_KEYS:
        st.session_state.pop(key, None)
    st.session_state["session_cookie"] = None  # None: remove the cookie
    if reason:
        st.session_state["signed_out_reason"] = reason
    if settings.raw("ARDENNE_AUTH") == "oidc":
        # st.logout sends the browser to /auth/logout (then the provider's end_session_endpoint)
        # in a message queued for this run: a rerun would start by emptying that queue, and the
        # browser, never redirected, would keep Streamlit's identity cookie. The run ends here.
        st.logout()
        st.stop()
    st.rerun()


def _open_session(user: User, *, sid: str | None = None, signed: float | None = None) -> None:
    """Keep `user` signed in in this tab, and (a new token, unless `signed` says the browser's
    cookie holds a fresh one) in the browser's cookie for its reloads and other tabs."""
    st.session_state["user"] = user
    st.session_state["user_stamp"] = accounts.password_stamp(user.name)
    st.session_state["session_seen"] = time.time()
    st.session_state["session_sid"] = sid = sid or sessions.new_sid()
    if signed is None:
        try:
            st.session_state["session_cookie"] = sessions.issue(user, sid)
        except ArdenneError as exc:  # no key (SessionKeyError) or the account just went: this tab only
            st.session_state["session_problem"] = exc.message
            return
    st.session_state["session_signed"] = time.time() if signed is None else signed


def _write_cookie() -> None:
    """Send the token waiting in this session to the server, which keeps it in an HttpOnly
    cookie (server.session_routes; None: removes it). The page's script sees only this one
    token, once; the body's `data-ardenne-session` attribute then holds the server's answer."""
    if "session_cookie" not in st.session_state:
        return
    token = st.session_state.pop("session_cookie")
    base = "/" + str(st.get_option("server.baseUrlPath") or "").strip("/")
    request = {"method": "DELETE"} if token is None else {"method": "POST", "body": token}
    request |= {"credentials": "same-origin", "headers": {sessions.GUARD_HEADER: "1", "Content-Type": "text/plain"}}
    url = json.dumps(base.rstrip("/") + sessions.ROUTE)
    st.html(
        f"<script>fetch({url}, {json.dumps(request)})"
        ".then(r => { document.body.dataset.ardenneSession = String(r.status); })"
        ".catch(() => { document.body.dataset.ardenneSession = 'erreur'; });</script>",
        unsafe_allow_javascript=True,
        width=1,
    )


def _session_from_cookie() -> User | None:
    """The user the browser's session cookie names, when it is valid (core/sessions.verify)."""
    found = sessions.verify(st.context.cookies.get(sessions.COOKIE))
    if found is None:
        return None
    _open_session(found.user, sid=found.sid, signed=found.signed_at)
    return found.user


def _client() -> str | None:
    """The visitor's address, for the sign-in limits (accounts.client_address): the
    connection's own, or the one a trusted reverse proxy (ARDENNE_TRUSTED_PROXY) reports;
    None when unknown (Streamlit hides local addresses): such visitors share one count."""
    return accounts.client_address(st.context.ip_address, st.context.headers)


def signed_in_user(con: Handle, fw: Framework, *, public: bool = False) -> tuple[User, str]:
    """The user of this session and the sign-in mode (accounts.auth_mode); draws the sign-in
    form and stops the page when there is none, and stops it with what to fix when the
    accounts cannot be trusted. The account is re-read at every run: a removed or demoted
    account loses its rights at its next action.

    On a `public` page nobody has to sign in: a visitor without a session is
    accounts.ANONYMOUS, even when the accounts file cannot be trusted (the page shows only
    what the portal publishes, which needs no account)."""
    marked = accounts_marked(con)
    try:
        mode = accounts.auth_mode(marked)
    except AccountsError as exc:
        if public:
            return accounts.ANONYMOUS, accounts.ACCOUNTS
        st.error(f"**{exc.title}** : {exc.message}", icon=":material/lock:")
        st.stop()
    if mode in (accounts.LOCAL_REQUESTED, accounts.LOCAL_NO_ACCOUNTS):
        return accounts.LOCAL_USER, mode
    if not marked:
        db.mark_accounts(as_connection(con))  # from now on, losing the accounts file closes the app
        try:
            accounts.remember_required()  # ...and so does losing the base's memory (restore, init --force)
        except OSError:
            pass  # a read-only configuration folder: the base's mark and ARDENNE_ACCOUNTS still hold
    if mode == accounts.OIDC:
        if public and not st.user.is_logged_in:
            return accounts.ANONYMOUS, mode
        return _oidc_user(), mode
    user = st.session_state.get("user") or _session_from_cookie()
    if user is not None:
        return _still_signed_in(user), mode
    _write_cookie()  # a signed-out session's cookie removed
    if public:
        return accounts.ANONYMOUS, mode
    st.title("Connexion")
    st.caption(f"{APP_NAME} · {md(fw.portfolio.get('label', ''))}")
    if "signed_out_reason" in st.session_state:
        st.warning(st.session_state.pop("signed_out_reason"), icon=":material/logout:")
    with st.form("sign_in"):
        name = st.text_input("Nom d'utilisateur")
        password = st.text_input("Mot de passe", type="password")
        submitted = st.form_submit_button("Se connecter", type="primary")
    if submitted:
        try:
            user = accounts.authenticate(name, password, client=_client())
        except AccessError as exc:
            st.error(exc.message)
        else:
            _open_session(user)
            st.rerun()
    st.stop()


def _still_signed_in(user: User) -> User:
    """`user`'s account as the file says now, this session renewed; signs out (and stops the
    run) a removed account, a changed password, a session signed out in another tab or left
    idle longer than ARDENNE_SESSION_IDLE_MINUTES."""
    current = accounts.current_user(user)
    stamp = accounts.password_stamp(user.name)
    seen = st.session_state.get("session_seen", time.time())
    if current is None:
        sign_out("Votre compte n'existe plus : demandez à la coordination de le recréer.")
    elif st.session_state.get("session_sid") in sessions.REVOKED:
        sign_out("Vous vous êtes déconnecté dans un autre onglet.")
    elif time.time() - seen > sessions.idle_seconds():
        minutes = fmt_number(sessions.idle_seconds() / 60)
        sign_out(f"Votre session a pris fin après {minutes} minutes sans action : reconnectez-vous.")
    elif st.session_state.get("user_stamp", stamp) != stamp:  # a session a test opened has none
        sign_out("Le mot de passe de votre compte a changé : reconnectez-vous avec le nouveau.")
    elif current != user:  # demoted (or promoted): the new rights apply now, in a renewed token
        st.toast(f"Vos droits ont changé : {md(current.label)}.", icon=":material/info:")
        _open_session(current, sid=st.session_state.get("session_sid"))
    else:
        st.session_state["session_seen"] = time.time()
        signed = st.session_state.get("session_signed")
        if signed is not None and sessions.renewal_due(signed):
            _open_session(current, sid=st.session_state.get("session_sid"))
    _write_cookie()
    problem = st.session_state.pop("session_problem", None)
    if problem:
        st.warning(md(problem), icon=":material/key_off:")
    return current


def _oidc_user() -> User:
    """Sign-in through Streamlit's native OpenID Connect (`st.login`); roles still come from
    the accounts file, matched on the e-mail address the provider gives."""
    if not st.user.is_logged_in:
        st.title("Connexion")
        st.button("Se connecter avec le compte de l'organisation", on_click=st.login, type="primary")
        st.stop()
    email = str(st.user.get("email") or "")
    match = next((u for u in accounts.list_users() if u.name.lower() == email.lower()), None)
    if match is None:
        st.error(f"Le compte {md(email)} n'a pas d'accès à ce tableau de bord : demandez-le à la coordination.")
        st.button("Se déconnecter", on_click=st.logout)
        st.stop()
    return match
