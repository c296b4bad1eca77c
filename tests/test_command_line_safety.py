"""Sentences, not tracebacks: every command on a damaged database file says to restore the
last backup; `backup` and `restore`; a full disk leaves nothing behind; `uploads` never prints
nan; the accounts file is private from its first byte."""

from __future__ import annotations

import errno
import hashlib
import io
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from ardenne_kpi import db
from ardenne_kpi.cli import main
from ardenne_kpi.core import accounts
from ardenne_kpi.db import backup
from ardenne_kpi.intake import importer

ROOT = Path(__file__).resolve().parent.parent


def report(value: float = 600) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Rapport"
    for row in (["Opérateur : FTPN"], [], ["Code", "Période", "Valeur"], ["BRD01", "S05", value]):
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def base(tmp_path, fw):
    """A database with one import and its original file kept in uploads/."""
    path = tmp_path / "data" / "base.duckdb"
    con = db.connect(path)
    db.sync_framework(con, fw)
    result = importer.import_file(con, report(), "r.xlsx", user="marie", framework=fw, db_path=path)
    assert result.status == "imported"
    con.close()
    return path


def damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 3])
    elif how == "garbage":
        path.write_bytes(os.urandom(len(data)))
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "scrambled":  # valid header, damaged blocks
        path.write_bytes(data[:4096] + os.urandom(len(data) - 4096))


COMMANDS = [
    ["uploads"],
    ["uploads", "--json"],
    ["rollback", "1"],
    ["export", "values", "--out", "{out}/v.csv"],
    ["export", "kpis", "--grain", "semester", "--out", "{out}/k.csv"],
    ["export", "coverage", "--out", "{out}/c.xlsx"],
    ["export", "pack", "--out", "{out}/p.pdf"],
    ["snapshot", "list"],
    ["snapshot", "create", "Comité", "--date", "2022-01-10"],
    ["template", "--operator", "FTPN", "--period", "S11", "--out", "{out}/t.xlsx"],
    ["import", "{out}/r.xlsx"],
    ["backup", "--out", "{out}/b.zip"],
    ["publish", "--out", "{out}/portail"],
]


@pytest.mark.parametrize("how", ["truncated", "garbage", "empty", "scrambled"])
def test_every_command_on_a_damaged_database_says_to_restore_the_last_backup(base, tmp_path, how, capsys):
    damage(base, how)
    (tmp_path / "r.xlsx").write_bytes(report())
    for command in COMMANDS:
        argv = [a.replace("{out}", str(tmp_path)) for a in command] + ["--db", str(base)]
        code = main(argv)  # an exception here is the traceback a user would see
        err = capsys.readouterr().err
        assert code == 1, (how, command, err)
        assert "illisible" in err and "restore" in err and "sauvegarde" in err, (how, command, err)
    assert not (tmp_path / "b.zip").exists()


def test_a_damaged_database_gives_one_french_sentence_in_a_real_process(base):
    damage(base, "garbage")
    done = subprocess.run(
        [sys.executable, "-m", "ardenne_kpi", "uploads", "--db", str(base)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "Restaurez la dernière sauvegarde" in done.stderr


def test_backup_then_restore_brings_back_the_values_and_the_original_files(base, tmp_path, capsys):
    archive = tmp_path / "sauvegarde.zip"
    assert main(["backup", "--db", str(base), "--out", str(archive)]) == 0
    assert "Sauvegarde écrite" in capsys.readouterr().out
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
    assert "base.duckdb" in names and any(n.startswith("uploads/") and n.endswith(".xlsx") for n in names)
    damage(base, "truncated")
    shutil.rmtree(db.uploads_dir(base))
    assert main(["restore", str(archive), "--db", str(base)]) == 0
    out = capsys.readouterr().out
    assert "Base restaurée" in out and "avant-restauration" in out
    con = db.connect(base)
    try:
        assert con.cursor().execute("SELECT value FROM report_values WHERE is_current").fetchall() == [(600,)]
        upload = importer.list_uploads(con).iloc[0]
        name, data = importer.original_file(con, int(upload["id"]))
        assert name == "r.xlsx" and hashlib.sha256(data).hexdigest() == upload["sha256"]
    finally:
        con.close()
    assert list(base.parent.glob("base.duckdb.avant-restauration-*"))  # the damaged file is kept, not deleted


def test_restore_refuses_a_file_that_is_not_a_backup_and_replaces_nothing(base, tmp_path, capsys):
    before = base.read_bytes()
    fake = tmp_path / "faux.zip"
    fake.write_bytes(b"PK not really")
    assert main(["restore", str(fake), "--db", str(base)]) == 1
    assert "n'est pas une sauvegarde" in capsys.readouterr().err
    broken = tmp_path / "abimee.zip"
    with zipfile.ZipFile(broken, "w") as zf:
        zf.writestr("sauvegarde.json", '{"format": "ardenne-kpi-backup", "version": 1}')
        zf.writestr("base.duckdb", os.urandom(50_000))
    assert main(["restore", str(broken), "--db", str(base)]) == 1
    assert "Rien n'a été remplacé" in capsys.readouterr().err
    assert base.read_bytes() == before and not list(base.parent.glob(".restore-*"))


def test_a_full_disk_during_a_backup_leaves_no_partial_archive(base, tmp_path, monkeypatch):
    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(zipfile.ZipFile, "write", full)
    with pytest.raises(backup.StorageError, match="disque est plein"):
        backup.create(base, tmp_path / "out" / "b.zip")
    assert list((tmp_path / "out").iterdir()) == []


def test_uploads_prints_a_dash_not_nan_for_a_missing_name(tmp_path, fw, capsys):
    path = tmp_path / "base.duckdb"
    con = db.connect(path)
    db.sync_framework(con, fw)
    importer.import_file(con, report(), "r.xlsx", framework=fw, db_path=path)  # no user given
    con.close()
    assert main(["uploads", "--db", str(path)]) == 0
    out = capsys.readouterr().out
    assert "nan" not in out.lower() and "—" in out


def test_the_accounts_file_is_private_from_its_first_byte(tmp_path, monkeypatch):
    old = os.umask(0o022)
    try:
        monkeypatch.setattr(os, "chmod", lambda *args, **kwargs: None)  # only creation may set the mode
        path = tmp_path / "accounts.yaml"
        accounts.add_user("anne", "admin", "un mot de passe long", path=path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_file_name_with_terminal_escapes_is_printed_escaped_on_its_own_line(base, tmp_path):
    """Issue 24, finding 6: escape sequences in a partner's file name cleared the coordinator's
    terminal and printed a green « Tout est valide »; a line break in it started a line."""
    hostile = "r\x1b[2J\x1b[H\x1b[32mTout est valide\x1b[0m\r\nOK\x9b31m.xlsx"
    (tmp_path / hostile).write_bytes(report(700))
    outputs = []
    for command in (["import", str(tmp_path / hostile)], ["uploads"], ["review"]):
        done = subprocess.run(
            [sys.executable, "-m", "ardenne_kpi", *command, "--db", str(base)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout + done.stderr)
    imported, listed, _ = outputs
    for out in outputs:
        assert not any(c in out for c in "\x1b\r\x9b"), repr(out)
    assert "r\\x1b[2J\\x1b[H\\x1b[32mTout est valide\\x1b[0m\\x0d\\x0aOK\\x9b31m.xlsx : importé" in imported
    line = next(line for line in listed.splitlines() if "Tout est valide" in line)
    assert line.startswith("n° ") and line.endswith("OK\\x9b31m.xlsx")
