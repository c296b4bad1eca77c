"""Where a stored value counts: the roll-up rules of each indicator, the tiling of a period by
stored periods, the series expected there (expected.py), and the French notes that say
why a figure is partial.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Iterable
from typing import Any, TypedDict, cast

import duckdb
import pandas as pd

from ardenne_kpi.core.errors import PeriodError
from ardenne_kpi.core.periods import Calendar, Frequency, Period, period_from_code, periods_between, subperiods
from ardenne_kpi.db import kpis as sql
from ardenne_kpi.figures.grains import GRAIN_LABELS
from ardenne_kpi.framework import Framework, Indicator, expected

# ------------------------------------------------------------------ aggregation

# A placement row (indicator, stored period, target period, the day a stock is read, n_sub,
# p_idx: the target's rank in its grain's calendar, mixed: grains stored there > 1).
_PlacementRow = tuple[str, str, str, dt.date, int, int, bool]
# A target period of an (indicator, group): code, start, end, French label, the grains tiling it.
_Target = tuple[str, str, str, dt.date, dt.date, str, list[str]]


class _Placed(TypedDict):
    """The stored periods of one target period (`records`, each with its n_sub) and those that
    could not count there: untiled (period, grain), straddling its bounds, or longer than it."""

    grain: str
    untiled: list[tuple[str, str]]
    straddles: list[str]
    longer: list[str]
    records: list[dict[str, Any]]


# What is due for one (indicator, group) (_expected_shape): how many series, every one due from
# … to, something due over `span`, at which grains, nesting, owed and data mixed, outside any obligation.
_Shape = TypedDict(
    "_Shape",
    {
        "n_keys": int,
        "from": dt.date,
        "to": dt.date,
        "span": tuple[dt.date, dt.date],
        "grains": set[str],
        "nests": bool,
        "mixed": bool,
        "n_outside": int,
        "outside": list[str],
    },
)


def _join_codes(codes: Iterable[str]) -> str:
    return ", ".join(dict.fromkeys(codes))


# Grains a stored period can be tiled into, finest first.
_TILING_GRAINS = ("month", "quarter", "semester", "programme-semester", "programme-year", "year")


@functools.lru_cache(maxsize=65536)
def _n_sub(period: Period, grain: str, calendar: Calendar) -> int | None:
    """How many periods of `grain` tile `period` exactly, or None when they do not.

    A programme year always holds two programme semesters, even when the second lies
    beyond the calendar (then it is never complete). Values are never split: a grain that
    does not tile the period (programme semesters in a calendar year) places nothing there.
    """
    if period.grain == grain:
        return 1
    if period.grain == "programme-year" and grain == "programme-semester":
        return 2
    if grain == "range":
        return None
    try:
        return len(subperiods(period, grain, calendar))
    except PeriodError:
        return None


def _rules(fw: Framework, codes: Iterable[str], nesting: set[str] | None = None) -> pd.DataFrame:
    """One row per indicator: the rules the SQL rollup applies. `nesting`: the indicators where
    an operator's series may contain another of its own (a total and its parts; all by default)."""
    rows = []
    for code in codes:
        ind = fw.indicator(code)
        rows.append(
            (
                code,
                ind.agg_time,
                ind.agg_space,
                ind.is_territory,
                ind.is_ratio,
                float(ind.ratio_scale),
                ind.components_agg,
                ind.frequency == Frequency.BIENNIAL,
                nesting is None or code in nesting,
            )
        )
    return pd.DataFrame(
        rows,
        columns=[
            "indicator",
            "agg_time",
            "agg_space",
            "territory",
            "ratio",
            "scale",
            "components_agg",
            "sparse",
            "nests",
        ],
    )


def _covers(fw: Framework, section: str) -> pd.DataFrame:
    """(code_in, code_out, depth_out) for every code of a parent-linked section and each code
    containing it, itself included; depth_out counts code_out's ancestors (0 = a root)."""
    codes = [e.code for e in getattr(fw, section)]
    depth = {c: len(fw.ancestors(section, c)) for c in codes}
    pairs = [(c, up, depth.get(up, 0)) for c in codes for up in (c, *sorted(fw.ancestors(section, c)))]
    return pd.DataFrame(pairs, columns=["code_in", "code_out", "depth_out"])


def _root_zone(fw: Framework) -> str | None:
    """The zone containing every other one (the whole Ardenne), or None when there is none."""
    for z in fw.zones:
        if all(z.code == o.code or z.code in fw.ancestors("zones", o.code) for o in fw.zones):
            return z.code
    return None


def rule_text(ind: Indicator) -> str:
    """In French, how a figure of `ind` is built: over time, across series, and what it measures."""
    over_time = {"sum": "somme des périodes", "last": "dernière valeur de la période", "mean": "moyenne des périodes"}[
        ind.agg_time
    ]
    if ind.is_ratio:
        scale = f" × {ind.ratio_scale:g}" if ind.ratio_scale != 1 else ""
        parts = [
            f"ratio des agrégats : Σ {ind.numerator} / Σ {ind.denominator}{scale}"
            + (" (dernières valeurs)" if ind.components_agg == "last" else "")
        ]
    elif ind.agg_time == "mean" or ind.agg_space == "mean":
        parts = [over_time, "moyenne non pondérée des séries (aucune composante déclarée)"]
    else:
        across = {"sum": "somme des séries", "last": "dernière valeur des séries", "mean": "moyenne des séries"}[
            ind.agg_space
        ]
        parts = [over_time, across]
    parts.append(
        "mesure d'un territoire : une zone contient ses sous-zones, jamais additionnées"
        if ind.is_territory
        else "production des opérateurs : s'additionne entre opérateurs et zones"
    )
    text = " ; ".join(parts)
    return text[0].upper() + text[1:] + "."


def _named(names: Iterable[str] | None, count: int) -> str:
    names = list(names) if names is not None else []
    more = count - len(names)
    return ", ".join(names) + (f" et {more} autre{'s' if more > 1 else ''}" if more > 0 else "")


class _NoteRow(sql.FigureRow, total=False):
    """A figure as its note reads it: with its period's French label."""

    label: str


def _missing_text(item: sql.MissingSeries, row: _NoteRow, calendar: Calendar) -> str:
    """« ADT08 (FR-08) n'a pas rapporté S11 » or « … n'a pas rapporté T4 2019 » for one series due."""
    if item.get("untiled"):
        own = GRAIN_LABELS.get(item["grain"], "mois" if item["grain"] == "month" else item["grain"]).lower()
        return f"{item['who']}, rapporté par {own}, ne découpe pas {row['label']} (jamais réparti au prorata)"
    if not item.get("grain"):
        return f"{item['who']} n'a pas rapporté {row['label']}"
    period = period_from_code(row["period"], calendar)
    got = set(item.get("got") or [])
    try:
        absent = [p.label_fr for p in subperiods(period, item["grain"], calendar) if p.code not in got]
    except PeriodError:
        absent = []
    if item.get("stock"):  # a stock is its value at the period's end: only the end is missing
        absent = absent[-1:]
    if not absent:
        return f"{item['who']} n'a pas rapporté la fin de {row['label']}"
    return f"{item['who']} n'a pas rapporté {', '.join(absent)}"


def _note(row: _NoteRow, placed: _Placed, calendar: Calendar) -> str:
    """The French note of one figure: what is missing, what was not counted, and why."""
    parts = []
    value = row.get("value")
    listed = row.get("missing")  # the series named as missing (up to rollup_sql.NOTE_NAMES), or None
    if value is None or pd.isna(value):
        parts.append("Aucune valeur calculable pour cette période (non déclaré ≠ zéro).")
    n_missing = int(row.get("n_missing") or 0)
    if n_missing:
        missing = [_missing_text(item, row, calendar) for item in list(listed if listed is not None else [])]
        more = n_missing - len(missing)
        text = "; ".join(missing) + (f" ; et {more} autre(s) série(s) attendue(s)" if more > 0 else "")
        parts.append(f"Valeur partielle, sans progression ni statut : {text}.")
    n_overlap = int(row.get("n_overlap") or 0)
    if n_overlap:
        parts.append(
            f"{_named(row['overlap'], n_overlap)} : période et sous-périodes déclarées "
            "toutes deux, seule la déclaration couvrant le plus de jours compte (jamais les deux)."
        )
    n_nested = int(row.get("n_nested") or 0)
    if n_nested:
        parts.append(
            f"Mesure d'un territoire : {_named(row['nested'], n_nested)} "
            "déjà compris dans la zone plus large déclarée, non additionné."
        )
    n_bare = int(row.get("n_bare") or 0)
    if n_bare and not row.get("weighted"):
        parts.append(
            f"Moyenne non pondérée : aucune des {n_bare} valeur(s) ne donne son numérateur et son dénominateur."
        )
    elif n_bare:
        parts.append(
            f"Ratio des composantes (Σ numérateur / Σ dénominateur) ; laissé à part, sans numérateur ni "
            f"dénominateur : {_named(row.get('bare'), int(row.get('n_bare_series') or 0))}."
        )
    n_parts = int(row.get("n_parts") or 0)
    if n_parts:
        parts.append(
            f"Total et détail d'un même rapport : le total compte, le détail n'est pas additionné "
            f"({_named(row['parts'], n_parts)})."
        )
    n_crossing = int(row.get("n_crossing") or 0)
    if n_crossing:
        parts.append(
            "Valeur partielle : séries qui en recoupent une autre sans y être incluses (zone plus large, "
            "public plus étroit), écartées pour ne rien compter deux fois ; la série due l'emporte sur "
            f"une série hors obligation, sinon la zone la plus large ({_named(row['crossing'], n_crossing)})."
        )
    n_outside = int(row.get("n_outside") or 0)
    if n_outside:
        parts.append(
            f"Compté {expected.OUTSIDE} (aucune obligation ne le prévoit ici) : {_named(row['outside'], n_outside)}."
        )
    untiled = placed.get("untiled", [])
    named = any(item.get("untiled") for item in list(listed if listed is not None else []))
    if untiled and not named:
        if placed["grain"] == "year" and {grain for _, grain in untiled} == {"programme-semester"}:
            parts.append(
                "Année civile non calculable : rapporté par semestre du programme (voir l'année du programme)."
            )
        else:
            parts.append(
                f"Non compté : {_join_codes(code for code, _ in untiled)} ne découpe pas exactement la période "
                "(jamais réparti au prorata)."
            )
    if placed.get("straddles"):
        many = len(set(placed["straddles"])) > 1
        parts.append(
            f"Non compté{'s' if many else ''} : {_join_codes(placed['straddles'])} "
            f"{'chevauchent' if many else 'chevauche'} la limite de la période (jamais réparti au prorata)."
        )
    if placed.get("longer"):
        many = len(set(placed["longer"])) > 1
        parts.append(
            f"Non compté{'s' if many else ''} : {_join_codes(placed['longer'])} "
            f"{'couvrent' if many else 'couvre'} une période plus longue (jamais réparti)."
        )
    return " ".join(parts)


def _placement(
    fw: Framework, grains: dict[str, str], stored: pd.DataFrame, spans: dict[tuple[str, str], tuple[dt.date, dt.date]]
) -> tuple[list[_PlacementRow], list[_Target], dict[tuple[str, str, str], _Placed]]:
    """Decide, on the small table of stored periods, where each one counts.

    Returns placement rows (indicator, period, p_code, p_end, n_sub, p_idx: the target period's
    rank in its grain's calendar, mixed), the target periods
    of each (indicator, group) with the grains that tile them, and per (indicator, group,
    target period) the stored periods placed there and what the note must say about values
    that could not count. The target periods run over the stored values and over `spans`
    ((indicator, group) → (first day, last day) something is due: expected.py).
    """
    lo = min([fw.calendar.start, *(s[0] for s in spans.values())])
    hi = max([fw.calendar.end, *(s[1] for s in spans.values())])
    if not stored.empty:
        lo, hi = min(stored["period_start"].min(), lo), max(stored["period_end"].max(), hi)
    calendars = {g: periods_between(g, lo, hi, fw.calendar) for g in set(grains.values())}
    placement: dict[tuple[str, str], tuple[str, str, str, dt.date, int, int]] = {}
    grains_in: dict[tuple[str, str], set[str]] = {}  # the stored grains placed in each target period
    targets: list[_Target] = []
    notes: dict[tuple[str, str, str], _Placed] = {}
    n_sub_of: dict[tuple[str, str], int | None] = {}  # (period code, grain): _n_sub, asked per group

    def n_sub(period: Period, grain: str) -> int | None:
        if (period.code, grain) not in n_sub_of:
            n_sub_of[(period.code, grain)] = _n_sub(period, grain, fw.calendar)
        return n_sub_of[(period.code, grain)]

    groups: dict[tuple[str, str], list[dict[str, Any]]] = {key: [] for key in spans}
    for record in cast(list[dict[str, Any]], stored.to_dict("records")):  # keyed by column names
        groups.setdefault((record["indicator"], record["grp"]), []).append(record)
    for (code, grp), records in groups.items():
        bounds = [(r["period_start"], r["period_end"]) for r in records]
        if (code, grp) in spans:
            bounds.append(spans[(code, grp)])
        first, last = min(b[0] for b in bounds), max(b[1] for b in bounds)
        for idx, period in enumerate(calendars[grains[code]]):
            if period.end < first or period.start > last:
                continue
            tiling = [g for g in _TILING_GRAINS if n_sub(period, g)]
            targets.append((code, grp, period.code, period.start, period.end, period.label_fr, tiling))
            placed: _Placed = {"grain": period.grain, "untiled": [], "straddles": [], "longer": [], "records": []}
            for r in records:
                if r["period_end"] < period.start or r["period_start"] > period.end:
                    continue
                if period.start <= r["period_start"] and r["period_end"] <= period.end:
                    n_sub_r = n_sub(period, r["grain"])
                    if n_sub_r is None:
                        placed["untiled"].append((r["period"], r["grain"]))
                    else:
                        # a stock is read at the period's end, or at the programme's for a period running past it
                        at = min(period.end, fw.calendar.end)
                        placement[(code, r["period"])] = (code, r["period"], period.code, at, n_sub_r, idx)
                        grains_in.setdefault((code, period.code), set()).add(r["grain"])
                        placed["records"].append(r | {"n_sub": n_sub_r})
                elif r["period_start"] <= period.start and r["period_end"] >= period.end:
                    placed["longer"].append(r["period"])
                else:
                    placed["straddles"].append(r["period"])
            notes[(code, grp, period.code)] = placed
    rows = [(*p, len(grains_in[(p[0], p[2])]) > 1) for p in placement.values()]
    return rows, targets, notes


# How many periods of one indicator the per-series pass can mark in one key's mask (UHUGEINT).
_TOP_MASK_BITS = 128


def _whole_figure(ind: Indicator, period_end: dt.date, records: list[dict[str, Any]]) -> sql.FigureRow | None:
    """The figure of a period from the sums of its stored periods alone, or None when the
    period needs the per-series pass.

    Alone is enough when one grain was stored, no territory can nest, and every series that
    ever reported the indicator gave every sub-period (the last one, for a stock): then each
    series is whole and the per-series rules reduce to these sums (the mean of equal-sized
    means is the overall mean). The caller checks that every series due there is one of them
    (_expected_shape).
    """
    if not records or ind.is_territory or ind.agg_space == "last" or len({r["grain"] for r in records}) > 1:
        return None
    series, n_sub = int(records[0]["n_ever"]), int(records[0]["n_sub"])
    last = [r for r in records if r["period_end"] == period_end]
    if ind.agg_time == "last":
        if not last or int(last[0]["n"]) != series:
            return None
    elif len(records) != n_sub or any(int(r["n"]) != series for r in records):
        return None
    total = sum(r["s"] for r in records)
    bare = sum(int(r["n_bare"]) for r in records)
    n_values = sum(int(r["n"]) for r in records)
    if ind.is_ratio and bare and bare != n_values:
        return None  # some values carry their components, others not: the per-series pass sets them apart
    if ind.is_ratio and not bare:
        part = last if ind.components_agg == "last" else records
        den = sum(r["s_den"] for r in part)
        value = sum(r["s_num"] for r in part) / den * ind.ratio_scale if den else float("nan")
    elif ind.is_ratio:
        value = total / (series * n_sub)
    else:
        base = {"sum": total, "mean": total / n_sub, "last": last[0]["s"] if last else float("nan")}[ind.agg_time]
        value = base if ind.agg_space == "sum" else base / series
    return {
        "value": value,
        "n_values": n_values,
        "n_series": series,
        "n_bare": bare if ind.is_ratio else 0,
        "weighted": ind.is_ratio and not bare,
    }


def _expected(
    fw: Framework, codes: Iterable[str], flt: sql.ValueFilter, by: str | None, spans: pd.DataFrame
) -> pd.DataFrame:
    """expected.expected_series for these indicators, from the series' spans already read
    (sql.series_spans), narrowed as the values are (operators, zones, audiences, window, up to
    `as_of` or today: nothing is due in the future), with the group of each series (`grp`, the
    column `by` names: a break-down checked by the caller)."""
    out = expected.expected_series(fw, spans, list(codes))
    for column, wanted in (("operator", flt.operators), ("zone", flt.zones), ("audience", flt.audiences)):
        if wanted is not None:
            out = out[out[column].isin(list(wanted))]
    horizon = pd.Timestamp(flt.as_of or dt.date.today())
    lo, hi = (pd.Timestamp(flt.window[0]), pd.Timestamp(flt.window[1])) if flt.window else (None, None)
    out = out.assign(due_to=out["due_to"].where(out["due_to"] <= horizon, horizon))
    if lo is not None:
        out = out.assign(
            due_from=out["due_from"].where(out["due_from"] >= lo, lo),
            due_to=out["due_to"].where(out["due_to"] <= hi, hi),
        )
    out = out[out["due_from"] <= out["due_to"]]
    return out.assign(grp=out[by] if by else "").reset_index(drop=True)


@dataclasses.dataclass(frozen=True)
class _Due:
    """What is due (_due): the expected series, their shape and how many series ever reported,
    per (indicator, group)."""

    expected: pd.DataFrame
    shape: dict[tuple[str, str], _Shape]
    n_ever: dict[tuple[str, str], int]


def _due(
    con: duckdb.DuckDBPyConnection, fw: Framework, codes: Iterable[str], flt: sql.ValueFilter, by: str | None
) -> _Due:
    """What is due for these indicators (_expected), its shape per (indicator, group)
    (_expected_shape) and how many series ever reported each (indicator, group) (`n_ever`):
    what does not depend on the grain, read once for several grains."""
    spans = sql.series_spans(con, flt)
    exp = _expected(fw, codes, flt, by, spans)
    counts = spans.groupby(["indicator", spans[by] if by else pd.Series("", index=spans.index)]).size()
    # pandas-stubs type a label as Hashable: a two-level index's labels are (indicator, group) pairs
    return _Due(exp, _expected_shape(con, fw, exp), {cast(tuple[str, str], key): int(n) for key, n in counts.items()})


def _expected_shape(con: duckdb.DuckDBPyConnection, fw: Framework, exp: pd.DataFrame) -> dict[tuple[str, str], _Shape]:
    """Per (indicator, group): how many series are expected, from when all of them and until
    when, at which grains, those outside any obligation, and whether one operator gave a total
    beside its parts: what lets a period's figure come from the stored sums alone (_whole_figure)."""
    if exp.empty:
        return {}
    rows = sql.expected_shape(con, exp, _covers(fw, "zones"), _covers(fw, "audiences"))
    return {
        (r["indicator"], r["grp"]): {
            "n_keys": int(r["n_keys"]),
            "from": r["due_from"],  # every series due from (its latest start) … to (its earliest end)
            "to": r["due_to"],
            "span": (r["first_due"], r["last_due"]),  # something is due from … to
            "grains": set(r["grains"]),
            "nests": bool(r["nests"]),
            "mixed": bool(r["mixed"]),  # owed in some periods, data in others: said period by period
            "n_outside": int(r["n_outside"]),
            "outside": list(r["outside"] or []),
        }
        for r in rows
    }


def _beyond_text(fw: Framework) -> str:
    """The note of a period running outside the programme: its value holds the programme's months alone."""
    cal = fw.calendar
    return (
        f"Période débordant du programme ({cal.start:%d/%m/%Y} – {cal.end:%d/%m/%Y}) : valeur des seuls mois "
        "du programme, sans progression ni statut (rien n'est dû hors du programme)."
    )


def _cumulative(fw: Framework, out: pd.DataFrame) -> pd.Series:
    """Running total for flows, the stock itself for stocks, the running mean for rates."""
    values = out["value"].astype(float)
    keys = [out["indicator"], out["grp"]]
    running_sum = values.groupby(keys).cumsum()
    running_mean = running_sum / values.notna().astype(int).groupby(keys).cumsum()
    rule = out["indicator"].map({c: fw.indicator(c).agg_time for c in out["indicator"].unique()})
    result = values.where(rule == "last", running_sum.where(rule == "sum", running_mean))
    return result.where(values.notna() | (rule == "mean"), float("nan"))
