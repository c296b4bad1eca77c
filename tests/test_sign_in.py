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

from ardenne_kpi import accounts, db
from ardenne_kpi.accounts import AccessError, AccountsError, RateLimiter, User
from ardenne_kpi.reports import importer
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
    try:
        assert importer.original_file_for(con, ids["FTLB"], partner)[0] == "FTLB.xlsx"
        with pytest.raises(AccessError, match="réservé à la coordination et à l'opérateur"):
            importer.original_file_for(con, ids["ADT08"], partner)
        for upload_id in ids.values():
            with pytest.raises(AccessError):
                importer.original_file_for(con, upload_id, viewer)
            assert importer.original_file_for(con, upload_id, admin) is not None
    finally:
        con.close()


def test_import_page_offers_a_partner_no_other_operators_file(two_uploads, accounts_file):
    path, ids = two_uploads
    partner = User("ftlb", "partner", ("FTLB",))
    at = run_page("pages/1_Import.py", path, user=partner, accounts_file=accounts_file)
    choice = at.selectbox(key="history_choice")
    offered = []
    for index in range(len(choice.options)):
        at.selectbox(key="history_choice").set_value(index).run()
        labels = [b.label for b in at.get("download_button")]
        refused = any("réservé à la coordination" in c.value for c in at.caption)
        offered.append(("Télécharger le fichier d'origine" in labels, refused))
    assert not at.exception
    assert sorted(offered) == [(False, True), (True, False)], "its own file only; the other one says why"
