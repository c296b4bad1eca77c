"""Plotly figures of the KPI trends, as pure functions of the DataFrames of ardenne_kpi.figures.

Projector rules: large fonts, French labels and number format (separators ", "), the
status colours of STATUS_COLORS with the status written beside them, partial values
drawn hollow so they are never read as whole.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable
from typing import Protocol, cast

import pandas as pd
import plotly.graph_objects as go

from ardenne_kpi import figures
from ardenne_kpi.charts.style import FONT_FAMILY, SEPARATORS, base_layout
from ardenne_kpi.core.format import html_text
from ardenne_kpi.core.indicator_status import STATUS_COLORS, STATUS_LABELS, STATUS_SYMBOLS
from ardenne_kpi.framework import Indicator

FONT = dict(family=FONT_FAMILY, size=17)
VALUE_COLOR = "#0072B2"  # Okabe–Ito blue: the observed values
TARGET_COLOR = "#CC79A7"  # reddish purple: targets
PACE_COLOR = "#555555"  # the expected pace
# Qualitative Okabe–Ito order for breakdowns (zones, operators, audiences).
SERIES_COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]


def _layout(fig: go.Figure, *, height: int) -> go.Figure:
    fig.update_layout(
        font=FONT,
        height=height,
        margin=dict(l=10, r=10, t=50, b=10),
        separators=SEPARATORS,
        plot_bgcolor="white",
        legend=dict(orientation="h", y=-0.18, title_text=""),
        hoverlabel=dict(font_size=16),
    )
    fig.update_xaxes(showgrid=False, linecolor="#999999")
    fig.update_yaxes(gridcolor="#E5E5E5", zerolinecolor="#BBBBBB")
    return fig


def _hover_format(ind: Indicator) -> str:
    return ",.1f" if ind.is_percent or ind.agg_time == "mean" else ",.0f"


def trend_figure(
    ind: Indicator,
    trend: pd.DataFrame,
    path: pd.DataFrame,
    *,
    comparable: bool = True,
    status: str | None = None,
    reason: str = "",
    height: int = 460,
) -> go.Figure:
    """One indicator: its values per period (hollow = partial), baseline, targets and the expected pace.

    `trend` comes from figures.trend_frame (period_end, label, value, complete...); `path`
    from figures.expected_path. With `comparable` False (a quarter against a yearly target, one
    zone against the portfolio's target) the target and pace are left out, `reason` says why.
    """
    fig = go.Figure()
    fmt = _hover_format(ind)
    unit = f" {html_text(ind.unit)}" if ind.unit else ""  # framework text: never a tag nor a %{…}
    x: pd.Series[pd.Timestamp] | list[pd.Timestamp] = pd.to_datetime(trend["period_end"]) if not trend.empty else []
    if not trend.empty:
        # Solid only between whole values; a partial value hangs on a dotted line, never read as a trend.
        fig.add_scatter(
            x=x,
            y=trend["value"],
            mode="lines",
            line=dict(color=VALUE_COLOR, width=2, dash="dot"),
            connectgaps=False,
            hoverinfo="skip",
            showlegend=False,
        )
        fig.add_scatter(
            x=x,
            y=trend["value"].where(trend["complete"]),
            mode="lines",
            showlegend=False,
            line=dict(color=VALUE_COLOR, width=4),
            connectgaps=False,
            hoverinfo="skip",
        )
        for whole, name, symbol in (
            (True, "Valeur", "circle"),
            (False, "Valeur partielle (incomplète)", "circle-open"),
        ):
            part = trend[trend["complete"] == whole]
            if part.empty:
                continue
            fig.add_scatter(
                x=pd.to_datetime(part["period_end"]),
                y=part["value"],
                mode="markers",
                name=name,
                marker=dict(
                    color=VALUE_COLOR, size=12 if whole else 13, symbol=symbol, line=dict(width=3, color=VALUE_COLOR)
                ),
                customdata=part[["label"]].to_numpy(),
                hovertemplate="%{customdata[0]} : %{y:" + fmt + "}" + unit + "<extra></extra>",
            )
    base = ind.baseline
    fig.add_hline(
        y=base.value,
        line=dict(color="#777777", width=2, dash="dot"),
        annotation_text=f"Référence ({base.period.label_fr})",
        annotation_position="bottom left",
        annotation_font=dict(size=15, color="#555555"),
    )
    if comparable:
        fig.add_scatter(
            x=pd.to_datetime(path["date"]),
            y=path["value"],
            mode="lines",
            name="Rythme attendu",
            line=dict(color=PACE_COLOR, width=2, dash="dash"),
            hovertemplate="Attendu au %{x|%d/%m/%Y} : %{y:" + fmt + "}" + unit + "<extra></extra>",
        )
        targets = path[path["kind"] != "référence"]
        # Stars without text (close targets' labels overlapped): the period is in the hover,
        # and the final target is named once, on its line.
        fig.add_scatter(
            x=pd.to_datetime(targets["date"]),
            y=targets["value"],
            mode="markers",
            name="Cible",
            marker=dict(color=TARGET_COLOR, size=18, symbol="star"),
            customdata=targets[["label"]].to_numpy(),
            hovertemplate="Cible %{customdata[0]} : %{y:" + fmt + "}" + unit + "<extra></extra>",
        )
        fig.add_hline(
            y=ind.final_target.value,
            line=dict(color=TARGET_COLOR, width=2, dash="dash"),
            annotation_text=f"Cible finale ({ind.final_target.period.label_fr})",
            annotation_position="top left",
            annotation_font=dict(size=15, color=TARGET_COLOR),
        )
    else:
        fig.add_annotation(
            text=reason or "Cible non comparable à ces valeurs",
            xref="paper",
            yref="paper",
            x=0,
            y=1.08,
            showarrow=False,
            xanchor="left",
            font=dict(size=15, color="#555555"),
        )
    title = html_text(ind.label)
    if status:
        title += (
            f"  <span style='color:{STATUS_COLORS[status]}'>{STATUS_SYMBOLS[status]} {STATUS_LABELS[status]}</span>"
        )
    fig.update_layout(title=dict(text=title, font=dict(size=20)), yaxis_title=html_text(ind.unit), hovermode="closest")
    if not trend.empty:
        # Each value sits at its period's end (where it is compared with the pace); ticks name the periods.
        step = max(1, math.ceil(len(trend) / 12))
        ticks = trend.iloc[::-1].iloc[::step].iloc[::-1]
        fig.update_xaxes(
            tickvals=pd.to_datetime(ticks["period_end"]),
            ticktext=[_short(p, lbl) for p, lbl in zip(ticks["period"], ticks["label"], strict=False)],
        )
    fig.update_yaxes(tickformat=",.0f" if not (ind.is_percent or ind.agg_time == "mean") else ",.1f")
    return _layout(fig, height=height)


def _short(code: str, label: str) -> str:
    """Tick text: "S05" for a programme semester (its label names the months), else the French label."""
    return code if code.startswith("S") else label


class _StatusRow(Protocol):
    """A row of the status table `small_multiples` draws, as `itertuples` gives it."""

    indicator: str
    label: str
    status: str
    target: float | None


def small_multiples(
    status: pd.DataFrame, series: dict[str, pd.DataFrame], *, columns: int = 3, row_height: int = 210
) -> go.Figure:
    """A grid of small line charts, one per indicator of `status`, each coloured by its status.

    `series` maps an indicator code to its trend (figures.trend_frame: period_end, value,
    comparable...). The dashed line is the target, drawn only where it compares like with
    like. The grid is laid out by hand from plain dicts: make_subplots and per-trace
    validation cost most of a second for fifty indicators.
    """
    n = max(len(status), 1)
    rows = math.ceil(n / columns)
    # Whole titles, wrapped: room for the longest one (code line + label lines of 15 px each).
    # Three columns: at 1280 px each title gets ~260 px, 30 characters a line at this size.
    rows_of_status = cast(Iterable[_StatusRow], status.itertuples(index=False))
    wrapped = {r.indicator: textwrap.wrap(r.label, 30, break_long_words=False) for r in rows_of_status}
    lines = max((len(w) for w in wrapped.values()), default=2)
    title_px = 28 + 19 * lines
    # Below each plot its time axis (years), then a clear gap: a title sits on its own plot,
    # farther from the plot above than from its own.
    axis_px, gap_px = 24, 30
    row_height = max(row_height, title_px + 130 + axis_px + gap_px)
    height = rows * row_height + 20
    cell_h, title_h, gap = 1 / rows, title_px / height, (axis_px + gap_px) / height
    traces: list[dict[str, object]] = []
    shapes: list[dict[str, object]] = []
    notes: list[dict[str, object]] = []
    layout: dict[str, object] = {}
    for i, r in enumerate(cast(Iterable[_StatusRow], status.itertuples(index=False))):
        row, col = divmod(i, columns)
        axis = "" if i == 0 else str(i + 1)
        top = 1 - row * cell_h
        # room on the left of each plot for its tick labels (« 400 000 »), which are drawn outside it
        x0, x1 = col / columns + 0.07, (col + 1) / columns - 0.015
        layout[f"xaxis{axis}"] = dict(
            domain=[x0, x1],
            anchor=f"y{axis}",
            type="date",
            tickformat="%Y",
            dtick="M12",  # one tick a year, never a year twice
            tickfont=dict(size=12, color="#666666"),
            showgrid=False,
            linecolor="#BBBBBB",
        )
        layout[f"yaxis{axis}"] = dict(
            domain=[max(top - cell_h + gap, 0), top - title_h],
            anchor=f"x{axis}",
            gridcolor="#EEEEEE",
            tickfont=dict(size=12),
            nticks=4,
            tickformat=",~f",
        )
        color = STATUS_COLORS[r.status]
        label = "<br>".join(html_text(line) for line in wrapped[r.indicator])
        notes.append(
            dict(
                text=f"<b>{html_text(r.indicator)}</b> <span style='color:{color}'>{STATUS_SYMBOLS[r.status]} "
                f"{STATUS_LABELS[r.status]}</span><br>{label}",
                x=(col + 0.5) / columns,
                y=top - title_h + 4 / height,  # on its own plot, whatever its number of lines
                xref="paper",
                yref="paper",
                xanchor="center",
                yanchor="bottom",
                showarrow=False,
                font=dict(size=14),
                align="center",
            )
        )
        trend = series.get(r.indicator)
        if trend is None or trend.empty:
            # Paper coordinates: an axis without any trace is not drawn, and a note on it lands elsewhere.
            notes.append(
                dict(
                    text="Sans données",
                    showarrow=False,
                    font=dict(size=15, color="#777777"),
                    xref="paper",
                    yref="paper",
                    x=(x0 + x1) / 2,
                    y=top - cell_h / 2,
                )
            )
            continue
        dates = pd.to_datetime(trend["period_end"]).dt.strftime("%Y-%m-%d").tolist()
        traces.append(
            dict(
                type="scatter",
                x=dates,
                y=trend["value"].tolist(),
                mode="lines+markers",
                xaxis=f"x{axis}",
                yaxis=f"y{axis}",
                line=dict(color=color, width=3),
                marker=dict(size=6, color=color),
                showlegend=False,
                text=trend["label"].tolist(),
                hovertemplate=f"{html_text(r.indicator)} · %{{text}} : %{{y:,.1f}}<extra></extra>",
            )
        )
        # The target only where it compares like with like (not a yearly target over quarters).
        if bool(trend["comparable"].iloc[0]) and pd.notna(r.target):
            shapes.append(
                dict(
                    type="line",
                    xref=f"x{axis} domain",
                    yref=f"y{axis}",
                    x0=0,
                    x1=1,
                    y0=r.target,
                    y1=r.target,
                    line=dict(color=TARGET_COLOR, width=1.5, dash="dash"),
                )
            )
    layout.update(
        font=FONT,
        height=height,
        margin=dict(l=10, r=10, t=10, b=10),
        separators=SEPARATORS,
        plot_bgcolor="white",
        shapes=shapes,
        annotations=notes,
        showlegend=False,
    )
    return go.Figure(data=traces, layout=layout)


def breakdown_figure(
    ind: Indicator, trend: pd.DataFrame, by: str, labels: dict[str, str], *, height: int = 420
) -> go.Figure:
    """The indicator per zone, operator or audience: stacked bars when the parts add up, lines otherwise.

    `trend` holds one row per (group, period) with the group in column `by`; `labels`
    gives each group's French name.
    """
    fig = go.Figure()
    stack = ind.agg_space == "sum"
    fmt = _hover_format(ind)
    order = list(dict.fromkeys(trend.sort_values("period_start")["label"])) if not trend.empty else []
    for i, (code, part) in enumerate(trend.groupby(by, sort=True)):
        color = SERIES_COLORS[i % len(SERIES_COLORS)]
        name = html_text(labels.get(cast(str, code), cast(str, code))) or "Tous publics (non ventilé)"
        template = f"{name} · %{{x}} : %{{y:{fmt}}}<extra></extra>"
        if stack:
            fig.add_bar(x=part["label"], y=part["value"], name=name, marker_color=color, hovertemplate=template)
        else:
            fig.add_scatter(
                x=part["label"],
                y=part["value"],
                name=name,
                mode="lines+markers",
                line=dict(color=color, width=3),
                hovertemplate=template,
            )
    fig.update_layout(
        barmode="stack",
        yaxis_title=html_text(ind.unit),
        title=dict(text=f"Ventilation par {figures.BY_LABELS[by].lower()}", font=dict(size=20)),
    )
    fig.update_xaxes(categoryorder="array", categoryarray=order)
    fig.update_yaxes(tickformat=",~f")  # « 4 000 », never « 4k »
    return _layout(fig, height=height)


def dimension_status_bars(long: pd.DataFrame) -> go.Figure:
    """Horizontal stacked bars: indicators of each dimension by status."""
    fig = go.Figure()
    dims = list(dict.fromkeys(long["label"]))[::-1]
    for status, label in STATUS_LABELS.items():
        part = long[long["status"] == status].set_index("label").reindex(dims)
        fig.add_bar(
            y=[html_text(d) for d in dims],
            x=part["count"],
            name=label,
            orientation="h",
            marker_color=STATUS_COLORS[status],
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
