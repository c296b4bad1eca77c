"""KPI trends against targets: aggregation that follows each indicator's rules, targets and
progress, the status shared by every page, and the lineage of any figure.

The arithmetic, decided once here (README « How a figure is built »):
- each series (operator × zone × audience) is rolled up on its own to the period, from the
  stored periods the period wholly contains and whose grain tiles it, by the indicator's
  time rule (sum for flows, last for stocks, mean for rates); a series giving a period and
  its sub-periods counts once; then the series are combined by the space rule;
- a territory measurement (measure: territory) never adds a zone or audience to a wider one
  reported: the widest counts; operators' outputs add up whatever their zones, but within one
  operator's report a total beside its parts is the figure (the parts are its breakdown);
- a ratio declaring numerator and denominator is Σ numerator / Σ denominator × scale over the
  values that give them; the others are named apart; the unweighted mean only when none does;
- a period is complete when every series expected there (expected.py: obligations, and
  reported data outside them) covers the part of it it is due; a partial period keeps its
  partial value, and carries no progress and no status: "not reported" is not zero, and
  nothing is split pro rata; a stock is its values at the period's end;
- progress = (value − baseline) / (target − baseline), read in the indicator's direction;
  the expected value at a date follows a linear pace from the baseline through each dated
  target; status compares progress with the expected progress (framework thresholds);
- flows are judged at their target's grain (a yearly target against a year's sum), stocks
  at their reporting grain (the latest stock), rates at their target's grain.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
from collections.abc import Callable, Iterable, Sequence

import duckdb
import numpy as np
import pandas as pd

from ardenne_kpi.core.errors import KpiError, PeriodError
from ardenne_kpi.core.indicator_status import STATUS_COLORS, STATUS_LABELS, STATUS_ORDER, STATUS_SYMBOLS  # noqa: F401 - kpis.STATUS_*
from ardenne_kpi.core.periods import Period, label_of, period_containing, period_from_code, periods_between, subperiods
from ardenne_kpi.db import SUBMITTED
from ardenne_kpi.db import kpis as sql
from ardenne_kpi.framework import Framework, Indicator, Target, expected

GRAIN_LABELS = {
    "quarter": "Trimestre",
    "semester": "Semestre civil",
    "programme-semester": "Semestre du programme (Interreg)",
    "year": "Année civile",
    "programme-year": "Année du programme (oct.–sept.)",
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
    operators=None,
    zones=None,
    audiences=None,
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
    if grain in _TWIN_GRAIN and not _tiles(ind.grain, grain):
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


def _tiles(fine: str, coarse: str) -> bool:
    """False when periods of grain `fine` cannot build periods of grain `coarse` (the two calendars)."""
    programme, calendar = {"programme-semester", "programme-year"}, {"semester", "year"}
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
        return all(_GRAIN_RANK.get(g, 0) <= _GRAIN_RANK.get(target, 0) and _tiles(g, target) for g in owed)

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


# ------------------------------------------------------------------ aggregation


def _join_codes(codes: Iterable[str]) -> str:
    return ", ".join(dict.fromkeys(codes))


# Grains a stored period can be tiled into, finest first.
_TILING_GRAINS = ("month", "quarter", "semester", "programme-semester", "programme-year", "year")


@functools.lru_cache(maxsize=65536)
def _n_sub(period: Period, grain: str, calendar) -> int | None:
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
                ind.frequency == "B",
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


def _named(names, count: int) -> str:
    names = list(names) if names is not None else []
    more = count - len(names)
    return ", ".join(names) + (f" et {more} autre{'s' if more > 1 else ''}" if more > 0 else "")


def _missing_text(item: dict, row: dict, calendar) -> str:
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
    if not absent:
        return f"{item['who']} n'a pas rapporté la fin de {row['label']}"
    return f"{item['who']} n'a pas rapporté {', '.join(absent)}"


def _note(row: dict, placed: dict, calendar) -> str:
    """The French note of one figure: what is missing, what was not counted, and why."""
    parts = []
    value = row.get("value")
    if value is None or pd.isna(value):
        parts.append("Aucune valeur calculable pour cette période (non déclaré ≠ zéro).")
    n_missing = int(row.get("n_missing") or 0)
    if n_missing:
        missing = [
            _missing_text(item, row, calendar)
            for item in list(row.get("missing") if row.get("missing") is not None else [])
        ]
        more = n_missing - len(missing)
        text = "; ".join(missing) + (f" ; et {more} autre(s) série(s) attendue(s)" if more > 0 else "")
        parts.append(f"Valeur partielle, sans progression ni statut : {text}.")
    if int(row.get("n_overlap") or 0):
        parts.append(
            f"{_named(row['overlap'], int(row['n_overlap']))} : période et sous-périodes déclarées "
            "toutes deux, seule la déclaration couvrant le plus de jours compte (jamais les deux)."
        )
    if int(row.get("n_nested") or 0):
        parts.append(
            f"Mesure d'un territoire : {_named(row['nested'], int(row['n_nested']))} "
            "déjà compris dans la zone plus large déclarée, non additionné."
        )
    if int(row.get("n_bare") or 0) and not row.get("weighted"):
        parts.append(
            f"Moyenne non pondérée : aucune des {int(row['n_bare'])} valeur(s) ne donne son numérateur "
            "et son dénominateur."
        )
    elif int(row.get("n_bare") or 0):
        parts.append(
            f"Ratio des composantes (Σ numérateur / Σ dénominateur) ; laissé à part, sans numérateur ni "
            f"dénominateur : {_named(row.get('bare'), int(row.get('n_bare_series') or 0))}."
        )
    if int(row.get("n_parts") or 0):
        parts.append(
            f"Total et détail d'un même rapport : le total compte, le détail n'est pas additionné "
            f"({_named(row['parts'], int(row['n_parts']))})."
        )
    if int(row.get("n_crossing") or 0):
        parts.append(
            "Valeur partielle : séries qui recoupent une zone plus large déclarée pour un public plus "
            f"étroit, écartées pour ne rien compter deux fois ({_named(row['crossing'], int(row['n_crossing']))})."
        )
    if int(row.get("n_outside") or 0):
        parts.append(
            f"Compté {expected.OUTSIDE} (aucune obligation ne le prévoit ici) : "
            f"{_named(row['outside'], int(row['n_outside']))}."
        )
    untiled = placed.get("untiled", [])
    named = any(item.get("untiled") for item in list(row.get("missing") if row.get("missing") is not None else []))
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
    fw: Framework, grains: dict[str, str], stored: pd.DataFrame, spans: dict[tuple[str, str], tuple]
) -> tuple[list, list, dict]:
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
    placement: dict[tuple[str, str], tuple] = {}
    grains_in: dict[tuple[str, str], set[str]] = {}  # the stored grains placed in each target period
    targets, notes = [], {}
    n_sub_of: dict[tuple[str, str], int | None] = {}  # (period code, grain): _n_sub, asked per group

    def n_sub(period: Period, grain: str) -> int | None:
        if (period.code, grain) not in n_sub_of:
            n_sub_of[(period.code, grain)] = _n_sub(period, grain, fw.calendar)
        return n_sub_of[(period.code, grain)]

    groups: dict[tuple, list[dict]] = {key: [] for key in spans}
    for record in stored.to_dict("records"):
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
            placed = {"grain": period.grain, "untiled": [], "straddles": [], "longer": [], "records": []}
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


def _whole_figure(ind: Indicator, period_end: dt.date, records: list[dict]) -> dict | None:
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
    con: duckdb.DuckDBPyConnection, fw: Framework, codes: Iterable[str], flt: sql.ValueFilter, by: str | None
) -> pd.DataFrame:
    """expected.expected_series for these indicators, narrowed as the values are (operators,
    zones, audiences, window, up to `as_of` or today: nothing is due in the future), with the
    group of each series (`grp`, by `by`)."""
    return _expected_of(fw, codes, flt, by, sql.series_spans(con, flt))


def _expected_of(
    fw: Framework, codes: Iterable[str], flt: sql.ValueFilter, by: str | None, spans: pd.DataFrame
) -> pd.DataFrame:
    """_expected from the series' spans (sql.series_spans) already read."""
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
    column = {None: None, "operator": "operator", "zone": "zone", "audience": "audience"}[by]
    return out.assign(grp=out[column] if column else "").reset_index(drop=True)


@dataclasses.dataclass(frozen=True)
class _Due:
    """What is due (_due): the expected series, their shape and how many series ever reported,
    per (indicator, group)."""

    expected: pd.DataFrame
    shape: dict[tuple[str, str], dict]
    n_ever: dict[tuple[str, str], int]


def _due(
    con: duckdb.DuckDBPyConnection, fw: Framework, codes: Iterable[str], flt: sql.ValueFilter, by: str | None
) -> _Due:
    """What is due for these indicators (_expected), its shape per (indicator, group)
    (_expected_shape) and how many series ever reported each (indicator, group) (`n_ever`):
    what does not depend on the grain, read once for several grains."""
    spans = sql.series_spans(con, flt)
    exp = _expected_of(fw, codes, flt, by, spans)
    column = {None: None, "operator": "operator", "zone": "zone", "audience": "audience"}[by]
    counts = spans.groupby(["indicator", spans[column] if column else pd.Series("", index=spans.index)]).size()
    return _Due(exp, _expected_shape(con, fw, exp), {key: int(n) for key, n in counts.items()})


def _expected_shape(con: duckdb.DuckDBPyConnection, fw: Framework, exp: pd.DataFrame) -> dict[tuple[str, str], dict]:
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
    found: dict[tuple, dict] = {}
    slow = []
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
            whole = dict(whole, n_outside=form["n_outside"], outside=form["outside"]) if alone else None
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
    rows = []
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
        row = {
            "indicator": code,
            "grp": grp,
            "period": p_code,
            "period_start": p_start,
            "period_end": p_end,
            "value": value,
            "label": label,
            "n_values": int(fig.get("n_values") or 0),
        }
        note_row = dict(fig, value=value, label=label, period=p_code)
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


def aggregate(
    con: duckdb.DuckDBPyConnection,
    fw: Framework,
    indicator_code: str,
    grain: str,
    *,
    operators=None,
    zones=None,
    audiences=None,
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
    operators=None,
    zones=None,
    audiences=None,
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


def comparable(ind: Indicator, grain: str, fw: Framework | None = None) -> bool:
    """True when values at `grain` can be judged against the targets (like with like)."""
    return ind.agg_time == "last" or grain == evaluation_grain(ind, fw)


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


def status_of(fw: Framework, share: float) -> str:
    """on_track / at_risk / off_track from a share of expected progress; no_data for NaN."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "no_data"
    if share >= fw.on_track:
        return "on_track"
    if share >= fw.at_risk:
        return "at_risk"
    return "off_track"


def indicator_status(
    con: duckdb.DuckDBPyConnection,
    fw: Framework,
    *,
    as_of: dt.date | None = None,
    operators=None,
    zones=None,
    audiences=None,
    window: tuple[dt.date, dt.date] | None = None,
    codes: Sequence[str] | None = None,
    submitted: bool = False,
) -> pd.DataFrame:
    """One row per framework indicator (or per code in `codes`): where it is, against what, and its status.

    The latest value is the latest complete period at the evaluation grain; it is compared
    with the expected value at that period's end and with the next target due. With no
    complete period, the latest partial value is shown (complete = False) without progress
    or status: a partial figure is never judged.
    """
    codes = [i.code for i in fw.indicators] if codes is None else list(codes)
    grains = {c: evaluation_grain(_indicator(fw, c), fw) for c in codes}
    flt = _filter(fw, codes, operators, zones, audiences, as_of, window, submitted)
    return _status(con, fw, codes, _aggregate_many(con, fw, grains, flt), flt)


def status_and_trends(
    con: duckdb.DuckDBPyConnection,
    fw: Framework,
    codes: Sequence[str],
    grain: str,
    *,
    operators=None,
    zones=None,
    submitted: bool = False,
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """What the Tendances page shows: `indicator_status(codes=codes)` (the whole portfolio) and
    `trends(codes, grain, operators=, zones=)`, computed together. An indicator shown at its
    evaluation grain, unfiltered, has the very figures its status was judged on: they are
    rolled up once, and only the other indicators a second time."""
    codes = list(codes)
    judged = {c: evaluation_grain(_indicator(fw, c), fw) for c in codes}
    flt = _filter(fw, codes, submitted=submitted)
    stored = sql.stored_periods(con, flt, None, _root_zone(fw))
    due = _due(con, fw, codes, flt, None)
    agg = _aggregate_many(con, fw, judged, flt, stored=stored, due=due)
    status = _status(con, fw, codes, agg, flt)
    shown = {c: display_grain(fw.indicator(c), grain) for c in codes}
    again = {c: g for c, g in shown.items() if operators or zones or g != judged[c]}
    if again:
        more = _filter(fw, list(again), operators, zones, submitted=submitted)
        # Unfiltered, the stored periods and what is due are the same whatever the grain: read once.
        same = not (operators or zones)
        again_agg = _aggregate_many(con, fw, again, more, stored=stored if same else None, due=due if same else None)
        agg = pd.concat([agg[~agg["indicator"].isin(list(again))], again_agg])
    return status, _trend_frames(fw, agg[agg["indicator"].isin(codes)])


def _status(
    con: duckdb.DuckDBPyConnection, fw: Framework, codes: list[str], agg: pd.DataFrame, flt: sql.ValueFilter
) -> pd.DataFrame:
    """indicator_status's rows, from the indicators' figures at their evaluation grain (`agg`)."""
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
        row = dict(
            indicator=code,
            label=ind.label,
            unit=ind.unit,
            latest_period=None,
            latest_value=float("nan"),
            baseline=ind.baseline.value,
            target=ind.final_target.value,
            target_period=ind.final_target.period.code,
            expected=float("nan"),
            progress=float("nan"),
            status="no_data",
            n_values=0,
            operators="",
            last_upload_id=None,
            complete=False,
            pace=float("nan"),
            note="Aucune valeur déclarée.",
        )
        pick = picks.get(code)
        if pick is not None:
            day = pick["period_end"]
            target = next_target(ind, day)
            inf = infos[code]
            row.update(
                latest_period=pick["period"],
                latest_value=float(pick["value"]),
                target=target.value,
                target_period=target.period.code,
                expected=expected_value(ind, day),
                complete=bool(pick["complete"]),
                n_values=int(inf["n_values"]),
                operators=inf["operators"] or "",
                last_upload_id=int(inf["last_upload_id"]),
                note=pick["note"],
            )
            if pick["complete"]:
                share = pace(ind, pick["value"], day)
                row.update(progress=progress(ind, pick["value"], target), pace=share, status=status_of(fw, share))
            else:
                row.update(note="Aucune période complète : dernière valeur partielle, sans statut. " + pick["note"])
        rows.append(row)
    return pd.DataFrame(rows, columns=INDICATOR_STATUS_COLUMNS)


def status_counts(status: pd.DataFrame) -> dict[str, int]:
    """How many indicators in each status, in display order (for tiles and captions)."""
    counts = status["status"].value_counts() if not status.empty else pd.Series(dtype=int)
    return {s: int(counts.get(s, 0)) for s in STATUS_ORDER}


def has_values(status: pd.DataFrame) -> bool:
    """Whether any indicator of `indicator_status` has a stored value."""
    return bool(status["n_values"].sum() != 0)


def status_row(status: pd.DataFrame, indicator_code: str) -> pd.Series:
    """One indicator's row of `indicator_status`."""
    return status.set_index("indicator").loc[indicator_code]


def reported(trend: pd.DataFrame) -> pd.DataFrame:
    """The periods of a trend (`trends`) that hold values, in its order."""
    return trend[trend["n_values"] > 0]


def period_note(trend: pd.DataFrame, period_code: str) -> str:
    """What a trend says of one of its periods (what is missing, what was set aside)."""
    return trend.set_index("period").loc[period_code, "note"]


def lineage_uploads(lineage_df: pd.DataFrame) -> list:
    """The uploads behind a lineage (`lineage`) whose original file was kept, once each, in its order:
    rows with upload_id and file_name among their fields."""
    return list(lineage_df[lineage_df["stored_path"].notna()].drop_duplicates("upload_id").itertuples(index=False))


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
        if grain == evaluation_grain(ind, fw):
            first, last = out["period_start"].iloc[0], ind.final_target.period.end
            planned = sum(
                expected_value(ind, p.end) for p in periods_between(grain, first, last, fw.calendar) if p.end <= last
            )
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
        out["progress"] = [
            progress(ind, v, next_target(ind, d)) for v, d in zip(total, out["period_end"], strict=False)
        ]
    else:
        total = values
        previous = pd.Series(float("nan"), index=out.index)
        out["this_period"] = values
        out["target"] = [next_target(ind, d).value for d in out["period_end"]]
        out["progress"] = [
            progress(ind, v, next_target(ind, d)) for v, d in zip(values, out["period_end"], strict=False)
        ]
    out["previously_reported"] = previous
    out["total"] = total
    return out[cols].reset_index(drop=True)


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
    columns: dict[str, list] = {c: [] for c in TREND_COLUMNS}
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


def interreg_table(
    fw: Framework, indicator_code: str, view: pd.DataFrame, fmt: Callable[[float, int], str] | None = None
) -> pd.DataFrame:
    """The Interreg view as a French table (numbers formatted with `fmt` when given)."""
    decimals = decimals_of(_indicator(fw, indicator_code))
    names = {
        "label": "Période",
        "previously_reported": "Déjà déclaré",
        "this_period": "Cette période",
        "total": "Total",
        "target": "Cible",
        "progress": "Progression",
    }
    table = view[list(names)].copy()
    if fmt:
        for column in ("previously_reported", "this_period", "total", "target"):
            table[column] = [fmt(v, decimals) for v in table[column]]
        table["progress"] = [fmt(100 * v, 0) + " %" if pd.notna(v) else "–" for v in table["progress"]]
    table["Complète"] = ["oui" if c else "non" for c in view["complete"]]
    return table.rename(columns=names)


EXPORT_COLUMNS = [
    "indicator",
    "period",
    "period_start",
    "period_end",
    "value",
    "complete",
    "cumulative",
    "baseline",
    "target",
    "progress",
    "status",
    "rule",
    "note",
]


def export_frame(con: duckdb.DuckDBPyConnection, fw: Framework, grain: str, *, submitted: bool = False) -> pd.DataFrame:
    """One row per indicator × period at `grain` with a value, or without one when a report
    was due there or the value cannot be built at this grain; over every operator, zone and audience.

    Columns: indicator, period, period_start, period_end, value (empty when none can be
    built), complete, cumulative, baseline, target, progress, status (empty when not
    comparable or incomplete), rule (how the figure is built), note (in French, what is
    missing or why no value can be built).
    """
    if grain not in GRAIN_LABELS:
        raise KpiError(f"Granularité « {grain} » inconnue : {', '.join(GRAIN_LABELS)}.")
    codes = [i.code for i in fw.indicators]
    agg = _aggregate_many(con, fw, {c: grain for c in codes}, _filter(fw, codes, submitted=submitted))
    agg = agg[agg["value"].notna() | agg["explained"].astype(bool)]
    if agg.empty:
        return pd.DataFrame(columns=EXPORT_COLUMNS)
    out = _with_trend(fw, agg)
    out["rule"] = out["indicator"].map({c: rule_text(fw.indicator(c)) for c in out["indicator"].unique()})
    order = {c: i for i, c in enumerate(codes)}
    out = out.sort_values(["indicator", "period_start"], key=lambda s: s.map(order) if s.name == "indicator" else s)
    return out[EXPORT_COLUMNS].reset_index(drop=True)


# ------------------------------------------------------------------ lineage

PENDING_NOTE = " — soumis, pas encore validé par la coordination"

LINEAGE_REASONS = {
    "": "compté",
    "grain": "non compté : la même série a déclaré la période et ses sous-périodes, l'autre déclaration compte",
    "nested": "non compté : territoire déjà compris dans {outer}",
    "part": "non compté : détail du total {outer} du même rapport, qui compte",
    "duplicate": "non compté : même territoire mesuré dans un autre rapport, plus récent",
    "crossing": "non compté : recoupe {outer}, zone plus large pour un public plus étroit, qui compte",
}


def lineage(
    con: duckdb.DuckDBPyConnection,
    fw: Framework,
    indicator_code: str,
    period_code: str,
    *,
    operators=None,
    zones=None,
    audiences=None,
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
    records = stored.to_dict("records")
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
        con, flt, _rules(fw, [ind.code]), placement, _covers(fw, "zones"), _covers(fw, "audiences")
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
    operators=None,
    zones=None,
    audiences=None,
    submitted: bool = False,
) -> dict:
    """One figure with everything behind it: its value, whether it is complete, the rule and
    the note that built it, and its lineage (what the page and `lineage` command show).

    Returns {indicator, label, unit, period, period_label, grain, value, complete, rule,
    note, lineage (DataFrame, see `lineage`)}.
    """
    ind = _indicator(fw, indicator_code)
    period = _period(fw, period_code)
    figure = {"value": float("nan"), "complete": False, "note": "Aucune valeur déclarée pour cette période."}
    if period.grain in GRAIN_LABELS or period.grain == "month":
        agg = aggregate(
            con, fw, ind.code, period.grain, operators=operators, zones=zones, audiences=audiences, submitted=submitted
        )
        match = agg[agg["period"] == period.code]
        if not match.empty:
            figure = match.iloc[0].to_dict()
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


# ------------------------------------------------------------------ tables for people


def values_table(
    fw: Framework,
    indicator_code: str,
    trend: pd.DataFrame,
    fmt: Callable[[float, int], str] | None = None,
    by: str | None = None,
) -> pd.DataFrame:
    """The values of one indicator as a French table (formatted with `fmt` when given, e.g. ui.fmt_number).

    Without `fmt` (the CSV download) numbers are rounded to the indicator's decimals and the
    progress is a percentage (« Progression (%) »), never a raw float or a fraction. A running
    total (« Cumul ») only for flows: a rate or a stock does not add up."""
    ind = _indicator(fw, indicator_code)
    decimals = decimals_of(ind)
    table = pd.DataFrame({"Période": trend["label"]})
    if by:
        table.insert(0, BY_LABELS[by], [fw.label(_section(by), c) or "Tous publics (non ventilé)" for c in trend[by]])
    numeric = {"Valeur": trend["value"]}
    if adds_up(ind):
        numeric["Cumul"] = trend["cumulative"]
    like = bool(trend["comparable"].iloc[0]) if "comparable" in trend and len(trend) else True
    for column in ("expected", "target") if like else ():  # no target beside values it cannot be compared with
        if column in trend:
            numeric[{"expected": "Attendu (rythme linéaire)", "target": "Cible"}[column]] = trend[column]
    for name, series in numeric.items():
        table[name] = [
            fmt(v, decimals)
            if fmt and pd.notna(v)
            else ("" if fmt else (round(float(v), decimals) if pd.notna(v) else None))
            for v in series
        ]
    if "progress" in trend:
        if fmt:
            table["Progression"] = [fmt(100 * v, 0) + " %" if pd.notna(v) else "" for v in trend["progress"]]
        else:
            table["Progression (%)"] = [round(100 * float(v), 1) if pd.notna(v) else None for v in trend["progress"]]
    if "status" in trend:
        table["Statut"] = [STATUS_LABELS.get(s, "") for s in trend["status"]]
    table["Complète"] = ["oui" if c else "non" for c in trend["complete"]]
    table["Remarque"] = trend["note"].to_numpy()
    return table.reset_index(drop=True)


def adds_up(ind: Indicator) -> bool:
    """Whether a running total means something: flows summed over time, not rates, ratios or stocks."""
    return ind.agg_time == "sum" and not ind.is_percent and not ind.is_ratio


def _section(by: str) -> str:
    return {"zone": "zones", "operator": "operators", "audience": "audiences"}[by]


def group_label(fw: Framework, by: str, code: str) -> str:
    """French name of a breakdown group ('' audience = not broken down)."""
    if by == "audience" and not code:
        return "Tous publics (non ventilé)"
    return fw.label(_section(by), code)


def group_labels(fw: Framework, by: str, parts: pd.DataFrame) -> dict[str, str]:
    """French names of the groups of a breakdown (`aggregate(…, by=by)`)."""
    return {c: group_label(fw, by, c) for c in parts[by].unique()}


# "Where does it come from" first: on a projector the right-hand columns are the first to scroll away.
LINEAGE_LABELS = {
    "period": "Période",
    "value": "Valeur",
    "comment": "Commentaire du partenaire",
    "reason": "Compté ?",
    "file_name": "Fichier",
    "upload_id": "Import n°",
    "sheet": "Feuille",
    "cell": "Cellule",
    "operator": "Opérateur",
    "zone": "Zone",
    "audience": "Public",
    "numerator": "Numérateur",
    "denominator": "Dénominateur",
    "uploaded_by": "Importé par",
    "uploaded_at": "Importé le",
}


# File names of uploads made on the web form (web_entry.file_name), and the template's first line.
WEB_ENTRY_PREFIX = "saisie_en_ligne_"
TEMPLATE_FIRST_ROW = 7


def lineage_table(
    fw: Framework, lineage_df: pd.DataFrame, fmt: Callable[[float, int], str] | None = None, decimals: int = 0
) -> pd.DataFrame:
    """The lineage as a French table: names instead of codes, numbers formatted with `fmt`."""
    table = lineage_df[list(LINEAGE_LABELS)].copy()
    table["operator"] = [fw.label("operators", c) for c in table["operator"]]
    table["zone"] = [fw.label("zones", c) for c in table["zone"]]
    table["audience"] = [group_label(fw, "audience", c) for c in table["audience"]]
    if fmt:
        table["value"] = [fmt(v, decimals) for v in table["value"]]
        for column in ("numerator", "denominator"):
            table[column] = [fmt(v, 0) if pd.notna(v) else "" for v in table[column]]
    table["comment"] = table["comment"].fillna("")
    table["period"] = [label_of(c, fw.calendar) for c in table["period"]]
    table["uploaded_at"] = [
        pd.Timestamp(t).strftime("%d/%m/%Y %H:%M") if pd.notna(t) else "" for t in table["uploaded_at"]
    ]
    # A value entered on the web form: its "file" is the form, its row the grid's line.
    online = table["file_name"].astype(str).str.startswith(WEB_ENTRY_PREFIX)
    table.loc[online, "file_name"] = [
        f"saisi en ligne par {by or 'un utilisateur'} le {at[:10]}"
        for by, at in zip(table.loc[online, "uploaded_by"], table.loc[online, "uploaded_at"], strict=True)
    ]
    table.loc[online, "cell"] = [
        f"ligne {int(c[1:]) - TEMPLATE_FIRST_ROW + 1} de la grille" if str(c)[1:].isdigit() else c
        for c in table.loc[online, "cell"]
    ]
    return table.rename(columns=LINEAGE_LABELS)


def decimals_of(ind: Indicator) -> int:
    """Decimals to show: one for rates and means, none for counts."""
    return 1 if ind.is_percent or ind.agg_time == "mean" else 0


def outside_series(con: duckdb.DuckDBPyConnection, fw: Framework) -> pd.DataFrame:
    """Every series reported outside any obligation (expected.py: data « hors obligation »), with
    its first and last reported periods: what the coordination may adopt as an obligation, or end.

    Columns: indicator, operator, zone, audience, grain, first_period, last_period.
    """
    columns = ["indicator", "operator", "zone", "audience", "grain", "first_period", "last_period"]
    spans = sql.series_spans(con, sql.ValueFilter())
    if spans.empty:
        return pd.DataFrame(columns=columns)
    exp = expected.expected_series(fw, spans)
    keys = ["indicator", "operator", "zone", "audience"]
    outside = exp[~exp["obligation"]][keys].drop_duplicates()
    out = spans.merge(outside, on=keys)
    # a breakdown of a series the same operator owes (its NL visitors beside all visitors) needs no obligation
    inside = fw.within

    def part_of_owed(op: str, code: str, zone: str, audience: str) -> bool:
        ob = fw.obligation(op, code)
        return ob is not None and any(
            key != (zone, audience) and inside((zone, audience), key) for key in expected.obligation_keys(fw, ob)
        )

    out = out[
        [
            not part_of_owed(*k)
            for k in zip(out["operator"], out["indicator"], out["zone"], out["audience"], strict=True)
        ]
    ]
    if out.empty:
        return pd.DataFrame(columns=columns)

    def code(day, grain: str) -> str:
        found = period_containing(pd.Timestamp(day).date(), grain, fw.calendar)
        return found.code if found is not None else ""

    out["first_period"] = [code(d, g) for d, g in zip(out["first_start"], out["grain"], strict=True)]
    out["last_period"] = [code(d, g) for d, g in zip(out["last_end"], out["grain"], strict=True)]
    order = {c.code: n for n, c in enumerate(fw.indicators)}
    out = out.assign(_o=out["indicator"].map(order)).sort_values(["_o", "operator", "zone", "audience"])
    return out[columns].reset_index(drop=True)
