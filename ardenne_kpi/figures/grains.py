"""Which indicators and at which grain: the grain labels, the filters (operators, zones,
audiences), the grain an indicator is shown and judged at, and whether a grain compares
with its targets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from ardenne_kpi.core.errors import KpiError, PeriodError
from ardenne_kpi.core.periods import Grain, Period, period_from_code
from ardenne_kpi.db import kpis as sql
from ardenne_kpi.framework import Framework, Indicator

# The grains a figure is rolled up to, in the order the pages offer them.
GRAIN_LABELS = {
    grain.value: grain.label
    for grain in (
        Grain.QUARTER,
        Grain.CALENDAR_SEMESTER,
        Grain.PROGRAMME_SEMESTER,
        Grain.CALENDAR_YEAR,
        Grain.PROGRAMME_YEAR,
    )
}
BY_LABELS = {"zone": "Zone", "operator": "Opérateur", "audience": "Public"}
# How coarse a grain is; programme and calendar semesters are equally coarse but do not nest.
_GRAIN_RANK = {
    "month": 0,
    "quarter": 1,
    "semester": 2,
    "programme-semester": 2,
    "year": 3,
    "programme-year": 3,
    "range": 4,
}
# The grain of the other calendar with the same length: programme semesters never make a
# calendar year, so an indicator reported by programme semester is shown by programme year.
_TWIN_GRAIN = {
    "semester": "programme-semester",
    "programme-semester": "semester",
    "year": "programme-year",
    "programme-year": "year",
}

INDICATOR_STATUS_COLUMNS = [
    "indicator",
    "label",
    "unit",
    "latest_period",
    "latest_value",
    "baseline",
    "target",
    "target_period",
    "expected",
    "progress",
    "status",
    "n_values",
    "operators",
    "last_upload_id",
    "complete",
    "pace",
    "note",
]
AGGREGATE_COLUMNS = [
    "period",
    "period_start",
    "period_end",
    "value",
    "complete",
    "cumulative",
    "note",
    "label",
    "n_values",
]
LINEAGE_COLUMNS = [
    "operator",
    "zone",
    "audience",
    "period",
    "value",
    "numerator",
    "denominator",
    "upload_id",
    "file_name",
    "uploaded_by",
    "uploaded_at",
    "sheet",
    "cell",
    "stored_path",
    "comment",
    "counted",
    "reason",
]


# ------------------------------------------------------------------ filters and grains


def _descendants(fw: Framework, section: str, codes: Iterable[str] | None) -> list[str] | None:
    """The codes and everything under them (zone ARD includes FR-08...); None stays None."""
    return None if codes is None else sorted(fw.descendants(section, codes))


def _filter(
    fw: Framework,
    codes: Sequence[str] | None,
    operators: Iterable[str] | None = None,
    zones: Iterable[str] | None = None,
    audiences: Iterable[str] | None = None,
    as_of: dt.date | None = None,
    window: tuple[dt.date, dt.date] | None = None,
    submitted: bool = False,
) -> sql.ValueFilter:
    """Which values count. Validated ones only unless `submitted`: then what partners
    submitted and the coordinator has not reviewed yet counts too (the pages' toggle)."""
    return sql.ValueFilter(
        indicators=None if codes is None else list(codes),
        operators=None if operators is None else list(operators),
        zones=_descendants(fw, "zones", zones),
        audiences=_descendants(fw, "audiences", audiences),
        as_of=as_of,
        window=window,
        submitted=bool(submitted),  # True, or whose (a partner's own operators: db.submitted_params)
        submitted_operators=None if isinstance(submitted, bool) else list(submitted),
    )


def display_grain(ind: Indicator, grain: str) -> str:
    """The grain to show `ind` at: the chosen one, or the indicator's own when it is coarser.

    A yearly survey has nothing to show per quarter; its years are shown instead. A grain
    the indicator's own does not tile (programme semesters in a calendar year) gives way to
    its twin of the other calendar (the programme year).
    """
    if _GRAIN_RANK.get(ind.grain, 0) > _GRAIN_RANK.get(grain, 0):
        return ind.grain
    if grain in _TWIN_GRAIN and not _divides(ind.grain, grain):
        return _TWIN_GRAIN[grain]
    return grain


def display_grain_reason(ind: Indicator, grain: str) -> str:
    """In French, why `ind` is shown at another grain than the chosen one ('' when it is not)."""
    shown = display_grain(ind, grain)
    if shown == grain:
        return ""
    if shown == ind.grain:
        return f"Cet indicateur est déclaré par {GRAIN_LABELS[shown].lower()} : il est montré à ce rythme."
    own = GRAIN_LABELS.get(ind.grain, ind.grain).lower()
    return (
        f"Cet indicateur est déclaré par {own}, qui ne forme pas une {GRAIN_LABELS[grain].lower()} "
        f"(jamais réparti au prorata) : il est montré par {GRAIN_LABELS[shown].lower()}."
    )


def _divides(fine: str, coarse: str) -> bool:
    """False when periods of grain `fine` cannot build periods of grain `coarse` (the two calendars)."""
    programme = {Grain.PROGRAMME_SEMESTER, Grain.PROGRAMME_YEAR}
    calendar = {Grain.CALENDAR_SEMESTER, Grain.CALENDAR_YEAR}
    return not ((fine in programme and coarse in calendar) or (fine in calendar and coarse in programme))


def evaluation_grain(ind: Indicator, fw: Framework | None = None) -> str:
    """The grain at which `ind` is compared with its targets (like with like).

    Flows and rates: the final target's grain (a yearly target against a year's total);
    stocks: the reporting grain (the latest stock, whatever the target's period). With the
    framework, the finest such grain at which every series owed for `ind` can build the
    period (expected.py): a partner owing programme semesters moves a calendar year to the
    programme year, never to a figure that is always partial.
    """
    if ind.agg_time == "last":
        grain = ind.grain
    else:
        grain = ind.final_target.period.grain
        grain = grain if grain in GRAIN_LABELS else ind.grain
    if fw is None:
        return grain
    owed = {o.grain for o in fw.obligations if o.indicator == ind.code} | {ind.grain}

    def built(target: str) -> bool:
        return all(_GRAIN_RANK.get(g, 0) <= _GRAIN_RANK.get(target, 0) and _divides(g, target) for g in owed)

    if built(grain):
        return grain
    twin = _TWIN_GRAIN.get(grain)
    if twin and built(twin):
        return twin
    coarser = sorted((g for g in owed if built(g)), key=lambda g: _GRAIN_RANK.get(g, 0))
    return coarser[0] if coarser else grain


def evaluation_grain_reason(ind: Indicator, fw: Framework) -> str:
    """In French, why `ind` is judged at another grain than its target's ('' when it is not)."""
    own, judged = evaluation_grain(ind), evaluation_grain(ind, fw)
    if own == judged:
        return ""
    return (
        f"Jugé par {GRAIN_LABELS.get(judged, judged).lower()} et non par {GRAIN_LABELS.get(own, own).lower()} : "
        "un opérateur rapporte à un rythme qui ne forme pas cette période (jamais réparti au prorata)."
    )


def select_indicators(
    fw: Framework,
    *,
    dimension: str | None = None,
    key: str | None = None,
    objective: str | None = None,
    project: str | None = None,
    operator: str | None = None,
    audience: str | None = None,
) -> list[str]:
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


def _period(fw: Framework, code: str) -> Period:
    """The period of a canonical code, or a KpiError saying how to write one."""
    try:
        return period_from_code(code, fw.calendar)
    except PeriodError as exc:
        raise KpiError(exc.message) from exc


def _indicator(fw: Framework, code: str) -> Indicator:
    try:
        return fw.indicator(code)
    except KeyError:
        raise KpiError(f"L'indicateur « {code} » n'existe pas dans le référentiel {fw.version}.") from None


def comparable(ind: Indicator, grain: str, fw: Framework | None = None) -> bool:
    """True when values at `grain` can be judged against the targets (like with like)."""
    return ind.agg_time == "last" or grain == evaluation_grain(ind, fw)
