"""A process killed in the middle of an import leaves the database as it was: every upload
recorded holds exactly the values it counted, and no value exists without its upload."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from ardenne_kpi import db
from tests.browser_helpers import large_report
from tests.conftest import ROOT


def consistent(path) -> tuple[int, int]:
    con = db.connect(path)
    try:
        uploads = con.execute("SELECT id, inserted + updated FROM uploads").fetchall()
        for upload_id, counted in uploads:
            stored = con.execute("SELECT count(*) FROM report_values WHERE upload_id = ?", [upload_id]).fetchone()[0]
            assert stored == counted, (upload_id, stored, counted)
        orphans = con.execute(
            "SELECT count(*) FROM report_values v LEFT JOIN uploads u ON u.id = v.upload_id WHERE u.id IS NULL"
        ).fetchone()[0]
        assert orphans == 0
        return len(uploads), con.execute("SELECT count(*) FROM report_values").fetchone()[0]
    finally:
        con.close()


@pytest.mark.slow  # imports killed at random moments, then one run to the end: ten seconds of processes
def test_kill_during_imports_never_leaves_half_an_upload(tmp_path, fw):
    database = tmp_path / "killed.duckdb"
    con = db.connect(database)
    db.sync_framework(con, fw)
    con.close()
    rng = random.Random(7)
    for attempt in range(4):
        report = tmp_path / f"big{attempt}.xlsx"
        report.write_bytes(large_report(10_000, operator=["FTLB", "ADT08", "FTPN", "PNRA"][attempt]))
        proc = subprocess.Popen(
            [sys.executable, "-m", "ardenne_kpi", "import", str(report), "--db", str(database)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        time.sleep(rng.uniform(0.3, 1.5))  # reading, validating or writing: any moment
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        consistent(database)  # after every kill, whatever the moment
    # the database still takes a whole import afterwards
    done = subprocess.run(
        [sys.executable, "-m", "ardenne_kpi", "import", str(tmp_path / "big0.xlsx"), "--db", str(database)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    uploads, values = consistent(database)
    assert uploads >= 1 and values > 0
