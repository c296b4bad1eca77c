"""Views kept in the address, so that a pasted link reopens them: widgets whose value lives
in `?param=` (`in_address`), links to another page's view, and the warnings about links that
would lead nowhere."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from ardenne_kpi.core import links
from ardenne_kpi.core.errors import ArdenneError
from ardenne_kpi.core.format import md


def in_address(
    widget: Callable[..., Any],
    label: str,
    options: Sequence[Any] | None = None,
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
    written: str | None
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


def _from_address(
    param: str, key: str, options: Sequence[Any] | None, *, parse: Callable[[str], Any], many: bool
) -> None:
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


def page_link(page: str, label: str, *, icon: str | None = None, query_params: dict[str, str] | None = None) -> None:
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
    """Tell the reader that this page's address reopens the view, filters included."""
    st.caption(
        "Le lien de cette page (barre d'adresse) rouvre cette vue : filtres et choix compris.",
        help="Copiez l'adresse pour la coller dans un courriel ou dans le dossier du comité.",
    )
