from datetime import date, datetime

import pytest

from ardenne_kpi.core.errors import PeriodError
from ardenne_kpi.core.periods import (
    GRAINS,
    Calendar,
    Period,
    grain_of_frequency,
    parse_period,
    period_containing,
    period_from_code,
    periods_between,
    rollup_target,
    subperiods,
)

CAL = Calendar.default()


def p(value: object) -> Period:
    return parse_period(value, CAL)


def codes(periods: list[Period]) -> list[str]:
    return [period.code for period in periods]


# ------------------------------------------------------------------------ calendar


def test_default_calendar_has_eleven_offset_semesters():
    assert codes(CAL.semesters) == [f"S{n:02d}" for n in range(1, 12)]
    assert (CAL.semester("S01").start, CAL.semester("S01").end) == (date(2016, 10, 1), date(2017, 3, 31))
    assert (CAL.semester("S02").start, CAL.semester("S02").end) == (date(2017, 4, 1), date(2017, 9, 30))
    assert (CAL.semester("S11").start, CAL.semester("S11").end) == (date(2021, 10, 1), date(2022, 3, 31))


def test_calendar_start_and_end_are_the_programme_bounds():
    assert (CAL.start, CAL.end) == (date(2016, 10, 1), date(2022, 3, 31))


def test_default_semesters_are_contiguous():
    for before, after in zip(CAL.semesters, CAL.semesters[1:], strict=False):
        assert (after.start - before.end).days == 1


def test_calendar_semester_accepts_code_without_leading_zero():
    assert CAL.semester("S5") == CAL.semester("S05")


def test_calendar_semester_unknown_code_raises():
    with pytest.raises(PeriodError, match="S12"):
        CAL.semester("S12")


def test_from_framework_reads_iso_text_and_dates():
    calendar = Calendar.from_framework(
        [
            {"code": "S02", "start": "2017-04-01", "end": date(2017, 9, 30)},
            {"code": "S1", "start": datetime(2016, 10, 1), "end": "2017-03-31"},
        ]
    )
    assert codes(calendar.semesters) == ["S01", "S02"]
    assert calendar.semesters == CAL.semesters[:2]


def test_from_framework_refuses_overlapping_semesters():
    with pytest.raises(PeriodError, match="chevauchent"):
        Calendar.from_framework(
            [
                {"code": "S01", "start": "2016-10-01", "end": "2017-03-31"},
                {"code": "S02", "start": "2017-03-01", "end": "2017-09-30"},
            ]
        )


def test_from_framework_refuses_duplicate_codes():
    with pytest.raises(PeriodError, match="deux fois"):
        Calendar.from_framework(
            [
                {"code": "S01", "start": "2016-10-01", "end": "2017-03-31"},
                {"code": "S01", "start": "2017-04-01", "end": "2017-09-30"},
            ]
        )


@pytest.mark.parametrize(
    "row, message",
    [
        ({"code": "S01", "start": "01/10/2016", "end": "2017-03-31"}, "illisible"),
        ({"code": "S01", "start": "2016-10-01"}, "il manque end"),
        ({"code": "Sem1", "start": "2016-10-01", "end": "2017-03-31"}, "S01, S02"),
        ({"code": "S01", "start": "2017-03-31", "end": "2016-10-01"}, "après la fin"),
    ],
)
def test_from_framework_refuses_bad_rows(row, message):
    with pytest.raises(PeriodError, match=message):
        Calendar.from_framework([row])


def test_empty_calendar_is_refused():
    with pytest.raises(PeriodError, match="aucun semestre"):
        Calendar.from_framework([])


# ------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    "text, code",
    [
        ("2019-S1", "2019-S1"),
        ("S1 2019", "2019-S1"),
        ("S1-2019", "2019-S1"),
        ("2019 S1", "2019-S1"),
        ("2019-s2", "2019-S2"),
        ("H2 2019", "2019-S2"),
        ("1er semestre 2019", "2019-S1"),
        ("premier semestre 2019", "2019-S1"),
        ("Premier Semestre 2019", "2019-S1"),
        ("2e semestre 2019", "2019-S2"),
        ("2ème semestre 2019", "2019-S2"),
        ("2ᵉ semestre 2019", "2019-S2"),
        ("second semestre 2019", "2019-S2"),
        ("1er semestre de 2019", "2019-S1"),
        ("semestre 2 2019", "2019-S2"),
    ],
)
def test_parse_calendar_semester(text, code):
    period = p(text)
    assert (period.code, period.grain) == (code, "semester")


@pytest.mark.parametrize(
    "text",
    [
        "2019-Q3",
        "Q3 2019",
        "2019Q3",
        "2019 q3",
        "T3 2019",
        "T3-2019",
        "2019-T3",
        "3e trimestre 2019",
        "3ème trimestre 2019",
        "troisième trimestre 2019",
        "3ème trim. 2019",
    ],
)
def test_parse_quarter(text):
    period = p(text)
    assert (period.code, period.grain) == ("2019-Q3", "quarter")


def test_parse_first_quarter_ordinal():
    assert p("1er trimestre 2019").code == "2019-Q1"


@pytest.mark.parametrize("value", ["2019", " 2019 ", 2019, 2019.0, "année 2019", "Annee 2019", "2019.0"])
def test_parse_year(value):
    period = p(value)
    assert (period.code, period.grain) == ("2019", "year")


@pytest.mark.parametrize(
    "text",
    [
        "juillet 2019",
        "juil. 2019",
        "juil 2019",
        "Juillet-2019",
        "JUILLET 2019",
        "07/2019",
        "7/2019",
        "2019-07",
        "july 2019",
    ],
)
def test_parse_month(text):
    period = p(text)
    assert (period.code, period.grain) == ("2019-07", "month")


@pytest.mark.parametrize(
    "text, month",
    [
        ("janv. 2019", 1),
        ("janvier 2019", 1),
        ("févr. 2019", 2),
        ("fev 2019", 2),
        ("février 2019", 2),
        ("mars 2019", 3),
        ("avr. 2019", 4),
        ("avril 2019", 4),
        ("mai 2019", 5),
        ("juin 2019", 6),
        ("août 2019", 8),
        ("aout 2019", 8),
        ("sept. 2019", 9),
        ("septembre 2019", 9),
        ("oct. 2019", 10),
        ("nov. 2019", 11),
        ("déc. 2019", 12),
        ("décembre 2019", 12),
        ("December 2019", 12),
        ("Aug 2019", 8),
        ("May 2019", 5),
    ],
)
def test_parse_every_month_name(text, month):
    assert p(text).code == f"2019-{month:02d}"


@pytest.mark.parametrize("text", ["S05", "S5", "s5", "Semestre 5", "semestre 05", "S 05", "sem. 5"])
def test_parse_programme_semester_without_year(text):
    assert p(text) == CAL.semester("S05")


@pytest.mark.parametrize("text", ["S05 2019", "2019-S05", "S5 2019"])
def test_programme_semester_with_year_is_refused_as_ambiguous(text):
    with pytest.raises(PeriodError, match="ambigu"):
        p(text)


def test_parse_unknown_programme_semester_raises():
    with pytest.raises(PeriodError, match="S12"):
        p("S12")


@pytest.mark.parametrize(
    "text",
    [
        "01/10/2018 - 31/03/2019",
        "01/10/2018 – 31/03/2019",
        "01/10/2018—31/03/2019",
        "du 01/10/2018 au 31/03/2019",
        "Du 1/10/2018 au 31/3/2019",
        "2018-10-01 - 2019-03-31",
        "01.10.2018-31.03.2019",
        "2018-10-01..2019-03-31",
    ],
)
def test_range_equal_to_a_programme_semester_is_that_semester(text):
    assert p(text) == CAL.semester("S05")


@pytest.mark.parametrize(
    "text, code",
    [
        ("01/07/2019 - 30/09/2019", "2019-Q3"),
        ("01/01/2019 - 30/06/2019", "2019-S1"),
        ("01/01/2019 - 31/12/2019", "2019"),
        ("01/02/2020 - 29/02/2020", "2020-02"),
    ],
)
def test_range_equal_to_a_calendar_period_is_that_period(text, code):
    assert p(text) == period_from_code(code, CAL)


def test_other_range_keeps_its_dates():
    period = p("15/01/2019 - 14/02/2019")
    assert (period.code, period.grain) == ("2019-01-15..2019-02-14", "range")
    assert (period.start, period.end) == (date(2019, 1, 15), date(2019, 2, 14))


def test_range_with_start_after_end_raises():
    with pytest.raises(PeriodError, match="après la fin"):
        p("31/03/2019 - 01/10/2018")


def test_range_with_impossible_date_raises():
    with pytest.raises(PeriodError, match="31/02/2019"):
        p("01/01/2019 - 31/02/2019")


@pytest.mark.parametrize("value", [date(2019, 7, 14), datetime(2019, 7, 1, 0, 0), "2019-07-14", "14/07/2019"])
def test_a_single_day_means_the_month_containing_it(value):
    assert p(value).code == "2019-07"


def test_a_period_is_returned_as_is():
    period = CAL.semester("S05")
    assert p(period) is period


@pytest.mark.parametrize("text", ["T3\u00a02019", "  juillet   2019 ", "juillet\u202f2019", "JUIL. 2019"])
def test_spaces_and_case_are_tolerated(text):
    assert p(text).start == date(2019, 7, 1)


def test_parse_does_not_check_the_programme_bounds():
    assert p("2010").code == "2010"


@pytest.mark.parametrize(
    "value", ["bientôt", "2019-2020", "S1 S2", "Q3", "juillet", "43647", 43647, 2019.5, True, [2019]]
)
def test_unreadable_value_raises_with_examples(value):
    with pytest.raises(PeriodError, match="Écrivez par exemple 2019-S1, T3 2019, S05") as error:
        p(value)
    assert str(value) in error.value.message


@pytest.mark.parametrize("value", [None, "", "   ", float("nan")])
def test_empty_value_raises(value):
    with pytest.raises(PeriodError, match="vide"):
        p(value)


@pytest.mark.parametrize(
    "text, reason",
    [("T5 2019", "quatre trimestres"), ("3e semestre 2019", "deux semestres"), ("13/2019", "1 à 12")],
)
def test_impossible_number_says_why(text, reason):
    with pytest.raises(PeriodError, match=reason) as error:
        p(text)
    assert f"« {text} »" in error.value.message


# ---------------------------------------------------------------- canonical codes

ONE_OF_EACH_GRAIN = ["2019-07", "2019-Q3", "2019-S2", "S05", "2018/2019", "2019", "2019-01-15..2019-02-14"]


def test_examples_cover_every_grain():
    assert sorted(period_from_code(code, CAL).grain for code in ONE_OF_EACH_GRAIN) == sorted(GRAINS)


@pytest.mark.parametrize("code", ONE_OF_EACH_GRAIN)
def test_code_round_trips(code):
    period = period_from_code(code, CAL)
    assert period.code == code
    assert period_from_code(period.code, CAL) == period
    assert p(period.code) == period


def test_every_programme_semester_round_trips():
    for semester in CAL.semesters:
        assert period_from_code(semester.code, CAL) == semester


def test_range_code_naming_a_period_comes_back_as_that_period():
    assert period_from_code("2019-01-01..2019-12-31", CAL).code == "2019"


@pytest.mark.parametrize(
    "code", ["T3 2019", "2019-q3", "S5", "2019-13", "2019-Q5", "juillet 2019", "", "2019-02-30..2019-03-01"]
)
def test_non_canonical_code_raises(code):
    with pytest.raises(PeriodError):
        period_from_code(code, CAL)


# -------------------------------------------------------------------- periods


@pytest.mark.parametrize(
    "code, label",
    [
        ("2019", "2019"),
        ("2019-S1", "1er semestre 2019"),
        ("2019-S2", "2e semestre 2019"),
        ("2019-Q3", "T3 2019"),
        ("2019-07", "juillet 2019"),
        ("2019-08", "août 2019"),
        ("S05", "S05 (oct. 2018 – mars 2019)"),
        ("S06", "S06 (avr. 2019 – sept. 2019)"),
        ("2018-10-01..2019-02-14", "01/10/2018 – 14/02/2019"),
    ],
)
def test_label_fr(code, label):
    assert period_from_code(code, CAL).label_fr == label


def test_contains_is_whole_containment():
    year = p("2019")
    assert year.contains(p("2019-Q3"))
    assert year.contains(year)
    assert not year.contains(p("S05"))
    assert not p("2019-Q3").contains(year)


def test_overlaps_shares_a_day():
    assert p("2019").overlaps(p("S05"))
    assert p("S05").overlaps(p("2019-Q1"))
    assert not p("S05").overlaps(p("S06"))


def test_sorting_is_by_start_then_end():
    shuffled = [p("2019"), p("S06"), p("2019-Q1"), p("S05"), p("2019-01")]
    assert codes(sorted(shuffled)) == ["S05", "2019-01", "2019-Q1", "2019", "S06"]
    assert p("2019-01") < p("2019-Q1") <= p("2019-Q1") < p("2019")


def test_period_with_unknown_grain_is_refused():
    with pytest.raises(PeriodError, match="Granularité"):
        Period("2019-W01", "week", date(2019, 1, 1), date(2019, 1, 7))


def test_periods_are_hashable_and_equal_by_value():
    assert {p("T3 2019"), p("2019-Q3")} == {period_from_code("2019-Q3", CAL)}


# ------------------------------------------------------------ calendar arithmetic


def test_periods_between_quarters():
    assert codes(periods_between("quarter", date(2018, 11, 15), date(2019, 7, 1), CAL)) == [
        "2018-Q4",
        "2019-Q1",
        "2019-Q2",
        "2019-Q3",
    ]


def test_periods_between_programme_semesters_keeps_those_overlapping():
    assert codes(periods_between("programme-semester", date(2019, 1, 1), date(2019, 12, 31), CAL)) == [
        "S05",
        "S06",
        "S07",
    ]


def test_periods_between_programme_semesters_outside_calendar_is_empty():
    assert periods_between("programme-semester", date(2010, 1, 1), date(2011, 1, 1), CAL) == []


def test_periods_between_refuses_reversed_bounds():
    with pytest.raises(PeriodError):
        periods_between("month", date(2019, 2, 1), date(2019, 1, 1), CAL)


@pytest.mark.parametrize(
    "grain, code",
    [
        ("month", "2019-02"),
        ("quarter", "2019-Q1"),
        ("semester", "2019-S1"),
        ("year", "2019"),
        ("programme-semester", "S05"),
    ],
)
def test_period_containing(grain, code):
    assert period_containing(date(2019, 2, 28), grain, CAL).code == code


def test_period_containing_accepts_datetime():
    assert period_containing(datetime(2019, 2, 28, 12), "programme-semester", CAL).code == "S05"


def test_period_containing_outside_programme_is_none():
    assert period_containing(date(2016, 9, 30), "programme-semester", CAL) is None


@pytest.mark.parametrize(
    "code, grain, target",
    [
        ("2018-Q4", "programme-semester", "S05"),
        ("2019-Q1", "programme-semester", "S05"),
        ("2016-Q4", "programme-semester", "S01"),
        ("2019-07", "quarter", "2019-Q3"),
        ("2019-07", "semester", "2019-S2"),
        ("2019-07", "year", "2019"),
        ("2019-07", "programme-semester", "S06"),
        ("2019-Q3", "year", "2019"),
        ("S05", "programme-semester", "S05"),
        ("2019-01-15..2019-02-14", "quarter", "2019-Q1"),
    ],
)
def test_rollup_target(code, grain, target):
    assert rollup_target(period_from_code(code, CAL), grain, CAL).code == target


@pytest.mark.parametrize(
    "code, grain",
    [
        ("S05", "year"),
        ("S05", "semester"),
        ("2019-S1", "programme-semester"),
        ("2019", "quarter"),
        ("2016-Q3", "programme-semester"),
    ],
)
def test_rollup_refuses_periods_straddling_a_boundary(code, grain):
    assert rollup_target(period_from_code(code, CAL), grain, CAL) is None


def test_four_quarters_roll_up_into_one_year():
    quarters = [p(f"T{n} 2019") for n in range(1, 5)]
    assert {rollup_target(q, "year", CAL) for q in quarters} == {p("2019")}


def test_rollup_into_range_raises():
    with pytest.raises(PeriodError):
        rollup_target(p("2019-07"), "range", CAL)


def test_subperiods_of_programme_semester_in_quarters():
    assert codes(subperiods(p("S05"), "quarter", CAL)) == ["2018-Q4", "2019-Q1"]


def test_subperiods_of_programme_semester_in_months():
    assert codes(subperiods(p("S06"), "month", CAL)) == [f"2019-{m:02d}" for m in range(4, 10)]


def test_subperiods_of_year_in_quarters():
    assert codes(subperiods(p("2019"), "quarter", CAL)) == ["2019-Q1", "2019-Q2", "2019-Q3", "2019-Q4"]


def test_subperiods_at_same_grain_is_itself():
    assert subperiods(p("S05"), "programme-semester", CAL) == [p("S05")]


@pytest.mark.parametrize("code, grain", [("2019", "programme-semester"), ("S05", "semester"), ("2019-07", "year")])
def test_subperiods_refuse_to_split(code, grain):
    with pytest.raises(PeriodError, match="ne se découpe pas"):
        subperiods(period_from_code(code, CAL), grain, CAL)


def test_subperiods_refuse_calendar_with_a_gap():
    calendar = Calendar.from_framework(
        [
            {"code": "S01", "start": "2019-01-01", "end": "2019-03-31"},
            {"code": "S02", "start": "2019-07-01", "end": "2019-12-31"},
        ]
    )
    with pytest.raises(PeriodError, match="ne se découpe pas"):
        subperiods(p("2019"), "programme-semester", calendar)


@pytest.mark.parametrize(
    "freq, grain",
    [
        ("M", "month"),
        ("Q", "quarter"),
        ("S", "programme-semester"),
        ("Y", "year"),
        ("B", "year"),
        (" q ", "quarter"),
    ],
)
def test_grain_of_frequency(freq, grain):
    assert grain_of_frequency(freq) == grain


def test_unknown_frequency_raises():
    with pytest.raises(PeriodError, match="Fréquence « W » inconnue"):
        grain_of_frequency("W")


def test_a_programme_year_is_two_programme_semesters_october_to_september():
    year = p("2018/2019")
    assert (year.grain, year.start, year.end) == ("programme-year", date(2018, 10, 1), date(2019, 9, 30))
    assert [s.code for s in subperiods(year, "programme-semester", CAL)] == ["S05", "S06"]
    assert p("Année du programme 2018-2019") == year
    assert year.label_fr == "Année du programme 2018-2019"


def test_a_programme_year_must_span_two_consecutive_years():
    with pytest.raises(PeriodError, match="octobre à septembre"):
        p("2018/2020")
