"""The roll-up driver: every indicator's values aggregated to the periods of a grain, series
by series then across series, in one pass of SQL (db/kpis.py), and the trends built on it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterable, Sequence
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from ardenne_kpi.core.errors import KpiError
from ardenne_kpi.db import kpis as sql
from ardenne_kpi.figures.grains import (
    AGGREGATE_COLUMNS,
    GRAIN_LABELS,
    _filter,
    _indicator,
    display_grain,
    evaluation_grain,
)
from ardenne_kpi.figures.placement import (
    _TOP_MASK_BITS,
    _beyond_text,
    _covers,
    _cumulative,
    _Due,
    _due,
    _note,
    _NoteRow,
    _placement,
    _root_zone,
    _rules,
    _whole_figure,
)
from ardenne_kpi.figures.targets import TREND_COLUMNS, _with_trend
from ardenne_kpi.framework import Framework


def _aggregate_many(
    con: duckdb.DuckDBPyConnection,
    fw: Framework,
    grains: dict[str, str],
    flt: sql.ValueFilter,
    by: str | None = None,
    stored: pd.DataFrame | None = None,
    due: _Due | None = None,
) -> pd.DataFrame:
    """Aggregated rows for several indicators, each at its own grain.

    Each series (operator × zone × audience) is rolled up on its own to the period, from
    the stored periods the period wholly contains, by the time rule; then the series are
    combined by the space rule (nested territories once, an operator's total rather than its
    parts, ratios from their components). A period is complete when every series expected
    there (expected.py) covers the part of it it is due. `stored`: sql.stored_periods' rows
    for this filter and `by` when the caller has them already (they do not depend on the grain);
    `due`: likewise, what is due (_due: the expected series and their shape).
    """
    empty = pd.DataFrame(columns=["indicator", "grp", *AGGREGATE_COLUMNS, "explained"])
    if by not in sql.BY_COLUMNS:
        raise KpiError(f"Ventilation « {by} » inconnue : zone, operator ou audience.")
    if not grains:
        return empty
    root = _root_zone(fw)
    if stored is None:
        stored = sql.stored_periods(con, flt, by, root)
    stored = stored[stored["indicator"].isin(list(grains))]
    due = due if due is not None else _due(con, fw, grains, flt, by)
    exp, shape = due.expected[due.expected["indicator"].isin(list(grains))], due.shape
    if stored.empty and exp.empty:
        return empty
    stored = stored.assign(
        period_start=pd.to_datetime(stored["period_start"]).dt.date,
        period_end=pd.to_datetime(stored["period_end"]).dt.date,
        n_ever=[due.n_ever.get(key, 0) for key in zip(stored["indicator"], stored["grp"], strict=True)],
    )
    shape = {key: form for key, form in shape.items() if key[0] in grains}
    spans = {key: form["span"] for key, form in shape.items()}
    placement, targets, notes = _placement(fw, grains, stored, spans)
    found: dict[tuple[str, str, str], sql.FigureRow] = {}  # the figures' rows by (indicator, group, period)
    slow: list[tuple[str, str, str, bool]] = []
    # Each target period's rank among its indicator's, from 0: the per-series pass marks the
    # periods a key was reported in as bits of a 128-bit integer (_TOP_MASK_BITS).
    rank = {(p[0], p[2]): p[5] for p in placement}
    first_rank: dict[str, int] = {}
    for (code, _), r in rank.items():
        first_rank[code] = min(r, first_rank.get(code, r))
    placement = [(*p[:5], p[5] - first_rank[p[0]], p[6]) for p in placement]
    for code, grp, p_code, p_start, p_end, _, tiling in targets:
        ind, records = fw.indicator(code), notes[(code, grp, p_code)]["records"]
        whole = _whole_figure(ind, min(p_end, fw.calendar.end), records)
        form = shape.get((code, grp))
        if whole is not None and form is not None:
            alone = (
                form["n_keys"] == whole["n_series"]
                and form["from"] <= p_start
                and form["to"] >= p_end
                and form["grains"] == {records[0]["grain"]}
                and not form["nests"]
                and not form["mixed"]
            )
            # every series expected there reported: those outside any obligation among them, named
            whole = whole | {"n_outside": form["n_outside"], "outside": form["outside"]} if alone else None
        if whole is None and not records and (form is None or form["grains"].isdisjoint(tiling)):
            continue  # nothing lies there, and nothing is due at a grain that can build the period
        if whole is None:
            # A territory whose widest key (the whole Ardenne, or the group itself) was measured
            # there, or an output whose every reporting operator gave that key (its total): every
            # other key of a known zone lies inside it, so only that key's series (and those of
            # zones the framework does not know) go through the per-series pass.
            nests = form is not None and form["nests"]
            top_only = (
                bool(records)
                and rank[(code, p_code)] - first_rank[code] < _TOP_MASK_BITS
                and (
                    any(r["has_top"] for r in records)
                    if ind.is_territory
                    else nests and all(r["tops_all"] for r in records)
                )
            )
            slow.append((code, grp, p_code, top_only))
        else:
            found[(code, grp, p_code)] = whole
    if slow:
        periods = pd.DataFrame(targets, columns=["indicator", "grp", "p_code", "p_start", "p_end", "label", "tiling"])
        # The per-series pass reads the values of these indicators alone.
        figures = sql.series_rollup(
            con,
            dataclasses.replace(flt, indicators=sorted({s[0] for s in slow})),
            by,
            _rules(fw, grains, {code for (code, _), form in shape.items() if form["nests"]}),
            pd.DataFrame(placement, columns=["indicator", "period", "p_code", "p_end", "n_sub", "p_idx", "mixed"]),
            periods[["indicator", "grp", "p_code", "p_start", "p_end", "tiling"]].astype(
                {"p_start": "datetime64[us]", "p_end": "datetime64[us]"}
            ),
            pd.DataFrame(slow, columns=["indicator", "grp", "p_code", "top_only"]),
            _covers(fw, "zones"),
            _covers(fw, "audiences"),
            exp[exp["indicator"].isin({s[0] for s in slow})],
            root,
        )
        found |= {(r["indicator"], r["grp"], r["period"]): r for r in figures}
    bounds = stored.groupby(["indicator", "grp"]).agg(lo=("period_start", "min"), hi=("period_end", "max"))
    stored_span = dict(zip(bounds.index, zip(bounds["lo"], bounds["hi"], strict=True), strict=True))
    rows: list[dict[str, Any]] = []
    for code, grp, p_code, p_start, p_end, label, _ in targets:
        fig = found.get((code, grp, p_code), {})
        value = fig.get("value")
        value = float("nan") if value is None or pd.isna(value) else float(value)
        explained = bool(int(fig.get("n_missing") or 0) or notes[(code, grp, p_code)]["untiled"])
        inside = (
            (code, grp) in stored_span
            and stored_span[(code, grp)][0] <= p_end
            and p_start <= stored_span[(code, grp)][1]
        )
        if math.isnan(value) and not explained and not inside:
            continue  # outside the values and nothing missing: no row
        row: dict[str, Any] = {
            "indicator": code,
            "grp": grp,
            "period": p_code,
            "period_start": p_start,
            "period_end": p_end,
            "value": value,
            "label": label,
            "n_values": int(fig.get("n_values") or 0),
        }
        note_row: _NoteRow = {**fig, "value": value, "label": label, "period": p_code}
        beyond = p_start < fw.calendar.start or p_end > fw.calendar.end
        row["complete"] = (
            not math.isnan(value)
            and not int(fig.get("n_missing") or 0)
            and not int(fig.get("n_crossing") or 0)
            and not beyond
        )
        row["note"] = _note(note_row, notes[(code, grp, p_code)], fw.calendar)
        if beyond and not math.isnan(value):
            row["note"] = (row["note"] + " " if row["note"] else "") + _beyond_text(fw)
        # A period without value is worth a row when something was due there or could not be built.
        row["explained"] = explained
        rows.append(row)
    if not rows:
        return empty
    out = pd.DataFrame(rows).sort_values(["indicator", "grp", "period_start"], ignore_index=True)
    out["cumulative"] = _cumulative(fw, out)
    return out[["indicator", "grp", *AGGREGATE_COLUMNS, "explained"]]


def aggregate(
    con: duckdb.DuckDBPyConnection,
    fw: Framework,
    indicator_code: str,
    grain: str,
    *,
    operators: Iterable[str] | None = None,
    zones: Iterable[str] | None = None,
    audiences: Iterable[str] | None = None,
    by: str | None = None,
    as_of: dt.date | None = None,
    window: tuple[dt.date, dt.date] | None = None,
    submitted: bool = False,
) -> pd.DataFrame:
    """The indicator per period of `grain`, following its rule over time and across zones.

    Columns: period, period_start, period_end, value, complete, cumulative, note, label
    (French period name), n_values, plus the `by` column (zone, operator or audience) when
    asked for a breakdown. Empty (same columns) when nothing was reported.
    """
    _indicator(fw, indicator_code)
    if grain not in GRAIN_LABELS and grain != "month":
        raise KpiError(f"Granularité « {grain} » inconnue : {', '.join(GRAIN_LABELS)}.")
    flt = _filter(fw, [indicator_code], operators, zones, audiences, as_of, window, submitted)
    out = _aggregate_many(con, fw, {indicator_code: grain}, flt, by)
    columns = AGGREGATE_COLUMNS + ([by] if by else [])
    if by:
        out = out.rename(columns={"grp": by})
        out = out[[by, *AGGREGATE_COLUMNS]].sort_values([by, "period_start"], ignore_index=True)
    return out[columns].reset_index(drop=True)


def trends(
    con: duckdb.DuckDBPyConnection,
    fw: Framework,
    codes: Sequence[str],
    grain: str,
    *,
    operators: Iterable[str] | None = None,
    zones: Iterable[str] | None = None,
    audiences: Iterable[str] | None = None,
    as_of: dt.date | None = None,
    window: tuple[dt.date, dt.date] | None = None,
    submitted: bool = False,
) -> dict[str, pd.DataFrame]:
    """Trend frames (kpis.trend_frame) of several indicators at once, each at its display grain.

    One SQL pass for all of them: this is what the small-multiples grid needs. Indicators
    without any value are absent from the result.
    """
    grains = {c: display_grain(_indicator(fw, c), grain) for c in codes}
    flt = _filter(fw, list(codes), operators, zones, audiences, as_of, window, submitted)
    return _trend_frames(fw, _aggregate_many(con, fw, grains, flt))


def _trend_frames(fw: Framework, agg: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """`trends`' result from _aggregate_many's rows: one trend frame per indicator."""
    if agg.empty:
        return {}
    agg = _with_trend(fw, agg.sort_values(["indicator", "grp", "period_start"], ignore_index=True))
    codes = agg["indicator"].to_numpy()
    bounds = np.flatnonzero(codes[1:] != codes[:-1]) + 1  # sorted: each indicator's rows are one slice
    starts, ends = np.r_[0, bounds], np.r_[bounds, len(codes)]
    frame = agg.drop(columns=["indicator", "grp"])
    return {codes[a]: frame.iloc[a:b].reset_index(drop=True) for a, b in zip(starts, ends, strict=True)}


def evaluation_trends(
    con: duckdb.DuckDBPyConnection,
    fw: Framework,
    codes: Sequence[str],
    *,
    by: str | None = None,
    submitted: bool = False,
) -> pd.DataFrame:
    """Trend frames (kpis.trend_frame) of several indicators stacked, each at its evaluation
    grain (where it is judged against its targets), in one SQL pass; with `by`, one series
    per zone, operator or audience in column `grp`. Columns: indicator, grp, then trend_frame's."""
    grains = {c: evaluation_grain(_indicator(fw, c), fw) for c in codes}
    agg = _aggregate_many(con, fw, grains, _filter(fw, list(codes), submitted=submitted), by)
    if agg.empty:
        return pd.DataFrame(columns=["indicator", "grp", *AGGREGATE_COLUMNS, "explained", *TREND_COLUMNS])
    return _with_trend(fw, agg.reset_index(drop=True))
