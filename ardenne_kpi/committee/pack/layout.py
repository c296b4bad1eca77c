"""The committee pack's PDF document and its building blocks (headings, paragraphs, tables
that wrap and repeat their heading, the analysed indicators), written with fpdf2."""

from __future__ import annotations

import itertools
import re
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from ardenne_kpi.committee.briefing import (
    TITLE,
    Briefing,
)
from ardenne_kpi.committee.pack import pictures
from ardenne_kpi.core import links
from ardenne_kpi.core.format import NBSP, fmt_date, pdf_text
from ardenne_kpi.core.indicator_status import STATUS_COLORS, STATUS_LABELS, STATUS_SYMBOLS
from ardenne_kpi.figures import analyses

if TYPE_CHECKING:
    from fpdf import FPDF

    from ardenne_kpi.framework import Framework

# Rows of a long table printed in the PDF before "… et N autres (voir le classeur .xlsx)".
MAX_ROWS = 40
# Characters fpdf2's line breaking treats specially (breaks, soft hyphen): a text holding one is
# always broken into lines by fpdf2 itself.
SPECIAL = re.compile("[\n\r\t\f\u00ad]")
# The tables' heading fill; the cells of a wrapped table are filled with it too.
HEAD_FILL = (225, 232, 240)


# ------------------------------------------------------------------ the document and its building blocks


def document(d: Briefing) -> FPDF:
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
    fonts = pictures.font_dir()
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.add_font("DejaVu", "I", str(fonts / "DejaVuSans-Oblique.ttf"))
    pdf.set_auto_page_break(True, margin=15)
    pdf.set_margins(12, 12, 12)
    return pdf


def h1(pdf: FPDF, text: str) -> None:
    pdf.set_font("DejaVu", "B", 18)
    pdf.cell(0, 10, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def h2(pdf: FPDF, text: str) -> None:
    pdf.set_font("DejaVu", "B", 13)
    pdf.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")


def para(pdf: FPDF, text: str, size: float = 10, style: str = "") -> None:
    pdf.set_font("DejaVu", style, size)
    pdf.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1.5)


def _text_line(pdf: FPDF, x: float, top: float, height: float, text: str) -> None:
    """`text` from `x` on a line of `height` from `top`, exactly where `cell()` puts it, at a fifth of
    its cost: `cell()` lays a one-line text out as if it could wrap (issue 16)."""
    if text:
        pdf.text(x, top + 0.5 * height + 0.3 * pdf.font_size, pdf_text(text))


def plain(pdf: FPDF, frame: pd.DataFrame, widths: tuple[float, ...], size: float = 7.5) -> None:
    """A table drawn cell by cell, one line per row as long as its texts fit their columns:
    ten times faster than `table` for long lists. A text wider than its column (an operator's
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


def table(
    pdf: FPDF,
    frame: pd.DataFrame,
    widths: tuple[float, ...],
    size: float = 8.5,
    fills: list[tuple[int, int, int]] | None = None,
    limit: int | None = MAX_ROWS,
    note: str = "",
    wrap: bool = False,
) -> None:
    """A table; `wrap` lets long texts run on several lines (`wrapped`), else each text is cut to one line."""
    if frame.empty:
        para(pdf, "Aucune ligne.", 9, "I")
        return
    shown = frame if limit is None else frame.head(limit)
    if wrap:
        wrapped(pdf, shown, widths, size, fills)
    else:
        plain(pdf, shown, widths, size)
    if limit is not None and len(frame) > limit:
        para(pdf, f"… et {len(frame) - limit} autre(s) ligne(s) : voir le classeur .xlsx joint{note}.", 8.5, "I")
    if wrap:
        pdf.ln(2)


def wrapped(
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


def analysed(pdf: FPDF, fw: Framework, rows: list[tuple[str, str, dict[str, Any] | None]]) -> None:
    """Each indicator behind target, with the coordinator's analysis and the link that reopens it."""
    for code, s, a in rows:
        if pdf.get_y() > 175:
            pdf.add_page()
        pdf.set_font("DejaVu", "B", 9.5)
        pdf.set_text_color(*pictures.rgb(STATUS_COLORS[s]))
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
