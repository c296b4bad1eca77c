"""`export kpis` on the demo database against an independent recomputation in plain pandas.

The recomputation reads the stored rows with one SELECT and the rules from the framework
file, and builds every figure again without calling the package's aggregation or period
arithmetic: its own calendar of periods, its own tiling, its own per-series roll-up,
nested territories, ratios and completeness. Every row of every grain must agree.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from ardenne_kpi import db, kpis

GRAINS = ["quarter", "semester", "programme-semester", "programme-year", "year"]
CALENDAR_GRAINS = {"month": 1, "quarter": 3, "semester": 6, "year": 12}


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)


def target_periods(grain: str, fw, lo: dt.date, hi: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """(code, start, end) of every period of `grain` overlapping [lo, hi]."""
    if grain == "programme-semester":
        out = [(s.code, s.start, s.end) for s in fw.calendar.semesters]
    elif grain == "programme-year":
        sems = list(fw.calendar.semesters)
        out = []
        for i in range(0, len(sems), 2):
            start = sems[i].start
            end = sems[i + 1].end if i + 1 < len(sems) else _month_end(start.year + 1, start.month - 1)
            out.append((f"{start.year}/{end.year}", start, end))
    else:
        months = CALENDAR_GRAINS[grain]
        out = []
        for year in range(lo.year, hi.year + 1):
            for k in range(12 // months):
                m0 = 1 + k * months
                code = {"quarter": f"{year}-Q{k + 1}", "semester": f"{year}-S{k + 1}", "year": f"{year}"}[grain]
                out.append((code, dt.date(year, m0, 1), _month_end(year, m0 + months - 1)))
    return [p for p in out if p[1] <= hi and p[2] >= lo]


def n_sub(stored_grain: str, target_grain: str, start: dt.date, end: dt.date) -> int | None:
    """How many periods of the stored grain make the target period, None when they cannot."""
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    if stored_grain == target_grain:
        return 1
    if stored_grain in ("month", "quarter") or (stored_grain in CALENDAR_GRAINS and target_grain in CALENDAR_GRAINS):
        size = CALENDAR_GRAINS[stored_grain]
        return months // size if months % size == 0 and start.month % size == 1 % size else None
    if stored_grain == "programme-semester" and target_grain == "programme-year":
        return 2
    return None


def ancestors(fw, section: str, code: str) -> set[str]:
    by_code = {e.code: e for e in getattr(fw, section)}
    out, parent = set(), getattr(by_code.get(code), "parent", None)
    while parent:
        out.add(parent)
        parent = getattr(by_code.get(parent), "parent", None)
    return out


def recompute(values: pd.DataFrame, fw, grain: str) -> pd.DataFrame:
    """One row per indicator × period with a value or with something due or unbuildable."""
    rows = []
    for code, vals in values.groupby("indicator", sort=False):
        ind = fw.indicator(code)
        lo, hi = vals["period_start"].min(), vals["period_end"].max()
        series_info = {}
        for key, s in vals.groupby(["operator", "zone", "audience"]):
            latest = s.sort_values("period_end").iloc[-1]
            series_info[key] = (s["period_start"].min(), latest["grain"], s["period"].nunique())
        for p_code, p_start, p_end in target_periods(grain, fw, lo, hi):
            inside = vals[(vals["period_start"] >= p_start) & (vals["period_end"] <= p_end)]
            tiles = inside["grain"].map(lambda g, s=p_start, e=p_end: n_sub(g, grain, s, e))
            untiled = bool(tiles.isna().any())
            inside = inside.assign(n_sub=tiles)[tiles.notna()]
            series = []
            for key, s in inside.groupby(["operator", "zone", "audience"]):
                options = []
                for g, part in s.groupby("grain"):
                    days = (
                        (pd.to_datetime(part["period_end"]) - pd.to_datetime(part["period_start"])).dt.days + 1
                    ).sum()
                    options.append((-days, len(part), g, part))
                _, _, g, part = min(options, key=lambda o: o[:3])
                part = part.sort_values("period_end")
                tv = {"sum": part["value"].sum(), "mean": part["value"].mean(), "last": part["value"].iloc[-1]}[
                    ind.agg_time
                ]
                comp = {
                    "sum": (part["numerator"].sum(), part["denominator"].sum()),
                    "last": (part["numerator"].iloc[-1], part["denominator"].iloc[-1]),
                }[ind.components_agg]
                whole = (
                    (part["period_end"].iloc[-1] == p_end)
                    if ind.agg_time == "last"
                    else len(part) >= int(part["n_sub"].iloc[0])
                )
                bare = int((part["numerator"].isna() | part["denominator"].isna()).sum())
                series.append(
                    {
                        "key": key,
                        "tv": tv,
                        "num": comp[0],
                        "den": comp[1],
                        "whole": whole,
                        "bare": bare,
                        "last_end": part["period_end"].iloc[-1],
                        "upload": part["upload_id"].max(),
                    }
                )
            present = {x["key"] for x in series}
            kept = series
            if ind.is_territory:

                def inside_other(k, present=present):
                    _, zone, aud = k
                    zones, auds = {zone} | ancestors(fw, "zones", zone), {aud, ""} | ancestors(fw, "audiences", aud)
                    return any(o[1] in zones and o[2] in auds and (o[1], o[2]) != (zone, aud) for o in present)

                kept = [x for x in series if not inside_other(x["key"])]
                best: dict = {}
                for x in kept:  # one per territory: the latest upload, then the first operator
                    place, other = x["key"][1:], best.get(x["key"][1:])
                    if other is None or (-x["upload"], x["key"][0]) < (-other["upload"], other["key"][0]):
                        best[place] = x
                kept = list(best.values())
            value = math.nan
            if kept:
                tvs = [x["tv"] for x in kept]
                if ind.is_ratio and sum(x["bare"] for x in kept) == 0:
                    den = sum(x["den"] for x in kept)
                    value = sum(x["num"] for x in kept) / den * ind.ratio_scale if den else math.nan
                elif ind.is_ratio or ind.agg_space == "mean":
                    value = sum(tvs) / len(tvs)
                elif ind.agg_space == "sum":
                    value = sum(tvs)
                else:
                    value = max(kept, key=lambda x: x["last_end"])["tv"]
            by_key = {x["key"]: x for x in series}
            missing = 0
            for key, (first, series_grain, n_periods) in series_info.items():
                due = (
                    (not ind.operators or key[0] in ind.operators)
                    and n_periods > 1
                    and first <= p_end
                    and n_sub(series_grain, grain, p_start, p_end) is not None
                )
                if not due:
                    continue
                got = by_key.get(key)
                if (got is None and ind.frequency != "B") or (got is not None and not got["whole"]):
                    missing += 1
            if not math.isnan(value) or missing or untiled:
                rows.append(
                    {
                        "indicator": code,
                        "period": p_code,
                        "value": value,
                        "complete": not math.isnan(value) and not missing,
                    }
                )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def demo(demo_db_path):
    con = db.connect(demo_db_path)  # same configuration as the other modules' connections
    fw = db.stored_framework(con)
    values = con.execute("SELECT * FROM report_values WHERE is_current").df()
    for column in ("period_start", "period_end"):
        values[column] = pd.to_datetime(values[column]).dt.date
    yield con, fw, values
    con.close()


@pytest.mark.parametrize(
    "grain", [g if g == "programme-semester" else pytest.param(g, marks=pytest.mark.slow) for g in GRAINS]
)
def test_export_kpis_agrees_with_an_independent_recomputation(demo, grain):
    con, fw, values = demo
    exported = kpis.export_frame(con, fw, grain)
    expected = recompute(values, fw, grain)
    assert len(exported) == len(expected) > 0
    merged = exported.merge(expected, on=["indicator", "period"], how="outer", suffixes=("", "_pandas"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"][["indicator", "period"]]
    same_value = (merged["value"].isna() & merged["value_pandas"].isna()) | (
        (merged["value"] - merged["value_pandas"]).abs() <= 1e-9 * merged["value_pandas"].abs().clip(lower=1)
    )
    assert same_value.all(), merged[~same_value][["indicator", "period", "value", "value_pandas"]]
    assert (merged["complete"].astype(bool) == merged["complete_pandas"].astype(bool)).all()
    # A partial figure is never judged.
    assert merged.loc[~merged["complete"].astype(bool), "progress"].isna().all()
    assert (merged.loc[~merged["complete"].astype(bool), "status"] == "").all()
