"""Periods of the programme: what a period is, reading what partners write, calendar arithmetic.

A period is a date range with a grain. Calendar grains (month, quarter, semester, year)
follow the civil calendar; programme semesters follow the Interreg reporting calendar,
which is offset (October–March, April–September) and numbered from the programme start.
A programme semester therefore never rolls up into a calendar semester or year: the
functions here return None or raise rather than split a value.

- model.py: Grain, Frequency, Period, the programme's Calendar, the grain of a frequency;
- parsing.py: parse_period (what partners write), period_from_code (what the database
  stores), label_of (its French label);
- arithmetic.py: periods_between, period_containing, rollup_target, subperiods.
"""

from ardenne_kpi.core.periods.arithmetic import period_containing, periods_between, rollup_target, subperiods
from ardenne_kpi.core.periods.model import GRAINS, Calendar, Frequency, Grain, Period, grain_of_frequency
from ardenne_kpi.core.periods.parsing import label_of, parse_period, period_from_code

__all__ = [
    "GRAINS",
    "Calendar",
    "Frequency",
    "Grain",
    "Period",
    "grain_of_frequency",
    "label_of",
    "parse_period",
    "period_containing",
    "period_from_code",
    "periods_between",
    "rollup_target",
    "subperiods",
]
