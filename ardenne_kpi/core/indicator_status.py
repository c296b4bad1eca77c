"""An indicator's status (against its target): the codes, with the French label, colour and
mark every chart, table and export shows.

Not an upload's status (`intake.import_view.UploadStatus`), nor a report's timeliness
(`reporting.follow_up.Timeliness`), nor a coverage cell's gap (`figures.coverage.Gap`).
`figures.targets` computes the status; charts and exports only draw it.
"""

from ardenne_kpi.core.vocabulary import Term


class IndicatorStatus(Term):
    """In the order a legend reads them, best first. Okabe–Ito palette: distinguishable with
    every common colour-vision deficiency; the page always prints the label beside the colour."""

    ON_TRACK = "on_track", "En bonne voie", "#009E73", "●"
    AT_RISK = "at_risk", "À surveiller", "#E69F00", "▲"
    OFF_TRACK = "off_track", "En retard", "#D55E00", "■"
    NO_DATA = "no_data", "Sans données", "#8C8C8C", "○"


STATUS_LABELS = IndicatorStatus.labels()
STATUS_COLORS = IndicatorStatus.colours()
STATUS_SYMBOLS = IndicatorStatus.marks()
# The order a committee reads them: what needs attention first.
STATUS_ORDER = (IndicatorStatus.OFF_TRACK, IndicatorStatus.AT_RISK, IndicatorStatus.ON_TRACK, IndicatorStatus.NO_DATA)
# The statuses that call for attention ("behind" in a coverage cell, the pack's watch list).
BEHIND = (IndicatorStatus.OFF_TRACK, IndicatorStatus.AT_RISK)
