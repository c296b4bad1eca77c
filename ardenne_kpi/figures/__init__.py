"""The figures: KPI trends against targets, aggregated by each indicator's rules, with their
progress, the status shared by every page and the lineage of any figure; and beside them the
coverage of the reporting (`coverage`) and the partners' comments and analyses (`analyses`).

The KPI figures, by job: `grains` (which indicators, at which grain), `placement` (where a
stored value counts, what is due there), `rollup` (the roll-up driver), `targets` (target,
progress and status arithmetic, the trend frame), `status` (every indicator's status),
`lineage` (where a figure comes from), `tables` (the figures as French tables). Their public
functions are re-exported here: callers write `figures.aggregate(con, fw, grain)`.

The arithmetic, decided once here (README « How a figure is built »):
- each series (operator × zone × audience) is rolled up on its own to the period, from the
  stored periods the period wholly contains and whose grain tiles it, by the indicator's
  time rule (sum for flows, last for stocks, mean for rates); a series giving a period and
  its sub-periods counts once; then the series are combined by the space rule;
- a territory measurement (measure: territory) never adds a zone or audience to a wider one
  reported: the widest counts; operators' outputs add up whatever their zones, but within one
  operator's report a total beside its parts is the figure (the parts are its breakdown);
- a ratio declaring numerator and denominator is Σ numerator / Σ denominator × scale over the
  values that give them; the others are named apart; the unweighted mean only when none does;
- a period is complete when every series expected there (framework/expected.py: obligations, and
  reported data outside them) covers the part of it it is due; a partial period keeps its
  partial value, and carries no progress and no status: "not reported" is not zero, and
  nothing is split pro rata; a stock is its values at the period's end;
- progress = (value − baseline) / (target − baseline), read in the indicator's direction;
  the expected value at a date follows a linear pace from the baseline through each dated
  target; status compares progress with the expected progress (framework thresholds);
- flows are judged at their target's grain (a yearly target against a year's sum), stocks
  at their reporting grain (the latest stock), rates at their target's grain.
"""

from ardenne_kpi.core.indicator_status import STATUS_COLORS, STATUS_LABELS, STATUS_ORDER, STATUS_SYMBOLS
from ardenne_kpi.figures.grains import (
    AGGREGATE_COLUMNS,
    BY_LABELS,
    GRAIN_LABELS,
    INDICATOR_STATUS_COLUMNS,
    LINEAGE_COLUMNS,
    comparable,
    display_grain,
    display_grain_reason,
    evaluation_grain,
    evaluation_grain_reason,
    select_indicators,
)
from ardenne_kpi.figures.lineage import LINEAGE_REASONS, PENDING_NOTE, explain, lineage
from ardenne_kpi.figures.placement import rule_text
from ardenne_kpi.figures.rollup import aggregate, evaluation_trends, trends
from ardenne_kpi.figures.status import (
    has_values,
    indicator_status,
    lineage_uploads,
    period_note,
    reported,
    status_and_trends,
    status_counts,
    status_row,
)
from ardenne_kpi.figures.tables import (
    EXPORT_COLUMNS,
    LINEAGE_LABELS,
    TEMPLATE_FIRST_ROW,
    WEB_ENTRY_PREFIX,
    adds_up,
    decimals_of,
    export_frame,
    group_label,
    group_labels,
    interreg_table,
    interreg_view,
    lineage_table,
    outside_series,
    values_table,
)
from ardenne_kpi.figures.targets import (
    TREND_COLUMNS,
    expected_path,
    expected_value,
    next_target,
    pace,
    progress,
    status_of,
    trend_frame,
)

__all__ = [
    "AGGREGATE_COLUMNS",
    "BY_LABELS",
    "EXPORT_COLUMNS",
    "GRAIN_LABELS",
    "INDICATOR_STATUS_COLUMNS",
    "LINEAGE_COLUMNS",
    "LINEAGE_LABELS",
    "LINEAGE_REASONS",
    "PENDING_NOTE",
    "STATUS_COLORS",
    "STATUS_LABELS",
    "STATUS_ORDER",
    "STATUS_SYMBOLS",
    "TEMPLATE_FIRST_ROW",
    "TREND_COLUMNS",
    "WEB_ENTRY_PREFIX",
    "adds_up",
    "aggregate",
    "comparable",
    "decimals_of",
    "display_grain",
    "display_grain_reason",
    "evaluation_grain",
    "evaluation_grain_reason",
    "evaluation_trends",
    "expected_path",
    "expected_value",
    "explain",
    "export_frame",
    "group_label",
    "group_labels",
    "has_values",
    "indicator_status",
    "interreg_table",
    "interreg_view",
    "lineage",
    "lineage_table",
    "lineage_uploads",
    "next_target",
    "outside_series",
    "pace",
    "period_note",
    "progress",
    "reported",
    "rule_text",
    "select_indicators",
    "status_and_trends",
    "status_counts",
    "status_of",
    "status_row",
    "trend_frame",
    "trends",
    "values_table",
]
