"""Backups of a database and of the original files beside it, and restoring one.

A backup is one .zip: the database file (`base.duckdb`), written out whole first
(CHECKPOINT) and copied while this process holds the database, so it is consistent; every
original file of `uploads/`; and `sauvegarde.json`, what the backup holds. Restoring checks
the archive, opens its database before anything is replaced, and keeps the replaced file
beside the new one (`….avant-restauration-<date>`), so a restore can be undone too.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

import duckdb

from ardenne_kpi import db
from ardenne_kpi.core import storage
from ardenne_kpi.core.errors import ArdenneError, DatabaseBusyError, StorageError  # noqa: F401 - callers catch it here
from ardenne_kpi.db import sharing

FORMAT = "ardenne-kpi-backup"
DATABASE_ENTRY = "base.duckdb"
MANIFEST_ENTRY = "sauvegarde.json"
UPLOADS_ENTRY = "uploads/"


def default_archive(database: Path, now: dt.datetime | None = None) -> Path:
    """backups/<base>-AAAAMMJJ-HHMMSS.zip beside the database file."""
    now = now or dt.datetime.now()
    return database.resolve().parent / "backups" / f"{database.stem}-{now:%Y%m%d-%H%M%S}.zip"


def create(database: str | os.PathLike[str], out: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Write a backup of `database` and its original files; returns what it holds
    ({'archive', 'tables', 'uploads', 'bytes'}). Raises ArdenneError (French): a missing or
    damaged database, a full disk (nothing is left behind)."""
    database = Path(database)
    if not database.exists():
        raise ArdenneError(
            f"La base {database} n'existe pas : rien à sauvegarder. Vérifiez --db ou ARDENNE_DB.",
            title="Base introuvable",
        )
    archive = Path(out) if out else default_archive(database)
    # Its turn beside the app and other commands (db.sharing), held alone while the archive is
    # written: no other process can change the database meanwhile.
    # A read-only base is backed up as it is (read-only: nothing to write back first), unless
    # its log holds changes that only a write could bring into the file.
    read_only = not db.writable(database)
    if read_only and Path(str(database) + ".wal").exists():
        raise db.read_only_error(database)
    with sharing.command_connection(database, read_only=read_only) as con:
        try:
            counts = db.check_readable(con)  # every table read whole: a damaged block fails here
            if not read_only:
                db.checkpoint(con)
        except duckdb.Error as exc:
            raise db.database_error(exc, database) from exc
        version = db.schema_version(con)
        originals = sorted(p for p in db.uploads_dir(database).glob("*") if p.is_file() and not p.name.startswith("."))
        manifest = {
            "format": FORMAT,
            "version": 1,
            "created_at": dt.datetime.now().isoformat(timespec="seconds"),
            "database": database.name,
            "schema_version": version,
            "tables": counts,
            "uploads": len(originals),
        }
        _write_archive(archive, database, originals, manifest)
    return {"archive": archive, "tables": counts, "uploads": len(originals), "bytes": archive.stat().st_size}


def _write_archive(archive: Path, database: Path, originals: list[Path], manifest: dict[str, Any]) -> None:
    """The archive, written aside and put in place whole (`storage`): a full disk or a kill
    leaves the earlier archive, never a partial one. Files dated before 1980 (the shipped
    demo unpacks dated 1970) are stored dated 1980: a zip cannot say earlier."""
    # Private like the database it copies (0600).
    with storage.aside(archive, what="la sauvegarde", mode=0o600) as raw:
        with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, compresslevel=1, strict_timestamps=False) as zf:
            zf.writestr(MANIFEST_ENTRY, json.dumps(manifest, ensure_ascii=False, indent=2))
            zf.write(database, DATABASE_ENTRY)
            for path in originals:
                zf.write(path, UPLOADS_ENTRY + path.name)


def _disk_message(exc: OSError, target: Path, what: str) -> str:
    return storage.disk_message(exc, target, what)


def read_manifest(archive: str | os.PathLike[str]) -> dict[str, Any]:
    """What a backup holds; ArdenneError (French) when the file is not a backup of ours."""
    archive = Path(archive)
    try:
        with zipfile.ZipFile(archive) as zf:
            names = set(zf.namelist())
            if MANIFEST_ENTRY not in names or DATABASE_ENTRY not in names:
                raise zipfile.BadZipFile("entries missing")
            manifest = json.loads(zf.read(MANIFEST_ENTRY))
    except FileNotFoundError as exc:
        raise ArdenneError(
            f"Le fichier « {archive} » n'existe pas. Vérifiez le chemin de la sauvegarde.",
            title="Sauvegarde introuvable",
        ) from exc
    except (zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError, OSError, KeyError) as exc:
        raise ArdenneError(
            f"« {archive} » n'est pas une sauvegarde d'Ardenne KPI lisible (archive .zip faite par "
            "python -m ardenne_kpi backup). Choisissez une autre sauvegarde.",
            title="Sauvegarde illisible",
        ) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArdenneError(
            f"« {archive} » n'est pas une sauvegarde d'Ardenne KPI. Choisissez une autre sauvegarde.",
            title="Sauvegarde illisible",
        )
    return manifest


def restore(
    archive: str | os.PathLike[str], database: str | os.PathLike[str], *, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Replace `database` with the backup's and add its original files to uploads/; returns
    {'database', 'kept' (the replaced file, or None), 'tables', 'uploads'}. Nothing is replaced
    unless the backup's database opens and reads whole."""
    archive, database = Path(archive), Path(database)
    manifest = read_manifest(archive)
    _refuse_if_in_use(database)
    database.parent.mkdir(parents=True, exist_ok=True)
    kept = None
    # The backup's base is extracted aside (`storage`: unnamed until it is put in place, so a
    # restore killed mid-way leaves nothing), read whole, and only then replaces the base.
    with storage.aside(database, what="la base restaurée", mode=0o600) as extracted:
        try:
            with zipfile.ZipFile(archive) as zf, zf.open(DATABASE_ENTRY) as src:
                shutil.copyfileobj(src, extracted, 1 << 20)
            extracted.flush()
        except (zipfile.BadZipFile, EOFError) as exc:
            raise ArdenneError(
                f"« {archive} » est endommagée : sa base ne peut pas être extraite. Choisissez une autre sauvegarde.",
                title="Sauvegarde illisible",
            ) from exc
        counts = _check_restored(storage.path_of(extracted), archive)  # whole, before anything is replaced
        if database.exists():
            kept = _keep_aside(database, now or dt.datetime.now())
        wal = Path(str(database) + ".wal")
        if wal.exists():  # the old base's log would be replayed onto the restored one
            os.replace(wal, Path(str(kept) + ".wal") if kept else wal.with_name(wal.name + ".ancien"))
    added = _restore_uploads(archive, database)
    return {
        "database": database,
        "kept": kept,
        "tables": counts,
        "uploads": added,
        "created_at": manifest.get("created_at"),
    }


def _keep_aside(database: Path, now: dt.datetime) -> Path:
    """A second name for the base about to be replaced (`….avant-restauration-<date>`): the
    new base then takes its place in one step, so the path always holds one base, whole."""
    kept = database.with_name(f"{database.name}.avant-restauration-{now:%Y%m%d-%H%M%S}")
    n = 1
    while kept.exists():
        n += 1
        kept = database.with_name(f"{database.name}.avant-restauration-{now:%Y%m%d-%H%M%S}-{n}")
    try:
        os.link(database, kept)
    except OSError:  # no hard links on this filesystem: a copy
        shutil.copy2(database, kept)
    return kept


def _refuse_if_in_use(database: Path) -> None:
    if not database.exists():
        return
    try:
        duckdb.connect(str(database)).close()
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise DatabaseBusyError(
                f"La base {database} est ouverte par une autre application (probablement le "
                "tableau de bord). Arrêtez-la, puis relancez la restauration."
            ) from exc
    except duckdb.Error:
        pass  # a damaged base: exactly what a restore replaces


def _check_restored(path: str | os.PathLike[str], archive: Path) -> dict[str, int]:
    try:
        con = duckdb.connect(str(path), read_only=True)
        try:
            counts = db.check_readable(con)
            version = db.schema_version(con)
        finally:
            con.close()
    except duckdb.Error as exc:
        raise ArdenneError(
            f"La base contenue dans « {archive} » est illisible ({str(exc).splitlines()[0][:200]}). "
            "Rien n'a été remplacé. Choisissez une autre sauvegarde.",
            title="Sauvegarde illisible",
        ) from exc
    if version > db.SCHEMA_VERSION:
        raise ArdenneError(
            f"« {archive} » vient d'une version plus récente d'Ardenne KPI (schéma {version}). "
            "Mettez l'application à jour, puis restaurez.",
            title="Sauvegarde trop récente",
        )
    return counts


def _restore_uploads(archive: Path, database: Path) -> int:
    """Copy the backup's original files that uploads/ lacks; names are checked (no path escapes)."""
    folder = db.uploads_dir(database)
    added = 0
    with zipfile.ZipFile(archive) as zf:
        for name in zf.namelist():
            entry = PurePosixPath(name)
            if len(entry.parts) != 2 or entry.parts[0] != UPLOADS_ENTRY.rstrip("/") or entry.name.startswith("."):
                continue
            target = folder / entry.name
            if target.exists():
                continue
            folder.mkdir(parents=True, exist_ok=True)
            with zf.open(name) as src, storage.aside(target, what="un fichier d'origine") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)  # whole or absent: a kill leaves no half file
            added += 1
    return added
