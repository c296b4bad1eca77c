"""Sessions that survive a reload and a new tab (accounts mode): a signed, expiring token kept
in an HttpOnly cookie.

The token names the account and carries its fingerprint (`account_stamp`: a hash of its
password hash, role and operators), so a changed password, a removed or a demoted account
no longer matches it; and a random session number, which signing out revokes in this process
(the other tabs of the same browser share it and end at their next action). It is signed with
`itsdangerous` (timestamped: a token not renewed within ARDENNE_SESSION_IDLE_MINUTES expires),
with the key `session_key` gives.

The cookie is written by an HTTP answer (Streamlit has no API for an HttpOnly cookie): the
route `server.session_routes` answers the page's request (`ui`), and Streamlit's
`st.context.cookies` reads it back when a tab opens.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ardenne_kpi.core import accounts, settings, storage
from ardenne_kpi.core.accounts import User
from ardenne_kpi.core.errors import ArdenneError, SessionKeyError

COOKIE = "ardenne_session"
# Where the page sends its token for the cookie (server.session_routes): outside Streamlit's
# reserved prefixes (/_stcore/, /media/, /component/, /static/).
ROUTE = "/_ardenne/session"
# The header the page's request must carry: a custom header cannot be sent from another site
# without a CORS preflight this server never grants, so no other site can set or clear the cookie.
GUARD_HEADER = "X-Ardenne-Session"
_SALT = "ardenne-kpi session"
_clock = time.time


def idle_seconds() -> float:
    """How long a session lives without an action (ARDENNE_SESSION_IDLE_MINUTES)."""
    return max(float(settings.get("ARDENNE_SESSION_IDLE_MINUTES")), 1.0) * 60


def key_path() -> Path:
    """Where a generated key is kept: beside the accounts file, as private as it (mode 600)."""
    return accounts.accounts_path().with_name("session.key")


def session_key() -> str:
    """The key that signs the session cookie: ARDENNE_SESSION_KEY (secrets.toml), else one
    generated at first use and kept in `key_path()`, so that a coordinator's own machine needs
    no step and a restart keeps everyone signed in. SessionKeyError (French) when neither can
    be had."""
    configured = settings.raw("ARDENNE_SESSION_KEY")
    if configured:
        return configured
    path = key_path()
    try:
        stored = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        stored = ""
    except OSError as exc:
        raise _no_key(path, exc) from None
    if stored:
        return stored
    try:
        storage.write_bytes(path, secrets.token_urlsafe(48).encode(), what="la clé des sessions", mode=0o600)
        return path.read_text(encoding="utf-8").strip()
    except (OSError, ArdenneError) as exc:
        raise _no_key(path, exc) from None


def _no_key(path: Path, exc: Exception) -> SessionKeyError:
    return SessionKeyError(
        f"La clé des sessions ne peut être ni lue ni créée dans {path} ({exc}) : la connexion ne "
        "survivra pas à un rechargement de la page. Mettez une longue chaîne aléatoire dans "
        "ARDENNE_SESSION_KEY, dans le fichier secrets.toml (voir le README)."
    )


def account_stamp(name: str, path: Path | None = None) -> str | None:
    """A fingerprint of the account as the file says now (password hash, role, operators):
    any change ends the sessions opened before it. None for an account that does not exist."""
    record = (accounts.load(path or accounts.accounts_path()) or {}).get(name)
    if record is None:
        return None
    text = "\0".join([record["password_hash"], record["role"], *record["operators"]])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Session:
    """A verified token: its account (as the file says now), its session number, when it was
    signed (to renew it before it expires)."""

    user: User
    sid: str
    signed_at: float


def renewal_due(signed_at: float, now: float | None = None) -> bool:
    """Whether a token signed at `signed_at` is past a quarter of the idle time: the page then
    renews the cookie, so that a session in use never expires."""
    return (_clock() if now is None else now) - signed_at > idle_seconds() / 4


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(session_key(), salt=_SALT)


def new_sid() -> str:
    """A new session number: random, shared by the tabs the session's cookie opens."""
    return secrets.token_urlsafe(12)


def issue(user: User, sid: str, path: Path | None = None) -> str:
    """A token for `user`'s account in session `sid` (new_sid; the same one to renew it)."""
    stamp = account_stamp(user.name, path)
    if stamp is None:
        raise ArdenneError(f"Aucun compte « {user.name} ».")
    return _serializer().dumps({"u": user.name, "a": stamp, "n": sid})


class Revoked:
    """Session numbers signed out in this process, forgotten once their tokens would have expired."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def add(self, sid: str) -> None:
        now = _clock()
        with self._lock:
            self._until = {s: t for s, t in self._until.items() if t > now}
            self._until[sid] = now + idle_seconds()

    def __contains__(self, sid: object) -> bool:
        with self._lock:
            return isinstance(sid, str) and self._until.get(sid, 0.0) > _clock()


REVOKED = Revoked()


def verify(token: str | None, path: Path | None = None) -> Session | None:
    """The session `token` opens, or None: no token, a forged or expired one, a signed-out
    session, an account removed, demoted, promoted or whose password changed since. A missing
    key (SessionKeyError) also gives None: nothing can have been signed."""
    if not token:
        return None
    try:
        payload, signed = _serializer().loads(token, max_age=int(idle_seconds()), return_timestamp=True)
    except (BadSignature, SignatureExpired, SessionKeyError):  # SignatureExpired is a BadSignature
        return None
    if not isinstance(payload, dict) or payload.get("n") in REVOKED:
        return None
    name, stamp, sid = payload.get("u"), payload.get("a"), payload.get("n")
    if not isinstance(name, str) or not isinstance(sid, str) or stamp != account_stamp(name, path):
        return None
    user = accounts.current_user(User(name=name, role="viewer"), path)
    if user is None:
        return None
    return Session(user=user, sid=sid, signed_at=signed.timestamp())


def sign_out(token: str | None) -> None:
    """End the session of `token` (its other tabs too, at their next action)."""
    if not token:
        return
    try:
        payload = _serializer().loads(token)
    except (BadSignature, SessionKeyError):
        return
    if isinstance(payload, dict) and isinstance(payload.get("n"), str):
        REVOKED.add(payload["n"])


def cookie_header(token: str | None, *, secure: bool) -> str:
    """The Set-Cookie value that keeps `token` (None: that deletes the cookie): HttpOnly (the
    page's scripts never read it), SameSite=Lax (sent when a partner follows a reminder's
    link, never on another site's requests), Secure behind TLS, for the idle time."""
    age = int(idle_seconds()) if token else 0
    parts = [f"{COOKIE}={token or ''}", "Path=/", f"Max-Age={age}", "HttpOnly", "SameSite=Lax"]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)
