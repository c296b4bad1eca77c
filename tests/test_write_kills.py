"""kill -9 during `backup`, `restore`, `export pack` and `publish`, at random moments: the
earlier files are intact (or replaced whole by the new ones) and nothing partial is left
(issue 24). Slow: each command runs once to time it, then five times to be killed."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import duckdb
import pytest

from ardenne_kpi import db
from tests.conftest import ROOT, private_copy

pytestmark = pytest.mark.slow

KILLS = 5
FOLDER = [""]  # the running test's folder: writes under it are slowed down


@pytest.fixture(autouse=True)
def slow_writes_under(tmp_path):
    FOLDER[0] = str(tmp_path.resolve())


SLOW_WRITES = Path(__file__).resolve().parent / "slow_writes"  # its sitecustomize slows the writes down


def command(*args: str | Path, chunk: int = 64 * 1024) -> subprocess.Popen:
    """A command whose files under the test's folder are written slowly (see slow_writes/):
    the kills land inside writes, not only in the computing before them."""
    return subprocess.Popen(
        [sys.executable, "-m", "ardenne_kpi", *map(str, args)],
        cwd=ROOT,
        env={
            **os.environ,
            "PYTHONPATH": f"{SLOW_WRITES}{os.pathsep}{ROOT}",
            "ARDENNE_TEST_SLOW_WRITES": FOLDER[0],
            "ARDENNE_TEST_SLOW_CHUNK": str(chunk),
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def timed(*args: str | Path, chunk: int = 64 * 1024) -> float:
    """Run a command to its end; its duration (the window the kills are drawn in)."""
    started = time.monotonic()
    proc = command(*args, chunk=chunk)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()
    return time.monotonic() - started


def killed(
    rng: random.Random,
    duration: float,
    *args: str | Path,
    window: tuple[float, float] = (0.15, 1.0),
    chunk: int = 65536,
) -> None:
    """Start the command and kill -9 it at a random moment of its usual run (`window`: the
    part of the run, as fractions of its duration, the moment is drawn in)."""
    proc = command(*args, chunk=chunk)
    time.sleep(rng.uniform(*window) * duration)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)


def leftovers(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.name.startswith(".") or ".tmp" in p.name)


def whole_zip(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            return zf.testzip() is None
    except zipfile.BadZipFile:
        return False


def readable_whole(path: Path) -> bool:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return bool(db.check_readable(con))
    finally:
        con.close()


@pytest.fixture
def base(demo_db_path, tmp_path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    path = private_copy(demo_db_path, folder)
    shutil.copytree(db.uploads_dir(demo_db_path), db.uploads_dir(path))
    return path


def test_killing_backup_keeps_the_earlier_archive_and_leaves_nothing(base, tmp_path):
    rng = random.Random(24_1)
    archive = tmp_path / "sauvegardes" / "b.zip"
    duration = timed("backup", "--db", base, "--out", archive)
    earlier = archive.read_bytes()
    for _ in range(KILLS):
        killed(rng, duration, "backup", "--db", base, "--out", archive)
        assert archive.read_bytes() == earlier or whole_zip(archive)
        earlier = archive.read_bytes()
        assert leftovers(archive.parent) == []
        assert readable_whole(base)


def test_killing_restore_keeps_one_whole_base_and_whole_original_files(base, tmp_path):
    rng = random.Random(24_2)
    archive = tmp_path / "b.zip"
    assert timed("backup", "--db", base, "--out", archive)
    shutil.rmtree(db.uploads_dir(base))  # the restore has the original files to write back
    duration = timed("restore", archive, "--db", base)
    for _ in range(KILLS):
        shutil.rmtree(db.uploads_dir(base), ignore_errors=True)
        killed(rng, duration, "restore", archive, "--db", base)
        assert readable_whole(base)  # the old base or the restored one, whole
        for kept in base.parent.glob("*.avant-restauration-*"):
            assert readable_whole(kept)
        for original in db.uploads_dir(base).glob("*") if db.uploads_dir(base).exists() else []:
            assert hashlib.sha256(original.read_bytes()).hexdigest() == original.stem  # named by its hash: whole
        assert leftovers(base.parent) == []


def test_killing_export_pack_keeps_the_earlier_files_and_leaves_nothing(base, tmp_path):
    rng = random.Random(24_3)
    out = tmp_path / "comite"
    out.mkdir()
    pdf, xlsx = out / "dossier.pdf", out / "dossier.xlsx"
    duration = timed("export", "pack", "--out", pdf, "--db", base, chunk=8192)  # mostly computing; files last
    for path in (pdf, xlsx):
        path.write_bytes(b"dossier precedent")
    for _ in range(KILLS):
        killed(rng, duration, "export", "pack", "--out", pdf, "--db", base, window=(0.75, 1.0), chunk=8192)
        pdf_bytes = pdf.read_bytes()
        assert pdf_bytes == b"dossier precedent" or (pdf_bytes.startswith(b"%PDF") and b"%%EOF" in pdf_bytes[-64:])
        assert xlsx.read_bytes() == b"dossier precedent" or whole_zip(xlsx)
        assert sorted(p.name for p in out.iterdir()) == ["dossier.pdf", "dossier.xlsx"]


def test_killing_publish_keeps_every_file_whole_and_the_next_run_works(base, tmp_path):
    rng = random.Random(24_4)
    reference = tmp_path / "reference"
    duration = timed("publish", "--out", reference, "--db", base)
    new = {p.relative_to(reference): p.read_bytes() for p in reference.rglob("*") if p.is_file()}
    site = tmp_path / "portail"
    shutil.copytree(reference, site)
    for path in site.rglob("*"):
        if path.is_file():
            path.write_bytes(path.read_bytes() + b"\n")  # an earlier publication, other bytes
    earlier = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    for _ in range(KILLS):
        killed(rng, duration, "publish", "--out", site, "--db", base)
        now = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
        assert set(now) == set(earlier)
        assert all(data in (earlier[name], new[name]) for name, data in now.items())
        assert leftovers(site) == []
    fresh = tmp_path / "nouveau"
    killed(rng, duration, "publish", "--out", fresh, "--db", base)  # killed in a folder of its own
    assert timed("publish", "--out", fresh, "--db", base)  # the next run accepts what is there
    assert {p.relative_to(fresh): p.read_bytes() for p in fresh.rglob("*") if p.is_file()} == new
