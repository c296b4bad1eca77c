"""The value rules: how a value cell is read under its indicator's rule (any finite number,
a count, a percentage), one rule set for every reading path.

`check_value` reads a value cell under its indicator's rule. The bulk path
(`validate.TableReader._fast_read`) applies it once per distinct (rule, cell) of a column
and keeps the numbers it passes without a word; the cell-by-cell path
(`cells.CellReader._value`) applies it to each cell that earns a message and words the
message.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

from ardenne_kpi.framework import Indicator
from ardenne_kpi.intake.values import NUMBER, Reading, is_blank, normalise, read_number

_COUNT_UNITS = ("nb", "nombre", "nuit", "visit", "km", "contact", "session", "article", "participant", "personne")

# A value cell's outcome on the bulk path, besides the number it holds.
BLANK = object()  # nothing reported in the cell
FULL = object()  # a cell (or a key cell) that earns a message: its row takes the cell-by-cell path


ANY, COUNT, PERCENT = 0, 1, 2  # what an indicator's values may be: any finite number, a count, a percentage


class IndicatorCell(NamedTuple):
    """An indicator cell (code and label columns) resolved without error: what the values of
    its row are read against."""

    code: str
    rule: int  # ANY, COUNT or PERCENT (`value_rule`)
    operators: frozenset[str]  # the operators responsible for it
    label_warning: (
        tuple[str, str, object] | None
    )  # the once-per-file key of its label-mismatch warning; None: the label matches


def value_rule(indicator: Indicator | None) -> int:
    """PERCENT for a % indicator, COUNT for counts of things, ANY otherwise (and when unknown)."""
    if indicator is None:
        return ANY
    return PERCENT if indicator.is_percent else COUNT if is_count(indicator) else ANY


def check_value(rule: int, raw: object, percent_format: bool = False) -> tuple[Reading, str]:
    """A value cell read under its indicator's `rule`: the reading (a NUMBER, with the warning
    on how it was read if any; EMPTY; MISSING; INVALID) and the rule a NUMBER breaks: ""
    (none), "percent" (outside 0–100) or "negative" (a count below zero)."""
    reading = read_number(raw, percent_indicator=rule == PERCENT, percent_format=percent_format, count=rule == COUNT)
    value = reading.value
    if reading.kind != NUMBER or value is None:  # a NUMBER always has its value
        return reading, ""
    if rule == PERCENT and not 0 <= value <= 100:
        return reading, "percent"
    if rule == COUNT and value < 0:
        return reading, "negative"
    return reading, ""


def quiet_value(rule: int, raw: object) -> float | object:
    """The number a cell (not percentage-formatted) holds when `check_value` passes it without
    a word; BLANK for an empty cell; FULL when it earns a message."""
    if is_blank(raw):
        return BLANK
    reading, broken = check_value(rule, raw)
    if reading.kind == NUMBER and not reading.note and not broken:
        return reading.value
    return FULL


class Outcomes(dict[object, float | object]):
    """`quiet_value` under one rule, memoised by cell: a look-up per cell, a call per distinct cell."""

    def __init__(self, rule: int) -> None:
        super().__init__()
        self.rule = rule

    def __missing__(self, raw: object) -> float | object:
        found = self[raw] = quiet_value(self.rule, raw)
        return found


def is_count(indicator: Indicator) -> bool:
    """Counts of things (not averages): never negative, and `1,234` there means 1234."""
    return _is_count(indicator.unit, indicator.agg_time)


@functools.lru_cache(maxsize=256)
def _is_count(unit: str, agg_time: str) -> bool:
    return unit.strip() != "%" and agg_time != "mean" and normalise(unit).startswith(_COUNT_UNITS)
