"""One settings module: the only reader of the environment and of secrets.toml, every setting
in the README's table, and what an installed copy needs declared in pyproject.toml."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

from ardenne_kpi.core import accounts, links, settings
from ardenne_kpi.core.errors import ArdenneError
from ardenne_kpi.db import sharing
from ardenne_kpi.intake import guard
from ardenne_kpi.reporting import reminders

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [
    p
    for p in [*sorted((ROOT / "ardenne_kpi").rglob("*.py")), ROOT / "app.py", ROOT / "serve.py"]
    + sorted((ROOT / "pages").glob("*.py"))
    if p != ROOT / "ardenne_kpi" / "core" / "settings.py"
]


def _environment_reads(path: Path) -> list[str]:
    """Where `path` reads the environment: os.environ, os.getenv, os.environ.get… by line."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb"):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} os.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            found += [f"{path.relative_to(ROOT)}:{node.lineno} from os import {a.name}" for a in node.names]
    return found


def test_only_the_settings_module_reads_the_environment():
    reads = [read for path in SOURCES for read in _environment_reads(path)]
    assert reads == []


def test_no_module_names_a_setting_the_settings_module_does_not_know():
    known = set(settings.SETTINGS)
    named = {
        name
        for path in SOURCES
        for name in re.findall(r"\bARDENNE_[A-Z_]+[A-Z]\b", path.read_text(encoding="utf-8"))
        if not name.startswith("ARDENNE_TEST_")
    }
    assert named - known == set()


def test_every_setting_is_in_the_readme_table_with_its_type_default_and_doc():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `([A-Z_]+)` \|.*\|$", readme, re.MULTILINE)}
    assert set(rows) == set(settings.SETTINGS)
    for name, setting in settings.SETTINGS.items():
        assert setting.doc in rows[name], name
        if setting.default not in (None, "", [], False) and name != "ARDENNE_DB":
            default = setting.default
            shown = int(default) if isinstance(default, float) and default.is_integer() else default
            assert f"`{shown}`" in rows[name], name


def test_the_settings_are_read_when_asked_for_and_empty_means_unset(monkeypatch):
    monkeypatch.setenv("ARDENNE_BASE_URL", "https://kpi.example.org/")
    assert links.base_url() == "https://kpi.example.org"
    monkeypatch.setenv("ARDENNE_BASE_URL", "")
    assert links.base_url() == "http://localhost:8501"
    monkeypatch.setenv("ARDENNE_TRUSTED_PROXY", " 10.0.0.1, ,10.0.0.2")
    assert settings.get("ARDENNE_TRUSTED_PROXY") == ["10.0.0.1", "10.0.0.2"]
    monkeypatch.setenv("ARDENNE_MAX_UPLOAD_MB", "0.5")
    assert guard.max_upload_bytes() == 2**19


def test_an_unreadable_number_names_its_setting_but_the_wait_falls_back(monkeypatch):
    monkeypatch.setenv("ARDENNE_MAX_UPLOAD_MB", "vingt")
    with pytest.raises(ArdenneError, match="ARDENNE_MAX_UPLOAD_MB vaut « vingt » : écrivez un nombre"):
        guard.max_upload_bytes()
    monkeypatch.setenv("ARDENNE_DB_WAIT", "une minute")
    assert sharing.wait_limit() == 60.0


def test_a_secret_comes_from_secrets_toml_before_the_environment(tmp_path, monkeypatch):
    user_file, project_file = tmp_path / "user.toml", tmp_path / "project.toml"
    user_file.write_text('ARDENNE_SMTP_PASSWORD = "du-poste"\nARDENNE_SMTP_USER = "anne"\n', encoding="utf-8")
    project_file.write_text('ARDENNE_SMTP_PASSWORD = "du-projet"\n[auth]\nclient_id = "x"\n', encoding="utf-8")
    monkeypatch.setattr(settings, "SECRETS_FILES", (user_file, project_file, tmp_path / "absent.toml"))
    monkeypatch.setenv("ARDENNE_SMTP_HOST", "smtp.example.org")
    monkeypatch.setenv("ARDENNE_SMTP_PASSWORD", "de-l-environnement")
    monkeypatch.setenv("ARDENNE_SMTP_USER", "")
    smtp = reminders.SmtpSettings.from_env()
    assert (smtp.host, smtp.user, smtp.password, smtp.port) == ("smtp.example.org", "anne", "du-projet", 587)
    # Only secrets are read there: a host in secrets.toml is not a setting of the app.
    project_file.write_text('ARDENNE_SMTP_HOST = "ailleurs"\n', encoding="utf-8")
    monkeypatch.delenv("ARDENNE_SMTP_HOST")
    assert reminders.SmtpSettings.from_env() is None


def test_an_unreadable_secrets_file_is_one_french_sentence(tmp_path, monkeypatch):
    broken = tmp_path / "secrets.toml"
    broken.write_text("ARDENNE_SMTP_PASSWORD = \n", encoding="utf-8")
    monkeypatch.setattr(settings, "SECRETS_FILES", (broken,))
    with pytest.raises(ArdenneError, match="Le fichier des secrets .* est illisible"):
        settings.raw("ARDENNE_SMTP_PASSWORD")


def test_the_accounts_file_follows_its_settings(tmp_path, monkeypatch):
    monkeypatch.delenv("ARDENNE_ACCOUNTS", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert accounts.accounts_path() == tmp_path / "ardenne-kpi" / "accounts.yaml"
    monkeypatch.setenv("ARDENNE_ACCOUNTS", str(tmp_path / "comptes.yaml"))
    assert accounts.accounts_path() == tmp_path / "comptes.yaml"


# ---------------------------------------------------------------- an installable project


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].strip().lower().replace("_", "-")


def test_every_file_the_package_reads_is_declared_as_package_data():
    tool = _pyproject()["tool"]["setuptools"]
    declared = {(package, pattern) for package, patterns in tool["package-data"].items() for pattern in patterns}
    for path in (ROOT / "ardenne_kpi").rglob("*"):
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts:
            # a pattern is relative to its package's folder (site_templates/* under ardenne_kpi)
            assert any(
                path.is_relative_to(ROOT / p.replace(".", "/"))
                and path.relative_to(ROOT / p.replace(".", "/")).match(pattern)
                for p, pattern in declared
            ), path
    shipped = tool["package-dir"]["ardenne_kpi.data"]
    for name in ("framework.yaml", "demo.tar.xz"):
        assert (ROOT / shipped / name).is_file() and ("ardenne_kpi.data", name) in declared


def test_the_lock_pins_every_declared_dependency_and_nothing_loosely():
    project = _pyproject()["project"]
    declared = {_name(r) for r in project["dependencies"]} | {
        _name(r) for group in project["optional-dependencies"].values() for r in group
    }
    lines = [
        line.split("#")[0].strip() for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines()
    ]
    pins = [line for line in lines if line]
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+==[A-Za-z0-9.+!-]+", pin) for pin in pins), pins
    assert declared - {_name(pin) for pin in pins} == set()
    for requirements in ("requirements.txt", "requirements-dev.txt"):
        assert "-c requirements.lock" in (ROOT / requirements).read_text(encoding="utf-8").splitlines()


def test_the_listed_packages_are_the_folders_of_the_package():
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "ardenne_kpi").rglob("__init__.py")}
    assert listed == found | {"ardenne_kpi.data"}
