"""No uploaded file can take the dashboard down.

Two lines of defence, because the fast Rust readers abort the whole Python process,
uncatchably, on some hostile files (a 1.6 KB xlsx declaring a cell at XFD1048576), and
need gigabytes for a zip bomb:

1. `precheck`: cheap checks on the bytes before any parser sees them: size, signature,
   the zip directory's declared sizes and ratios, declared sheet dimensions, DTD and
   entity declarations. Under a millisecond for a normal file.
2. `run_isolated`: the parse itself in a child interpreter, with an address-space limit
   (RLIMIT_AS, 2 GiB by default) and a time limit (60 s). A crash, a memory blow-up or a
   timeout is one refused upload with a French message.

Limits are configurable: ARDENNE_MAX_UPLOAD_MB (20), ARDENNE_PARSE_MEMORY_MB (2048),
ARDENNE_PARSE_TIMEOUT (60 seconds). Set Streamlit's `server.maxUploadSize` to the same
number of MB as ARDENNE_MAX_UPLOAD_MB.
"""

from __future__ import annotations

import gc
import importlib
import io
import os
import pickle
import re
import signal
import subprocess
import sys
import threading
import time
import weakref
import zipfile
from collections.abc import Callable
from typing import Any

from ardenne_kpi.core import settings
from ardenne_kpi.core.errors import ArdenneError, ReportError
from ardenne_kpi.core.format import NBSP

# Genuine partner workbooks inflate 7.6–10.4:1; the bomb we know of, 263:1.
MAX_RATIO = 100
RATIO_FLOOR = 10 * 2**20  # a small part may be as repetitive as it likes
MAX_UNCOMPRESSED = 600 * 2**20
MAX_ZIP_ENTRIES = 5000
MAX_DECLARED_CELLS = 20_000_000  # 100 000 rows x 200 columns
EXCEL_MAX_ROWS, EXCEL_MAX_COLS = 1_048_576, 16_384
HEAD_BYTES = 64 * 1024

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = (b"PK\x03\x04", b"PK\x05\x06")

ACCEPTED = "Formats acceptés : .xlsx, .xlsm, .xls et .ods."


def max_upload_bytes() -> int:
    """The upload size limit in bytes (ARDENNE_MAX_UPLOAD_MB, 20 MB by default)."""
    return int(settings.get("ARDENNE_MAX_UPLOAD_MB") * 2**20)


def _mb(n: int) -> str:
    return f"{n / 2**20:.1f}".replace(".", ",").replace(",0", "") + " Mo"


def precheck(data: bytes, file_name: str = "") -> str:
    """The kind of workbook ("xlsx", "xls" or "ods"), or ReportError saying in French why
    the file is refused before any parser touches it."""
    limit = max_upload_bytes()
    if not data:
        raise ReportError("Le fichier est vide (0 octet). Vérifiez que vous avez choisi le bon fichier.")
    if len(data) > limit:
        raise ReportError(
            f"Le fichier pèse {_mb(len(data))}, au-delà de la limite de {_mb(limit)}. "
            "Supprimez les feuilles, images et mises en forme inutiles, ou découpez le rapport."
        )
    if data.startswith(ZIP):
        try:
            return _check_zip(data)
        except ReportError:
            raise
        except Exception as exc:  # any zip oddity is a damaged file, never a traceback
            raise ReportError(
                "Le fichier est endommagé (archive illisible). Ouvrez-le dans Excel ou LibreOffice, "
                "enregistrez-le de nouveau en .xlsx, puis importez cette copie."
            ) from exc
    if data.startswith(OLE2):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise ReportError(
                "Le classeur est protégé par un mot de passe : il ne peut pas être lu. "
                "Enregistrez-en une copie sans mot de passe, puis importez cette copie."
            )
        return "xls"
    head = data[:512].lstrip().lower()
    if head.startswith((b"<html", b"<!doctype html", b"<table")) or b"<html" in head:
        hint = (
            "Ce fichier est une page web enregistrée avec l'extension .xls : ouvrez-le dans Excel "
            "et enregistrez-le en .xlsx."
        )
    elif head.startswith(b"<?xml"):
        hint = "Ce fichier est un classeur XML 2003 : ouvrez-le dans Excel et enregistrez-le en .xlsx."
    elif data[:4] == b"%PDF":
        hint = "Ce fichier est un PDF : importez le classeur Excel d'origine."
    else:
        hint = "Si c'est un export CSV ou texte, ouvrez-le dans Excel et enregistrez-le en .xlsx."
    raise ReportError(f"« {file_name or 'Le fichier'} » n'est pas un classeur Excel ou LibreOffice. {hint} {ACCEPTED}")


_DIMENSION = re.compile(
    rb'<(?:[A-Za-z_][\w.-]*:)?dimension\s+ref="\$?([A-Z]{1,4})\$?(\d{1,8})(?::\$?([A-Z]{1,4})\$?(\d{1,8}))?"'
)
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.I)


def _check_zip(data: bytes) -> str:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise ReportError(
            "Le fichier est endommagé (archive illisible). Ouvrez-le dans Excel ou "
            "LibreOffice, enregistrez-le de nouveau en .xlsx, puis importez cette copie."
        ) from exc
    if len(infos) > MAX_ZIP_ENTRIES:
        raise ReportError(
            f"Le fichier contient {len(infos)} éléments internes : ce n'est pas un rapport "
            "ordinaire et il est refusé par sécurité."
        )
    names = {i.filename.replace("\\", "/").lower() for i in infos}
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
            raise ReportError(
                f"Le fichier est refusé par sécurité : une de ses parties ({info.filename}) se décompresse "
                f"{int(ratio)} fois (jusqu'à {_mb(info.file_size)}), ce qu'aucun rapport ordinaire ne fait. "
                "Enregistrez une copie du classeur sans les feuilles inutiles et importez-la."
            )
        if info.flag_bits & 0x1:
            raise ReportError(
                "Le classeur est protégé par un mot de passe : il ne peut pas être lu. "
                "Enregistrez-en une copie sans mot de passe, puis importez cette copie."
            )
    if total > MAX_UNCOMPRESSED:
        raise ReportError(
            f"Le fichier est refusé par sécurité : son contenu décompressé atteindrait "
            f"{_mb(total)}. Découpez le rapport ou supprimez les feuilles inutiles."
        )
    if "xl/workbook.bin" in names or any(n.endswith("/workbook.bin") for n in names):
        raise ReportError(
            "Les classeurs binaires .xlsb ne sont pas acceptés. Ouvrez le fichier dans Excel et "
            f"enregistrez-le en .xlsx (Classeur Excel), puis importez ce nouveau fichier. {ACCEPTED}"
        )
    if "xl/workbook.xml" in names or any(n == "workbook.xml" or n.endswith("/workbook.xml") for n in names):
        kind = "xlsx"
    elif "content.xml" in names and "mimetype" in names:
        if (
            "meta-inf/manifest.xml" in names
            and b"encryption-data" in zf.read("META-INF/manifest.xml")[: HEAD_BYTES * 4]
        ):
            raise ReportError(
                "Le classeur est protégé par un mot de passe : il ne peut pas être lu. "
                "Enregistrez-en une copie sans mot de passe, puis importez cette copie."
            )
        mime = zf.read("mimetype")[:100].strip()
        if mime != b"application/vnd.oasis.opendocument.spreadsheet":
            raise ReportError(
                "Ce fichier OpenDocument n'est pas un classeur (c'est peut-être un texte ou "
                f"une présentation). {ACCEPTED}"
            )
        kind = "ods"
    elif "word/document.xml" in names:
        raise ReportError(f"Ce fichier est un document Word, pas un classeur. {ACCEPTED}")
    else:
        raise ReportError(f"Ce fichier est une archive zip qui ne contient pas de classeur. {ACCEPTED}")
    for info in infos:
        if not info.filename.endswith((".xml", ".rels")) or info.is_dir():
            continue
        try:
            with zf.open(info) as part:
                head = part.read(HEAD_BYTES)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as exc:
            raise ReportError(
                f"Le fichier est endommagé (partie {info.filename} illisible). Ouvrez-le dans "
                "Excel ou LibreOffice et enregistrez-le de nouveau en .xlsx."
            ) from exc
        if _DTD.search(head):
            raise ReportError(
                "Le fichier est refusé par sécurité : il contient des déclarations XML (DTD ou "
                "entités) qu'aucun tableur ne produit. Ouvrez-le dans Excel ou LibreOffice et "
                "enregistrez-le de nouveau."
            )
        if kind == "xlsx" and "worksheets/" in info.filename.replace("\\", "/"):
            _check_dimension(head, info.filename)
    return kind


def _check_dimension(head: bytes, part: str) -> None:
    match = _DIMENSION.search(head)
    if not match:
        return
    from ardenne_kpi.intake.workbook import col_index

    c1, r1 = col_index(match[1].decode()) + 1, int(match[2])
    c2, r2 = (col_index(match[3].decode()) + 1, int(match[4])) if match[3] else (c1, r1)
    rows, cols = abs(r2 - r1) + 1, abs(c2 - c1) + 1
    if max(r1, r2) > EXCEL_MAX_ROWS or max(c1, c2) > EXCEL_MAX_COLS or rows * cols > MAX_DECLARED_CELLS:
        raise ReportError(
            f"Le fichier est refusé par sécurité : une feuille déclare une plage de {rows:,} lignes × {cols:,} "
            "colonnes".replace(",", NBSP)
            + ", bien au-delà d'un rapport. Supprimez les lignes et colonnes vides en fin de feuille "
            "(sélection, clic droit, Supprimer), enregistrez, puis importez de nouveau."
        )


# --------------------------------------------------------------------- the child process
#
# A fresh interpreter (`python -m ardenne_kpi.intake.guard`) rather than multiprocessing:
# "fork" is unsafe under Streamlit's threads, and "spawn"/"forkserver" re-import the host's
# __main__ module in the child, which breaks scripts without a main guard. The arguments
# and the result travel pickled through stdin/stdout; the child imports neither pandas nor
# DuckDB, so it starts in about a tenth of a second.


def _limit_memory(memory: int) -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    except (ImportError, ValueError, OSError):
        pass


def _child_main() -> None:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # stray prints must not corrupt the pickled answer
    try:
        module, name, args, memory, later = pickle.load(stdin)
        _limit_memory(memory)
        # A parse allocates a million cells and makes no reference cycles worth collecting: the
        # cyclic collector would only rescan them (a tenth of the parse). RLIMIT_AS still caps memory.
        gc.disable()
        target = getattr(importlib.import_module(module), name)
        if later:  # the rest of the arguments comes when the parent has them (`start_isolated`)
            args = (*args, lambda: pickle.load(stdin))
        outcome = ("ok", target(*args))
    except ArdenneError as exc:
        outcome = ("refused", exc.message)
    except MemoryError:
        outcome = ("refused", _TOO_BIG)
    except RecursionError:
        outcome = ("refused", _BROKEN.format(detail="structure trop profonde"))
    except Exception as exc:  # an unknown file quirk: refuse the file, never show a traceback
        outcome = ("refused", _BROKEN.format(detail=exc.__class__.__name__))
    try:
        data = pickle.dumps((*outcome, _peak_memory()), protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        data = pickle.dumps(("refused", _TOO_BIG, None))
    stdout.write(data)
    stdout.flush()


def _peak_memory() -> int | None:
    """This process's peak resident memory in bytes (VmHWM), or None where /proc is missing.

    Not `getrusage(RUSAGE_CHILDREN)` in the parent: Linux carries the parent's own peak over
    into a child it spawns (the address space copied at fork), so that figure is the
    dashboard's memory, not the parse's."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


_TOO_BIG = (
    "Le fichier est refusé : sa lecture demande plus de mémoire que permis (le classeur déclare "
    "probablement des millions de cellules vides ou se décompresse à l'excès). Supprimez les lignes "
    "et colonnes vides en fin de feuille, enregistrez en .xlsx, puis importez de nouveau."
)
_CRASHED = (
    "Le fichier est refusé : sa lecture a échoué brutalement (classeur endommagé, ou qui déclare des "
    "plages de cellules démesurées). Ouvrez-le dans Excel ou LibreOffice, supprimez les lignes et "
    "colonnes vides en fin de feuille, enregistrez-le en .xlsx, puis importez ce nouveau fichier."
)
_TIMEOUT = (
    "Le fichier est refusé : sa lecture a duré plus de {seconds:g} secondes, bien plus que pour un "
    "rapport ordinaire. Supprimez les feuilles et plages inutiles, puis importez de nouveau."
)
_BROKEN = (
    "Le fichier n'a pas pu être lu ({detail}) : il est sans doute endommagé ou produit par un logiciel "
    "inhabituel. Ouvrez-le dans Excel ou LibreOffice, enregistrez-le en .xlsx, puis importez ce nouveau "
    "fichier."
)


def run_isolated(
    target: Callable[..., Any],
    *args: Any,
    memory_mb: int | None = None,
    timeout: float | None = None,
    stats: dict[str, float | None] | None = None,
) -> Any:
    """`target(*args)` in a child process with an address-space and a time limit.

    Returns what it returns (it must pickle); raises ReportError (French) when the child
    refuses the file, runs out of memory, crashes (even SIGABRT/SIGSEGV) or runs too long.
    `target` must be a module-level function. `stats`, when given, receives the child's
    `peak_rss` (bytes, None if unknown) and `seconds` (wall time, start to answer).
    """
    return Isolated(target, *args, memory_mb=memory_mb, timeout=timeout).result(stats=stats)


def start_isolated(
    target: Callable[..., Any], *args: Any, memory_mb: int | None = None, timeout: float | None = None
) -> Isolated:
    """`target(*args, rest)` started in the guarded child now, its other arguments sent later
    by `Isolated.result(*more)`: `rest()`, called by the target in the child, waits for them
    and returns them as a tuple. The import command starts a file's parse this way before its
    database is open, so that both go on at once."""
    return Isolated(target, *args, memory_mb=memory_mb, timeout=timeout, later=True)


class Isolated:
    """One call running in the guarded child process (see `run_isolated`)."""

    def __init__(
        self,
        target: Callable[..., Any],
        *args: Any,
        memory_mb: int | None = None,
        timeout: float | None = None,
        later: bool = False,
    ) -> None:
        self.started = time.perf_counter()
        memory = int(memory_mb or settings.get("ARDENNE_PARSE_MEMORY_MB")) * 2**20
        self.timeout = float(timeout or settings.get("ARDENNE_PARSE_TIMEOUT"))
        self.later = later
        payload = pickle.dumps(
            (target.__module__, target.__qualname__, args, memory, later), protocol=pickle.HIGHEST_PROTOCOL
        )
        env = settings.environment()
        env.setdefault("RUST_BACKTRACE", "0")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ardenne_kpi.intake.guard"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            close_fds=True,
        )
        # the bytes go in from a thread: a pipe takes 64 KB until the child, still starting,
        # reads them, and the caller has other work meanwhile
        self._sent = threading.Thread(target=self._send, args=(payload,), name="guard-send", daemon=True)
        self._sent.start()
        weakref.finalize(self, _kill, self.process)

    def _send(self, payload: bytes) -> None:
        stdin = self.process.stdin
        assert stdin is not None  # opened with stdin=PIPE
        try:
            stdin.write(payload)
            stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass  # the child is gone: `result` says how

    def result(self, *more: Any, stats: dict[str, float | None] | None = None) -> Any:
        """The target's return value, once `more` (the arguments it waits for, when started by
        `start_isolated`) is sent; raises ReportError as `run_isolated` does. The time limit
        runs from now for a call that waited for its arguments."""
        process = self.process
        self._sent.join()
        began = time.perf_counter() if self.later else self.started
        try:
            if self.later:
                assert process.stdin is not None  # opened with stdin=PIPE
                try:
                    process.stdin.write(pickle.dumps(more, protocol=pickle.HIGHEST_PROTOCOL))
                except (BrokenPipeError, OSError):
                    pass  # the child stopped already (a crash): its exit status says so
            out, _err = process.communicate(timeout=max(self.timeout - (time.perf_counter() - began), 0.001))
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise ReportError(_TIMEOUT.format(seconds=self.timeout)) from None
        except BaseException:
            process.kill()
            process.communicate()
            raise
        code = process.returncode
        if code != 0 or not out:
            if code is not None and code < 0 and -code == signal.SIGKILL:
                raise ReportError(_TOO_BIG)
            raise ReportError(_CRASHED)
        try:
            status, result, peak = pickle.loads(out)
        except Exception:
            raise ReportError(_CRASHED) from None
        if stats is not None:
            stats.update(peak_rss=peak, seconds=time.perf_counter() - self.started)
        if status != "ok":
            raise ReportError(result)
        return result

    def cancel(self) -> None:
        """Stop the child (its result is not needed after all)."""
        _kill(self.process)


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
    try:
        process.communicate(timeout=5)
    except (subprocess.TimeoutExpired, ValueError, OSError):
        pass


if __name__ == "__main__":
    _child_main()
    # The answer is written: end without the interpreter's teardown, as multiprocessing's
    # children do. The parent waits for this process to end, and freeing a parsed sheet's
    # million cells one by one took a tenth of a second (100 000 rows).
    sys.stderr.flush()
    os._exit(0)
