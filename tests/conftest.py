"""Shared fixtures: the shipped framework, a demo database and an empty one, AppTest runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ardenne_kpi import db, demo
from ardenne_kpi.framework import load_framework

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "calamine"


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


def run_page(page: str, database: Path, timeout: float = 60):
    """Run one page through AppTest against `database`; returns the finished AppTest."""
    from streamlit.testing.v1 import AppTest

    old = os.environ.get("ARDENNE_DB")
    os.environ["ARDENNE_DB"] = str(database)
    try:
        at = AppTest.from_file(str(ROOT / page), default_timeout=timeout)
        at.run()
    finally:
        if old is None:
            os.environ.pop("ARDENNE_DB", None)
        else:
            os.environ["ARDENNE_DB"] = old
    return at
