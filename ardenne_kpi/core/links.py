"""The app's pages, declared once (the menu, the links and the tests derive from `PAGES`), and
links that reopen a view of the app: a page's address with its filters and choices as query
parameters (the pages read them on load). The pack cites them, so a reader of the PDF reopens
the same figure in the app.

The base address comes from `ARDENNE_BASE_URL` (where the committee reaches the app),
default http://localhost:8501.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from ardenne_kpi.core import settings


@dataclass(frozen=True)
class Page:
    """One page of the app: the name code calls it by (`page_url("Tendances")`), its file, and
    its entry in the sidebar menu (French label, icon). A `public` page opens without signing in
    (ui.page_setup(public=True))."""

    name: str
    file: str
    label: str
    icon: str
    public: bool = False

    @property
    def path(self) -> str:
        """Its path under the base address: Streamlit names a page after its file, without the
        leading number; the home page (the entry point) is the base address itself."""
        return "" if "/" not in self.file else re.sub(r"^\d+_", "", self.file.rsplit("/", 1)[1].removesuffix(".py"))


# The menu's order. Streamlit's own page list is hidden (client.showSidebarNavigation = false)
# because it would name the home page "app".
PAGES = (
    Page("Accueil", "app.py", "Accueil", ":material/home:"),
    Page("Importer", "pages/1_Import.py", "Importer un rapport", ":material/upload_file:"),
    Page("Tendances", "pages/2_Tendances.py", "Tendances des indicateurs", ":material/trending_up:"),
    Page("Couverture", "pages/3_Couverture.py", "Couverture du plan", ":material/grid_on:"),
    Page("Référentiel", "pages/4_Referentiel.py", "Référentiel", ":material/account_tree:"),
    Page("Suivi", "pages/5_Suivi.py", "Suivi des rapports", ":material/fact_check:"),
    Page("Marque", "pages/6_Marque.py", "Plateforme de marque", ":material/verified:"),
    Page("Réunion", "pages/7_Reunion.py", "Mode réunion", ":material/co_present:"),
    Page("Chiffres clés", "pages/7_Chiffres_cles.py", "Chiffres clés", ":material/public:", public=True),
)
_BY_NAME = {page.name: page for page in PAGES}


def page_named(name: str) -> Page:
    """The page called `name` (KeyError for a page the app does not have)."""
    return _BY_NAME[name]


def base_url() -> str:
    return str(settings.get("ARDENNE_BASE_URL")).rstrip("/")


def page_url(page: str, **params: object) -> str:
    """The address of `page` showing the view `params` describe (None values left out)."""
    query = urlencode({k: str(v) for k, v in params.items() if v is not None and v != ""})
    path = _BY_NAME[page].path
    return f"{base_url()}/{path}" + (f"?{query}" if query else "")
