"""What a period is: its grain (Grain) and a framework's frequency (Frequency), a Period (a date
range with a grain and a canonical code), the programme's Calendar of reporting semesters and
years, and the civil periods (year, semester, quarter, month) built from a year and a number.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
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

_MONTHS_FR = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
_MONTHS_FR_SHORT = (
    "janv.", "févr.", "mars", "avr.", "mai", "juin",
    "juil.", "août", "sept.", "oct.", "nov.", "déc.",
)  # fmt: skip


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


class _Invalid(ValueError):
    """Why a recognised spelling still names no period; parse_period quotes the text in front."""


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


def _containing_calendar(day: date, grain: str) -> Period:
    if grain == Grain.MONTH:
        return _month(day.year, day.month)
    if grain == Grain.QUARTER:
        return _quarter(day.year, (day.month - 1) // 3 + 1)
    if grain == Grain.CALENDAR_SEMESTER:
        return _semester(day.year, (day.month - 1) // 6 + 1)
    return _year(day.year)


def grain_of_frequency(freq: str) -> str:
    """The grain of a framework reporting frequency: M, Q, S (programme semester), Y, B (biennial = year)."""
    code = str(freq).strip().upper()
    if code not in Frequency.codes():
        raise PeriodError(
            f"Fréquence « {freq} » inconnue : utilisez M (mensuelle), Q (trimestrielle), "
            "S (semestrielle, semestres du programme), Y (annuelle) ou B (biennale)."
        )
    return Frequency.of(code).grain


def _check_grain(grain: str) -> None:
    if grain not in GRAINS:
        raise PeriodError(f"Granularité « {grain} » inconnue : {', '.join(GRAINS)}.")


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
