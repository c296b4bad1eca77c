"""What a partner's report template asks for: the lines an operator owes for a period (every
indicator it reports, every period of the indicator's grain due then, every zone and
audience it reports, with the last value it declared), the operator and period resolved
from what a user typed, and the periods a template can be asked for. Written into a
workbook by `templates`; read by the web entry, the command line and the Import page."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, cast

import duckdb

from ardenne_kpi.core.errors import ArdenneError, PeriodError
from ardenne_kpi.core.format import fmt_date, fmt_number
from ardenne_kpi.core.periods import Period, parse_period, period_from_code, periods_between
from ardenne_kpi.db import history
from ardenne_kpi.framework import Framework, Indicator, expected, owed


class _ReportedCell(Protocol):
    """A series `operator` has reported (`history.reported_cells`), as `itertuples` gives it."""

    indicator: str
    zone: str
    audience: str | None


class _LastValue(Protocol):
    """The last value of a series (`history.last_values`), as `itertuples` gives it."""

    indicator: str
    zone: str
    audience: str | None
    grain: str
    value: float
    period: str


@dataclass(frozen=True)
class TemplateRow:
    """One line to fill in: an indicator for a period and a zone (and an audience, '' = all)."""

    indicator: Indicator
    period: Period
    zone: str
    audience: str
    last_value: float | None
    last_period: Period | None


def resolve_operator(fw: Framework, operator: str) -> str:
    """The operator's code from its code or label (any case); ArdenneError in French otherwise."""
    wanted = (operator or "").strip().casefold()
    for op in fw.operators:
        if wanted in (op.code.casefold(), op.label.casefold()):
            return op.code
    codes = ", ".join(op.code for op in fw.operators)
    raise ArdenneError(f"Opérateur « {operator} » inconnu. Codes possibles : {codes}.", title="Opérateur inconnu")


def resolve_period(fw: Framework, period: str | Period) -> Period:
    """The reporting period of a template, inside the programme; ArdenneError in French otherwise."""
    try:
        found = parse_period(period, fw.calendar)
    except PeriodError as exc:
        raise ArdenneError(exc.message, title="Période illisible") from exc
    cal = fw.calendar
    if found.end < cal.start or found.start > cal.end:
        raise ArdenneError(
            f"La période {found.label_fr} est hors du programme ({fmt_date(cal.start)} – {fmt_date(cal.end)}).",
            title="Période hors programme",
        )
    return found


def due_periods(fw: Framework, indicator: Indicator, period: Period, operator: str | None = None) -> list[Period]:
    """The periods of the indicator's grain (the operator's obligation's, when declared) that
    end within `period` and lie in the programme: a quarterly indicator has two rows in a
    programme semester, an annual one appears in the report of the semester in which its
    year ends, a declared first period is respected."""
    cal = fw.calendar
    obligation = fw.obligation(operator, indicator.code) if operator else None
    if obligation is not None:  # what is due: the one definition (expected.py), read by Suivi too
        return [p for p in expected.obligation_periods(fw, obligation) if period.start <= p.end <= period.end]
    return [
        p
        for p in periods_between(indicator.grain, period.start, period.end, cal)
        if period.start <= p.end <= period.end and cal.start <= p.start and p.end <= cal.end
    ]


def _default_cells(fw: Framework, indicator: Indicator, operator: str) -> list[tuple[str, str]]:
    """The (zone, audience) lines expected from an operator: one per zone it covers when
    the indicator is reported by zone, else one for its territory."""
    obligation = fw.obligation(operator, indicator.code)
    if obligation is not None:
        return owed.obligation_keys(fw, obligation)
    return [(z, "") for z in owed.default_zones(fw, operator, indicator)]


def template_rows(
    con: duckdb.DuckDBPyConnection, fw: Framework, operator: str, period: str | Period
) -> list[TemplateRow]:
    """The lines of the template of `operator` for `period`: every indicator it is responsible
    for, every period of the indicator's grain due then, every zone it reports (the usual ones
    plus any it reported before), with the last value reported before the period."""
    operator = resolve_operator(fw, operator)
    period = resolve_period(fw, period)
    indicators = [i for i in fw.indicators if operator in i.operators]
    if not indicators:
        raise ArdenneError(
            f"L'opérateur {operator} n'est responsable d'aucun indicateur dans le référentiel : "
            "il n'a pas de rapport à remplir.",
            title="Aucun indicateur",
        )
    reported: dict[str, list[tuple[str, str]]] = {}
    for row in cast(Iterable[_ReportedCell], history.reported_cells(con, operator).itertuples(index=False)):
        reported.setdefault(row.indicator, []).append((row.zone, row.audience or ""))
    last: dict[tuple[str, str, str, str], tuple[float, str]] = {
        (r.indicator, r.zone, r.audience or "", r.grain): (float(r.value), r.period)
        for r in cast(Iterable[_LastValue], history.last_values(con, operator, period.start).itertuples(index=False))
    }
    zone_order = {z.code: n for n, z in enumerate(fw.zones)}
    rows: list[TemplateRow] = []
    for ind in indicators:
        cells = list(dict.fromkeys(_default_cells(fw, ind, operator) + reported.get(ind.code, [])))
        cells.sort(key=lambda c: (zone_order.get(c[0], 99), c[1]))
        for p in due_periods(fw, ind, period, operator):
            for zone, audience in cells:
                found = last.get((ind.code, zone, audience, p.grain))
                last_period = _period_or_none(fw, found[1]) if found else None
                rows.append(TemplateRow(ind, p, zone, audience, found[0] if found else None, last_period))
    if not rows:
        raise ArdenneError(
            f"Aucun indicateur de {operator} n'est à déclarer pour {period.label_fr} "
            "(les indicateurs annuels se déclarent avec la période où l'année se termine). "
            "Choisissez une autre période.",
            title="Rien à déclarer",
        )
    return rows


def _period_or_none(fw: Framework, code: str) -> Period | None:
    try:
        return period_from_code(code, fw.calendar)
    except PeriodError:
        return None


def describe(rows: list[TemplateRow]) -> str:
    """One French line for the page: what the template holds."""
    n_ind = len({r.indicator.code for r in rows})
    periods = sorted({r.period for r in rows})
    return (
        f"{n_ind} indicateur(s), {fmt_number(len(rows))} ligne(s) à remplir, "
        f"période(s) {', '.join(p.label_fr for p in periods)}"
    )


def description(con: duckdb.DuckDBPyConnection, fw: Framework, operator: str, period: str | Period) -> str:
    """`describe` of the template of `operator` for `period`, in one call a page can cache by data
    revision (its lines take a second to gather on a million values)."""
    return describe(template_rows(con, fw, operator, period))


def period_choices(fw: Framework) -> list[Period]:
    """The periods a template can be asked for: programme semesters, then years and quarters."""
    cal = fw.calendar
    inside = [
        p
        for grain in ("year", "quarter")
        for p in periods_between(grain, cal.start, cal.end, cal)
        if cal.start <= p.start and p.end <= cal.end
    ]
    return list(cal.semesters) + inside
