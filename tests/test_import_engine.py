"""Importing into DuckDB: idempotence, supersession, rollback, lineage, dry run, atomicity,
concurrent imports, and the command line."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
from pathlib import Path

import openpyxl
import pytest

from ardenne_kpi import db
from ardenne_kpi.core.errors import ArdenneError, StorageError
from ardenne_kpi.intake import importer, originals

ROOT = Path(__file__).resolve().parent.parent


def xlsx(rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Rapport"
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def report(*values, operator="FTPN"):
    """A long-layout report: values are (indicator, period, value[, zone])."""
    rows = [[f"Opérateur : {operator}"], [], ["Code", "Période", "Zone", "Valeur", "Commentaire"]]
    rows += [[v[0], v[1], v[3] if len(v) > 3 else None, v[2], v[4] if len(v) > 4 else None] for v in values]
    return xlsx(rows)


@pytest.fixture
def store(tmp_path, fw):
    path = tmp_path / "test.duckdb"
    con = db.connect(path)
    db.sync_framework(con, fw)
    yield con, path
    con.close()


def current(con):
    return {
        (r[0], r[1], r[2], r[3], r[4]): r[5]
        for r in con.cursor()
        .execute("SELECT indicator, operator, zone, audience, period, value FROM report_values WHERE is_current")
        .fetchall()
    }


def run(con, data, fw, name="r.xlsx", **kw):
    return importer.import_file(con, data, name, framework=fw, **kw)


def test_import_stores_values_with_lineage_and_keeps_the_original(store, fw):
    con, path = store
    result = run(con, report(("BRD01", "S05", 600, "BE-NAM"), ("BRD02", "S05", 25)), fw, user="marie", db_path=path)
    assert result.status == "imported" and result.inserted == 2, result.errors
    row = (
        con.cursor()
        .execute("SELECT upload_id, sheet, cell, value FROM report_values WHERE indicator = 'BRD01'")
        .fetchone()
    )
    assert row == (result.upload_id, "Rapport", "D4", 600)
    upload = importer.list_uploads(con).iloc[0]
    assert upload["file_name"] == "r.xlsx" and upload["uploaded_by"] == "marie" and upload["operator"] == "FTPN"
    assert upload["inserted"] == 2 and len(upload["sha256"]) == 64
    kept = path.parent / upload["stored_path"]
    assert kept.read_bytes()[:2] == b"PK"
    assert kept.parent == db.uploads_dir(path)
    assert importer.original_file(con, result.upload_id) == ("r.xlsx", kept.read_bytes())


def test_same_file_twice_changes_nothing_and_says_so(store, fw):
    con, _ = store
    data = report(("BRD01", "S05", 600))
    first = run(con, data, fw)
    again = run(con, data, fw)
    assert again.status == "unchanged" and again.duplicate_of["upload_id"] == first.upload_id
    assert "identique" in again.summary_fr()
    assert len(importer.list_uploads(con)) == 1
    assert con.cursor().execute("SELECT count(*) FROM report_values").fetchone()[0] == 1


def test_reupload_supersedes_per_identity_and_keeps_history_and_absent_values(store, fw):
    con, _ = store
    run(con, report(("BRD01", "S05", 600), ("BRD02", "S05", 25), ("BRD02", "S06", 30)), fw)
    dry = run(con, report(("BRD01", "S05", 610), ("BRD02", "S05", 25), ("BRD06", "S05", 3)), fw, dry_run=True)
    assert dry.status == "dry-run"
    assert dict(zip(dry.changes["indicator"], dry.changes["change"], strict=True)) == {
        "BRD01": "changed",
        "BRD02": "unchanged",
        "BRD06": "new",
    }
    assert dry.changes.loc[dry.changes["indicator"] == "BRD01", "old_value"].item() == 600
    assert len(importer.list_uploads(con)) == 1  # a dry run writes nothing
    second = run(con, report(("BRD01", "S05", 610), ("BRD02", "S05", 25), ("BRD06", "S05", 3)), fw)
    assert (second.inserted, second.updated, second.unchanged) == (1, 1, 1)
    now = current(con)
    assert now[("BRD01", "FTPN", "ARD", "", "S05")] == 610
    assert now[("BRD02", "FTPN", "ARD", "", "S06")] == 30  # absent from the new file: kept
    history = (
        con.cursor()
        .execute("SELECT value, is_current FROM report_values WHERE indicator = 'BRD01' ORDER BY id")
        .fetchall()
    )
    assert history == [(600, False), (610, True)]


def test_absent_values_are_listed_as_a_warning(store, fw):
    con, _ = store
    run(con, report(("BRD01", "S05", 600), ("BRD02", "S05", 25)), fw)
    second = run(con, report(("BRD01", "S05", 601)), fw)
    assert any("ne figurent pas" in w.message and "BRD02 S05" in w.message for w in second.warnings)


def test_rollback_restores_superseded_values_and_withdraws_new_ones(store, fw):
    con, _ = store
    first = run(con, report(("BRD01", "S05", 600)), fw)
    second = run(con, report(("BRD01", "S05", 610), ("BRD02", "S05", 5)), fw)
    preview = importer.rollback_preview(con, second.upload_id)
    assert set(zip(preview["indicator"], preview["restored_value"].fillna(-1), strict=True)) == {
        ("BRD01", 600),
        ("BRD02", -1),
    }
    summary = importer.rollback(con, second.upload_id, user="chef")
    assert (summary["restored"], summary["withdrawn"]) == (1, 1)
    assert current(con) == {("BRD01", "FTPN", "ARD", "", "S05"): 600}
    uploads = importer.list_uploads(con).set_index("id")
    assert uploads.loc[second.upload_id, "status"] == "rolled_back"
    assert uploads.loc[second.upload_id, "rolled_back_by"] == "chef"
    importer.rollback(con, first.upload_id)
    assert current(con) == {}
    with pytest.raises(Exception, match="déjà été annulé"):
        importer.rollback(con, first.upload_id)


def test_rolled_back_file_can_be_imported_again(store, fw):
    con, _ = store
    data = report(("BRD01", "S05", 600))
    first = run(con, data, fw)
    importer.rollback(con, first.upload_id)
    again = run(con, data, fw)
    assert again.status == "imported" and current(con) == {("BRD01", "FTPN", "ARD", "", "S05"): 600}


def test_refused_file_writes_nothing(store, fw):
    con, _ = store
    bad = report(("BRD01", "S05", 600), ("BRD02", "S05", "douze"))
    result = run(con, bad, fw)
    assert result.status == "refused" and [(e.sheet, e.cell) for e in result.errors] == [("Rapport", "D5")]
    assert db.table_counts(con)["uploads"] == 0 and db.table_counts(con)["report_values"] == 0


def test_failure_during_the_write_rolls_everything_back(store, fw, monkeypatch):
    con, _ = store
    from ardenne_kpi.db import imports

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(imports, "finish_upload", explode)
    with pytest.raises(RuntimeError):
        run(con, report(("BRD01", "S05", 600)), fw)
    assert db.table_counts(con)["uploads"] == 0 and db.table_counts(con)["report_values"] == 0


def test_outlier_against_previous_period_is_a_warning_unless_commented(store, fw):
    con, _ = store
    run(con, report(("BRD02", "S05", 10)), fw)
    result = run(con, report(("BRD02", "S06", 100), ("BRD02", "S07", 1000, None, "salon exceptionnel")), fw)
    far = [w for w in result.warnings if "période précédente" in w.message]
    assert [(w.sheet, w.cell) for w in far] == [("Rapport", "D4")]


def test_two_concurrent_imports_both_land(store, fw):
    con, _ = store
    run(con, report(("BRD01", "S05", 1), ("BRD02", "S05", 1)), fw)
    files = [report(("BRD01", "S05", 600 + i), ("BRD02", "S05", 20 + i), ("BRD06", f"S0{6 + i}", i)) for i in range(2)]
    results = [None, None]
    barrier = threading.Barrier(2)

    def work(i):
        barrier.wait()
        results[i] = run(con, files[i], fw, name=f"f{i}.xlsx")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.status == "imported" for r in results), [r.errors for r in results]
    live = importer.list_uploads(con)
    assert (live["status"] == "imported").sum() == 3
    # exactly one current row per identity, whichever import landed last
    dup = (
        con.cursor()
        .execute(
            "SELECT count(*) FROM (SELECT indicator, period FROM report_values WHERE is_current "
            "GROUP BY ALL HAVING count(*) > 1)"
        )
        .fetchone()[0]
    )
    assert dup == 0
    assert con.cursor().execute("SELECT count(*) FROM report_values WHERE is_current").fetchone()[0] == 4


class Ran:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def cli(*args):
    """The command line in-process (a subprocess per call costs a second of imports)."""
    import contextlib

    from ardenne_kpi.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = exc.code
    return Ran(code, out.getvalue(), err.getvalue())


def test_command_line_runs_as_a_module(tmp_path):
    database = tmp_path / "m.duckdb"
    missing = subprocess.run(
        [sys.executable, "-m", "ardenne_kpi", "uploads", "--db", str(database)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert missing.returncode == 1 and "n'existe pas" in missing.stderr and not database.exists()
    subprocess.run(
        [sys.executable, "-m", "ardenne_kpi", "init", "--empty", "--db", str(database)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    done = subprocess.run(
        [sys.executable, "-m", "ardenne_kpi", "uploads", "--db", str(database)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0 and "Aucun import" in done.stdout


def test_command_line_import_uploads_rollback_and_exit_codes(tmp_path):
    good, bad = tmp_path / "bon.xlsx", tmp_path / "mauvais.xlsx"
    good.write_bytes(report(("BRD01", "S05", 600)))
    bad.write_bytes(report(("XXX", "S05", 600)))
    database = str(tmp_path / "cli.duckdb")
    assert cli("init", "--empty", "--db", database).returncode == 0  # only init creates a base
    done = cli("import", str(good), "--db", database, "--user", "marie", "--json")
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout.splitlines()[0])
    assert record["status"] == "imported" and record["inserted"] == 1 and record["upload_id"] == 1
    refused = cli("import", str(bad), str(good), "--db", database, "--json")
    assert refused.returncode == 1
    first, second = (json.loads(line) for line in refused.stdout.splitlines())
    assert first["status"] == "refused" and first["errors"][0]["cell"] == "A4"
    assert set(first["errors"][0]) >= {"sheet", "cell", "message"}
    assert second["status"] == "unchanged"
    assert cli("import", "--db", database).returncode == 2
    listed = cli("uploads", "--db", database, "--json")
    assert json.loads(listed.stdout.splitlines()[0])["uploaded_by"] == "marie"
    undone = cli("rollback", "1", "--db", database)
    assert undone.returncode == 0 and "annulé" in undone.stdout
    assert cli("rollback", "99", "--db", database).returncode == 1


def test_command_line_says_in_french_when_the_database_is_busy(tmp_path, monkeypatch):
    monkeypatch.setenv("ARDENNE_DB_WAIT", "1")  # waits its turn for 1 s (60 by default), then refuses
    path = tmp_path / "busy.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ok', flush=True); time.sleep(60)",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        good = tmp_path / "r.xlsx"
        good.write_bytes(report(("BRD01", "S05", 1)))
        busy = cli("import", str(good), "--db", str(path))
        assert busy.returncode == 1 and "Traceback" not in busy.stderr and "est restée occupée" in busy.stderr
    finally:
        holder.kill()
        holder.wait()


def test_export_values_csv(store, fw, tmp_path):
    con, path = store
    run(con, report(("BRD01", "S05", 600.5, "BE-NAM")), fw)
    from ardenne_kpi.cli.imports import cmd_export_values

    con.close()
    out = tmp_path / "values.csv"
    import argparse

    assert cmd_export_values(argparse.Namespace(db=str(path), out=str(out))) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "indicator,operator,zone,audience,period,period_start,period_end,value,upload_id,sheet,cell"
    assert lines[1] == "BRD01,FTPN,BE-NAM,,S05,2018-10-01,2019-03-31,600.5,1,Rapport,D4"


def test_a_full_disk_while_keeping_the_original_leaves_nothing_and_says_so(store, fw, monkeypatch):
    import errno
    import os

    con, path = store

    class FullDisk(io.FileIO):
        """Writes a few bytes, then the disk is full."""

        def write(self, data):
            super().write(bytes(data[:10]))
            raise OSError(errno.ENOSPC, "No space left on device")

    keep = originals.keep

    def keep_on_a_full_disk(*args, **kwargs):
        with monkeypatch.context() as patch:
            patch.setattr(os, "fdopen", lambda fd, mode: FullDisk(fd, "wb"))
            return keep(*args, **kwargs)

    monkeypatch.setattr(originals, "keep", keep_on_a_full_disk)
    with pytest.raises(StorageError, match="disque est plein") as caught:
        run(con, report(("BRD01", "S05", 600)), fw, db_path=path)
    assert "Rien n'a été enregistré" in caught.value.message
    assert list(db.uploads_dir(path).iterdir()) == []  # no .upload-* left behind
    assert db.table_counts(con)["uploads"] == 0


def test_moving_the_data_folder_keeps_the_original_files(tmp_path, fw):
    first = tmp_path / "before" / "base.duckdb"
    first.parent.mkdir()
    con = db.connect(first)
    db.sync_framework(con, fw)
    result = run(con, report(("BRD01", "S05", 600)), fw, db_path=first)
    con.close()
    moved = tmp_path / "after"
    (tmp_path / "before").rename(moved)
    con = db.connect(moved / "base.duckdb")
    name, data = importer.original_file(con, result.upload_id)
    assert name == "r.xlsx" and data[:2] == b"PK"
    con.close()


def test_a_full_disk_while_writing_the_database_is_one_french_sentence(store, fw, monkeypatch):
    import duckdb

    con, path = store

    def full(*args, **kwargs):
        raise duckdb.IOException('IO Error: Could not write file "test.duckdb.wal": No space left on device')

    monkeypatch.setattr(importer.sql, "write_values", full)
    with pytest.raises(ArdenneError, match="disque est plein"):
        run(con, report(("BRD01", "S05", 600)), fw, db_path=path)
    assert db.table_counts(con)["uploads"] == 0


def test_an_old_absolute_path_still_finds_the_original_after_the_folder_moved(tmp_path, fw):
    first = tmp_path / "before" / "base.duckdb"
    first.parent.mkdir()
    con = db.connect(first)
    db.sync_framework(con, fw)
    result = run(con, report(("BRD01", "S05", 600)), fw, db_path=first)
    kept = first.parent / importer.list_uploads(con)["stored_path"].iloc[0]
    cur = con.cursor()  # as schema 1 stored it: an absolute path
    cur.execute("UPDATE uploads SET stored_path = ?", [str(kept.resolve())])
    db.set_meta(cur, "schema_version", "1")
    con.close()
    (tmp_path / "before").rename(tmp_path / "after")
    con = db.connect(tmp_path / "after" / "base.duckdb")  # migrates
    assert importer.list_uploads(con)["stored_path"].iloc[0] == f"uploads/{kept.name}"
    assert importer.original_file(con, result.upload_id)[1][:2] == b"PK"
    con.close()
