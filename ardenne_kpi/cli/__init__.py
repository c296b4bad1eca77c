"""Command line: `python -m ardenne_kpi --help`.

The parser and its registry: each command group (one module of this package) adds its
subcommands through its `register(subparsers)` function, listed in GROUPS, and the `export`
targets through the functions of EXPORT_TARGETS; a handler returns the exit code (0 ok,
1 refused, 2 usage error). A group module loads its command's libraries (DuckDB and the
database layer, the framework, pandas, openpyxl, plotly...) only when the command runs, so
that `import FILE` starts its parse at once (a test holds the parser free of them).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TextIO

from ardenne_kpi.cli import backup, coverage, database, imports, kpis, pack, publish, review, template, users
from ardenne_kpi.core.errors import ArdenneError
from ardenne_kpi.core.format import terminal_text

# argparse speaks English; our users read French. Usage errors keep exit code 2.
_USAGE_FR = [
    (
        re.compile(r"argument (\S+): invalid choice: '?([^']*)'? \(choose from (.+)\)"),
        r"option \1 : choix « \2 » invalide (possibles : \3)",
    ),
    (re.compile(r"the following arguments are required: (.+)"), r"arguments obligatoires manquants : \1"),
    (re.compile(r"unrecognized arguments: (.+)"), r"arguments non reconnus : \1"),
    (re.compile(r"argument (\S+): expected one argument"), r"l'option \1 attend une valeur"),
    (re.compile(r"argument (\S+): invalid (\w+) value: (.+)"), r"option \1 : valeur \3 invalide"),
    (re.compile(r"argument (\S+): not allowed with argument (\S+)"), r"les options \1 et \2 s'excluent"),
]


class FrenchArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        for pattern, french in _USAGE_FR:
            message = pattern.sub(french, message)
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog} : erreur d'utilisation : {message}\n")


Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


def add_export(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`export CIBLE`: one subcommand per target of EXPORT_TARGETS."""
    export = sub.add_parser("export", help="exporter des données (values, coverage, kpis, pack)")
    targets = export.add_subparsers(dest="target", metavar="CIBLE", required=True)
    for add_target in EXPORT_TARGETS:
        add_target(targets)


# The command groups, in the order `--help` lists their commands.
GROUPS: list[Register] = [
    database.register,
    add_export,
    template.register,
    users.register,
    imports.register,
    pack.register,
    kpis.register,
    backup.register,
    publish.register,
    review.register,
]
# The targets of `export`, in the order `export --help` lists them.
EXPORT_TARGETS: list[Register] = [
    imports.add_export_values,
    coverage.add_export_coverage,
    kpis.add_export_kpis,
    pack.add_export_pack,
]


# Commands whose group alone registers them: `import FILE` need not build every other
# command's parser before the file's parse starts (issue 16).
OWN_GROUP: dict[str, Register] = {
    "import": imports.register,
    "uploads": imports.register,
    "rollback": imports.register,
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or only the group of `command` when OWN_GROUP names it."""
    # typed as its base class: the groups register on plain ArgumentParser subparsers (French ones at run time)
    parser: argparse.ArgumentParser = FrenchArgumentParser(
        prog="python -m ardenne_kpi",
        description="Ardenne KPI : tableau de bord de la mesure de la performance du plan de marketing territorial.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMANDE", required=True)
    for register in [OWN_GROUP[command]] if command in OWN_GROUP else GROUPS:
        register(sub)
    return parser


class _TerminalStream:
    """A text stream that writes every control character escaped (format.terminal_text): the
    commands print partners' file names, sheet names and cells, which must never clear the
    coordinator's terminal, move its cursor or colour a line. Line feeds pass."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(terminal_text(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # flush, buffer, fileno, isatty, encoding...
        return getattr(self._stream, name)


def main(argv: list[str] | None = None) -> int:
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _TerminalStream(sys.stdout), _TerminalStream(sys.stderr)
    try:
        return _run(argv)
    finally:
        # put back what this call replaced; a broken pipe's devnull stays until exit
        if isinstance(sys.stdout, _TerminalStream):
            sys.stdout = streams[0]
        if isinstance(sys.stderr, _TerminalStream):
            sys.stderr = streams[1]


def _run(argv: list[str] | None) -> int:
    words = sys.argv[1:] if argv is None else argv
    parser = build_parser(words[0] if words else None)
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except ArdenneError as exc:
        print(f"{exc.title} : {exc.message}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `… | head`: the reader has all it wanted
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - replaces stdout until exit
        return 0
    except Exception as exc:
        duckdb = sys.modules.get("duckdb")
        if duckdb is None or not isinstance(exc, duckdb.Error):
            raise
        # a damaged database file can fail at any read, long after it opened: a sentence, not a traceback
        from ardenne_kpi import db

        error = db.database_error(exc, db.db_path(getattr(args, "db", None)))
        print(f"{error.title} : {error.message}", file=sys.stderr)
        return 1
