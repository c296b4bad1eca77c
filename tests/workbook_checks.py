"""What a workbook taken home must be in Excel: figures as numbers, dates as dates, empty cells
empty (never a lone « ' » nor an empty text)."""

from __future__ import annotations

import re

# A figure or a date written as text: « 800 », « 91,4 % », « 1 234 », « 31/03/2022 », « 2022-03-31 ».
NUMBER_TEXT = re.compile(r"[+-]?\d[\d \u00a0\u202f]*([.,]\d+)?\s*%?")
DATE_TEXT = re.compile(r"\d{1,2}/\d{1,2}/\d{4}( \d{1,2}:\d{2})?|\d{4}-\d{2}-\d{2}")
# Columns holding periods by name: « 2021 » there is the year's name, not a figure.
PERIOD_COLUMNS = {"Dernière période", "Échéance", "Période", "à partir de"}


def untyped_cells(wb, text_columns: set[str] = PERIOD_COLUMNS) -> list[str]:
    """« Sheet!B4 = '800' » for every cell holding a figure or a date as text, or an empty
    text or a lone apostrophe."""
    out = []
    for ws in wb.worksheets:
        headers = {c.column: c.value for c in ws[1]} if ws.max_row else {}
        for row in ws.iter_rows(min_row=1):
            for cell in row:
                v = cell.value
                if not isinstance(v, str):
                    continue
                if v.strip() in ("", "'", "–") or (
                    headers.get(cell.column) not in text_columns
                    and (NUMBER_TEXT.fullmatch(v.strip()) or DATE_TEXT.fullmatch(v.strip()))
                ):
                    out.append(f"{ws.title}!{cell.coordinate} = {v!r}")
    return out
