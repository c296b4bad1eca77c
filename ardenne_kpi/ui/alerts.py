"""What goes wrong, said in French: an action refused, an ArdenneError shown as its message
instead of a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from ardenne_kpi.core.errors import AccessError, ArdenneError
from ardenne_kpi.core.format import md


def refuse(exc: AccessError) -> None:
    """Show why an action is refused, in one sentence."""
    st.error(md(exc.message), icon=":material/block:")


@contextmanager
def user_errors() -> Iterator[None]:
    """Show an ArdenneError as its French message instead of a traceback."""
    try:
        yield
    except ArdenneError as exc:
        st.error(f"**{md(exc.title)}** : {md(exc.message)}")
