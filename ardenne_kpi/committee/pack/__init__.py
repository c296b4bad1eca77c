"""The steering-committee pack: one PDF in French that reads without the app (`pdf`), and the
same tables as an .xlsx beside it (`xlsx`), both laid out from the committee's `briefing`
(gathered once by `briefing.collect`).
"""

from __future__ import annotations

import duckdb

from ardenne_kpi.committee import briefing
from ardenne_kpi.committee.pack.pdf import pdf_bytes
from ardenne_kpi.committee.pack.xlsx import xlsx_bytes
from ardenne_kpi.framework import Framework

__all__ = ["build", "pdf_bytes", "xlsx_bytes"]


def build(con: duckdb.DuckDBPyConnection, fw: Framework, *, since: str | None = None) -> tuple[bytes, bytes]:
    """(PDF bytes, xlsx bytes) of the pack for the current data."""
    d = briefing.collect(con, fw, since=since)
    return pdf_bytes(d), xlsx_bytes(d)
