"""The command line beside the app: commands wait their turn instead of being refused, the
app lets go of the file when idle, and what one process writes the others see."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ardenne_kpi import db
from ardenne_kpi.db import sharing
from tests.conftest import ROOT
from tests.test_import_engine import report


def command(*args, wait: float | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if wait is not None:
        env["ARDENNE_DB_WAIT"] = str(wait)
    return subprocess.Popen(
        [sys.executable, "-m", "ardenne_kpi", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def other_process_can_open(path: Path) -> bool:
    probe = subprocess.run(
        [sys.executable, "-c", "import duckdb, sys; duckdb.connect(sys.argv[1]).close()", str(path)],
        capture_output=True,
    )
    return probe.returncode == 0


@pytest.fixture
def base(tmp_path, fw) -> Path:
    path = tmp_path / "shared.duckdb"
    con = db.connect(path)
    db.sync_framework(con, fw)
    con.close()
    return path


def test_the_app_handle_lets_go_of_the_file_once_idle(base):
    database = sharing.Database(base, idle=1.0)
    assert db.get_meta(database, "framework_version")
    assert database.is_open and not other_process_can_open(base)
    time.sleep(1.5)
    assert not database.is_open
    assert other_process_can_open(base)
    assert db.get_meta(database, "framework_version"), "reopened on the next query"
    assert database.opens == 2


def test_the_app_lets_a_waiting_command_through_at_once_and_waits_for_it(base):
    database = sharing.Database(base, idle=3600)  # idle release out of the picture
    before = db.data_revision(database)
    assert database.is_open
    probe = (
        "import sys, time; from ardenne_kpi.db import sharing\n"
        "t = time.monotonic()\n"
        "with sharing.command_connection(sys.argv[1]) as con:\n"
        "    print(time.monotonic() - t, flush=True)\n"
        "    con.cursor().execute(\"INSERT INTO meta VALUES ('probe', 'x')\")\n"
        "    time.sleep(1.0)\n"
    )
    cmd = subprocess.Popen(
        [sys.executable, "-c", probe, str(base)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    waited = float(cmd.stdout.readline())
    assert waited < 1.0, "the app let go of the file as soon as the command asked"
    started = time.monotonic()
    assert db.get_meta(database, "probe") == "x", "the app waited for the command, then saw its write"
    assert time.monotonic() - started > 0.5
    assert cmd.wait(30) == 0
    assert db.data_revision(database) == before


def test_a_cursor_in_use_keeps_the_file_past_the_idle_release(base):
    database = sharing.Database(base, idle=0.05)
    cur = database.cursor()
    time.sleep(0.3)
    assert cur.execute("SELECT count(*) FROM indicators").fetchone()[0] > 0
    assert not other_process_can_open(base)
    del cur
    time.sleep(0.1)
    assert other_process_can_open(base)


def test_a_command_waits_while_the_app_holds_the_file_then_works(base, tmp_path):
    database = sharing.Database(base)
    held = database.cursor()  # a page in the middle of a long query
    out = tmp_path / "values.csv"
    cmd = command("export", "values", "--out", str(out), "--db", str(base))
    notice = cmd.stderr.readline()  # after a second of waiting
    assert "occupée" in notice and "attente de son tour (60 s au plus)" in notice
    time.sleep(1.0)
    assert cmd.poll() is None, "still waiting, not refused"
    del held
    database.release()
    _, err = cmd.communicate(timeout=60)
    assert cmd.returncode == 0, err
    assert "Base obtenue après" in err and "Traceback" not in err
    assert out.exists()


def test_a_command_gives_up_with_a_french_sentence_after_the_bound(base, tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ok', flush=True); time.sleep(60)",
            str(base),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        good = tmp_path / "r.xlsx"
        good.write_bytes(report(("BRD01", "S05", 1)))
        started = time.monotonic()
        cmd = command("import", str(good), "--db", str(base), wait=2)
        _, err = cmd.communicate(timeout=60)
        assert cmd.returncode == 1 and "Traceback" not in err
        assert "restée occupée 2,0 s" in err and f"processus {holder.pid}" in err and "ARDENNE_DB_WAIT" in err
        assert 2.0 <= time.monotonic() - started < 15
    finally:
        holder.kill()
        holder.wait()


def test_two_concurrent_command_line_imports_both_land(base, tmp_path):
    files = []
    for n, operator in enumerate(("FTPN", "FTLB", "ADT08")):
        path = tmp_path / f"rapport_{operator}.xlsx"
        path.write_bytes(report(("BRD01", "S05", 100 + n, "BE-NAM"), operator=operator))
        files.append(path)
    runs = [command("import", str(f), "--db", str(base), "--user", f.stem) for f in files]
    outcomes = [run.communicate(timeout=120) for run in runs]
    for run, (out, err) in zip(runs, outcomes, strict=True):
        assert run.returncode == 0, err
        assert "importé" in out and "Traceback" not in err
    con = db.connect(base, read_only=True)
    try:
        rows = con.cursor().execute("SELECT operator, value FROM report_values WHERE is_current ORDER BY 1").fetchall()
        uploads = con.cursor().execute("SELECT count(*) FROM uploads WHERE status = 'imported'").fetchone()[0]
    finally:
        con.close()
    assert uploads == 3
    assert sorted(rows) == [("ADT08", 102.0), ("FTLB", 101.0), ("FTPN", 100.0)]


def test_the_app_sees_an_import_made_by_another_process(base, tmp_path):
    database = sharing.Database(base, idle=0.05)
    before = db.data_revision(database)
    good = tmp_path / "r.xlsx"
    good.write_bytes(report(("BRD01", "S05", 7)))
    cmd = command("import", str(good), "--db", str(base))
    _, err = cmd.communicate(timeout=120)
    assert cmd.returncode == 0, err
    assert db.data_revision(database) != before


def test_commands_queue_on_the_lock_file_beside_the_database(base):
    said = []
    with sharing.command_connection(base, notify=said.append):
        assert sharing.lock_path(base).exists()
        started = time.monotonic()
        os.environ["ARDENNE_DB_WAIT"] = "1.5"
        try:
            with pytest.raises(db.DatabaseBusyError, match="autre commande"):
                with sharing.command_connection(base, notify=said.append):
                    pass
        finally:
            del os.environ["ARDENNE_DB_WAIT"]
        assert time.monotonic() - started >= 1.5
    assert any("attente de son tour" in s for s in said)
    with sharing.command_connection(base, read_only=True) as con:  # the turn is free again
        assert con.cursor().execute("SELECT 1").fetchone() == (1,)


def _revision_reads(database) -> tuple[str, int]:
    """The app's data revision for `database` (ui.database), and how many times that asked the database."""
    from ardenne_kpi import ui

    asked = []

    def read() -> str:
        asked.append(1)
        return db.data_revision(database)

    return ui.database.unless_file_changed(database, "data revision (test)", read), len(asked)


def test_the_app_reads_the_revision_again_only_after_a_commit_of_any_process(base, tmp_path):
    database = sharing.Database(base, idle=0.05)
    first, asked = _revision_reads(database)
    assert asked == 1
    for _ in range(3):  # reads change neither the file nor its log
        db.table_counts(database)
        assert _revision_reads(database) == (first, 0)
    db.set_meta(database.cursor(), "unrelated", "x")  # a commit that changes no figure
    assert _revision_reads(database) == (first, 1), "asked again, the same revision"
    time.sleep(0.2)  # the app lets go of the file: closing checkpoints it
    assert not database.is_open
    assert _revision_reads(database) == (first, 1)
    good = tmp_path / "r.xlsx"
    good.write_bytes(report(("BRD01", "S05", 7)))
    cmd = command("import", str(good), "--db", str(base))  # another process
    _, err = cmd.communicate(timeout=120)
    assert cmd.returncode == 0, err
    after, asked = _revision_reads(database)
    assert asked == 1 and after != first
    with db.transaction(database) as cur:  # this process: the import rolled back
        cur.execute("UPDATE uploads SET rolled_back_at = now() WHERE id = (SELECT max(id) FROM uploads)")
    rolled_back, asked = _revision_reads(database)
    assert asked == 1 and rolled_back not in (first, after)
    assert _revision_reads(database) == (rolled_back, 0)
