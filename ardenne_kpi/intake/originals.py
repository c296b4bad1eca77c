"""The original files of the uploads, kept beside the database (uploads/<hash>.xlsx) so that
the coordination and the partner who sent one can download it again.

Who may download which file is the caller's decision (`accounts.check_download_original`
at the page): this module only keeps and finds the bytes.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

import duckdb

from ardenne_kpi import db
from ardenne_kpi.core.errors import StorageError


def keep(
    con: duckdb.DuckDBPyConnection, data: bytes, sha: str, name: str, db_path: str | os.PathLike[str] | None
) -> str | None:
    """Store the original bytes under uploads/ beside the database, by hash (idempotent), and
    return their path relative to the database's folder (`uploads/<hash>.xlsx`), so the data
    folder can move. A full disk leaves no partial file and raises StorageError (French)."""
    database = db_path or db.database_file(con)
    if not database or str(database) == ":memory:":
        return None
    folder = db.uploads_dir(database)
    suffix = Path(name).suffix.lower()
    suffix = suffix if suffix in (".xlsx", ".xlsm", ".xls", ".ods") else ""
    target = folder / f"{sha}{suffix}"
    if not target.exists():
        tmp = None
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except OSError as exc:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            raise StorageError(_storage_message(exc, folder)) from exc
    return target.relative_to(Path(database).resolve().parent).as_posix()


def _storage_message(exc: OSError, folder: Path) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        why = "le disque est plein"
        what = "Libérez de la place sur ce disque (ou déplacez le dossier des données), puis importez de nouveau"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        why = "l'écriture y est interdite"
        what = "Donnez le droit d'écrire dans ce dossier au compte qui lance l'application, puis importez de nouveau"
    else:
        why = exc.strerror or str(exc)
        what = "Vérifiez ce dossier et le disque, puis importez de nouveau"
    return f"Le fichier d'origine n'a pas pu être conservé dans {folder} : {why}. Rien n'a été enregistré. {what}."


def original_file(con: duckdb.DuckDBPyConnection, upload_id: int) -> tuple[str, bytes] | None:
    """(file name, bytes) of an upload's original file, or None when it was not kept (demo
    data) or is gone. Files are kept by `keep`; a relative stored path is read
    from the database's folder; an old absolute one, when that file is gone, from uploads/
    beside the database (the data folder moved)."""
    found = db.upload_file(con, upload_id)
    if not found or not found[1]:
        return None
    name, stored = found[0], found[1]
    path = Path(stored)
    database = db.database_file(con)
    if not database:
        candidates = [path] if path.is_absolute() else []
    elif path.is_absolute():
        candidates = [path, db.uploads_dir(database) / path.name]
    else:
        candidates = [Path(database).resolve().parent / path, db.uploads_dir(database) / path]
    for candidate in candidates:
        try:
            return name, candidate.read_bytes()
        except OSError:
            continue
    return None


def upload_operator(con: duckdb.DuckDBPyConnection, upload_id: int) -> str | None:
    """The operator an upload reported for: what decides who may download its original file."""
    return db.upload_operator(con, upload_id)
