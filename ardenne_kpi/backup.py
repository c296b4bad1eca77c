"""Backups of a database and of the original files beside it, and restoring one.

A backup is one .zip: the database file (`base.duckdb`), written out whole first
(CHECKPOINT) and copied while this process holds the database, so it is consistent; every
original file of `uploads/`; and `sauvegarde.json`, what the backup holds. Restoring checks
the archive, opens its database before anything is replaced, and keeps the replaced file
beside the new one (`….avant-restauration-<date>`), so a restore can be undone too.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

import duckdb

from ardenne_kpi import db
from ardenne_kpi.db import sharing
from ardenne_kpi.errors import ArdenneError, DatabaseBusyError, StorageError

FORMAT = "ardenne-kpi-backup"
DATABASE_ENTRY = "base.duckdb"
MANIFEST_ENTRY = "sauvegarde.json"
UPLOADS_ENTRY = "uploads/"


def default_archive(database: Path, now: dt.datetime | None = None) -> Path:
    """backups/<base>-AAAAMMJJ-HHMMSS.zip beside the database file."""
    now = now or dt.datetime.now()
    return database.resolve().parent / "backups" / f"{database.stem}-{now:%Y%m%d-%H%M%S}.zip"


def create(database: str | os.PathLike, out: str | os.PathLike | None = None) -> dict:
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
    with sharing.command_connection(database) as con:
        try:
            counts = db.check_readable(con)  # a damaged block fails here, not in the archive
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


def _write_archive(archive: Path, database: Path, originals: list[Path], manifest: dict) -> None:
    tmp = None
    try:
        archive.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=archive.parent, prefix=".backup-", suffix=".zip")
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            zf.writestr(MANIFEST_ENTRY, json.dumps(manifest, ensure_ascii=False, indent=2))
            zf.write(database, DATABASE_ENTRY)
            for path in originals:
                zf.write(path, UPLOADS_ENTRY + path.name)
        os.replace(tmp, archive)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise StorageError(_disk_message(exc, archive, "La sauvegarde")) from exc


def _disk_message(exc: OSError, target: Path, what: str) -> str:
    why = "le disque est plein" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else (exc.strerror or str(exc))
    return (
        f"{what} n'a pas pu être écrite dans {target.parent} : {why}. Rien n'a été laissé à moitié écrit. "
        "Libérez de la place ou choisissez un autre dossier (--out), puis recommencez."
    )


def read_manifest(archive: str | os.PathLike) -> dict:
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


def restore(archive: str | os.PathLike, database: str | os.PathLike, *, now: dt.datetime | None = None) -> dict:
    """Replace `database` with the backup's and add its original files to uploads/; returns
    {'database', 'kept' (the replaced file, or None), 'tables', 'uploads'}. Nothing is replaced
    unless the backup's database opens and reads whole."""
    archive, database = Path(archive), Path(database)
    manifest = read_manifest(archive)
    _refuse_if_in_use(database)
    database.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=database.parent, prefix=".restore-", suffix=".duckdb")
    os.close(fd)
    tmp = Path(tmp)
    try:
        try:
            with zipfile.ZipFile(archive) as zf, zf.open(DATABASE_ENTRY) as src, tmp.open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        except OSError as exc:
            raise StorageError(_disk_message(exc, database, "La base restaurée")) from exc
        except zipfile.BadZipFile as exc:
            raise ArdenneError(
                f"« {archive} » est endommagée : sa base ne peut pas être extraite. Choisissez une autre sauvegarde.",
                title="Sauvegarde illisible",
            ) from exc
        counts = _check_restored(tmp, archive)
        kept = None
        if database.exists():
            kept = database.with_name(f"{database.name}.avant-restauration-{(now or dt.datetime.now()):%Y%m%d-%H%M%S}")
            os.replace(database, kept)
        wal = Path(str(database) + ".wal")
        if wal.exists():  # the old base's log would be replayed onto the restored one
            os.replace(wal, Path(str(kept) + ".wal") if kept else wal.with_name(wal.name + ".ancien"))
        os.replace(tmp, database)
    finally:
        tmp.unlink(missing_ok=True)
    added = _restore_uploads(archive, database)
    return {
        "database": database,
        "kept": kept,
        "tables": counts,
        "uploads": added,
        "created_at": manifest.get("created_at"),
    }


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


def _check_restored(path: Path, archive: Path) -> dict[str, int]:
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
            try:
                with zf.open(name) as src, target.open("wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
            except OSError as exc:
                target.unlink(missing_ok=True)
                raise StorageError(_disk_message(exc, target, "Un fichier d'origine")) from exc
            added += 1
    return added
