"""Calendar arithmetic on periods: every period of a grain between two days, the one containing a
day, the one wholly containing a period (a roll-up's target), and the finer periods tiling one.
A programme semester never rolls up into a calendar semester or year: these return None or
raise rather than split a value.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from ardenne_kpi.core.errors import PeriodError
from ardenne_kpi.core.periods.model import Calendar, Grain, Period, _check_grain, _containing_calendar, _dmy


def periods_between(grain: str, start: date, end: date, calendar: Calendar) -> list[Period]:
    """Every period of `grain` that overlaps [start, end], in time order."""
    _check_grain(grain)
    start, end = _as_date(start), _as_date(end)
    if start > end:
        raise PeriodError(f"Le début ({_dmy(start)}) est après la fin ({_dmy(end)}).")
    if grain == Grain.RANGE:
        raise PeriodError("Une plage de dates libre n'a pas de découpage régulier.")
    if grain == Grain.PROGRAMME_SEMESTER:
        return [s for s in calendar.semesters if s.start <= end and start <= s.end]
    if grain == Grain.PROGRAMME_YEAR:
        return [y for y in calendar.programme_years if y.start <= end and start <= y.end]
    periods = [_containing_calendar(start, grain)]
    while periods[-1].end < end:
        periods.append(_containing_calendar(periods[-1].end + timedelta(days=1), grain))
    return periods


def period_containing(day: date, grain: str, calendar: Calendar) -> Period | None:
    """The period of `grain` containing `day`; None for a programme semester outside the calendar."""
    _check_grain(grain)
    day = _as_date(day)
    if grain == Grain.RANGE:
        raise PeriodError("Une plage de dates libre ne se déduit pas d'un jour : choisissez une granularité.")
    if grain == Grain.PROGRAMME_SEMESTER:
        return next((s for s in calendar.semesters if s.start <= day <= s.end), None)
    if grain == Grain.PROGRAMME_YEAR:
        return next((y for y in calendar.programme_years if y.start <= day <= y.end), None)
    return _containing_calendar(day, grain)


def rollup_target(period: Period, grain: str, calendar: Calendar) -> Period | None:
    """The period of `grain` that wholly contains `period`, or None when `period` straddles its boundaries.

    None is the signal not to aggregate: a programme semester (October–March) never goes
    into a calendar year, and nothing is split pro rata.
    """
    target = period_containing(period.start, grain, calendar)
    if target is None or not target.contains(period):
        return None
    return target


def subperiods(period: Period, grain: str, calendar: Calendar) -> list[Period]:
    """The periods of the finer `grain` that tile `period` exactly, in time order.

    Raises PeriodError when they do not (e.g. a year into programme semesters, which
    straddle it): values are never split.
    """
    parts = periods_between(grain, period.start, period.end, calendar)
    contiguous = all(b.start == a.end + timedelta(days=1) for a, b in zip(parts, parts[1:], strict=False))
    if not parts or parts[0].start != period.start or parts[-1].end != period.end or not contiguous:
        raise PeriodError(
            f"La période {period.label_fr} ne se découpe pas exactement en {_GRAIN_PLURAL_FR[grain]} : "
            "leurs limites ne coïncident pas, et une valeur n'est jamais répartie au prorata."
        )
    return parts


_GRAIN_PLURAL_FR = {grain.value: grain.plural for grain in Grain if grain != Grain.RANGE}


def _as_date(day: date) -> date:
    return day.date() if isinstance(day, datetime) else day
