"""An indicator's status (against its target): the codes, in the order a committee reads them,
with the French label, symbol and colour every chart, table and export shows.

Not an upload's status (`import_review.UPLOAD_STATUS_LABELS`) nor a report's timeliness
(`reporting.ITEM_LABELS`). `kpis` computes the status; charts and exports only draw it.
"""

STATUS_LABELS = {
    "on_track": "En bonne voie",
    "at_risk": "À surveiller",
    "off_track": "En retard",
    "no_data": "Sans données",
}
# Okabe–Ito palette: distinguishable with every common colour-vision deficiency; the page
# always prints the label beside the colour too.
STATUS_COLORS = {"on_track": "#009E73", "at_risk": "#E69F00", "off_track": "#D55E00", "no_data": "#8C8C8C"}
STATUS_SYMBOLS = {"on_track": "●", "at_risk": "▲", "off_track": "■", "no_data": "○"}
STATUS_ORDER = ("off_track", "at_risk", "on_track", "no_data")
