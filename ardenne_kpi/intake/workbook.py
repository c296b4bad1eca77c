"""The cells of a workbook, as python-calamine reads them, plus what calamine cannot say.

python-calamine is about ten times faster than openpyxl, but it exposes no number formats
and returns an uncached formula as an empty cell. So, per format:

- xlsx/xlsm: the percentage styles come from `xl/styles.xml`, and the cells using them,
  like formulas without a cached value, from a byte scan of the sheet XML (only when there
  is something to find: a workbook without percentage styles or formulas costs nothing);
- xls: the formats of the number cells come from xlrd (`formatting_info=True`);
- ods: `office:value-type="percentage"` and `table:formula` from `content.xml`.

Call this only inside the guard's child process: calamine aborts the whole process on
some hostile files.
"""

from __future__ import annotations

import io
import posixpath
import re
import threading
import zipfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ardenne_kpi.core.errors import ReportError

if TYPE_CHECKING:
    from xml.etree import ElementTree

XLSX, XLS, ODS = "xlsx", "xls", "ods"


@dataclass
class Sheet:
    """One sheet: `rows` from A1 (row 0, column 0 is A1), whatever the first used cell."""

    name: str
    visible: bool
    rows: list[list[Any]] = field(default_factory=list)
    percent_cells: set[tuple[int, int]] = field(default_factory=set)
    uncached_formulas: set[tuple[int, int]] = field(default_factory=set)


@dataclass
class Workbook:
    kind: str
    sheets: list[Sheet]


def read_workbook(data: bytes, kind: str) -> Workbook:
    """Every worksheet's cells and the formats that matter. Raises ReportError in French.

    The formats are read in a thread while calamine reads the cells: calamine releases the
    GIL, so the second pass over the sheet XML costs no wall time."""
    import python_calamine as pc

    formats_done = threading.Event()
    try:
        book = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
        metas = [m for m in book.sheets_metadata if m.typ == pc.SheetTypeEnum.WorkSheet]
        sheets = [Sheet(meta.name, meta.visible == pc.SheetVisibleEnum.Visible) for meta in metas]
        formats = {XLSX: _xlsx_formats, XLS: _xls_formats, ODS: _ods_formats}[kind]
        failure: list[BaseException] = []

        def read_formats() -> None:
            try:
                formats(data, {s.name: s for s in sheets if s.visible})
            except ReportError as exc:
                failure.append(exc)
            except Exception:  # formats are a refinement: a workbook calamine read stays readable
                pass
            finally:
                formats_done.set()

        threading.Thread(target=read_formats, name="workbook-formats", daemon=True).start()
        for sheet in sheets:
            sheet.rows = book.get_sheet_by_name(sheet.name).to_python(skip_empty_area=False)
    except pc.PasswordError as exc:
        raise ReportError(_PROTECTED) from exc
    except (
        pc.CalamineError,
        pc.XmlError,
        pc.ZipError,
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        UnicodeDecodeError,
        OverflowError,
    ) as exc:
        if "password" in str(exc).lower() or "encrypt" in str(exc).lower():
            raise ReportError(_PROTECTED) from exc
        raise ReportError(
            "Le fichier n'a pas pu être lu : il est endommagé ou n'est pas un classeur Excel/LibreOffice "
            f"valide ({_short(exc)}). Ouvrez-le dans Excel ou LibreOffice, enregistrez-le en .xlsx, "
            "puis importez ce nouveau fichier."
        ) from exc
    formats_done.wait()
    if failure:
        raise failure[0]
    return Workbook(kind, sheets)


_PROTECTED = (
    "Le classeur est protégé par un mot de passe : il ne peut pas être lu. "
    "Enregistrez-en une copie sans mot de passe, puis importez cette copie."
)


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return (text[:160] + "…") if len(text) > 160 else (text or exc.__class__.__name__)


# ----------------------------------------------------------------------------- xlsx

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_CELL_REF = re.compile(rb'\br="([A-Z]{1,3})(\d{1,7})"')
_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\b([^>]*?)(?:/>|>(.*?)</(?:[A-Za-z_][\w.-]*:)?c>)", re.S)
_VALUE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?v>([^<]+)<", re.S)
_TYPE = re.compile(rb'\bt="(\w+)"')
_F_PLAIN = re.compile(rb"<f[\s>/]")
_F_PREFIXED = re.compile(rb":f[\s>/]")
_QUOTED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')


def col_index(letters: bytes | str) -> int:
    if isinstance(letters, bytes):
        letters = letters.decode()
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _is_percent_format(code: str) -> bool:
    return "%" in _QUOTED.sub("", code)


def _xml(zf: zipfile.ZipFile, name: str) -> ElementTree.Element:
    from defusedxml.ElementTree import fromstring

    return fromstring(zf.read(name))


def _xlsx_formats(data: bytes, sheets: dict[str, Sheet]) -> None:
    zf = zipfile.ZipFile(io.BytesIO(data))
    names = set(zf.namelist())
    percent_styles: set[int] = set()
    if "xl/styles.xml" in names:
        styles = _xml(zf, "xl/styles.xml")
        custom = {
            int(f.get("numFmtId", "")): f.get("formatCode") or ""
            for f in styles.iter()
            if f.tag.endswith("}numFmt") and f.get("numFmtId", "").isdigit()
        }
        for xfs in styles.iter():
            if xfs.tag.endswith("}cellXfs"):
                for i, xf in enumerate(x for x in xfs if x.tag.endswith("}xf")):
                    fmt = int(xf.get("numFmtId") or 0)
                    if fmt in (9, 10) or _is_percent_format(custom.get(fmt, "")):
                        percent_styles.add(i)
                break
    for name, part in _sheet_parts(zf, names).items():
        sheet = sheets.get(name)
        if sheet is None or part not in names:
            continue
        xml = zf.read(part)
        if percent_styles:
            alternatives = b"|".join(str(i).encode() for i in sorted(percent_styles))
            tag = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?c\b(?=[^>]*\bs="(?:' + alternatives + rb')")[^>]*>')
            for match in tag.finditer(xml):
                ref = _CELL_REF.search(match[0])
                if ref:
                    sheet.percent_cells.add((int(ref[2]) - 1, col_index(ref[1])))
        if _may_have_formulas(xml) and _FORMULA.search(xml):
            for match in _CELL.finditer(xml):
                body = match[2]
                if not body or not _FORMULA.search(body) or _VALUE.search(body):
                    continue
                kind = _TYPE.search(match[1])
                if kind and kind[1] == b"str" and re.search(rb"<(?:\w+:)?v\s*>\s*</", body):
                    continue  # a formula whose cached result is the empty string
                ref = _CELL_REF.search(match[1])
                if ref:
                    sheet.uncached_formulas.add((int(ref[2]) - 1, col_index(ref[1])))


def _may_have_formulas(xml: bytes) -> bool:
    """False when no `<f>` element can be in the sheet. Two expressions starting with a
    literal (which `re` looks for at memchr speed) instead of `_FORMULA`, which tries every
    tag: a quarter of the time on a formula-free sheet."""
    return bool(_F_PLAIN.search(xml) or _F_PREFIXED.search(xml))


def _sheet_parts(zf: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """Sheet name -> zip part of its XML, from the workbook and its relationships."""
    book_part = "xl/workbook.xml"
    rels_part = "xl/_rels/workbook.xml.rels"
    if book_part not in names or rels_part not in names:
        return {}
    rels = {r.get("Id"): r.get("Target") or "" for r in _xml(zf, rels_part).iter() if r.tag.endswith("}Relationship")}
    out: dict[str, str] = {}
    for s in _xml(zf, book_part).iter():
        if s.tag.endswith("}sheet"):
            rid = next((v for k, v in s.attrib.items() if k.endswith("}id")), None)
            target = rels.get(rid, "")
            if target:
                out[s.get("name", "")] = (
                    target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
                )
    return out


# ------------------------------------------------------------------------------ xls


def _xls_formats(data: bytes, sheets: dict[str, Sheet]) -> None:
    import xlrd

    book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True, logfile=io.StringIO())
    percent_xf = set()
    for i, xf in enumerate(book.xf_list):
        fmt = book.format_map.get(xf.format_key)
        if fmt is not None and _is_percent_format(fmt.format_str or ""):
            percent_xf.add(i)
    if not percent_xf:
        return
    for name in book.sheet_names():
        sheet = sheets.get(name)
        if sheet is None:
            continue
        xs = book.sheet_by_name(name)
        for r in range(xs.nrows):
            for c, ctype in enumerate(xs.row_types(r)):
                if ctype == xlrd.XL_CELL_NUMBER and xs.cell_xf_index(r, c) in percent_xf:
                    sheet.percent_cells.add((r, c))
        book.unload_sheet(name)


# ------------------------------------------------------------------------------ ods

_ODS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODS_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_MAX_REPEAT = 10_000


def _ods_formats(data: bytes, sheets: dict[str, Sheet]) -> None:
    from defusedxml.ElementTree import iterparse

    zf = zipfile.ZipFile(io.BytesIO(data))
    content = zf.read("content.xml")
    if b"percentage" not in content and b"table:formula" not in content:
        return
    t, o = f"{{{_ODS_TABLE}}}", f"{{{_ODS_OFFICE}}}"
    sheet: Sheet | None = None
    row = col = 0
    row_repeat = 1
    for event, el in iterparse(io.BytesIO(content), events=("start", "end")):
        tag = el.tag
        if event == "start":
            if tag == f"{t}table":
                sheet, row = sheets.get(el.get(f"{t}name")), 0
            elif tag == f"{t}table-row":
                col, row_repeat = 0, int(el.get(f"{t}number-rows-repeated") or 1)
            elif tag in (f"{t}table-cell", f"{t}covered-table-cell"):
                repeat = int(el.get(f"{t}number-columns-repeated") or 1)
                if sheet is not None:
                    vtype = el.get(f"{o}value-type")
                    if vtype == "percentage":
                        for r in range(row, row + min(row_repeat, _MAX_REPEAT)):
                            sheet.percent_cells.update((r, c) for c in range(col, col + min(repeat, _MAX_REPEAT)))
                    elif el.get(f"{t}formula") and vtype is None:
                        sheet.uncached_formulas.add((row, col))
                col += repeat
        else:
            if tag == f"{t}table-row":
                row += row_repeat
            if tag in (f"{t}table-row", f"{t}table"):
                el.clear()
