"""The app's pages, declared once (the menu, the links and the tests derive from `PAGES`), and
links that reopen a view of the app: a page's address with its filters and choices as query
parameters (the pages read them on load). The pack cites them, so a reader of the PDF reopens
the same figure in the app.

The base address comes from `ARDENNE_BASE_URL` (where the committee reaches the app); unset,
from the address the visitor used (`set_visitor`, set by the page from Streamlit's request
context), and on the command line http://localhost:8501, which `leads_nowhere` flags.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

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
_PAGE_PATHS = {page.path for page in PAGES if page.path}


def page_named(name: str) -> Page:
    """The page called `name` (KeyError for a page the app does not have)."""
    return _BY_NAME[name]


# The address the visitor of this page run used (`set_visitor`): a context variable, so that
# each Streamlit session, each in its own thread, sees its own.
_VISITOR: ContextVar[str | None] = ContextVar("visitor_base", default=None)


def base_url() -> str:
    """The base of every link: ARDENNE_BASE_URL when set, else the address the visitor of this
    page used, else (the command line) the default, http://localhost:8501."""
    configured = settings.raw("ARDENNE_BASE_URL")
    return (configured or _VISITOR.get() or str(settings.get("ARDENNE_BASE_URL"))).rstrip("/")


def set_visitor(base: str | None) -> None:
    """Base this page run's links on `base` (the app sets it for each run of a page)."""
    _VISITOR.set(base.rstrip("/") if base else None)


def visitor_base(url: str | None, headers: Mapping[str, str], peer: str | None) -> str | None:
    """The address the visitor reached the app at (scheme, host, base path), None when unknown:
    the browser's own (`url`, Streamlit's `st.context.url`, less the page's path),
    else the request's `Host`, or the `X-Forwarded-Host` / `X-Forwarded-Proto` a reverse proxy
    reports when the connection comes from one ARDENNE_TRUSTED_PROXY names (from anyone else
    such headers could say anything)."""
    if url:
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc:
            folder, _, last = parts.path.rstrip("/").rpartition("/")
            path = folder if last in _PAGE_PATHS else parts.path  # the page's own path, when Streamlit left it
            return f"{parts.scheme}://{parts.netloc}{path}".rstrip("/")
    lower = {k.lower(): v for k, v in headers.items()}
    trusted = set(settings.get("ARDENNE_TRUSTED_PROXY")) & ({peer} if peer else _LOOPBACK)
    host = (trusted and lower.get("x-forwarded-host")) or lower.get("host")
    proto = (trusted and lower.get("x-forwarded-proto")) or "http"
    host = host.split(",")[-1].strip() if host else ""
    proto = proto.split(",")[-1].strip().lower()
    if not host or proto not in ("http", "https") or not re.fullmatch(r"[A-Za-z0-9.\-\[\]:]+", host):
        return None
    return f"{proto}://{host}"


_LOOPBACK = {"127.0.0.1", "::1", "localhost"}  # Streamlit gives no peer address for these


def leads_nowhere(url: str | None = None) -> bool:
    """True when a link on `url` (default: the current base) reaches only the machine that runs
    the app (localhost, 127.0.0.1, ::1, 0.0.0.0): in a pack, a reminder or the public site,
    read elsewhere, it leads nowhere."""
    host = (urlsplit(url or base_url()).hostname or "").lower()
    return host in ("localhost", "0.0.0.0", "::1") or host.startswith("127.") or host.endswith(".localhost")


LOCAL_LINKS_WARNING = (
    "Les liens de ce document pointent vers {base}, une adresse qui ne mène qu'à la machine qui fait "
    "tourner l'application : lus ailleurs (dossier du comité, relances, site public), ils ne mènent "
    "nulle part. Réglez ARDENNE_BASE_URL sur l'adresse où les partenaires joignent l'application "
    "(par exemple https://kpi.example.org), ou ouvrez l'application par cette adresse."
)


def local_links_warning() -> str | None:
    """The French sentence that warns the coordinator when links would lead nowhere, else None."""
    return LOCAL_LINKS_WARNING.format(base=base_url()) if leads_nowhere() else None


def page_url(page: str, **params: object) -> str:
    """The address of `page` showing the view `params` describe (None values left out)."""
    query = urlencode({k: str(v) for k, v in params.items() if v is not None and v != ""})
    path = _BY_NAME[page].path
    return f"{base_url()}/{path}" + (f"?{query}" if query else "")
