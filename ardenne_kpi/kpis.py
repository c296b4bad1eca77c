"""KPI trends against targets: aggregation that follows each indicator's rule, targets and
progress, the status shared by every page, and the lineage of any figure.

The arithmetic, decided once here:
- over time a series (operator × zone × audience) is reduced by the indicator's agg_time
  (sum for flows, last for stocks, mean for rates), then series are combined by agg_space;
- a stored value counts in a period only if it lies wholly inside it; a value straddling
  the edge (a programme semester in a calendar year) or covering a longer period counts
  nowhere, and the period's note says so: nothing is ever split pro rata;
- a period where some series does not cover every day keeps its partial value with
  complete = False: "not reported" is not zero, and a partial sum is never shown as whole;
- progress = (value − baseline) / (target − baseline), read in the indicator's direction;
  the expected value at a date follows a linear pace from the baseline through each dated
  target; status compares progress with the expected progress (framework thresholds);
- flows are judged at their target's grain (a yearly target against a year's sum), stocks
  at their reporting grain (the latest stock), rates at their target's grain.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Sequence

import duckdb
import pandas as pd

from ardenne_kpi.db import kpis as sql
from ardenne_kpi.errors import ArdenneError, PeriodError
from ardenne_kpi.framework import Framework, Indicator, Target
from ardenne_kpi.periods import Period, period_from_code, periods_between, subperiods

STATUS_LABELS = {"on_track": "En bonne voie", "at_risk": "À surveiller", "off_track": "En retard",
                 "no_data": "Sans données"}
# Okabe–Ito palette: distinguishable with every common colour-vision deficiency; the page
# always prints the label beside the colour too.
STATUS_COLORS = {"on_track": "#009E73", "at_risk": "#E69F00", "off_track": "#D55E00", "no_data": "#8C8C8C"}
STATUS_SYMBOLS = {"on_track": "●", "at_risk": "▲", "off_track": "■", "no_data": "○"}
STATUS_ORDER = ("off_track", "at_risk", "on_track", "no_data")

GRAIN_LABELS = {"quarter": "Trimestre", "semester": "Semestre civil",
                "programme-semester": "Semestre du programme (Interreg)", "year": "Année"}
BY_LABELS = {"zone": "Zone", "operator": "Opérateur", "audience": "Public"}
# How coarse a grain is; programme and calendar semesters are equally coarse but do not nest.
_GRAIN_RANK = {"month": 0, "quarter": 1, "semester": 2, "programme-semester": 2, "year": 3, "range": 4}

STATUS_COLUMNS = ["indicator", "label", "unit", "latest_period", "latest_value", "baseline", "target",
                  "target_period", "expected", "progress", "status", "n_values", "operators", "last_upload_id",
                  "complete", "pace", "note"]
AGGREGATE_COLUMNS = ["period", "period_start", "period_end", "value", "complete", "cumulative", "note",
                     "label", "n_values"]
LINEAGE_COLUMNS = ["operator", "zone", "audience", "period", "value", "upload_id", "file_name", "uploaded_by",
                   "uploaded_at", "sheet", "cell", "stored_path"]


class KpiError(ArdenneError):
    """A KPI request that cannot be answered as asked (unknown indicator, unusable period)."""

    title = "Indicateur"


# ------------------------------------------------------------------ filters and grains


def _descendants(fw: Framework, section: str, codes: Iterable[str] | None) -> list[str] | None:
    """The codes and everything under them (zone ARD includes FR-08...); None stays None."""
    return None if codes is None else sorted(fw.descendants(section, codes))


def _filter(fw: Framework, codes: Sequence[str] | None, operators=None, zones=None, audiences=None,
            as_of: dt.date | None = None, window: tuple[dt.date, dt.date] | None = None) -> sql.ValueFilter:
    return sql.ValueFilter(indicators=None if codes is None else list(codes),
                           operators=None if operators is None else list(operators),
                           zones=_descendants(fw, "zones", zones), audiences=_descendants(fw, "audiences", audiences),
                           as_of=as_of, window=window)


def display_grain(ind: Indicator, grain: str) -> str:
    """The grain to show `ind` at: the chosen one, or the indicator's own when it is coarser.

    A yearly survey has nothing to show per quarter; its years are shown instead.
    """
    return ind.grain if _GRAIN_RANK.get(ind.grain, 0) > _GRAIN_RANK.get(grain, 0) else grain


def evaluation_grain(ind: Indicator) -> str:
    """The grain at which `ind` is compared with its targets (like with like).

    Flows and rates: the final target's grain (a yearly target against a year's total);
    stocks: the reporting grain (the latest stock, whatever the target's period).
    """
    if ind.agg_time == "last":
        return ind.grain
    grain = ind.final_target.period.grain
    return grain if grain in GRAIN_LABELS else ind.grain


def select_indicators(fw: Framework, *, dimension: str | None = None, key: str | None = None,
                      objective: str | None = None, project: str | None = None, operator: str | None = None,
                      audience: str | None = None) -> list[str]:
    """Codes of the indicators mapped (in the framework) to every given code, in framework order.

    An audience includes its sub-audiences (VIS covers NL, FR...).
    """
    audiences = set(_descendants(fw, "audiences", [audience]) or []) if audience else None
    out = []
    for ind in fw.indicators:
        if dimension and dimension not in ind.dimensions:
            continue
        if key and key not in ind.keys:
            continue
        if objective and objective not in ind.objectives:
            continue
        if project and project != ind.project:
            continue
        if operator and operator not in ind.operators:
            continue
        if audiences is not None and not audiences & set(ind.audiences):
            continue
        out.append(ind.code)
    return out


def _indicator(fw: Framework, code: str) -> Indicator:
    try:
        return fw.indicator(code)
    except KeyError:
        raise KpiError(f"L'indicateur « {code} » n'existe pas dans le référentiel {fw.version}.") from None


# ------------------------------------------------------------------ aggregation


def _join_codes(codes: Iterable[str]) -> str:
    return ", ".join(dict.fromkeys(codes))


def _note(value: float, missing: list[str], longer: list[str], straddles: list[str]) -> str:
    parts = []
    if pd.isna(value):
        parts.append("Aucune valeur déclarée pour cette période (non déclaré ≠ zéro).")
    elif missing:
        parts.append(f"Valeur partielle : {'; '.join(missing)}.")
    if straddles:
        many = len(set(straddles)) > 1
        parts.append(f"Non compté{'s' if many else ''} : {_join_codes(straddles)} "
                     f"{'chevauchent' if many else 'chevauche'} la limite de la période (jamais réparti au prorata).")
    if longer:
        many = len(set(longer)) > 1
        parts.append(f"Non compté{'s' if many else ''} : {_join_codes(longer)} "
                     f"{'couvrent' if many else 'couvre'} une période plus longue (jamais réparti).")
    return " ".join(parts)


def _whole_value(rule: tuple[str, str], counted: list[dict], n_expected: int) -> float | None:
    """The value of a complete period from per-stored-period sums, or None when series must be reduced one by one.

    Complete means every series reported every sub-period once, so the per-series rules
    reduce exactly to these sums (the mean of equal-sized means is the overall mean...).
    """
    total = sum(r["s"] for r in counted)
    k = len(counted)
    last = counted[-1]
    return {("sum", "sum"): total, ("sum", "mean"): total / n_expected, ("mean", "mean"): total / (n_expected * k),
            ("mean", "sum"): total / k, ("last", "sum"): last["s"], ("last", "mean"): last["s"] / last["n"]}.get(rule)


def _place(fw: Framework, period: Period, stored: list[dict], n_expected: int) -> dict:
    """Which stored periods count in `period`, whether it is complete, and what the note says."""
    contained = [r for r in stored if period.start <= r["period_start"] and r["period_end"] <= period.end]
    longer, straddles = [], []
    for r in stored:
        if r["period_start"] <= period.end and period.start <= r["period_end"] and r not in contained:
            covers = r["period_start"] <= period.start and r["period_end"] >= period.end
            (longer if covers else straddles).append(r["period"])
    counted, missing, complete = [], [], False
    if contained:
        # Several grains inside one period (quarters and the year): the one covering most wins, never both.
        by_grain: dict[str, list[dict]] = {}
        for r in contained:
            by_grain.setdefault(r["grain"], []).append(r)
        counted = max(by_grain.values(), key=lambda rs: (sum(((x["period_end"] - x["period_start"]).days + 1) * x["n"]
                                                              for x in rs), -len(rs)))
        counted.sort(key=lambda r: r["period_start"])
        grain = counted[0]["grain"]
        try:
            expected = subperiods(period, grain, fw.calendar) if grain in _GRAIN_RANK and grain != "range" else None
        except PeriodError:
            expected = None
        if expected is None:
            missing = ["des jours de la période ne sont couverts par aucune valeur"]
        else:
            found = {r["period"]: r["n"] for r in counted}
            for sub in expected:
                n = found.get(sub.code, 0)
                if n < n_expected:
                    missing.append(f"{sub.label_fr} déclaré par {n} série(s) sur {n_expected}" if n
                                   else f"{sub.label_fr} non déclaré")
        complete = not missing
    return {"counted": counted, "missing": missing, "complete": complete, "longer": longer, "straddles": straddles}


def _aggregate_many(con: duckdb.DuckDBPyConnection, fw: Framework, grains: dict[str, str], flt: sql.ValueFilter,
                    by: str | None = None) -> pd.DataFrame:
    """Aggregated rows for several indicators, each at its own grain.

    One GROUP BY per stored period in SQL, then the placement into periods on that small
    table; the per-series reduction runs in SQL only for incomplete periods (or a rule
    that needs it), on their values alone.
    """
    empty = pd.DataFrame(columns=["indicator", "grp", *AGGREGATE_COLUMNS])
    if by not in sql.BY_COLUMNS:
        raise KpiError(f"Ventilation « {by} » inconnue : zone, operator ou audience.")
    if not grains:
        return empty
    stored = sql.stored_periods(con, flt, by)
    stored = stored[stored["indicator"].isin(list(grains))]
    if stored.empty:
        return empty
    stored = stored.assign(period_start=pd.to_datetime(stored["period_start"]).dt.date,
                           period_end=pd.to_datetime(stored["period_end"]).dt.date)
    lo = min(stored["period_start"].min(), fw.calendar.start)
    hi = max(stored["period_end"].max(), fw.calendar.end)
    calendars = {g: periods_between(g, lo, hi, fw.calendar) for g in set(grains.values())}
    rows, placement = [], []
    # Plain records grouped by hand: pandas groupby costs too much per group with thousands of groups.
    groups: dict[tuple, list[dict]] = {}
    for record in stored.to_dict("records"):
        groups.setdefault((record["indicator"], record["grp"]), []).append(record)
    for (code, grp), records in groups.items():
        ind = fw.indicator(code)
        n_expected = int(records[0]["n_expected"])
        first = min(r["period_start"] for r in records)
        last = max(r["period_end"] for r in records)
        for period in calendars[grains[code]]:
            if period.end < first or period.start > last:
                continue
            placed = _place(fw, period, records, n_expected)
            counted = placed["counted"]
            value = None
            if counted and placed["complete"]:
                value = _whole_value((ind.agg_time, ind.agg_space), counted, n_expected)
            if counted and value is None:
                placement.extend((code, grp, r["period"], period.code) for r in counted)
            rows.append({"indicator": code, "grp": grp, "period": period.code, "period_start": period.start,
                         "period_end": period.end, "value": float("nan") if value is None else float(value),
                         "complete": placed["complete"], "n_values": sum(r["n"] for r in counted),
                         "label": period.label_fr, "_placed": placed})
    out = pd.DataFrame(rows)
    if placement:
        frame = pd.DataFrame(placement, columns=["indicator", "grp", "period", "p_code"])
        rules = pd.DataFrame([(c, fw.indicator(c).agg_time, fw.indicator(c).agg_space) for c in frame["indicator"].unique()],
                             columns=["indicator", "agg_time", "agg_space"])
        res = sql.series_aggregates(con, rules, frame, flt, by)
        found = dict(zip(zip(res["indicator"], res["grp"], res["period"], strict=False), res["value"], strict=False))
        fill = pd.Series([found.get(k, float("nan")) for k in zip(out["indicator"], out["grp"], out["period"], strict=False)],
                         index=out.index)
        out["value"] = out["value"].where(out["value"].notna(), fill)
    out["note"] = [_note(v, p["missing"], p["longer"], p["straddles"]) for v, p in zip(out["value"], out["_placed"], strict=False)]
    out["complete"] = out["complete"] & out["value"].notna()
    out = out.drop(columns="_placed").sort_values(["indicator", "grp", "period_start"], ignore_index=True)
    out["cumulative"] = _cumulative(fw, out)
    return out[["indicator", "grp", *AGGREGATE_COLUMNS]]


def _cumulative(fw: Framework, out: pd.DataFrame) -> pd.Series:
    """Running total for flows, the stock itself for stocks, the running mean for rates."""
    values = out["value"].astype(float)
    keys = [out["indicator"], out["grp"]]
    running_sum = values.groupby(keys).cumsum()
    running_mean = running_sum / values.notna().astype(int).groupby(keys).cumsum()
    rule = out["indicator"].map({c: fw.indicator(c).agg_time for c in out["indicator"].unique()})
    result = values.where(rule == "last", running_sum.where(rule == "sum", running_mean))
    return result.where(values.notna() | (rule == "mean"), float("nan"))


def aggregate(con: duckdb.DuckDBPyConnection, fw: Framework, indicator_code: str, grain: str, *,
              operators=None, zones=None, audiences=None, by: str | None = None,
              as_of: dt.date | None = None, window: tuple[dt.date, dt.date] | None = None) -> pd.DataFrame:
    """The indicator per period of `grain`, following its rule over time and across zones.

    Columns: period, period_start, period_end, value, complete, cumulative, note, label
    (French period name), n_values, plus the `by` column (zone, operator or audience) when
    asked for a breakdown. Empty (same columns) when nothing was reported.
    """
    _indicator(fw, indicator_code)
    if grain not in GRAIN_LABELS and grain != "month":
        raise KpiError(f"Granularité « {grain} » inconnue : {', '.join(GRAIN_LABELS)}.")
    flt = _filter(fw, [indicator_code], operators, zones, audiences, as_of, window)
    out = _aggregate_many(con, fw, {indicator_code: grain}, flt, by)
    columns = AGGREGATE_COLUMNS + ([by] if by else [])
    if by:
        out = out.rename(columns={"grp": by})
        out = out[[by, *AGGREGATE_COLUMNS]].sort_values([by, "period_start"], ignore_index=True)
    return out[columns].reset_index(drop=True)


def trends(con: duckdb.DuckDBPyConnection, fw: Framework, codes: Sequence[str], grain: str, *,
           operators=None, zones=None, audiences=None, as_of: dt.date | None = None,
           window: tuple[dt.date, dt.date] | None = None) -> dict[str, pd.DataFrame]:
    """Trend frames (kpis.trend_frame) of several indicators at once, each at its display grain.

    One SQL pass for all of them: this is what the small-multiples grid needs. Indicators
    without any value are absent from the result.
    """
    grains = {c: display_grain(_indicator(fw, c), grain) for c in codes}
    flt = _filter(fw, list(codes), operators, zones, audiences, as_of, window)
    agg = _aggregate_many(con, fw, grains, flt)
    return {code: trend_frame(fw, code, part.drop(columns=["indicator", "grp"]).reset_index(drop=True))
            for code, part in agg.groupby("indicator", sort=False)}


def comparable(ind: Indicator, grain: str) -> bool:
    """True when values at `grain` can be judged against the targets (like with like)."""
    return ind.agg_time == "last" or grain == evaluation_grain(ind)


# ------------------------------------------------------------------ targets and progress


def _gain(ind: Indicator, start: float, end: float) -> float:
    """How much better `end` is than `start`, in the indicator's direction."""
    return start - end if ind.lower_is_better else end - start


def _points(ind: Indicator) -> list[tuple[dt.date, float, Target]]:
    """The planned path: the baseline and every dated target, at their period's end."""
    return sorted([(t.period.end, t.value, t) for t in (ind.baseline, *ind.targets)], key=lambda p: p[0])


def next_target(ind: Indicator, day: dt.date) -> Target:
    """The first target due on or after `day`, else the final target."""
    future = [t for t in ind.targets if t.period.end >= day]
    return min(future, key=lambda t: t.period.end) if future else ind.final_target


def expected_value(ind: Indicator, day: dt.date) -> float:
    """The value expected at `day` on a linear pace from the baseline through each dated target."""
    points = _points(ind)
    if day <= points[0][0]:
        return points[0][1]
    for (d0, v0, _), (d1, v1, _) in zip(points, points[1:], strict=False):
        if day <= d1:
            return v1 if d1 == d0 else v0 + (v1 - v0) * (day - d0).days / (d1 - d0).days
    return points[-1][1]


def expected_path(ind: Indicator) -> pd.DataFrame:
    """The planned path as points to draw: date, value, kind ('référence', 'intermediaire', 'finale'), period."""
    return pd.DataFrame([(d, v, t.kind, t.period.code) for d, v, t in _points(ind)],
                        columns=["date", "value", "kind", "period"])


def _ratio(ind: Indicator, value: float, reference: float) -> float:
    """value against a floor to maintain: 1 when reached, else the share reached."""
    if _gain(ind, reference, value) >= 0:
        return 1.0
    if ind.lower_is_better:
        return reference / value if value else 0.0
    return value / reference if reference else 0.0


def progress(ind: Indicator, value: float, target: Target | None = None) -> float:
    """(value − baseline) / (target − baseline), read in the indicator's direction.

    A target no better than the baseline (keep 3 committees a semester when there were
    3.5) is a floor to maintain: 1 when reached, else the share of it reached.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return float("nan")
    target = target or ind.final_target
    base = ind.baseline.value
    gap = _gain(ind, base, target.value)
    if gap > 0:
        return _gain(ind, base, value) / gap
    return _ratio(ind, value, target.value)


def pace(ind: Indicator, value: float, day: dt.date) -> float:
    """Share of the expected progress at `day` that `value` achieves (1 = exactly on pace)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return float("nan")
    base = ind.baseline.value
    target = next_target(ind, day)
    if _gain(ind, base, target.value) <= 0:
        return _ratio(ind, value, target.value)  # a floor to keep: judged against the floor itself
    expected = expected_value(ind, day)
    gap = _gain(ind, base, expected)
    if gap > 0:
        return _gain(ind, base, value) / gap
    return _ratio(ind, value, expected)


def status_of(fw: Framework, share: float) -> str:
    """on_track / at_risk / off_track from a share of expected progress; no_data for NaN."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "no_data"
    if share >= fw.on_track:
        return "on_track"
    if share >= fw.at_risk:
        return "at_risk"
    return "off_track"


def indicator_status(con: duckdb.DuckDBPyConnection, fw: Framework, *, as_of: dt.date | None = None,
                     operators=None, zones=None, audiences=None,
                     window: tuple[dt.date, dt.date] | None = None, codes: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per framework indicator (or per code in `codes`): where it is, against what, and its status.

    The latest value is the latest complete period at the evaluation grain (the latest
    partial one when none is complete, with complete = False); it is compared with the
    expected value at that period's end and with the next target due.
    """
    codes = [i.code for i in fw.indicators] if codes is None else list(codes)
    grains = {c: evaluation_grain(_indicator(fw, c)) for c in codes}
    flt = _filter(fw, codes, operators, zones, audiences, as_of, window)
    agg = _aggregate_many(con, fw, grains, flt)
    info = sql.value_groups(con, flt).set_index("indicator")
    # The latest complete period of each indicator, else its latest partial one.
    valued = agg[agg["value"].notna()]
    whole = valued[valued["complete"].astype(bool)]
    picks = pd.concat([valued.groupby("indicator").tail(1), whole.groupby("indicator").tail(1)])
    picks = picks.drop_duplicates("indicator", keep="last").set_index("indicator").to_dict("index")
    infos = info.to_dict("index") if not info.empty else {}
    rows = []
    for code in codes:
        ind = fw.indicator(code)
        row = dict(indicator=code, label=ind.label, unit=ind.unit, latest_period=None, latest_value=float("nan"),
                   baseline=ind.baseline.value, target=ind.final_target.value,
                   target_period=ind.final_target.period.code, expected=float("nan"), progress=float("nan"),
                   status="no_data", n_values=0, operators="", last_upload_id=None, complete=False,
                   pace=float("nan"), note="Aucune valeur déclarée.")
        pick = picks.get(code)
        if pick is not None:
            day = pick["period_end"]
            target = next_target(ind, day)
            share = pace(ind, pick["value"], day)
            inf = infos[code]
            row.update(latest_period=pick["period"], latest_value=float(pick["value"]), target=target.value,
                       target_period=target.period.code, expected=expected_value(ind, day),
                       progress=progress(ind, pick["value"], target), pace=share, complete=bool(pick["complete"]),
                       status=status_of(fw, share), n_values=int(inf["n_values"]), operators=inf["operators"] or "",
                       last_upload_id=int(inf["last_upload_id"]),
                       note=("" if pick["complete"] else "Dernière valeur partielle. ") + pick["note"])
        rows.append(row)
    return pd.DataFrame(rows, columns=STATUS_COLUMNS)


def status_counts(status: pd.DataFrame) -> dict[str, int]:
    """How many indicators in each status, in display order (for tiles and captions)."""
    counts = status["status"].value_counts() if not status.empty else pd.Series(dtype=int)
    return {s: int(counts.get(s, 0)) for s in STATUS_ORDER}


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
        if grain == evaluation_grain(ind):
            first, last = out["period_start"].iloc[0], ind.final_target.period.end
            planned = sum(expected_value(ind, p.end) for p in periods_between(grain, first, last, fw.calendar)
                          if p.end <= last)
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
        out["progress"] = [progress(ind, v, next_target(ind, d)) for v, d in zip(total, out["period_end"], strict=False)]
    else:
        total = values
        previous = pd.Series(float("nan"), index=out.index)
        out["this_period"] = values
        out["target"] = [next_target(ind, d).value for d in out["period_end"]]
        out["progress"] = [progress(ind, v, next_target(ind, d)) for v, d in zip(values, out["period_end"], strict=False)]
    out["previously_reported"] = previous
    out["total"] = total
    return out[cols].reset_index(drop=True)


def trend_frame(fw: Framework, indicator_code: str, agg: pd.DataFrame) -> pd.DataFrame:
    """Per period: the expected value at its end, the target due and the status of that period.

    Status only where the comparison is like with like: a complete value, and for flows
    and rates a period of the target's grain (a quarter is not judged against a year).
    """
    ind = _indicator(fw, indicator_code)
    out = agg.copy()
    out["expected"] = [expected_value(ind, d) for d in out["period_end"]]
    out["baseline"] = ind.baseline.value
    targets = [next_target(ind, d) for d in out["period_end"]]
    out["target"] = [t.value for t in targets]
    out["target_period"] = [t.period.code for t in targets]
    like = not out.empty and comparable(ind, period_from_code(out["period"].iloc[0], fw.calendar).grain)
    out["progress"] = [progress(ind, v, t) if like else float("nan") for v, t in zip(out["value"], targets, strict=False)]
    shares = [pace(ind, v, d) if like and c else float("nan")
              for v, d, c in zip(out["value"], out["period_end"], out["complete"], strict=False)]
    out["status"] = [status_of(fw, s) if like and c else "" for s, c in zip(shares, out["complete"], strict=False)]
    out["comparable"] = like
    return out


def interreg_table(fw: Framework, indicator_code: str, view: pd.DataFrame,
                   fmt: Callable[[float, int], str] | None = None) -> pd.DataFrame:
    """The Interreg view as a French table (numbers formatted with `fmt` when given)."""
    decimals = decimals_of(_indicator(fw, indicator_code))
    names = {"label": "Période", "previously_reported": "Déjà déclaré", "this_period": "Cette période",
             "total": "Total", "target": "Cible", "progress": "Progression"}
    table = view[list(names)].copy()
    if fmt:
        for column in ("previously_reported", "this_period", "total", "target"):
            table[column] = [fmt(v, decimals) for v in table[column]]
        table["progress"] = [fmt(100 * v, 0) + " %" if pd.notna(v) else "–" for v in table["progress"]]
    table["Complète"] = ["oui" if c else "non" for c in view["complete"]]
    return table.rename(columns=names)


def export_frame(con: duckdb.DuckDBPyConnection, fw: Framework, grain: str) -> pd.DataFrame:
    """One row per indicator × period with a value, at `grain`, over every operator, zone and audience.

    Columns: indicator, period, period_start, period_end, value, complete, cumulative,
    baseline, target, progress, status (status empty when not comparable or incomplete).
    """
    if grain not in GRAIN_LABELS:
        raise KpiError(f"Granularité « {grain} » inconnue : {', '.join(GRAIN_LABELS)}.")
    codes = [i.code for i in fw.indicators]
    agg = _aggregate_many(con, fw, {c: grain for c in codes}, _filter(fw, codes))
    cols = ["indicator", "period", "period_start", "period_end", "value", "complete", "cumulative", "baseline",
            "target", "progress", "status"]
    frames = [trend_frame(fw, code, part) for code, part in agg[agg["value"].notna()].groupby("indicator", sort=False)]
    if not frames:
        return pd.DataFrame(columns=cols)
    order = {c: i for i, c in enumerate(codes)}
    out = pd.concat(frames, ignore_index=True)
    out = out.sort_values(["indicator", "period_start"], key=lambda s: s.map(order) if s.name == "indicator" else s)
    return out[cols].reset_index(drop=True)


# ------------------------------------------------------------------ lineage


def lineage(con: duckdb.DuckDBPyConnection, fw: Framework, indicator_code: str, period_code: str, *,
            operators=None, zones=None, audiences=None) -> pd.DataFrame:
    """The stored values behind one aggregated figure: those wholly inside the period.

    Columns: operator, zone, audience, period, value, upload_id, file_name, uploaded_by,
    uploaded_at, sheet, cell, stored_path (None when the original file was not kept).
    """
    _indicator(fw, indicator_code)
    try:
        period = period_from_code(period_code, fw.calendar)
    except PeriodError as exc:
        raise KpiError(exc.message) from exc
    flt = _filter(fw, [indicator_code], operators, zones, audiences)
    out = sql.contained_values(con, flt, period.start, period.end)
    return out[LINEAGE_COLUMNS].reset_index(drop=True)


# ------------------------------------------------------------------ tables for people


def values_table(fw: Framework, indicator_code: str, trend: pd.DataFrame, fmt: Callable[[float, int], str] | None = None,
                 by: str | None = None) -> pd.DataFrame:
    """The values of one indicator as a French table (formatted with `fmt` when given, e.g. ui.fmt_number)."""
    ind = _indicator(fw, indicator_code)
    decimals = decimals_of(ind)
    table = pd.DataFrame({"Période": trend["label"]})
    if by:
        table.insert(0, BY_LABELS[by], [fw.label(_section(by), c) or "Tous publics (non ventilé)" for c in trend[by]])
    numeric = {"Valeur": trend["value"], "Cumul": trend["cumulative"]}
    like = bool(trend["comparable"].iloc[0]) if "comparable" in trend and len(trend) else True
    for column in ("expected", "target") if like else ():  # no target beside values it cannot be compared with
        if column in trend:
            numeric[{"expected": "Attendu (rythme linéaire)", "target": "Cible"}[column]] = trend[column]
    for name, series in numeric.items():
        table[name] = [fmt(v, decimals) if fmt and pd.notna(v) else (v if not fmt else "") for v in series]
    if "progress" in trend:
        table["Progression"] = [fmt(100 * v, 0) + " %" if fmt and pd.notna(v) else (v if not fmt else "")
                                for v in trend["progress"]]
    if "status" in trend:
        table["Statut"] = [STATUS_LABELS.get(s, "") for s in trend["status"]]
    table["Complète"] = ["oui" if c else "non" for c in trend["complete"]]
    table["Remarque"] = trend["note"].to_numpy()
    return table.reset_index(drop=True)


def _section(by: str) -> str:
    return {"zone": "zones", "operator": "operators", "audience": "audiences"}[by]


def group_label(fw: Framework, by: str, code: str) -> str:
    """French name of a breakdown group ('' audience = not broken down)."""
    if by == "audience" and not code:
        return "Tous publics (non ventilé)"
    return fw.label(_section(by), code)


# "Where does it come from" first: on a projector the right-hand columns are the first to scroll away.
LINEAGE_LABELS = {"period": "Période", "value": "Valeur", "file_name": "Fichier", "sheet": "Feuille",
                  "cell": "Cellule", "upload_id": "Import n°", "operator": "Opérateur", "zone": "Zone",
                  "audience": "Public", "uploaded_by": "Importé par", "uploaded_at": "Importé le"}


def lineage_table(fw: Framework, lineage_df: pd.DataFrame, fmt: Callable[[float, int], str] | None = None,
                  decimals: int = 0) -> pd.DataFrame:
    """The lineage as a French table: names instead of codes, numbers formatted with `fmt`."""
    table = lineage_df[list(LINEAGE_LABELS)].copy()
    table["operator"] = [fw.label("operators", c) for c in table["operator"]]
    table["zone"] = [fw.label("zones", c) for c in table["zone"]]
    table["audience"] = [group_label(fw, "audience", c) for c in table["audience"]]
    if fmt:
        table["value"] = [fmt(v, decimals) for v in table["value"]]
    table["uploaded_at"] = [pd.Timestamp(t).strftime("%d/%m/%Y %H:%M") if pd.notna(t) else "" for t in table["uploaded_at"]]
    return table.rename(columns=LINEAGE_LABELS)


def decimals_of(ind: Indicator) -> int:
    """Decimals to show: one for rates and means, none for counts."""
    return 1 if ind.is_percent or ind.agg_time == "mean" else 0
