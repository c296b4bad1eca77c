"""Writing the product's files whole or not at all: exports, the committee pack, the static
site, templates, backups.

Every file is written aside, then put in place in one step (a rename): a reader, a full disk
or a `kill -9` sees the earlier file or the new one, never half of one, and a failed write
never destroys the earlier file. The file is written unnamed (Linux `O_TMPFILE`): a process
killed mid-way leaves nothing behind, not even a temporary file; where the system cannot
(another OS, a filesystem without it), a hidden temporary file beside the target, removed on
any failure. A failure is a StorageError with a French sentence (a full disk says so).
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import BinaryIO

from ardenne_kpi.core.errors import StorageError

FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
_PROC = Path("/proc/self/fd")


def disk_message(exc: OSError, target: str | os.PathLike[str], what: str = "le fichier") -> str:
    """The French sentence for a file that could not be written (`what`: « la sauvegarde »,
    « l'export »…): where, why, and what to do."""
    target = Path(target)
    if exc.errno in FULL:
        why, todo = "le disque est plein", "Libérez de la place sur ce disque ou choisissez un autre dossier"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        why = "le dossier n'est pas modifiable (droits, ou disque en lecture seule)"
        todo = "Choisissez un autre dossier ou donnez-vous le droit d'y écrire"
    else:
        why, todo = exc.strerror or str(exc), "Vérifiez le dossier ou choisissez-en un autre"
    return (
        f"Impossible d'écrire {what} ({target.name}) dans {target.parent} : {why}. Rien n'a été laissé à "
        f"moitié écrit et le fichier précédent, s'il y en avait un, est intact. {todo}, puis recommencez."
    )


class _Aside:
    """One file being written aside: `file` to write to; `place()` puts it at `target`."""

    def __init__(self, target: Path, mode: int) -> None:
        self.target = target
        self.temporary: Path | None = None  # a named temporary file (fallback) to remove on failure
        folder = target.parent
        try:
            if not _PROC.is_dir():  # naming the unnamed file goes through /proc
                raise OSError(errno.EOPNOTSUPP, "no /proc")
            fd = os.open(folder, os.O_TMPFILE | os.O_RDWR, mode)  # unnamed: gone if the process dies
        except (AttributeError, OSError):
            fd, name = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
            self.temporary = Path(name)
            os.chmod(fd, mode & ~_umask())
        self.fd = fd
        self.file: BinaryIO = os.fdopen(fd, "w+b")

    def place(self) -> None:
        """Flush to disk and put the file at its target, replacing the earlier one in one step."""
        self.file.flush()
        os.fsync(self.fd)
        if self.temporary is None:
            name = f".{self.target.name}.{os.getpid()}.tmp"
            folder = os.open(self.target.parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                try:
                    os.unlink(name, dir_fd=folder)
                except FileNotFoundError:
                    pass
                os.link(f"/proc/self/fd/{self.fd}", name, dst_dir_fd=folder, follow_symlinks=True)
                try:
                    os.replace(name, self.target.name, src_dir_fd=folder, dst_dir_fd=folder)
                except OSError:
                    os.unlink(name, dir_fd=folder)
                    raise
            finally:
                os.close(folder)
        else:
            os.replace(self.temporary, self.target)
            self.temporary = None
        self.close()

    def close(self) -> None:
        """Let go of the file; an unplaced file is discarded."""
        if not self.file.closed:
            try:
                self.file.close()
            except OSError:
                pass  # a full disk refusing the last flush: the file is discarded anyway
        if self.temporary is not None:
            self.temporary.unlink(missing_ok=True)
            self.temporary = None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def aside(target: str | os.PathLike[str], *, what: str = "le fichier", mode: int = 0o666) -> Iterator[BinaryIO]:
    """A file to write `target`'s new content to (seekable: a zip archive can be built in
    it); put in place when the block ends without error, discarded otherwise. StorageError
    (French) when it cannot be written; the earlier `target` is then untouched."""
    target = Path(target)
    with files_aside([target], what=what, mode=mode) as (out,):
        yield out


@contextmanager
def files_aside(targets: list[Path], *, what: str = "le fichier", mode: int = 0o666) -> Iterator[tuple[BinaryIO, ...]]:
    """Several files written aside, put in place together once all are written (a pack's PDF
    and its workbook, a static site): on any failure none of them replaces its earlier file."""
    pending: list[_Aside] = []
    current = targets[0] if targets else Path(".")
    try:
        with ExitStack() as stack:
            for target in targets:
                current = target
                target.parent.mkdir(parents=True, exist_ok=True)
                pending.append(_Aside(target, mode))
                stack.callback(pending[-1].close)
            yield tuple(p.file for p in pending)
            for p in pending:
                current = p.target
                p.file.flush()
                os.fsync(p.fd)
            for p in pending:
                current = p.target
                p.place()
    except OSError as exc:
        raise StorageError(disk_message(exc, current, what)) from exc


def path_of(file: BinaryIO) -> str:
    """A path by which another library (DuckDB) can open a file being written aside."""
    return f"/proc/self/fd/{file.fileno()}"


def write_bytes(target: str | os.PathLike[str], data: bytes, *, what: str = "le fichier", mode: int = 0o666) -> None:
    """Write `data` to `target` whole or not at all (see the module's docstring)."""
    write_files({Path(target): data}, what=what, mode=mode)


def write_files(files: Mapping[Path, bytes], *, what: str = "le fichier", mode: int = 0o666) -> None:
    """Write every file aside, then put them all in place: on a failure, none is replaced."""
    targets = list(files)
    with files_aside(targets, what=what, mode=mode) as outs:
        for target, out in zip(targets, outs, strict=True):
            out.write(files[target])
