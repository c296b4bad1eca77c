"""French display formats, for pages and exports alike: 1 234,5 · 42 % · 31/03/2022."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

NBSP = "\u00a0"


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_number(value: float | int | None, decimals: int = 0) -> str:
    """French number format: 1 234,5 (non-breaking space for thousands, comma for decimals)."""
    if _missing(value):
        return "–"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", NBSP).replace(".", ",")


def fmt_percent(share: float | None, decimals: int = 0) -> str:
    """A share (0.42) as a French percentage: 42 %."""
    if _missing(share):
        return "–"
    return f"{fmt_number(share * 100, decimals)}{NBSP}%"


def fmt_date(value: dt.date | None) -> str:
    """31/03/2022, or a dash when there is no date."""
    if value is None or (hasattr(value, "year") is False) or _missing(value):
        return "–"
    try:
        return value.strftime("%d/%m/%Y")
    except ValueError:  # NaT
        return "–"


# Text a spreadsheet would run as a formula: partner text must never become one in an export.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: object) -> object:
    """Partner text with a leading apostrophe when a spreadsheet would read it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _safe_frame(table: pd.DataFrame) -> pd.DataFrame:
    table = table.copy()
    for name in table.columns:  # every column: pandas 3 keeps text in "str" columns, not "object"
        if not pd.api.types.is_numeric_dtype(table[name]):
            table[name] = table[name].map(safe_text)
    return table


def csv_excel_fr(table: pd.DataFrame) -> bytes:
    """CSV as French Excel opens it: `;` separator, decimal comma, UTF-8 with BOM; formula-safe."""
    return _safe_frame(table).to_csv(index=False, sep=";", decimal=",", date_format="%d/%m/%Y").encode("utf-8-sig")


def csv_script(table: pd.DataFrame) -> bytes:
    """CSV for scripts: comma, UTF-8, dot decimals, ISO dates; formula-safe."""
    return _safe_frame(table).to_csv(index=False, date_format="%Y-%m-%d").encode("utf-8")
