"""Shared fixtures: the shipped framework, a demo database and an empty one, AppTest runs."""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pytest

from ardenne_kpi import db, demo
from ardenne_kpi.framework import load_framework

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "corpus" / "calamine"  # copied from shared/corpus (MIT, see its licence)


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch, tmp_path_factory):
    """Every test starts in local mode (no accounts: never the developer's real file, the
    default one sits in an empty configuration folder; a set ARDENNE_ACCOUNTS would require
    accounts) and with ARDENNE_DB pointing into a temporary folder, so no test ever writes
    data/ardenne.duckdb."""
    folder = tmp_path_factory.mktemp("env")
    monkeypatch.delenv("ARDENNE_ACCOUNTS", raising=False)
    monkeypatch.delenv("ARDENNE_TRUSTED_PROXY", raising=False)
    monkeypatch.delenv("ARDENNE_CLIENT_HEADER", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder / "config"))
    monkeypatch.setenv("ARDENNE_DB", str(folder / "default.duckdb"))
    monkeypatch.delenv("ARDENNE_AUTH", raising=False)
    from ardenne_kpi.core import accounts

    accounts.LIMITER.failures.clear()  # the app's sign-in counts, kept in the process: none from an earlier test


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """Argon2 at the cost of a deployment (64 MiB, 3 passes) takes a quarter of a second per
    password; tests hash and check hundreds. The same algorithm at its lowest cost checks the
    same rules (a hash carries its own parameters: the app verifies it the same way). Commands
    run as child processes keep the real cost."""
    from argon2 import PasswordHasher

    from ardenne_kpi.core import accounts

    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture(scope="session")
def fw():
    return load_framework()


def demo_cache_key() -> str:
    """What the demo database is built from: the package's code and SQL, the shipped framework,
    Python and DuckDB, and the day (a new day builds anew)."""
    digest = hashlib.sha256(f"{sys.version}|{duckdb.__version__}|{dt.date.today()}".encode())
    files = [p for p in (ROOT / "ardenne_kpi").rglob("*") if p.suffix in {".py", ".sql"}] + [
        ROOT / "data" / "framework.yaml"
    ]
    for path in sorted(files):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:20]


def copy_cached_demo(fw, destination: Path) -> Path:
    """Copy into `destination` the demo database (demo.duckdb and its uploads/) built for the
    code as it is, building it first when no earlier run did; returns the database's path.

    Builds are kept between runs (ARDENNE_TEST_CACHE, else the system's temporary folder):
    one imports 177 reports, half a minute. Runs at once (two checkouts, xdist workers) take
    turns on a lock, so one builds and the others copy; builds unused for two days go."""
    root = Path(os.environ.get("ARDENNE_TEST_CACHE") or Path(tempfile.gettempdir()) / "ardenne-kpi-test-demo")
    root.mkdir(parents=True, exist_ok=True)
    key = demo_cache_key()
    folder = root / key
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for old in root.iterdir():
            if old.is_dir() and (old.name.endswith(".building") or old.stat().st_mtime < time.time() - 2 * 86400):
                shutil.rmtree(old, ignore_errors=True)
        if not (folder / "demo.duckdb").exists():
            building = root / f"{key}.building"
            building.mkdir()
            con = db.connect(building / "demo.duckdb")
            demo.create_demo(con, fw)
            con.close()
            building.rename(folder)
        os.utime(folder)
        shutil.copytree(folder, destination, dirs_exist_ok=True)
    return destination / "demo.duckdb"


@pytest.fixture(scope="session")
def demo_db_path(tmp_path_factory, fw) -> Path:
    """The demo database (and its uploads/) of this session, as the app's first start makes
    it: the shipped demo unpacked (data/demo.tar.xz), else a copy of the cached build; either
    way a copy of its own, so a test that writes to it cannot reach another run.
    `test_the_shipped_demo_is_the_demo_the_engine_builds` holds the two to be the same."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    return path if demo.install_demo(path, fw) else copy_cached_demo(fw, path.parent)


@pytest.fixture(scope="session")
def built_demo_path(tmp_path_factory, fw) -> Path:
    """The demo as the engine builds it from the code as it is (create_demo, cached per code version)."""
    return copy_cached_demo(fw, tmp_path_factory.mktemp("built-demo"))


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
def con(tmp_path, empty_db_path):
    """A fresh database holding the shipped framework and no values (a copy of the session's
    empty base: the same file a new base with the framework would be, without rebuilding it)."""
    path = tmp_path / "t.duckdb"
    shutil.copy(empty_db_path, path)
    connection = db.connect(path)
    yield connection
    connection.close()


def read(body: str) -> str:
    """What a reader sees of a Markdown body (a page's message, caption, label): Markdown's
    backslash escapes undone, as partners' text is written escaped (format.md)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", body)


def rendered(body: str) -> str:
    """A Markdown body as HTML (CommonMark, with tables and strikethrough): what a page would
    draw from it, to check that partners' text drew no link, image nor tag."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(body)


def open_tab(at, label: str, key: str = "onglet"):
    """Open the tab `label` of a page whose tabs are bound to the address (`?onglet=`): only the
    open tab does its work. Returns the AppTest, run again."""
    at.session_state[key] = label
    at.query_params[key] = label  # AppTest sends its address again at each run
    return at.run()


def run_page(
    page: str,
    database: Path,
    timeout: float = 60,
    *,
    user=None,
    accounts_file: Path | None = None,
    query_params: dict | None = None,
):
    """Run one page through AppTest against `database`; returns the finished AppTest.

    The environment stays set for the test's later reruns (`at.button[0].click().run()`);
    the autouse fixture restores it after the test. `user` signs a session in, with
    `accounts_file` holding the configured accounts; `query_params`, the page's address's
    (« ?connexion=1 »)."""
    from streamlit.testing.v1 import AppTest

    os.environ["ARDENNE_DB"] = str(database)
    if accounts_file is not None:
        os.environ["ARDENNE_ACCOUNTS"] = str(accounts_file)
    at = AppTest.from_file(str(ROOT / page), default_timeout=timeout)
    if user is not None:
        at.session_state["user"] = user
    for name, value in (query_params or {}).items():
        at.query_params[name] = value
    at.run()
    return at
