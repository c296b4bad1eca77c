"""Every setting of the app and the command line, in one place: the only module that reads
the environment, and Streamlit's `secrets.toml` for the secrets.

A setting is read when it is asked for (a test or a deployment may change it between two
calls): a secret from `secrets.toml` first (a root-level key of the same name, as Streamlit
itself exports root-level keys to the environment), then from the environment; any other
from the environment. An empty value counts as unset. The README's "Configuration" table
lists them all (a test holds it to `SETTINGS`).

Also where the shipped files are (the framework and the demo archive): beside the code in a
clone, inside the package once installed.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ardenne_kpi.core.errors import ArdenneError

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # ardenne_kpi/, this module being in core/
# A clone keeps its data folder beside the package; an installed copy carries its shipped
# files inside (pyproject.toml maps data/ to ardenne_kpi/data) and keeps its base in the
# folder it runs from.
_INSTALLED_DATA = PACKAGE_DIR / "data"
_TREE_DATA = PACKAGE_DIR.parent / "data"
SHIPPED_DIR = _INSTALLED_DATA if (_INSTALLED_DATA / "framework.yaml").is_file() else _TREE_DATA
DATA_DIR = _TREE_DATA if SHIPPED_DIR == _TREE_DATA else Path("data")

# Where Streamlit reads its secrets (its `secrets.files` default): the user's, then the
# project's in the folder the app runs from, the later overriding the earlier.
SECRETS_FILES = (Path.home() / ".streamlit" / "secrets.toml", Path(".streamlit") / "secrets.toml")


@dataclass(frozen=True)
class Setting:
    """One setting: its variable, the type of its value, its default (None: none) and a line
    saying what it does. `secret` ones may live in secrets.toml."""

    name: str
    type: type
    default: object
    doc: str
    secret: bool = False


SETTINGS = {
    s.name: s
    for s in (
        Setting(
            "ARDENNE_DB",
            Path,
            DATA_DIR / "ardenne.duckdb",
            "The database file when `--db` is not given (a clone's own `data/` folder; installed: `data/` in the "
            "current folder).",
        ),
        Setting(
            "ARDENNE_DB_WAIT",
            float,
            60.0,
            "Seconds a command or a page waits for the database held by another process before giving up "
            "(an unreadable value means the default).",
        ),
        Setting("ARDENNE_AUTH", str, "", "Sign-in: empty (the accounts file), `local`, `accounts` or `oidc`."),
        Setting(
            "ARDENNE_ACCOUNTS",
            Path,
            None,
            "The accounts file (once set, accounts are required); unset: `$XDG_CONFIG_HOME/ardenne-kpi/accounts.yaml`.",
        ),
        Setting(
            "XDG_CONFIG_HOME",
            Path,
            None,
            "The user's configuration folder (unset: `~/.config`), home of the accounts file.",
        ),
        Setting(
            "ARDENNE_TRUSTED_PROXY",
            list,
            [],
            "Addresses of the reverse proxies (comma-separated) whose client header is believed.",
        ),
        Setting(
            "ARDENNE_CLIENT_HEADER",
            str,
            "X-Forwarded-For",
            "The header in which a trusted proxy reports the visitor's address.",
        ),
        Setting(
            "ARDENNE_SESSION_KEY",
            str,
            "",
            "The key that signs the session cookie (unset: one generated beside the accounts file).",
            secret=True,
        ),
        Setting(
            "ARDENNE_SESSION_IDLE_MINUTES",
            float,
            480.0,
            "Minutes without an action after which a signed-in session ends (accounts mode).",
        ),
        Setting(
            "ARDENNE_BASE_URL",
            str,
            "http://localhost:8501",
            "The address others reach the app at, base of the links in the pack and the reminders "
            "(unset: the address the visitor used; the command line: the default).",
        ),
        Setting(
            "ARDENNE_PASSWORD_STDIN",
            bool,
            False,
            "Any value: `users add` reads the password from its standard input even at a terminal.",
        ),
        Setting(
            "ARDENNE_MAX_UPLOAD_MB",
            float,
            20.0,
            "Largest uploaded workbook, in MB (keep `server.maxUploadSize` equal).",
        ),
        Setting(
            "ARDENNE_PARSE_MEMORY_MB", float, 2048.0, "Memory limit of the child process that reads a workbook, in MB."
        ),
        Setting(
            "ARDENNE_PARSE_TIMEOUT", float, 60.0, "Time limit of the child process that reads a workbook, in seconds."
        ),
        Setting(
            "ARDENNE_SMTP_HOST", str, "", "The mail server that sends reminders from Suivi (unset: download only)."
        ),
        Setting("ARDENNE_SMTP_PORT", int, 587, "The mail server's port (465 by default with `ssl`)."),
        Setting("ARDENNE_SMTP_SECURITY", str, "starttls", "How to reach the mail server: `starttls`, `ssl` or `none`."),
        Setting("ARDENNE_SMTP_USER", str, "", "The mail server's user name (optional).", secret=True),
        Setting("ARDENNE_SMTP_PASSWORD", str, "", "The mail server's password (optional).", secret=True),
        Setting("ARDENNE_SMTP_FROM", str, "coordination@ardenne-kpi.invalid", "The reminders' sender."),
    )
}


def secrets() -> dict[str, Any]:
    """The root-level values of Streamlit's secrets files, the later file overriding the
    earlier (empty when there is none). Read with tomllib: this layer never imports streamlit."""
    found: dict[str, Any] = {}
    for path in SECRETS_FILES:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            continue
        try:
            found.update(tomllib.loads(text))
        except tomllib.TOMLDecodeError as exc:
            raise ArdenneError(
                f"Le fichier des secrets {path} est illisible ({exc}) : corrigez-le (format TOML).",
                title="Configuration illisible",
            ) from exc
    return found


def raw(name: str) -> str:
    """The text of setting `name` as configured, "" when unset."""
    setting = SETTINGS[name]
    if setting.secret:
        value = secrets().get(name)
        if value not in (None, ""):
            return str(value)
    return os.environ.get(name, "")


def get(name: str) -> Any:
    """The value of setting `name`, of its type, or its default when unset. A number that
    cannot be read is a French error naming the setting (ARDENNE_DB_WAIT: its default)."""
    setting = SETTINGS[name]
    text = raw(name)
    if not text:
        return setting.default
    if setting.type is bool:
        return True
    if setting.type is list:
        return [part.strip() for part in text.split(",") if part.strip()]
    if setting.type in (int, float):
        try:
            return setting.type(text)
        except ValueError:
            if name == "ARDENNE_DB_WAIT":
                return setting.default
            raise ArdenneError(
                f"{name} vaut « {text} » : écrivez un nombre ({setting.doc}).", title="Configuration illisible"
            ) from None
    return setting.type(text)


def environment() -> dict[str, str]:
    """A copy of the environment, for a child process to inherit."""
    return dict(os.environ)
