"""Shared fixtures: the shipped framework, a demo database and an empty one, AppTest runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ardenne_kpi import db, demo
from ardenne_kpi.framework import load_framework

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "corpus" / "calamine"  # copied from shared/corpus (MIT, see its licence)


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch, tmp_path_factory):
    """Every test starts in local mode (no accounts: never the developer's real file) and with
    ARDENNE_DB pointing into a temporary folder, so no test ever writes data/ardenne.duckdb."""
    folder = tmp_path_factory.mktemp("env")
    monkeypatch.setenv("ARDENNE_ACCOUNTS", str(folder / "accounts.yaml"))
    monkeypatch.setenv("ARDENNE_DB", str(folder / "default.duckdb"))
    monkeypatch.delenv("ARDENNE_AUTH", raising=False)


@pytest.fixture(scope="session")
def fw():
    return load_framework()


@pytest.fixture(scope="session")
def demo_db_path(tmp_path_factory, fw) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    con = db.connect(path)
    demo.create_demo(con, fw)
    con.close()
    return path


def private_copy(database: Path, folder: Path) -> Path:
    """A copy of a session database that a test may change. Building a demo imports 177
    reports; a copy takes milliseconds, and its lineage still opens the original files."""
    path = folder / database.name
    path.write_bytes(database.read_bytes())
    return path


@pytest.fixture
def demo_copy(tmp_path, demo_db_path):
    """An open connection to a private copy of the demo database, closed after the test."""
    con = db.connect(private_copy(demo_db_path, tmp_path))
    yield con
    con.close()


@pytest.fixture(scope="session")
def empty_db_path(tmp_path_factory, fw) -> Path:
    path = tmp_path_factory.mktemp("empty") / "empty.duckdb"
    con = db.connect(path)
    db.sync_framework(con, fw)
    con.close()
    return path


@pytest.fixture
def con(tmp_path, fw):
    """A fresh database holding the shipped framework and no values."""
    connection = db.connect(tmp_path / "t.duckdb")
    db.sync_framework(connection, fw)
    yield connection
    connection.close()


def run_page(page: str, database: Path, timeout: float = 60, *, user=None, accounts_file: Path | None = None):
    """Run one page through AppTest against `database`; returns the finished AppTest.

    The environment stays set for the test's later reruns (`at.button[0].click().run()`);
    the autouse fixture restores it after the test. `user` signs a session in, with
    `accounts_file` holding the configured accounts."""
    from streamlit.testing.v1 import AppTest

    os.environ["ARDENNE_DB"] = str(database)
    if accounts_file is not None:
        os.environ["ARDENNE_ACCOUNTS"] = str(accounts_file)
    at = AppTest.from_file(str(ROOT / page), default_timeout=timeout)
    if user is not None:
        at.session_state["user"] = user
    at.run()
    return at
