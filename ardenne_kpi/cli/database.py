"""The database a command works on: `init` creates one; every other command opens an existing one
through `existing_database` or `command_connection`, waiting its turn beside the app.

DuckDB and the framework load when a command uses them, not when the parser is built: the
`import` command starts its file's parse first (see cli/__init__.py)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ardenne_kpi.core.errors import ArdenneError

if TYPE_CHECKING:
    import duckdb

    from ardenne_kpi.framework import Framework


def say_waiting(message: str) -> None:
    """How a command tells that it waits for the database (stderr: stdout stays for data)."""
    print(message, file=sys.stderr, flush=True)


def command_connection(
    path: str | os.PathLike[str], *, read_only: bool = False, check: bool | None = None
) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
    """The database for one command, waiting its turn beside the app and other commands
    (`db.sharing`), closed afterwards. A command that writes (not `read_only`) first reads
    every table whole (`check`, by default): a damaged base is refused before any write."""
    from ardenne_kpi.db import sharing

    check = not read_only if check is None else check
    return sharing.command_connection(path, read_only=read_only, notify=say_waiting, check=check)


def missing_database(path: Path) -> ArdenneError:
    """A `--db` that names no base: only `init` creates one (a typo must not make an empty base)."""
    return ArdenneError(
        f"La base {path} n'existe pas : rien n'a été fait. Vérifiez --db (ou ARDENNE_DB) ; pour créer une "
        "base, lancez `python -m ardenne_kpi init`.",
        title="Base introuvable",
    )


@contextmanager
def existing_database(
    db_arg: str | None, *, read_only: bool | None = True
) -> Iterator[tuple[duckdb.DuckDBPyConnection, Framework]]:
    """The connection and stored framework of an existing database, closed afterwards; a missing
    file or a base without framework is one French sentence (never a new empty file). Waits
    its turn while the app or another command holds the file. `read_only=False`: the command
    writes (the base is read whole first, and a read-only base is refused as such); None: it
    only reads, read-write when it can (to bring the schema up to date), else read-only."""
    from ardenne_kpi import db

    path = db.db_path(db_arg)
    if not path.exists():
        raise missing_database(path)
    if read_only is None:
        read_only = not db.writable(path)
        check = False
    else:
        check = not read_only
    with command_connection(path, read_only=read_only, check=check) as con:
        fw = db.stored_framework(con)
        if fw is None:
            raise ArdenneError(
                f"La base {path} n'a pas de référentiel. Recréez-la avec `python -m ardenne_kpi init`.",
                title="Référentiel absent",
            )
        yield con, fw


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="PATH", help="fichier DuckDB (sinon ARDENNE_DB, sinon data/ardenne.duckdb)")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    init = sub.add_parser("init", help="créer une base de données (démonstration ou vide)")
    add_db_argument(init)
    kind = init.add_mutually_exclusive_group()
    kind.add_argument("--demo", action="store_true", help="remplir la base avec les données de démonstration (défaut)")
    kind.add_argument("--empty", action="store_true", help="créer une base vide (référentiel seul)")
    init.add_argument(
        "--framework",
        metavar="FICHIER.yaml",
        help="référentiel à charger (défaut : data/framework.yaml)",
    )
    init.add_argument("--force", action="store_true", help="remplacer une base existante")
    init.set_defaults(handler=run_init)


def run_init(args: argparse.Namespace) -> int:
    from ardenne_kpi import db
    from ardenne_kpi.framework import DEFAULT_PATH, load_framework

    path = db.db_path(args.db)
    if path.exists():
        if not args.force:
            raise ArdenneError(
                f"La base {path} existe déjà. Ajoutez --force pour la remplacer.", title="Base existante"
            )
        path.unlink()
        Path(str(path) + ".wal").unlink(missing_ok=True)
    fw = load_framework(args.framework or DEFAULT_PATH)
    if not args.empty:
        from ardenne_kpi import demo  # openpyxl, plotly: only for this command

        if demo.install_demo(path, fw):  # the shipped demo, when it was built from this framework
            with db.connect(path, read_only=True) as con:
                n = db.table_counts(con)["report_values"]  # what create_demo would have written
            print(f"Base de démonstration créée : {path} ({n} valeurs, référentiel {fw.version}).")
            return 0
    with command_connection(path) as con:
        if args.empty:
            db.sync_framework(con, fw)
            print(f"Base vide créée : {path} (référentiel {fw.version}, {len(fw.indicators)} indicateurs).")
        else:
            n = demo.create_demo(con, fw)
            print(f"Base de démonstration créée : {path} ({n} valeurs, référentiel {fw.version}).")
    return 0
