"""Links that reopen a view of the app: a page's address with its filters and choices as
query parameters (the pages read them on load, see `ui.from_url`). The pack cites them, so a
reader of the PDF reopens the same figure in the app.

The base address comes from `ARDENNE_BASE_URL` (where the committee reaches the app),
default http://localhost:8501.
"""

from __future__ import annotations

from urllib.parse import urlencode

from ardenne_kpi import settings

# Page → its path under the base address (Streamlit names a page after its file, without the number).
PAGE_PATHS = {
    "Accueil": "",
    "Importer": "Import",
    "Tendances": "Tendances",
    "Couverture": "Couverture",
    "Référentiel": "Referentiel",
    "Suivi": "Suivi",
    "Marque": "Marque",
    "Réunion": "Reunion",
}


def base_url() -> str:
    return settings.get("ARDENNE_BASE_URL").rstrip("/")


def page_url(page: str, **params: object) -> str:
    """The address of `page` showing the view `params` describe (None values left out)."""
    query = urlencode({k: str(v) for k, v in params.items() if v is not None and v != ""})
    path = PAGE_PATHS[page]
    return f"{base_url()}/{path}" + (f"?{query}" if query else "")
