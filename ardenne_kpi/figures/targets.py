"""Targets and progress arithmetic: the target in force, the expected value on a linear pace,
progress and pace in the indicator's direction, the status a share earns, and the trend
frame (expected, target, progress, status beside each value).
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from ardenne_kpi.core.indicator_status import IndicatorStatus
from ardenne_kpi.core.periods import period_from_code
from ardenne_kpi.figures.grains import _indicator, comparable
from ardenne_kpi.framework import Framework, Indicator, Target

# ------------------------------------------------------------------ targets and progress


def _gain(ind: Indicator, start: float, end: float) -> float:
    """How much better `end` is than `start`, in the indicator's direction."""
    return start - end if ind.lower_is_better else end - start


def _points(ind: Indicator) -> list[tuple[dt.date, float, Target]]:
    """The planned path: the baseline and every dated target, at their period's end (the
    programme's end for a target dated after it: Target.judged_at)."""
    return sorted([(t.judged_at, t.value, t) for t in (ind.baseline, *ind.targets)], key=lambda p: p[0])


def next_target(ind: Indicator, day: dt.date) -> Target:
    """The first target due on or after `day`, else the final target."""
    future = [t for t in ind.targets if t.judged_at >= day]
    return min(future, key=lambda t: t.judged_at) if future else ind.final_target


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
    """The planned path as points to draw: date, value, kind ('référence', 'intermediaire', 'finale'),
    period (code) and label (French)."""
    return pd.DataFrame(
        [(d, v, t.kind, t.period.code, t.period.label_fr) for d, v, t in _points(ind)],
        columns=["date", "value", "kind", "period", "label"],
    )


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


def status_of(fw: Framework, share: float) -> IndicatorStatus:
    """on_track / at_risk / off_track from a share of expected progress; no_data for NaN."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return IndicatorStatus.NO_DATA
    if share >= fw.on_track:
        return IndicatorStatus.ON_TRACK
    if share >= fw.at_risk:
        return IndicatorStatus.AT_RISK
    return IndicatorStatus.OFF_TRACK


TREND_COLUMNS = ["expected", "baseline", "target", "target_period", "progress", "status", "comparable"]


def trend_frame(fw: Framework, indicator_code: str, agg: pd.DataFrame) -> pd.DataFrame:
    """Per period: the expected value at its end, the target due and the status of that period.

    Progress and status only where the comparison is like with like: a complete value (a
    partial one would "fall" for want of a report), and for flows and rates a period of
    the target's grain (a quarter is not judged against a year).
    """
    _indicator(fw, indicator_code)
    return _with_trend(fw, agg.assign(indicator=indicator_code)).drop(columns="indicator")


def _with_trend(fw: Framework, agg: pd.DataFrame) -> pd.DataFrame:
    """trend_frame's columns for a frame of several indicators (column `indicator`), built in
    one pass over its rows and added at once: the grid and the export hold ~50 indicators."""
    columns: dict[str, list[object]] = {c: [] for c in TREND_COLUMNS}
    like_of: dict[str, bool] = {}
    for code, value, day, complete, period in zip(
        agg["indicator"], agg["value"], agg["period_end"], agg["complete"], agg["period"], strict=True
    ):
        ind = fw.indicator(code)
        if code not in like_of:  # the grain of the indicator's rows: one per frame
            like_of[code] = comparable(ind, period_from_code(period, fw.calendar).grain, fw)
        like = like_of[code] and bool(complete)
        target = next_target(ind, day)
        columns["expected"].append(expected_value(ind, day))
        columns["baseline"].append(ind.baseline.value)
        columns["target"].append(target.value)
        columns["target_period"].append(target.period.code)
        columns["progress"].append(progress(ind, value, target) if like else float("nan"))
        columns["status"].append(status_of(fw, pace(ind, value, day)) if like else "")
        columns["comparable"].append(like_of[code])
    added = pd.DataFrame(columns, index=agg.index).astype(
        {"expected": float, "baseline": float, "target": float, "progress": float, "comparable": bool}
    )
    return pd.concat([agg, added], axis=1)
