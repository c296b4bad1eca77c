"""The meeting mode's agenda: the committee walks through the same figures as the pack
(`briefing.collect`), one slide at a time: the headline tiles, then each dimension (its row of
the coverage heatmap and its indicators, behind target first), each indicator behind target
shown large with the coordinator's analysis, and a closing slide."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import duckdb
import pandas as pd

from ardenne_kpi.committee import briefing
from ardenne_kpi.core import indicator_status, links
from ardenne_kpi.core.format import NBSP, fmt_date, fmt_number, fmt_percent
from ardenne_kpi.framework import Framework, Indicator

ORDER = {s: n for n, s in enumerate(indicator_status.STATUS_ORDER)}  # off track, at risk, on track, no data
# A dimension's table on a projector: so many rows under its heatmap, so many on each « suite »
# slide (a 16:9 screen, 1280×720 as 1920×1080: the meeting's type scales with the screen).
FIRST_ROWS = 5
MORE_ROWS = 9
SUITE = "suite"


@dataclass(frozen=True)
class Slide:
    kind: str  # tiles | dimension | suite (the rest of a dimension's table) | indicator | end
    title: str
    dimension: str | None = None  # its dimension (dimension, suite and indicator slides)
    indicator: str | None = None
    rows: tuple[int, int] | None = None  # the rows of the dimension's table this slide shows


def collect(con: duckdb.DuckDBPyConnection, fw: Framework) -> briefing.Briefing:
    """The pack's figures (one computation for the pack and the meeting)."""
    return briefing.collect(con, fw)


def agenda(d: briefing.Briefing) -> list[Slide]:
    """The slides in meeting order. An indicator behind target in several dimensions is
    discussed once, under the first of them."""
    slides = [Slide("tiles", f"Chiffres clés · {d.period.label_fr}")]
    seen: set[str] = set()
    for dim in d.fw.dimensions:
        n = sum(dim.code in i.dimensions for i in d.fw.indicators)
        slides.append(Slide("dimension", dim.label, dimension=dim.code, rows=(0, min(n, FIRST_ROWS))))
        for start in range(FIRST_ROWS, n, MORE_ROWS):
            rows = (start, min(n, start + MORE_ROWS))
            slides.append(Slide(SUITE, f"{dim.label} ({SUITE})", dimension=dim.code, rows=rows))
        for code, _status, _analysis in briefing.behind_target(d, dim.code):
            if code not in seen:
                seen.add(code)
                slides.append(Slide("indicator", d.fw.indicator(code).label, dimension=dim.code, indicator=code))
    slides.append(Slide("end", "Fin de l'ordre du jour"))
    return slides


def tiles(d: briefing.Briefing) -> list[tuple[str, str, str]]:
    """The headline tiles (label, value, explanation), as in the pack; a status tile says what
    the status means (on a projector nobody hovers a tooltip)."""
    on, risk = fmt_percent(d.fw.on_track), fmt_percent(d.fw.at_risk)
    meaning = {
        "En bonne voie": f"indicateurs à {on} au moins du rythme prévu vers leur cible",
        "À surveiller": f"indicateurs entre {risk} et {on} du rythme prévu",
        "En retard": f"indicateurs à moins de {risk} du rythme prévu",
        "Sans données": "indicateurs sans valeur complète : pas de statut",
    }
    return [(label, value, meaning.get(label, text)) for label, value, text in briefing.tiles(d)]


def dimension_indicators(d: briefing.Briefing, dimension: str) -> pd.DataFrame:
    """The indicators of a dimension, behind target first (the pack's table, reordered, without
    the period columns: on a projector the indicator's name must stay whole)."""
    table = briefing.indicators_table(d, dimension)
    order = table["_status"].map(ORDER)
    return (
        table.assign(_o=order)
        .sort_values(["_o", "Code"], kind="stable")
        .drop(columns=["_o", "_status", "Dernière période", "Échéance"])
        .reset_index(drop=True)
    )


def dimension_part(d: briefing.Briefing, slide: Slide) -> pd.DataFrame:
    """The rows of its dimension's table a dimension or « suite » slide shows."""
    start, end = slide.rows or (0, None)
    dimension = cast(str, slide.dimension)  # a dimension or « suite » slide names its dimension
    return dimension_indicators(d, dimension).iloc[start:end].reset_index(drop=True)


def dimension_cells(d: briefing.Briefing, dimension: str) -> pd.DataFrame:
    """The dimension's row of the dimension × key coverage heatmap."""
    return d.cells[d.cells["row"] == dimension].reset_index(drop=True)


def indicator_facts(d: briefing.Briefing, code: str) -> dict[str, Any]:
    """What the indicator slide shows: status, latest value, target, progress, analysis, link."""
    row = cast("pd.Series[Any]", d.status.set_index("indicator").loc[code])  # one row per indicator
    ind = d.fw.indicator(code)
    table = briefing.indicators_table(d).set_index("Code").loc[code]
    return {
        "status": row["status"],
        "unit": ind.unit,
        "latest": table["Dernière valeur"],
        "latest_period": table["Dernière période"],
        "target": table["Cible"],
        "target_period": table["Échéance"],
        "progress": table["Progression"],
        "analysis": briefing.analysis_of(d, code),
        "link": links.page_url("Tendances", indicateur=code),
        "sentence": figure_sentence(ind, row),
        "progress_words": progress_words(ind),
    }


def short_number(value: float, unit: str = "") -> str:
    """A figure read aloud in a room: 7,6 M · 35 000 · 2,9 · 66,3 % (French format)."""
    if value is None or value != value:
        return "–"
    if unit.strip() == "%":
        return fmt_number(value, 1 if value % 1 else 0) + f"{NBSP}%"
    if abs(value) >= 1_000_000:
        return fmt_number(value / 1_000_000, 1).removesuffix(",0") + f"{NBSP}M"
    return fmt_number(value, 1 if abs(value) < 100 and value % 1 else 0)


def unit_words(unit: str) -> str:
    """The unit as words after a number (« par semestre », « nuitées par an »); nothing for a bare count."""
    unit = unit.strip()
    if unit in ("", "nb", "%", "0/1", "indice"):
        return ""
    head, _, per = unit.partition("/")
    head = "" if head == "nb" else head
    return " ".join(w for w in (head, f"par {per}" if per else "") if w)


def figure_sentence(ind: Indicator, row: pd.Series) -> str:
    """What the indicator's figures mean, in words: « La valeur s'éloigne de la cible : 6,4 M
    pour une cible de 8 M (2022), partie de 7,6 M (2016). »"""
    value, target, base = row["latest_value"], row["target"], ind.baseline.value
    if value is None or value != value:
        return "Aucune valeur complète : l'indicateur n'a pas encore de statut."
    words = unit_words(ind.unit)

    def say(v: float) -> str:
        return short_number(v, ind.unit) + (f" {words}" if words else "")

    progress = row["progress"]
    if progress != progress:
        verb = "La dernière valeur est partielle"
    elif progress >= 1:
        verb = "La valeur a atteint la cible"
    elif progress < 0:
        verb = "La valeur s'éloigne de la cible"
    else:
        verb = "La valeur s'approche de la cible"
    target_period = _period_label(ind, row["target_period"])
    return (
        f"{verb} : {say(value)} pour une cible de {say(target)}"
        + (f" ({target_period})" if target_period else "")
        + f", partie de {say(base)} ({ind.baseline.period.label_fr})."
    )


def _period_label(ind: Indicator, code: str | None) -> str:
    return next((t.period.label_fr for t in ind.targets if t.period.code == code), code or "")


def progress_words(ind: Indicator) -> str:
    """What « Progression » measures, in a line."""
    return f"du chemin de {ind.baseline.period.label_fr} (référence) à la cible"


def sources(d: briefing.Briefing, slide: Slide) -> str:
    """The slide's sources in a line: the operators behind its figures, the date of the latest
    report among them, and the address of the page that details them."""
    if slide.kind == "indicator":
        codes = [slide.indicator]
        link = links.page_url("Tendances", indicateur=slide.indicator)
    elif slide.kind in ("dimension", SUITE):
        codes = [i.code for i in d.fw.indicators if slide.dimension in i.dimensions]
        link = links.page_url("Couverture", matrice="dimension_key")
    else:
        codes = [i.code for i in d.fw.indicators]
        link = (
            links.page_url("Accueil") if slide.kind == "tiles" else links.page_url("Suivi", onglet="Dossier du comité")
        )
    status = d.status[d.status["indicator"].isin(codes)]
    operators = sorted({o.strip() for text in status["operators"] for o in str(text or "").split(",") if o.strip()})
    ids = set(status["last_upload_id"].dropna().astype(int))
    uploads = d.uploads[d.uploads["upload_id"].isin(ids)]
    latest = fmt_date(pd.to_datetime(uploads["uploaded_at"]).max().date()) if not uploads.empty else "–"
    who = ", ".join(operators) if len(operators) <= 6 else f"{len(operators)} opérateurs"
    return f"Sources : {who or 'aucun rapport'} · dernier rapport reçu le {latest} · détail : {link}"


def progress_line(slides: list[Slide], n: int) -> str:
    """« 3 / 27 · Branding du territoire »: where the meeting is (n counted from 1) and in
    which dimension (the slide's own title is the page's heading)."""
    section = next((s.title for s in reversed(slides[:n]) if s.kind == "dimension"), "")
    return f"{n} / {len(slides)}" + (f" · {section}" if section else "")
