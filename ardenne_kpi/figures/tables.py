"""The figures as tables for people: the Interreg view and table, the export frame, the
values and lineage tables in French, group labels and decimals.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import duckdb
import pandas as pd

from ardenne_kpi.core.errors import KpiError
from ardenne_kpi.core.format import percent_value
from ardenne_kpi.core.indicator_status import STATUS_LABELS
from ardenne_kpi.core.periods import label_of, period_containing, period_from_code, periods_between
from ardenne_kpi.db import kpis as sql
from ardenne_kpi.figures.grains import BY_LABELS, GRAIN_LABELS, _filter, _indicator, evaluation_grain
from ardenne_kpi.figures.placement import rule_text
from ardenne_kpi.figures.rollup import _aggregate_many
from ardenne_kpi.figures.targets import _with_trend, expected_value, next_target, progress
from ardenne_kpi.framework import Framework, Indicator, expected, owed

# ------------------------------------------------------------------ views for reports


def interreg_view(fw: Framework, indicator_code: str, agg: pd.DataFrame) -> pd.DataFrame:
    """Interreg reporting: previously reported + this period = total, against the target.

    Flows add up (the target is the planned total over the programme: the expected value
    of every period of this grain up to the final target); stocks are already totals (this
    period = the increase); rates are not cumulated (total = this period's value).
    Columns: period, label, previously_reported, this_period, total, target, progress, complete.
    """
    ind = _indicator(fw, indicator_code)
    cols = ["period", "label", "previously_reported", "this_period", "total", "target", "progress", "complete"]
    if agg.empty:
        return pd.DataFrame(columns=cols)
    out = agg[["period", "label", "value", "complete", "period_start", "period_end"]].copy()
    values = out["value"].astype(float)
    if ind.agg_time == "sum":
        total = values.fillna(0).cumsum()
        previous = total - values.fillna(0)
        grain = period_from_code(out["period"].iloc[0], fw.calendar).grain
        if grain == evaluation_grain(ind, fw):
            first, last = out["period_start"].iloc[0], ind.final_target.period.end
            planned = sum(
                expected_value(ind, p.end) for p in periods_between(grain, first, last, fw.calendar) if p.end <= last
            )
        else:
            planned = float("nan")  # a yearly target is not summed from quarters' expectations
        out["target"] = planned
        out["progress"] = total / planned if planned else float("nan")
        out["this_period"] = values
    elif ind.agg_time == "last":
        total = values.ffill()
        previous = total.shift(1)
        out["this_period"] = total - previous.fillna(ind.baseline.value)
        out["target"] = [next_target(ind, d).value for d in out["period_end"]]
        out["progress"] = [
            progress(ind, v, next_target(ind, d)) for v, d in zip(total, out["period_end"], strict=False)
        ]
    else:
        total = values
        previous = pd.Series(float("nan"), index=out.index)
        out["this_period"] = values
        out["target"] = [next_target(ind, d).value for d in out["period_end"]]
        out["progress"] = [
            progress(ind, v, next_target(ind, d)) for v, d in zip(values, out["period_end"], strict=False)
        ]
    out["previously_reported"] = previous
    out["total"] = total
    return out[cols].reset_index(drop=True)


def interreg_table(
    fw: Framework, indicator_code: str, view: pd.DataFrame, fmt: Callable[[float, int], str] | None = None
) -> pd.DataFrame:
    """The Interreg view as a French table (numbers formatted with `fmt` when given)."""
    decimals = decimals_of(_indicator(fw, indicator_code))
    names = {
        "label": "Période",
        "previously_reported": "Déjà déclaré",
        "this_period": "Cette période",
        "total": "Total",
        "target": "Cible",
        "progress": "Progression",
    }
    table = view[list(names)].copy()
    if fmt:
        for column in ("previously_reported", "this_period", "total", "target"):
            table[column] = [fmt(v, decimals) for v in table[column]]
        table["progress"] = [fmt(100 * v, 0) + " %" if pd.notna(v) else "–" for v in table["progress"]]
    table["Complète"] = ["oui" if c else "non" for c in view["complete"]]
    return table.rename(columns=names)


EXPORT_COLUMNS = [
    "indicator",
    "period",
    "period_start",
    "period_end",
    "value",
    "complete",
    "cumulative",
    "baseline",
    "target",
    "progress",
    "status",
    "rule",
    "note",
]


def export_frame(con: duckdb.DuckDBPyConnection, fw: Framework, grain: str, *, submitted: bool = False) -> pd.DataFrame:
    """One row per indicator × period at `grain` with a value, or without one when a report
    was due there or the value cannot be built at this grain; over every operator, zone and audience.

    Columns: indicator, period, period_start, period_end, value (empty when none can be
    built), complete, cumulative, baseline, target, progress, status (empty when not
    comparable or incomplete), rule (how the figure is built), note (in French, what is
    missing or why no value can be built).
    """
    if grain not in GRAIN_LABELS:
        raise KpiError(f"Granularité « {grain} » inconnue : {', '.join(GRAIN_LABELS)}.")
    codes = [i.code for i in fw.indicators]
    agg = _aggregate_many(con, fw, {c: grain for c in codes}, _filter(fw, codes, submitted=submitted))
    agg = agg[agg["value"].notna() | agg["explained"].astype(bool)]
    if agg.empty:
        return pd.DataFrame(columns=EXPORT_COLUMNS)
    out = _with_trend(fw, agg)
    out["rule"] = out["indicator"].map({c: rule_text(fw.indicator(c)) for c in out["indicator"].unique()})
    order = {c: i for i, c in enumerate(codes)}
    out = out.sort_values(["indicator", "period_start"], key=lambda s: s.map(order) if s.name == "indicator" else s)
    return out[EXPORT_COLUMNS].reset_index(drop=True)


# ------------------------------------------------------------------ tables for people


def values_table(
    fw: Framework,
    indicator_code: str,
    trend: pd.DataFrame,
    fmt: Callable[[float, int], str] | None = None,
    by: str | None = None,
) -> pd.DataFrame:
    """The values of one indicator as a French table (formatted with `fmt` when given, e.g. ui.fmt_number).

    Without `fmt` (the CSV download) numbers are rounded to the indicator's decimals and the
    progress is a percentage (« Progression (%) »), never a raw float or a fraction. A running
    total (« Cumul ») only for flows: a rate or a stock does not add up."""
    ind = _indicator(fw, indicator_code)
    decimals = decimals_of(ind)
    table = pd.DataFrame({"Période": trend["label"]})
    if by:
        table.insert(0, BY_LABELS[by], [fw.label(_section(by), c) or "Tous publics (non ventilé)" for c in trend[by]])
    numeric = {"Valeur": trend["value"]}
    if adds_up(ind):
        numeric["Cumul"] = trend["cumulative"]
    like = bool(trend["comparable"].iloc[0]) if "comparable" in trend and len(trend) else True
    for column in ("expected", "target") if like else ():  # no target beside values it cannot be compared with
        if column in trend:
            numeric[{"expected": "Attendu (rythme linéaire)", "target": "Cible"}[column]] = trend[column]
    for name, series in numeric.items():
        table[name] = [
            fmt(v, decimals)
            if fmt and pd.notna(v)
            else ("" if fmt else (round(float(v), decimals) if pd.notna(v) else None))
            for v in series
        ]
    if "progress" in trend:
        if fmt:
            table["Progression"] = [fmt(100 * v, 0) + " %" if pd.notna(v) else "" for v in trend["progress"]]
        else:
            table["Progression (%)"] = [percent_value(v) for v in trend["progress"]]
    if "status" in trend:
        table["Statut"] = [STATUS_LABELS.get(s, "") for s in trend["status"]]
    table["Complète"] = ["oui" if c else "non" for c in trend["complete"]]
    table["Remarque"] = trend["note"].to_numpy()
    return table.reset_index(drop=True)


def adds_up(ind: Indicator) -> bool:
    """Whether a running total means something: flows summed over time, not rates, ratios or stocks."""
    return ind.agg_time == "sum" and not ind.is_percent and not ind.is_ratio


def _section(by: str) -> str:
    return {"zone": "zones", "operator": "operators", "audience": "audiences"}[by]


def group_label(fw: Framework, by: str, code: str) -> str:
    """French name of a breakdown group ('' audience = not broken down)."""
    if by == "audience" and not code:
        return "Tous publics (non ventilé)"
    return fw.label(_section(by), code)


def group_labels(fw: Framework, by: str, parts: pd.DataFrame) -> dict[str, str]:
    """French names of the groups of a breakdown (`aggregate(…, by=by)`)."""
    return {c: group_label(fw, by, c) for c in parts[by].unique()}


# "Where does it come from" first: on a projector the right-hand columns are the first to scroll away.
LINEAGE_LABELS = {
    "period": "Période",
    "value": "Valeur",
    "comment": "Commentaire du partenaire",
    "reason": "Compté ?",
    "file_name": "Fichier",
    "upload_id": "Import n°",
    "sheet": "Feuille",
    "cell": "Cellule",
    "operator": "Opérateur",
    "zone": "Zone",
    "audience": "Public",
    "numerator": "Numérateur",
    "denominator": "Dénominateur",
    "uploaded_by": "Importé par",
    "uploaded_at": "Importé le",
}


# File names of uploads made on the web form (web_entry.file_name), and the template's first line.
WEB_ENTRY_PREFIX = "saisie_en_ligne_"
TEMPLATE_FIRST_ROW = 7


def lineage_table(
    fw: Framework, lineage_df: pd.DataFrame, fmt: Callable[[float, int], str] | None = None, decimals: int = 0
) -> pd.DataFrame:
    """The lineage as a French table: names instead of codes, numbers formatted with `fmt`."""
    table = lineage_df[list(LINEAGE_LABELS)].copy()
    table["operator"] = [fw.label("operators", c) for c in table["operator"]]
    table["zone"] = [fw.label("zones", c) for c in table["zone"]]
    table["audience"] = [group_label(fw, "audience", c) for c in table["audience"]]
    if fmt:
        table["value"] = [fmt(v, decimals) for v in table["value"]]
        for column in ("numerator", "denominator"):
            table[column] = [fmt(v, 0) if pd.notna(v) else "" for v in table[column]]
    table["comment"] = table["comment"].fillna("")
    table["period"] = [label_of(c, fw.calendar) for c in table["period"]]
    table["uploaded_at"] = [
        pd.Timestamp(t).strftime("%d/%m/%Y %H:%M") if pd.notna(t) else "" for t in table["uploaded_at"]
    ]
    # A value entered on the web form: its "file" is the form, its row the grid's line.
    online = table["file_name"].astype(str).str.startswith(WEB_ENTRY_PREFIX)
    table.loc[online, "file_name"] = [
        f"saisi en ligne par {by or 'un utilisateur'} le {at[:10]}"
        for by, at in zip(table.loc[online, "uploaded_by"], table.loc[online, "uploaded_at"], strict=True)
    ]
    table.loc[online, "cell"] = [
        f"ligne {int(c[1:]) - TEMPLATE_FIRST_ROW + 1} de la grille" if str(c)[1:].isdigit() else c
        for c in table.loc[online, "cell"]
    ]
    return table.rename(columns=LINEAGE_LABELS)


def decimals_of(ind: Indicator) -> int:
    """Decimals to show: one for rates and means, none for counts."""
    return 1 if ind.is_percent or ind.agg_time == "mean" else 0


def outside_series(con: duckdb.DuckDBPyConnection, fw: Framework) -> pd.DataFrame:
    """Every series reported outside any obligation (expected.py: data « hors obligation »), with
    its first and last reported periods: what the coordination may adopt as an obligation, or end.

    Columns: indicator, operator, zone, audience, grain, first_period, last_period.
    """
    columns = ["indicator", "operator", "zone", "audience", "grain", "first_period", "last_period"]
    spans = sql.series_spans(con, sql.ValueFilter())
    if spans.empty:
        return pd.DataFrame(columns=columns)
    exp = expected.expected_series(fw, spans)
    keys = ["indicator", "operator", "zone", "audience"]
    outside = exp[~exp["obligation"]][keys].drop_duplicates()
    out = spans.merge(outside, on=keys)
    # a breakdown of a series the same operator owes (its NL visitors beside all visitors) needs no obligation
    inside = fw.within

    def part_of_owed(op: str, code: str, zone: str, audience: str) -> bool:
        ob = fw.obligation(op, code)
        return ob is not None and any(
            key != (zone, audience) and inside((zone, audience), key) for key in owed.obligation_keys(fw, ob)
        )

    out = out[
        [
            not part_of_owed(*k)
            for k in zip(out["operator"], out["indicator"], out["zone"], out["audience"], strict=True)
        ]
    ]
    if out.empty:
        return pd.DataFrame(columns=columns)

    def code(day: dt.date, grain: str) -> str:
        found = period_containing(pd.Timestamp(day).date(), grain, fw.calendar)
        return found.code if found is not None else ""

    out["first_period"] = [code(d, g) for d, g in zip(out["first_start"], out["grain"], strict=True)]
    out["last_period"] = [code(d, g) for d, g in zip(out["last_end"], out["grain"], strict=True)]
    order = {c.code: n for n, c in enumerate(fw.indicators)}
    out = out.assign(_o=out["indicator"].map(order)).sort_values(["_o", "operator", "zone", "audience"])
    return out[columns].reset_index(drop=True)
