"""The steering-committee pack: one PDF in French that reads without the app (`pdf`), and the
same tables as an .xlsx beside it (`xlsx`), both laid out from the figures `data.collect`
gathers once.
"""

from __future__ import annotations

import duckdb

from ardenne_kpi.committee.pack.data import (
    PackData,
    analysis_of,
    behind_target,
    collect,
    file_stem,
    indicators_table,
    tiles,
    validation_note,
)
from ardenne_kpi.committee.pack.pdf import pdf_bytes
from ardenne_kpi.committee.pack.xlsx import xlsx_bytes
from ardenne_kpi.framework import Framework

__all__ = [
    "PackData",
    "analysis_of",
    "behind_target",
    "build",
    "collect",
    "file_stem",
    "indicators_table",
    "pdf_bytes",
    "tiles",
    "validation_note",
    "xlsx_bytes",
]


def build(con: duckdb.DuckDBPyConnection, fw: Framework, *, since: str | None = None) -> tuple[bytes, bytes]:
    """(PDF bytes, xlsx bytes) of the pack for the current data."""
    d = collect(con, fw, since=since)
    return pdf_bytes(d), xlsx_bytes(d)
