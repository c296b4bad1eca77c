"""What is due: one table of expected series, read by the figures' completeness, Suivi, the
reminders and the web entry (like a data set's assignment in DHIS2).

An obligation (framework.Obligation: operator × indicator, declared or by default) owes
series, one per zone owed × audience owed, at its grain, over its span: from its first
period (by default its project's start) to its last (by default its project's end), never
before the programme starts nor after it ends.

A series reported outside any obligation is data: it counts, and it is expected wherever
the figure would otherwise change meaning between periods: between its first and its last
report, and for a stock (time rule "last") or a survey (a biennial indicator) after its last
report too, until its project ends (a stock does not vanish, a surveyed zone is surveyed
again). A flow that simply stops is not a missing report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

import numpy as np
import pandas as pd

from ardenne_kpi.core.errors import PeriodError
from ardenne_kpi.core.periods import Frequency, Period, periods_between
from ardenne_kpi.framework import Framework, Obligation
from ardenne_kpi.framework.owed import obligation_keys

EXPECTED_COLUMNS = ["indicator", "operator", "zone", "audience", "grain", "due_from", "due_to", "obligation"]
# What a series reported outside any obligation is called in notes and tables.
OUTSIDE = "hors obligation"


def _clip(fw: Framework, start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    cal = fw.calendar
    return max(start or cal.start, cal.start), min(end or cal.end, cal.end)


def obligation_periods(fw: Framework, obligation: Obligation) -> list[Period]:
    """The periods an obligation is due for: its grain, inside the programme, every second
    year for a biennial indicator reported yearly, from its first period to its last (a
    declared first or last period exactly; by default every period overlapping its project),
    the first one alone for a one-off report."""
    cal = fw.calendar
    periods = [
        p
        for p in periods_between(obligation.grain, cal.start, cal.end, cal)
        if cal.start <= p.start and p.end <= cal.end
    ]
    if fw.indicator(obligation.indicator).frequency == Frequency.BIENNIAL and obligation.grain == "year":
        periods = periods[::2]
    if obligation.start:
        periods = [p for p in periods if (p.start if obligation.first_period else p.end) >= obligation.start]
    if obligation.end:
        periods = [p for p in periods if (p.end if obligation.last_period else p.start) <= obligation.end]
    return periods[:1] if obligation.one_off else periods


def obligation_span(fw: Framework, obligation: Obligation) -> tuple[dt.date, dt.date] | None:
    """The days an obligation's series are due over (first period's start to last period's
    end), or None when no period is due at all."""
    periods = obligation_periods(fw, obligation)
    if not periods:
        return None
    return _clip(fw, min(p.start for p in periods), max(p.end for p in periods))


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "indicator": pd.Series(dtype=object),
            "operator": pd.Series(dtype=object),
            "zone": pd.Series(dtype=object),
            "audience": pd.Series(dtype=object),
            "grain": pd.Series(dtype=object),
            "due_from": pd.Series(dtype="datetime64[us]"),
            "due_to": pd.Series(dtype="datetime64[us]"),
            "obligation": pd.Series(dtype=bool),
        }
    )


def obligation_series(fw: Framework, codes: Collection[str] | None = None) -> pd.DataFrame:
    """The series every obligation owes (EXPECTED_COLUMNS, `obligation` true)."""
    wanted = None if codes is None else set(codes)
    rows = []
    for ob in fw.obligations:
        if wanted is not None and ob.indicator not in wanted:
            continue
        span = obligation_span(fw, ob)
        if span is None:
            continue
        for zone, audience in obligation_keys(fw, ob):
            rows.append((ob.indicator, ob.operator, zone, audience, ob.grain, span[0], span[1], True))
    if not rows:
        return _empty()
    out = pd.DataFrame(rows, columns=EXPECTED_COLUMNS)
    return out.astype({"due_from": "datetime64[us]", "due_to": "datetime64[us]"})


def _project_end(fw: Framework, code: str, grain: str) -> dt.date:
    """The end of the last period of `grain` that ends by the indicator's project's end (a
    yearly stock of a project ending in March is last due the December before)."""
    project = fw.by_code["projects"].get(fw.indicator(code).project)
    end = _clip(fw, None, project.end if project is not None else None)[1]
    try:
        ends = [p.end for p in periods_between(grain, fw.calendar.start, end, fw.calendar) if p.end <= end]
    except PeriodError:  # a grain no calendar lists (a free range): the project's end itself
        return end
    return max(ends, default=end)


def expected_series(fw: Framework, observed: pd.DataFrame | None, codes: Collection[str] | None = None) -> pd.DataFrame:
    """The one table of what is due (EXPECTED_COLUMNS): every obligation's series, and every
    series reported (`observed`: indicator, operator, zone, audience, grain, first_start,
    last_end) over the days it is expected as data (`obligation` false): between its first
    and last report, to its project's end for a stock or a survey. A series both owed and
    reported has both rows: outside its obligation's span, it is data « hors obligation »."""
    owed = obligation_series(fw, codes)
    if observed is None or observed.empty:
        return owed
    seen = observed if codes is None else observed[observed["indicator"].isin(list(codes))]
    if seen.empty:
        return owed
    known = {c.code for c in fw.indicators}
    seen = seen[seen["indicator"].isin(known)]
    lasting = {
        c
        for c in seen["indicator"].unique()
        if fw.indicator(c).agg_time == "last" or fw.indicator(c).frequency == Frequency.BIENNIAL
    }  # stocks and surveys do not vanish
    pairs = seen.loc[seen["indicator"].isin(lasting), ["indicator", "grain"]].drop_duplicates()
    ends = pairs.assign(
        until=pd.to_datetime(
            [_project_end(fw, c, g) for c, g in zip(pairs["indicator"].tolist(), pairs["grain"].tolist(), strict=True)]
        )
    )
    first = pd.to_datetime(seen["first_start"])
    last = pd.to_datetime(seen["last_end"])
    # each series' (indicator, grain) looked up in the few lasting pairs, in one join
    until = pd.Series(
        seen[["indicator", "grain"]].merge(ends, on=["indicator", "grain"], how="left")["until"].to_numpy(),
        index=seen.index,
    )
    reported = last
    last = last.where(until.isna() | (last >= until), until)
    # the columns kept as they are (no round trip through Python objects: strings stay Arrow's)
    data = (
        seen[["indicator", "operator", "zone", "audience", "grain"]]
        .assign(due_from=first, due_to=last, obligation=False)
        .reset_index(drop=True)
        .astype({"due_from": "datetime64[us]", "due_to": "datetime64[us]"})
    )
    if owed.empty:
        return data
    return pd.concat([owed, _beyond_obligation(data, owed, reported.to_numpy())], ignore_index=True)


def _beyond_obligation(data: pd.DataFrame, owed: pd.DataFrame, reported: np.ndarray[Any, Any]) -> pd.DataFrame:
    """The reported series' rows, each cut to the days its obligation (if any) does not cover:
    inside its obligation's span a series is due as the obligation says (it ends where the
    obligation ends: a series the coordination ended is no longer expected); before or after
    it, where it was reported, it is data « hors obligation ». `reported`: each row's last report."""
    key = ["indicator", "operator", "zone", "audience"]
    span = owed.groupby(key, as_index=False).agg(ob_from=("due_from", "min"), ob_to=("due_to", "max"))
    both = data.assign(reported=pd.to_datetime(pd.Series(reported, index=data.index))).merge(span, on=key, how="left")
    free = both[both["ob_from"].isna()]
    day = pd.Timedelta(days=1)
    before = both[both["ob_from"].notna() & (both["due_from"] < both["ob_from"])]
    before = before.assign(due_to=before[["due_to"]].join((before["ob_from"] - day).rename("cap")).min(axis=1))
    after = both[both["ob_to"].notna() & (both["reported"] > both["ob_to"])]
    after = after.assign(due_from=after[["due_from"]].join((after["ob_to"] + day).rename("cap")).max(axis=1))
    out = pd.concat([free, before, after], ignore_index=True)[EXPECTED_COLUMNS]
    return out.astype({"due_from": "datetime64[us]", "due_to": "datetime64[us]"})
