"""The database as the pages reach it: one handle per process and file (the demo built on
first start), and what is read from it cached until the data change (`data_revision`):
reads shared and handed out as copies a page may change (`cached`), figures and tables
shared by reference (`shared`)."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import enum
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

import duckdb
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from pandas.io.formats.style import Styler
from streamlit.runtime.scriptrunner import get_script_run_ctx

from ardenne_kpi import db, demo
from ardenne_kpi.db.sharing import Database
from ardenne_kpi.framework import Framework, load_framework
from ardenne_kpi.intake import review

P = ParamSpec("P")
T = TypeVar("T")

# What the reads take: the app's handle, or a plain connection (the tests, the benchmarks).
Handle = Database | duckdb.DuckDBPyConnection


def as_connection(con: Handle) -> duckdb.DuckDBPyConnection:
    """`con` as the db package types it: its functions call only `.cursor()` on what they are
    given, and the app's Database offers it (db/sharing.py), opening the file when needed."""
    return cast(duckdb.DuckDBPyConnection, con)


def _let_go(entry: tuple[Database, bool]) -> None:
    entry[0].release()  # a cursor still in use keeps the file open until it is done


# The app serves one database file; a process that opened several (the tests) keeps the last few.
@st.cache_resource(show_spinner=False, max_entries=8, on_release=_let_go)
def _open(path: str) -> tuple[Database, bool]:
    """One handle per process and database file (it opens the file only while pages use it,
    so the command line can work beside the app); builds the demo base on first start."""
    created = not Path(path).exists()
    if created:
        fw = load_framework()
        installed = demo.install_demo(Path(path), fw)  # the shipped demo, unpacked
        database = Database(path)
        if not installed:  # none serves this framework: build it, report by report
            demo.create_demo(as_connection(database), fw)
    else:
        database = Database(path)
        if db.stored_framework(as_connection(database)) is None:
            db.sync_framework(as_connection(database), load_framework())
    return database, created


def connection() -> tuple[Database, Path, bool]:
    """The app's handle on its database file (ARDENNE_DB), the file's path, and whether this
    process created it (the demo, on first start)."""
    path = db.db_path()
    if path.exists():
        database, created = _open(str(path.resolve()))
    else:  # the shipped demo unpacks in a moment; built report by report, it takes longer
        with st.spinner("Première ouverture : préparation de la base de démonstration…"):
            database, created = _open(str(path.resolve()))
    return database, path, created


def is_demo(con: Handle) -> bool:
    """Whether the database is the demonstration one (a page may offer demo-only actions);
    read once per data revision (the banners ask at every run)."""
    return _is_demo(con, data_revision(con))


@st.cache_data(show_spinner=False, max_entries=8)
def _is_demo(_con: Handle, revision: str) -> bool:
    return db.is_demo(as_connection(_con))


_REVISION_MEMO = "_ardenne_revision"  # (the run's cursors, the handle, the revision) kept on the run's context


def data_revision(con: Handle) -> str:
    """A token that changes whenever uploads, rollbacks or the framework change, whichever
    process made them (it is read from the database): cache key for reads.

    Asked once per script run (a page asks for it at each cached read, a dozen times a run),
    and queried only when the database file or its log changed (unless_file_changed): ten
    sessions at once spent a sixth of the server's time on that query (bench/load_bench.py).
    Every write in a page is followed by `st.rerun()`, a new run that asks again."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return db.data_revision(as_connection(con))
    # ctx.cursors is a new dict at each run (full or fragment); the memo keeps it alive, so
    # the next run's dict cannot be mistaken for it.
    memo: tuple[object, Handle, str] | None = getattr(ctx, _REVISION_MEMO, None)
    if memo is not None and memo[0] is ctx.cursors and memo[1] is con:
        return memo[2]
    revision = unless_file_changed(con, "data revision", lambda: db.data_revision(as_connection(con)))
    setattr(ctx, _REVISION_MEMO, (ctx.cursors, con, revision))  # the run's context declares no field for it
    return revision


# (database file, what was read) → (the files' signature then, the value read), for the whole process.
_SINCE_FILES: dict[tuple[str, str], tuple[object, object]] = {}


def _files_signature(path: Path) -> tuple[tuple[int, int, int] | None, ...]:
    """The database file and its write-ahead log as the file system sees them. Every commit that
    changes data, of this process or of another (a command's import), changes one of them:
    DuckDB appends each commit to the log at once, and a checkpoint rewrites the file and
    removes the log. A read changes neither."""
    out: list[tuple[int, int, int] | None] = []
    for file in (path, Path(f"{path}.wal")):
        try:
            stat = file.stat()
        except FileNotFoundError:
            out.append(None)
        else:
            out.append((stat.st_mtime_ns, stat.st_size, stat.st_ino))
    return tuple(out)


def unless_file_changed(con: Handle, name: str, read: Callable[[], T]) -> T:
    """`read()` (a small query every page run asks: the data revision, whether accounts were
    set up), run again only when the database file or its log changed since the last time:
    two `stat` calls instead of a query at each run of each session, which ten sessions at once
    paid a sixth of the server's time for (bench/load_bench.py). The signature is taken before
    the read, so a commit landing during it makes the next call read again. A plain connection
    (tests, benchmarks) is read every time."""
    if not isinstance(con, Database):
        return read()
    key = (str(con.path), name)
    signature = _files_signature(con.path)
    known = _SINCE_FILES.get(key)
    if known is not None and known[0] == signature:
        return cast(T, known[1])
    value = read()
    _SINCE_FILES[key] = (signature, value)
    return value


def accounts_marked(con: Handle) -> bool:
    """db.accounts_marked, asked at every page run, read again only when the files changed."""
    return unless_file_changed(con, "accounts marked", lambda: db.accounts_marked(as_connection(con)))


def locks(con: Handle) -> list[review.Lock]:
    """review.locks (the periods locked now), asked at every run of Import and Suivi, read again
    only when the files changed."""
    return unless_file_changed(con, "locks", lambda: review.locks(as_connection(con)))


# Shared, not copied (a frozen dataclass): every page run of every session reads it, and
# st.cache_data would unpickle it each time.
@st.cache_resource(show_spinner=False, max_entries=8)
def _framework(_con: Handle, revision: str) -> Framework:
    return db.ensure_framework(as_connection(_con))


def framework(con: Handle) -> Framework:
    """The framework stored in the database, read once per data revision and shared."""
    return _framework(con, data_revision(con))


# Kept by reference and handed out through _own_copy: st.cache_data would unpickle the result
# at every read (15 ms of server CPU for Tendances' figures at each run of each session).
@st.cache_resource(show_spinner=False, max_entries=256)
def _cached_call(
    name: str,
    revision: str,
    key: str,
    _func: Callable[..., T],
    _con: Handle,
    _fw: Framework,
    _args: tuple[object, ...],
    _kwargs: dict[str, object],
) -> T:
    return _func(_con, _fw, *_args, **_kwargs)


def cached(
    func: Callable[Concatenate[duckdb.DuckDBPyConnection, Framework, P], T],
    con: Handle,
    fw: Framework,
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """`func(con, fw, *args, **kwargs)`, cached until the data or the framework change.

    Arguments must have a stable repr (codes, dates, tuples); results must be picklable."""
    name = f"{func.__module__}.{func.__qualname__}"
    key = repr((args, sorted(kwargs.items())))
    return _own_copy(_cached_call(name, data_revision(con), key, func, con, fw, args, kwargs))


_IMMUTABLE = (str, bytes, int, float, complex, bool, type(None), dt.date, dt.time, dt.timedelta, Decimal, enum.Enum)


def _own_copy(value: T) -> T:
    """`value` as a page may change it without touching the cached original. Frames and series
    are copied shallowly: under pandas' copy-on-write (always on since pandas 3) whatever is
    done to the copy copies the data first, and the copy costs microseconds where unpickling
    Tendances' figures cost 15 ms (a tuple of 49 frames, 180 kB). Containers and dataclasses
    are rebuilt around copies of their contents, numpy arrays copied, immutable values kept;
    anything else is deep-copied."""
    return cast(T, _copied(value))


_LAZY_FROM = 8  # a dict of more frames than this is copied frame by frame as the page reads them


class _FramesCopiedOnRead(dict[Any, pd.DataFrame]):
    """A dict of frames as a page gets it from a cached read (Tendances: one trend per indicator,
    about fifty): each frame is copied when the page reads it, not all of them at each run. A
    frame put in it replaces the page's entry only; what the page reads is always a copy."""

    def __getitem__(self, key: Any) -> pd.DataFrame:
        return super().__getitem__(key).copy(deep=False)

    def get(self, key: Any, default: Any = None) -> Any:
        return self[key] if key in self else default

    def values(self) -> list[pd.DataFrame]:  # type: ignore[override]
        return [self[key] for key in self]

    def items(self) -> list[tuple[Any, pd.DataFrame]]:  # type: ignore[override]
        return [(key, self[key]) for key in self]

    def __iter__(self) -> Iterator[Any]:
        return iter(list(super().keys()))

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, (dict(self.items()),))


def _copied(value: object) -> object:
    if isinstance(value, (pd.DataFrame, pd.Series)):
        return value.copy(deep=False)
    if isinstance(value, (_IMMUTABLE, pd.Index, frozenset, Framework)):  # the framework: shared already (framework())
        return value
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, tuple) and type(value) is tuple:
        return tuple(_copied(item) for item in value)
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a named tuple
        named: Callable[..., object] = type(value)
        return named(*(_copied(item) for item in value))
    if isinstance(value, list) and type(value) is list:
        return [_copied(item) for item in value]
    if isinstance(value, dict) and type(value) is dict:
        if len(value) > _LAZY_FROM and all(isinstance(item, pd.DataFrame) for item in value.values()):
            return _FramesCopiedOnRead(value)
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, _FramesCopiedOnRead):
        return _FramesCopiedOnRead(value)
    if isinstance(value, set) and type(value) is set:
        return set(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _copied(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
        return dataclasses.replace(value, **fields)
    return copy.deepcopy(value)


class _StylesOnce:
    """What makes a pandas Styler (Suivi's coloured grid) built once and shown by every session
    compute its styles once: st.dataframe has it compute them (`_compute`, then `_translate`) at
    each run, 9 % of the server's time under ten sessions (bench/load_bench.py). Here they are
    computed once, under a lock (the sessions' runs are threads), and the translation kept;
    st.dataframe only reads it. Set on the styler itself, its type unchanged: st.dataframe
    recognises a Styler by its type's full name."""

    def __init__(self, styler: Styler) -> None:
        self.styler = styler
        self.lock = threading.Lock()
        self.translations: dict[str, Any] = {}
        self.compute = styler._compute  # type: ignore[attr-defined]
        self.translate = styler._translate  # type: ignore[attr-defined]

    def _compute(self) -> Styler:
        with self.lock:
            if not self.translations:
                self.compute()
        return self.styler

    def _translate(self, *args: Any, **kwargs: Any) -> Any:
        key = repr((args, sorted(kwargs.items())))
        with self.lock:
            if key not in self.translations:
                self.translations[key] = self.translate(*args, **kwargs)
            return self.translations[key]


def _shareable(value: T) -> T:
    """What ui.shared keeps, made to do once what Streamlit asks of it at each run. A Plotly
    figure: its dict, which st.plotly_chart asks for at each run (`to_dict`, a deep copy of every
    trace: 1–9 ms a chart, a tenth of a page run's server time), made now and handed out again
    (shared figures are never changed after they are built; st.plotly_chart only reads it). A
    Styler: its styles computed once (_StylesOnce)."""
    if isinstance(value, go.Figure) and "to_dict" not in vars(value):
        made = value.to_dict()
        figure: Any = value
        figure.to_dict = lambda: made
    if isinstance(value, Styler) and not hasattr(value, "_styles_once"):
        once = _StylesOnce(value)
        styler: Any = value
        styler._styles_once = once
        styler._compute, styler._translate = once._compute, once._translate
    return value


# Figures and tables to show, by reference: a few per page and view, the last revisions' kept.
@st.cache_resource(show_spinner=False, max_entries=512)
def _shared_build(revision: str, key: str, _build: Callable[[], T]) -> T:
    return _shareable(_build())


def shared(con: Handle, key: tuple[object, ...], build: Callable[[], T]) -> T:
    """`build()` once per data revision and `key`, then the same object for every session and
    run: a Plotly figure or a French table built from cached results, which ten sessions would
    otherwise rebuild at each of their runs (bench/load_bench.py). `key` names the thing built
    and everything `build` reads beside the database (codes, choices, the reader's scope), with
    a stable repr. Not copied: never mutate what it returns (st.plotly_chart and st.dataframe
    do not)."""
    return _shared_build(data_revision(con), repr(key), build)


def forget_cached() -> None:
    """Forget every cached read and shared figure: after a write that the data revision does
    not see (demonstration brand scores attached to reports already imported)."""
    _cached_call.clear()
    _shared_build.clear()


def cached_count(con: Handle, operators: tuple[str, ...] | None = None) -> int:
    """How many uploads wait for the coordination's validation (of `operators` only, when
    given), read once per data revision."""
    return _submitted_count(con, data_revision(con), operators)


@st.cache_data(show_spinner=False, max_entries=8)
def _submitted_count(_con: Handle, revision: str, operators: tuple[str, ...] | None = None) -> int:
    return review.submitted_count(as_connection(_con), list(operators) if operators else None)
