"""The house style every Plotly figure shares.

Projector rules: large fonts, French labels and numbers, the same status colours everywhere
(indicator_status.STATUS_COLORS), no toolbar clutter.
"""

from __future__ import annotations

import plotly.graph_objects as go

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
