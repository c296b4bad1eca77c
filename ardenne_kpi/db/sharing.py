"""Sharing the database file between the app and the command line.

DuckDB lets one process at a time hold a database file: while one holds it, any other is
refused at once, read-only readers included. So nobody keeps it open for long:

- a command takes its turn through a lock file beside the database (`flock`: shared for
  readers, exclusive for writers, so commands queue behind each other), then opens the
  database, retrying while the app holds it; it says so after a second and gives up with
  a French sentence after `wait_limit()` seconds;
- the app (`Database`) opens the file when a page needs it and keeps it while pages use
  it, but checks the lock file every 50 ms: when a command holds its turn, the app lets
  go of the file (queries in progress finish first) and lets the command through before
  reopening it; it also lets go after two idle seconds. So a command waits for the page
  runs in progress, not for the app to stop, and pages rarely pay for reopening the file;
- while a command holds the file, a page waits for it (page_setup shows a spinner).

Every process reopening the file sees what the others committed, so the app's cached
reads, keyed by `db.data_revision`, pick up a command's import on the next rerun.
"""

from __future__ import annotations

import fcntl
import gc
import os
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import duckdb

from ardenne_kpi import db
from ardenne_kpi.core import settings
from ardenne_kpi.core.errors import DatabaseBusyError

NOTICE_AFTER = 1.0  # seconds of waiting before a command says it waits
IDLE_RELEASE = 2.0  # seconds without a query before the app lets go of the file anyway
WATCH_EVERY = 0.05  # how often the app checks, while it holds the file, whether a command waits

Notify = Callable[[str], None]


def wait_limit() -> float:
    """How long to wait for the database before refusing: ARDENNE_DB_WAIT seconds, else 60."""
    return max(0.0, float(settings.get("ARDENNE_DB_WAIT")))


def lock_path(database: str | os.PathLike[str]) -> Path:
    """The lock file commands queue on: `<database>.lock`, beside the database file."""
    return Path(str(database) + ".lock")


class _Wait:
    """One wait for the database: says so once after NOTICE_AFTER, refuses after the limit."""

    def __init__(self, path: Path, limit: float | None, notify: Notify | None) -> None:
        self.path, self.notify = path, notify
        self.limit = wait_limit() if limit is None else limit
        self.started = time.monotonic()
        self.told = False
        self.delay = 0.01

    @property
    def waited(self) -> float:
        return time.monotonic() - self.started

    def pause(self, holder: str) -> None:
        """Sleep a little (growing to 0.2 s) or raise DatabaseBusyError once the limit is reached."""
        waited = self.waited
        if waited >= self.limit:
            raise DatabaseBusyError(
                f"La base {self.path} est restée occupée {_seconds(self.limit)} {holder} : rien n'a été fait. "
                "Réessayez quand l'import en cours sera fini, ou attendez plus longtemps avec "
                "ARDENNE_DB_WAIT=secondes."
            )
        if not self.told and waited >= NOTICE_AFTER and self.notify is not None:
            self.told = True
            self.notify(
                f"La base {self.path.name} est occupée {holder} : attente de son tour ({_seconds(self.limit)} au plus)…"
            )
        time.sleep(min(self.delay, max(0.0, self.limit - waited)))
        self.delay = min(self.delay * 1.6, 0.2)


def _seconds(value: float) -> str:
    return f"{value:.0f} s" if value >= 10 else f"{value:.1f} s".replace(".", ",")


def _holder(exc: DatabaseBusyError) -> str:
    pid = re.search(r"PID (\d+)", str(exc.__cause__ or ""))
    return (
        f"(par le processus {pid[1]} : tableau de bord ou autre commande)"
        if pid
        else "(par le tableau de bord ou une autre commande)"
    )


def open_when_free(
    path: str | os.PathLike[str],
    *,
    read_only: bool = False,
    schema: bool = True,
    limit: float | None = None,
    notify: Notify | None = None,
    wait: _Wait | None = None,
    check: bool = False,
) -> duckdb.DuckDBPyConnection:
    """`db.connect`, retried with a growing pause while another process holds the file;
    DatabaseBusyError (French) after `limit` seconds (default `wait_limit()`)."""
    path = Path(path)
    wait = wait or _Wait(path, limit, notify)
    while True:
        try:
            return db.connect(path, read_only=read_only, schema=schema, check=check)
        except DatabaseBusyError as exc:
            wait.pause(_holder(exc))


@contextmanager
def command_connection(
    path: str | os.PathLike[str], *, read_only: bool = False, notify: Notify | None = None, check: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A command's connection, closed afterwards: its turn on the lock file beside the
    database (readers share it, a writer has it alone), then the file itself, waiting
    while the app or another command holds it (see the module's docstring). `check`: every
    table read whole first (`db.check_readable`), a damaged base refused before any write."""
    path = Path(path)
    wait = _Wait(path, None, notify)
    lock = _take_turn(path, exclusive=not read_only, wait=wait)
    try:
        con = open_when_free(path, read_only=read_only, wait=wait, check=check)
        try:
            if wait.told and notify is not None:
                notify(f"Base obtenue après {_seconds(wait.waited)} d'attente.")
            yield con
        finally:
            con.close()
    finally:
        if lock is not None:
            lock.close()  # closing the file releases the flock


def _take_turn(path: Path, *, exclusive: bool, wait: _Wait) -> BinaryIO | None:
    """The open lock file, locked; None when it cannot be created (a read-only folder:
    DuckDB's own lock still keeps processes apart)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path(path), "a+b")  # noqa: SIM115 - held for the whole command
    except OSError:
        return None
    mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
    while True:
        try:
            fcntl.flock(handle.fileno(), mode)
            return handle
        except BlockingIOError:
            try:
                wait.pause("(par une autre commande)")
            except BaseException:
                handle.close()
                raise


class Database:
    """The database file as the app uses it: behaves like a connection for `.cursor()`,
    opens the file on the first query and keeps it while pages use it, but lets go of it
    as soon as a command asks for its turn (checked every WATCH_EVERY seconds on the lock
    file beside the database), and after IDLE_RELEASE seconds without a query anyway. When
    it must reopen the file, it lets a command that holds or waits for its turn go first.

    Cursors handed out keep the file open while they are in use (a long export or a
    transaction outlives the release); DuckDB closes the file when the last one is gone.
    Safe across Streamlit's threads: opening and handing out cursors is serialised."""

    def __init__(self, path: str | os.PathLike[str], *, idle: float = IDLE_RELEASE, limit: float | None = None) -> None:
        self.path = Path(path)
        self.idle = idle
        self.limit = limit
        self.opens = 0  # how many times the file was opened (measured by tests and benchmarks)
        self._lock = threading.Lock()
        self._root: duckdb.DuckDBPyConnection | None = None
        self._cursors: weakref.WeakSet[duckdb.DuckDBPyConnection] = weakref.WeakSet()
        self._last_use = 0.0
        self._timer: threading.Timer | None = None
        self._schema_applied = False
        self._turns: BinaryIO | None = None  # the lock file, opened on first use

    def __repr__(self) -> str:  # stable: cache keys and messages never depend on the state
        return f"Database({str(self.path)!r})"

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A fresh cursor on the (re)opened database."""
        with self._lock:
            root = self._hold()
            cur = root.cursor()
            self._cursors.add(cur)
            return cur

    def hold(self, notify: Notify | None = None) -> float:
        """Open the file now if it is not (a command holding or waiting for it goes first);
        returns the seconds waited. The page setup calls it under a spinner."""
        started = time.monotonic()
        with self._lock:
            self._hold(notify)
        return time.monotonic() - started

    @property
    def is_open(self) -> bool:
        """True while this process holds the file (the app's connection or a cursor in use)."""
        return self._root is not None or len(self._cursors) > 0

    def release(self) -> None:
        """Let go of the file now (the watcher does it otherwise)."""
        with self._lock:
            self._drop()

    def command_waiting(self) -> bool:
        """True while a command holds its turn on the lock file or waits for the database
        (it holds its turn while it waits): tried without blocking, and let go at once."""
        if self._turns is None:
            try:
                self._turns = open(lock_path(self.path), "a+b")  # noqa: SIM115 - kept for the process
            except OSError:
                return False
        try:
            fcntl.flock(self._turns.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(self._turns.fileno(), fcntl.LOCK_UN)
        return False

    def _hold(self, notify: Notify | None = None) -> duckdb.DuckDBPyConnection:
        if self._root is None:
            wait = _Wait(self.path, self.limit, notify)
            # A command asked first: let it through, unless a cursor of ours still holds the
            # file (a transaction in progress), which the command waits for anyway.
            while not len(self._cursors) and self.command_waiting():
                wait.pause("(par une commande en cours)")
            # A base this process may not write (file or folder read-only) is opened read-only:
            # it can be read, and a write is refused as read-only, not as damaged.
            read_only = self.path.exists() and not db.writable(self.path)
            self._root = open_when_free(
                self.path, read_only=read_only, schema=not (self._schema_applied or read_only), wait=wait
            )
            self._schema_applied = True
            self.opens += 1
        self._last_use = time.monotonic()
        if self._timer is None:
            self._arm(WATCH_EVERY)
        return self._root

    def _arm(self, delay: float) -> None:
        self._timer = threading.Timer(delay, self._watch)
        # Not a daemon: at exit the interpreter waits for it (a few milliseconds) instead of
        # killing it inside DuckDB's C++ code, which aborts the process.
        self._timer.daemon = False
        self._timer.start()

    def _watch(self) -> None:
        with self._lock:
            self._timer = None
            if self._root is None:
                return
            exiting = not threading.main_thread().is_alive()  # the interpreter waits for us: let go now
            if not exiting and time.monotonic() - self._last_use < self.idle and not self.command_waiting():
                self._arm(WATCH_EVERY)
                return
            self._drop()
        if len(self._cursors) and not exiting:
            # A cursor still referenced by nothing but a reference cycle (a kept traceback)
            # would hold the file until the next garbage collection: collect once, now.
            time.sleep(0.5)
            if self._root is None and len(self._cursors):
                gc.collect()

    def _drop(self) -> None:
        # Dropped, not closed: closing would break the cursors another thread still uses.
        self._root = None
