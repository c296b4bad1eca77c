"""The partner's own workbook given back with its problems marked: each faulty cell
highlighted (red for an error, orange for a warning) and carrying a comment that says what
is wrong and how to fix it. Problems without a cell go on cell A1 of their sheet.

openpyxl edits .xlsx and .xlsm files in place. It cannot write .xls or .ods, so those come
back as an .xlsx copy rebuilt from the cells as they were read (values only, no formatting),
with the same marks; `Annotated.converted` says so, for the page to tell the partner.

The work runs in the import guard's child process (memory and time limits), like the
parse itself: a workbook that parsed fine can still be heavy for openpyxl.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import PurePath

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Border, PatternFill, Side
from openpyxl.utils.cell import coordinate_from_string
from openpyxl.worksheet.worksheet import Worksheet

from ardenne_kpi.core.errors import ReportError
from ardenne_kpi.core.format import comment_text, put_cell, sheet_title
from ardenne_kpi.intake import guard
from ardenne_kpi.intake.model import ERROR, Issue

ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
WARNING_FILL = PatternFill("solid", fgColor="FFE699")
_RED = Side(style="medium", color="C00000")
_ORANGE = Side(style="medium", color="C65911")
AUTHOR = "Ardenne KPI"
_CELL = re.compile(r"^[A-Z]{1,3}[1-9]\d{0,6}$")
# A message starts with its place, « Feuille « X », cellule F12 : »; the comment sits on
# that cell already, so the place is dropped there.
_PLACE = re.compile(r"^(?:Feuille « .*? »(?:, cellule [A-Z]{1,3}\d+)?|Fichier)\s*:\s*")


@dataclass(frozen=True)
class Annotated:
    """The annotated workbook: .xlsx/.xlsm bytes, the name to offer, and whether it is a copy
    rebuilt from an .xls/.ods file (formatting not kept)."""

    data: bytes
    file_name: str
    converted: bool
    marked_cells: int


def annotate(data: bytes, file_name: str, issues: list[Issue]) -> Annotated:
    """The partner's workbook with every issue marked, computed in the guarded child process.
    Raises ReportError (French) when the file cannot be read at all (nothing to annotate)."""
    kind = guard.precheck(data, file_name)
    annotated: Annotated = guard.run_isolated(annotate_unguarded, data, kind, file_name, list(issues))
    return annotated


def annotate_unguarded(data: bytes, kind: str, file_name: str, issues: list[Issue]) -> Annotated:
    """`annotate` without the child process: only for bytes already known to be harmless."""
    stem = PurePath(file_name).stem or "rapport"
    suffix = PurePath(file_name).suffix.lower()
    wb = None
    if kind == "xlsx":
        try:
            wb = load_workbook(io.BytesIO(data), keep_vba=suffix == ".xlsm", rich_text=True)
        except Exception:  # openpyxl cannot open every file calamine reads: rebuild a copy
            wb = None
    converted = wb is None
    if wb is None:
        wb = _rebuild(data, kind)
    marked = mark(wb, issues)
    out = io.BytesIO()
    wb.save(out)
    keep = suffix if (not converted and suffix in (".xlsx", ".xlsm")) else ".xlsx"
    return Annotated(out.getvalue(), f"{stem}_annote{keep}", converted, marked)


def _rebuild(data: bytes, kind: str) -> Workbook:
    """A new workbook with the cells of every sheet as read (hidden sheets stay hidden)."""
    from ardenne_kpi.intake.workbook import read_workbook

    book = read_workbook(data, kind)
    wb = Workbook()
    wb.remove(wb.worksheets[0])  # the one sheet a new workbook has
    for sheet in book.sheets:
        ws = wb.create_sheet(_safe_title(sheet.name))
        for r, row in enumerate(sheet.rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is None or value == "":
                    continue
                put_cell(ws, r, c, value)  # partner text never becomes a live formula
                if (r - 1, c - 1) in sheet.percent_cells:
                    ws.cell(r, c).number_format = "0.0%"
        if not sheet.visible:
            ws.sheet_state = "hidden"
    if not wb.worksheets:
        wb.create_sheet("Feuille1")
    return wb


def _safe_title(name: str) -> str:
    return sheet_title(name)


def mark(wb: Workbook, issues: list[Issue]) -> int:
    """Highlight and comment every issue's cell in `wb`; returns how many cells were marked."""
    by_cell: dict[tuple[str, str], list[Issue]] = {}
    names = {ws.title: ws for ws in wb.worksheets}
    first = next((ws for ws in wb.worksheets if ws.sheet_state == "visible"), wb.worksheets[0])
    for issue in issues:
        ws = (names.get(issue.sheet) or names.get(_safe_title(issue.sheet))) if issue.sheet else None
        cell = (issue.cell or "").replace("$", "").upper()
        if ws is None:  # a problem of the whole file
            ws, cell = first, "A1"
        elif not _CELL.match(cell):  # a problem of the whole sheet
            cell = "A1"
        by_cell.setdefault((ws.title, cell), []).append(issue)
    active = None
    for (title, ref), found in by_cell.items():
        ws = names[title]
        target = _anchor(ws, ref)
        errors = any(i.severity == ERROR for i in found)
        target.fill = ERROR_FILL if errors else WARNING_FILL
        side = _RED if errors else _ORANGE
        target.border = Border(left=side, right=side, top=side, bottom=side)
        text = "\n\n".join(_comment_line(i) for i in found)
        if target.comment is not None and target.comment.author != AUTHOR:
            text = f"{text}\n\n(commentaire d'origine) {target.comment.text}"
        lines = sum(1 + len(part) // 48 for part in text.split("\n"))
        target.comment = Comment(comment_text(text), AUTHOR, width=360, height=min(600, 24 + 16 * min(lines, 40)))
        if errors and active is None:
            active = ws
    if active is not None:
        wb.active = wb.worksheets.index(active)
        for ws in wb.worksheets:
            ws.sheet_view.tabSelected = ws is active
    return len(by_cell)


def _anchor(ws: Worksheet, ref: str) -> Cell | MergedCell:
    """The cell to mark: the top-left cell of a merged range containing `ref`."""
    col, row = coordinate_from_string(ref)
    for merged in ws.merged_cells.ranges:
        if ref in merged:
            return ws.cell(merged.min_row, merged.min_col)
    cell: Cell | MergedCell = ws[f"{col}{row}"]
    return cell


def _comment_line(issue: Issue) -> str:
    label = "ERREUR" if issue.severity == ERROR else "Avertissement"
    message = _PLACE.sub("", issue.message, count=1)
    if issue.cell and not _CELL.match(issue.cell.replace("$", "").upper()):
        message = f"({issue.cell}) {message}"
    return f"{label} : {message}"


__all__ = ["Annotated", "ReportError", "annotate", "annotate_unguarded", "mark"]
