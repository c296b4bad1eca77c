"""The public figures of the attractiveness portal ("L'Ardenne en chiffres"): what the
`publish` command writes as a static site and what the page « Chiffres clés » shows.

One builder for both, so the site and the page always say the same thing:
- only the indicators the framework marks `public: true`, under their public label and
  their sentence for the general reader;
- only complete periods (`_publishable`): a partial period would read as a fall;
- by audience (habitants, entreprises, visiteurs: the seed's "public concerné") and by zone;
- nothing that names a person or a file: figures are aggregates over every operator, and
  no comment, upload, file, sheet, cell, operator or account is ever read into them.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, cast

import duckdb
import pandas as pd

from ardenne_kpi import db, figures
from ardenne_kpi.core.format import NBSP, fmt_date, fmt_number, fmt_percent
from ardenne_kpi.core.periods import Period, period_from_code
from ardenne_kpi.db import publication as sql
from ardenne_kpi.framework import Framework, Indicator, OpenData, Zone

# The seed deploys the plan "par public concerné (habitants, entreprises, visiteurs)".
AUDIENCES = ("HAB", "ENT", "VIS")
AUDIENCE_TITLES = {"HAB": "Pour les habitants", "ENT": "Pour les entreprises", "VIS": "Pour les visiteurs"}

CARD_COLUMNS = [
    "indicator",
    "label",
    "sentence",
    "unit",
    "decimals",
    "direction",
    "grain",
    "period",
    "period_label",
    "period_end",
    "value",
    "value_text",
    "previous_label",
    "change",
    "change_text",
    "delta",
    "target",
    "target_period",
    "target_label",
    "target_text",
    "target_share",
    "target_share_text",
    "baseline",
    "baseline_label",
    "rule",
    "by_zone",
    "audiences",
]
SERIES_COLUMNS = [
    "indicator",
    "period",
    "grain",
    "period_start",
    "period_end",
    "period_label",
    "value",
    "target",
    "target_period",
]
ZONE_COLUMNS = [
    "indicator",
    "zone",
    "zone_label",
    "period",
    "grain",
    "period_start",
    "period_end",
    "period_label",
    "value",
]


DIGITS = 6  # decimals kept in the published values


@dataclass(frozen=True)
class PublicFigures:
    """Everything the portal shows, built once from the database."""

    title: str
    publisher: str
    licence: OpenData | None
    cards: pd.DataFrame  # one row per public indicator with a complete period (CARD_COLUMNS)
    series: pd.DataFrame  # every complete period of each (SERIES_COLUMNS)
    zones: pd.DataFrame  # every complete period of each zone, for indicators by zone (ZONE_COLUMNS)
    audiences: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (code, title, indicators)
    updated: dt.date | None = None  # day of the latest report behind the figures (never the clock)
    data_until: dt.date | None = None  # end of the latest period published
    waiting: list[str] = field(default_factory=list)  # public indicators without any complete period yet
    is_demo: bool = False  # built from the demonstration base: invented figures, and every page says so

    @property
    def empty(self) -> bool:
        return self.cards.empty

    @cached_property
    def _cards_by_code(self) -> dict[str, dict[str, Any]]:
        # Indexed once: a page asks for each card two or three times (its tab, the zone table, the zone chart).
        return {
            code: row | {"indicator": code}
            # indexed by indicator code, with the card's column names: strings both
            for code, row in cast(dict[str, dict[str, Any]], self.cards.set_index("indicator").to_dict("index")).items()
        }

    def card(self, code: str) -> dict[str, Any]:
        return dict(self._cards_by_code[code])

    def series_of(self, code: str) -> pd.DataFrame:
        return self.series[self.series["indicator"] == code].reset_index(drop=True)

    def zones_at_card_period(self, code: str) -> pd.DataFrame:
        """Each zone's value in the period of the indicator's key figure (zones complete there only)."""
        card = self.card(code)
        part: pd.DataFrame = self.zones[(self.zones["indicator"] == code) & (self.zones["period"] == card["period"])]
        return part.reset_index(drop=True)

    @property
    def by_zone(self) -> list[str]:
        """The published indicators with figures by zone, in framework order."""
        present = set(self.zones["indicator"])
        return [c for c in self.cards["indicator"] if c in present]

    def zone_table(self, fw: Framework) -> pd.DataFrame:
        """Indicators by zone × zones, in French: each cell the zone's value in the period of
        the indicator's key figure ("–" when the zone has no complete figure there)."""
        zones = [z for z in fw.zones if z.code in set(self.zones["zone"])]
        rows = []
        for code in self.by_zone:
            card = self.card(code)
            part = self.zones_at_card_period(code).set_index("zone")["value"]
            row = {"Indicateur": card["label"], "Période": card["period_label"]}
            for zone in zones:
                row[zone.label] = value_text(fw.indicator(code), float(part[zone.code])) if zone.code in part else "–"
            rows.append(row)
        return pd.DataFrame(rows)


# ------------------------------------------------------------------ words and numbers for the general reader


def short_zone_label(zone: Zone) -> str:
    """A zone's name short enough for a table heading: « Ardennes (FR) », « Namur (BE) »,
    « Éislek (LU) » (its full name stays in the heading's help)."""
    name = zone.label.split(" (")[0]
    for prefix in ("Département des ", "Département de ", "Province de ", "Province du "):
        name = name.removeprefix(prefix)
    return f"{name} ({zone.country})" if zone.country else name


def public_unit(ind: Indicator) -> str:
    """The unit as a reader says it: nothing for a count ("nb", "nb/trimestre"), "%" for a share."""
    unit = ind.unit.strip()
    if unit.startswith("nb") or unit in ("0/1", "indice"):
        return ""
    return unit


def value_text(ind: Indicator, value: float) -> str:
    """1 234,5 with the unit: "7 812 345", "63,2 %", "2,6 nuits"."""
    unit = public_unit(ind)
    return fmt_number(value, figures.decimals_of(ind)) + (f"{NBSP}{unit}" if unit else "")


def period_label(period: Period) -> str:
    """A period as the general reader knows it: "2021", "T1 2022", "oct. 2021 – mars 2022"."""
    label = period.label_fr
    if period.grain == "programme-semester" and "(" in label:
        return label.split("(", 1)[1].rstrip(")")
    return label


def _change(ind: Indicator, value: float, before: float, before_label: str) -> tuple[float, str]:
    """The change from the previous comparable period, as a number and a French phrase."""
    if ind.is_percent:  # a share moves in points, not in per cent of itself
        delta = value - before
        points = fmt_number(abs(delta), 1)
        sign = "+" if delta > 0 else "−" if delta < 0 else "±"
        return delta, f"{sign}{points} point{'s' if abs(delta) >= 2 else ''} par rapport à {before_label}"
    if not before:
        return float("nan"), ""
    share = (value - before) / abs(before)
    sign = "+" if share > 0 else "−" if share < 0 else "±"
    return share, f"{sign}{fmt_percent(abs(share), 1)} par rapport à {before_label}"


def _previous(ind: Indicator, rows: pd.DataFrame) -> pd.Series | None:
    """The period to compare the latest with: the same period a year before for a seasonal
    flow or rate (quarters, semesters), else the previous complete period."""
    last = rows.iloc[-1]
    if ind.agg_time != "last" and last["grain"] in ("quarter", "semester", "programme-semester", "month"):
        start = last["period_start"]
        try:
            year_before = start.replace(year=start.year - 1)
        except ValueError:  # 29 February
            year_before = start.replace(year=start.year - 1, day=28)
        match = rows[rows["period_start"] == year_before]
        return match.iloc[-1] if not match.empty else None
    return rows.iloc[-2] if len(rows) > 1 else None


# ------------------------------------------------------------------ building


def public_indicators(fw: Framework) -> list[Indicator]:
    """The indicators the framework marks public, in framework order."""
    return [i for i in fw.indicators if i.public]


def _publishable(frame: pd.DataFrame) -> pd.DataFrame:
    """The figures that may be published: complete periods with a value.

    HOOK: there is no validation cycle yet. When there is one, "validated only" plugs in
    here (keep the figures whose period the coordination validated), and both the site and
    the page follow, since both are built by `public_figures`.
    """
    frame = frame[frame["complete"].astype(bool) & frame["value"].notna()]
    # Sums in the database may run in any order: 2.82 can come back as 2.8200000000000003.
    # Rounded far below any unit shown, the same data always give the same bytes.
    return frame.assign(value=frame["value"].astype(float).round(DIGITS))


def public_figures(con: duckdb.DuckDBPyConnection, fw: Framework) -> PublicFigures:
    """The public figures: key figure, trend and target of each public indicator, its
    complete periods, and its values by zone. Aggregates only (see the module's docstring)."""
    inds = public_indicators(fw)
    codes = [i.code for i in inds]
    od = fw.open_data
    empty = PublicFigures(
        title=od.title if od else "L'Ardenne en chiffres",
        publisher=od.publisher if od else "",
        licence=od,
        cards=pd.DataFrame(columns=CARD_COLUMNS),
        series=pd.DataFrame(columns=SERIES_COLUMNS),
        zones=pd.DataFrame(columns=ZONE_COLUMNS),
        waiting=codes,
        is_demo=db.is_demo(con),
    )
    if not codes:
        return empty
    trends = _publishable(figures.evaluation_trends(con, fw, codes))
    series_rows, cards = [], []
    for ind in inds:
        rows = trends[trends["indicator"] == ind.code].sort_values("period_start").reset_index(drop=True)
        if rows.empty:
            continue
        periods = [period_from_code(p, fw.calendar) for p in rows["period"]]
        rows = rows.assign(grain=[p.grain for p in periods], period_label=[period_label(p) for p in periods])
        series_rows.append(rows)
        cards.append(_card(fw, ind, rows))
    if not cards:
        return empty
    series = pd.concat(series_rows, ignore_index=True)[SERIES_COLUMNS]
    cards_frame = pd.DataFrame(cards, columns=CARD_COLUMNS)
    published = list(cards_frame["indicator"])
    zones = _zones(con, fw, [i for i in inds if i.by_zone and i.code in published])
    updated, _ = sql.data_date(con, published)
    audiences = []
    for code in AUDIENCES:
        if code not in fw.by_code["audiences"]:
            continue
        within = fw.descendants("audiences", [code])
        members = [c for c in published if within & set(fw.indicator(c).audiences)]
        if members:
            audiences.append((code, AUDIENCE_TITLES.get(code, fw.label("audiences", code)), members))
    return PublicFigures(
        title=empty.title,
        publisher=empty.publisher,
        licence=od,
        cards=cards_frame,
        series=series,
        zones=zones,
        audiences=audiences,
        updated=updated.date() if updated is not None else None,
        data_until=max(series["period_end"]),
        waiting=[c for c in codes if c not in published],
        is_demo=empty.is_demo,
    )


def _card(fw: Framework, ind: Indicator, rows: pd.DataFrame) -> dict[str, Any]:
    last = rows.iloc[-1]
    value = float(last["value"])
    before = _previous(ind, rows)
    change, change_text = (
        (float("nan"), "") if before is None else _change(ind, value, float(before["value"]), before["period_label"])
    )
    target_period = period_from_code(str(last["target_period"]), fw.calendar)
    target = float(last["target"])
    # The share of the target reached, as the general reader reads it (the dashboard's
    # progress from the baseline goes negative below the baseline, which says little here).
    share = (value / target if not ind.lower_is_better else target / value) if target and value else float("nan")
    return {
        "indicator": ind.code,
        "label": ind.public_label,
        "sentence": ind.public_sentence,
        "unit": public_unit(ind),
        "decimals": figures.decimals_of(ind),
        "direction": ind.direction,
        "grain": last["grain"],
        "period": last["period"],
        "period_label": last["period_label"],
        "period_end": last["period_end"],
        "value": value,
        "value_text": value_text(ind, value),
        "previous_label": "" if before is None else before["period_label"],
        "change": change,
        "change_text": change_text,
        "delta": change_text.replace("−", "-", 1) or None,  # st.metric reads "-"
        "target": target,
        "target_period": target_period.code,
        "target_label": period_label(target_period),
        "target_text": f"{value_text(ind, target)} en {period_label(target_period)}",
        "target_share": share,
        "target_share_text": "" if math.isnan(share) else f"{fmt_percent(share)} de la cible",
        "baseline": ind.baseline.value,
        "baseline_label": period_label(ind.baseline.period),
        "rule": figures.rule_text(ind),
        "by_zone": ind.by_zone,
        "audiences": " ".join(_top_audiences(fw, ind)),
    }


def _top_audiences(fw: Framework, ind: Indicator) -> list[str]:
    return [a for a in AUDIENCES if fw.descendants("audiences", [a]) & set(ind.audiences)]


def _zones(con: duckdb.DuckDBPyConnection, fw: Framework, inds: list[Indicator]) -> pd.DataFrame:
    """Every complete period of every zone for the indicators broken down by zone."""
    if not inds:
        return pd.DataFrame(columns=ZONE_COLUMNS)
    frame = _publishable(figures.evaluation_trends(con, fw, [i.code for i in inds], by="zone"))
    if frame.empty:
        return pd.DataFrame(columns=ZONE_COLUMNS)
    periods = {p: period_from_code(p, fw.calendar) for p in frame["period"].unique()}
    zone_order = {z.code: n for n, z in enumerate(fw.zones)}
    ind_order = {i.code: n for n, i in enumerate(inds)}
    frame = frame.assign(
        zone=frame["grp"],
        zone_label=[fw.label("zones", z) for z in frame["grp"]],
        grain=[periods[p].grain for p in frame["period"]],
        period_label=[period_label(periods[p]) for p in frame["period"]],
        _i=frame["indicator"].map(ind_order),
        _z=frame["grp"].map(zone_order).fillna(len(zone_order)),
    )
    frame = frame.sort_values(["_i", "_z", "zone", "period_start"], kind="stable")
    return frame[ZONE_COLUMNS].reset_index(drop=True)


def intro_text(fw: Framework) -> str:
    """The portal's first sentence, for the site and the page alike."""
    plan = str(fw.portfolio.get("label", "")).split(" – ")[0] or "le plan de marketing territorial"
    return (
        f"Les chiffres clés de l'attractivité de l'Ardenne transfrontalière (France, Belgique, Luxembourg), par "
        f"public concerné et par zone, suivis par le plan de marketing territorial {plan}."
    )


def updated_text(figures: PublicFigures) -> str:
    """« Données au 31/03/2022, mises à jour le 12/05/2022 » from the data, never from the clock."""
    until = fmt_date(figures.data_until) if figures.data_until else "–"
    return f"Données jusqu'au {until}, dernier rapport reçu le {fmt_date(figures.updated)}"
