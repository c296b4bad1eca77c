"""Numbers written the French or the English way, percentages, not-available markers."""

from __future__ import annotations

import pytest

from ardenne_kpi.intake.values import EMPTY, INVALID, MISSING, NUMBER, read_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 234,5", 1234.5),
        ("1\u00a0234,5", 1234.5),
        ("1\u202f234,5", 1234.5),
        ("1.234,5", 1234.5),
        ("1,234.5", 1234.5),
        ("1.234.567", 1234567),
        ("1,234,567", 1234567),
        ("42", 42),
        (" 42 ", 42),
        ("12,5", 12.5),
        ("-3,5", -3.5),
        ("\u22123,5", -3.5),
        ("0,05", 0.05),
        ("1 234", 1234),
    ],
)
def test_french_and_english_number_texts(text, expected):
    reading = read_number(text)
    assert reading.kind == NUMBER and reading.value == pytest.approx(expected) and not reading.note


@pytest.mark.parametrize("text", ["12,5 %", "12.5%", "12,5\u00a0%"])
def test_percent_text_for_a_percent_indicator_is_the_percentage(text):
    assert read_number(text, percent_indicator=True).value == pytest.approx(12.5)


def test_percent_formatted_cell_holding_a_fraction_means_the_percentage():
    assert read_number(0.125, percent_indicator=True, percent_format=True).value == pytest.approx(12.5)


def test_plain_fraction_for_a_percent_indicator_is_kept_with_a_warning():
    reading = read_number(0.5, percent_indicator=True)
    assert reading.value == 0.5 and "50" in reading.note


def test_percent_text_for_a_count_is_invalid():
    assert read_number("12 %", percent_indicator=False).kind == INVALID


@pytest.mark.parametrize(("count", "expected"), [(False, 1.234), (True, 1234)])
def test_ambiguous_thousands_is_read_one_way_and_says_how(count, expected):
    reading = read_number("1,234", count=count)
    assert reading.value == pytest.approx(expected)
    assert "ambigu" in reading.note and "lu comme" in reading.note


@pytest.mark.parametrize("text", ["n.d.", "ND", "NA", "n/a", "-", "/", "\u2014"])
def test_not_available_markers(text):
    assert read_number(text).kind == MISSING


@pytest.mark.parametrize("raw", ["", "   ", None])
def test_empty_is_not_reported(raw):
    assert read_number(raw).kind == EMPTY


@pytest.mark.parametrize("text", ["12 km", "abc", "1,2,3", "#DIV/0!", "1 23,4"])
def test_non_numbers_are_invalid_with_a_french_hint(text):
    reading = read_number(text)
    assert reading.kind == INVALID and reading.note
