"""The DuckDB store: idempotent schema with a version, framework reference tables, database path."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest

from ardenne_kpi import db
from ardenne_kpi.core.errors import DatabaseBusyError, DatabaseVersionError


def test_schema_is_idempotent_and_versioned(tmp_path):
    path = tmp_path / "s.duckdb"
    db.connect(path).close()
    con = db.connect(path)  # second apply must not fail nor duplicate anything
    assert db.schema_version(con) == db.SCHEMA_VERSION
    assert con.execute("SELECT count(*) FROM meta WHERE name = 'schema_version'").fetchone()[0] == 1
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"uploads", "report_values", "indicators", "indicator_links", "targets", "meta"} <= tables


def test_reported_values_keep_their_origin(tmp_path):
    con = db.connect(tmp_path / "s.duckdb")
    cols = {r[0] for r in con.execute("DESCRIBE report_values").fetchall()}
    assert {"indicator", "operator", "zone", "audience", "period", "upload_id", "sheet", "cell"} <= cols


def test_framework_is_synced_to_reference_tables(con, fw):
    assert con.execute("SELECT count(*) FROM indicators").fetchone()[0] == len(fw.indicators)
    links = con.execute(
        "SELECT code FROM indicator_links WHERE indicator = 'CLI08' AND kind = 'key' ORDER BY 1"
    ).fetchall()
    assert [r[0] for r in links] == sorted(fw.indicator("CLI08").keys)
    assert db.stored_framework(con) == fw


def test_sync_twice_replaces_rather_than_duplicates(con, fw):
    db.sync_framework(con, fw)
    assert con.execute("SELECT count(*) FROM targets").fetchone()[0] == sum(len(i.targets) for i in fw.indicators)


def test_db_path_order(monkeypatch, tmp_path):
    monkeypatch.delenv("ARDENNE_DB", raising=False)
    assert db.db_path(None) == db.DEFAULT_DB_PATH
    monkeypatch.setenv("ARDENNE_DB", str(tmp_path / "env.duckdb"))
    assert db.db_path(None) == tmp_path / "env.duckdb"
    assert db.db_path(str(tmp_path / "cli.duckdb")) == tmp_path / "cli.duckdb"


def test_a_cursor_per_thread_is_safe(con):
    import threading

    errors = []

    def work():
        try:
            for _ in range(20):
                db.query_df(con, "SELECT count(*) AS n FROM indicators")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_database_held_by_another_process_gives_a_french_sentence(tmp_path):
    path = tmp_path / "held.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(path)!r}); print('ok', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        with pytest.raises(DatabaseBusyError) as info:
            db.connect(path)
        assert "ouverte par une autre application" in info.value.message
    finally:
        holder.kill()
        holder.wait()


def test_write_conflicts_are_retried():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise duckdb.TransactionException("Conflict on update!")
        return "done"

    assert db.with_retry(flaky, delay=0.001) == "done" and len(calls) == 3


def test_usage_errors_are_french_with_exit_code_2():
    done = subprocess.run(
        [sys.executable, "-m", "ardenne_kpi", "export", "kpis", "--grain", "week", "--out", "x.csv"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "choix « week » invalide" in done.stderr and "Traceback" not in done.stderr


def test_a_database_from_a_newer_version_is_refused_with_a_sentence(tmp_path):
    path = tmp_path / "newer.duckdb"
    con = db.connect(path)
    con.execute("UPDATE meta SET value = ? WHERE name = 'schema_version'", [str(db.SCHEMA_VERSION + 1)])
    con.close()
    with pytest.raises(DatabaseVersionError, match="version plus récente.*Mettez l'application à jour"):
        db.connect(path)
    db.connect(path, read_only=True).close()  # the file was let go
