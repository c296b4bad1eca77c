"""The lineage of a figure: every stored value it is built from, with its upload and the
reason it counts or not, and the same explained in French sentences.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

import duckdb
import pandas as pd

from ardenne_kpi.db import SUBMITTED
from ardenne_kpi.db import kpis as sql
from ardenne_kpi.figures.grains import GRAIN_LABELS, LINEAGE_COLUMNS, _filter, _indicator, _period
from ardenne_kpi.figures.placement import _covers, _expected, _n_sub, _rules, rule_text
from ardenne_kpi.figures.rollup import aggregate
from ardenne_kpi.framework import Framework

# ------------------------------------------------------------------ lineage

PENDING_NOTE = " — soumis, pas encore validé par la coordination"

LINEAGE_REASONS = {
    "": "compté",
    "grain": "non compté : la même série a déclaré la période et ses sous-périodes, l'autre déclaration compte",
    "nested": "non compté : territoire déjà compris dans {outer}",
    "part": "non compté : détail du total {outer} du même rapport, qui compte",
    "duplicate": "non compté : même territoire mesuré dans un autre rapport, plus récent",
    "crossing": "non compté : recoupe {outer}, qui compte (série due, ou zone plus large)",
}


def lineage(
    con: duckdb.DuckDBPyConnection,
    fw: Framework,
    indicator_code: str,
    period_code: str,
    *,
    operators: Iterable[str] | None = None,
    zones: Iterable[str] | None = None,
    audiences: Iterable[str] | None = None,
    submitted: bool = False,
) -> pd.DataFrame:
    """The stored values behind one aggregated figure (those wholly inside the period, by
    the figure's own rules), each saying whether it counts and why not.

    Columns: operator, zone, audience, period, value, numerator, denominator, upload_id,
    file_name, uploaded_by, uploaded_at, sheet, cell, stored_path (None when the original
    file was not kept), comment, counted, reason (French).
    """
    ind = _indicator(fw, indicator_code)
    period = _period(fw, period_code)
    flt = _filter(
        fw, [indicator_code], operators, zones, audiences, window=(period.start, period.end), submitted=submitted
    )
    stored = sql.stored_periods(con, flt)
    records = cast(list[dict[str, Any]], stored.to_dict("records"))  # keyed by column names
    tiling = {r["period"]: _n_sub(period, r["grain"], fw.calendar) for r in records}
    mixed = len({r["grain"] for r in records if tiling[r["period"]]}) > 1
    # A value whose grain does not tile the period (a programme semester in a calendar year)
    # is listed, apart (its own placeholder period), and never counted.
    apart = period.code + "#"
    placement = pd.DataFrame(
        [
            (
                indicator_code,
                r["period"],
                period.code if tiling[r["period"]] else apart,
                period.end,
                tiling[r["period"]] or 1,
                mixed if tiling[r["period"]] else False,
            )
            for r in records
        ],
        columns=["indicator", "period", "p_code", "p_end", "n_sub", "mixed"],
    )
    out = sql.counted_values(
        con,
        flt,
        _rules(fw, [ind.code]),
        placement,
        _covers(fw, "zones"),
        _covers(fw, "audiences"),
        _expected(fw, [ind.code], flt, None, sql.series_spans(con, flt)),
    )
    out["reason"] = [LINEAGE_REASONS[r].format(outer=o) for r, o in zip(out["reason"], out["outer_zone"], strict=False)]
    untiled = out["p_code"] == apart
    out.loc[untiled, "counted"] = False
    out.loc[untiled, "reason"] = "non compté : sa période ne découpe pas exactement celle-ci (jamais réparti)"
    if ind.is_ratio and not out.empty:  # a ratio given without its components counts, but cannot be weighted
        bare = out["numerator"].isna() | out["denominator"].isna()
        out.loc[bare, "reason"] = out.loc[bare, "reason"] + " (sans numérateur ni dénominateur : non pondérable)"
    # Listed only when the reader includes submitted figures: say which are not validated yet.
    pending = out["review"] == SUBMITTED
    if pending.any():
        out.loc[pending, "reason"] = out.loc[pending, "reason"] + PENDING_NOTE
    return out[LINEAGE_COLUMNS].reset_index(drop=True)


def explain(
    con: duckdb.DuckDBPyConnection,
    fw: Framework,
    indicator_code: str,
    period_code: str,
    *,
    operators: Iterable[str] | None = None,
    zones: Iterable[str] | None = None,
    audiences: Iterable[str] | None = None,
    submitted: bool = False,
) -> dict[str, Any]:
    """One figure with everything behind it: its value, whether it is complete, the rule and
    the note that built it, and its lineage (what the page and `lineage` command show).

    Returns {indicator, label, unit, period, period_label, grain, value, complete, rule,
    note, lineage (DataFrame, see `lineage`)}.
    """
    ind = _indicator(fw, indicator_code)
    period = _period(fw, period_code)
    figure: dict[str, Any] = {
        "value": float("nan"),
        "complete": False,
        "note": "Aucune valeur déclarée pour cette période.",
    }
    if period.grain in GRAIN_LABELS or period.grain == "month":
        agg = aggregate(
            con, fw, ind.code, period.grain, operators=operators, zones=zones, audiences=audiences, submitted=submitted
        )
        match = agg[agg["period"] == period.code]
        if not match.empty:
            figure = cast(dict[str, Any], match.iloc[0].to_dict())  # keyed by column names
    return {
        "indicator": ind.code,
        "label": ind.label,
        "unit": ind.unit,
        "period": period.code,
        "period_label": period.label_fr,
        "grain": period.grain,
        "value": float(figure["value"]),
        "complete": bool(figure["complete"]),
        "rule": rule_text(ind),
        "note": figure["note"],
        "lineage": lineage(
            con, fw, ind.code, period.code, operators=operators, zones=zones, audiences=audiences, submitted=submitted
        ),
    }
