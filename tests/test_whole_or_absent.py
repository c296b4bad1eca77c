"""Nothing lost on the way to real use (issue 24): every base backs up, a damaged base is
refused by every command that would copy or write it, a read-only base is read and said to
be read-only, every file the product writes is whole or absent (a full disk included), and
only `init` creates a base."""

from __future__ import annotations

import builtins
import errno
import io
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import duckdb
import pytest

from ardenne_kpi import db
from ardenne_kpi.cli import main
from ardenne_kpi.framework import parse_framework
from ardenne_kpi.portal.publication import public_indicators
from tests.conftest import private_copy, run_page


def run(capsys, *argv: str | Path) -> tuple[int, str, str]:
    """The command line, in this process: (exit code, stdout, stderr). An exception here is
    the traceback a user would have seen."""
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def demo_base(demo_db_path: Path, folder: Path) -> Path:
    """A private copy of the demo base and its original files."""
    folder.mkdir(parents=True, exist_ok=True)
    path = private_copy(demo_db_path, folder)
    shutil.copytree(db.uploads_dir(demo_db_path), db.uploads_dir(path), dirs_exist_ok=True)
    return path


def leftovers(folder: Path) -> list[str]:
    """Hidden or temporary files: what a half-done write leaves."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.name.startswith(".") or ".tmp" in p.name)


# ------------------------------------------------------------------ 1. every base backs up


def test_a_base_started_from_the_shipped_demo_backs_up_and_restores(tmp_path, capsys):
    """The README's path: `init` unpacks the shipped demo, whose files were dated 1970 (the
    unpacking now dates them; files dated before 1980 from anywhere else still back up)."""
    base = tmp_path / "data" / "base.duckdb"
    assert run(capsys, "init", "--db", base)[0] == 0
    for kept in db.uploads_dir(base).iterdir():
        os.utime(kept, (0, 0))  # 1 January 1970, as a reproducible archive leaves them
    archive = tmp_path / "sauvegardes" / "b.zip"
    code, out, err = run(capsys, "backup", "--db", base, "--out", archive)
    assert code == 0, err
    with db.connect(base, read_only=True) as con:
        n = con.execute("SELECT count(*) FROM report_values").fetchone()[0]
    assert "Sauvegarde écrite" in out and f"{n // 1000}\u00a0{n % 1000:03d} valeur(s)" in out
    with zipfile.ZipFile(archive) as zf:
        assert zf.testzip() is None
        assert sum(n.startswith("uploads/") for n in zf.namelist()) == len(list(db.uploads_dir(base).iterdir()))
    assert leftovers(archive.parent) == []
    code, out, err = run(capsys, "restore", archive, "--db", base)
    assert code == 0 and "Base restaurée" in out, err


# ------------------------------------------------------------------ 2. damaged bases refused


def damage(path: Path, how: str) -> None:
    """Cut the base in half, or flip bytes inside the blocks of its values (the base still opens)."""
    data = bytearray(path.read_bytes())
    if how == "half":
        path.write_bytes(bytes(data[: len(data) // 2]))
        return
    con = duckdb.connect(str(path), read_only=True)
    try:
        blocks = con.execute(
            "SELECT DISTINCT block_id, block_offset FROM pragma_storage_info('report_values') "
            "WHERE block_id >= 0 AND column_name = 'value' ORDER BY 1, 2"
        ).fetchall()
        block_size = con.execute("PRAGMA database_size").fetchone()[2]
    finally:
        con.close()
    header = 3 * 4096
    for block_id, offset in blocks:
        at = header + block_id * block_size + offset + 16
        data[at] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("how", ["half", "flipped"])
def test_backup_refuses_a_damaged_base_and_writes_no_archive(demo_db_path, tmp_path, capsys, how):
    base = demo_base(demo_db_path, tmp_path / "data")
    damage(base, how)
    code, out, err = run(capsys, "backup", "--db", base, "--out", tmp_path / "b.zip")
    assert code == 1 and "illisible" in err and "Sauvegarde écrite" not in out, (out, err)
    assert not (tmp_path / "b.zip").exists()


@pytest.mark.parametrize("how", ["half", "flipped"])
def test_writing_commands_refuse_a_damaged_base_before_writing_to_it(demo_db_path, tmp_path, capsys, how):
    base = demo_base(demo_db_path, tmp_path / "data")
    damage(base, how)
    before = base.read_bytes()
    for command in (
        ["lock", "S05"],
        ["unlock", "S05"],
        ["rollback", "1"],
        ["snapshot", "create", "X", "--date", "2022-01-10"],
    ):
        code, _, err = run(capsys, *command, "--db", base)
        assert code == 1 and "illisible" in err, (command, err)
        assert base.read_bytes() == before, command


@pytest.mark.parametrize("how", ["half", "flipped"])
def test_restore_refuses_an_archive_whose_base_is_damaged_and_replaces_nothing(demo_db_path, tmp_path, capsys, how):
    base = demo_base(demo_db_path, tmp_path / "data")
    archive = tmp_path / "b.zip"
    assert run(capsys, "backup", "--db", base, "--out", archive)[0] == 0
    damaged_copy = tmp_path / "damaged" / "base.duckdb"
    damaged_copy.parent.mkdir()
    shutil.copy(base, damaged_copy)
    damage(damaged_copy, how)
    forged = tmp_path / "abimee.zip"
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(forged, "w") as dst:
        for item in src.infolist():
            data = damaged_copy.read_bytes() if item.filename == "base.duckdb" else src.read(item)
            dst.writestr(item, data)
    before = base.read_bytes()
    code, out, err = run(capsys, "restore", forged, "--db", base)
    assert code == 1 and "Rien n'a été remplacé" in err, (out, err)
    assert base.read_bytes() == before
    assert not list(base.parent.glob("*avant-restauration*")) and leftovers(base.parent) == []


# ------------------------------------------------------------------ 7. read-only bases


def _immutable(path: Path, on: bool) -> bool:
    """Root writes whatever the mode: the immutable attribute stops root too (ext4, chattr)."""
    if os.geteuid() != 0:
        return True
    done = subprocess.run(["chattr", "+i" if on else "-i", str(path)], capture_output=True)
    return done.returncode == 0


@pytest.fixture
def read_only(request):
    """Make a file or folder read-only for this process, whatever its user; undone after the test."""
    made: list[Path] = []

    def make(path: Path) -> None:
        path.chmod(0o555 if path.is_dir() else 0o444)
        if not _immutable(path, True):
            pytest.skip("cannot make a file read-only for root here (chattr)")
        made.append(path)

    yield make
    for path in made:
        _immutable(path, False)
        path.chmod(0o755 if path.is_dir() else 0o644)


@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_read_only_base_is_read_and_a_write_is_refused_as_read_only(demo_db_path, tmp_path, capsys, read_only, what):
    base = demo_base(demo_db_path, tmp_path / "data")
    read_only(base)
    if what == "folder":
        read_only(base.parent)
    for command in (["uploads"], ["export", "values", "--out", tmp_path / "v.csv"], ["review"]):
        code, out, err = run(capsys, *command, "--db", base)
        assert code == 0, (command, err)
    code, out, err = run(capsys, "backup", "--db", base, "--out", tmp_path / "b.zip")
    assert code == 0, err  # a read-only base is backed up as it is
    for command in (["lock", "S05"], ["rollback", "1"], ["snapshot", "create", "X", "--date", "2022-01-10"]):
        code, out, err = run(capsys, *command, "--db", base)
        assert code == 1 and "lecture seule" in err, (command, err)
        assert "restore" not in err and "init" not in err and "endommagé" in err  # « n'est pas endommagée »


def test_the_pages_read_a_read_only_base_without_calling_it_damaged(demo_db_path, tmp_path, read_only):
    base = demo_base(demo_db_path, tmp_path / "data")
    read_only(base)
    for page in ("app.py", "pages/7_Chiffres_cles.py"):
        at = run_page(page, base)
        assert not at.exception, (page, [e.value for e in at.exception])
        shown = " ".join(e.value for e in at.error)
        assert "illisible" not in shown and "restore" not in shown, (page, shown)
        assert at.title, page


def test_the_public_page_never_shows_the_servers_path(tmp_path):
    base = tmp_path / "secret-folder" / "base.duckdb"
    base.parent.mkdir()
    base.write_bytes(os.urandom(300_000))  # not a database at all
    at = run_page("pages/7_Chiffres_cles.py", base)
    shown = " ".join(e.value for e in at.error)
    assert shown and "secret-folder" not in shown and str(tmp_path) not in shown, shown


# ------------------------------------------------------------------ 10. full disk


class _FullDisk:
    """Writes under `folder` fail with ENOSPC once `budget` bytes went through: the disk fills up
    mid-file. Everything else (the database, the libraries) writes as usual."""

    def __init__(self, folder: Path, budget: int) -> None:
        self.folder, self.budget = str(folder.resolve()), budget
        self.real_open = io.open

    def _under(self, file) -> bool:
        try:
            name = os.readlink(f"/proc/self/fd/{file}") if isinstance(file, int) else os.path.abspath(file)
        except OSError:
            return False
        return name.startswith(self.folder)

    def open(self, file, mode="r", *args, **kwargs):
        handle = self.real_open(file, mode, *args, **kwargs)
        if any(m in mode for m in "wax+") and self._under(file):
            return _Filling(handle, self)
        return handle


class _Filling:
    def __init__(self, handle, disk: _FullDisk) -> None:
        self._handle, self._disk = handle, disk

    def write(self, data) -> int:
        size = len(memoryview(data).cast("B"))
        if size > self._disk.budget:
            if self._disk.budget:
                self._handle.write(bytes(memoryview(data).cast("B")[: self._disk.budget]))
                self._handle.flush()
            self._disk.budget = 0
            raise OSError(errno.ENOSPC, "No space left on device")
        self._disk.budget -= size
        return self._handle.write(data)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._handle.__exit__(*exc)

    def __getattr__(self, name):
        return getattr(self._handle, name)


@pytest.fixture
def full_disk(monkeypatch):
    def fill(folder: Path, budget: int) -> None:
        disk = _FullDisk(folder, budget)
        monkeypatch.setattr(io, "open", disk.open)
        monkeypatch.setattr(builtins, "open", disk.open)
        return disk

    return fill


EXPORTS = {
    "values": (["export", "values", "--out", "{out}/v.csv"], ["v.csv"]),
    "kpis": (["export", "kpis", "--grain", "semester", "--out", "{out}/k.csv"], ["k.csv"]),
    "coverage": (["export", "coverage", "--out", "{out}/c.xlsx"], ["c.xlsx"]),
    "pack": (["export", "pack", "--out", "{out}/p.pdf"], ["p.pdf", "p.xlsx"]),
    "template": (["template", "--operator", "FTLB", "--period", "S05", "--out", "{out}/t.xlsx"], ["t.xlsx"]),
}


@pytest.mark.parametrize("budget", [0, 3000])
@pytest.mark.parametrize("export", list(EXPORTS))
def test_an_export_on_a_full_disk_keeps_the_earlier_file_and_leaves_nothing(
    demo_db_path, tmp_path, capsys, full_disk, export, budget
):
    base = demo_base(demo_db_path, tmp_path / "data")
    out = tmp_path / "exports"
    out.mkdir()
    command, names = EXPORTS[export]
    argv = [a.replace("{out}", str(out)) for a in command] + ["--db", str(base)]
    earlier = {}
    for name in names:  # a good export made earlier, different from today's
        (out / name).write_bytes(f"export précédent {name}".encode())
        earlier[name] = (out / name).read_bytes()
    full_disk(out, budget)
    code, _, err = run(capsys, *argv)
    assert code == 1 and "disque est plein" in err and "Traceback" not in err, err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == earlier
    assert leftovers(out) == []


def test_publish_on_a_full_disk_keeps_the_earlier_site_and_the_next_run_works(
    demo_db_path, tmp_path, capsys, full_disk
):
    base = demo_base(demo_db_path, tmp_path / "data")
    site = tmp_path / "portail"
    assert run(capsys, "publish", "--out", site, "--db", base)[0] == 0
    earlier = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    for path in earlier:  # an earlier publication, different from today's
        path.write_bytes(earlier[path] + b"\n")
    earlier = {p: p.read_bytes() for p in earlier}
    disk = full_disk(site, 200_000)  # room for some files, not for all of them
    code, _, err = run(capsys, "publish", "--out", site, "--db", base)
    assert code == 1 and "disque est plein" in err and "droit" not in err, err
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == earlier
    assert leftovers(site) == []
    disk.budget = 10**12  # room again: the next run publishes
    code, _, err = run(capsys, "publish", "--out", site, "--db", base)
    assert code == 0, err


def test_a_publication_that_fails_in_a_new_folder_leaves_no_folder_behind(demo_db_path, tmp_path, capsys, full_disk):
    base = demo_base(demo_db_path, tmp_path / "data")
    site = tmp_path / "nouveau" / "portail"
    full_disk(tmp_path / "nouveau", 100_000)
    code, _, err = run(capsys, "publish", "--out", site, "--db", base)
    assert code == 1 and "disque est plein" in err, err
    assert not (tmp_path / "nouveau").exists()


def test_a_backup_on_a_full_disk_keeps_the_earlier_archive(demo_db_path, tmp_path, capsys, full_disk):
    base = demo_base(demo_db_path, tmp_path / "data")
    archive = tmp_path / "sauvegardes" / "b.zip"
    assert run(capsys, "backup", "--db", base, "--out", archive)[0] == 0
    earlier = archive.read_bytes()
    full_disk(archive.parent, 500_000)
    code, _, err = run(capsys, "backup", "--db", base, "--out", archive)
    assert code == 1 and "disque est plein" in err, err
    assert archive.read_bytes() == earlier and leftovers(archive.parent) == []


# ------------------------------------------------------------------ 11. only inside --out, only init creates


def test_publish_refuses_an_indicator_code_that_would_write_outside_its_folder(demo_db_path, tmp_path, capsys):
    base = demo_base(demo_db_path, tmp_path / "a" / "b" / "data")
    con = db.connect(base)
    try:
        fw = db.stored_framework(con)
        code = public_indicators(fw)[0].code
        evil = "../../echappe"
        db.sync_framework(con, parse_framework(re.sub(rf"\b{code}\b", evil, fw.source_text)))
        con.cursor().execute("UPDATE report_values SET indicator = ? WHERE indicator = ?", [evil, code])
    finally:
        con.close()
    site = tmp_path / "a" / "b" / "portail"
    code, out, err = run(capsys, "publish", "--out", site, "--db", base)
    assert code == 1 and "../../echappe" in err, (out, err)
    assert not site.exists() and not list(tmp_path.rglob("echappe*"))  # nothing written, inside or outside


@pytest.mark.parametrize(
    "command",
    [["import", "{tmp}/r.xlsx"], ["template", "--operator", "FTLB", "--period", "S05", "--out", "{tmp}/t.xlsx"]],
)
def test_a_mistyped_db_is_refused_rather_than_created(tmp_path, capsys, command):
    (tmp_path / "r.xlsx").write_bytes(b"not read")
    typo = tmp_path / "bsae.duckdb"
    code, out, err = run(capsys, *[a.replace("{tmp}", str(tmp_path)) for a in command], "--db", typo)
    assert code == 1 and "n'existe pas" in err and "init" in err, (out, err)
    assert not typo.exists() and not (tmp_path / "t.xlsx").exists()


def test_without_unnamed_files_a_named_temporary_file_is_used_and_removed(
    demo_db_path, tmp_path, capsys, monkeypatch, full_disk
):
    """Where the system cannot write a file unnamed (no /proc, another OS), a hidden
    temporary file beside the target: removed on a failure, renamed on success."""
    from ardenne_kpi.core import storage

    monkeypatch.setattr(storage, "_PROC", tmp_path / "no-proc")
    base = demo_base(demo_db_path, tmp_path / "data")
    out = tmp_path / "exports"
    out.mkdir()
    (out / "v.csv").write_bytes(b"export precedent")
    disk = full_disk(out, 3000)
    code, _, err = run(capsys, "export", "values", "--out", out / "v.csv", "--db", base)
    assert code == 1 and "disque est plein" in err, err
    assert [p.name for p in out.iterdir()] == ["v.csv"] and (out / "v.csv").read_bytes() == b"export precedent"
    disk.budget = 10**12
    code, _, err = run(capsys, "export", "values", "--out", out / "v.csv", "--db", base)
    assert code == 0 and [p.name for p in out.iterdir()] == ["v.csv"], err
    assert (out / "v.csv").read_bytes().startswith(b"indicator")
