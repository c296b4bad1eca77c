"""Periods read from text: what partners write (`parse_period`: « Semestre 5 », « T3 2019 »,
an Excel date...), the canonical codes the database stores (`period_from_code`) and their
French labels (`label_of`).

Ambiguity, decided once: "S5" or "Semestre 5" alone is a programme semester (S05);
"S1 2019" or "2019-S1" (with a year) is a calendar semester. "S05 2019" is refused as
ambiguous.
"""

from __future__ import annotations

import numbers
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime

from ardenne_kpi.core.errors import PeriodError
from ardenne_kpi.core.periods.model import (
    Calendar,
    Grain,
    Period,
    _containing_calendar,
    _dmy,
    _Invalid,
    _month,
    _quarter,
    _semester,
    _year,
)

_EXAMPLES_FR = "Écrivez par exemple 2019-S1, T3 2019, S05, juillet 2019 ou 01/10/2018 - 31/03/2019."

_CALENDAR_GRAINS = (Grain.MONTH, Grain.QUARTER, Grain.CALENDAR_SEMESTER, Grain.CALENDAR_YEAR)

_SEP = r"\s*[-/]?\s*"
_YEAR = r"([1-9]\d{3})"
_DAY = r"(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{4}|\d{4}-\d{1,2}-\d{1,2})"
_ORDINAL = (
    r"(\d\s*(?:ere|er|re|ieme|eme|nde|nd|e)?"
    r"|premiere|premier|deuxieme|seconde|second|troisieme|quatrieme)"
)
_SEMESTRE = r"sem(?:estre)?\.?"
_TRIMESTRE = r"trim(?:estre)?\.?"
_OF = r"\s*(?:de\s+|d')?"

_ORDINAL_WORDS = {
    "premier": 1, "premiere": 1, "deuxieme": 2, "second": 2, "seconde": 2,
    "troisieme": 3, "quatrieme": 4,
}  # fmt: skip

# Accent-free, lower-case spellings, French and English, with the usual abbreviations.
_MONTH_NAMES = {
    "janvier": 1, "janv": 1, "jan": 1, "january": 1,
    "fevrier": 2, "fevr": 2, "fev": 2, "february": 2, "feb": 2,
    "mars": 3, "mar": 3, "march": 3,
    "avril": 4, "avr": 4, "april": 4, "apr": 4,
    "mai": 5, "may": 5,
    "juin": 6, "june": 6, "jun": 6,
    "juillet": 7, "juil": 7, "july": 7, "jul": 7,
    "aout": 8, "august": 8, "aug": 8,
    "septembre": 9, "sept": 9, "sep": 9, "september": 9,
    "octobre": 10, "oct": 10, "october": 10,
    "novembre": 11, "nov": 11, "november": 11,
    "decembre": 12, "dec": 12, "december": 12,
}  # fmt: skip
_MONTH_ALTERNATION = "|".join(sorted(_MONTH_NAMES, key=len, reverse=True))

_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"})

_Builder = Callable[[re.Match[str], Calendar], Period]


def parse_period(value: object, calendar: Calendar) -> Period:
    """The canonical period for whatever a partner wrote: text, year number, Excel date, or a Period.

    Does not check that the period lies inside the programme: callers compare with
    `calendar.start` / `calendar.end`, since partners may report earlier baselines.
    """
    if isinstance(value, Period):
        return value
    if isinstance(value, datetime):
        return _containing_calendar(value.date(), Grain.MONTH)
    if isinstance(value, date):
        return _containing_calendar(value, Grain.MONTH)
    if isinstance(value, bool) or value is None:
        raise _unreadable(value)
    # numbers.* rather than int/float so that numpy scalars from pandas cells are accepted.
    if isinstance(value, numbers.Real):
        number = float(value)
        if 1000 <= number <= 9999 and number == int(number):
            return _year(int(number))
        raise _unreadable(None if value != value else value)  # NaN is pandas' empty cell
    if not isinstance(value, str):
        raise _unreadable(value)
    text = _normalise(value)
    for pattern, build in _PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            try:
                return build(match, calendar)
            except _Invalid as reason:
                raise PeriodError(f"« {value.strip()} » : {reason}.") from None
    raise _unreadable(value)


def label_of(code: object, calendar: Calendar) -> str:
    """The French label of a stored period code (« 2019-Q3 » → « T3 2019 »), for people;
    the code itself when it cannot be read, « – » when there is none. Codes stay in CSVs."""
    if not isinstance(code, str) or not code:
        return "–"
    try:
        return period_from_code(code, calendar).label_fr
    except (PeriodError, ValueError):
        return code


def period_from_code(code: str, calendar: Calendar) -> Period:
    """The period for a canonical code as stored in the database ("2019-Q3", "S05", ...).

    Strict: only the exact canonical spellings. A range code that matches a named period
    comes back as that period, so `period_from_code(p.code) == p` for every period.
    """
    match = _CANONICAL.fullmatch(code) if isinstance(code, str) else None
    if match is None:
        raise PeriodError(
            f"« {code} » n'est pas un code de période canonique (2019, 2019-S1, 2019-Q3, 2019-07, S05, 2018/2019)."
        )
    try:
        if match["year"]:
            return _year(int(match["year"]))
        if match["sem_year"]:
            return _semester(int(match["sem_year"]), int(match["sem"]))
        if match["q_year"]:
            return _quarter(int(match["q_year"]), int(match["q"]))
        if match["m_year"]:
            return _month(int(match["m_year"]), int(match["m"]))
        if match["programme"]:
            return calendar.semester(match["programme"])
        if match["py_start"]:
            return calendar.programme_year(code)
        return _range(date.fromisoformat(match["start"]), date.fromisoformat(match["end"]), calendar)
    except ValueError as error:
        raise PeriodError(f"« {code} » n'est pas un code de période valide.") from error


_CANONICAL = re.compile(
    r"(?P<year>\d{4})"
    r"|(?P<sem_year>\d{4})-S(?P<sem>[12])"
    r"|(?P<q_year>\d{4})-Q(?P<q>[1-4])"
    r"|(?P<m_year>\d{4})-(?P<m>0[1-9]|1[0-2])"
    r"|(?P<programme>S\d{2,3})"
    r"|(?P<py_start>\d{4})/(?P<py_end>\d{4})"
    r"|(?P<start>\d{4}-\d{2}-\d{2})\.\.(?P<end>\d{4}-\d{2}-\d{2})"
)


def _normalise(text: str) -> str:
    # NFKD also turns NBSP into a space and "2ᵉ" / "1ᵉʳ" into "2e" / "1er".
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.translate(_DASHES).lower().split())


def _unreadable(value: object) -> PeriodError:
    shown = "" if value is None else str(value).strip()
    if not shown:
        return PeriodError(f"La période est vide. {_EXAMPLES_FR}")
    return PeriodError(f"« {shown} » n'est pas une période reconnue. {_EXAMPLES_FR}")


def _ordinal(text: str) -> int:
    digits = re.match(r"\d+", text)
    return int(digits[0]) if digits else _ORDINAL_WORDS[text.strip()]


def _build_range(match: re.Match[str], calendar: Calendar) -> Period:
    return _range(_parse_day(match[1]), _parse_day(match[2]), calendar)


def _build_day(match: re.Match[str], calendar: Calendar) -> Period:
    return _containing_calendar(_parse_day(match[1]), Grain.MONTH)


def _build_ambiguous(match: re.Match[str], calendar: Calendar) -> Period:
    raise _Invalid(
        "ambigu. Écrivez 2019-S1 ou 2019-S2 pour un semestre civil, ou S05 seul pour un semestre du programme"
    )


def _build_programme_year(match: re.Match[str], calendar: Calendar) -> Period:
    first, last = (int(g) for g in match.groups() if g)
    if last != first + 1:
        raise _Invalid("une année du programme va d'octobre à septembre de l'année suivante (2018/2019)")
    try:
        return calendar.programme_year(f"{first}/{last}")
    except PeriodError as error:
        raise _Invalid(error.message) from None


def _build_programme(match: re.Match[str], calendar: Calendar) -> Period:
    return calendar.semester(f"S{int(match[1]):02d}")


def _year_first(make: Callable[[int, int], Period]) -> _Builder:
    return lambda match, calendar: make(int(match[1]), _ordinal(match[2]))


def _year_last(make: Callable[[int, int], Period]) -> _Builder:
    return lambda match, calendar: make(int(match[2]), _ordinal(match[1]))


def _month_name_builder(match: re.Match[str], calendar: Calendar) -> Period:
    return _month(int(match[2]), _MONTH_NAMES[match[1]])


# Order matters: ranges before single days, calendar semesters before programme semesters.
_PATTERNS: tuple[tuple[re.Pattern[str], _Builder], ...] = (
    (re.compile(rf"(?:du|de)?\s*({_DAY})\s*(?:-|au|a|\.\.|to)\s*({_DAY})"), _build_range),
    (re.compile(rf"({_DAY})(?:[ t]\d{{1,2}}:\d{{2}}(?::\d{{2}})?)?"), _build_day),
    (re.compile(rf"(?:annee\s+)?{_YEAR}(?:\.0+)?"), lambda m, c: _year(int(m[1]))),
    (re.compile(rf"(?:(?:annee\s+du\s+programme\s+){_YEAR}\s*[-/]\s*|{_YEAR}/){_YEAR}"), _build_programme_year),
    (re.compile(rf"{_YEAR}{_SEP}[sh]([12])"), _year_first(_semester)),
    (re.compile(rf"[sh]([12]){_SEP}{_YEAR}"), _year_last(_semester)),
    (re.compile(rf"{_ORDINAL}\s*{_SEMESTRE}{_OF}{_YEAR}"), _year_last(_semester)),
    (re.compile(rf"{_SEMESTRE}\s*([12]){_SEP}{_YEAR}"), _year_last(_semester)),
    (re.compile(rf"(?:s\s*\d+{_SEP}{_YEAR}|{_YEAR}{_SEP}s\s*\d+)"), _build_ambiguous),
    (re.compile(rf"{_YEAR}{_SEP}[qt](\d)"), _year_first(_quarter)),
    (re.compile(rf"[qt](\d){_SEP}{_YEAR}"), _year_last(_quarter)),
    (re.compile(rf"{_ORDINAL}\s*{_TRIMESTRE}{_OF}{_YEAR}"), _year_last(_quarter)),
    (re.compile(rf"{_TRIMESTRE}\s*(\d){_SEP}{_YEAR}"), _year_last(_quarter)),
    (re.compile(rf"{_YEAR}[-/](\d{{1,2}})"), _year_first(_month)),
    (re.compile(rf"(\d{{1,2}})[/.-]{_YEAR}"), _year_last(_month)),
    (re.compile(rf"({_MONTH_ALTERNATION})\.?{_SEP}(?:de\s+)?{_YEAR}"), _month_name_builder),
    (re.compile(r"(?:s|sem(?:estre)?\.?)\s*(\d{1,3})"), _build_programme),
)


def _range(start: date, end: date, calendar: Calendar) -> Period:
    """A named period when the range matches one exactly (programme semester first), else a range."""
    if start > end:
        raise PeriodError(f"Plage de dates : le début ({_dmy(start)}) est après la fin ({_dmy(end)}).")
    for semester in calendar.semesters:
        if semester.start == start and semester.end == end:
            return semester
    for grain in _CALENDAR_GRAINS:
        candidate = _containing_calendar(start, grain)
        if candidate.start == start and candidate.end == end:
            return candidate
    return Period(f"{start.isoformat()}..{end.isoformat()}", Grain.RANGE, start, end)


def _parse_day(text: str) -> date:
    parts = [int(p) for p in re.split(r"[/.-]", text)]
    year, month, day = parts if re.match(r"\d{4}-", text) else parts[::-1]
    try:
        return date(year, month, day)
    except ValueError as error:
        raise _Invalid(f"« {text} » n'est pas une date valide (jour/mois/année)") from error
