"""Who may do what: accounts, roles, password checks and the sign-in rate limit.

Roles: `admin` (framework, rollbacks, snapshots, everything), `partner` bound to one or
more operators (templates and uploads for those operators only; reads every dashboard),
`viewer` (read-only dashboards and downloads).

Accounts live in a YAML file OUTSIDE the repository: `ARDENNE_ACCOUNTS`, else
`~/.config/ardenne-kpi/accounts.yaml`. Passwords are stored as argon2id hashes, never in
plain text. With no accounts file the app runs in local mode: one person on their own
machine, acting as administrator, with a banner saying there is no authentication.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ardenne_kpi.errors import ArdenneError

ROLES = ("admin", "partner", "viewer")
ROLE_LABELS = {"admin": "coordination (administrateur)", "partner": "partenaire", "viewer": "lecture seule"}
DEFAULT_ACCOUNTS_PATH = Path.home() / ".config" / "ardenne-kpi" / "accounts.yaml"

# Sign-in rate limit: after MAX_FAILURES failures in WINDOW seconds, wait LOCKOUT seconds.
MAX_FAILURES = 5
WINDOW = 300.0
LOCKOUT = 60.0

_hasher = PasswordHasher()


class AccessError(ArdenneError):
    """An action the signed-in user may not do; the message says why in one sentence."""

    title = "Action non autorisée"


@dataclass(frozen=True)
class User:
    name: str
    role: str
    operators: tuple[str, ...] = ()
    local: bool = False  # local mode: no accounts configured

    @property
    def label(self) -> str:
        ops = f" ({', '.join(self.operators)})" if self.operators else ""
        return f"{self.name} · {ROLE_LABELS[self.role]}{ops}"


LOCAL_USER = User(name="utilisateur local", role="admin", local=True)


def accounts_path() -> Path:
    """Where the accounts file is: ARDENNE_ACCOUNTS, else ~/.config/ardenne-kpi/accounts.yaml."""
    return Path(os.environ.get("ARDENNE_ACCOUNTS") or DEFAULT_ACCOUNTS_PATH)


def _read(path: Path) -> dict:
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return data.get("users") or {}


def auth_enabled(path: Path | None = None) -> bool:
    """True when at least one account is configured (otherwise: local mode)."""
    return bool(_read(path or accounts_path()))


def add_user(name: str, role: str, password: str, operators: list[str] | tuple[str, ...] = (),
             *, known_operators: set[str] | None = None, path: Path | None = None) -> User:
    """Create or replace an account; the password is stored as an argon2id hash."""
    path = path or accounts_path()
    name = name.strip()
    if not name:
        raise ArdenneError("Le nom d'utilisateur est vide.")
    if role not in ROLES:
        raise ArdenneError(f"Rôle « {role} » inconnu : choisissez admin, partner ou viewer.")
    operators = tuple(operators)
    if role == "partner" and not operators:
        raise ArdenneError("Un partenaire est rattaché à au moins un opérateur : ajoutez --operator CODE.")
    if role != "partner" and operators:
        raise ArdenneError("Seul un partenaire est rattaché à des opérateurs.")
    unknown = [o for o in operators if known_operators is not None and o not in known_operators]
    if unknown:
        raise ArdenneError(f"Opérateur(s) inconnu(s) du référentiel : {', '.join(unknown)}.")
    if len(password) < 10:
        raise ArdenneError("Le mot de passe doit compter au moins 10 caractères.")
    users = _read(path)
    users[name] = {"role": role, "operators": list(operators), "password_hash": _hasher.hash(password)}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    # private from its first byte: created 0600, never readable by others even for an instant
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(yaml.safe_dump({"users": users}, allow_unicode=True, sort_keys=True))
    os.chmod(tmp, 0o600)  # whatever the umask
    tmp.replace(path)
    return User(name=name, role=role, operators=operators)


def remove_user(name: str, path: Path | None = None) -> bool:
    path = path or accounts_path()
    users = _read(path)
    if name not in users:
        return False
    del users[name]
    path.write_text(yaml.safe_dump({"users": users}, allow_unicode=True, sort_keys=True), encoding="utf-8")
    return True


def list_users(path: Path | None = None) -> list[User]:
    return [User(name=n, role=u.get("role", "viewer"), operators=tuple(u.get("operators") or ()))
            for n, u in sorted(_read(path or accounts_path()).items())]


@dataclass
class RateLimiter:
    """Failed sign-ins per user name, kept in the server process (shared by all sessions)."""

    failures: dict[str, list[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_time(self, name: str, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        with self.lock:
            recent = [t for t in self.failures.get(name, []) if now - t < WINDOW]
            self.failures[name] = recent
            if len(recent) >= MAX_FAILURES:
                return max(0.0, recent[-1] + LOCKOUT - now)
            return 0.0

    def failed(self, name: str, now: float | None = None) -> None:
        with self.lock:
            self.failures.setdefault(name, []).append(time.monotonic() if now is None else now)

    def succeeded(self, name: str) -> None:
        with self.lock:
            self.failures.pop(name, None)


LIMITER = RateLimiter()


def authenticate(name: str, password: str, *, path: Path | None = None, limiter: RateLimiter = LIMITER) -> User:
    """The user when name and password match; AccessError otherwise (rate-limited)."""
    name = name.strip()
    wait = limiter.wait_time(name)
    if wait > 0:
        raise AccessError(f"Trop d'essais infructueux : réessayez dans {int(wait) + 1} secondes.")
    record = _read(path or accounts_path()).get(name)
    try:
        if record is None:
            _hasher.hash(password)  # same cost whether or not the name exists
            raise VerifyMismatchError
        _hasher.verify(record["password_hash"], password)
    except (VerificationError, InvalidHashError, KeyError):
        limiter.failed(name)
        raise AccessError("Nom d'utilisateur ou mot de passe incorrect.") from None
    limiter.succeeded(name)
    return User(name=name, role=record.get("role", "viewer"), operators=tuple(record.get("operators") or ()))


# ---------------------------------------------------------------- permissions


def can_upload(user: User, operator: str | None) -> bool:
    if user.role == "admin":
        return True
    return user.role == "partner" and operator is not None and operator in user.operators


def check_upload(user: User, operator: str | None) -> None:
    if not can_upload(user, operator):
        if user.role == "viewer":
            raise AccessError("Votre compte est en lecture seule : il ne peut pas importer de rapport.")
        raise AccessError(f"Votre compte importe pour {', '.join(user.operators) or 'aucun opérateur'} "
                          f"seulement, pas pour « {operator} ».")


def upload_operators(user: User, all_operators: list[str]) -> list[str]:
    """The operators this user may upload or build templates for."""
    if user.role == "admin":
        return list(all_operators)
    if user.role == "partner":
        return [o for o in all_operators if o in user.operators]
    return []


def is_admin(user: User) -> bool:
    return user.role == "admin"


def check_admin(user: User, action: str) -> None:
    """`action` completes « Seule la coordination peut … »."""
    if not is_admin(user):
        raise AccessError(f"Seule la coordination (administrateur) peut {action}.")
