"""Periods of the programme: parsing what partners write, programme calendars, roll-ups.

A period is a date range with a grain. Calendar grains (month, quarter, semester, year)
follow the civil calendar; programme semesters follow the Interreg reporting calendar,
which is offset (October–March, April–September) and numbered from the programme start.
A programme semester therefore never rolls up into a calendar semester or year: the
functions here return None or raise rather than split a value.

Ambiguity, decided once: "S5" or "Semestre 5" alone is a programme semester (S05);
"S1 2019" or "2019-S1" (with a year) is a calendar semester. "S05 2019" is refused as
ambiguous.
"""

from __future__ import annotations

import functools
import numbers
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ardenne_kpi.core.errors import PeriodError
from ardenne_kpi.core.vocabulary import Term


class Grain(Term):
    """A period's length and calendar; the code is what is stored and put in addresses.

    The calendar grains follow the civil calendar: `semester` is a CALENDAR semester
    (January–June, July–December). The programme grains follow the Interreg reporting calendar
    (October–March, April–September, numbered from the programme's start): a programme semester
    never makes a calendar semester or year. A framework's frequency `S` is a programme semester.
    """

    __extras__ = ("plural",)
    plural: str

    # In the order periods of the same dates sort.
    MONTH = "month", "Mois", "mois"
    QUARTER = "quarter", "Trimestre", "trimestres"
    CALENDAR_SEMESTER = "semester", "Semestre civil", "semestres civils"
    PROGRAMME_SEMESTER = "programme-semester", "Semestre du programme (Interreg)", "semestres du programme"
    PROGRAMME_YEAR = "programme-year", "Année du programme (oct.–sept.)", "années du programme"
    CALENDAR_YEAR = "year", "Année civile", "années"
    RANGE = "range", "Plage de dates", "plages de dates"


class Frequency(Term):
    """How often a framework's indicator is reported (its `frequency` code), and at which grain."""

    __extras__ = ("grain",)
    grain: Grain

    MONTHLY = "M", "mensuelle", Grain.MONTH
    QUARTERLY = "Q", "trimestrielle", Grain.QUARTER
    PROGRAMME_SEMESTERLY = "S", "semestrielle (programme)", Grain.PROGRAMME_SEMESTER
    YEARLY = "Y", "annuelle", Grain.CALENDAR_YEAR
    BIENNIAL = "B", "bisannuelle", Grain.CALENDAR_YEAR  # a value every other calendar year


GRAINS = Grain.codes()
_CALENDAR_GRAINS = (Grain.MONTH, Grain.QUARTER, Grain.CALENDAR_SEMESTER, Grain.CALENDAR_YEAR)

_MONTHS_FR = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
_MONTHS_FR_SHORT = (
    "janv.", "févr.", "mars", "avr.", "mai", "juin",
    "juil.", "août", "sept.", "oct.", "nov.", "déc.",
)  # fmt: skip

_EXAMPLES_FR = "Écrivez par exemple 2019-S1, T3 2019, S05, juillet 2019 ou 01/10/2018 - 31/03/2019."


@functools.total_ordering
@dataclass(frozen=True)
class Period:
    """A date range with a grain; `code` is canonical and round-trips through `period_from_code`."""

    code: str
    grain: str
    start: date
    end: date

    def __post_init__(self) -> None:
        # Excel cells arrive as datetimes, and datetime < date raises TypeError.
        for name in ("start", "end"):
            value = getattr(self, name)
            if isinstance(value, datetime):
                object.__setattr__(self, name, value.date())
        _check_grain(self.grain)
        if self.start > self.end:
            raise PeriodError(
                f"Période {self.code} : le début ({_dmy(self.start)}) est après la fin ({_dmy(self.end)})."
            )

    @property
    def sort_key(self) -> tuple[date, date, int, str]:
        """(start, end), then grain and code so that sorting is total and stable."""
        return (self.start, self.end, GRAINS.index(self.grain), self.code)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self.sort_key < other.sort_key

    @property
    def label_fr(self) -> str:
        """The French display text: "T3 2019", "1er semestre 2019", "S05 (oct. 2018 – mars 2019)"..."""
        if self.grain == Grain.CALENDAR_YEAR:
            return str(self.start.year)
        if self.grain == Grain.CALENDAR_SEMESTER:
            half = "1er" if self.start.month == 1 else "2e"
            return f"{half} semestre {self.start.year}"
        if self.grain == Grain.QUARTER:
            return f"T{(self.start.month - 1) // 3 + 1} {self.start.year}"
        if self.grain == Grain.MONTH:
            return f"{_MONTHS_FR[self.start.month - 1]} {self.start.year}"
        if self.grain == Grain.PROGRAMME_SEMESTER:
            return f"{self.code} ({_month_short(self.start)} – {_month_short(self.end)})"
        if self.grain == Grain.PROGRAMME_YEAR:
            return f"Année du programme {self.start.year}-{self.end.year}"
        return f"{_dmy(self.start)} – {_dmy(self.end)}"

    def contains(self, other: Period) -> bool:
        """True when `other` lies wholly inside this period."""
        return self.start <= other.start and other.end <= self.end

    def overlaps(self, other: Period) -> bool:
        """True when the two periods share at least one day."""
        return self.start <= other.end and other.start <= self.end


@dataclass(frozen=True)
class Calendar:
    """The programme's reporting semesters, in time order, without overlaps."""

    semesters: tuple[Period, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "semesters", tuple(self.semesters))
        if not self.semesters:
            raise PeriodError("Le calendrier du programme ne contient aucun semestre.")
        codes: set[str] = set()
        previous: Period | None = None
        for semester in self.semesters:
            if semester.grain != Grain.PROGRAMME_SEMESTER:
                raise PeriodError(f"{semester.code} n'est pas un semestre du programme.")
            if semester.code in codes:
                raise PeriodError(f"Le semestre {semester.code} figure deux fois dans le calendrier.")
            codes.add(semester.code)
            if previous is not None and semester.start <= previous.end:
                raise PeriodError(
                    f"Les semestres {previous.code} et {semester.code} se chevauchent ou ne sont pas "
                    "dans l'ordre : chaque semestre doit commencer après la fin du précédent."
                )
            previous = semester

    @classmethod
    def from_framework(cls, semesters: Sequence[Mapping[str, object]]) -> Calendar:
        """The calendar described by the framework: dicts with code, start and end (date or ISO text)."""
        periods = []
        for position, row in enumerate(semesters, start=1):
            missing = [key for key in ("code", "start", "end") if row.get(key) in (None, "")]
            if missing:
                raise PeriodError(
                    f"Calendrier, semestre n° {position} : il manque {', '.join(missing)}. "
                    "Indiquez code (S01), start et end (AAAA-MM-JJ)."
                )
            code = _programme_code(str(row["code"]))
            if code is None:
                raise PeriodError(
                    f"Calendrier, semestre n° {position} : le code « {row['code']} » doit s'écrire S01, S02..."
                )
            start = _framework_day(row["start"], code, "début")
            end = _framework_day(row["end"], code, "fin")
            periods.append(Period(code, Grain.PROGRAMME_SEMESTER, start, end))
        return cls(tuple(sorted(periods)))

    @classmethod
    def default(cls) -> Calendar:
        """Interreg Ardenne Attractivity: S01 = Oct. 2016–Mar. 2017 ... S11 = Oct. 2021–Mar. 2022."""
        periods = []
        for number in range(1, 12):
            year, month = _add_months(2016, 10, 6 * (number - 1))
            start = date(year, month, 1)
            end = _month_end(*_add_months(year, month, 5))
            periods.append(Period(f"S{number:02d}", Grain.PROGRAMME_SEMESTER, start, end))
        return cls(tuple(periods))

    @property
    def start(self) -> date:
        """First day of the programme (start of the first semester)."""
        return self.semesters[0].start

    @property
    def end(self) -> date:
        """Last day of the programme (end of the last semester)."""
        return self.semesters[-1].end

    @functools.cached_property
    def programme_years(self) -> tuple[Period, ...]:
        """The programme's years: two consecutive semesters (S01 + S02, S03 + S04...), October to
        September in the Interreg calendar; a last lone semester opens a year of twelve months,
        whose second half lies outside the calendar (never complete)."""
        years = []
        for first in self.semesters[::2]:
            index = self.semesters.index(first)
            end = (
                self.semesters[index + 1].end
                if index + 1 < len(self.semesters)
                else _month_end(*_add_months(first.start.year, first.start.month, 11))
            )
            years.append(Period(f"{first.start.year}/{end.year}", Grain.PROGRAMME_YEAR, first.start, end))
        return tuple(years)

    def programme_year(self, code: str) -> Period:
        """The programme year with this code ("2016/2017")."""
        for year in self.programme_years:
            if year.code == code:
                return year
        raise PeriodError(f"L'année du programme « {code} » n'existe pas dans le calendrier du programme.")

    def semester(self, code: str) -> Period:
        """The programme semester with this code ("S05", "S5" or "s05")."""
        canonical = _programme_code(code)
        for semester in self.semesters:
            if semester.code == canonical:
                return semester
        raise PeriodError(
            f"Le semestre « {code} » n'existe pas dans le calendrier du programme "
            f"({self.semesters[0].code} à {self.semesters[-1].code})."
        )


# ----------------------------------------------------------------- calendar periods


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + months
    return index // 12, index % 12 + 1


def _month_end(year: int, month: int) -> date:
    next_year, next_month = _add_months(year, month, 1)
    return date(next_year, next_month, 1) - timedelta(days=1)


def _year(year: int) -> Period:
    return Period(f"{year:04d}", Grain.CALENDAR_YEAR, date(year, 1, 1), date(year, 12, 31))


def _semester(year: int, half: int) -> Period:
    if half not in (1, 2):
        raise _Invalid("une année civile n'a que deux semestres (S1 et S2)")
    return Period(
        f"{year:04d}-S{half}", Grain.CALENDAR_SEMESTER, date(year, 6 * half - 5, 1), _month_end(year, 6 * half)
    )


def _quarter(year: int, quarter: int) -> Period:
    if not 1 <= quarter <= 4:
        raise _Invalid("une année n'a que quatre trimestres (T1 à T4)")
    start = date(year, 3 * quarter - 2, 1)
    return Period(f"{year:04d}-Q{quarter}", Grain.QUARTER, start, _month_end(year, 3 * quarter))


def _month(year: int, month: int) -> Period:
    if not 1 <= month <= 12:
        raise _Invalid("les mois vont de 1 à 12")
    return Period(f"{year:04d}-{month:02d}", Grain.MONTH, date(year, month, 1), _month_end(year, month))


# ---------------------------------------------------------------------------- parsing

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


class _Invalid(ValueError):
    """Why a recognised spelling still names no period; parse_period quotes the text in front."""


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


# ------------------------------------------------------------------- calendar arithmetic


def periods_between(grain: str, start: date, end: date, calendar: Calendar) -> list[Period]:
    """Every period of `grain` that overlaps [start, end], in time order."""
    _check_grain(grain)
    start, end = _as_date(start), _as_date(end)
    if start > end:
        raise PeriodError(f"Le début ({_dmy(start)}) est après la fin ({_dmy(end)}).")
    if grain == Grain.RANGE:
        raise PeriodError("Une plage de dates libre n'a pas de découpage régulier.")
    if grain == Grain.PROGRAMME_SEMESTER:
        return [s for s in calendar.semesters if s.start <= end and start <= s.end]
    if grain == Grain.PROGRAMME_YEAR:
        return [y for y in calendar.programme_years if y.start <= end and start <= y.end]
    periods = [_containing_calendar(start, grain)]
    while periods[-1].end < end:
        periods.append(_containing_calendar(periods[-1].end + timedelta(days=1), grain))
    return periods


def period_containing(day: date, grain: str, calendar: Calendar) -> Period | None:
    """The period of `grain` containing `day`; None for a programme semester outside the calendar."""
    _check_grain(grain)
    day = _as_date(day)
    if grain == Grain.RANGE:
        raise PeriodError("Une plage de dates libre ne se déduit pas d'un jour : choisissez une granularité.")
    if grain == Grain.PROGRAMME_SEMESTER:
        return next((s for s in calendar.semesters if s.start <= day <= s.end), None)
    if grain == Grain.PROGRAMME_YEAR:
        return next((y for y in calendar.programme_years if y.start <= day <= y.end), None)
    return _containing_calendar(day, grain)


def rollup_target(period: Period, grain: str, calendar: Calendar) -> Period | None:
    """The period of `grain` that wholly contains `period`, or None when `period` straddles its boundaries.

    None is the signal not to aggregate: a programme semester (October–March) never goes
    into a calendar year, and nothing is split pro rata.
    """
    target = period_containing(period.start, grain, calendar)
    if target is None or not target.contains(period):
        return None
    return target


def subperiods(period: Period, grain: str, calendar: Calendar) -> list[Period]:
    """The periods of the finer `grain` that tile `period` exactly, in time order.

    Raises PeriodError when they do not (e.g. a year into programme semesters, which
    straddle it): values are never split.
    """
    parts = periods_between(grain, period.start, period.end, calendar)
    contiguous = all(b.start == a.end + timedelta(days=1) for a, b in zip(parts, parts[1:], strict=False))
    if not parts or parts[0].start != period.start or parts[-1].end != period.end or not contiguous:
        raise PeriodError(
            f"La période {period.label_fr} ne se découpe pas exactement en {_GRAIN_PLURAL_FR[grain]} : "
            "leurs limites ne coïncident pas, et une valeur n'est jamais répartie au prorata."
        )
    return parts


def grain_of_frequency(freq: str) -> str:
    """The grain of a framework reporting frequency: M, Q, S (programme semester), Y, B (biennial = year)."""
    code = str(freq).strip().upper()
    if code not in Frequency.codes():
        raise PeriodError(
            f"Fréquence « {freq} » inconnue : utilisez M (mensuelle), Q (trimestrielle), "
            "S (semestrielle, semestres du programme), Y (annuelle) ou B (biennale)."
        )
    return Frequency.of(code).grain


_GRAIN_PLURAL_FR = {grain.value: grain.plural for grain in Grain if grain != Grain.RANGE}


def _check_grain(grain: str) -> None:
    if grain not in GRAINS:
        raise PeriodError(f"Granularité « {grain} » inconnue : {', '.join(GRAINS)}.")


def _as_date(day: date) -> date:
    return day.date() if isinstance(day, datetime) else day


def _containing_calendar(day: date, grain: str) -> Period:
    if grain == Grain.MONTH:
        return _month(day.year, day.month)
    if grain == Grain.QUARTER:
        return _quarter(day.year, (day.month - 1) // 3 + 1)
    if grain == Grain.CALENDAR_SEMESTER:
        return _semester(day.year, (day.month - 1) // 6 + 1)
    return _year(day.year)


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


def _programme_code(code: str) -> str | None:
    match = re.fullmatch(r"\s*[sS]\s*(\d{1,3})\s*", code)
    return f"S{int(match[1]):02d}" if match else None


def _framework_day(value: object, code: str, which: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as error:
        raise PeriodError(
            f"Calendrier, semestre {code} : date de {which} « {value} » illisible (format attendu AAAA-MM-JJ)."
        ) from error


def _dmy(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def _month_short(day: date) -> str:
    return f"{_MONTHS_FR_SHORT[day.month - 1]} {day.year}"
