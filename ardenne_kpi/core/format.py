"""French display formats, for pages and exports alike: 1 234,5 · 42 % · 31/03/2022."""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is loaded where a frame is written: reading a report formats numbers without it
    import pandas as pd

NBSP = "\u00a0"


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_number(value: float | int | None, decimals: int = 0) -> str:
    """French number format: 1 234,5 (non-breaking space for thousands, comma for decimals)."""
    if _missing(value):
        return "–"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", NBSP).replace(".", ",")


def fmt_number_exact(value: float) -> str:
    """A number with the decimals it has (6 at most), French: 1 234,5 (what a message quotes
    of a partner's cell)."""
    text = f"{value:,.6f}".rstrip("0").rstrip(".")
    return text.replace(",", NBSP).replace(".", ",")


def fmt_percent(share: float | None, decimals: int = 0) -> str:
    """A share (0.42) as a French percentage: 42 %."""
    if share is None or _missing(share):
        return "–"
    return f"{fmt_number(share * 100, decimals)}{NBSP}%"


# A rate (a percentage) is held with one decimal in every table and export: 42,6 %.
RATE_DECIMALS = 1


def percent_value(share: float | None) -> float | None:
    """A share (0.4256) as the percentage a table or an export holds: 42.6 (RATE_DECIMALS);
    None for a missing one."""
    if share is None or _missing(share):
        return None
    return round(100 * float(share), RATE_DECIMALS)


def rate(part: float, whole: float) -> float:
    """`part` out of `whole` as a percentage with RATE_DECIMALS: 312 rooms sold of 400, 78.0."""
    return round(100 * part / whole, RATE_DECIMALS)


def fmt_date(value: dt.date | None) -> str:
    """31/03/2022, or a dash when there is no date."""
    if value is None or (hasattr(value, "year") is False) or _missing(value):
        return "–"
    try:
        return value.strftime("%d/%m/%Y")
    except ValueError:  # NaT
        return "–"


# ------------------------------------------------------------------ names in French sentences

ARTICLES = ("", "le", "la", "l'", "les")
_VOWELS = "aeiouyàâäéèêëîïôöùûüœæ"
# Words whose h is mute (« d'Hébergement ») among names a partner may carry; others keep « de ».
_MUTE_H = (
    "hab",
    "héb",
    "heb",
    "hér",
    "her",
    "hist",
    "hiv",
    "hom",
    "hon",
    "hôp",
    "hop",
    "hor",
    "hospi",
    "hôt",
    "hot",
    "hum",
    "hydr",
    "hyg",
)


def of_name(name: str, article: str = "") -> str:
    """« de » before a name, as French says it: « de la Fédération… » (article « la »), « du
    Parc… » (« le »), « des Gîtes… » (« les »), « de l'Agence… » (« l' »); without an
    article « d'Accueil Champêtre » before a vowel or a mute h, else « de Ressources… »."""
    article = article.strip().lower().replace("’", "'")
    if article == "le":
        return f"du {name}"
    if article == "les":
        return f"des {name}"
    if article == "la":
        return f"de la {name}"
    if article == "l'":
        return f"de l'{name}"
    first = name.lstrip()[:1].lower()
    if first and (first in _VOWELS or name.lstrip().lower().startswith(_MUTE_H)):
        return f"d'{name}"
    return f"de {name}"


# ------------------------------------------------------------------ text in exports
# Every text the project writes into a workbook, a CSV or a PDF comes through here: partner
# text (file, sheet and user names, comments, labels) must never run as a formula, never
# break a file format with a control character, and never overflow a cell or a page.

# Text a spreadsheet would run as a formula: partner text must never become one in an export.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What XML 1.0 (so .xlsx) cannot hold, and what no reader should see: C0 controls but tab,
# line feed and carriage return; DEL; and the UTF-16 surrogates a broken decoder leaves.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
# OOXML writes a control character as _x001B_: a literal one must be escaped, or Excel and
# calamine read the character back.
_OOXML_ESCAPE = re.compile("_(x[0-9A-Fa-f]{4}_)")
# A signed number written as text ("-5", "+1,5e3"): a spreadsheet reads a number, never a formula.
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")
MAX_CELL_CHARS = 32_767  # Excel's limit for one cell


def clean_text(text: str, limit: int | None = None) -> str:
    """`text` without control characters (tab and line breaks kept), cut to `limit`
    characters with an ellipsis."""
    text = _CONTROL.sub("", text)
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 1, 0)] + "…"
    return text


def safe_text(value: object) -> object:
    """Text for a CSV cell: no control characters, and a leading apostrophe when a spreadsheet
    would read it as a formula. Other values unchanged."""
    if not isinstance(value, str):
        return value
    # a lone CR is a line break to Excel but not to a CSV writer ending lines with LF: the
    # rest of the field would start a row of its own, unquoted
    value = clean_text(value).replace("\r\n", "\n").replace("\r", "\n")
    return "'" + value if formula_like(value) else value


def formula_like(text: str) -> bool:
    """Whether a spreadsheet could take `text` for a formula: it starts (maybe after blanks)
    with = + - @, or with a tab or CR; a plain signed number ("-5") is not."""
    if text.startswith(("\t", "\r")):
        return True
    stripped = text.lstrip(" \t\r\n")
    return stripped.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(stripped.rstrip())


def cell_text(value: str) -> str:
    """Text for an .xlsx cell: no control characters, OOXML escapes kept literal, within
    Excel's 32 767 characters."""
    text = _OOXML_ESCAPE.sub(r"_x005F_\1", clean_text(value))
    return text if len(text) <= MAX_CELL_CHARS else text[: MAX_CELL_CHARS - 1] + "…"


def put_cell(ws: Any, row: int, col: int, value: Any, **style: Any) -> Any:
    """Write one value into an openpyxl sheet, the one way every workbook of the project does:
    text is always a string cell (never a formula, `quotePrefix` so Excel keeps it text when
    edited), cleaned by `cell_text`; NaN is empty; pandas and numpy scalars become Python
    ones. `style`: cell attributes (font, fill, number_format...). Returns the cell."""
    import pandas as pd

    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        value = None
    elif isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    elif hasattr(value, "item") and not isinstance(value, str):  # numpy scalar
        value = value.item()
    elif isinstance(value, (list, tuple, set, dict)):
        value = str(value)
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        text = cell_text(value)
        cell.value = text
        cell.data_type = "s"  # openpyxl would otherwise store "=..." as a formula
        if formula_like(text):
            cell.quotePrefix = True
    else:
        cell.value = value
    for name, v in style.items():
        setattr(cell, name, v)
    return cell


def put_row(ws: Any, values: Any, **style: Any) -> list[Any]:
    """`put_cell` for a whole row appended below the last one (the safe `ws.append`)."""
    row = ws.max_row + 1 if ws.max_row > 1 or ws.cell(1, 1).value is not None else 1
    return [put_cell(ws, row, col, value, **style) for col, value in enumerate(values, start=1)]


def frame_to_sheet(ws: Any, frame: pd.DataFrame, **header_style: Any) -> None:
    """A DataFrame into a sheet: headers in row 1 (with `header_style`), then every row."""
    for col, name in enumerate(frame.columns, start=1):
        put_cell(ws, 1, col, str(name), **header_style)
    for r, values in enumerate(frame.astype(object).to_numpy().tolist(), start=2):
        for col, value in enumerate(values, start=1):
            put_cell(ws, r, col, value)


def sheet_title(name: str) -> str:
    """A valid worksheet title from any text: no []:*?/\\ nor control characters, 31 at most."""
    title = re.sub(r"[\[\]:*?/\\]", "_", clean_text(name)).strip("'").strip() or "Feuille"
    return title[:31]


def comment_text(text: str, limit: int = 2_000) -> str:
    """Text for a cell comment: cleaned, and short enough for a comment box."""
    return _OOXML_ESCAPE.sub(r"_x005F_\1", clean_text(text, limit))


def pdf_text(value: object, limit: int = 2_000) -> str:
    """Text for the PDF: control characters removed and cut to `limit` characters (a table
    row must fit on a page; fpdf2 breaks a word longer than a line by itself)."""
    text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
    return clean_text(text, limit)


# ------------------------------------------------------------------ text on screen
# Partner and framework text (file, sheet, operator and user names, comments, labels, units)
# shown on a page, in a chart or in a terminal stays text: never read as Markdown, HTML, a
# Plotly template or a terminal control sequence. Pages wrap it in `md`, charts and HTML in
# `html_text`, and the command line writes everything through `terminal_text`.

# The punctuation Markdown or Streamlit reads (CommonMark lets any of it be backslash-escaped):
# escaping it undoes links, images, emphasis, HTML and entities, lists and headings, tables,
# autolinks (« www\.x\.fr »), Streamlit's LaTeX ($), colour directives (:red[…]) and icon
# shortcodes (:material/…:). Apostrophes, quotes, commas stay as written.
_MARKDOWN_SPECIAL = re.compile(r"[\\`*_{}\[\]()#+\-.!|<>~$:/&@=^]")
_LINE_BREAK = re.compile(r"\r\n|[\r\n\t\v\f\x85\u2028\u2029]")


def _as_text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def md(value: object) -> str:
    """`value` as literal text inside Streamlit Markdown (st.markdown, captions, messages,
    widget labels, toasts), on one line: Markdown's punctuation escaped, control characters
    removed, line breaks as spaces."""
    text = _LINE_BREAK.sub(" ", clean_text(_as_text(value)))
    return _MARKDOWN_SPECIAL.sub(r"\\\g<0>", text)


def md_lines(value: object) -> str:
    """`md` for a text of several lines (a comment, an analysis): its line breaks kept, each
    line literal."""
    lines = clean_text(_as_text(value)).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "  \n".join(md(line.strip(" \t")) for line in lines)


def html_text(value: object, *, quote: bool = False) -> str:
    """`value` as literal text in HTML, or in Plotly titles, labels and hovers (which read a
    few tags, `<a href>` among them, and `%{…}` in templates): control characters removed,
    `& < >` and braces as entities, and quotes too with `quote` (inside an attribute)."""
    text = html.escape(clean_text(_as_text(value)), quote=quote)
    return text.replace("{", "&#123;").replace("}", "&#125;")


# What a terminal must not receive raw: C0 controls (ESC starts colour and cursor sequences,
# CR rewrites the line), DEL, C1 controls (U+009B is a one-byte CSI), and the line and
# paragraph separators some terminals break on.
_TERMINAL_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_TERMINAL_CONTROL_INLINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _terminal_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_text(value: object, *, inline: bool = False) -> str:
    """`value` as a terminal may print it: control characters written as `\\x1b`, `\\u2028`...;
    line feeds kept (the command's own lines) unless `inline` (a partner's name or cell
    inside one line, which must never start a line of its own)."""
    pattern = _TERMINAL_CONTROL_INLINE if inline else _TERMINAL_CONTROL
    return pattern.sub(_terminal_escape, _as_text(value))


def _safe_frame(table: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    table = table.copy()
    for name in table.columns:  # every column: pandas 3 keeps text in "str" columns, not "object"
        if not pd.api.types.is_numeric_dtype(table[name]):
            table[name] = table[name].map(_cached(safe_text))
    return table


def _cached(convert: Callable[[object], object]) -> Callable[[object], object]:
    """`convert` asked once per distinct text of a column (codes, labels and statuses repeat
    on every row), other values passed to it as they come."""
    seen: dict[str, object] = {}

    def once(value: object) -> object:
        if not isinstance(value, str):
            return convert(value)
        if value not in seen:
            seen[value] = convert(value)
        return seen[value]

    return once


def csv_excel_fr(table: pd.DataFrame) -> bytes:
    """CSV as French Excel opens it: `;` separator, decimal comma, UTF-8 with BOM; formula-safe."""
    return _safe_frame(table).to_csv(index=False, sep=";", decimal=",", date_format="%d/%m/%Y").encode("utf-8-sig")


def csv_script(table: pd.DataFrame) -> bytes:
    """CSV for scripts: comma, UTF-8, dot decimals, ISO dates, `\\n` line ends; formula-safe."""
    return _safe_frame(table).to_csv(index=False, date_format="%Y-%m-%d", lineterminator="\n").encode("utf-8")
