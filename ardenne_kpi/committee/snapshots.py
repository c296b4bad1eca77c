"""Committee snapshots: the state of the data frozen at a committee date, and what changed.

A snapshot keeps the ids of the values that counted at its date (values are never deleted,
so ids stay valid), plus each indicator's status and each dimension × key coverage cell's
state as computed then. A past date is honoured: the values are those of the uploads made
by that day and not yet rolled back, and statuses are computed from them alone, by the same
`kpis` and `coverage` code as the pages, on a throw-away in-memory base.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from ardenne_kpi import db, figures
from ardenne_kpi.core import indicator_status
from ardenne_kpi.core.errors import SnapshotError
from ardenne_kpi.core.format import fmt_date, fmt_number, fmt_percent
from ardenne_kpi.core.periods import label_of
from ardenne_kpi.db import snapshots as sql
from ardenne_kpi.figures import coverage
from ardenne_kpi.framework import Framework

IDENTITY = ["indicator", "operator", "zone", "audience", "period"]
CHANGE_LABELS = {"new": "Nouvelle valeur", "changed": "Valeur corrigée", "withdrawn": "Valeur retirée"}
# What a snapshot keeps of each indicator's status (`figures.indicator_status` has more columns).
KEPT_STATUS_COLUMNS = ["indicator", "status", "progress", "latest_period", "latest_value"]


@dataclass(frozen=True)
class State:
    """The data at one moment: values (with `value_id`), statuses and coverage cells."""

    label: str
    taken_on: dt.date | None
    values: pd.DataFrame
    status: pd.DataFrame
    cells: pd.DataFrame
    snapshot_id: int | None = None


@dataclass(frozen=True)
class Comparison:
    """What changed from `old` to `new`, one frame per kind of change."""

    old: State
    new: State
    values: pd.DataFrame  # identity, old_value, new_value, change
    statuses: pd.DataFrame  # indicator, label, old_status, new_status, old_progress, new_progress
    uploads: pd.DataFrame  # the reports behind values of `new` that `old` did not have
    cells: pd.DataFrame  # row_code, col_code, row_label, col_label, old_state, new_state

    @property
    def summary(self) -> dict[str, int]:
        counts = self.values["change"].value_counts()
        return {
            "new": int(counts.get("new", 0)),
            "changed": int(counts.get("changed", 0)),
            "withdrawn": int(counts.get("withdrawn", 0)),
            "statuses": len(self.statuses),
            "uploads": len(self.uploads),
            "cells": len(self.cells),
        }

    @property
    def empty(self) -> bool:
        return not any(self.summary.values())


# ------------------------------------------------------------------ evaluating a state


def _cells(fw: Framework, status: pd.DataFrame) -> pd.DataFrame:
    m = coverage.matrix(fw, "dimension_key", status)
    return m.cells[["row", "col", "state"]].rename(columns={"row": "row_code", "col": "col_code"})


def evaluate(
    con: duckdb.DuckDBPyConnection, fw: Framework, values: pd.DataFrame, as_of: dt.date | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(status, cells) computed from `values` alone, as `kpis` and `coverage` would on a base
    holding only them: they are loaded into an in-memory copy of the schema."""
    mem = duckdb.connect()
    try:
        db.apply_schema(mem)
        db.sync_framework(mem, fw)
        ids = sorted({int(i) for i in values["upload_id"].dropna()})
        sql.load_state(mem, sql.uploads_by_ids(con, ids), values)
        status = figures.indicator_status(mem, fw, as_of=as_of)
    finally:
        mem.close()
    return status[KEPT_STATUS_COLUMNS].copy(), _cells(fw, status)


def _moment(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59))


def state_at(con: duckdb.DuckDBPyConnection, fw: Framework, day: dt.date) -> State:
    """The state of the data at the end of `day` (not stored)."""
    values = sql.values_as_of(con, _moment(day))
    status, cells = evaluate(con, fw, values, day)
    return State(f"Données au {fmt_date(day)}", day, values, status, cells)


def live_state(
    con: duckdb.DuckDBPyConnection,
    fw: Framework,
    *,
    status: pd.DataFrame | None = None,
    label: str = "Données actuelles",
) -> State:
    """The data as it counts now; `status` when the caller has it already (figures.indicator_status)."""
    if status is None:
        status = figures.indicator_status(con, fw)
    return State(label, None, sql.current_values(con), status[KEPT_STATUS_COLUMNS].copy(), _cells(fw, status))


# ------------------------------------------------------------------ stored snapshots


def create(
    con: duckdb.DuckDBPyConnection,
    fw: Framework,
    name: str,
    taken_on: dt.date,
    user: str | None = None,
    *,
    today: dt.date | None = None,
) -> int:
    """Freeze the data at the committee date `taken_on` under `name`; returns the snapshot id.

    Refuses an empty or already used name and a date in the future (the data of a future
    committee is not known yet).
    """
    name = (name or "").strip()
    if not name:
        raise SnapshotError("Donnez un nom à l'instantané, par exemple « Comité de pilotage du 12/05/2022 ».")
    if isinstance(taken_on, dt.datetime):
        taken_on = taken_on.date()
    today = today or dt.date.today()
    if taken_on > today:
        raise SnapshotError(
            f"La date du comité ({fmt_date(taken_on)}) est dans le futur : on ne fige que des "
            f"données connues. Choisissez une date jusqu'au {fmt_date(today)}."
        )
    if sql.name_exists(con, name):
        raise SnapshotError(
            f"Un instantané s'appelle déjà « {name} ». Choisissez un autre nom "
            "(ajoutez la date du comité, par exemple)."
        )
    state = state_at(con, fw, taken_on)
    return sql.insert_snapshot(
        con,
        name=name,
        taken_on=taken_on,
        user=user,
        framework_version=fw.version,
        value_ids=[int(i) for i in state.values["value_id"]],
        status=state.status,
        cells=state.cells,
    )


def all_snapshots(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every snapshot (id, name, taken_on, created_at, created_by, framework_version, n_values)."""
    return sql.list_snapshots(con)


def snapshot_names(listing: pd.DataFrame) -> list[str]:
    """The names of `all_snapshots`' rows, in its order (the pages' choices)."""
    return listing["name"].tolist()


def snapshots_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The snapshot list with French headers."""
    return pd.DataFrame(
        {
            "Nom": frame["name"],
            "Date du comité": frame["taken_on"].map(lambda d: fmt_date(pd.Timestamp(d).date())),
            "Valeurs figées": frame["n_values"].astype(int),
            "Créé le": pd.to_datetime(frame["created_at"]).dt.strftime("%d/%m/%Y %H:%M"),
            "Par": frame["created_by"].fillna(""),
            "Référentiel": frame["framework_version"].fillna(""),
        }
    )


def find(con: duckdb.DuckDBPyConnection, ref: str | int) -> pd.Series:
    """The snapshot named `ref` (case-insensitive) or numbered `ref`; SnapshotError otherwise."""
    snaps = all_snapshots(con)
    text = str(ref).strip()
    hit = snaps[snaps["name"].str.lower() == text.lower()]
    if hit.empty and text.isdigit():
        hit = snaps[snaps["id"] == int(text)]
    if hit.empty:
        known = ", ".join(f"« {n} »" for n in snaps["name"]) or "aucun"
        raise SnapshotError(f"Aucun instantané « {text} ». Instantanés existants : {known}.")
    return hit.iloc[-1]


def load(con: duckdb.DuckDBPyConnection, ref: str | int) -> State:
    """A stored snapshot as a State (values, frozen statuses and cells)."""
    snap = find(con, ref)
    sid = int(snap["id"])
    day = pd.Timestamp(snap["taken_on"]).date()
    return State(
        f"« {snap['name']} » ({fmt_date(day)})",
        day,
        sql.snapshot_values(con, sid),
        sql.snapshot_status(con, sid),
        sql.snapshot_cells(con, sid),
        sid,
    )


def latest(con: duckdb.DuckDBPyConnection) -> State | None:
    """The most recent snapshot (by committee date), or None when there is none."""
    snaps = all_snapshots(con)
    return None if snaps.empty else load(con, int(snaps.iloc[-1]["id"]))


# ------------------------------------------------------------------ comparing


def compare(con: duckdb.DuckDBPyConnection, fw: Framework, old: State, new: State) -> Comparison:
    """Values that appeared, changed or were withdrawn; statuses and coverage cells whose
    state changed; and the reports (uploads) new values come from."""
    cols = IDENTITY + ["value", "upload_id"]
    both = old.values[cols].merge(new.values[cols], on=IDENTITY, how="outer", suffixes=("_old", "_new"), indicator=True)
    both["change"] = both["_merge"].astype(str).map({"left_only": "withdrawn", "right_only": "new", "both": "same"})
    both.loc[(both["change"] == "same") & (both["value_old"] != both["value_new"]), "change"] = "changed"
    values = both[both["change"] != "same"].rename(columns={"value_old": "old_value", "value_new": "new_value"})
    order = {i.code: n for n, i in enumerate(fw.indicators)}
    values = values.sort_values(
        ["indicator", "period", "operator", "zone"], key=lambda s: s.map(order) if s.name == "indicator" else s
    )
    values = (
        values[IDENTITY + ["old_value", "new_value", "change", "upload_id_new"]]
        .rename(columns={"upload_id_new": "upload_id"})
        .reset_index(drop=True)
    )

    st = old.status.merge(new.status, on="indicator", how="outer", suffixes=("_old", "_new"))
    st["status_old"] = st["status_old"].fillna(indicator_status.IndicatorStatus.NO_DATA)
    st["status_new"] = st["status_new"].fillna(indicator_status.IndicatorStatus.NO_DATA)
    st = st[st["status_old"] != st["status_new"]]
    statuses = (
        pd.DataFrame(
            {
                "indicator": st["indicator"],
                "label": st["indicator"].map(lambda c: fw.label("indicators", c)),
                "old_status": st["status_old"],
                "new_status": st["status_new"],
                "old_progress": st["progress_old"],
                "new_progress": st["progress_new"],
            }
        )
        .sort_values("indicator", key=lambda s: s.map(order))
        .reset_index(drop=True)
    )

    new_ids = sorted(
        set(new.values["upload_id"].dropna().astype(int)) - set(old.values["upload_id"].dropna().astype(int))
    )
    uploads = (
        sql.uploads_by_ids(con, new_ids)[["id", "file_name", "operator", "uploaded_at"]]
        if new_ids
        else pd.DataFrame(columns=["id", "file_name", "operator", "uploaded_at"])
    )

    c = old.cells.merge(new.cells, on=["row_code", "col_code"], how="outer", suffixes=("_old", "_new"))
    c = c[c["state_old"] != c["state_new"]]
    cells = pd.DataFrame(
        {
            "row_code": c["row_code"],
            "col_code": c["col_code"],
            "row_label": c["row_code"].map(lambda x: fw.label("dimensions", x)),
            "col_label": c["col_code"].map(lambda x: fw.label("keys", x)),
            "old_state": c["state_old"],
            "new_state": c["state_new"],
        }
    ).reset_index(drop=True)
    return Comparison(old, new, values, statuses, uploads.reset_index(drop=True), cells)


# ------------------------------------------------------------------ French tables


def _status_label(code: object) -> str:
    return indicator_status.STATUS_LABELS.get(code, "Pas de données") if isinstance(code, str) else "Pas de données"


def values_table(cmp: Comparison, fw: Framework) -> pd.DataFrame:
    v = cmp.values
    return pd.DataFrame(
        {
            "Indicateur": v["indicator"],
            "Libellé": v["indicator"].map(lambda c: fw.label("indicators", c)),
            "Opérateur": v["operator"],
            "Zone": v["zone"],
            "Période": v["period"].map(lambda c: label_of(c, fw.calendar)),
            "Avant": v["old_value"].map(lambda x: fmt_number(x, 1 if x == x and x % 1 else 0)),
            "Après": v["new_value"].map(lambda x: fmt_number(x, 1 if x == x and x % 1 else 0)),
            "Changement": v["change"].map(CHANGE_LABELS),
        }
    )


def statuses_table(cmp: Comparison) -> pd.DataFrame:
    s = cmp.statuses
    return pd.DataFrame(
        {
            "Indicateur": s["indicator"],
            "Libellé": s["label"],
            "Statut avant": s["old_status"].map(_status_label),
            "Statut après": s["new_status"].map(_status_label),
            "Progression avant": s["old_progress"].map(fmt_percent),
            "Progression après": s["new_progress"].map(fmt_percent),
        }
    )


def uploads_table(cmp: Comparison, fw: Framework) -> pd.DataFrame:
    u = cmp.uploads
    return pd.DataFrame(
        {
            "N°": u["id"].astype(int),
            "Fichier": u["file_name"],
            "Opérateur": u["operator"].map(lambda c: fw.label("operators", c) if isinstance(c, str) else ""),
            "Déposé le": pd.to_datetime(u["uploaded_at"]).dt.strftime("%d/%m/%Y"),
        }
    )


def cells_table(cmp: Comparison) -> pd.DataFrame:
    c = cmp.cells
    return pd.DataFrame(
        {
            "Dimension": c["row_label"],
            "Clé": c["col_label"],
            "État avant": c["old_state"].map(coverage.GAP_LABELS),
            "État après": c["new_state"].map(coverage.GAP_LABELS),
        }
    )


def summary_text(cmp: Comparison) -> str:
    """One French sentence: what changed from the old state to the new one."""
    s = cmp.summary
    if cmp.empty:
        return f"Rien n'a changé entre {cmp.old.label} et {cmp.new.label}."
    return (
        f"De {cmp.old.label} à {cmp.new.label} : {s['uploads']} nouveau(x) rapport(s), {s['new']} nouvelle(s) "
        f"valeur(s), {s['changed']} corrigée(s), {s['withdrawn']} retirée(s) ; {s['statuses']} statut(s) "
        f"d'indicateur et {s['cells']} cellule(s) de couverture ont changé."
    )
