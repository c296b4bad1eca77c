"""The meeting mode's agenda: the committee walks through the same figures as the pack
(`pack.collect`), one slide at a time: the headline tiles, then each dimension (its row of
the coverage heatmap and its indicators, behind target first), each indicator behind target
shown large with the coordinator's analysis, and a closing slide."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from ardenne_kpi import kpis, links
from ardenne_kpi.exports import pack
from ardenne_kpi.framework import Framework

ORDER = {s: n for n, s in enumerate(kpis.STATUS_ORDER)}  # off track, at risk, on track, no data


@dataclass(frozen=True)
class Slide:
    kind: str  # tiles | dimension | indicator | end
    title: str
    dimension: str | None = None  # its dimension (dimension and indicator slides)
    indicator: str | None = None


def collect(con: duckdb.DuckDBPyConnection, fw: Framework) -> pack.PackData:
    """The pack's figures (one computation for the pack and the meeting)."""
    return pack.collect(con, fw)


def agenda(d: pack.PackData) -> list[Slide]:
    """The slides in meeting order. An indicator behind target in several dimensions is
    discussed once, under the first of them."""
    slides = [Slide("tiles", f"Chiffres clés · {d.period.label_fr}")]
    seen: set[str] = set()
    for dim in d.fw.dimensions:
        slides.append(Slide("dimension", dim.label, dimension=dim.code))
        for code, _status, _analysis in pack.behind_target(d, dim.code):
            if code not in seen:
                seen.add(code)
                slides.append(Slide("indicator", d.fw.indicator(code).label, dimension=dim.code, indicator=code))
    slides.append(Slide("end", "Fin de l'ordre du jour"))
    return slides


def tiles(d: pack.PackData) -> list[tuple[str, str, str]]:
    """The headline tiles (label, value, explanation), as in the pack."""
    return pack.tiles(d)


def dimension_indicators(d: pack.PackData, dimension: str) -> pd.DataFrame:
    """The indicators of a dimension, behind target first (the pack's table, reordered, without
    the period columns: on a projector the indicator's name must stay whole)."""
    table = pack.indicators_table(d, dimension)
    order = table["_status"].map(ORDER)
    return (
        table.assign(_o=order)
        .sort_values(["_o", "Code"], kind="stable")
        .drop(columns=["_o", "_status", "Dernière période", "Échéance"])
        .reset_index(drop=True)
    )


def dimension_cells(d: pack.PackData, dimension: str) -> pd.DataFrame:
    """The dimension's row of the dimension × key coverage heatmap."""
    return d.cells[d.cells["row"] == dimension].reset_index(drop=True)


def indicator_facts(d: pack.PackData, code: str) -> dict:
    """What the indicator slide shows: status, latest value, target, progress, analysis, link."""
    row = d.status.set_index("indicator").loc[code]
    ind = d.fw.indicator(code)
    table = pack.indicators_table(d).set_index("Code").loc[code]
    return {
        "status": row["status"],
        "unit": ind.unit,
        "latest": table["Dernière valeur"],
        "latest_period": table["Dernière période"],
        "target": table["Cible"],
        "target_period": table["Échéance"],
        "progress": table["Progression"],
        "analysis": pack.analysis_of(d, code),
        "link": links.page_url("Tendances", indicateur=code),
    }


def progress_line(slides: list[Slide], n: int) -> str:
    """« 3 / 27 · Branding du territoire »: where the meeting is (n counted from 1) and in
    which dimension (the slide's own title is the page's heading)."""
    section = next((s.title for s in reversed(slides[:n]) if s.kind == "dimension"), "")
    return f"{n} / {len(slides)}" + (f" · {section}" if section else "")
