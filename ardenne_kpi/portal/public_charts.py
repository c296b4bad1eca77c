"""Plotly figures of the public figures (publication.PublicFigures), pure functions shared
by the page « Chiffres clés » and the static site written by `publish`.

For the general reader: one colour for the values, the target as a star, no toolbar, French
numbers (separators ", "). Deterministic: no random ids, the same data give the same JSON.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ardenne_kpi.charts.kpis import TARGET_COLOR, VALUE_COLOR
from ardenne_kpi.charts.style import FONT_FAMILY, SEPARATORS
from ardenne_kpi.core.format import html_text
from ardenne_kpi.framework import Indicator
from ardenne_kpi.portal.publication import period_label

CONFIG = {"displayModeBar": False, "responsive": True, "locale": "fr"}


def _hover(ind: Indicator) -> str:
    return ",.1f" if ind.is_percent or ind.agg_time == "mean" else ",.0f"


def _layout(height: int, **extra: Any) -> dict[str, Any]:
    """The shared layout, as a plain dict: Plotly's object validation costs a tenth of a second
    per figure, and the site draws dozens of them."""
    layout = dict(
        template={},
        font=dict(family=FONT_FAMILY, size=14),
        height=height,
        margin=dict(l=60, r=20, t=20, b=40),
        separators=SEPARATORS,
        plot_bgcolor="white",
        paper_bgcolor="white",
        showlegend=False,
        hoverlabel=dict(font=dict(size=14)),
    )
    layout["yaxis"] = dict(
        gridcolor="#E5E5E5", zeroline=False, rangemode="tozero", automargin=True, **extra.pop("yaxis", {})
    )
    layout["xaxis"] = dict(showgrid=False, linecolor="#999999", **extra.pop("xaxis", {}))
    return layout | extra


def trend_chart(ind: Indicator, series: pd.DataFrame, *, height: int = 280) -> dict[str, Any]:
    """The indicator's complete periods (line and dots) and its dated targets (stars), as a
    Plotly figure dict (`st.plotly_chart` and `plotly.io.to_html` take it as it is).

    `series` holds period_end, period_label and value (publication.PublicFigures.series_of)."""
    fmt = _hover(ind)
    dates = [pd.Timestamp(d).strftime("%Y-%m-%d") for d in series["period_end"]]
    data = [
        dict(
            type="scatter",
            x=dates,
            y=[float(v) for v in series["value"]],
            mode="lines+markers",
            name="Valeur",
            line=dict(color=VALUE_COLOR, width=3),
            marker=dict(size=8, color=VALUE_COLOR),
            customdata=list(series["period_label"]),
            hovertemplate="%{customdata} : %{y:" + fmt + "}<extra></extra>",
        )
    ]
    first = min(series["period_end"]) if len(series) else None
    targets = [t for t in ind.targets if first is None or t.period.end >= first]
    if targets:
        data.append(
            dict(
                type="scatter",
                x=[t.period.end.isoformat() for t in targets],
                y=[t.value for t in targets],
                mode="markers",
                name="Cible",
                marker=dict(symbol="star", size=16, color=TARGET_COLOR),
                customdata=[period_label(t.period) for t in targets],
                hovertemplate="Cible %{customdata} : %{y:" + fmt + "}<extra></extra>",
            )
        )
    # Three ticks at most, a card is narrow; a whole number of years apart when the periods
    # are shorter (the same quarter or semester each time).
    per_year = {"quarter": 4, "semester": 2, "programme-semester": 2, "month": 12}.get(_grain(series), 1)
    step = max(1, math.ceil(len(series) / 3))
    step = math.ceil(step / per_year) * per_year if len(series) > per_year else step
    ticks = series.iloc[::-1].iloc[::step].iloc[::-1]
    xaxis = dict(
        tickvals=[pd.Timestamp(d).strftime("%Y-%m-%d") for d in ticks["period_end"]],
        ticktext=[_short(label) for label in ticks["period_label"]],
        tickangle=0,
    )
    yaxis = dict(tickformat=fmt, title=dict(text=html_text(ind.unit) if ind.is_percent else ""))
    return dict(data=data, layout=_layout(height, xaxis=xaxis, yaxis=yaxis))


def _grain(series: pd.DataFrame) -> str:
    return str(series["grain"].iloc[0]) if "grain" in series and len(series) else ""


def _short(label: str) -> str:
    """Tick text: "oct. 2021 – mars 2022" is shortened to "mars 2022" (the period's end)."""
    return label.split(" – ")[-1] if " – " in label else label


def zone_chart(ind: Indicator, zones: pd.DataFrame, *, height: int | None = None) -> dict[str, Any]:
    """The indicator's value in each zone for one period: horizontal bars, zones in framework
    order, as a Plotly figure dict.

    `zones` holds zone_label and value (publication.PublicFigures.zones_at_card_period)."""
    fmt = _hover(ind)
    labels = [html_text(label) for label in zones["zone_label"]][::-1]
    values = [float(v) for v in zones["value"]][::-1]
    data = [
        dict(
            type="bar",
            y=labels,
            x=values,
            orientation="h",
            marker=dict(color=VALUE_COLOR),
            texttemplate="%{x:" + fmt + "}",
            textposition="auto",
            hovertemplate="%{y} : %{x:" + fmt + "}<extra></extra>",
        )
    ]
    return dict(
        data=data,
        layout=_layout(height or 90 + 42 * len(labels), yaxis=dict(ticksuffix="  "), xaxis=dict(tickformat=fmt)),
    )
