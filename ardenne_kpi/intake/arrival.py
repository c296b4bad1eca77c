"""A report file taken in: its bytes read, and its guarded parse started at once.

The import command's first step (`start_reading`), before it loads DuckDB, opens the
database and loads the framework: the child process reads the workbook meanwhile, and
`importer.import_file(con, started, …)` finishes the parse with the same checks, in the
same order, as for the path itself. This module imports neither DuckDB nor the checks'
modules (the framework, `validate`): the command spawns the child a quarter of a second
sooner, and the child loads them while python-calamine parses the cells.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ardenne_kpi.core.errors import ReportError
from ardenne_kpi.intake import guard

if TYPE_CHECKING:
    from ardenne_kpi.intake.model import ParsedReport


def load_file(source: str | os.PathLike[str] | bytes, file_name: str | None) -> tuple[bytes, str]:
    """(bytes, file name) of an upload or a path; ReportError (French) for a file that is
    missing, unreadable, a folder, or over the upload size limit (refused before it is read)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), file_name or "rapport"
    path = Path(source)
    name = file_name or path.name
    limit = guard.max_upload_bytes()
    try:
        size = path.stat().st_size
        if size > limit:  # refuse before reading a huge file into memory
            raise ReportError(
                f"Le fichier pèse {size / 2**20:.1f} Mo, au-delà de la limite de "
                f"{limit / 2**20:.0f} Mo. Supprimez les feuilles, images et mises en forme "
                "inutiles, ou découpez le rapport.".replace(".", ",", 1)
            )
        return path.read_bytes(), name
    except IsADirectoryError as exc:
        raise ReportError(f"« {name} » est un dossier, pas un fichier.") from exc
    except FileNotFoundError as exc:
        raise ReportError(f"Le fichier « {path} » n'existe pas. Vérifiez le chemin.") from exc
    except PermissionError as exc:
        raise ReportError(f"Le fichier « {path} » ne peut pas être lu (droits insuffisants).") from exc
    except OSError as exc:
        raise ReportError(f"Le fichier « {path} » ne peut pas être lu ({exc.strerror or exc}).") from exc


@dataclass
class Started:
    """A file whose guarded parse began before its database was open (`start_reading`)."""

    name: str
    data: bytes | None
    load_error: ReportError | None  # the file could not be read: `import_file` says so
    child: guard.Isolated | None  # None when the pre-checks refuse the file (the parse says why)

    def cancel(self) -> None:
        if self.child is not None:
            self.child.cancel()


def start_reading(source: str | os.PathLike[str], file_name: str | None = None) -> Started:
    """Read a file and start its guarded parse at once, before the database is open, so that
    the workbook is read while the database opens and the framework loads."""
    name = file_name or Path(source).name
    try:
        data, name = load_file(source, name)
    except ReportError as exc:
        return Started(name, None, exc, None)
    try:
        kind = guard.precheck(data, name)
    except ReportError:
        return Started(name, data, None, None)
    return Started(name, data, None, guard.start_isolated(parse_later, data, kind, name))


def parse_later(data: bytes, kind: str, file_name: str, rest: Callable[[], tuple[Any, ...]]) -> ParsedReport:
    """In the guard's child: `reader.parse`, the workbook read before the framework and the
    operator are known. `rest()` waits for (framework, operator, operator_source), which the
    parent sends once its database is open (`guard.start_isolated`). The checks' modules load
    in a thread while python-calamine parses the cells (it releases the GIL)."""
    import importlib

    from ardenne_kpi.intake.workbook import read_workbook

    loading = threading.Thread(
        target=importlib.import_module, args=("ardenne_kpi.intake.reader",), name="load-checks", daemon=True
    )
    loading.start()
    book = read_workbook(data, kind)
    loading.join()
    from ardenne_kpi.intake import reader

    framework, operator, operator_source = rest()
    return reader.check(book, kind, file_name, framework, operator, operator_source)
