"""The committee pack's pictures, drawn offline by matplotlib (the coverage heatmap, the
follow-up grid), and the colours and the font the PDF shares with them."""

from __future__ import annotations

import textwrap
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol, cast

import pandas as pd

from ardenne_kpi import reporting
from ardenne_kpi.committee.briefing import (
    Briefing,
)
from ardenne_kpi.core.format import pdf_text
from ardenne_kpi.figures import coverage

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from PIL.Image import Image


# Received, but after the deadline (Okabe–Ito reddish purple): the follow-up picture.
LATE_COLOR = "#CC79A7"

# ------------------------------------------------------------------ pictures (matplotlib, offline)


def _pyplot() -> ModuleType:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def coverage_picture(d: Briefing) -> Image:
    """The dimension × key coverage heatmap: state colours, number of indicators and a glyph per cell."""
    plt = _pyplot()
    from matplotlib.colors import to_rgb
    from matplotlib.patches import Patch

    fw = d.fw
    grid = d.cells.set_index(["row", "col"])
    fig, ax = plt.subplots(figsize=(13, 4.6), dpi=150)
    for i, dim in enumerate(fw.dimensions):
        for j, key in enumerate(fw.keys):
            cell = cast("pd.Series[Any]", grid.loc[(dim.code, key.code)])  # one row per (dimension, key)
            color = coverage.GAP_COLORS[cell["state"]]
            # add_artist, not add_patch: the limits are set below, the data limits need no update
            ax.add_artist(plt.Rectangle((j, i), 1, 1, facecolor=color, edgecolor="white", linewidth=2))
            dark = sum(to_rgb(color)) / 3 < 0.5 or cell["state"] in (coverage.Gap.BEHIND, coverage.Gap.ON_TRACK)
            text = f"{int(cell['n_indicators'])} {coverage.GAP_MARKS[cell['state']]}".strip()
            ax.text(
                j + 0.5,
                i + 0.5,
                text,
                ha="center",
                va="center",
                fontsize=14,
                fontweight="bold",
                color="white" if dark else "black",
            )
    ax.set_xlim(0, len(fw.keys))
    ax.set_ylim(len(fw.dimensions), 0)
    ax.set_xticks(
        [j + 0.5 for j in range(len(fw.keys))],
        ["\n".join(textwrap.wrap(pdf_text(k.label, 60), 13, break_long_words=False)) for k in fw.keys],
        fontsize=9,
        parse_math=False,  # framework text: a « $ » is a dollar, never matplotlib's mathtext
    )
    ax.set_yticks(
        [i + 0.5 for i in range(len(fw.dimensions))],
        ["\n".join(textwrap.wrap(pdf_text(dm.label, 80), 18, break_long_words=False)) for dm in fw.dimensions],
        fontsize=10,
        parse_math=False,
    )
    ax.tick_params(length=0)
    ax.xaxis.tick_top()
    for side in ax.spines.values():
        side.set_visible(False)
    handles = [
        Patch(facecolor=coverage.GAP_COLORS[s], label=f"{coverage.GAP_MARKS[s]} {coverage.GAP_LABELS[s]}".strip())
        for s in coverage.GAP_STATES
    ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.03), ncol=4, frameon=False, fontsize=10)
    fig.tight_layout()
    return _picture(fig, plt)


def followup_picture(d: Briefing) -> Image | None:
    """The operator × semester follow-up matrix: received / partial / missing, late counts (None
    when no report is expected yet)."""
    plt = _pyplot()
    text, state = reporting.matrix_grid(d.matrix, d.fw, labels=True)
    if text.empty:
        return None
    fig, ax = plt.subplots(figsize=(13, 0.42 * len(text) + 1.4), dpi=150)
    for i, op in enumerate(text.index):
        for j, col in enumerate(text.columns):
            s = cast(str, state.loc[op, col])  # the grids hold texts: state names, cell texts
            if s == "received" and cast(str, text.loc[op, col]).endswith("R"):
                s = "late"
            ax.add_artist(  # not add_patch: the limits are set below
                plt.Rectangle(
                    (j, i),
                    1,
                    1,
                    facecolor=LATE_COLOR if s == "late" else reporting.CELL_COLORS[s],
                    edgecolor="white",
                    linewidth=1.5,
                )
            )
            label = cast(str, text.loc[op, col]).replace(" · ", "\n")
            ax.text(
                j + 0.5,
                i + 0.5,
                label,
                ha="center",
                va="center",
                fontsize=7.5,
                color="white" if s in ("received", "missing", "late") else "black",
            )
    ax.set_xlim(0, len(text.columns))
    ax.set_ylim(len(text), 0)
    ax.set_xticks([j + 0.5 for j in range(len(text.columns))], list(text.columns), fontsize=9, parse_math=False)
    ax.set_yticks(
        [i + 0.5 for i in range(len(text))],
        [textwrap.fill(pdf_text(o, 120), 40) for o in text.index],  # whole names, on two lines if need be
        fontsize=8.5,
        parse_math=False,
    )
    ax.tick_params(length=0)
    ax.xaxis.tick_top()
    for side in ax.spines.values():
        side.set_visible(False)
    fig.tight_layout()
    return _picture(fig, plt)


class _AggCanvas(Protocol):
    """What `_picture` reads of the Agg backend's canvas (matplotlib leaves it unannotated)."""

    def buffer_rgba(self) -> memoryview: ...


def _picture(fig: Figure, plt: ModuleType) -> Image:
    """The figure's pixels as a PIL image, the very pixels `savefig` would write to a PNG: fpdf2
    takes the image as it is, where a PNG would be compressed here only to be decompressed
    again by fpdf2 (issue 16)."""
    from PIL import Image

    fig.canvas.draw()
    canvas = cast(_AggCanvas, fig.canvas)  # `_pyplot` chose the Agg backend
    # Pillow annotates frombuffer's data as bytes or an array interface; it reads any buffer, this memoryview too
    image = Image.frombuffer("RGBA", fig.canvas.get_width_height(), canvas.buffer_rgba()).copy()  # type: ignore[arg-type]
    plt.close(fig)
    return image


def font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def rgb(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    return int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16)


def light(color: str, amount: float = 0.75) -> tuple[int, int, int]:
    red, green, blue = (int(c + (255 - c) * amount) for c in rgb(color))
    return red, green, blue
