"""The pages' toolbox, and the only part of the package that imports streamlit: what every
page does first (`page_setup`), the database and its cached reads, tables, widgets kept in the
address, French formats and errors. Pages write `from ardenne_kpi import ui` and `ui.<name>`.

- page.py: `page_setup` (configuration, style, menu, banners) and the `PageContext` it returns
- sign_in.py: who is signed in (accounts, the session cookie, OpenID Connect)
- database.py: the database handle and the reads cached per data revision (`cached`, `shared`)
- tables.py: tables sized for a projector; styles.py: the style sheets, the meeting mode's
- address.py: views kept in the address (`in_address`, `page_link`); alerts.py: errors shown
"""

from ardenne_kpi.core.format import fmt_date, fmt_number, fmt_percent, html_text, md, md_lines
from ardenne_kpi.ui.address import copy_link_caption, in_address, local_links_warning, page_link
from ardenne_kpi.ui.alerts import refuse, user_errors
from ardenne_kpi.ui.database import (
    cached,
    cached_count,
    connection,
    data_revision,
    forget_cached,
    is_demo,
    locks,
    shared,
    unless_file_changed,
)
from ardenne_kpi.ui.page import SUBMITTED_PREF, PageContext, page_setup
from ardenne_kpi.ui.sign_in import SIGN_IN, welcomes_visitors
from ardenne_kpi.ui.styles import meeting_chart_style, meeting_text_size
from ardenne_kpi.ui.tables import ROW_PX, TABLE_ROWS, WRAP_ROW_PX, table, table_height, text_table

__all__ = [
    "ROW_PX",
    "SIGN_IN",
    "SUBMITTED_PREF",
    "TABLE_ROWS",
    "WRAP_ROW_PX",
    "PageContext",
    "cached",
    "cached_count",
    "connection",
    "copy_link_caption",
    "data_revision",
    "fmt_date",
    "fmt_number",
    "fmt_percent",
    "forget_cached",
    "html_text",
    "in_address",
    "is_demo",
    "locks",
    "local_links_warning",
    "md",
    "md_lines",
    "meeting_chart_style",
    "meeting_text_size",
    "page_link",
    "page_setup",
    "refuse",
    "shared",
    "table",
    "table_height",
    "unless_file_changed",
    "text_table",
    "user_errors",
    "welcomes_visitors",
]
