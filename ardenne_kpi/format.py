"""French display formats, for pages and exports alike: 1 234,5 · 42 % · 31/03/2022."""

from __future__ import annotations

import datetime as dt
import math

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
