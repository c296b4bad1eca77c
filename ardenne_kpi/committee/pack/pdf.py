"""The committee pack as a PDF in French that reads without the app: a cover, then one
function per section, in the order of SECTIONS. Everything works offline: fpdf2 writes the
PDF, matplotlib draws the pictures, and the font is the DejaVu Sans that matplotlib ships
(accents, «», ✔ and the status symbols included).
"""

from __future__ import annotations

import itertools
import re
import textwrap
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol, cast

import pandas as pd

from ardenne_kpi import reporting
from ardenne_kpi.committee import snapshots
from ardenne_kpi.committee.briefing import (
    TITLE,
    Briefing,
    analysis_of,
    behind_target,
    dimension_table,
    indicators_table,
    new_analyses,
    quality_notes,
    tiles,
)
from ardenne_kpi.core import links
from ardenne_kpi.core.format import NBSP, fmt_date, fmt_number, fmt_percent, pdf_text
from ardenne_kpi.core.indicator_status import BEHIND, STATUS_COLORS, STATUS_LABELS, STATUS_SYMBOLS, IndicatorStatus
from ardenne_kpi.figures import analyses, coverage

if TYPE_CHECKING:
    from fpdf import FPDF
    from matplotlib.figure import Figure
    from PIL.Image import Image

    from ardenne_kpi.framework import Framework

# Rows of a long table printed in the PDF before "… et N autres (voir le classeur .xlsx)".
MAX_ROWS = 40
# Received, but after the deadline (Okabe–Ito reddish purple): the follow-up picture.
LATE_COLOR = "#CC79A7"
# Characters fpdf2's line breaking treats specially (breaks, soft hyphen): a text holding one is
# always broken into lines by fpdf2 itself.
SPECIAL = re.compile("[\n\r\t\f\u00ad]")
# The tables' heading fill; the cells of a wrapped table are filled with it too.
HEAD_FILL = (225, 232, 240)


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


def _font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def _hex(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    return int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16)


def _light(color: str, amount: float = 0.75) -> tuple[int, int, int]:
    red, green, blue = (int(c + (255 - c) * amount) for c in _hex(color))
    return red, green, blue


# ------------------------------------------------------------------ the document and its building blocks


def _document(d: Briefing) -> FPDF:
    """An empty A4 landscape document: the pack's fonts, margins, running header and footer."""
    from fpdf import FPDF

    fw = d.fw
    header_text = f"{TITLE} · {fw.portfolio.get('code', '')} · données au {fmt_date(d.data_end)}"

    class Pack(FPDF):
        # Every text goes through pdf_text: partner text may hold control characters or
        # thousands of characters without a space.
        def cell(
            self, w: float | None = None, h: float | None = None, text: str = "", *args: Any, **kwargs: Any
        ) -> bool:
            return super().cell(w, h, pdf_text(text), *args, **kwargs)

        def multi_cell(
            self, w: float, h: float | None = None, text: str = "", *args: Any, **kwargs: Any
        ) -> FPDF.MultiCellResult:
            return super().multi_cell(w, h, pdf_text(text), *args, **kwargs)

        def header(self) -> None:
            if self.page_no() == 1:
                return
            self.set_font("DejaVu", "", 8)
            self.set_text_color(110, 110, 110)
            self.cell(0, 5, header_text, align="L")
            self.ln(8)
            self.set_text_color(0, 0, 0)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("DejaVu", "", 8)
            self.set_text_color(110, 110, 110)
            self.cell(0, 5, f"Généré le {d.generated_at:%d/%m/%Y à %H:%M} · page {self.page_no()} / {{nb}}", align="R")
            self.set_text_color(0, 0, 0)

    pdf = Pack(orientation="L", unit="mm", format="A4")
    pdf.set_title(f"{TITLE} – {fw.portfolio.get('label', 'Ardenne Attractivity')}")
    pdf.set_author("Ardenne KPI")
    pdf.set_creator("Ardenne KPI")
    pdf.set_lang("fr")
    fonts = _font_dir()
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.add_font("DejaVu", "I", str(fonts / "DejaVuSans-Oblique.ttf"))
    pdf.set_auto_page_break(True, margin=15)
    pdf.set_margins(12, 12, 12)
    return pdf


def _h1(pdf: FPDF, text: str) -> None:
    pdf.set_font("DejaVu", "B", 18)
    pdf.cell(0, 10, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _h2(pdf: FPDF, text: str) -> None:
    pdf.set_font("DejaVu", "B", 13)
    pdf.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")


def _para(pdf: FPDF, text: str, size: float = 10, style: str = "") -> None:
    pdf.set_font("DejaVu", style, size)
    pdf.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1.5)


def _text_line(pdf: FPDF, x: float, top: float, height: float, text: str) -> None:
    """`text` from `x` on a line of `height` from `top`, exactly where `cell()` puts it, at a fifth of
    its cost: `cell()` lays a one-line text out as if it could wrap (issue 16)."""
    if text:
        pdf.text(x, top + 0.5 * height + 0.3 * pdf.font_size, pdf_text(text))


def _plain(pdf: FPDF, frame: pd.DataFrame, widths: tuple[float, ...], size: float = 7.5) -> None:
    """A table drawn cell by cell, one line per row as long as its texts fit their columns:
    ten times faster than `_table` for long lists. A text wider than its column (an operator's
    long name) runs on as many lines as it needs, whole: a name is never cut."""
    h = size * 0.5

    def lines(text: str, width: float) -> list[str]:
        text = pdf_text(text, int(width) * 3)  # a few lines at most, however long a partner's text
        if not SPECIAL.search(text) and pdf.get_string_width(text) <= width - 1.6:
            return [text]
        return cast(list[str], pdf.multi_cell(width, h, text, dry_run=True, output="LINES"))  # LINES: the lines

    def layout(texts: list[str]) -> tuple[list[list[str]], float]:
        cells = [lines(text, width) for text, width in zip(texts, widths, strict=True)]
        return cells, h * max(len(c) for c in cells)

    def cells(layout_: tuple[list[list[str]], float], style: str) -> None:
        parts, height = layout_
        x, top = pdf.l_margin, pdf.get_y()
        for texts, width in zip(parts, widths, strict=True):
            pdf.rect(x, top, width, height, style=style)
            for n, text in enumerate(texts):
                _text_line(pdf, x + pdf.c_margin, top + n * h, h, text)
            x += width
        pdf.set_xy(pdf.l_margin, top + height)

    def head() -> None:
        pdf.set_font("DejaVu", "B", size)
        pdf.set_fill_color(*HEAD_FILL)
        cells(layout([str(column) for column in frame.columns]), "DF")
        pdf.set_font("DejaVu", "", size)

    pdf.set_font("DejaVu", "B", size)
    if pdf.will_page_break(layout([str(column) for column in frame.columns])[1] + h):
        pdf.add_page()
    head()
    for row in frame.itertuples(index=False):
        laid = layout(["" if value is None else str(value) for value in row])
        if pdf.get_y() + laid[1] > pdf.page_break_trigger:
            pdf.add_page()
            head()
        cells(laid, "D")
    pdf.ln(2)


def _table(
    pdf: FPDF,
    frame: pd.DataFrame,
    widths: tuple[float, ...],
    size: float = 8.5,
    fills: list[tuple[int, int, int]] | None = None,
    limit: int | None = MAX_ROWS,
    note: str = "",
    wrap: bool = False,
) -> None:
    """A table; `wrap` lets long texts run on several lines (`_wrapped`), else each text is cut to one line."""
    if frame.empty:
        _para(pdf, "Aucune ligne.", 9, "I")
        return
    shown = frame if limit is None else frame.head(limit)
    if wrap:
        _wrapped(pdf, shown, widths, size, fills)
    else:
        _plain(pdf, shown, widths, size)
    if limit is not None and len(frame) > limit:
        _para(pdf, f"… et {len(frame) - limit} autre(s) ligne(s) : voir le classeur .xlsx joint{note}.", 8.5, "I")
    if wrap:
        pdf.ln(2)


def _wrapped(
    pdf: FPDF,
    frame: pd.DataFrame,
    widths: tuple[float, ...],
    size: float,
    fills: list[tuple[int, int, int]] | None = None,
) -> None:
    """A table whose long texts run on several lines inside their column, drawn cell by cell.

    It keeps the look fpdf2's `pdf.table()` gave it (columns scaled to the page width, 0.8 mm
    padding, texts centred in the row's height, every cell filled, the status colour in the last
    column, the heading repeated after a page break) at a fraction of its cost: `pdf.table()`
    broke every text into lines twice, character by character, where here only a text wider
    than its column goes through fpdf2's line breaking, once, and each distinct text only once.
    """
    line = size * 0.55  # the height of one line of text
    pad = 0.8
    scale = pdf.epw / sum(widths)
    columns = [w * scale for w in widths]
    lefts = list(itertools.accumulate(columns[:-1], initial=pdf.l_margin))
    broken: dict[tuple[str, float, str], list[str]] = {}

    def lines(text: str, width: float, style: str) -> list[str]:
        """The lines fpdf2's `multi_cell` breaks `text` into in a cell of `width` (the current font)."""
        key = (text, width, style)
        if key not in broken:
            if not text:
                broken[key] = []
            elif not SPECIAL.search(text) and pdf.get_string_width(text) <= width - 2 * pad - 0.01:
                broken[key] = [text.replace(NBSP, " ")]  # as multi_cell writes it
            else:  # wider than the column, a line break of its own...: fpdf2 decides where the lines end
                # fpdf2 annotates padding as int but reads any number (util.Padding.new); LINES: the lines
                broken[key] = cast(
                    list[str],
                    pdf.multi_cell(width, line, text, padding=pad, dry_run=True, output="LINES"),  # type: ignore[arg-type]
                )
        return broken[key]

    def layout(texts: list[str], style: str) -> tuple[list[list[str]], float]:
        pdf.set_font("DejaVu", style, size)
        cells = [lines(pdf_text(t), c, style) for t, c in zip(texts, columns, strict=True)]
        return cells, max((len(c) * line + 2 * pad for c in cells if c), default=line)

    def draw(cells: list[list[str]], height: float, style: str, fill: tuple[int, int, int] | None = None) -> None:
        pdf.set_font("DejaVu", style, size)
        top = pdf.get_y()
        for k, (text, left, width) in enumerate(zip(cells, lefts, columns, strict=True)):
            pdf.set_fill_color(*(fill if fill is not None and k == len(cells) - 1 else HEAD_FILL))
            pdf.rect(left, top, width, height, style="DF")
            y = top + (height - len(text) * line - 2 * pad) / 2 + pad
            for n, part in enumerate(text):
                _text_line(pdf, left + pad, y + n * line, line, part)
        pdf.set_fill_color(*HEAD_FILL)
        pdf.set_xy(pdf.l_margin, top + height)

    heading = layout([str(c) for c in frame.columns], "B")
    # each text cut so that a row fits on a page, however long the partner's text
    cut = [max(40, int(w * 8)) for w in widths]
    rows = [
        layout([pdf_text(v, n) for v, n in zip(row, cut, strict=True)], "") for row in frame.itertuples(index=False)
    ]
    if pdf.will_page_break(heading[1] + rows[0][1]):  # never a heading alone at the foot of a page
        pdf.add_page(same=True)
    draw(*heading, "B")
    for n, (cells, height) in enumerate(rows):
        if pdf.will_page_break(height):
            pdf.add_page(same=True)
            draw(*heading, "B")
        draw(cells, height, "", fills[n] if fills is not None else None)


def _analysed(pdf: FPDF, fw: Framework, rows: list[tuple[str, str, dict[str, Any] | None]]) -> None:
    """Each indicator behind target, with the coordinator's analysis and the link that reopens it."""
    for code, s, a in rows:
        if pdf.get_y() > 175:
            pdf.add_page()
        pdf.set_font("DejaVu", "B", 9.5)
        pdf.set_text_color(*_hex(STATUS_COLORS[s]))
        pdf.multi_cell(
            0,
            5,
            f"{STATUS_SYMBOLS[s]} {code} · {fw.indicator(code).label} : {STATUS_LABELS[s].lower()}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_text_color(0, 0, 0)
        pdf.set_font("DejaVu", "", 9)
        text = (
            f"Analyse du coordinateur ({analyses.signature(a, fw)}) : {a['body']}"
            if a
            else "Analyse du coordinateur : pas encore écrite."
        )
        pdf.multi_cell(0, 4.6, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 7.5)
        pdf.set_text_color(90, 90, 90)
        pdf.multi_cell(0, 4, links.page_url("Tendances", indicateur=code), new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        pdf.ln(1)
    pdf.ln(2)


# ------------------------------------------------------------------ the sections, in order


def _cover_section(pdf: FPDF, d: Briefing) -> None:
    """The cover: period, data date, validation, locks, comparison, and the table of contents."""
    fw = d.fw
    portfolio = fw.portfolio.get("label", "Ardenne Attractivity")
    pdf.add_page()
    pdf.set_fill_color(0, 72, 120)
    pdf.rect(0, 0, 297, 70, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_xy(15, 18)
    pdf.set_font("DejaVu", "B", 30)
    pdf.cell(0, 14, TITLE, new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(15)
    pdf.set_font("DejaVu", "", 13)
    pdf.multi_cell(260, 7, portfolio, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_xy(15, 78)
    pdf.set_font("DejaVu", "B", 16)
    pdf.cell(0, 10, f"Période suivie : {d.period.label_fr}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(15)
    pdf.set_font("DejaVu", "", 12)
    lines = [
        f"Données au {fmt_date(d.data_end)} (fin de la dernière période déclarée)",
        f"Dernier rapport reçu le {fmt_date(d.last_upload)}" if d.last_upload else "Aucun rapport reçu",
        f"Référentiel {fw.version} · délai de remise : {reporting.deadline_text(fw)}",
        d.validation_note,
        *([f"Périodes verrouillées : {d.locks_note}"] if d.locks_note else []),
        f"Comparaison avec l'instantané {d.comparison.old.label}"
        if d.comparison
        else "Aucun instantané de comité enregistré : pas de comparaison",
        f"Programme {fw.portfolio.get('programme', '')}".strip(),
        f"Document généré le {d.generated_at:%d/%m/%Y à %H:%M} par Ardenne KPI",
    ]
    for line in lines:
        pdf.set_x(15)
        pdf.multi_cell(260, 6.5, line, new_x="LMARGIN", new_y="NEXT")  # a long locks note wraps
    if d.overrides_note:  # the reasons may be long: wrapped, after the one-line facts
        pdf.set_x(15)
        pdf.multi_cell(260, 6, f"Modifié après verrouillage : {d.overrides_note}.", new_x="LMARGIN", new_y="NEXT")
    if d.is_demo:
        pdf.ln(4)
        pdf.set_x(15)
        pdf.set_text_color(213, 94, 0)
        pdf.set_font("DejaVu", "B", 12)
        pdf.multi_cell(
            260,
            7,
            "Données de démonstration : ces chiffres sont générés pour montrer l'outil, ils ne sont pas réels.",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_text_color(0, 0, 0)
    _contents(pdf)


CONTENTS = [
    "Chiffres clés",
    "Couverture du plan (dimensions × clés)",
    "Statut des indicateurs par dimension",
    "Ce qui a changé depuis le dernier comité",
    "Complétude des rapports par opérateur",
    "Qualité des données",
    "Annexe : rapports à l'origine des chiffres",
]


def _contents(pdf: FPDF) -> None:
    """The table of contents, in two columns, whole on one page: at the foot of the cover when
    it fits there, else on a page of its own (never its last line alone on the next page)."""
    rows = (len(CONTENTS) + 1) // 2
    height = 7 + rows * 5.5
    top = max(pdf.get_y() + 6, 150)
    if top + height > pdf.page_break_trigger:
        top = pdf.get_y() + 6
    if top + height > pdf.page_break_trigger:
        pdf.add_page()
        top = pdf.get_y()
    pdf.set_xy(15, top)
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(0, 7, "Sommaire", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    for n, part in enumerate(CONTENTS):
        pdf.set_xy(15 + (n // rows) * 135, top + 7 + (n % rows) * 5.5)
        pdf.cell(130, 5.5, f"{n + 1}. {part}" if n < len(CONTENTS) - 1 else part)


def _headline_section(pdf: FPDF, d: Briefing) -> None:
    """1. Key figures: the headline tiles and the status of indicators by dimension."""
    fw = d.fw
    pdf.add_page()
    _h1(pdf, "1. Chiffres clés")
    tile_colors = [s.colour for s in IndicatorStatus] + ["#0072B2"] * 4
    w, h, gap = 64.5, 34, 4
    top = pdf.get_y()
    for n, ((label, value, help_text), color) in enumerate(zip(tiles(d), tile_colors, strict=True)):
        x = 12 + (n % 4) * (w + gap)
        y = top + (n // 4) * (h + gap)
        pdf.set_fill_color(*_light(color, 0.82))
        pdf.set_draw_color(*_hex(color))
        pdf.set_line_width(0.8)
        pdf.rect(x, y, w, h, style="DF")
        pdf.set_xy(x + 3, y + 2.5)
        pdf.set_font("DejaVu", "", 10)
        pdf.cell(w - 6, 6, label)
        pdf.set_xy(x + 3, y + 9)
        pdf.set_font("DejaVu", "B", 22)
        pdf.cell(w - 6, 12, value)
        pdf.set_xy(x + 3, y + 22)
        pdf.set_font("DejaVu", "", 7.5)
        pdf.multi_cell(w - 6, 3.6, help_text, align="L")
    pdf.set_line_width(0.2)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_y(top + 2 * (h + gap) + 2)
    _h2(pdf, "Statut des indicateurs par dimension")
    dims = dimension_table(d)
    _table(pdf, dims, widths=(75, 25, 32, 32, 32, 32, 30), size=9)
    _para(
        pdf,
        "Statut : part de la progression attendue à la date (rythme linéaire entre la référence et la cible) "
        f"atteinte par la dernière valeur ; « {IndicatorStatus.ON_TRACK.label} » à partir de "
        f"{fmt_percent(fw.on_track)}, « {IndicatorStatus.AT_RISK.label} » à partir de {fmt_percent(fw.at_risk)}.",
        8.5,
        "I",
    )


def _coverage_section(pdf: FPDF, d: Briefing) -> None:
    """2. The plan's coverage: the dimension × key heatmap and its state counts."""
    pdf.add_page()
    _h1(pdf, "2. Couverture du plan : dimensions × clés du mix marketing territorial")
    _para(
        pdf,
        "Chaque case compte les indicateurs qui servent la dimension et la clé ; sa couleur dit si la case est "
        "servie, renseignée et dans la trajectoire. La forme (∅ ? ▼) double la couleur.",
        10,
    )
    pdf.image(coverage_picture(d), x=12, w=273)
    counts = d.cells["state"].value_counts()
    _para(pdf, " · ".join(f"{coverage.GAP_LABELS[s]} : {int(counts.get(s, 0))}" for s in coverage.GAP_STATES), 10, "B")
    _para(pdf, f"Dans l'application : {links.page_url('Couverture', matrice='dimension_key')}", 8.5, "I")


def _indicators_section(pdf: FPDF, d: Briefing) -> None:
    """3. The indicators of each dimension, with the analyses of those behind target."""
    fw = d.fw
    pdf.add_page()
    _h1(pdf, "3. Statut des indicateurs par dimension")
    widths = (14, 100, 22, 26, 26, 18, 22, 40)
    for dim in fw.dimensions:
        frame = indicators_table(d, dim.code)
        if pdf.get_y() > 160:
            pdf.add_page()
        _h2(pdf, f"{dim.label} ({len(frame)} indicateurs)")
        fills = [_light(STATUS_COLORS[s], 0.7) for s in frame["_status"]]
        _table(pdf, frame.drop(columns=["_status"]), widths=widths, size=8, fills=fills, limit=None, wrap=True)
        _analysed(pdf, fw, behind_target(d, dim.code))
        _para(pdf, f"Dans l'application : {links.page_url('Tendances', dimension=dim.code)}", 8.5, "I")


def _changes_section(pdf: FPDF, d: Briefing) -> None:
    """4. What changed since the compared snapshot, and the analyses written since."""
    fw = d.fw
    pdf.add_page()
    _h1(pdf, "4. Ce qui a changé depuis le dernier comité")
    cmp = d.comparison
    if cmp is None:
        _para(
            pdf,
            "Aucun instantané de comité n'est enregistré. Créez-en un à chaque comité (page « Suivi des "
            "rapports » ou `python -m ardenne_kpi snapshot create NOM --date AAAA-MM-JJ`) : le prochain dossier "
            "montrera ce qui a changé depuis.",
            11,
        )
    else:
        _para(pdf, snapshots.summary_text(cmp), 11, "B")
        _h2(pdf, f"Statuts d'indicateurs qui ont changé ({len(cmp.statuses)})")
        _table(pdf, snapshots.statuses_table(cmp), widths=(18, 120, 34, 34, 33, 34))
        _h2(pdf, f"Cellules de couverture qui ont changé d'état ({len(cmp.cells)})")
        _table(pdf, snapshots.cells_table(cmp), widths=(70, 60, 71, 72))
        _h2(pdf, f"Nouveaux rapports ({len(cmp.uploads)})")
        _table(pdf, snapshots.uploads_table(cmp, fw), widths=(15, 90, 118, 50), limit=25)
        _h2(pdf, f"Valeurs nouvelles, corrigées ou retirées ({len(cmp.values)})")
        _table(pdf, snapshots.values_table(cmp, fw), widths=(18, 95, 22, 20, 22, 30, 30, 36), limit=MAX_ROWS)
        changed = [
            (c, s, analysis_of(d, c))
            for c, s in zip(cmp.statuses["indicator"], cmp.statuses["new_status"], strict=True)
            if s in BEHIND
        ]
        if changed:
            _h2(pdf, f"Analyses du coordinateur pour les indicateurs passés en retard ou à surveiller ({len(changed)})")
            _analysed(pdf, fw, changed)
    written = new_analyses(d)
    _h2(pdf, f"Analyses du coordinateur écrites depuis le dernier comité ({len(written)})")
    if written.empty:
        _para(pdf, "Aucune analyse écrite depuis.", 9, "I")
    for a in cast(list[dict[str, Any]], written.to_dict("records")):  # keyed by column names
        pdf.set_font("DejaVu", "B", 9.5)
        pdf.multi_cell(
            0,
            5,
            f"{a['indicator']} · {fw.indicator(a['indicator']).label} ({analyses.signature(a, fw)})",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_font("DejaVu", "", 9)
        pdf.multi_cell(0, 4.6, a["body"], new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)


def _completeness_section(pdf: FPDF, d: Briefing) -> None:
    """5. Reports received by operator: for the period, since the start, by semester."""
    fw = d.fw
    pdf.add_page()
    _h1(pdf, "5. Complétude des rapports par opérateur")
    _para(
        pdf,
        f"Rapports attendus = indicateurs dont l'opérateur est responsable × leurs périodes échues ; reçus = une "
        f"valeur retenue a été déposée. En retard : déposé plus de {reporting.deadline_text(fw)}.",
        10,
    )
    _h2(pdf, f"Période suivie : {d.period.label_fr}")
    _para(
        pdf,
        f"Dans l'application : {links.page_url('Suivi', onglet='Rapports reçus', semestre=d.period.code)}",
        8.5,
        "I",
    )
    _table(pdf, reporting.completeness_table(d.period_summary), widths=(90, 20, 20, 25, 22, 56, 30), limit=None)
    _h2(pdf, "Depuis le début du programme")
    _table(pdf, reporting.completeness_table(d.programme_summary), widths=(90, 20, 20, 25, 22, 56, 30), limit=None)
    picture = followup_picture(d)
    if picture is not None:
        pdf.add_page()
        _h2(pdf, "Rapports par opérateur et par semestre du programme")
        _para(
            pdf,
            "✔ reçu · ◐ partiel · ✘ manquant · … délai en cours ; « nR » : n rapports reçus en retard. "
            "Couleurs : bleu reçu dans le délai, violet reçu en retard, orange partiel, rouge manquant.",
            9,
        )
        pdf.image(picture, x=12, w=273)


def _quality_section(pdf: FPDF, d: Briefing) -> None:
    """6. Data quality: the notes, late or missing reports, never declared, import warnings."""
    pdf.add_page()
    _h1(pdf, "6. Qualité des données")
    for note in quality_notes(d):
        pdf.set_font("DejaVu", "", 10)
        pdf.multi_cell(0, 5.5, f"• {note}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    if not d.late.empty:
        _h2(pdf, "Rapports en retard ou manquants, par opérateur et semestre")
        late = pd.DataFrame(
            {
                "Opérateur": d.late["label"],
                "Semestre": d.late["column"],
                "Situation": d.late["status"].map(reporting.ITEM_LABELS),
                "Rapports": d.late["n"],
                "Retard max. (jours)": d.late["max_delay_days"].map(lambda v: "–" if v != v else fmt_number(v)),
            }
        )
        _table(pdf, late, widths=(110, 25, 60, 30, 48))
    if not d.never.empty:
        _h2(pdf, "Indicateurs jamais déclarés par leur opérateur")
        _table(
            pdf,
            pd.DataFrame(
                {
                    "Opérateur": d.never["operator_label"],
                    "Code": d.never["indicator"],
                    "Indicateur": d.never["indicator_label"],
                    "Périodes échues": d.never["n_due"],
                }
            ),
            widths=(80, 20, 140, 33),
        )
    if not d.warnings.empty:
        _h2(pdf, "Avertissements donnés à l'import")
        _table(
            pdf,
            pd.DataFrame(
                {
                    "N°": d.warnings["upload_id"],
                    "Fichier": d.warnings["file_name"],
                    "Avertissement": d.warnings["message"],
                }
            ),
            widths=(14, 70, 189),
            size=7.5,
            wrap=True,
        )


def _sources_section(pdf: FPDF, d: Briefing) -> None:
    """Annex: the reports behind the figures, in upload order."""
    fw = d.fw
    pdf.add_page()
    _h1(pdf, "Annexe : rapports à l'origine des chiffres")
    _para(
        pdf,
        f"{len(d.uploads)} rapport(s) dont au moins une valeur compte aujourd'hui, dans l'ordre de dépôt. "
        "Chaque chiffre du tableau de bord remonte à son fichier, sa feuille et sa cellule.",
        10,
    )
    _plain(pdf, reporting.uploads_table(d.uploads, fw), widths=(12, 66, 76, 21, 23, 22, 28, 25))


SECTIONS = [
    _cover_section,
    _headline_section,
    _coverage_section,
    _indicators_section,
    _changes_section,
    _completeness_section,
    _quality_section,
    _sources_section,
]


def pdf_bytes(d: Briefing) -> bytes:
    """The pack as PDF bytes (A4 landscape): the cover, then each section of SECTIONS."""
    pdf = _document(d)
    for section in SECTIONS:
        section(pdf, d)
    return bytes(pdf.output())
