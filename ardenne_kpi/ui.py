"""The only package module that imports streamlit: page setup, the shared database handle and
cached framework, French number formatting, navigation and error display shared by every page."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError
from streamlit.runtime.scriptrunner import get_script_run_ctx

from ardenne_kpi import db, demo
from ardenne_kpi.core import accounts, links, sessions, settings
from ardenne_kpi.core.accounts import AccessError, User
from ardenne_kpi.core.errors import ArdenneError
from ardenne_kpi.core.format import fmt_date, fmt_number, fmt_percent, html_text, md, md_lines
from ardenne_kpi.db.sharing import Database
from ardenne_kpi.framework import Framework, load_framework
from ardenne_kpi.intake import review

APP_NAME = "Ardenne KPI"

_CSS = """
<style>
/* Read from the back of a meeting room: larger text, strong contrast. */
html, body, [class*="css"] { font-size: 18px; }
[data-testid="stMetricValue"] { font-size: 2.4rem; font-weight: 700; }
[data-testid="stMetricLabel"] p { font-size: 1.05rem; }
/* Long chart and tile labels wrap instead of being cut. */
[data-testid="stMetricLabel"] p, [data-testid="stMetricLabel"] div { white-space: normal; overflow: visible; }
/* Streamlit's own English, where it offers no option: the file drop zone says it in French... */
[data-testid="stFileUploaderDropzoneInstructions"] > div > span,
[data-testid="stFileUploaderDropzoneInstructions"] > div > small { display: none; }
[data-testid="stFileUploaderDropzoneInstructions"] > div::before {
  content: "Glissez-déposez les fichiers ici"; display: block; font-weight: 600; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p { display: none; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]::after { content: "Parcourir"; }
/* ...and the table toolbar (English tooltips) is hidden: each page offers its own downloads. */
[data-testid="stElementToolbar"] { display: none; }
</style>
"""

# The meeting mode: no sidebar (nor its toggle), no Streamlit header, large type that scales
# with the screen (a slide fits 1280×720 as 1920×1080, the same slide larger), tables whose
# cells wrap, and the indicator's chart as tall as the screen leaves it.
_MEETING_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
[data-testid="stHeader"], [data-testid="stToolbar"] { display: none; }
html { font-size: max(14px, min(2.5vh, 1.4vw)); }
.block-container, [data-testid="stMainBlockContainer"] {
  padding: 0.6rem 2rem 0.4rem 2rem; max-width: 100%; }
[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] { gap: 0.6rem; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1.15rem; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { font-size: 0.85rem; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * { font-size: 1.7rem !important; }
[data-testid="stMetricValue"] div { white-space: normal; overflow: visible; }
[data-testid="stMetricLabel"] p { font-size: 1rem; }
h1 { font-size: 1.9rem !important; padding: 0.1rem 0 0.3rem 0 !important; line-height: 1.2 !important; }
[data-testid="stTable"] td, [data-testid="stTable"] th {
  font-size: 1rem; white-space: normal; overflow-wrap: anywhere; padding: 0.3rem 0.6rem; }
[data-testid="stMain"]:focus { outline: none; }  /* a click that gives the keyboard to the slide draws no frame */
.st-key-meeting_chart { min-height: 12rem; }
.st-key-meeting_analysis_small [data-testid="stMarkdownContainer"] p { font-size: 0.95rem; }
.st-key-meeting_analysis_smaller [data-testid="stMarkdownContainer"] p { font-size: 0.75rem; }
</style>
"""


def meeting_chart_style(*texts_above: tuple[str, int]) -> str:
    """The style that binds the meeting slide's chart (`st.container(key="meeting_chart")`) to
    what the screen leaves: the viewport's height less the slide's other lines, counted from the
    texts above it, each (text, characters per line at the meeting's scale). To write in a
    markdown element already on the slide (its own element would add a gap)."""
    lines = sum(max(1, -(-len(text) // per_line)) for text, per_line in texts_above)
    return f"<style>div.st-key-meeting_chart {{ flex: 0 0 auto !important; height: calc(100vh - {13.5 + 2.1 * lines:.1f}rem) !important; }}</style>"


def meeting_text_size(text: str) -> str:
    """The type a meeting slide gives a text of this length, so that a long analysis still fits
    beside its chart: « normal », « small » or « smaller » (see _MEETING_CSS)."""
    return "normal" if len(text) <= 320 else "small" if len(text) <= 550 else "smaller"


# A table shows every row on a projector (no scrolling inside it) up to this many rows.
TABLE_ROWS = 60
ROW_PX = 35
WRAP_ROW_PX = 76  # Streamlit wraps a cell's text in rows taller than 4rem (72 px at the app's 18 px type)


def table_height(n_rows: int, row_px: int = ROW_PX) -> int:
    """Pixels for a table showing `n_rows` rows whole, header included (Streamlit's rows are 35 px)."""
    return row_px * (min(max(n_rows, 1), TABLE_ROWS) + 1) + 3


def table(frame, *, wide: str | None = None, container=None, row_height: int = ROW_PX, **kwargs) -> None:
    """A French table, every row visible (height from the row count), no index; `wide`
    names a long text column given more room (a comment, a message)."""
    config = {wide: st.column_config.TextColumn(width="large")} if wide else None
    (container or st).dataframe(
        frame,
        hide_index=True,
        width="stretch",
        row_height=row_height,
        height=table_height(len(frame), row_height),
        column_config=config,
        **kwargs,
    )


def text_table(frame, **table_options) -> None:
    """A short static table (st.table, which wraps long sentences), its cells, headers and row
    names shown as text: st.table reads Markdown in every cell, and these hold partners' text."""

    def literal(value):
        return md(value) if isinstance(value, str) else value

    shown = frame.map(literal).rename(columns=literal, index=literal)
    shown.index.name = literal(frame.index.name)
    st.table(shown, **table_options)


@dataclass(frozen=True)
class PageContext:
    """What every page needs: the database (use `.cursor()` per query) and the framework."""

    con: Database
    fw: Framework
    db_path: Path
    created_demo: bool
    user: User
    # the reader asked to count uploads not validated yet (sidebar toggle): whose (review.submitted_scope)
    submitted: bool | tuple[str, ...] = False


def _let_go(entry: tuple[Database, bool]) -> None:
    entry[0].release()  # a cursor still in use keeps the file open until it is done


# The app serves one database file; a process that opened several (the tests) keeps the last few.
@st.cache_resource(show_spinner=False, max_entries=8, on_release=_let_go)
def _open(path: str) -> tuple[Database, bool]:
    """One handle per process and database file (it opens the file only while pages use it,
    so the command line can work beside the app); builds the demo base on first start."""
    created = not Path(path).exists()
    fw = load_framework() if created else None
    installed = created and demo.install_demo(Path(path), fw)  # the shipped demo, unpacked
    database = Database(path)
    if created and not installed:  # none serves this framework: build it, report by report
        demo.create_demo(database, fw)
    elif not created and db.stored_framework(database) is None:
        db.sync_framework(database, load_framework())
    return database, created


def connection() -> tuple[Database, Path, bool]:
    path = db.db_path()
    if path.exists():
        database, created = _open(str(path.resolve()))
    else:  # the shipped demo unpacks in a moment; built report by report, it takes longer
        with st.spinner("Première ouverture : préparation de la base de démonstration…"):
            database, created = _open(str(path.resolve()))
    return database, path, created


def is_demo(con: Database) -> bool:
    """Whether the database is the demonstration one (a page may offer demo-only actions);
    read once per data revision (the banners ask at every run)."""
    return _is_demo(con, data_revision(con))


@st.cache_data(show_spinner=False, max_entries=8)
def _is_demo(_con: Database, revision: str) -> bool:
    return db.is_demo(_con)


def data_revision(con: Database) -> str:
    """A token that changes whenever uploads, rollbacks or the framework change, whichever
    process made them (it is read from the database): cache key for reads.

    Read once per script run: a page asks for it at each cached read (a dozen times a run),
    and ten sessions at once spent a sixth of the server's time on that query
    (bench/load_bench.py). Every write in a page is followed by `st.rerun()`, a new run
    that reads it again."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return db.data_revision(con)
    # ctx.cursors is a new dict at each run (full or fragment); the memo keeps it alive, so
    # the next run's dict cannot be mistaken for it.
    memo = getattr(ctx, "_ardenne_revision", None)
    if memo is not None and memo[0] is ctx.cursors and memo[1] is con:
        return memo[2]
    revision = db.data_revision(con)
    ctx._ardenne_revision = (ctx.cursors, con, revision)
    return revision


# Shared, not copied (a frozen dataclass): every page run of every session reads it, and
# st.cache_data would unpickle it each time.
@st.cache_resource(show_spinner=False, max_entries=8)
def _framework(_con: Database, revision: str) -> Framework:
    return db.ensure_framework(_con)


@st.cache_data(show_spinner=False, max_entries=256)
def _cached_call(name: str, revision: str, key: str, _func, _con, _fw, _args, _kwargs):
    return _func(_con, _fw, *_args, **_kwargs)


def cached(func, con: Database, fw: Framework, *args, **kwargs):
    """`func(con, fw, *args, **kwargs)`, cached until the data or the framework change.

    Arguments must have a stable repr (codes, dates, tuples); results must be picklable."""
    name = f"{func.__module__}.{func.__qualname__}"
    key = repr((args, sorted(kwargs.items())))
    return _cached_call(name, data_revision(con), key, func, con, fw, args, kwargs)


# Figures and tables to show, by reference: a few per page and view, the last revisions' kept.
@st.cache_resource(show_spinner=False, max_entries=512)
def _shared_build(revision: str, key: str, _build):
    return _build()


def shared(con: Database, key: tuple, build: Callable[[], Any]) -> Any:
    """`build()` once per data revision and `key`, then the same object for every session and
    run: a Plotly figure or a French table built from cached results, which ten sessions would
    otherwise rebuild at each of their runs (bench/load_bench.py). `key` names the thing built
    and everything `build` reads beside the database (codes, choices, the reader's scope), with
    a stable repr. Not copied: never mutate what it returns (st.plotly_chart and st.dataframe
    do not)."""
    return _shared_build(data_revision(con), repr(key), build)


def forget_cached() -> None:
    """Forget every cached read and shared figure: after a write that the data revision does
    not see (demonstration brand scores attached to reports already imported)."""
    _cached_call.clear()
    _shared_build.clear()


PUBLIC_UNAVAILABLE = (
    "Ces chiffres sont momentanément indisponibles. Réessayez un peu plus tard ; si cela dure, "
    "prévenez la coordination du plan de marketing territorial."
)


def page_setup(
    title: str,
    *,
    icon: str = ":material/analytics:",
    home: bool = False,
    public: bool = False,
    menu: bool = True,
    meeting: bool = False,
) -> PageContext:
    """Configure the page, open the database, draw the menu and the banners; call first on every page.

    The home page explains the banners in full; other pages keep them to one line. A
    `public` page opens without signing in (its user is then accounts.ANONYMOUS, with no
    right at all): it must show only what the portal publishes. Without `menu` the page has
    no sidebar (one figure embedded in a partner's site). `meeting`: the meeting mode,
    without sidebar, in large type, its banners in one line at most."""
    st.set_page_config(
        page_title=f"{title} · {APP_NAME}",
        page_icon=icon,
        layout="wide",
        initial_sidebar_state="collapsed" if meeting else "auto",
    )
    st.markdown(_CSS + (_MEETING_CSS if meeting else ""), unsafe_allow_html=True)
    try:
        con, path, created = connection()
        if con.is_open:  # held already: no wait, and no spinner (it starts a thread at each run)
            con.hold()
        else:
            with st.spinner(
                "La base est occupée par une commande (un import en ligne de commande ?) : "
                "la page s'affichera dès qu'elle aura fini."
            ):
                con.hold()
    except ArdenneError as exc:
        # A visitor of a public page learns nothing of the server (its paths, its commands).
        st.error(PUBLIC_UNAVAILABLE if public else md(exc.message))
        st.stop()
    fw = _framework(con, data_revision(con))
    links.set_visitor(links.visitor_base(st.context.url, st.context.headers, st.context.ip_address))
    user, mode = _signed_in_user(con, fw, public=public)
    if menu:
        _menu(fw, path, user)
    submitted = _submitted_toggle(con, user) if menu and not (meeting or public or user.anonymous) else False
    if meeting:
        _meeting_banner(con, mode)
    else:
        _banners(con, mode, full=home)
    return PageContext(con=con, fw=fw, db_path=path, created_demo=created, user=user, submitted=submitted)


SUBMITTED_PREF = "include_submitted"  # kept outside the widget's key: widget state does not survive a page switch


def _submitted_toggle(con: Database, user: User) -> bool | tuple[str, ...]:
    """The sidebar's « Inclure les chiffres soumis » switch, shown only while some uploads the
    reader may count wait for validation (every one for the coordination, a partner's own,
    none for a viewer); the choice follows the reader from page to page. Whose submitted
    figures count (review.submitted_scope), whatever the session holds."""
    scope = review.submitted_scope(user)
    if not scope:
        return False
    own = None if scope is True else list(scope)
    waiting = _submitted_count(con, data_revision(con), tuple(own) if own else None)
    if not waiting:
        return False

    def keep() -> None:
        st.session_state[SUBMITTED_PREF] = st.session_state["submitted_toggle"]

    with st.sidebar:
        on = st.toggle(
            f"Inclure les chiffres soumis ({waiting} import(s) à valider)"
            if own is None
            else f"Inclure vos chiffres soumis ({waiting} import(s) à valider)",
            value=st.session_state.get(SUBMITTED_PREF, False),
            key="submitted_toggle",
            on_change=keep,
            help="Par défaut, les tableaux de bord ne comptent que les chiffres validés par la "
            "coordination. Activez pour voir aussi ceux que les partenaires ont soumis.",
        )
    if on:
        st.caption(
            "Les chiffres affichés comptent des imports **soumis, non encore validés**"
            + (" (les vôtres ; ceux des autres opérateurs : validés seulement)." if own else ".")
        )
    return review.submitted_scope(user, bool(on))


def cached_count(con: Database) -> int:
    return _submitted_count(con, data_revision(con))


@st.cache_data(show_spinner=False, max_entries=8)
def _submitted_count(_con: Database, revision: str, operators: tuple[str, ...] | None = None) -> int:
    return review.submitted_count(_con, list(operators) if operators else None)


def _menu(fw: Framework, path: Path, user: User) -> None:
    with st.sidebar:
        st.markdown(f"### {APP_NAME}")
        st.caption(md(fw.portfolio.get("label", "")))
        # A visitor who did not sign in sees the public pages, and where to sign in.
        # The sidebar menu (links.PAGES): Streamlit's own page list is hidden because it would
        # name the home page "app"; public pages open without signing in (page_setup(public=True)).
        sign_in = replace(links.page_named("Accueil"), label="Se connecter", icon=":material/login:")
        menu = [*(p for p in links.PAGES if p.public), sign_in] if user.anonymous else links.PAGES
        for page in menu:
            try:
                st.page_link(
                    page.file, label=page.label, icon=page.icon, query_params=SIGN_IN if user.anonymous else None
                )
            except StreamlitPageNotFoundError:
                break  # a page run as its own entry point (AppTest.from_file on a page) has no menu
        st.divider()
        if not user.anonymous:
            st.caption(f"Base : `{path.name}` · référentiel {md(fw.version)}")
        if not user.local and not user.anonymous:
            st.caption(f"Connecté : **{md(user.label)}**")
            if st.button("Se déconnecter", icon=":material/logout:"):
                _sign_out()


# The home page's address that asks to sign in (« /?connexion=1 »): without it, a visitor who
# has not signed in is welcomed at « / » by the public key figures (see `welcomes_visitors`).
SIGN_IN = {"connexion": "1"}


def welcomes_visitors() -> bool:
    """Whether the home page shows a visitor who has not signed in the public key figures
    rather than the sign-in form: not when the visitor asked to sign in (« Se connecter »),
    nor when a session just ended with a reason to read on the form, nor when the accounts
    cannot be trusted (the home page then says what to fix)."""
    if st.query_params.get("connexion") is not None or "signed_out_reason" in st.session_state:
        return False
    try:
        accounts.auth_mode(db.accounts_marked(connection()[0]))
    except ArdenneError:  # AccountsError included
        return False
    return True


def _meeting_banner(con: Database, mode: str) -> None:
    """At most one line above the slides: what the committee must know about these figures."""
    parts = []
    if is_demo(con):
        parts.append("Données de démonstration, non réelles")
    parts.append(review.VALIDATED_ONLY.lower() if parts else review.VALIDATED_ONLY)
    if mode in (accounts.LOCAL_REQUESTED, accounts.LOCAL_NO_ACCOUNTS):
        parts.append("mode local, sans authentification")
    st.caption(
        " · ".join(parts),
        help="Voir la page d'accueil. Les imports soumis par les partenaires et pas "
        "encore validés ne sont pas comptés.",
    )


def _banners(con: Database, mode: str, *, full: bool) -> None:
    if mode == accounts.LOCAL_REQUESTED:
        st.warning(
            "**Mode local demandé (ARDENNE_AUTH=local), sans authentification** : les comptes sont ignorés et "
            "toute personne qui ouvre cette adresse peut importer, annuler un import ou remplacer le référentiel."
            + (" Pour revenir aux comptes, relancez l'application sans ARDENNE_AUTH=local." if full else ""),
            icon=":material/lock_open:",
        )
    elif mode == accounts.LOCAL_NO_ACCOUNTS:
        st.warning(
            "**Mode local, sans authentification** (aucun compte n'a encore été créé pour cette base) : toute "
            "personne qui ouvre cette adresse peut importer, annuler un import ou remplacer le référentiel."
            + (
                " Pour activer les comptes : `python -m ardenne_kpi users add NOM --role admin` (voir le README)."
                if full
                else " Comptes : voir l'accueil."
            ),
            icon=":material/lock_open:",
        )
    if is_demo(con):
        st.info(
            "**Données de démonstration** : ces chiffres sont générés pour montrer l'outil, ils ne sont pas réels."
            + (
                " Pour partir d'une base vide : `python -m ardenne_kpi init --empty --force`, puis importez les "
                "rapports des partenaires depuis la page « Importer un rapport »."
                if full
                else ""
            ),
            icon=":material/science:",
        )


# ---------------------------------------------------------------- sign-in


_SESSION_KEYS = ("user", "user_stamp", "session_sid", "session_signed", "session_seen", "session_cookie")


def _sign_out(reason: str | None = None) -> None:
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


def _signed_in_user(con: Database, fw: Framework, *, public: bool = False) -> tuple[User, str]:
    """The user of this session and the sign-in mode (accounts.auth_mode); draws the sign-in
    form and stops the page when there is none, and stops it with what to fix when the
    accounts cannot be trusted. The account is re-read at every run: a removed or demoted
    account loses its rights at its next action.

    On a `public` page nobody has to sign in: a visitor without a session is
    accounts.ANONYMOUS, even when the accounts file cannot be trusted (the page shows only
    what the portal publishes, which needs no account)."""
    marked = db.accounts_marked(con)
    try:
        mode = accounts.auth_mode(marked)
    except accounts.AccountsError as exc:
        if public:
            return accounts.ANONYMOUS, accounts.ACCOUNTS
        st.error(f"**{exc.title}** : {exc.message}", icon=":material/lock:")
        st.stop()
    if mode in (accounts.LOCAL_REQUESTED, accounts.LOCAL_NO_ACCOUNTS):
        return accounts.LOCAL_USER, mode
    if not marked:
        db.mark_accounts(con)  # from now on, losing the accounts file closes the app
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
        _sign_out("Votre compte n'existe plus : demandez à la coordination de le recréer.")
    elif st.session_state.get("session_sid") in sessions.REVOKED:
        _sign_out("Vous vous êtes déconnecté dans un autre onglet.")
    elif time.time() - seen > sessions.idle_seconds():
        minutes = fmt_number(sessions.idle_seconds() / 60)
        _sign_out(f"Votre session a pris fin après {minutes} minutes sans action : reconnectez-vous.")
    elif st.session_state.get("user_stamp", stamp) != stamp:  # a session a test opened has none
        _sign_out("Le mot de passe de votre compte a changé : reconnectez-vous avec le nouveau.")
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


def refuse(exc: AccessError) -> None:
    """Show why an action is refused, in one sentence."""
    st.error(md(exc.message), icon=":material/block:")


# ---------------------------------------------------------------- links that reopen a view


def in_address(
    widget: Callable[..., Any],
    label: str,
    options: Sequence | None = None,
    *,
    key: str,
    param: str,
    default: Any = None,
    parse: Callable[[str], Any] = str,
    many: bool = False,
    text: Callable[[Any], str] = str,
    **kwargs: Any,
) -> Any:
    """Draw `widget` (st.selectbox, a column's multiselect…) keyed `key`, its value kept in the
    address as `?param=`: a pasted link reopens the same view. For widgets that show a label
    for a code (« BRD01 · Nuitées » for BRD01): Streamlit's own binding (`bind="query-params"`)
    would write the label in the address, and the pack, the reminders and the meeting mode cite
    addresses with codes (`links.page_url`); widgets that show their value as it is bind
    themselves. The value comes from `?param=` the first time the page runs in this session
    (`parse` reads it, a value outside `options` is ignored), else from `default` when the widget
    has none yet; `many`: a multiselect, its values comma-separated; `text` writes the value.
    The widget must be given no `index=`/`value=`/`default=`: its session state carries it."""
    loaded = st.session_state.setdefault("_url_loaded", set())
    if key not in loaded:
        loaded.add(key)
        _from_address(param, key, options, parse=parse, many=many)
    if key not in st.session_state and default is not None:
        st.session_state[key] = default
    value = widget(label, key=key, **kwargs) if options is None else widget(label, options, key=key, **kwargs)
    if many:
        written = ",".join(str(v) for v in value)
    else:
        written = None if value is None or value == "" else text(value)
    if not written:
        if param in st.query_params:
            del st.query_params[param]
    elif st.query_params.get(param) != written:
        st.query_params[param] = written
    return value


def _from_address(param: str, key: str, options: Sequence | None, *, parse: Callable[[str], Any], many: bool) -> None:
    raw = st.query_params.get(param)
    if raw is None:
        return
    if many:
        st.session_state[key] = [v for v in raw.split(",") if options is None or v in options]
        return
    try:
        value = parse(raw)
    except (ValueError, TypeError, ArdenneError):
        return
    if value is not None and (options is None or value in options):
        st.session_state[key] = value


def page_link(page: str, label: str, *, icon: str | None = None, query_params: dict | None = None) -> None:
    """A link to the page called `page` (links.PAGES), with the view `query_params` describe;
    its label alone when the page runs as its own entry point (AppTest on one page), which has
    no other pages."""
    try:
        st.page_link(links.page_named(page).file, label=label, icon=icon, query_params=query_params)
    except StreamlitPageNotFoundError:
        st.caption(label)


def local_links_warning() -> None:
    """Warn the coordinator, above what leaves the app (the pack, the reminders), when its
    links would lead to localhost (links.leads_nowhere)."""
    warning = links.local_links_warning()
    if warning:
        st.warning(md(warning), icon=":material/link_off:")


def copy_link_caption() -> None:
    st.caption(
        "Le lien de cette page (barre d'adresse) rouvre cette vue : filtres et choix compris.",
        help="Copiez l'adresse pour la coller dans un courriel ou dans le dossier du comité.",
    )


# French formats (ardenne_kpi.core.format), re-exported so pages need one import.
__all__ = [
    "PageContext",
    "connection",
    "data_revision",
    "fmt_date",
    "fmt_number",
    "fmt_percent",
    "html_text",
    "md",
    "md_lines",
    "page_setup",
    "user_errors",
    "cached",
]


@contextmanager
def user_errors() -> Iterator[None]:
    """Show an ArdenneError as its French message instead of a traceback."""
    try:
        yield
    except ArdenneError as exc:
        st.error(f"**{md(exc.title)}** : {md(exc.message)}")
