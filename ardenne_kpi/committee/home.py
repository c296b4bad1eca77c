"""The home page's overview: headline tiles and the status of indicators by dimension."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from ardenne_kpi import db, figures, reporting
from ardenne_kpi.core import indicator_status
from ardenne_kpi.core.format import fmt_percent
from ardenne_kpi.figures import coverage
from ardenne_kpi.framework import Framework


@dataclass(frozen=True)
class Tile:
    label: str
    value: str
    help: str


@dataclass(frozen=True)
class Overview:
    tiles: list[Tile]
    by_dimension: pd.DataFrame  # dimension, label, status, count (long, for the chart)
    by_dimension_table: pd.DataFrame  # one row per dimension, French headers
    n_values: int
    last_upload: dt.datetime | None
    data_label: str


def overview(con: duckdb.DuckDBPyConnection, fw: Framework, *, submitted: bool = False) -> Overview:
    """Everything the home page shows, computed once per data revision (validated figures,
    and submitted ones too with `submitted`)."""
    status = figures.indicator_status(con, fw, submitted=submitted)
    counts = status["status"].value_counts()
    last_period_end, last_upload = reporting.latest_data(con)
    window = reporting.last_closed_semester(fw, last_period_end)
    completeness = reporting.completeness(con, fw, window)
    expected, received = int(completeness["expected"].sum()), int(completeness["received"].sum())
    late = int(completeness["late"].sum())
    cells = fw.served_cells
    n_ind = len(fw.indicators)
    tiles = [
        Tile(
            indicator_status.STATUS_LABELS[s],
            f"{int(counts.get(s, 0))} / {n_ind}",
            f"Indicateurs dont le statut est « {indicator_status.STATUS_LABELS[s]} ».",
        )
        for s in indicator_status.STATUS_LABELS
    ] + [
        Tile(
            f"Rapports {window.code} reçus",
            fmt_percent(received / expected if expected else None),
            f"{received} rapports reçus sur {expected} attendus pour {window.label_fr}, dont {late} en retard "
            f"(délai : {fw.reporting_deadline_days} jours après la fin de la période).",
        ),
        Tile(
            f"Rapports {window.code} en retard",
            str(late),
            f"Rapports de {window.label_fr} arrivés plus de {fw.reporting_deadline_days} jours après la fin "
            "de leur période.",
        ),
        Tile(
            "Cellules servies",
            f"{len(cells)} / {fw.cell_count}",
            f"Cellules dimension × clé servies par au moins un indicateur ({fmt_percent(len(cells) / fw.cell_count)}).",
        ),
    ]
    n_values = db.table_counts(con)["report_values"]
    data_label = f"{last_period_end:%d/%m/%Y}" if last_period_end else "aucune donnée"
    return Overview(
        tiles=tiles,
        by_dimension=coverage.dimension_counts(fw, status),
        by_dimension_table=coverage.dimension_table(fw, status),
        n_values=n_values,
        last_upload=last_upload,
        data_label=data_label,
    )
