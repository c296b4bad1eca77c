"""Who may do what: accounts, roles, password checks and the sign-in rate limit.

Roles: `admin` (framework, rollbacks, snapshots, everything), `partner` bound to one or
more operators (templates and uploads for those operators only; reads every dashboard),
`viewer` (read-only dashboards and downloads).

Accounts live in a YAML file OUTSIDE the repository: `ARDENNE_ACCOUNTS`, else
`~/.config/ardenne-kpi/accounts.yaml` ($XDG_CONFIG_HOME if set). Passwords are stored as
argon2id hashes, never in plain text.

Sign-in fails closed (`auth_mode`): the app runs in local mode (one person on their own
machine, acting as administrator, with a banner saying so) only when nothing says accounts
are meant, or when asked for with ARDENNE_AUTH=local. Accounts are meant when
ARDENNE_ACCOUNTS names the file, when `users add` left its marker beside the file
(`required_marker`), or when the database remembers them (`db.mark_accounts`): then a
missing, empty, unreadable or malformed accounts file stops the app with a sentence saying
what to fix; an unknown role is refused when the file is read. The file is re-read whenever
it changes, so a removed or demoted account loses its rights at its next action.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NotRequired, TypedDict

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ardenne_kpi.core import settings
from ardenne_kpi.core.errors import AccessError, AccountsError, ArdenneError

ROLES = ("admin", "partner", "viewer")
ROLE_LABELS = {"admin": "coordination (administrateur)", "partner": "partenaire", "viewer": "lecture seule"}

# Sign-in attempts (RateLimiter): nothing locks for good. Past a few free failures, each
# further attempt waits, the delay doubling with every recent failure up to a ceiling, in
# three counts: one name from one address (the attacker's own: up to a quarter of an hour),
# one name from every address (the real user, elsewhere, waits 30 s at most), one address
# whatever the name. A visitor whose address is unknown counts in one shared address
# (UNKNOWN_CLIENT), so the limits hold on localhost too. An attempt counts before its
# password is checked and stops counting once it succeeded; `users unlock NAME` forgets a
# name's failures. Failures older than WINDOW seconds are forgotten.
MAX_FAILURES = 5  # free failures on one name
MAX_CLIENT_ATTEMPTS = 20  # free failures from one address
WINDOW = 3600.0
UNKNOWN_CLIENT = "(adresse inconnue)"
_clock = time.time  # wall-clock seconds: `users unlock`, another process, stamps the file with it


@dataclass(frozen=True)
class Delay:
    """How long an attempt waits after `failures` recent ones: none for the first `free`,
    then `first` seconds, doubling, never more than `ceiling`."""

    free: int
    first: float
    ceiling: float

    def after(self, failures: int) -> float:
        if failures < self.free:
            return 0.0
        return min(self.first * 2.0 ** min(failures - self.free, 30), self.ceiling)


NAME_FROM_CLIENT = Delay(MAX_FAILURES, 2.0, 900.0)
NAME_ANYWHERE = Delay(MAX_FAILURES, 2.0, 30.0)
CLIENT_ANY_NAME = Delay(MAX_CLIENT_ATTEMPTS, 2.0, 300.0)

# How the app decides who may do what (auth_mode).
ACCOUNTS = "accounts"
OIDC = "oidc"
LOCAL_REQUESTED = "local-requested"  # ARDENNE_AUTH=local
LOCAL_NO_ACCOUNTS = "local"  # no account was ever set up for this database

_hasher = PasswordHasher()


class Account(TypedDict):
    """One account of the file, as `load` checked it."""

    role: str
    operators: list[str]
    password_hash: str
    unlocked_at: NotRequired[float]  # wall-clock seconds of the last `users unlock`


# A key of the rate limiter: ("name", name), ("name", name, "client", client) or ("client", client).
LimitKey = tuple[str, ...]


@dataclass(frozen=True)
class User:
    name: str
    role: str
    operators: tuple[str, ...] = ()
    local: bool = False  # local mode: no accounts (see auth_mode)
    anonymous: bool = False  # a visitor of a public page who did not sign in: no rights at all

    @property
    def label(self) -> str:
        ops = f" ({', '.join(self.operators)})" if self.operators else ""
        return f"{self.name} · {ROLE_LABELS[self.role]}{ops}"


LOCAL_USER = User(name="utilisateur local", role="admin", local=True)
# Who reads a public page (Chiffres clés) without signing in: what the portal publishes, nothing else.
ANONYMOUS = User(name="visiteur", role="viewer", anonymous=True)


def accounts_path() -> Path:
    """Where the accounts file is: ARDENNE_ACCOUNTS, else ardenne-kpi/accounts.yaml in the
    user's configuration folder ($XDG_CONFIG_HOME, by default ~/.config)."""
    configured: Path | None = settings.get("ARDENNE_ACCOUNTS")
    if configured:
        return configured
    config: Path | None = settings.get("XDG_CONFIG_HOME")
    return (config or Path.home() / ".config") / "ardenne-kpi" / "accounts.yaml"


def required_marker(path: Path | None = None) -> Path:
    """The file, beside the accounts file, that says accounts were set up here: `users add`
    writes it and nothing removes it, so losing the accounts file (or restoring, or
    recreating, the base) closes the app instead of opening it in local mode."""
    path = Path(path or accounts_path())
    return path.with_name(path.name + ".required")


def remember_required(path: Path | None = None) -> None:
    """Write the required marker beside the accounts file (idempotent)."""
    marker = required_marker(path)
    if not marker.exists():
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(
            "Des comptes ont été créés pour ce tableau de bord : sans le fichier des comptes à "
            "côté de ce fichier, l'application reste fermée au lieu de s'ouvrir à tous (mode "
            "local). Supprimez ce fichier seulement pour revenir à dessein au mode local.\n",
            encoding="utf-8",
        )


_cache: dict[Path, tuple[tuple[int, int, int], dict[str, Account] | None]] = {}
_cache_lock = threading.Lock()


def load(path: Path | None = None) -> dict[str, Account] | None:
    """The accounts of the file, by name (role, operators, password_hash), checked; None when
    the file does not exist. AccountsError (French) for an unreadable or malformed file, an
    unknown role, an account without password or a partner without operator.

    Cheap to call on every rerun: the parsed file is kept until its modification time, size
    or inode change."""
    path = Path(path or accounts_path())
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _unreadable(path, exc) from None
    stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
    with _cache_lock:
        hit = _cache.get(path)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    users = _parse(path)
    with _cache_lock:
        _cache[path] = (stamp, users)
    return users


def _unreadable(path: Path, exc: OSError) -> AccountsError:
    return AccountsError(
        f"Le fichier des comptes {path} est illisible ({exc.strerror or exc}) : donnez à "
        "l'utilisateur qui lance l'application le droit de le lire (il en est normalement le "
        "propriétaire, mode 600), puis rechargez la page."
    )


def _parse(path: Path) -> dict[str, Account] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise AccountsError(
            f"Le fichier des comptes {path} n'est pas un texte UTF-8 : recréez-le avec "
            "`python -m ardenne_kpi users add`."
        ) from None
    except OSError as exc:
        raise _unreadable(path, exc) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (ligne {mark.line + 1})" if mark is not None else ""
        raise AccountsError(
            f"Le fichier des comptes {path} n'est pas un YAML valide{where} : corrigez-le, ou "
            "remettez la dernière version sauvegardée, ou recréez les comptes avec "
            "`python -m ardenne_kpi users add`."
        ) from None
    if data is None:
        return {}
    users = data.get("users") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(users, dict | None):
        raise AccountsError(
            f"Le fichier des comptes {path} doit commencer par « users: » suivi d'un compte par "
            "nom : recréez-le avec `python -m ardenne_kpi users add`."
        )
    checked = {}
    for name, record in (users or {}).items():
        checked[str(name)] = _check_record(path, str(name), record)
    return checked


def _check_record(path: Path, name: str, record: Any) -> Account:
    redo = f"recréez-le avec `python -m ardenne_kpi users add {name} --role …`"
    if not isinstance(record, dict):
        raise AccountsError(f"Le compte « {name} » du fichier {path} est mal écrit : {redo}.")
    role = record.get("role")
    if role not in ROLES:
        raise AccountsError(
            f"Le compte « {name} » du fichier {path} a le rôle « {role} », inconnu : les rôles "
            f"sont admin, partner et viewer. Corrigez-le, ou {redo}."
        )
    operators = record.get("operators") or []
    if not isinstance(operators, list) or not all(isinstance(o, str) for o in operators):
        raise AccountsError(f"Les opérateurs du compte « {name} » ({path}) doivent être une liste de codes : {redo}.")
    if role == "partner" and not operators:
        raise AccountsError(
            f"Le compte partenaire « {name} » ({path}) n'est rattaché à aucun opérateur : "
            f"recréez-le avec `python -m ardenne_kpi users add {name} --role partner --operator CODE`."
        )
    if not isinstance(record.get("password_hash"), str) or not record["password_hash"]:
        raise AccountsError(f"Le compte « {name} » du fichier {path} n'a pas de mot de passe (password_hash) : {redo}.")
    checked: Account = {"role": role, "operators": list(operators), "password_hash": record["password_hash"]}
    unlocked = record.get("unlocked_at")
    if unlocked is not None:
        if not isinstance(unlocked, int | float) or isinstance(unlocked, bool):
            raise AccountsError(
                f"Le compte « {name} » du fichier {path} a un « unlocked_at » qui n'est pas un nombre : "
                f"supprimez cette ligne, ou lancez `python -m ardenne_kpi users unlock {name}`."
            )
        checked["unlocked_at"] = float(unlocked)
    return checked


def _read(path: Path) -> dict[str, Account]:
    return dict(load(path) or {})


def auth_enabled(path: Path | None = None) -> bool:
    """True when at least one account is configured in the file."""
    return bool(load(path or accounts_path()))


def auth_mode(accounts_were_set_up: bool, path: Path | None = None) -> str:
    """How the app signs people in: ACCOUNTS, OIDC, LOCAL_REQUESTED (ARDENNE_AUTH=local) or
    LOCAL_NO_ACCOUNTS (no file, or an empty one, and no sign that accounts are meant).

    Fails closed: AccountsError, with what to fix, for an accounts file that is missing or
    empty when accounts are required: ARDENNE_ACCOUNTS names it (the deployment says where
    its accounts are), its required marker lies beside it (`users add` leaves it), the base
    remembers accounts (`accounts_were_set_up`) or ARDENNE_AUTH asks for them. Also for an
    unreadable or malformed file and an unknown ARDENNE_AUTH. The marker and the variable
    live outside the base: `restore` and `init --force` do not reach them."""
    configured = bool(settings.raw("ARDENNE_ACCOUNTS")) and path is None
    path = Path(path or accounts_path())
    asked = settings.raw("ARDENNE_AUTH").strip().lower()
    if asked == "local":
        return LOCAL_REQUESTED
    if asked not in ("", ACCOUNTS, OIDC):
        raise AccountsError(
            f"ARDENNE_AUTH={asked} n'est pas reconnu : laissez-le vide (comptes du fichier), "
            "ou mettez « local » (usage sur votre seul poste, sans connexion) ou « oidc »."
        )
    users = load(path)
    if users:
        return OIDC if asked == OIDC else ACCOUNTS
    marker = required_marker(path)
    if configured or marker.exists() or accounts_were_set_up or asked:
        state = "est introuvable" if users is None else "ne contient aucun compte"
        if configured:
            why = "la variable ARDENNE_ACCOUNTS le désigne"
            fix = (
                "Vérifiez le chemin donné par ARDENNE_ACCOUNTS (une faute de frappe ?) ou remettez ce fichier en place"
            )
        else:
            why = (
                "des comptes ont déjà été créés pour cette base"
                if accounts_were_set_up
                else f"des comptes ont déjà été créés ici ({marker.name} est à côté)"
                if marker.exists()
                else f"ARDENNE_AUTH={asked} demande des comptes"
            )
            fix = "Remettez ce fichier en place (ou faites pointer ARDENNE_ACCOUNTS vers lui)"
        raise AccountsError(
            f"Le fichier des comptes {path} {state}, alors que {why} : le tableau de bord reste fermé plutôt que "
            f"de s'ouvrir à tous. {fix}, ou créez un compte administrateur avec "
            "`python -m ardenne_kpi users add NOM --role admin`. Pour un usage sur votre seul poste, sans "
            "connexion, lancez l'application avec ARDENNE_AUTH=local."
        )
    return LOCAL_NO_ACCOUNTS


def current_user(user: User, path: Path | None = None) -> User | None:
    """The account of `user` as the file says now (role and operators re-read), or None when
    it was removed: a removed or demoted account loses its rights at its next action."""
    record = (load(path or accounts_path()) or {}).get(user.name)
    if record is None:
        return None
    return User(name=user.name, role=record["role"], operators=tuple(record["operators"]))


def password_stamp(name: str, path: Path | None = None) -> str | None:
    """A short fingerprint of the account's password hash: a changed password ends the
    sessions signed in with the old one."""
    import hashlib

    record = (load(path or accounts_path()) or {}).get(name)
    return hashlib.sha256(record["password_hash"].encode()).hexdigest()[:16] if record else None


def add_user(
    name: str,
    role: str,
    password: str,
    operators: list[str] | tuple[str, ...] = (),
    *,
    known_operators: set[str] | None = None,
    path: Path | None = None,
) -> User:
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
    _write(path, users)
    remember_required(path)
    return User(name=name, role=role, operators=operators)


def remove_user(name: str, path: Path | None = None) -> bool:
    path = path or accounts_path()
    users = _read(path)
    if name not in users:
        return False
    del users[name]
    _write(path, users)
    return True


def _write(path: Path, users: dict[str, Account]) -> None:
    """Replace the accounts file whole (written aside, renamed), private from its first byte:
    created 0600, never readable by others even for an instant."""
    from ardenne_kpi.core import storage  # whole or absent: unnamed until complete, nothing left on a full disk

    data = yaml.safe_dump({"users": users}, allow_unicode=True, sort_keys=True).encode("utf-8")
    storage.write_bytes(path, data, what="le fichier des comptes", mode=0o600)


def list_users(path: Path | None = None) -> list[User]:
    """Every account, by name; AccountsError (French) when the file is malformed."""
    return [
        User(name=n, role=u["role"], operators=tuple(u["operators"]))
        for n, u in sorted(_read(path or accounts_path()).items())
    ]


def _wait_message(wait: float) -> str:
    seconds = int(wait) + 1
    when = f"{seconds} secondes" if seconds < 120 else f"{(seconds + 59) // 60} minutes"
    return (
        f"Trop d'essais infructueux : réessayez dans {when}. Si le délai revient alors que vous "
        "tapez le bon mot de passe, la coordination peut le lever (`python -m ardenne_kpi users unlock NOM`)."
    )


@dataclass
class RateLimiter:
    """Sign-in attempts kept in the server process (shared by all its sessions), per name,
    per name and client, per client: each count makes later attempts wait (see Delay), none
    locks for good. An attempt counts before its password is checked, so parallel attempts
    cannot all be checked; it stops counting once it succeeded."""

    failures: dict[LimitKey, list[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _wait(self, key: LimitKey, delay: Delay, now: float, since: float | None = None) -> float:
        oldest = max(now - WINDOW, since or 0.0)
        recent = [t for t in self.failures.get(key, []) if t >= oldest]
        if recent:
            self.failures[key] = recent
        else:
            self.failures.pop(key, None)
        return max(0.0, recent[-1] + delay.after(len(recent)) - now) if recent else 0.0

    @staticmethod
    def _keys(name: str, client: str | None) -> list[tuple[LimitKey, Delay]]:
        client = client or UNKNOWN_CLIENT
        return [
            (("name", name), NAME_ANYWHERE),
            (("name", name, "client", client), NAME_FROM_CLIENT),
            (("client", client), CLIENT_ANY_NAME),
        ]

    def wait_time(
        self, name: str, client: str | None = None, now: float | None = None, since: float | None = None
    ) -> float:
        """Seconds before `name` may be tried again from `client` (0: now)."""
        now = _clock() if now is None else now
        with self.lock:
            return max(
                self._wait(key, delay, now, since if key[0] == "name" else None)
                for key, delay in self._keys(name, client)
            )

    def begin(
        self, name: str, client: str | None = None, now: float | None = None, since: float | None = None
    ) -> float:
        """Count one attempt for `name` from `client` (None: an unknown address) and return
        its token, or raise AccessError while it must wait; checked and counted under one
        lock. Failures on the name before `since` (its last unlock) no longer count."""
        now = _clock() if now is None else now
        with self.lock:
            keys = self._keys(name, client)
            wait = max(self._wait(key, delay, now, since if key[0] == "name" else None) for key, delay in keys)
            if wait > 0:
                raise AccessError(_wait_message(wait))  # a refused attempt is not counted: it was not tried
            for key, _ in keys:
                self.failures.setdefault(key, []).append(now)
            return now

    def succeeded(self, name: str, client: str | None = None, token: float | None = None) -> None:
        """A right password: the name's failures are forgotten, the client's attempt uncounted."""
        client = client or UNKNOWN_CLIENT
        with self.lock:
            self.failures.pop(("name", name), None)
            self.failures.pop(("name", name, "client", client), None)
            attempts = self.failures.get(("client", client), [])
            if token in attempts:
                attempts.remove(token)


LIMITER = RateLimiter()


def authenticate(
    name: str, password: str, *, client: str | None = None, path: Path | None = None, limiter: RateLimiter = LIMITER
) -> User:
    """The user when name and password match; AccessError otherwise. Rate-limited per name
    and per client (its address; None: unknown, all such visitors counted together), the
    attempt counted before the password is checked."""
    name = name.strip()
    record = _read(path or accounts_path()).get(name)
    token = limiter.begin(name, client, since=record.get("unlocked_at") if record else None)
    try:
        if record is None:
            _hasher.hash(password)  # same cost whether or not the name exists
            raise VerifyMismatchError
        _hasher.verify(record["password_hash"], password)
    except (VerificationError, InvalidHashError, KeyError):
        raise AccessError("Nom d'utilisateur ou mot de passe incorrect.") from None
    limiter.succeeded(name, client, token)
    return User(name=name, role=record["role"], operators=tuple(record["operators"]))


def unlock_user(name: str, path: Path | None = None, now: float | None = None) -> None:
    """Forget the failed sign-ins on `name` (from every address): the running app reads the
    stamp from the accounts file at the next attempt. ArdenneError for an unknown name."""
    path = path or accounts_path()
    users = _read(path)
    if name not in users:
        raise ArdenneError(f"Aucun compte « {name} » dans {path}.")
    users[name] = {**users[name], "unlocked_at": _clock() if now is None else now}
    _write(path, users)


def client_address(peer: str | None, headers: Mapping[str, str]) -> str | None:
    """The visitor's address for the sign-in limits: the connection's own (`peer`, None when
    Streamlit hides a local one), unless that connection comes from the reverse proxy named
    by ARDENNE_TRUSTED_PROXY: then the address the proxy reports in ARDENNE_CLIENT_HEADER
    (X-Forwarded-For by default, of which the last entry, the one the proxy saw). A header
    from anyone else is ignored: it could say anything. None: unknown."""
    trusted = set(settings.get("ARDENNE_TRUSTED_PROXY"))
    direct = {peer} if peer else _LOOPBACK  # Streamlit answers None for 127.0.0.1 and ::1
    if trusted & direct:
        value = headers.get(settings.get("ARDENNE_CLIENT_HEADER"))
        if value and value.split(",")[-1].strip():
            return value.split(",")[-1].strip()
    return peer


_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


# ---------------------------------------------------------------- permissions


def can_upload(user: User, operator: str | None) -> bool:
    if user.role == "admin":
        return True
    return user.role == "partner" and operator is not None and operator in user.operators


def check_upload(user: User, operator: str | None) -> None:
    if not can_upload(user, operator):
        if user.role == "viewer":
            raise AccessError("Votre compte est en lecture seule : il ne peut pas importer de rapport.")
        raise AccessError(
            f"Votre compte importe pour {', '.join(user.operators) or 'aucun opérateur'} "
            f"seulement, pas pour « {operator} »."
        )


def upload_operators(user: User, all_operators: list[str]) -> list[str]:
    """The operators this user may upload or build templates for."""
    if user.role == "admin":
        return list(all_operators)
    if user.role == "partner":
        return [o for o in all_operators if o in user.operators]
    return []


def can_download_original(user: User, operator: str | None) -> bool:
    """Original files of uploads: the coordination reads all; a partner those of its own
    operators only; a viewer none (their values stay visible on every page)."""
    return user.role == "admin" or (user.role == "partner" and operator is not None and operator in user.operators)


def check_download_original(user: User, operator: str | None) -> None:
    if not can_download_original(user, operator):
        raise AccessError(
            "Fichier d'origine réservé à la coordination et à l'opérateur qui l'a envoyé : "
            "ses valeurs restent visibles ici ; demandez le fichier à la coordination si besoin."
        )


def is_admin(user: User) -> bool:
    return user.role == "admin"


def check_admin(user: User, action: str) -> None:
    """`action` completes « Seule la coordination peut … »."""
    if not is_admin(user):
        raise AccessError(f"Seule la coordination (administrateur) peut {action}.")
