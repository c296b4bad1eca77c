"""The coverage heatmap: a pure function from a coverage matrix to a Plotly figure.

The colour is the gap state (four discrete colours with their legend on the colour bar);
the number written in each cell is the chosen measure, with a glyph repeating the state
for readers who cannot tell the colours apart; the hover lists the cell's indicators.
"""

from __future__ import annotations

import textwrap
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from ardenne_kpi.charts.style import FONT_FAMILY, SEPARATORS
from ardenne_kpi.core.format import fmt_percent, html_text
from ardenne_kpi.core.indicator_status import STATUS_LABELS, STATUS_SYMBOLS, IndicatorStatus
from ardenne_kpi.figures.coverage import GAP_COLORS, GAP_LABELS, GAP_MARKS, GAP_STATES, MEASURES, Gap, Matrix
from ardenne_kpi.framework import Entry

HOVER_LIMIT = 15  # indicators listed in a hover before "… et N autres"
FONT = FONT_FAMILY


def _wrap(label: str, width: int) -> str:
    """A framework label on lines of `width` characters, each line text (never a Plotly tag)."""
    lines = textwrap.wrap(label, width, break_long_words=False) or [label]
    return "<br>".join(html_text(line) for line in lines)


def _col_label(entry: Entry) -> str:
    # Narrow columns: twelve keys must fit a 1280-pixel projector with the sidebar open.
    return _wrap(entry.label, 10)


def _row_label(entry: Entry) -> str:
    return _wrap(entry.label, 30)


def cell_text(value: float, measure: str, state: str) -> str:
    """What is written in a cell: the measure (a percentage for progress) and the state's glyph."""
    if measure == "mean_progress":
        shown = fmt_percent(value) if pd.notna(value) else "–"
    else:
        shown = str(int(value))
    if state == Gap.NOT_SERVED:
        return GAP_MARKS[state]  # nothing to count: the glyph alone
    mark = GAP_MARKS[state]
    return f"{shown} {mark}" if mark else shown


def _indicator_lines(matrix: Matrix) -> dict[tuple[str, str], list[str]]:
    """Per cell, one hover line per indicator: status symbol, code, label, status."""
    lines: dict[tuple[str, str], list[str]] = {}
    d = matrix.detail
    for row, col, code, label, status in zip(d["row"], d["col"], d["indicator"], d["label"], d["status"], strict=True):
        status = status if status in STATUS_LABELS else IndicatorStatus.NO_DATA
        lines.setdefault((row, col), []).append(
            f"{STATUS_SYMBOLS[status]} {html_text(code)} – {html_text(_short(label))} ({STATUS_LABELS[status].lower()})"
        )
    return lines


def _short(label: str, width: int = 60) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def _hover(cell: pd.Series, lines: list[str]) -> str:
    shown = lines[:HOVER_LIMIT]
    if len(lines) > HOVER_LIMIT:
        shown.append(f"… et {len(lines) - HOVER_LIMIT} autres")
    progress = fmt_percent(cell["mean_progress"]) if pd.notna(cell["mean_progress"]) else "–"
    counts = (
        f"{cell['n_indicators']} indicateur(s), {cell['n_with_data']} renseigné(s), "
        f"{cell['n_activities']} activité(s), progression moyenne {progress}"
    )
    return "<br>".join([f"<b>{GAP_LABELS[cell['state']]}</b>", counts, *shown])


def coverage_heatmap(matrix: Matrix, measure: str = "n_indicators", *, height: int | None = None) -> go.Figure:
    """The matrix as a heatmap: rows top to bottom in framework order, state as colour,
    `measure` (a key of coverage.MEASURES) written in the cells."""
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}")
    cells = matrix.cells
    n_rows, n_cols = len(matrix.rows), len(matrix.cols)
    states = cells["state"].map({s: i for i, s in enumerate(GAP_STATES)}).to_numpy().reshape(n_rows, n_cols)
    text = [cell_text(v, measure, s) for v, s in zip(cells[measure], cells["state"], strict=True)]
    lines = _indicator_lines(matrix)
    hover = [_hover(cell, lines.get((cell["row"], cell["col"]), [])) for _, cell in cells.iterrows()]
    # Row and column labels carry the code, so a cell can be found again from a click.
    x = [_col_label(c) for c in matrix.cols]
    y = [_row_label(r) for r in matrix.rows]
    # No figure title (the page heads it): a plotly title would collide with column labels
    # turned upright on a narrow screen.
    top = 16 + 19 * max(label.count("<br>") + 1 for label in x)
    row_height = max(60, 20 * max(label.count("<br>") + 1 for label in y) + 14)
    n = len(GAP_STATES)
    colorscale = []
    for i, state in enumerate(GAP_STATES):
        colorscale += [[i / n, GAP_COLORS[state]], [(i + 1) / n, GAP_COLORS[state]]]
    fig = go.Figure(
        go.Heatmap(
            z=states,
            x=x,
            y=y,
            zmin=-0.5,
            zmax=n - 0.5,
            colorscale=colorscale,
            text=[text[i * n_cols : (i + 1) * n_cols] for i in range(n_rows)],
            texttemplate="%{text}",
            textfont={"size": 18 if n_cols <= 8 else 16, "family": FONT},
            hoverinfo="skip",
            xgap=3,
            ygap=3,
            showscale=False,
        )
    )
    # Streamlit 1.67 reports a click on a heatmap as an empty selection; an invisible marker
    # at each cell's centre carries the click (and the hover) instead. With hoverdistance -1
    # the nearest centre wins, which on a regular grid is the cell under the pointer.
    fig.add_trace(
        go.Scatter(
            x=[x[j] for i in range(n_rows) for j in range(n_cols)],
            y=[y[i] for i in range(n_rows) for j in range(n_cols)],
            mode="markers",
            marker={"symbol": "square", "size": 30, "color": "rgba(0,0,0,0)"},
            customdata=[
                [r.code, c.code, hover[i * n_cols + j]]
                for i, r in enumerate(matrix.rows)
                for j, c in enumerate(matrix.cols)
            ],
            hovertemplate="<b>%{y}<br>× %{x}</b><br>%{customdata[2]}<extra></extra>",
            showlegend=False,
            name="cases",
        )
    )
    # The legend: one entry per state, under the grid, wrapping on narrow screens.
    for state in GAP_STATES:
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                name=f"{GAP_MARKS[state]} {GAP_LABELS[state]}".strip(),
                marker={"symbol": "square", "size": 20, "color": GAP_COLORS[state], "line": {"width": 0}},
                hoverinfo="skip",
                showlegend=True,
            )
        )
    fig.update_layout(
        legend={
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": -0.02,
            "yanchor": "top",
            "font": {"size": 16},
            "itemclick": False,
            "itemdoubleclick": False,
            "title": None,
        },
        hovermode="closest",
        hoverdistance=-1,
        clickmode="event+select",
        font={"family": FONT, "size": 15, "color": "#1A1A1A"},
        separators=SEPARATORS,
        height=height or top + row_height * n_rows + 90,
        margin={"l": 10, "r": 10, "t": top, "b": 90},
        # Labels stay level when they fit, and turn when a narrow screen makes them overlap.
        xaxis={"side": "top", "tickfont": {"size": 13}, "title": None, "fixedrange": True, "automargin": True},
        yaxis={"autorange": "reversed", "tickfont": {"size": 15}, "title": None, "fixedrange": True},
        plot_bgcolor="#FFFFFF",
        paper_bgcolor="#FFFFFF",
        hoverlabel={"font": {"size": 15}, "align": "left"},
    )
    return fig


def selected_cell(matrix: Matrix, points: list[dict[str, Any]]) -> tuple[str, str] | None:
    """The (row, column) codes of a clicked heatmap cell from Streamlit's selection points."""
    for point in points or []:
        data = point.get("customdata")
        if isinstance(data, (list, tuple)) and len(data) >= 2:
            return str(data[0]), str(data[1])
        index = point.get("point_index")
        if isinstance(index, int) and 0 <= index < len(matrix.rows) * len(matrix.cols):
            i, j = divmod(index, len(matrix.cols))
            return matrix.rows[i].code, matrix.cols[j].code
        x, y = point.get("x"), point.get("y")
        for r in matrix.rows:
            for c in matrix.cols:
                if _col_label(c) == x and _row_label(r) == y:
                    return r.code, c.code
    return None


def dimension_row(cells: pd.DataFrame, *, height: int = 230) -> go.Figure:
    """One dimension's row of the dimension × key heatmap, large (the meeting mode): the state
    as colour, the number of indicators and the state's mark in each key's cell."""
    x = [_wrap(label, 12) for label in cells["col_label"]]
    n = len(GAP_STATES)
    colorscale = []
    for i, state in enumerate(GAP_STATES):
        colorscale += [[i / n, GAP_COLORS[state]], [(i + 1) / n, GAP_COLORS[state]]]
    fig = go.Figure(
        go.Heatmap(
            z=[[GAP_STATES.index(s) for s in cells["state"]]],
            x=x,
            y=[""],
            zmin=-0.5,
            zmax=n - 0.5,
            colorscale=colorscale,
            showscale=False,
            xgap=4,
            hoverinfo="skip",
            text=[
                [cell_text(v, "n_indicators", s) for v, s in zip(cells["n_indicators"], cells["state"], strict=True)]
            ],
            texttemplate="%{text}",
            textfont={"size": 24, "family": FONT},
        )
    )
    for state in GAP_STATES:
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                hoverinfo="skip",
                name=f"{GAP_MARKS[state]} {GAP_LABELS[state]}".strip(),
                marker={"symbol": "square", "size": 20, "color": GAP_COLORS[state]},
            )
        )
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        separators=SEPARATORS,
        font={"family": FONT, "size": 15},
        plot_bgcolor="#FFFFFF",
        xaxis={"side": "top", "tickfont": {"size": 14}, "fixedrange": True, "automargin": True},
        yaxis={"fixedrange": True, "showticklabels": False},
        legend={"orientation": "h", "x": 0, "y": -0.05, "yanchor": "top", "font": {"size": 16}},
    )
    return fig
