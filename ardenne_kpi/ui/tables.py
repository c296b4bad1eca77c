"""Tables as a projector shows them: every row visible (the height counted from the rows),
no index, and partners' text shown as text."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ardenne_kpi.core.format import md

# A table shows every row on a projector (no scrolling inside it) up to this many rows.
TABLE_ROWS = 60
ROW_PX = 35
WRAP_ROW_PX = 76  # Streamlit wraps a cell's text in rows taller than 4rem (72 px at the app's 18 px type)


def table_height(n_rows: int, row_px: int = ROW_PX) -> int:
    """Pixels for a table showing `n_rows` rows whole, header included (Streamlit's rows are 35 px)."""
    return row_px * (min(max(n_rows, 1), TABLE_ROWS) + 1) + 3


def table(
    frame: pd.DataFrame,
    *,
    wide: str | None = None,
    container: DeltaGenerator | None = None,
    row_height: int = ROW_PX,
    **kwargs: Any,
) -> None:
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


def text_table(frame: pd.DataFrame, **table_options: Any) -> None:
    """A short static table (st.table, which wraps long sentences), its cells, headers and row
    names shown as text: st.table reads Markdown in every cell, and these hold partners' text."""

    def literal(value: object) -> object:
        return md(value) if isinstance(value, str) else value

    shown = frame.map(literal).rename(columns=literal, index=literal)
    shown.index.name = literal(frame.index.name)
    st.table(shown, **table_options)
