"""Links that know their address (core/links.py): ARDENNE_BASE_URL, else the address the visitor
used (the browser's, or the request's headers, a proxy's believed only from ARDENNE_TRUSTED_PROXY),
else localhost, which the page and the command line flag."""

from __future__ import annotations

import pytest

from ardenne_kpi.cli import main
from ardenne_kpi.core import links
from tests.conftest import run_page


@pytest.fixture(autouse=True)
def no_visitor(monkeypatch):
    monkeypatch.delenv("ARDENNE_BASE_URL", raising=False)
    monkeypatch.delenv("ARDENNE_TRUSTED_PROXY", raising=False)
    links.set_visitor(None)
    yield
    links.set_visitor(None)


def test_links_take_the_address_the_visitor_used():
    links.set_visitor(links.visitor_base("https://kpi.example.org/Tendances", {}, None))
    assert links.page_url("Tendances", indicateur="CLI01") == "https://kpi.example.org/Tendances?indicateur=CLI01"
    assert links.page_url("Accueil") == "https://kpi.example.org/"


def test_the_configured_address_wins_over_the_visitors(monkeypatch):
    monkeypatch.setenv("ARDENNE_BASE_URL", "https://kpi.example.org/")
    links.set_visitor("http://10.0.0.5:8501")
    assert links.base_url() == "https://kpi.example.org"


def test_without_either_the_links_point_to_localhost_and_say_so():
    assert links.base_url() == "http://localhost:8501"
    assert links.leads_nowhere()
    warning = links.local_links_warning()
    assert "http://localhost:8501" in warning and "ARDENNE_BASE_URL" in warning and "ne mènent" in warning


@pytest.mark.parametrize(
    ("url", "nowhere"),
    [
        ("http://localhost:8501", True),
        ("http://127.0.0.1:8502", True),
        ("http://[::1]:8501", True),
        ("http://0.0.0.0:8501", True),
        ("http://app.localhost", True),
        ("https://kpi.example.org", False),
        ("http://192.168.1.20:8501", False),
    ],
)
def test_which_addresses_lead_nowhere_outside_the_machine(url, nowhere):
    assert links.leads_nowhere(url) is nowhere


def test_the_browsers_address_keeps_a_base_path_and_drops_the_page():
    assert links.visitor_base("https://example.org/kpi/Couverture", {}, None) == "https://example.org/kpi"
    assert links.visitor_base("https://example.org/kpi/", {}, None) == "https://example.org/kpi"
    assert links.visitor_base("https://example.org", {}, None) == "https://example.org"


def test_without_the_browsers_address_the_host_header_gives_it():
    assert links.visitor_base(None, {"Host": "kpi.example.org:8501"}, "192.0.2.4") == "http://kpi.example.org:8501"
    assert links.visitor_base(None, {}, "192.0.2.4") is None
    assert links.visitor_base(None, {"Host": "bad host/<script>"}, "192.0.2.4") is None


def test_forwarded_host_and_scheme_are_believed_only_from_the_trusted_proxy(monkeypatch):
    headers = {"Host": "127.0.0.1:8501", "X-Forwarded-Host": "kpi.example.org", "X-Forwarded-Proto": "https"}
    assert links.visitor_base(None, headers, "203.0.113.7") == "http://127.0.0.1:8501"  # anyone could send them
    monkeypatch.setenv("ARDENNE_TRUSTED_PROXY", "127.0.0.1")
    assert links.visitor_base(None, headers, None) == "https://kpi.example.org"  # the proxy, on this machine
    assert links.visitor_base(None, headers, "203.0.113.7") == "http://127.0.0.1:8501"


def test_export_pack_says_on_stderr_when_its_links_lead_to_localhost(empty_db_path, tmp_path, capsys, monkeypatch):
    out = tmp_path / "dossier.pdf"
    assert main(["export", "pack", "--out", str(out), "--no-xlsx", "--db", str(empty_db_path)]) == 0
    printed = capsys.readouterr()
    assert "Attention" in printed.err and "http://localhost:8501" in printed.err
    assert "localhost" not in printed.out
    monkeypatch.setenv("ARDENNE_BASE_URL", "https://kpi.example.org")
    assert main(["export", "pack", "--out", str(out), "--no-xlsx", "--db", str(empty_db_path)]) == 0
    assert capsys.readouterr().err == ""


def test_suivi_warns_the_coordinator_when_the_pack_and_reminders_would_link_to_localhost(demo_db_path, monkeypatch):
    at = run_page("pages/5_Suivi.py", demo_db_path)
    assert not at.exception
    assert any("ne mène qu'à la machine" in w.value for w in at.warning)
    monkeypatch.setenv("ARDENNE_BASE_URL", "https://kpi.example.org")
    at = run_page("pages/5_Suivi.py", demo_db_path)
    assert not any("ne mène qu'à la machine" in w.value for w in at.warning)
