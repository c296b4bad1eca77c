"""What every page does first (`page_setup`): the page's configuration and style, the
database, who is signed in, the sidebar's menu and switch, and the banners that say what the
figures are (demonstration data, local mode, validated figures only)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from ardenne_kpi.core import accounts, links
from ardenne_kpi.core.accounts import User
from ardenne_kpi.core.errors import ArdenneError
from ardenne_kpi.core.format import md
from ardenne_kpi.db.sharing import Database
from ardenne_kpi.framework import Framework
from ardenne_kpi.intake import review
from ardenne_kpi.ui.database import cached_count, connection, framework, is_demo
from ardenne_kpi.ui.sign_in import SIGN_IN, sign_out, signed_in_user
from ardenne_kpi.ui.styles import APP_NAME, CSS, MEETING_CSS


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
    st.markdown(CSS + (MEETING_CSS if meeting else ""), unsafe_allow_html=True)
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
    fw = framework(con)
    links.set_visitor(links.visitor_base(st.context.url, st.context.headers, st.context.ip_address))
    user, mode = signed_in_user(con, fw, public=public)
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
    own = None if isinstance(scope, bool) else scope  # True: every operator's
    waiting = cached_count(con, own)
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


def _menu(fw: Framework, path: Path, user: User) -> None:
    """The sidebar: the app's name, the pages this reader may open, the base and who is signed in."""
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
                sign_out()


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
    """What the reader must know above the page: local mode (no sign-in), demonstration data."""
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
