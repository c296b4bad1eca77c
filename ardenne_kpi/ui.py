"""The only package module that imports streamlit: page setup, the cached connection and
framework, French number formatting, navigation and error display shared by every page."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from ardenne_kpi import accounts, db, demo
from ardenne_kpi.accounts import AccessError, User
from ardenne_kpi.errors import ArdenneError
from ardenne_kpi.format import fmt_date, fmt_number, fmt_percent
from ardenne_kpi.framework import Framework, load_framework

APP_NAME = "Ardenne KPI"

# (file, label, icon): the sidebar menu in French. Streamlit's own page list is hidden
# (client.showSidebarNavigation = false) because it would name the home page "app".
PAGES = [
    ("app.py", "Accueil", ":material/home:"),
    ("pages/1_Import.py", "Importer un rapport", ":material/upload_file:"),
    ("pages/2_Tendances.py", "Tendances des indicateurs", ":material/trending_up:"),
    ("pages/3_Couverture.py", "Couverture du plan", ":material/grid_on:"),
    ("pages/4_Referentiel.py", "Référentiel", ":material/account_tree:"),
    ("pages/5_Suivi.py", "Suivi des rapports", ":material/fact_check:"),
    ("pages/6_Marque.py", "Plateforme de marque", ":material/verified:"),
]

_CSS = """
<style>
/* Read from the back of a meeting room: larger text, strong contrast. */
html, body, [class*="css"] { font-size: 18px; }
[data-testid="stMetricValue"] { font-size: 2.4rem; font-weight: 700; }
[data-testid="stMetricLabel"] p { font-size: 1.05rem; }
</style>
"""


@dataclass(frozen=True)
class PageContext:
    """What every page needs: the connection (use `.cursor()` per query) and the framework."""

    con: duckdb.DuckDBPyConnection
    fw: Framework
    db_path: Path
    created_demo: bool
    user: User


@st.cache_resource(show_spinner=False)
def _open(path: str) -> tuple[duckdb.DuckDBPyConnection, bool]:
    """One connection per process and database file; builds the demo base on first start."""
    created = not Path(path).exists()
    con = db.connect(path)
    if created or db.stored_framework(con) is None:
        fw = load_framework()
        if created:
            demo.create_demo(con, fw)
        else:
            db.sync_framework(con, fw)
    return con, created


def connection() -> tuple[duckdb.DuckDBPyConnection, Path, bool]:
    path = db.db_path(os.environ.get("ARDENNE_DB"))
    if path.exists():
        con, created = _open(str(path.resolve()))
    else:  # the demo's reports are written and imported one by one: say why the first page waits
        with st.spinner("Première ouverture : création de la base de démonstration, rapport par rapport "
                        "(une vingtaine de secondes)…"):
            con, created = _open(str(path.resolve()))
    return con, path, created


def data_revision(con: duckdb.DuckDBPyConnection) -> str:
    """A token that changes whenever uploads, rollbacks or the framework change: cache key for reads."""
    return db.data_revision(con)


@st.cache_data(show_spinner=False, max_entries=8)
def _framework(_con: duckdb.DuckDBPyConnection, revision: str) -> Framework:
    return db.ensure_framework(_con)


@st.cache_data(show_spinner=False, max_entries=256)
def _cached_call(name: str, revision: str, key: str, _func, _con, _fw, _args, _kwargs):
    return _func(_con, _fw, *_args, **_kwargs)


def cached(func, con: duckdb.DuckDBPyConnection, fw: Framework, *args, **kwargs):
    """`func(con, fw, *args, **kwargs)`, cached until the data or the framework change.

    Arguments must have a stable repr (codes, dates, tuples); results must be picklable."""
    name = f"{func.__module__}.{func.__qualname__}"
    key = repr((args, sorted(kwargs.items())))
    return _cached_call(name, data_revision(con), key, func, con, fw, args, kwargs)


def page_setup(title: str, *, icon: str = ":material/analytics:", home: bool = False) -> PageContext:
    """Configure the page, open the database, draw the menu and the banners; call first on every page.

    The home page explains the banners in full; other pages keep them to one line."""
    st.set_page_config(page_title=f"{title} · {APP_NAME}", page_icon=icon, layout="wide")
    st.markdown(_CSS, unsafe_allow_html=True)
    try:
        con, path, created = connection()
    except ArdenneError as exc:
        st.error(exc.message)
        st.stop()
    fw = _framework(con, data_revision(con))
    user = _signed_in_user(fw)
    with st.sidebar:
        st.markdown(f"### {APP_NAME}")
        st.caption(fw.portfolio.get("label", ""))
        for file, label, page_icon in PAGES:
            try:
                st.page_link(file, label=label, icon=page_icon)
            except StreamlitPageNotFoundError:
                break  # a page run as its own entry point (AppTest.from_file on a page) has no menu
        st.divider()
        st.caption(f"Base : `{path.name}` · référentiel {fw.version}")
        if not user.local:
            st.caption(f"Connecté : **{user.label}**")
            if st.button("Se déconnecter", icon=":material/logout:"):
                _sign_out()
    _banners(con, user, full=home)
    return PageContext(con=con, fw=fw, db_path=path, created_demo=created, user=user)


def _banners(con: duckdb.DuckDBPyConnection, user: User, *, full: bool) -> None:
    if user.local:
        st.warning(
            "**Mode local, sans authentification** : toute personne qui ouvre cette adresse peut importer, "
            "annuler un import ou remplacer le référentiel."
            + (" Pour activer les comptes : `python -m ardenne_kpi users add NOM --role admin` (voir le README)."
               if full else " Comptes : voir l'accueil."),
            icon=":material/lock_open:",
        )
    if db.is_demo(con):
        st.info(
            "**Données de démonstration** : ces chiffres sont générés pour montrer l'outil, ils ne sont pas réels."
            + (" Pour partir d'une base vide : `python -m ardenne_kpi init --empty --force`, puis importez les "
               "rapports des partenaires depuis la page « Importer un rapport »." if full else ""),
            icon=":material/science:",
        )


# ---------------------------------------------------------------- sign-in


def _sign_out() -> None:
    st.session_state.pop("user", None)
    if os.environ.get("ARDENNE_AUTH") == "oidc":
        st.logout()
    st.rerun()


def _signed_in_user(fw: Framework) -> User:
    """The user of this session; draws the sign-in form and stops the page when there is none."""
    if os.environ.get("ARDENNE_AUTH") == "oidc":
        return _oidc_user()
    if not accounts.auth_enabled():
        return accounts.LOCAL_USER
    user = st.session_state.get("user")
    if user is not None:
        return user
    st.title("Connexion")
    st.caption(f"{APP_NAME} · {fw.portfolio.get('label', '')}")
    with st.form("sign_in"):
        name = st.text_input("Nom d'utilisateur")
        password = st.text_input("Mot de passe", type="password")
        submitted = st.form_submit_button("Se connecter", type="primary")
    if submitted:
        try:
            st.session_state["user"] = accounts.authenticate(name, password)
        except AccessError as exc:
            st.error(exc.message)
        else:
            st.rerun()
    st.stop()


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
        st.error(f"Le compte {email} n'a pas d'accès à ce tableau de bord : demandez-le à la coordination.")
        st.button("Se déconnecter", on_click=st.logout)
        st.stop()
    return match


def refuse(exc: AccessError) -> None:
    """Show why an action is refused, in one sentence."""
    st.error(exc.message, icon=":material/block:")


# French formats (ardenne_kpi.format), re-exported so pages need one import.
__all__ = ["PageContext", "connection", "data_revision", "fmt_date", "fmt_number", "fmt_percent",
           "page_setup", "user_errors", "cached"]


@contextmanager
def user_errors() -> Iterator[None]:
    """Show an ArdenneError as its French message instead of a traceback."""
    try:
        yield
    except ArdenneError as exc:
        st.error(f"**{exc.title}** : {exc.message}")
