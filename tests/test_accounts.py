"""Accounts and roles: hashed passwords, permissions, rate-limited sign-in, the command line."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from ardenne_kpi.core import accounts
from ardenne_kpi.core.accounts import AccessError, RateLimiter, User

PASSWORD = "correct horse battery"


@pytest.fixture
def accounts_file(tmp_path):
    path = tmp_path / "accounts.yaml"
    accounts.add_user("coord", "admin", PASSWORD, path=path)
    accounts.add_user("ftlb", "partner", PASSWORD, ["FTLB"], path=path)
    accounts.add_user("elu", "viewer", PASSWORD, path=path)
    return path


def test_passwords_are_stored_as_argon2_hashes(accounts_file):
    text = accounts_file.read_text(encoding="utf-8")
    assert PASSWORD not in text
    users = yaml.safe_load(text)["users"]
    assert all(u["password_hash"].startswith("$argon2id$") for u in users.values())
    assert oct(accounts_file.stat().st_mode & 0o777) == "0o600"


def test_sign_in_with_the_right_password(accounts_file):
    user = accounts.authenticate("ftlb", PASSWORD, path=accounts_file, limiter=RateLimiter())
    assert user == User("ftlb", "partner", ("FTLB",))


@pytest.mark.parametrize(("name", "password"), [("ftlb", "wrong password"), ("nobody", PASSWORD)])
def test_wrong_name_or_password_says_the_same_thing(accounts_file, name, password):
    with pytest.raises(AccessError) as info:
        accounts.authenticate(name, password, path=accounts_file, limiter=RateLimiter())
    assert info.value.message == "Nom d'utilisateur ou mot de passe incorrect."


def test_failed_sign_ins_are_rate_limited(accounts_file):
    limiter = RateLimiter()
    for _ in range(accounts.MAX_FAILURES):
        with pytest.raises(AccessError):
            accounts.authenticate("ftlb", "nope", path=accounts_file, limiter=limiter)
    with pytest.raises(AccessError) as info:
        accounts.authenticate("ftlb", PASSWORD, path=accounts_file, limiter=limiter)  # even the right one
    assert "Trop d'essais" in info.value.message


def test_the_delay_doubles_with_failures_up_to_a_ceiling_then_expires():
    limiter = RateLimiter()
    now = 1000.0
    waits = []
    for _ in range(12):
        wait = limiter.wait_time("x", "203.0.113.9", now=now)
        waits.append(wait)
        now += wait
        limiter.begin("x", "203.0.113.9", now=now)  # a wrong password each time
    assert waits[: accounts.MAX_FAILURES] == [0.0] * accounts.MAX_FAILURES
    assert waits[accounts.MAX_FAILURES :] == [2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0]
    assert limiter.wait_time("x", "203.0.113.9", now=now + 10) > 0
    assert limiter.wait_time("x", "203.0.113.9", now=now + accounts.NAME_FROM_CLIENT.ceiling) == 0
    assert limiter.wait_time("x", "198.51.100.4", now=now) <= accounts.NAME_ANYWHERE.ceiling


def test_partner_uploads_for_its_operators_only():
    partner = User("ftlb", "partner", ("FTLB",))
    assert accounts.can_upload(partner, "FTLB")
    assert not accounts.can_upload(partner, "ADT08")
    with pytest.raises(AccessError) as info:
        accounts.check_upload(partner, "ADT08")
    assert "FTLB" in info.value.message and "ADT08" in info.value.message
    assert accounts.upload_operators(partner, ["ADT08", "FTLB"]) == ["FTLB"]


def test_viewer_cannot_upload_nor_administer():
    viewer = User("elu", "viewer")
    assert accounts.upload_operators(viewer, ["FTLB"]) == []
    with pytest.raises(AccessError, match="lecture seule"):
        accounts.check_upload(viewer, "FTLB")
    with pytest.raises(AccessError, match="annuler un import"):
        accounts.check_admin(viewer, "annuler un import")


def test_partner_needs_an_operator(tmp_path):
    with pytest.raises(Exception, match="--operator"):
        accounts.add_user("p", "partner", PASSWORD, path=tmp_path / "a.yaml")


def test_local_mode_without_accounts(tmp_path):
    assert not accounts.auth_enabled(tmp_path / "none.yaml")


def test_users_add_command_prompts_and_hashes(tmp_path):
    path = tmp_path / "acc.yaml"
    env = {**os.environ, "ARDENNE_ACCOUNTS": str(path), "ARDENNE_PASSWORD_STDIN": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "ardenne_kpi", "users", "add", "anne", "--role", "partner", "--operator", "FTLB"],
        input=PASSWORD + "\n",
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert accounts.authenticate("anne", PASSWORD, path=path, limiter=RateLimiter()).operators == ("FTLB",)
    bad = subprocess.run(
        [sys.executable, "-m", "ardenne_kpi", "users", "add", "bob", "--role", "partner", "--operator", "NOPE"],
        input=PASSWORD + "\n",
        env=env,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1 and "NOPE" in bad.stderr and "Traceback" not in bad.stderr
