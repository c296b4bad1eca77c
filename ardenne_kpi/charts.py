"""Plotly figures shared by several pages, as pure functions of DataFrames.

Projector rules: large fonts, French labels, the same status colours everywhere
(kpis.STATUS_COLORS), no toolbar clutter.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ardenne_kpi import kpis

# The house style every figure shares (charts_kpis, charts_coverage, brand).
FONT_FAMILY = "Source Sans Pro, Arial, sans-serif"
SEPARATORS = ", "  # Plotly's numbers in French: decimal comma, space between thousands
FONT = dict(family=FONT_FAMILY, size=16)


def base_layout(fig: go.Figure, *, height: int = 360) -> go.Figure:
    fig.update_layout(
        font=FONT,
        height=height,
        margin=dict(l=10, r=10, t=30, b=10, autoexpand=True),
        separators=SEPARATORS,
        plot_bgcolor="white",
        legend_title_text="",
    )
    return fig


def dimension_status_bars(long: pd.DataFrame) -> go.Figure:
    """Horizontal stacked bars: indicators of each dimension by status."""
    fig = go.Figure()
    dims = list(dict.fromkeys(long["label"]))[::-1]
    for status, label in kpis.STATUS_LABELS.items():
        part = long[long["status"] == status].set_index("label").reindex(dims)
        fig.add_bar(
            y=dims,
            x=part["count"],
            name=label,
            orientation="h",
            marker_color=kpis.STATUS_COLORS[status],
            text=part["count"],
            textposition="inside",
            hovertemplate="%{y}<br>" + label + " : %{x} indicateur(s)<extra></extra>",
        )
    # The legend above the bars: below, it covered the axis title.
    fig.update_layout(
        barmode="stack",
        xaxis_title="Indicateurs",
        xaxis_tickformat=",~f",
        legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom", traceorder="normal"),
    )
    fig.update_yaxes(tickfont=dict(size=17), automargin=True, ticksuffix="  ")
    base_layout(fig, height=380)
    fig.update_layout(margin=dict(t=60, b=60))
    fig.update_xaxes(title_standoff=12)
    return fig
