"""The Marque page's figures: operators × elements heatmap, radar and evolution of the
brand-platform scores (`brand.scores` frames in, Plotly figures out)."""

from __future__ import annotations

import textwrap
from typing import cast

import pandas as pd
import plotly.graph_objects as go

from ardenne_kpi.charts.style import FONT_FAMILY, SEPARATORS
from ardenne_kpi.core.format import html_text, md
from ardenne_kpi.core.periods import label_of
from ardenne_kpi.framework import Framework
from ardenne_kpi.intake.brand import grid


def _wrapped(code: str, label: str, width: int = 18) -> str:
    """An element's whole name on several lines (a cut name reads « Missions de la … » on a projector)."""
    return "<br>".join(html_text(line) for line in textwrap.wrap(f"{code} {label}", width, break_long_words=False))


def elements_legend(fw: Framework) -> str:
    """« E1 Missions de la politique de marque · E2 … »: the elements' whole names, which the
    heatmap's columns (codes only) cannot hold on a projector."""
    return " · ".join(f"**{md(e.code)}** {md(e.label)}" for e in fw.brand_elements)


def radar_figure(df: pd.DataFrame, fw: Framework, period: str, operators: list[str]) -> go.Figure:
    """One closed line per operator over the 7 elements, 1 to 5, for one period."""
    g = grid(df, fw, period)
    theta = [_wrapped(e.code, e.label, 24) for e in fw.brand_elements]
    fig = go.Figure()
    for op in operators:
        if op not in g.index:
            continue
        scores = cast("pd.Series[float]", g.loc[op])  # the operator's row: one score (or NaN) per element
        r = [None if pd.isna(v) else float(v) for v in scores]
        fig.add_trace(
            go.Scatterpolar(
                r=r + r[:1],
                theta=theta + theta[:1],
                name=html_text(fw.label("operators", op)),
                mode="lines+markers",
                connectgaps=False,
            )
        )
    fig.update_layout(
        polar={"radialaxis": {"range": [0, 5], "tickvals": [1, 2, 3, 4, 5]}},
        font={"size": 16, "family": FONT_FAMILY},
        separators=SEPARATORS,
        legend={"orientation": "h", "y": -0.15},
        margin={"t": 30, "b": 30},
        height=560,
    )
    return fig


def heatmap_figure(df: pd.DataFrame, fw: Framework, period: str) -> go.Figure:
    """Operators × elements, coloured 1 (red) to 5 (blue), the score written in each cell."""
    g = grid(df, fw, period)
    text = [["" if pd.isna(v) else str(int(v)) for v in row] for row in g.to_numpy()]
    fig = go.Figure(
        go.Heatmap(
            z=g.to_numpy(dtype=float),
            x=[html_text(e.code) for e in fw.brand_elements],
            y=[html_text(fw.label("operators", c)) for c in g.index],
            zmin=1,
            zmax=5,
            colorscale="RdYlBu",
            text=text,
            texttemplate="%{text}",
            textfont={"size": 18},
            hoverongaps=False,
            colorbar={"title": "Note", "tickvals": [1, 2, 3, 4, 5]},
        )
    )
    fig.update_layout(
        font={"size": 15, "family": FONT_FAMILY},
        separators=SEPARATORS,
        height=max(360, 60 * len(g) + 190),
        margin={"t": 30},
        yaxis={"autorange": "reversed"},
        xaxis={"tickangle": 0},
    )
    return fig


def evolution_figure(ev: pd.DataFrame, fw: Framework) -> go.Figure:
    """Mean score of each element over the periods, one line per element."""
    fig = go.Figure()
    for e in fw.brand_elements:
        part = ev[ev["element"] == e.code]
        if part.empty:
            continue
        # « S05 » names a programme semester whole and short; other periods by their French label
        fig.add_trace(
            go.Scatter(
                x=[p if p.startswith("S") else label_of(p, fw.calendar) for p in part["period"]],
                y=part["score"],
                name=html_text(f"{e.code} {e.label}"),
                mode="lines+markers",
            )
        )
    fig.update_layout(
        yaxis={"range": [0.8, 5.2], "tickvals": [1, 2, 3, 4, 5], "title": "Note moyenne"},
        xaxis={"type": "category"},
        font={"size": 15, "family": FONT_FAMILY},
        separators=SEPARATORS,
        height=520,
        legend={"orientation": "h", "y": -0.12, "yanchor": "top"},
        margin={"t": 30},
    )
    return fig
