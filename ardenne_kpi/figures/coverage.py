"""Coverage of the framework: which cells of the plan are served by indicators, reported,
behind target or on track.

A matrix crosses two sections of the framework (dimension × key, dimension × theme,
objective × key, project × dimension, operator × dimension). Each cell holds the
indicators mapped to both its row and its column, how many have values in the period
window, how many activities they measure, their mean progress, and a gap state:

- ``not_served``: no indicator is mapped to the cell (a gap in the plan);
- ``not_reported``: indicators are mapped but none has a value in the window (a reporting gap);
- ``behind``: at least one of its reported indicators is off track ("en retard", the status
  computed by `kpis` against the expected pace; a performance gap);
- ``on_track``: reported and none behind.

`matrix()` is pure (framework + a per-indicator status frame); `compute()` fetches that
frame from `kpis` and the window counts from the database, and builds every matrix.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, cast

import duckdb
import pandas as pd

from ardenne_kpi import figures
from ardenne_kpi.core.errors import ArdenneError
from ardenne_kpi.core.indicator_status import IndicatorStatus
from ardenne_kpi.core.periods import Calendar, label_of, parse_period
from ardenne_kpi.core.vocabulary import Term
from ardenne_kpi.db import coverage as sql
from ardenne_kpi.framework import Entry, Framework, Indicator


class Gap(Term):
    """A coverage cell's state, with its long `label` (legends, hovers), its `short` one (the
    page's counters), its `colour`, the `ink` readable on it and its `mark`.

    Okabe–Ito colours; behind and on track are the KPI pages' "en retard" and "en bonne voie".
    Checked with simulated protanopia, deuteranopia and tritanopia: every pair stays at least
    25 ΔE apart (a mid grey instead of the dark one falls to 10 beside the green for deuteranopes).
    The ink has a contrast ≥ 4.5:1 on its colour; the mark, beside the count, means the state
    never relies on colour alone.
    """

    __extras__ = ("short", "colour", "ink", "mark")
    short: str
    ink: str

    NOT_SERVED = "not_served", "Non servie (aucun indicateur)", "Non servies", "#4D4D4D", "#FFFFFF", "∅"
    NOT_REPORTED = "not_reported", "Non renseignée sur la période", "Non renseignées", "#F0E442", "#1A1A1A", "?"
    BEHIND = "behind", "En retard sur la cible", "En retard", "#D55E00", "#1A1A1A", "▼"
    ON_TRACK = "on_track", "En bonne voie", "En bonne voie", "#009E73", "#1A1A1A", ""


GAP_STATES = Gap.codes()
GAP_LABELS = Gap.labels()
GAP_SHORT = {gap.value: gap.short for gap in Gap}
GAP_COLORS = Gap.colours()
GAP_INK = {gap.value: gap.ink for gap in Gap}
GAP_MARKS = Gap.marks()
# An indicator with one of these statuses makes its cell "behind".
BEHIND_STATUSES = frozenset({IndicatorStatus.OFF_TRACK})

MEASURES = {
    "n_indicators": "Indicateurs",
    "n_with_data": "Indicateurs renseignés",
    "n_activities": "Activités",
    "mean_progress": "Progression moyenne",
}


@dataclass(frozen=True)
class Filters:
    """What the committee narrows the view to; None means everything."""

    window: tuple[dt.date, dt.date] | None = None
    project: str | None = None
    operator: str | None = None
    audience: str | None = None
    zone: str | None = None
    submitted: bool = False  # count what partners submitted and the coordinator has not validated yet


@dataclass(frozen=True)
class MatrixSpec:
    """A matrix: its French names and the framework sections of its rows and columns."""

    kind: str
    title: str
    row_title: str
    col_title: str
    row_section: str
    col_section: str

    def rows(self, fw: Framework) -> tuple[Entry, ...]:
        return tuple(getattr(fw, self.row_section))

    def cols(self, fw: Framework) -> tuple[Entry, ...]:
        return tuple(getattr(fw, self.col_section))

    def links(self, fw: Framework, ind: Indicator) -> tuple[Iterable[str], Iterable[str]]:
        """The (row codes, column codes) an indicator is mapped to in this matrix."""
        return _mapped(fw, ind, self.row_section), _mapped(fw, ind, self.col_section)


def _mapped(fw: Framework, ind: Indicator, section: str) -> Iterable[str]:
    if section == "themes":  # through the keys: the key → theme mapping lives in the framework
        keys = fw.by_code["keys"]
        return list(dict.fromkeys(keys[k].theme for k in ind.keys if k in keys))
    if section == "projects":
        return (ind.project,)
    codes: tuple[str, ...] = getattr(ind, section)  # dimensions, keys, operators...: codes
    return codes


SPECS: dict[str, MatrixSpec] = {
    spec.kind: spec
    for spec in (
        MatrixSpec("dimension_key", "Dimensions × clés", "Dimension", "Clé", "dimensions", "keys"),
        MatrixSpec("dimension_theme", "Dimensions × thèmes", "Dimension", "Thème", "dimensions", "themes"),
        MatrixSpec("objective_key", "Objectifs × clés", "Objectif", "Clé", "objectives", "keys"),
        MatrixSpec("project_dimension", "Projets × dimensions", "Projet", "Dimension", "projects", "dimensions"),
        MatrixSpec(
            "operator_dimension", "Opérateurs × dimensions", "Opérateur", "Dimension", "operators", "dimensions"
        ),
    )
}

# Columns a status frame must have; the others (label, latest_value...) only feed the detail.
REQUIRED_STATUS_COLUMNS = ("indicator", "status", "progress")
DETAIL_COLUMNS = (
    "indicator",
    "label",
    "unit",
    "latest_period",
    "latest_value",
    "target",
    "target_period",
    "progress",
    "status",
    "n_in_window",
    "n_by_operator",
    "operators",
    "last_upload_id",
    "source",
    "comment",
)


@dataclass(frozen=True)
class Matrix:
    """One coverage matrix: `cells` has one row per (row, col) in framework order; `detail`
    one row per (row, col, indicator)."""

    spec: MatrixSpec
    rows: tuple[Entry, ...]
    cols: tuple[Entry, ...]
    cells: pd.DataFrame
    detail: pd.DataFrame

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def title(self) -> str:
        return self.spec.title

    def grid(self, measure: str = "n_indicators") -> pd.DataFrame:
        """The measure as a rows × columns table of codes (framework order), for charts and exports."""
        return self.cells.pivot(index="row", columns="col", values=measure).loc[
            [r.code for r in self.rows], [c.code for c in self.cols]
        ]

    def cell(self, row: str, col: str) -> pd.Series:
        hit = self.cells[(self.cells["row"] == row) & (self.cells["col"] == col)]
        if hit.empty:
            raise KeyError((row, col))
        return hit.iloc[0]

    def cell_detail(self, row: str, col: str) -> pd.DataFrame:
        """The indicators of one cell with their facts (latest value, target, status, source)."""
        d = self.detail
        return d[(d["row"] == row) & (d["col"] == col)].reset_index(drop=True)

    def cell_choices(self) -> dict[tuple[str, str], str]:
        """Every cell as (row, col) → "row × col — state", in framework order (the keyboard picker)."""
        c = self.cells
        return {
            (r, k): f"{rl} × {kl} — {GAP_LABELS[s].lower()} ({n} indicateur(s))"
            for r, k, rl, kl, s, n in zip(
                c["row"], c["col"], c["row_label"], c["col_label"], c["state"], c["n_indicators"], strict=True
            )
        }

    def state_counts(self) -> dict[str, int]:
        counts = self.cells["state"].value_counts()
        return {s: int(counts.get(s, 0)) for s in GAP_STATES}


@dataclass(frozen=True)
class Coverage:
    """Every matrix for one set of filters, with what a reader needs to trust it."""

    matrices: dict[str, Matrix]
    filters: Filters
    window: tuple[dt.date, dt.date]
    framework_version: str
    last_update: dt.datetime | None
    filter_labels: tuple[tuple[str, str], ...] = field(default=())

    def __getitem__(self, kind: str) -> Matrix:
        return self.matrices[kind]


# ------------------------------------------------------------------ filters


def _family(fw: Framework, section: str, code: str) -> tuple[set[str], set[str]]:
    """(code and its descendants, its ancestors) in a parent-linked section (zones, audiences)."""
    return fw.descendants(section, [code]), fw.ancestors(section, code)


def selected_indicators(fw: Framework, filters: Filters) -> list[Indicator]:
    """The indicators that count under the filters.

    Project and operator: the indicator belongs to it. Audience: the indicator targets that
    audience, a part of it (NL for visitors) or a whole containing it (visitors for NL).
    Zone: one of its operators works in that zone, a part of it, or a whole containing it.
    """
    out = list(fw.indicators)
    if filters.project:
        out = [i for i in out if i.project == filters.project]
    if filters.operator:
        out = [i for i in out if filters.operator in i.operators]
    if filters.audience:
        down, up = _family(fw, "audiences", filters.audience)
        out = [i for i in out if set(i.audiences) & (down | up)]
    if filters.zone:
        down, up = _family(fw, "zones", filters.zone)
        ops = fw.by_code["operators"]
        out = [i for i in out if any(set(getattr(ops.get(o), "zones", ())) & (down | up) for o in i.operators)]
    return out


def value_scope(fw: Framework, filters: Filters) -> dict[str, list[str] | None]:
    """Which stored values count under the filters: zones and audiences as code lists (None = all).

    A value for the whole of Ardenne is not a value for one province, so a zone filter keeps
    the zone and its parts only; a value for all audiences ('') counts for any audience.
    """
    zones = sorted(_family(fw, "zones", filters.zone)[0]) if filters.zone else None
    audiences = [""] + sorted(_family(fw, "audiences", filters.audience)[0]) if filters.audience else None
    return {"zones": zones, "audiences": audiences}


def window_of(fw: Framework, start: str | None = None, end: str | None = None) -> tuple[dt.date, dt.date]:
    """The period window from two period texts ("S05", "2019", "T3 2020"...), each optional:
    from the start of the first to the end of the second; the whole programme by default."""
    first = parse_period(start, fw.calendar).start if start else fw.calendar.start
    last = parse_period(end, fw.calendar).end if end else fw.calendar.end
    if first > last:
        raise ArdenneError(
            f"La période de début ({start}) commence après la fin de la période de fin ({end}). "
            "Inversez-les ou choisissez une autre fenêtre.",
            title="Fenêtre de périodes invalide",
        )
    return first, last


def describe(fw: Framework, filters: Filters, window: tuple[dt.date, dt.date]) -> tuple[tuple[str, str], ...]:
    """The filters as (French name, French value) pairs, for captions and the Lisez-moi sheet."""

    def fmt(d: dt.date) -> str:
        return d.strftime("%d/%m/%Y")

    return (
        ("Période", f"du {fmt(window[0])} au {fmt(window[1])} (valeurs dont la période se termine dans la fenêtre)"),
        ("Projet", fw.label("projects", filters.project) or "Tous"),
        ("Opérateur", fw.label("operators", filters.operator) or "Tous"),
        ("Public", fw.label("audiences", filters.audience) or "Tous"),
        ("Zone", fw.label("zones", filters.zone) or "Toutes"),
    )


# ------------------------------------------------------------------ matrices


def matrix(fw: Framework, kind: str, status: pd.DataFrame, filters: Filters = Filters()) -> Matrix:
    """Build one matrix from the framework and a per-indicator status frame.

    `status` has one row per indicator with at least `indicator`, `status` and `progress`
    (the `figures.indicator_status` contract) and `n_in_window` (values in the window; when
    absent, `n_values` stands for it). Indicators missing from the frame count as unreported.
    In operator rows, an optional `n_by_operator` (operator → values in the window) counts
    only what that operator reported: a partner late with its report shows in its own row.
    """
    spec = SPECS[kind]
    rows, cols = spec.rows(fw), spec.cols(fw)
    facts = _facts(status)
    fact_columns = [c for c in facts.columns if c not in ("indicator", "label", "n_by_operator")]
    by_indicator = cast(dict[str, dict[str, Any]], facts.set_index("indicator").to_dict("index"))  # by code, column
    per_operator = spec.row_section == "operators" and "n_by_operator" in facts.columns
    # Plain Python over at most a few hundred (cell, indicator) pairs: pandas merges and
    # groupbys here cost ten times more than the counting itself.
    linked: dict[tuple[str, str], list[tuple[Indicator, dict[str, Any]]]] = {}
    row_codes, col_codes = {r.code for r in rows}, {c.code for c in cols}
    for ind in selected_indicators(fw, filters):
        r_codes, c_codes = spec.links(fw, ind)
        fact = by_indicator.get(ind.code, {})
        for r_code in dict.fromkeys(r_codes):
            for c_code in dict.fromkeys(c_codes):
                if r_code in row_codes and c_code in col_codes:
                    own = (
                        {**fact, "n_in_window": (fact.get("n_by_operator") or {}).get(r_code, 0)}
                        if per_operator
                        else fact
                    )
                    linked.setdefault((r_code, c_code), []).append((ind, own))

    cell_rows, detail_rows = [], []
    for r in rows:
        for c in cols:
            members = linked.get((r.code, c.code), [])
            reported = [f for _, f in members if _count(f.get("n_in_window")) > 0]
            progress = [p for _, f in members if (p := f.get("progress")) is not None and not math.isnan(p)]
            n_behind = sum(f.get("status") in BEHIND_STATUSES for f in reported)
            state = _state(len(members), len(reported), n_behind)
            cell_rows.append(
                {
                    "row": r.code,
                    "row_label": r.label,
                    "col": c.code,
                    "col_label": c.label,
                    "n_indicators": len(members),
                    "n_with_data": len(reported),
                    "n_behind": n_behind,
                    "n_activities": len({a for ind, _ in members for a in ind.activities}),
                    "mean_progress": sum(progress) / len(progress) if progress else math.nan,
                    "indicators": tuple(ind.code for ind, _ in members),
                    "state": state,
                    "state_label": GAP_LABELS[state],
                }
            )
            for ind, fact in members:
                detail_rows.append(
                    {
                        "row": r.code,
                        "row_label": r.label,
                        "col": c.code,
                        "col_label": c.label,
                        "indicator": ind.code,
                        "label": fact.get("label") or ind.label,
                        **{name: fact.get(name) for name in fact_columns},
                        "n_in_window": _count(fact.get("n_in_window")),
                    }
                )
    detail_columns = ["row", "row_label", "col", "col_label", "indicator", "label", *fact_columns]
    if "n_in_window" not in detail_columns:
        detail_columns.append("n_in_window")
    return Matrix(spec, rows, cols, pd.DataFrame(cell_rows), pd.DataFrame(detail_rows, columns=detail_columns))


def _count(value: float | None) -> int:
    return 0 if value is None or value != value else int(value)


def _state(n_indicators: int, n_with_data: int, n_behind: int) -> Gap:
    if n_indicators == 0:
        return Gap.NOT_SERVED
    if n_with_data == 0:
        return Gap.NOT_REPORTED
    return Gap.BEHIND if n_behind else Gap.ON_TRACK


def _facts(status: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in REQUIRED_STATUS_COLUMNS if c not in status.columns]
    if missing:
        raise ValueError(f"status frame lacks columns {missing}")
    facts = status.copy()
    if "n_in_window" not in facts:
        facts["n_in_window"] = facts["n_values"] if "n_values" in facts else 0
    facts["progress"] = pd.to_numeric(facts["progress"], errors="coerce").astype(float)
    keep = [c for c in DETAIL_COLUMNS if c in facts.columns]
    return facts[keep].drop_duplicates("indicator")


# ------------------------------------------------------------------ from the database


def indicator_status(
    con: duckdb.DuckDBPyConnection, fw: Framework, filters: Filters, window: tuple[dt.date, dt.date]
) -> pd.DataFrame:
    """The per-indicator status frame from `kpis` (so every page agrees), with the window
    counts, latest comment and source of each indicator added.

    Status and progress are those at the end of the window (`as_of`), not those computed
    from values lying wholly inside it: a yearly value ending in a semester window is
    reported in it, and judging it "sans données" there would hide a performance gap."""
    scope = value_scope(fw, filters)
    codes = [i.code for i in selected_indicators(fw, filters)]
    status = figures.indicator_status(
        con,
        fw,
        operators=[filters.operator] if filters.operator else None,
        zones=scope["zones"],
        audiences=scope["audiences"],
        as_of=window[1],
        codes=codes,
        submitted=filters.submitted,
    )
    reported = sql.reported_in_window(
        con,
        start=window[0],
        end=window[1],
        indicators=codes,
        operator=filters.operator,
        submitted=filters.submitted,
        **scope,
    )
    status = status.drop(columns=[c for c in ("n_in_window", "comment") if c in status]).merge(
        reported[["indicator", "n_in_window", "comment"]], on="indicator", how="left"
    )
    status["n_in_window"] = status["n_in_window"].fillna(0).astype(int)
    by_operator = sql.reported_by_operator(
        con, start=window[0], end=window[1], indicators=codes, submitted=filters.submitted, **scope
    )
    per_indicator = {
        code: dict(zip(part["operator"], part["n_in_window"], strict=True))
        for code, part in by_operator.groupby("indicator")
    }
    # pandas-stubs take no list of dicts as a column's values; pandas keeps each dict as an object
    status["n_by_operator"] = [per_indicator.get(code, {}) for code in status["indicator"]]  # type: ignore[assignment]
    status["source"] = _sources(con, status)
    return status


def _sources(con: duckdb.DuckDBPyConnection, status: pd.DataFrame) -> list[str]:
    """ "operators · file (date)" for each indicator, from its last upload."""
    ids = status["last_upload_id"].dropna().astype(int).unique().tolist() if "last_upload_id" in status else []
    uploads = sql.uploads_by_id(con, ids).set_index("upload_id") if ids else pd.DataFrame()
    out = []
    for _, row in status.iterrows():
        ops = row.get("operators")
        ops_text = ", ".join(ops) if isinstance(ops, (list, tuple)) else (ops if isinstance(ops, str) else "")
        upload = row.get("last_upload_id")
        file_text = ""
        if upload is not None and upload == upload and int(upload) in uploads.index:
            u = cast("pd.Series[Any]", uploads.loc[int(upload)])  # one row per upload
            file_text = f"{u['file_name']} ({pd.Timestamp(u['uploaded_at']).strftime('%d/%m/%Y')})"
        out.append(" · ".join(t for t in (ops_text, file_text) if t))
    return out


def compute(
    con: duckdb.DuckDBPyConnection, fw: Framework, filters: Filters = Filters(), kinds: Iterable[str] = tuple(SPECS)
) -> Coverage:
    """Every matrix (or those of `kinds`) for the filters; the window defaults to the programme."""
    window = filters.window or (fw.calendar.start, fw.calendar.end)
    filters = replace(filters, window=window)
    status = indicator_status(con, fw, filters, window)
    return Coverage(
        matrices={k: matrix(fw, k, status, filters) for k in kinds},
        filters=filters,
        window=window,
        framework_version=fw.version,
        last_update=sql.last_data_update(con),
        filter_labels=describe(fw, filters, window),
    )


# ------------------------------------------------------------------ tables for people

TABLE_COLUMNS = {
    "indicator": "Indicateur",
    "label": "Libellé",
    "unit": "Unité",
    "latest_period": "Dernière période",
    "latest_value": "Dernière valeur",
    "target": "Cible",
    "target_period": "Échéance de la cible",
    "progress": "Progression",
    "status_label": "Statut",
    "n_in_window": "Valeurs sur la période",
    "source": "Source (opérateurs · dernier envoi)",
    "comment": "Commentaire",
}


def _table(detail: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    out = detail.copy()
    out["status_label"] = (
        out["status"].map(figures.STATUS_LABELS).fillna(IndicatorStatus.NO_DATA.label) if "status" in out else ""
    )
    for name in columns:
        if name not in out:
            out[name] = None
    return out[list(columns)].rename(columns=columns)


def cell_table(
    matrix: Matrix,
    row: str,
    col: str,
    fmt: Callable[[float, int], str] | None = None,
    calendar: Calendar | None = None,
) -> pd.DataFrame:
    """The indicators of one cell, one row each, with French headers: what a click shows.
    With `fmt` (e.g. ui.fmt_number) the numbers come back as French text; with `calendar` the
    periods as French labels (« T3 2019 »)."""
    detail = matrix.cell_detail(row, col)
    if calendar is not None:
        detail = detail.copy()
        for name in ("latest_period", "target_period"):
            if name in detail:
                detail[name] = [label_of(c, calendar) for c in detail[name]]
    if fmt is not None:
        detail = detail.copy()
        for name in ("latest_value", "target"):
            if name in detail:
                detail[name] = [fmt(v, 0 if float(v).is_integer() else 1) if pd.notna(v) else "–" for v in detail[name]]
        if "progress" in detail:
            detail["progress"] = [f"{fmt(100 * v, 0)}\u00a0%" if pd.notna(v) else "–" for v in detail["progress"]]
    return _table(detail, TABLE_COLUMNS)


def detail_table(cov: Coverage) -> pd.DataFrame:
    """One row per matrix × cell × indicator with French headers: the detail sheet and CSV."""
    frames = []
    for m in cov.matrices.values():
        d = m.detail.merge(m.cells[["row", "col", "state_label"]], on=["row", "col"], how="left")
        d.insert(0, "matrix", m.title)
        frames.append(d)
    columns = {
        "matrix": "Matrice",
        "row": "Ligne (code)",
        "row_label": "Ligne",
        "col": "Colonne (code)",
        "col_label": "Colonne",
        "state_label": "État de la cellule",
    } | TABLE_COLUMNS
    detail = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return _table(detail, columns)


# ------------------------------------------------------------------ indicator status by dimension


def _dimension_status(fw: Framework, status: pd.DataFrame, dimension: str) -> pd.Series:
    codes = [i.code for i in fw.indicators if dimension in i.dimensions]
    return status[status["indicator"].isin(codes)]["status"].value_counts()


def dimension_counts(fw: Framework, status: pd.DataFrame) -> pd.DataFrame:
    """Indicators of each dimension by status, long (dimension, label, status, status_label, count): the chart."""
    rows = [
        (dim.code, dim.label, s, label, int(_dimension_status(fw, status, dim.code).get(s, 0)))
        for dim in fw.dimensions
        for s, label in figures.STATUS_LABELS.items()
    ]
    return pd.DataFrame(rows, columns=["dimension", "label", "status", "status_label", "count"])


def dimension_table(fw: Framework, status: pd.DataFrame) -> pd.DataFrame:
    """One row per dimension, French headers: indicators, how many in each status, keys served.
    The home page and the committee pack show this same table."""
    rows = []
    for dim in fw.dimensions:
        counts = _dimension_status(fw, status, dim.code)
        rows.append(
            {
                "Dimension": dim.label,
                "Indicateurs": sum(1 for i in fw.indicators if dim.code in i.dimensions),
                **{label: int(counts.get(s, 0)) for s, label in figures.STATUS_LABELS.items()},
                "Clés servies": f"{sum(1 for k in fw.keys if (dim.code, k.code) in fw.served_cells)} / {len(fw.keys)}",
            }
        )
    return pd.DataFrame(rows)
