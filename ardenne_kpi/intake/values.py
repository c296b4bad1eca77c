"""Numbers as partners write them: Excel numbers, or text in the French or English format.

`read_number` never guesses silently: an ambiguous text such as `1,234` is read one way
and comes back with a note saying which, for the caller to show as a warning.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass

from ardenne_kpi.core.format import fmt_number_exact

NUMBER = "number"
EMPTY = "empty"  # not reported: skipped, never zero
MISSING = "missing"  # n.d., NA, -, /: not available, skipped with a warning
INVALID = "invalid"

# Written once the spaces and dots are removed and the text lower-cased.
NOT_AVAILABLE = frozenset({
    "nd", "n.d", "n.d.", "na", "n/a", "n.a", "n.a.", "nc", "n.c", "n.c.", "-", "--", "/", "?",
    "\u2013", "\u2014", "nondisponible", "nonrenseigne", "nonrenseigné", "sansobjet", "so", "s.o", "s.o.",
})  # fmt: skip

_SPACES = dict.fromkeys(map(ord, "\u00a0\u202f\u2009\u2007\u2008\u200a\u2002\u2003\t"), " ")
_SPACES.update({ord("\u2212"): "-", ord("\u2012"): "-", ord("\u2013"): "-", ord("\u2019"): "'"})
_GROUPED = re.compile(r"\d{1,3}(?:[ '](?:\d{3}))+(?:[.,]\d+)?")
_PLAIN = re.compile(r"\d+")
_ONE_SEPARATOR = re.compile(r"(\d*)([.,])(\d+)")
_FRENCH = re.compile(r"\d{1,3}(?:\.\d{3})+,\d+|\d{1,3}(?:\.\d{3}){2,}")
_ENGLISH = re.compile(r"\d{1,3}(?:,\d{3})+\.\d+|\d{1,3}(?:,\d{3}){2,}")
_EXCEL_ERROR = re.compile(r"#(?:DIV/0!|N/A|NAME\?|NULL!|NUM!|REF!|VALUE!|GETTING_DATA|SPILL!|CALC!)", re.I)


@dataclass(frozen=True, slots=True)
class Reading:
    """What a cell holds: `kind` is NUMBER, EMPTY, MISSING or INVALID. `note` is the
    warning to give with a NUMBER (how it was read), or the French problem of an INVALID
    (without the place, which the caller adds)."""

    kind: str
    value: float | None = None
    note: str = ""


_EMPTY = Reading(EMPTY)


fr = fmt_number_exact  # a number as a French reader writes it, 1 234,5: the project's one formatter


def read_number(
    raw: object, *, percent_indicator: bool = False, percent_format: bool = False, count: bool = False
) -> Reading:
    """Read one cell as a number.

    - `percent_indicator`: the indicator's unit is %, so 12.5 means 12.5 % and a cell
      formatted as a percentage holding 0.125 means 12.5 too;
    - `percent_format`: the cell is formatted as a percentage in the workbook;
    - `count`: the indicator counts things, so an ambiguous `1,234` or `1.234` is read
      with a thousands separator (1234); otherwise with a decimal mark (1.234).
    """
    kind = type(raw)
    if kind is float or kind is int:  # exactly these (the fast path): mypy narrows only on isinstance
        return _from_number(float(raw), percent_indicator, percent_format)  # type: ignore[arg-type]
    if raw is None:
        return _EMPTY
    if kind is bool:
        return Reading(INVALID, note=f"« {'VRAI' if raw else 'FAUX'} » n'est pas un nombre. Saisissez un nombre.")
    if isinstance(raw, (dt.date, dt.time, dt.timedelta)):
        return Reading(
            INVALID,
            note=f"la cellule contient une date ou une durée ({raw}), pas un nombre. "
            "Saisissez le nombre et mettez la cellule au format Nombre.",
        )
    if isinstance(raw, (int, float)):  # numpy and other number types
        return _from_number(float(raw), percent_indicator, percent_format)
    return _from_text(str(raw), percent_indicator, count)


def _from_number(value: float, percent_indicator: bool, percent_format: bool) -> Reading:
    if value != value or value in (float("inf"), float("-inf")):
        return Reading(INVALID, note="la cellule ne contient pas un nombre fini. Saisissez un nombre.")
    if percent_format:
        if percent_indicator:
            return Reading(NUMBER, round(value * 100, 10))
        return Reading(
            NUMBER,
            value,
            f"la cellule est au format pourcentage ({fr(value * 100)} %) mais "
            f"l'indicateur n'est pas en % : lu comme {fr(value)}. "
            "Mettez la cellule au format Nombre si ce n'est pas ce que vous vouliez.",
        )
    if percent_indicator and 0 < abs(value) < 1:
        return Reading(
            NUMBER,
            value,
            f"lu comme {fr(value)} %. Si vous vouliez {fr(value * 100)} %, "
            f"saisissez {fr(value * 100)} ou mettez la cellule au format Pourcentage.",
        )
    return Reading(NUMBER, value)


def _from_text(raw: str, percent_indicator: bool, count: bool) -> Reading:
    text = raw.translate(_SPACES).strip()
    if not text:
        return _EMPTY
    if text.replace(" ", "").replace(".", "").lower() in NOT_AVAILABLE or text.lower() in NOT_AVAILABLE:
        return Reading(MISSING, note=f"« {raw.strip()} » : valeur non disponible, ignorée.")
    if _EXCEL_ERROR.fullmatch(text):
        return Reading(
            INVALID, note=f"la formule renvoie l'erreur {text.upper()}. Corrigez la formule ou saisissez la valeur."
        )
    body = text
    percent = body.endswith("%")
    if percent:
        body = body[:-1].rstrip()
    sign = 1.0
    if body[:1] in "+-":
        sign = -1.0 if body[0] == "-" else 1.0
        body = body[1:].lstrip()
    value, note = _parse_body(body, count and not percent)
    if value is None:
        hint = (
            "Saisissez le nombre seul ; l'unité est déjà définie par l'indicateur."
            if re.search(r"[^\W\d_]", body)
            else "Saisissez un nombre, par exemple 1234,5."
        )
        return Reading(INVALID, note=f"« {raw.strip()} » n'est pas un nombre. {hint}")
    value *= sign
    if percent and not percent_indicator:
        return Reading(
            INVALID,
            note=f"« {raw.strip()} » est un pourcentage, mais l'indicateur n'est pas en %. "
            "Saisissez la valeur dans l'unité de l'indicateur, sans « % ».",
        )
    if note:
        note = f"« {raw.strip()} » est ambigu : {note}"
    return Reading(NUMBER, value, note)


def _parse_body(body: str, count: bool) -> tuple[float | None, str]:
    """(value, note) for unsigned number text; value None when it is not a number."""
    if _PLAIN.fullmatch(body):
        return float(body), ""
    if _GROUPED.fullmatch(body):
        return float(body.replace(" ", "").replace("'", "").replace(",", ".")), ""
    if " " in body or "'" in body:
        return None, ""
    match = _ONE_SEPARATOR.fullmatch(body)
    if match:
        whole, mark, fraction = match.groups()
        if len(fraction) == 3 and 1 <= len(whole) <= 3 and whole != "0":
            if count:
                value = float(whole + fraction)
                return value, (
                    f"lu comme {fr(value)} (« {mark} » séparateur de milliers, l'indicateur "
                    f"compte des unités). Si vous vouliez {whole},{fraction}, écrivez-le ainsi "
                    "dans une cellule au format Nombre."
                )
            value = float(f"{whole}.{fraction}")
            return value, (
                f"lu comme {fr(value)} (« {mark} » marque décimale). Si vous vouliez "
                f"{whole}{fraction}, écrivez {whole}{fraction} sans séparateur."
            )
        return float(f"{whole or '0'}.{fraction}"), ""
    if _FRENCH.fullmatch(body):
        return float(body.replace(".", "").replace(",", ".")), ""
    if _ENGLISH.fullmatch(body):
        return float(body.replace(",", "")), ""
    return None, ""


def is_blank(raw: object) -> bool:
    """True for an empty cell (calamine gives '' for those) or a text of spaces only."""
    if raw == "" or raw is None:
        return True
    return type(raw) is str and not text_of(raw)


@functools.lru_cache(maxsize=1 << 16, typed=True)
def _text_of_cached(raw: object) -> str:
    if type(raw) is float and raw.is_integer():
        return str(int(raw))
    if type(raw) is str:
        return " ".join(raw.translate(_SPACES).split())
    return "" if raw is None else str(raw).strip()


def text_of(raw: object) -> str:
    """A cell as trimmed text, with integral floats written without `.0` (codes typed as numbers)."""
    if raw == "" or raw is None:
        return ""
    try:
        return _text_of_cached(raw)
    except TypeError:  # unhashable
        return _text_of_uncached(raw)


def _text_of_uncached(raw: object) -> str:
    if type(raw) is float and raw.is_integer():
        return str(int(raw))
    if type(raw) is str:
        return " ".join(raw.translate(_SPACES).split())
    return "" if raw is None else str(raw).strip()


@functools.lru_cache(maxsize=1 << 16)
def normalise(text: str) -> str:
    """Lower-case, accent-free, punctuation-free, single-spaced: for matching headers and labels."""
    text = unicodedata.normalize("NFKD", text.translate(_SPACES))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[^\w%]+", " ", text.replace("_", " "))
    return " ".join(text.split())
