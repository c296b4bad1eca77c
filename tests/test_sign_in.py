"""Sign-in that fails closed: attempts counted before the check (per name and per client),
no silent local mode once accounts were set up, a malformed accounts file stops the app
with a sentence, removed or demoted accounts lose their rights at once, and partners
download only their own operators' original files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time

import pytest
import yaml

from ardenne_kpi import db
from ardenne_kpi.core import accounts
from ardenne_kpi.core.accounts import AccessError, AccountsError, RateLimiter, User
from ardenne_kpi.intake import importer
from ardenne_kpi.ui import SIGN_IN
from tests.browser_helpers import filled_template
from tests.conftest import ROOT, run_page

PASSWORD = "correct horse battery"


@pytest.fixture
def accounts_file(tmp_path):
    path = tmp_path / "accounts.yaml"
    accounts.add_user("coord", "admin", PASSWORD, path=path)
    accounts.add_user("ftlb", "partner", PASSWORD, ["FTLB"], path=path)
    accounts.add_user("elu", "viewer", PASSWORD, path=path)
    return path


@pytest.fixture
def marked_db(tmp_path, demo_db_path):
    """A copy of the demo base on which accounts were once set up."""
    path = tmp_path / "marked.duckdb"
    shutil.copy(demo_db_path, path)
    con = db.connect(path)
    db.mark_accounts(con)
    con.close()
    return path


# ---------------------------------------------------------------- the rate limit


def test_parallel_attempts_are_counted_before_the_password_is_checked(accounts_file, monkeypatch):
    checked = []
    real = accounts._hasher

    class SlowHasher:
        hash = staticmethod(real.hash)

        @staticmethod
        def verify(hash_, password):
            checked.append(password)
            time.sleep(0.2)  # every thread is inside the check at the same time
            return real.verify(hash_, password)

    monkeypatch.setattr(accounts, "_hasher", SlowHasher())
    limiter, answers = RateLimiter(), []
    barrier = threading.Barrier(12)

    def attempt(n):
        barrier.wait()
        try:
            accounts.authenticate("ftlb", f"guess {n}", path=accounts_file, limiter=limiter)
        except AccessError as exc:
            answers.append(exc.message)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(checked) == accounts.MAX_FAILURES
    assert sum("Trop d'essais" in a for a in answers) == 12 - accounts.MAX_FAILURES


def test_attempts_are_limited_per_client_across_names(accounts_file):
    limiter = RateLimiter()
    for n in range(accounts.MAX_CLIENT_ATTEMPTS):
        with pytest.raises(AccessError, match="incorrect"):
            accounts.authenticate(f"nom{n}", "nope", client="203.0.113.9", path=accounts_file, limiter=limiter)
    with pytest.raises(AccessError, match="Trop d'essais"):
        accounts.authenticate("coord", PASSWORD, client="203.0.113.9", path=accounts_file, limiter=limiter)
    assert (
        accounts.authenticate("coord", PASSWORD, client="198.51.100.4", path=accounts_file, limiter=limiter).role
        == "admin"
    )


def test_a_successful_sign_in_does_not_count_against_its_client(accounts_file):
    limiter = RateLimiter()
    for _ in range(accounts.MAX_CLIENT_ATTEMPTS + 2):
        accounts.authenticate("elu", PASSWORD, client="192.0.2.1", path=accounts_file, limiter=limiter)


# ---------------------------------------------------------------- local mode only when meant


def test_local_mode_when_no_account_was_ever_set_up(tmp_path):
    assert accounts.auth_mode(False, tmp_path / "none.yaml") == accounts.LOCAL_NO_ACCOUNTS
    (tmp_path / "empty.yaml").write_text("users: {}\n")
    assert accounts.auth_mode(False, tmp_path / "empty.yaml") == accounts.LOCAL_NO_ACCOUNTS


@pytest.mark.parametrize("content", [None, "", "users: {}\n", "users:\n"], ids=["missing", "empty", "no-users", "null"])
def test_no_accounts_after_setup_closes_the_app_with_what_to_do(tmp_path, content):
    path = tmp_path / "accounts.yaml"
    if content is not None:
        path.write_text(content)
    with pytest.raises(AccountsError) as info:
        accounts.auth_mode(True, path)
    message = info.value.message
    assert str(path) in message and "reste fermé" in message
    assert "users add NOM --role admin" in message and "ARDENNE_AUTH=local" in message


def test_local_mode_asked_for_explicitly(tmp_path, monkeypatch):
    monkeypatch.setenv("ARDENNE_AUTH", "local")
    assert accounts.auth_mode(True, tmp_path / "none.yaml") == accounts.LOCAL_REQUESTED
    monkeypatch.setenv("ARDENNE_AUTH", "locale")
    with pytest.raises(AccountsError, match="ARDENNE_AUTH=locale n'est pas reconnu"):
        accounts.auth_mode(False, tmp_path / "none.yaml")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("users: [\n", "n'est pas un YAML valide (ligne 2)"),
        ("- anne\n- bob\n", "doit commencer par « users: »"),
        ("users:\n  bob:\n    role: superuser\n    password_hash: x\n", "rôle « superuser », inconnu"),
        ("users:\n  bob:\n    role: admin\n", "n'a pas de mot de passe"),
        ("users:\n  bob:\n    role: partner\n    password_hash: x\n", "n'est rattaché à aucun opérateur"),
        ("users:\n  bob: admin\n", "est mal écrit"),
    ],
    ids=["yaml", "list", "unknown-role", "no-hash", "partner-alone", "not-a-mapping"],
)
def test_a_malformed_accounts_file_is_refused_at_load_even_before_setup(tmp_path, content, expected):
    path = tmp_path / "accounts.yaml"
    path.write_text(content)
    for marked in (False, True):
        with pytest.raises(AccountsError, match=expected.replace("(", r"\(").replace(")", r"\)")):
            accounts.auth_mode(marked, path)
    with pytest.raises(AccountsError):
        accounts.authenticate("bob", "x", path=path, limiter=RateLimiter())


def test_an_unreadable_accounts_file_says_what_to_fix(tmp_path):
    if os.geteuid() == 0:
        path = tmp_path / "dir-not-file.yaml"  # root reads everything: a folder stands in for a forbidden file
        path.mkdir()
    else:
        path = tmp_path / "accounts.yaml"
        path.write_text("users: {}\n")
        path.chmod(0)
    with pytest.raises(AccountsError, match="est illisible"):
        accounts.auth_mode(True, path)


def test_users_list_on_a_malformed_file_is_a_french_sentence(tmp_path):
    path = tmp_path / "accounts.yaml"
    path.write_text("users:\n  bob:\n    role: superuser\n    password_hash: x\n")
    done = subprocess.run(
        [sys.executable, "-m", "ardenne_kpi", "users", "list"],
        cwd=ROOT,
        env={**os.environ, "ARDENNE_ACCOUNTS": str(path)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("Comptes inutilisables : Le compte « bob »") and "superuser" in done.stderr


def test_users_add_marks_the_database(tmp_path, demo_db_path):
    base = tmp_path / "base.duckdb"
    shutil.copy(demo_db_path, base)
    env = {**os.environ, "ARDENNE_ACCOUNTS": str(tmp_path / "a.yaml"), "ARDENNE_PASSWORD_STDIN": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "ardenne_kpi", "users", "add", "anne", "--role", "admin", "--db", str(base)],
        cwd=ROOT,
        input=PASSWORD + "\n",
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    con = db.connect(base, read_only=True)
    try:
        assert db.accounts_marked(con)
    finally:
        con.close()


# ---------------------------------------------------------------- the app


def test_app_with_accounts_marks_its_base_then_stays_closed_without_the_file(tmp_path, demo_db_path, accounts_file):
    base = tmp_path / "base.duckdb"
    shutil.copy(demo_db_path, base)
    at = run_page("pages/1_Import.py", base, accounts_file=accounts_file)
    assert at.title[0].value == "Connexion"
    accounts_file.unlink()
    at = run_page("app.py", base)
    assert not at.exception
    assert not at.text_input and not at.metric and not at.dataframe, "no sign-in form, no data"
    assert "est introuvable" in at.error[0].value and "ARDENNE_AUTH=local" in at.error[0].value


def test_app_on_an_empty_accounts_file_after_setup_stays_closed(marked_db, tmp_path):
    empty = tmp_path / "accounts.yaml"
    empty.write_text("users: {}\n")
    at = run_page("pages/1_Import.py", marked_db, accounts_file=empty)
    assert not at.exception and not at.file_uploader and not at.dataframe
    assert "ne contient aucun compte" in at.error[0].value


def test_app_refuses_an_unknown_role_with_a_sentence(marked_db, tmp_path):
    bad = tmp_path / "accounts.yaml"
    bad.write_text("users:\n  bob:\n    role: superuser\n    password_hash: x\n")
    at = run_page("app.py", marked_db, accounts_file=bad)
    assert not at.exception and not at.text_input
    assert "superuser" in at.error[0].value


def test_local_mode_asked_for_says_so_in_the_banner(marked_db, monkeypatch):
    monkeypatch.setenv("ARDENNE_AUTH", "local")
    at = run_page("app.py", marked_db)
    assert not at.exception and at.metric
    assert any("Mode local demandé (ARDENNE_AUTH=local)" in w.value for w in at.warning)


def _rewrite(path, **changes):
    data = yaml.safe_load(path.read_text())
    for name, record in changes.items():
        if record is None:
            del data["users"][name]
        else:
            data["users"][name].update(record)
    time.sleep(0.01)  # a new modification time, even on coarse clocks
    path.write_text(yaml.safe_dump(data))


def _sign_in(page, base, accounts_file, name):
    at = run_page(page, base, accounts_file=accounts_file, query_params=SIGN_IN if page == "app.py" else None)
    at.text_input[0].input(name)
    at.text_input[1].input(PASSWORD)
    at.button[0].click().run()
    assert at.session_state["user"].name == name
    return at


def test_a_removed_account_is_signed_out_at_its_next_action(marked_db, accounts_file):
    at = _sign_in("pages/1_Import.py", marked_db, accounts_file, "coord")
    assert at.title[0].value != "Connexion"
    _rewrite(accounts_file, coord=None)
    at.run()
    assert not at.exception
    assert at.title[0].value == "Connexion" and "user" not in at.session_state
    assert any("n'existe plus" in w.value for w in at.warning)


def test_a_demoted_account_loses_its_rights_at_its_next_action(marked_db, accounts_file):
    at = _sign_in("pages/4_Referentiel.py", marked_db, accounts_file, "coord")
    assert any(e.label.startswith("Remplacer") for e in at.expander)
    _rewrite(accounts_file, coord={"role": "viewer"})
    at.run()
    assert not at.exception
    assert not any(e.label.startswith("Remplacer") for e in at.expander)
    assert at.session_state["user"] == User("coord", "viewer")


def test_a_changed_password_ends_the_sessions_signed_in_with_the_old_one(marked_db, accounts_file):
    at = _sign_in("app.py", marked_db, accounts_file, "elu")
    accounts.add_user("elu", "viewer", "un tout autre mot de passe", path=accounts_file)
    at.run()
    assert at.title[0].value == "Connexion"
    assert any("mot de passe de votre compte a changé" in w.value for w in at.warning)


# ---------------------------------------------------------------- original files


@pytest.fixture
def two_uploads(tmp_path, fw):
    path = tmp_path / "uploads.duckdb"
    con = db.connect(path)
    db.sync_framework(con, fw)
    ids = {}
    for operator in ("FTLB", "ADT08"):
        data = filled_template(con, fw, operator, "S05")
        result = importer.import_file(con, data, f"{operator}.xlsx", user="coord", db_path=path, framework=fw)
        ids[operator] = result.upload_id
    con.close()
    return path, ids


def test_partners_download_only_their_own_operators_original_files(two_uploads):
    path, ids = two_uploads
    partner, viewer, admin = User("ftlb", "partner", ("FTLB",)), User("elu", "viewer"), User("coord", "admin")
    con = db.connect(path)

    def download(upload_id: int, user: User) -> tuple[str, bytes] | None:
        """What the pages do: the account checked at the entry point, then the engine reads the file."""
        accounts.check_download_original(user, importer.upload_operator(con, upload_id))
        return importer.original_file(con, upload_id)

    try:
        assert download(ids["FTLB"], partner)[0] == "FTLB.xlsx"
        with pytest.raises(AccessError, match="réservé à la coordination et à l'opérateur"):
            download(ids["ADT08"], partner)
        for upload_id in ids.values():
            with pytest.raises(AccessError):
                download(upload_id, viewer)
            assert download(upload_id, admin) is not None
    finally:
        con.close()


def test_import_page_offers_a_partner_no_other_operators_file(two_uploads, accounts_file):
    path, ids = two_uploads
    partner = User("ftlb", "partner", ("FTLB",))
    at = run_page(
        "pages/1_Import.py",
        path,
        user=partner,
        accounts_file=accounts_file,
        query_params={"onglet": "Historique et annulation"},
    )
    choice = at.selectbox(key="history_choice")
    offered = []
    for index in range(len(choice.options)):
        at.selectbox(key="history_choice").set_value(index).run()
        labels = [b.label for b in at.get("download_button")]
        refused = any("réservé à la coordination" in c.value for c in at.caption)
        offered.append(("Télécharger le fichier d'origine" in labels, refused))
    assert not at.exception
    assert sorted(offered) == [(False, True), (True, False)], "its own file only; the other one says why"


# ---------------------------------------------------------------- accounts stay required (issue 24, finding 8)


def _cli(*args, env=None, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "ardenne_kpi", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
    )


def _assert_closed(at, *expected):
    assert not at.exception
    assert not at.text_input and not at.metric and not at.dataframe, "no sign-in form, no data"
    message = at.error[0].value
    assert "reste fermé" in message and all(e in message for e in expected), message


@pytest.fixture
def base_with_accounts(tmp_path):
    """A new empty base (command line) on which `users add` set up the coordinator's account."""
    base = tmp_path / "data" / "base.duckdb"
    base.parent.mkdir()
    done = _cli("init", "--empty", "--db", str(base))
    assert done.returncode == 0, done.stderr
    accounts_file = tmp_path / "conf" / "accounts.yaml"
    return base, accounts_file


def _add_coordinator(base, accounts_file):
    env = {"ARDENNE_ACCOUNTS": str(accounts_file), "ARDENNE_PASSWORD_STDIN": "1"}
    done = _cli("users", "add", "coord", "--role", "admin", "--db", str(base), env=env, stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr


def test_after_restoring_a_backup_from_before_accounts_a_mistyped_accounts_path_keeps_the_app_closed(
    tmp_path, base_with_accounts
):
    base, accounts_file = base_with_accounts
    archive = tmp_path / "before-accounts.zip"
    assert _cli("backup", "--db", str(base), "--out", str(archive)).returncode == 0
    _add_coordinator(base, accounts_file)
    done = _cli("restore", str(archive), "--db", str(base))
    assert done.returncode == 0, done.stderr
    mistyped = accounts_file.with_name("acounts.yaml")
    at = run_page("app.py", base, accounts_file=mistyped)
    _assert_closed(at, str(mistyped), "ARDENNE_ACCOUNTS")


def test_after_init_force_a_mistyped_accounts_path_keeps_the_app_closed(base_with_accounts):
    base, accounts_file = base_with_accounts
    _add_coordinator(base, accounts_file)
    done = _cli("init", "--empty", "--force", "--db", str(base))
    assert done.returncode == 0, done.stderr
    at = run_page("pages/1_Import.py", base, accounts_file=accounts_file.with_name("accounts.yml"))
    _assert_closed(at, "ARDENNE_ACCOUNTS")


def test_after_init_force_a_lost_default_accounts_file_keeps_the_app_closed(tmp_path, base_with_accounts, monkeypatch):
    """No ARDENNE_ACCOUNTS: the file in the configuration folder, its marker beside it."""
    base, _ = base_with_accounts
    home = tmp_path / "home"  # never the real ~/.config, whatever the code reads
    env = {"HOME": str(home), "ARDENNE_PASSWORD_STDIN": "1"}
    done = _cli("users", "add", "coord", "--role", "admin", "--db", str(base), env=env, stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    assert _cli("init", "--empty", "--force", "--db", str(base), env=env).returncode == 0
    default = accounts.accounts_path()
    assert default.exists() and accounts.required_marker(default).exists()
    default.unlink()  # moved away, deleted by mistake...
    at = run_page("app.py", base)
    _assert_closed(at, str(default), "accounts.yaml.required")


def test_local_mode_still_opens_where_no_account_was_ever_meant(tmp_path):
    done = _cli("init", "--empty", "--db", str(tmp_path / "base.duckdb"))
    assert done.returncode == 0, done.stderr
    at = run_page("app.py", tmp_path / "base.duckdb")
    assert not at.exception and at.title[0].value != "Connexion"
    assert any("Mode local, sans authentification" in w.value for w in at.warning)


# ---------------------------------------------------------------- guessing passwords (issue 24, finding 9)


class _Connection:
    """What Streamlit knows of a visitor's connection: its address (st.context.ip_address
    then says None for a local one) and the headers of its first request."""

    def __init__(self) -> None:
        self.remote_ip = "127.0.0.1"
        self.headers: list[tuple[str, str]] = []
        self.cookies: dict[str, str] = {}


@pytest.fixture
def connection(monkeypatch):
    """The connection the next page run sees (AppTest has none of its own)."""
    import streamlit.runtime.context as context

    current = _Connection()
    monkeypatch.setattr(context, "_get_client_context", lambda: current)
    return current


def _try(at, name, password):
    at.text_input[0].input(name)
    at.text_input[1].input(password)
    at.button[0].click().run()
    assert not at.exception
    return at.error[0].value if at.error else None


@pytest.fixture
def clock(monkeypatch):
    """The sign-in limits' clock, still until a test moves it (`clock[0] += seconds`)."""
    now = [1_000_000.0]
    monkeypatch.setattr(accounts, "_clock", lambda: now[0], raising=False)
    return now


def test_guesses_from_localhost_are_limited_although_streamlit_gives_no_address(
    marked_db, accounts_file, connection, clock
):
    sessions = [run_page("app.py", marked_db, accounts_file=accounts_file, query_params=SIGN_IN) for _ in range(4)]
    answers = [_try(sessions[n % 4], f"nom{n}", "devine") for n in range(accounts.MAX_CLIENT_ATTEMPTS + 8)]
    assert all("incorrect" in a for a in answers[: accounts.MAX_CLIENT_ATTEMPTS])
    assert all("Trop d'essais" in a for a in answers[accounts.MAX_CLIENT_ATTEMPTS :])


def test_a_forged_forwarded_address_does_not_escape_the_limit(marked_db, accounts_file, connection, clock, monkeypatch):
    """The port reached directly, ARDENNE_CLIENT_HEADER set (as behind a proxy) but the visitor
    is not the trusted proxy: its X-Forwarded-For could say anything."""
    monkeypatch.setenv("ARDENNE_CLIENT_HEADER", "X-Forwarded-For")
    monkeypatch.setenv("ARDENNE_TRUSTED_PROXY", "192.0.2.1")
    connection.remote_ip = "203.0.113.7"
    at = run_page("app.py", marked_db, accounts_file=accounts_file, query_params=SIGN_IN)
    answers = []
    for n in range(accounts.MAX_CLIENT_ATTEMPTS + 3):
        connection.headers = [("X-Forwarded-For", f"198.51.100.{n}")]
        answers.append(_try(at, f"nom{n}", "devine"))
    assert all("Trop d'essais" in a for a in answers[accounts.MAX_CLIENT_ATTEMPTS :])


def test_the_trusted_proxy_s_forwarded_address_tells_its_visitors_apart(
    marked_db, accounts_file, connection, monkeypatch
):
    monkeypatch.setenv("ARDENNE_TRUSTED_PROXY", "127.0.0.1")  # nginx on the same machine: Streamlit says None
    at = run_page("app.py", marked_db, accounts_file=accounts_file, query_params=SIGN_IN)
    connection.headers = [("X-Forwarded-For", "203.0.113.7")]
    for n in range(accounts.MAX_CLIENT_ATTEMPTS):
        assert "incorrect" in _try(at, f"nom{n}", "devine")
    assert "Trop d'essais" in _try(at, "coord", PASSWORD)
    connection.headers = [("X-Forwarded-For", "203.0.113.7, 198.51.100.4")]  # the proxy appends what it saw
    assert _try(at, "coord", PASSWORD) is None and at.session_state["user"].name == "coord"


def test_five_wrong_guesses_on_the_coordinator_s_name_do_not_lock_the_coordinator_out(
    marked_db, accounts_file, connection, clock
):
    connection.remote_ip = "203.0.113.66"
    attacker = run_page("app.py", marked_db, accounts_file=accounts_file, query_params=SIGN_IN)
    for n in range(accounts.MAX_FAILURES):
        assert "incorrect" in _try(attacker, "coord", f"devine {n}")
    connection.remote_ip = "198.51.100.10"
    clock[0] += 30
    coordinator = run_page("app.py", marked_db, accounts_file=accounts_file, query_params=SIGN_IN)
    assert _try(coordinator, "coord", PASSWORD) is None
    assert coordinator.session_state["user"].name == "coord"


def test_a_persistent_attacker_elsewhere_delays_the_coordinator_thirty_seconds_at_most(
    marked_db, accounts_file, connection, clock
):
    connection.remote_ip = "203.0.113.66"
    attacker = run_page("app.py", marked_db, accounts_file=accounts_file, query_params=SIGN_IN)
    waits = []
    for n in range(15):  # as fast as the delays let it, for about an hour
        waits.append(accounts.LIMITER.wait_time("coord", "203.0.113.66"))
        clock[0] += waits[-1]
        assert "incorrect" in _try(attacker, "coord", f"devine {n}")
    assert sum(waits) > 1800 and max(waits) == accounts.NAME_FROM_CLIENT.ceiling
    connection.remote_ip = "198.51.100.10"
    clock[0] += 1
    coordinator = run_page("app.py", marked_db, accounts_file=accounts_file, query_params=SIGN_IN)
    refused = _try(coordinator, "coord", PASSWORD)
    assert "Trop d'essais" in refused and "30 secondes" in refused
    clock[0] += accounts.NAME_ANYWHERE.ceiling
    assert _try(coordinator, "coord", PASSWORD) is None


def test_the_coordinator_lifts_the_delay_from_the_command_line(marked_db, accounts_file, connection):
    """On the real clock: `users unlock`, another process, stamps the accounts file with it."""
    attacker = run_page(
        "app.py", marked_db, accounts_file=accounts_file, query_params=SIGN_IN
    )  # on the same machine: the same count
    for n in range(accounts.MAX_FAILURES + 2):
        _try(attacker, "coord", f"devine {n}")
    coordinator = run_page("app.py", marked_db, accounts_file=accounts_file, query_params=SIGN_IN)
    assert "users unlock" in _try(coordinator, "coord", PASSWORD)
    done = _cli("users", "unlock", "coord", env={"ARDENNE_ACCOUNTS": str(accounts_file)})
    assert done.returncode == 0, done.stderr
    assert "Délai de connexion levé pour « coord »" in done.stdout
    assert _try(coordinator, "coord", PASSWORD) is None
    assert coordinator.session_state["user"].name == "coord"


# ---------------------------------------------------------------- Streamlit's own endpoints (issue 24, finding 11)


def test_streamlit_metrics_are_not_served_to_visitors_who_did_not_sign_in(tmp_path, accounts_file):
    """The app as the README starts it (`streamlit run serve.py`), on a real server."""
    import urllib.error
    import urllib.request

    from tests import app_server

    base = tmp_path / "base.duckdb"
    assert _cli("init", "--empty", "--db", str(base)).returncode == 0
    log = tmp_path / "streamlit.log"
    with app_server.streamlit(ROOT, base, log, accounts_file, script="serve.py") as (url, proc):
        app_server.wait_health(url, proc, timeout=120, log=log)

        def get(path):
            try:
                with urllib.request.urlopen(f"{url}{path}", timeout=10) as answer:
                    return answer.status, answer.read()
            except urllib.error.HTTPError as refused:
                return refused.code, refused.read()

        assert get("/")[0] == 200, "the app itself is served"
        for path in ("/_stcore/metrics", "/_stcore/metrics/", "/_stcore/metrics?families=session_events"):
            status, body = get(path)
            assert status == 404 and b"session" not in body and b"cache" not in body, (path, status, body[:200])


def test_the_metrics_stay_closed_under_a_base_url_path():
    from ardenne_kpi import server

    assert server.is_closed("/_stcore/metrics") and server.is_closed("/ardenne/_stcore/metrics/")
    assert not server.is_closed("/_stcore/health") and not server.is_closed("/Tendances")
